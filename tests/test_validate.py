"""``autograder validate``: what a student sees before submitting, with only the released
notebook (and its support files) in a folder, no course.yaml and no reference/.

Every notebook here is a real release (nbgrader's preprocessors) with a student's edits,
run in the real sandbox process; the CLI runs as a subprocess where the exit code matters.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from autograder.grading import grade_submission
from autograder.samples import with_cells, write_notebook
from autograder.validate import STAMP_KEY, Report, nbgrader_checksum, validate
from tests.conftest import ROOT, variants

HOMEWORK = ("hw1", "hw2")
CLI = [sys.executable, "-m", "autograder.cli"]


def student_folder(tmp_path: Path, assignment: Any, notebook: dict[str, Any], name: str = "") -> Path:
    """A fresh folder as on a student's laptop: the notebook and the release's support files."""
    folder = tmp_path / f"student-{len(list(tmp_path.iterdir()))}"
    path = write_notebook(notebook, folder / (name or f"{assignment.name}.ipynb"))
    for support in assignment.support_files:
        shutil.copy(support, folder / support.name)
    return path


def cli(path: Path) -> subprocess.CompletedProcess[str]:
    """``autograder validate NOTEBOOK`` run by a student in the notebook's folder (no course.yaml there)."""
    return subprocess.run([*CLI, "validate", path.name], cwd=path.parent, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def cell_index(notebook: dict[str, Any], grade_id: str) -> int:
    return next(i for i, c in enumerate(notebook["cells"])
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def code_cell(source: str) -> dict[str, Any]:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}


def only(report: Report, kind: str) -> list[Any]:
    return [f for f in report.findings if f.kind == kind]


# ---------------------------------------------------------------- ready / blank
@pytest.mark.parametrize("name", HOMEWORK)
def test_solved_release_is_ready_exit_0(name, assignments, perfect_notebooks, tmp_path):
    path = student_folder(tmp_path, assignments[name], perfect_notebooks[name])
    proc = cli(path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == f"Ready to submit: upload {name}.ipynb to Gradescope."
    assert "cannot show" in proc.stdout and "Hidden tests" in proc.stdout
    visible = sum(1 for c in perfect_notebooks[name]["cells"]
                  if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c["cell_type"] == "code")
    assert f"Notebook checks: {visible} of {visible} passed." in proc.stdout


@pytest.mark.parametrize("name", HOMEWORK)
def test_blank_release_reports_every_function_not_implemented_exit_1(name, assignments, blank_notebooks, tmp_path):
    notebook = blank_notebooks[name]
    path = student_folder(tmp_path, assignments[name], notebook)
    report = validate(path)
    assert report.exit_code == 1
    stamp = notebook["metadata"][STAMP_KEY]
    functions = [n for e in stamp["cells"] if e["role"] == "solution" for n in e["defines"]]
    assert functions
    reported = {f.subject: f for f in only(report, "not-implemented")}
    assert set(reported) == set(functions)
    for name_ in functions:  # located at the cell that defines it
        assert f"`{name_}`" in reported[name_].where and "NotImplementedError" in reported[name_].message
    assert [f.kind for f in report.problems] == ["not-implemented"] * len(functions)  # nothing else, no duplicates
    assert report.ordered() == sorted(report.findings, key=lambda f: f.order)
    assert report.last_line().startswith("First thing to fix: cell ")


# ---------------------------------------------------------------- each mistake: its own message and place
def test_cell_that_depends_on_a_later_cell(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    at = cell_index(notebook, "polynomial_features")
    notebook["cells"].insert(at, code_cell("x_scaled = raw_sqft / scale\n"))
    notebook["cells"].insert(at + 3, code_cell("scale = 1000.0\nraw_sqft = 3.0\n"))
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    [finding] = report.problems
    assert finding.kind == "raises"
    assert finding.where.startswith(f"cell {at + 1} ")
    assert "NameError: name 'raw_sqft' is not defined" in finding.message
    assert f"defined only later, in cell {at + 4}" in finding.message
    assert "defined only later" in report.last_line()


def test_renamed_function(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    at = cell_index(notebook, "fit_least_squares")
    notebook["cells"][at]["source"] = notebook["cells"][at]["source"].replace(
        "def fit_least_squares(", "def fit_leastsquares(")
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    [missing] = only(report, "missing-function")
    assert missing.subject == "fit_least_squares"
    assert missing.where.startswith(f"cell {at + 1} ")
    assert "rename it to `fit_leastsquares`" in missing.message
    assert report.problems[0] is missing and report.exit_code == 1
    knock_on = [f for f in only(report, "visible-test") if f.subject == "test_select_degree"]  # calls it
    assert knock_on and "fails because `fit_least_squares`" in knock_on[0].message


def test_locked_test_cell_edited(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    at = cell_index(notebook, "test_squared_error_loss")
    notebook["cells"][at]["source"] = "# the asserts were in the way\nprint('all good')\n"
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    [changed] = report.problems
    assert changed.kind == "locked-changed"
    assert changed.where == f"cell {at + 1} (test_squared_error_loss)"
    assert "locked test cell was changed" in changed.message
    assert all(v.passed for v in report.visible)  # the released test ran, not the edit


def test_locked_instructor_cell_edited_is_what_the_grader_restores(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    at = cell_index(notebook, "imports")
    notebook["cells"][at]["source"] += "\nimport numpy as numpy_again\n"
    path = student_folder(tmp_path, assignments["hw1"], notebook)
    report = validate(path)
    assert [(f.kind, f.where) for f in report.problems] == [("locked-changed", f"cell {at + 1} (imports)")]
    assert "replaces it by the original" in report.problems[0].message
    assert grade_submission(assignments["hw1"], path).problems  # the grader says so too


def test_edited_skip_grading_cell_is_only_worth_knowing(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    at = cell_index(notebook, "plot_westwood_data")
    notebook["cells"][at]["source"] += "\nplt.title('my own title')\n"
    path = student_folder(tmp_path, assignments["hw1"], notebook)
    report = validate(path)
    assert report.ready
    [note] = only(report, "locked-changed")
    assert not note.problem and note.where == f"cell {at + 1} (plot_westwood_data)"
    assert grade_submission(assignments["hw1"], path).problems == []  # the grader agrees: nothing to fix


@pytest.mark.slow
def test_cell_that_loops(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    notebook["metadata"][STAMP_KEY]["limits"]["cell_timeout_s"] = 1  # the release's limit, made short
    at = cell_index(notebook, "squared_error_loss")
    notebook["cells"].insert(at + 1, code_cell("while True:\n    pass\n"))
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    [loop] = report.problems
    assert loop.kind == "timeout"
    assert loop.where == f"cell {at + 2} (starts `while True:`)"
    assert "still running after 1 s" in loop.message
    assert all(v.passed for v in report.visible)  # the other cells ran


@pytest.mark.slow
def test_fifty_megabyte_output(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    at = cell_index(notebook, "squared_error_loss")
    picture = base64.b64encode(os.urandom(37_500_000)).decode()  # 50 MB of base64
    notebook["cells"][at]["outputs"] = [{"output_type": "display_data", "metadata": {},
                                         "data": {"image/png": picture}}]
    path = student_folder(tmp_path, assignments["hw1"], notebook)
    report = validate(path)
    [large] = report.problems
    assert large.kind == "too-large" and large.where == "hw1.ipynb"
    assert re.search(r"the file is 4\d\.\d MB", large.message)
    assert f"cell {at + 1} (defines `squared_error_loss`): 4" in large.message
    assert "Clear" in large.message


def test_magics_are_no_ops_and_skipped_cells_do_not_run(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    at = cell_index(notebook, "polynomial_features")
    notebook["cells"].insert(at, code_cell("%matplotlib inline\n!pip install nothing-at-all\n%time x = 1\n"))
    notebook["cells"][at + 1]["metadata"]["tags"] = ["skip-grading"]  # a student's tag: the grader runs it anyway
    # a release whose skip-grading cell would fail if it ran
    assert "skip-grading" in notebook["cells"][cell_index(notebook, "demo_least_squares")]["metadata"]["tags"]
    _rewrite_released_cell(notebook, "demo_least_squares", "raise RuntimeError('a skip-grading cell ran')\n")
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    assert report.ready, report.render()


def test_notebook_over_the_total_time_is_said_once(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    notebook["metadata"][STAMP_KEY]["limits"].update(submission_timeout_s=2, cell_timeout_s=1.5)
    at = cell_index(notebook, "polynomial_features")
    for _ in range(3):
        notebook["cells"].insert(at, code_cell("import time\ntime.sleep(1.0)\n"))
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    sleepers = {f"cell {at + k}" for k in (1, 2, 3)}
    assert {f.kind for f in report.problems} == {"timeout"}
    assert {f.where.split(" (")[0] for f in report.problems} <= sleepers  # nothing after them is listed
    [not_run] = [f for f in report.problems if f.message.startswith("not run")]  # said once
    assert "total time of 2 s" in not_run.message and "nor the notebook checks" in not_run.message


def _rewrite_released_cell(notebook: dict[str, Any], grade_id: str, source: str) -> None:
    """Change a locked cell as a release would have it (source, nbgrader checksum and stamp agree)."""
    cell = notebook["cells"][cell_index(notebook, grade_id)]
    cell["source"] = source
    cell["metadata"]["nbgrader"]["checksum"] = nbgrader_checksum(cell)
    [entry] = [e for e in notebook["metadata"][STAMP_KEY]["cells"] if e["grade_id"] == grade_id]
    entry["source"] = source


def test_visible_test_needing_a_skipped_cell_is_not_held_against_the_student(assignments, perfect_notebooks,
                                                                             tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    _rewrite_released_cell(notebook, "plot_setup", "from math import isclose as close_enough\n")  # skip-grading
    test = notebook["cells"][cell_index(notebook, "test_squared_error_loss")]
    _rewrite_released_cell(notebook, "test_squared_error_loss",
                           "".join(test["source"]) + "\nassert close_enough(1.0, 1.0)\n")
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    assert report.ready, report.render()
    [note] = only(report, "visible-test")
    assert not note.problem and "uses `close_enough`" in note.message
    assert "1 could not run here" in report.render()


def test_slow_cell_is_a_warning_not_a_problem(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    notebook["metadata"][STAMP_KEY]["limits"]["cell_timeout_s"] = 2
    at = cell_index(notebook, "squared_error_loss")
    notebook["cells"].insert(at + 1, code_cell("import time\ntime.sleep(1.2)\n"))
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    assert report.ready and report.exit_code == 0
    [slow] = only(report, "slow")
    assert slow.where == f"cell {at + 2} (starts `import time`)" and "stops a cell after 2 s" in slow.message
    assert "Worth knowing:" in report.render()


def test_support_file_changed_or_missing(assignments, perfect_notebooks, tmp_path):
    assignment = assignments["hw2"]
    support = "data_utils.py"  # beside digits.npz, the data it loads
    path = student_folder(tmp_path, assignment, perfect_notebooks["hw2"])
    with open(path.parent / support, "a") as handle:
        handle.write("\nSEED = 0  # my own tweak\n")
    report = validate(path)  # validate runs the release's copy, as the grader does: a note, not a problem
    [changed] = [f for f in report.findings if f.kind == "support-file"]
    assert (changed.kind, changed.where, changed.problem, report.ready) == ("support-file", support, False, True)
    assert "differs from the release's" in changed.message
    (path.parent / support).unlink()
    missing = [f for f in validate(path).findings if f.kind == "support-file"]
    assert len(missing) == 1 and "is not beside your notebook" in missing[0].message


def test_nbformat_3_file_is_unusable_exit_2(tmp_path):
    path = tmp_path / "hw1.ipynb"
    path.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                                "worksheets": [{"cells": []}]}))
    proc = cli(path)
    assert proc.returncode == 2
    assert "old nbformat 3 notebook" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].startswith("Not ready: hw1.ipynb is an old nbformat 3 notebook")


def test_python_script_renamed_ipynb_is_unusable_exit_2(tmp_path):
    path = tmp_path / "hw1.ipynb"
    path.write_text("import numpy as np\n\n\ndef polynomial_features(x, degree):\n    return x\n")
    proc = cli(path)
    assert proc.returncode == 2
    assert "hw1.ipynb is a Python script renamed to .ipynb" in proc.stdout
    assert "starts `import numpy as np`" in proc.stdout


def test_notebook_named_differently_from_the_release(assignments, perfect_notebooks, tmp_path):
    path = student_folder(tmp_path, assignments["hw1"], perfect_notebooks["hw1"], name="hw1 (2).ipynb")
    report = validate(path)
    assert [(f.kind, f.where) for f in report.problems] == [("file-name", "hw1 (2).ipynb")]
    assert "Rename it to `hw1.ipynb`" in report.problems[0].message


def test_notebook_without_the_release_stamp_is_unusable(assignments, perfect_notebooks, tmp_path):
    notebook = copy.deepcopy(perfect_notebooks["hw1"])
    del notebook["metadata"][STAMP_KEY]
    report = validate(student_folder(tmp_path, assignments["hw1"], notebook))
    assert report.exit_code == 2 and "does not say which assignment" in report.unusable


# ---------------------------------------------------------------- nbgrader's checksums
@pytest.mark.parametrize("name", HOMEWORK)
def test_checksum_agrees_with_nbgrader(name, blank_notebooks):
    import nbformat
    from nbgrader.utils import compute_checksum

    notebook = copy.deepcopy(blank_notebooks[name])
    edited = copy.deepcopy(notebook["cells"][cell_index(notebook, f"test_{_first_solution(notebook)}")])
    edited["source"] += "\nprint('changed')  # é\n"
    edited["id"] = "edited-copy"
    notebook["cells"].append(edited)
    nodes = nbformat.reads(json.dumps(notebook), as_version=4).cells  # as nbgrader reads a notebook
    compared = 0
    for cell, node in zip(notebook["cells"], nodes):
        if "nbgrader" not in cell.get("metadata", {}):
            continue
        assert nbgrader_checksum(cell) == compute_checksum(node)
        if cell is not edited and "checksum" in cell["metadata"]["nbgrader"]:
            assert nbgrader_checksum(cell) == cell["metadata"]["nbgrader"]["checksum"]
        compared += 1
    assert compared > 10
    assert nbgrader_checksum(edited) != edited["metadata"]["nbgrader"]["checksum"]


def _first_solution(notebook: dict[str, Any]) -> str:
    return next(e["grade_id"] for e in notebook["metadata"][STAMP_KEY]["cells"] if e["role"] == "solution")


# ---------------------------------------------------------------- validation and grading agree
def _variant_cases():
    for name in HOMEWORK:
        module = variants(name)
        for key, (grade_id, source, _) in module.WRONG.items():
            yield pytest.param(name, grade_id, source, False, id=f"{name}-wrong-{key}")
        for key, (grade_id, source) in module.CORRECT.items():
            yield pytest.param(name, grade_id, source, True, id=f"{name}-correct-{key}")


@pytest.mark.slow
@pytest.mark.parametrize("name, grade_id, source, correct", list(_variant_cases()))
def test_ready_means_the_grader_finds_no_notebook_problem(name, grade_id, source, correct, assignments,
                                                          perfect_notebooks, tmp_path):
    path = student_folder(tmp_path, assignments[name], with_cells(perfect_notebooks[name], {grade_id: source}))
    report = validate(path)
    if correct:
        assert report.ready, report.render()
    if report.ready:
        result = grade_submission(assignments[name], path)
        assert result.problems == []


# ---------------------------------------------------------------- what the release gives students
def test_release_folder_has_the_student_readme(assignments, tmp_path):
    from autograder.release import release

    folder = release(assignments["hw1"], tmp_path)
    readme = (folder / "README.md").read_text()
    assert "autograder validate hw1.ipynb" in readme
    assert re.search(r"pip install autograder-[\w.]+-py3-none-any\.whl", readme)
    assert "Wednesday 22 January 2025, 23:59" in readme  # course.yaml's due date, in the course's time zone
    assert "3 late days" in readme and "at most 2" in readme
    assert "Restart & Run All" in readme and "Gradescope" in readme
    assert "$" not in readme.replace("$ ", "")  # every placeholder filled
    stamp = json.loads((folder / "hw1.ipynb").read_text())["metadata"][STAMP_KEY]
    assert stamp["assignment"] == "hw1" and stamp["notebook"] == "hw1.ipynb"
    assert stamp["limits"]["cell_timeout_s"] == assignments["hw1"].limits.cell_timeout_s


def _solution_lines(source_notebook: Path, released_text: str) -> set[str]:
    """Distinctive lines between BEGIN/END SOLUTION (and hidden tests) that the release does not show."""
    lines: set[str] = set()
    for cell in json.loads(source_notebook.read_text())["cells"]:
        text = "".join(cell.get("source", ""))
        regions = re.findall(r"### BEGIN (?:SOLUTION|HIDDEN TESTS)(.*?)### END (?:SOLUTION|HIDDEN TESTS)", text, re.S)
        for block in regions:
            for line in block.splitlines():
                line = line.strip()
                if len(line) >= 25 and not line.startswith("#") and line not in released_text:
                    lines.add(line)
    return lines


@pytest.mark.slow
def test_the_student_wheel_holds_no_hidden_material(assignments, tmp_path):
    from autograder.samples import blank_submission

    from autograder.validate import build_student_wheel, wheel_name

    wheel = build_student_wheel(tmp_path)  # what `autograder release` puts beside the notebook
    assert wheel is not None and wheel.name == wheel_name()
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        text = "\n".join(archive.read(n).decode("utf-8", "replace") for n in names)
    assert "autograder/validate.py" in names and "autograder/templates/README_students.md" in names
    assert not [n for n in names if n.endswith("/samples.py")]  # solved submissions are instructors' only
    assert not [n for n in names if "/integrity/" in n or n.endswith("/copies.py")]  # staff-only thresholds
    assert not [n for n in names if n.startswith("reference/") or "/reference/" in n or n.startswith("assignments/")]
    public = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                        for a in assignments.values() for c in blank_submission(a)["cells"])  # every release
    secret: set[str] = set()
    for notebook in sorted((ROOT / "assignments").glob("*/*.ipynb")):
        secret |= _solution_lines(notebook, public)
    for suite in sorted((ROOT / "reference").rglob("*.py")):  # the references and the hidden suites
        for line in suite.read_text().splitlines():
            line = line.strip()
            if len(line) >= 40 and line not in public and not line.startswith(("#", "import ", "from ", '"""')):
                secret.add(line)
    assert len(secret) > 100
    leaked = sorted(line for line in secret if line in text)
    assert leaked == []
