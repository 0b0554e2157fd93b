"""``autograder gradescope hwN --try``: fast because it reuses, never stale, and still the zip's own scripts.

A first ``--try`` on a new root seeds the grading environment from this one (the
distributions requirements.txt needs, no download) and runs the zip's setup.sh,
which finds it current; a second ``--try`` of the same zip reuses the laid-out root
and runs only run_autograder (as Gradescope runs setup.sh once per upload); a
changed zip is laid out and set up again; ``--fresh`` lets setup.sh pip-install a
new environment; a zip whose setup.sh fails still fails ``--try``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from autograder.assignment import load_assignment
from autograder.course import load_course
from autograder.gradescope import tryenv
from autograder.gradescope.build import build_zip, grading_requirements, try_zip
from tests import levels
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def run_try(submission: Path, root: Path, out: Path, *extra: str, course: Path | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "autograder.cli", "gradescope", "hw1", "--out", str(out), "--try", str(submission),
           "--root", str(root), *extra]
    if course is not None:
        cmd += ["--course", str(course)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def scratch() -> Any:
    folder = levels.scratch("autograder-gs-try-test-")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def notebooks(scratch: Path, perfect_notebooks, blank_notebooks) -> dict[str, Path]:
    paths = {"perfect": scratch / "perfect" / "hw1.ipynb", "blank": scratch / "blank" / "hw1.ipynb"}
    for name, path in paths.items():
        path.parent.mkdir()
        path.write_text(json.dumps((perfect_notebooks if name == "perfect" else blank_notebooks)["hw1"]))
    return paths


def site_file(venv: Path, name: str) -> Path:
    return next(venv.glob(f"lib/python*/site-packages/{name}"))


# ------------------------------------------------------------------ the zip and setup.sh
def test_the_zip_carries_pyprojects_dependencies_and_setup_sh_installs_wheels_only(scratch: Path) -> None:
    zip_path = build_zip(load_assignment("hw1", ROOT / "course.yaml"), scratch / "zip-only")
    with zipfile.ZipFile(zip_path) as archive:
        listed = [line for line in archive.read("requirements.txt").decode().splitlines()
                  if line and not line.startswith("#")]
        setup = archive.read("setup.sh").decode()
    assert listed == grading_requirements(ROOT / "pyproject.toml") and "numpy>=1.24" in listed
    assert not [r for r in listed if r.split("[")[0].split("=")[0].split(">")[0] in ("nbgrader", "jupyter", "notebook")]
    lines = setup.splitlines()
    at = [i for i, line in enumerate(lines) if "-m pip install" in line]
    assert len(at) == 1, "setup.sh runs pip once: the dependencies"
    install = lines[at[0]] + lines[at[0] + 1]  # with its continuation line
    assert "--only-binary :all:" in install and "--requirement" in install and "--editable" not in install


def test_a_rebuild_with_the_same_inputs_skips_nbgrader_and_a_changed_notebook_is_released_again(
        scratch: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import autograder.release

    folder = scratch / "release-cache"
    folder.mkdir()
    course_yaml = levels.copy_course(folder)
    assignment = load_assignment("hw1", course_yaml)
    out = folder / "out"
    first = build_zip(assignment, out).read_bytes()
    assert (out / ".hw1-release.json").is_file()

    def refuse(_assignment: Any) -> dict:
        raise AssertionError("released again although nothing changed")

    monkeypatch.setattr(autograder.release, "release_notebook", refuse)
    assert build_zip(assignment, out).read_bytes() == first  # same inputs: the same zip, without nbgrader
    monkeypatch.undo()

    source = assignment.source_notebook
    notebook = json.loads(source.read_text())
    markdown = next(c for c in notebook["cells"] if c["cell_type"] == "markdown")
    markdown["source"] = "".join(markdown["source"]) + "\n\nA sentence added after the first build.\n"
    source.write_text(json.dumps(notebook, indent=1) + "\n")
    with zipfile.ZipFile(build_zip(load_assignment("hw1", course_yaml), out)) as archive:
        assert "A sentence added after the first build." in archive.read("assignments/hw1/hw1.ipynb").decode()


def test_the_environment_closure_refuses_what_this_environment_cannot_satisfy() -> None:
    dists, why = tryenv.closure(["pytest>=8"])
    names = {d.metadata["Name"].lower() for d in dists}
    assert why is None and {"pytest", "pluggy", "iniconfig"} <= names and "nbgrader" not in names
    assert tryenv.closure(["numpy>=999"])[1].startswith("numpy ")  # pip must run: said, not seeded
    assert "not installed" in tryenv.closure(["surely-not-a-distribution-here"])[1]


# ------------------------------------------------------------------ --try end to end
def test_first_try_reuses_this_environment_and_the_second_only_runs_run_autograder(scratch: Path, notebooks) -> None:
    root, out = scratch / "root", scratch / "out"
    first = run_try(notebooks["perfect"], root, out)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "What the student sees: 100 / 100" in first.stdout
    assert "environment: reused" in first.stdout and "no download" in first.stdout, first.stdout
    assert "setup.sh completed" in first.stdout and "is up to date" in first.stdout  # the zip's setup.sh ran
    numpy_init = site_file(root / "venv", "numpy/__init__.py")
    assert not site_file(root / "venv", ".").joinpath("nbgrader").exists()  # only what grading needs
    venv_stamp = (root / "venv" / tryenv.STAMP_NAME).stat().st_mtime_ns

    second = run_try(notebooks["blank"], root, out)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "reusing" in second.stdout and "setup.sh completed" not in second.stdout
    assert "What the student sees: 0 / 100" in second.stdout  # the new submission, graded
    assert (root / "venv" / tryenv.STAMP_NAME).stat().st_mtime_ns == venv_stamp and numpy_init.is_file()
    assert_setup_kept_the_collection(root)


def assert_setup_kept_the_collection(root: Path) -> None:
    """setup.sh kept the hidden suite's collection, with the stamp the container's grader computes:
    a cold grade there imports neither pytest nor its collection (``autograder.suite``)."""
    manifest = root / "source/reference/hw1/__pycache__/autograder-collected.json"
    setup_completed = (root / ".autograder-try.json").stat().st_mtime_ns  # recorded before run_autograder
    assert manifest.stat().st_mtime_ns <= setup_completed, "kept by the first grade, not by setup.sh"
    kept = json.loads(manifest.read_text())
    probe = ("import json; from pathlib import Path; from autograder import grading; "
             "from autograder.assignment import load_assignment; "
             "print(json.dumps(grading._suite_stamp(load_assignment('hw1', Path('course.yaml')))))")
    stamp = subprocess.run([str(root / "venv/bin/python"), "-c", probe], cwd=root / "source",
                           capture_output=True, text=True, check=True).stdout
    assert kept["stamp"] == json.loads(stamp) and str(root / "source") in kept["file"]


def test_a_changed_course_is_laid_out_again_not_served_stale(scratch: Path, notebooks) -> None:
    folder = scratch / "changed"
    folder.mkdir()
    course_yaml = levels.copy_course(folder)
    root, out = scratch / "root-changed", scratch / "out-changed"
    first = run_try(notebooks["perfect"], root, out, course=course_yaml)
    assert first.returncode == 0 and "due 2025-01-22T23:59" in first.stdout, first.stdout + first.stderr

    text = course_yaml.read_text()
    course_yaml.write_text(text.replace("hw1: {title: Homework 1, kind: homework, release: 2025-01-13, due: 2025-01-22",
                                        "hw1: {title: Homework 1, kind: homework, release: 2025-01-13, due: 2025-01-25", 1))
    assert load_course(course_yaml).assignment("hw1").due.day == 25
    second = run_try(notebooks["perfect"], root, out, course=course_yaml)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "a new or changed zip" in second.stdout and "setup.sh completed" in second.stdout
    assert "environment: reusing" in second.stdout  # the venv of the first try: same Python, same requirements
    assert "due 2025-01-25T23:59" in second.stdout and "What the student sees: 100 / 100" in second.stdout


def test_fresh_lets_setup_sh_install_the_environment_as_on_gradescope(scratch: Path, notebooks) -> None:
    root, out = scratch / "root-fresh", scratch / "out"
    seeded = run_try(notebooks["perfect"], root, out)
    assert seeded.returncode == 0 and "environment: reused" in seeded.stdout, seeded.stdout + seeded.stderr
    fresh = run_try(notebooks["perfect"], root, out, "--fresh")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "--fresh" in fresh.stdout and "making the virtual environment" in fresh.stdout
    assert "What the student sees: 100 / 100" in fresh.stdout
    # pip's own install: numpy's files are the venv's own, not links to this environment's
    import numpy

    ours = Path(numpy.__file__).stat()
    theirs = site_file(root / "venv", "numpy/__init__.py").stat()
    assert (theirs.st_ino, theirs.st_dev) != (ours.st_ino, ours.st_dev)
    assert (root / "venv" / "bin" / "pip").exists()  # made by `python -m venv` with pip, then pip install


def test_a_zip_whose_setup_sh_fails_fails_try(scratch: Path, notebooks, capsys: pytest.CaptureFixture) -> None:
    assignment = load_assignment("hw1", ROOT / "course.yaml")
    good = build_zip(assignment, scratch / "out")
    broken = scratch / "broken" / "hw1-autograder.zip"
    broken.parent.mkdir()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "setup.sh":
                data = data.replace(b"\n# 3. The unprivileged user", b"\necho 'setup.sh: broken on purpose' >&2; exit 3\n"
                                                                      b"# 3. The unprivileged user", 1)
                assert b"exit 3" in data
            dst.writestr(info, data)
    course = load_course(ROOT / "course.yaml")
    code = try_zip(broken, assignment, course, notebooks["perfect"], root=scratch / "root-broken", late_hours=None)
    printed = capsys.readouterr().out
    assert code == 1 and "setup.sh failed (exit 3)" in printed and "broken on purpose" in printed
    assert "What the student sees" not in printed
    assert not (scratch / "root-broken" / tryenv.STATE_NAME).exists()  # nothing remembered: the next try sets up again


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another uid needs root")
def test_the_default_root_refuses_a_parent_someone_else_made(scratch: Path) -> None:
    """Another user who made /var/tmp/autograder-try-<uid> first could plant a venv there."""
    from autograder.errors import UnusableInput

    planted = scratch / "planted-parent"
    planted.mkdir()
    os.chown(planted, 61999, 61999)
    with pytest.raises(UnusableInput, match="not a folder of yours"):
        tryenv.make_root(planted / "hw1-0123456789", default=True)
    assert not (planted / "hw1-0123456789").exists()  # nothing made inside it
    mine = scratch / "my-parent"
    tryenv.make_root(mine / "hw1-0123456789", default=True)
    assert (mine / "hw1-0123456789").is_dir() and (mine.stat().st_mode & 0o777) == 0o755
    root = tryenv.default_root(ROOT, "hw1")
    assert root.parent.name == f"autograder-try-{os.getuid()}" and root.name.startswith("hw1-")
    assert tryenv.default_root(scratch, "hw1") != root  # one root per course folder
