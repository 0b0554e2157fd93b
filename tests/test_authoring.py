"""An instructor adds an assignment by writing a notebook and a suite, and
nothing can be mis-scored silently: `autograder check`, `release`,
`gradescope` and `batch` refuse each mistake with a message naming the file,
the test and the numbers.

Every command runs as a user would run it (the CLI in a subprocess, from the
course folder), so the small course under tmp_path is graded exactly like
the real one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests.authoring_kit import COURSE_YAML, SUITE, build_notebook, write_course

pytestmark = pytest.mark.slow


def autograder(course: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograder.cli", *args], cwd=course.parent, text=True,
                          capture_output=True, timeout=timeout)


def solved(release_dir: Path, sigmoid: str | None = None, softmax: str | None = None) -> nbformat.NotebookNode:
    """The released notebook with the student's code typed into the solution cells."""
    from tests.authoring_kit import SIGMOID, SOFTMAX

    notebook = nbformat.read(release_dir / "hw9.ipynb", as_version=4)
    answers = {"sigmoid": sigmoid or SIGMOID, "softmax": softmax or SOFTMAX}
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION\n", "", answers[grade_id], flags=re.MULTILINE)
    return notebook


def test_an_assignment_from_nothing_checks_releases_grades_and_builds(tmp_path: Path) -> None:
    course = write_course(tmp_path / "course")
    checked = autograder(course, "check", "hw9")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "hw9: ok - 4 tests, 10 points" in checked.stdout

    released = autograder(course, "release", "hw9", "--out", str(tmp_path / "release"))
    assert released.returncode == 0, released.stderr
    release_dir = tmp_path / "release" / "hw9"
    text = (release_dir / "hw9.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "1.0 / (1.0 + np.exp(-z))" not in text

    cases = {
        "correct": (solved(release_dir), 10),
        "blank": (nbformat.read(release_dir / "hw9.ipynb", as_version=4), 0),
        "partly wrong": (solved(release_dir, softmax="def softmax(scores):\n    e = np.exp(scores)\n"
                                                    "    return e / e.sum(axis=1, keepdims=True)\n"), 7),
    }
    for name, (notebook, expected) in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.ipynb"
        nbformat.write(notebook, path)
        out = tmp_path / f"{path.stem}.json"
        graded = autograder(course, "grade", "hw9", str(path), "--json", str(out))
        results = json.loads(out.read_text())
        assert results["score"] == expected, (name, graded.stdout)
    wrong = json.loads((tmp_path / "partly_wrong.json").read_text())
    failing = [t for t in wrong["tests"] if t.get("status") == "failed"]
    assert [t["name"] for t in failing] == ["softmax: test_softmax_large_scores"]
    assert "NaN" in failing[0]["output"] or "not close" in failing[0]["output"]

    built = autograder(course, "gradescope", "hw9", "--out", str(tmp_path / "zip"))
    assert built.returncode == 0, built.stderr
    zip_path = next((tmp_path / "zip").glob("*.zip"))
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    assert "setup.sh" in names and "run_autograder" in names
    assert any(n.endswith("reference/hw9/test_hw9.py") for n in names)


MIS_SCORINGS = {
    "test cell says 5, suite gives 4": (
        dict(notebook=build_notebook(sigmoid_points=5)),
        ["assignments/hw9/hw9.ipynb", "test_sigmoid", "says 5 points", "give 4", "test_sigmoid_small 2"]),
    "a hidden test without points": (
        dict(suite=SUITE.replace('@pytest.mark.task("sigmoid")\n@pytest.mark.points(2)\ndef test_sigmoid_matrix',
                                 '@pytest.mark.task("sigmoid")\ndef test_sigmoid_matrix')),
        ["reference/hw9/test_hw9.py:", "test_sigmoid_matrix", "no @pytest.mark.points"]),
    "task typo": (
        dict(suite=SUITE.replace('task("sigmoid")\n@pytest.mark.points(2)\ndef test_sigmoid_matrix',
                                 'task("sigmod")\n@pytest.mark.points(2)\ndef test_sigmoid_matrix')),
        ["test_hw9.py::test_sigmoid_matrix", 'task("sigmod")', "names no solution cell"]),
    "max_points 100 for a 10-point suite": (
        dict(course_yaml=COURSE_YAML.replace("max_points: 10", "max_points: 100")),
        ["course.yaml", "max_points 100", "10 points in total", "10 %"]),
    "a misspelt marker": (
        dict(suite=SUITE.replace("@pytest.mark.points(3)\ndef test_softmax_small",
                                 "@pytest.mark.point(3)\ndef test_softmax_small")),
        ["test_hw9.py:", "test_softmax_small", "unknown marker @pytest.mark.point"]),
    "a test that checks only the inputs": (
        dict(suite=SUITE.replace(
            '    assert_close(student.sigmoid(z), reference.sigmoid(z), call="sigmoid(z (4, 5))")\n', 
            '    student.sigmoid(z)\n')),
        ["test_sigmoid_matrix", "without checking the answer"]),
    "a reference importing another assignment's": (
        dict(suite=SUITE.replace('import numpy as np\n', 'import numpy as np\nfrom reference.hw1 import rng as _\n', 1)),
        ["reference/hw9/test_hw9.py:", "imports `reference.hw1`", "ships only reference/hw9/"]),
    "belongs to no component": (
        dict(course_yaml=COURSE_YAML.replace("assignments: [hw9]", "assignments: [hw8]").replace(
            "assignments:\n", "assignments:\n  hw8: {kind: homework, due: 2025-01-15, max_points: 10}\n")),
        ["course.yaml", "hw9", "component"]),
}


@pytest.mark.parametrize("case", list(MIS_SCORINGS))
def test_check_refuses_each_silent_mis_scoring(case: str, tmp_path: Path) -> None:
    changes, expected = MIS_SCORINGS[case]
    course = write_course(tmp_path / "course", **changes)
    checked = autograder(course, "check", "hw9")
    assert checked.returncode in (1, 2), checked.stdout
    said = checked.stdout + checked.stderr
    for fragment in expected:
        assert fragment in said, (fragment, said)


@pytest.mark.parametrize("case", ["test cell says 5, suite gives 4", "a hidden test without points", "task typo",
                                  "max_points 100 for a 10-point suite"])
def test_release_gradescope_and_batch_refuse_too(case: str, tmp_path: Path) -> None:
    changes, expected = MIS_SCORINGS[case]
    course = write_course(tmp_path / "course", **changes)
    (tmp_path / "subs").mkdir()
    for verb in (["release", "hw9", "--out", str(tmp_path / "rel")],
                 ["gradescope", "hw9", "--out", str(tmp_path / "zip")],
                 ["batch", "hw9", str(tmp_path / "subs"), "--no-progress"]):
        done = autograder(course, *verb)
        assert done.returncode == 2, (verb, done.stdout, done.stderr)
        assert "does not pass `autograder check hw9`" in done.stderr
        for fragment in expected:
            assert fragment in done.stderr, (verb, fragment, done.stderr)
    assert not (tmp_path / "rel").exists() and not (tmp_path / "zip").exists()


def test_do_nothing_functions_earn_nothing_in_check(tmp_path: Path) -> None:
    """A suite whose only check of sigmoid's large input is `isinstance` hands points to code that
    computes nothing; check names the test and the points."""
    weak = SUITE.replace(
        '    assert_close(student.sigmoid(z), reference.sigmoid(z), call="sigmoid(z (4, 5))")\n',
        '    from autograder.testing import assert_true\n'
        '    assert_true(student.sigmoid(z) is not 1, "sigmoid returned 1")\n')
    course = write_course(tmp_path / "course", suite=weak)
    checked = autograder(course, "check", "hw9")
    assert checked.returncode == 1
    assert "every function returns None earns 2 of 10 points: test_sigmoid_matrix (2)" in checked.stdout
