"""The Gradescope zip: built by one command, run in Gradescope's layout, results.json to the spec.

The end-to-end tests build the zip, unpack it under a scratch ``AUTOGRADER_ROOT``,
run ``setup.sh`` once (as root, as CI is), then ``run_autograder`` per case, and
validate every results.json against a JSON Schema written from Gradescope's
specification (tests/data/gradescope_results.schema.json).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from autograder.gradescope.build import unpack
from autograder.gradescope.metadata import load_metadata, parse_metadata, parse_number, parse_time
from autograder.gradescope.run import ERROR_TEST_NAME, decide_lateness
from autograder.gradescope.submission import choose_notebook
from autograder.course import load_course
from tests.conftest import COURSE, ROOT

SCHEMA = json.loads((ROOT / "tests" / "data" / "gradescope_results.schema.json").read_text())
FIXTURE = next(p for p in (ROOT.parent / "shared" / "fixtures" / "gradescope" / "submission_metadata.json",
                           Path("/work/shared/fixtures/gradescope/submission_metadata.json")) if p.is_file())
SOLUTION_REGION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN_REGION = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
IS_ROOT = os.geteuid() == 0


# ------------------------------------------------------------------ helpers
def strict_json(text: str) -> Any:
    """json.loads that refuses NaN and Infinity (Python accepts them by default)."""
    def refuse(name: str) -> Any:
        raise ValueError(f"results.json contains {name}, which is not JSON")
    return json.loads(text, parse_constant=refuse)


def validate(results: dict[str, Any]) -> None:
    jsonschema.validate(results, SCHEMA)
    for value in [results["score"], results["execution_time"]] + \
            [t[k] for t in results["tests"] for k in ("score", "max_score")]:
        assert math.isfinite(value)


def iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="microseconds")


def metadata(hours_after_due: float, *, per_user_due: bool = True) -> dict[str, Any]:
    """The shared fixture with created_at shifted relative to the student's due date."""
    data = json.loads(FIXTURE.read_text())
    data = copy.deepcopy(data)
    if per_user_due:
        due = parse_time(data["users"][0]["assignment"]["due_date"])
    else:
        for user in data["users"]:
            user.pop("assignment", None)
        due = load_course(COURSE).assignment("hw1").due
    data["created_at"] = iso(due + dt.timedelta(hours=hours_after_due))
    return data


def graded(results: dict) -> list[dict]:
    """The tests that carry points (not the staff-only grading-environment note)."""
    return [t for t in results["tests"] if "environment" not in t["tags"]]


def total_max(results: dict[str, Any]) -> float:
    return sum(t["max_score"] for t in results["tests"])


# ------------------------------------------------------------------ unit tests (fast)
def test_metadata_reader_tolerates_gradescope_quirks():
    meta = load_metadata(FIXTURE)
    assert meta.created_at == dt.datetime(2025, 2, 6, 13, 57, 24, 522843, tzinfo=dt.timezone(-dt.timedelta(hours=8)))
    assert meta.total_points == 100.0 and meta.users[0].sid == ""
    assert meta.users[0].late_due_date is None and meta.assignment_late_due_date is not None
    assert meta.student_due_date() == parse_time("2025-02-05T23:59:00-08:00")  # the extension, not 02-03
    assert meta.previous_submissions[0].score == 64.0
    assert parse_number("") is None and parse_number("nan") is None and parse_number(True) is None
    assert parse_time("2025-02-06T13:57:24.5228-08:00").microsecond == 522800  # 4 digits (Python 3.10 refuses)
    assert parse_time("2025-02-06T13:57:24") is None  # naive: no zone, cannot be compared
    broken = parse_metadata({"created_at": None, "users": "nope", "assignment": []})
    assert broken.created_at is None and broken.problems and broken.users == ()
    assert load_metadata(Path("/nonexistent/submission_metadata.json")).problems


@pytest.mark.parametrize("hours, days, zeroed", [(-1, 0, False), (0.01, 1, False), (20, 1, False), (24, 1, False),
                                                  (24.01, 2, False), (47, 2, False), (48, 2, False), (49, 3, True)])
def test_lateness_counts_whole_days_from_created_at(hours, days, zeroed):
    late = decide_lateness(parse_metadata(metadata(hours)), load_course(COURSE), "hw1")
    assert late.late_days == days and bool(late.zeroed_reason) == zeroed
    assert "3 late days for the whole course" in late.note


def test_lateness_uses_gradescopes_due_date_then_the_extension_and_course_yaml_only_without_metadata_dates():
    course = load_course(COURSE)
    # No per-user date: the assignment's due date on Gradescope (02-03) decides, not course.yaml's (01-22),
    # so 20 h after course.yaml's date is on time; the difference goes to staff only.
    plain = decide_lateness(parse_metadata(metadata(20, per_user_due=False)), course, "hw1")
    assert plain.due == parse_time("2025-02-03T23:59:00-08:00") and plain.late_days == 0
    assert "before the due date" in plain.note and plain.staff_notes and "course.yaml" not in plain.note
    # 20 h after the assignment's Gradescope due date (02-03) but before this student's extension (02-05)
    data = json.loads(FIXTURE.read_text())
    data["created_at"] = "2025-02-04T19:59:00.000000-08:00"
    extended = decide_lateness(parse_metadata(data), course, "hw1")
    assert extended.late_days == 0 and "extended" in extended.note
    # no dates in the metadata at all: course.yaml's
    data["assignment"]["due_date"] = None
    data["users"][0].pop("assignment")
    data["created_at"] = "2025-01-23T19:59:00.000000-08:00"
    fallback = decide_lateness(parse_metadata(data), course, "hw1")
    assert fallback.due == course.assignment("hw1").due and fallback.late_days == 1 and not fallback.staff_notes
    assert "20 hours after the due date" in fallback.note


def test_choose_notebook(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / "hw1 (2).ipynb").write_text("{}")
    choice = choose_notebook(tmp_path, "hw1")
    assert choice.path.name == "hw1 (2).ipynb" and "hw1 (2).ipynb" in choice.notes[0]
    (tmp_path / "hw1.ipynb").write_text("{}")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "hw1-checkpoint.ipynb").write_text("{}")
    choice = choose_notebook(tmp_path, "hw1")
    assert choice.path.name == "hw1.ipynb" and "2 notebooks" in choice.notes[0]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert choose_notebook(empty, "hw1").path is None


# ------------------------------------------------------------------ the zip
@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gradescope-build")
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "gradescope", "hw1", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    zip_path = out / "hw1-autograder.zip"
    assert zip_path.is_file() and str(zip_path) in proc.stdout
    return zip_path


def test_zip_layout_entry_points_and_nothing_of_other_assignments(built):
    with zipfile.ZipFile(built) as archive:
        names = archive.namelist()
        infos = {i.filename: i for i in archive.infolist()}
        for entry in ("setup.sh", "run_autograder"):
            data = archive.read(entry)
            assert data.startswith(b"#!/usr/bin/env bash\n") and b"\r" not in data
            assert (infos[entry].external_attr >> 16) & 0o111 == 0o111, f"{entry} is not executable"
        assert b"set -euo pipefail" in archive.read("setup.sh")
    for required in ("course.yaml", "pyproject.toml", "autograder/grading.py", "autograder/sandbox/student_main.py",
                     "reference/__init__.py", "reference/hw1/__init__.py", "reference/hw1/test_hw1.py",
                     "assignments/hw1/hw1.ipynb"):
        assert required in names
    assert not [n for n in names if "hw2" in n or n.startswith(("tests/", "benchmarks/", ".venv"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "make_notebook" in n]


def test_zip_holds_no_solution_or_hidden_test_outside_reference_hw1(built, assignments):
    source_cells = json.loads(assignments["hw1"].source_notebook.read_text())["cells"]
    source_text = "".join("".join(c["source"]) + "\n" for c in source_cells)
    secret: set[str] = set()
    for region in SOLUTION_REGION.findall(source_text) + HIDDEN_REGION.findall(source_text):
        secret |= {line.strip() for line in region.splitlines() if len(line.strip()) > 12}
    visible = HIDDEN_REGION.sub("", SOLUTION_REGION.sub("", source_text))
    secret -= {line.strip() for line in visible.splitlines()}  # e.g. a line the task statement also shows
    suite_tests = set(re.findall(r"^def (test_\w+)", (ROOT / "reference/hw1/test_hw1.py").read_text(), re.M))
    assert len(secret) > 20 and suite_tests
    with zipfile.ZipFile(built) as archive:
        for name in archive.namelist():
            if name.startswith("reference/hw1/"):
                continue
            text = archive.read(name).decode("utf-8", errors="replace")
            if name.endswith(".ipynb"):
                text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
                assert marker not in text or name.startswith("autograder/"), f"{marker} in {name}"
            leaked = [line for line in secret if line in text]
            assert not leaked, f"{name} holds solution/hidden-test lines: {leaked[:3]}"
            assert not [t for t in suite_tests if t in text], f"{name} names hidden tests"


# ------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def gs_root(built) -> Any:
    """The zip unpacked as Gradescope does, with setup.sh run once.

    Under /var/tmp, not /tmp: the sandbox gives the student process a fresh
    tmpfs at /tmp, which would hide a virtual environment living under /tmp.
    """
    base = Path("/var/tmp") if Path("/var/tmp").is_dir() else None
    root = Path(tempfile.mkdtemp(prefix="autograder-gs-test-", dir=base))
    os.chmod(root, 0o755)
    unpack(built, root)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root))
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                           capture_output=True, text=True, timeout=600)
    assert setup.returncode == 0, setup.stdout + setup.stderr
    again = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout + again.stderr  # idempotent
    yield {"root": root, "env": env}
    shutil.rmtree(root, ignore_errors=True)


def run_gradescope(gs: dict[str, Any], files: dict[str, bytes], meta: dict[str, Any] | None) -> tuple[dict, str]:
    root = gs["root"]
    for sub in ("submission", "results"):
        shutil.rmtree(root / sub, ignore_errors=True)
        (root / sub).mkdir()
    for name, data in files.items():
        (root / "submission" / name).write_bytes(data)
    meta_file = root / "submission_metadata.json"
    meta_file.unlink(missing_ok=True)
    if meta is not None:
        meta_file.write_text(json.dumps(meta))
    proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=gs["env"], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = strict_json((root / "results" / "results.json").read_text())
    validate(results)
    return results, proc.stdout + proc.stderr


def nb_bytes(notebook: dict[str, Any]) -> bytes:
    return json.dumps(notebook).encode()


@pytest.mark.slow
def test_setup_sh_makes_the_venv_user_and_locks_hidden_material(gs_root):
    root = gs_root["root"]
    venv_python = root / "venv" / "bin" / "python"
    check = subprocess.run([str(venv_python), "-c", "import numpy, pytest, yaml, jsonschema, tqdm, IPython\n"
                            "import importlib.util as u; print(u.find_spec('jupyterlab'), u.find_spec('nbgrader'))"],
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.split() == ["None", "None"], check.stdout + check.stderr
    for hidden in ("reference", "reference/hw1/test_hw1.py", "reference/hw1/__init__.py", "course.yaml"):
        mode = (root / "source" / hidden).stat().st_mode
        assert mode & 0o077 == 0, f"{hidden} is readable by others: {oct(mode)}"
    assert (root / "source" / "autograder" / "sandbox" / "student_main.py").stat().st_mode & 0o004
    if IS_ROOT and shutil.which("useradd"):
        assert subprocess.run(["getent", "passwd", "61000"], capture_output=True).returncode == 0


@pytest.mark.slow
def test_perfect_on_time_gets_full_marks(gs_root, perfect_notebooks):
    results, log = run_gradescope(gs_root, {"hw1.ipynb": nb_bytes(perfect_notebooks["hw1"])}, metadata(-2))
    assert results["score"] == total_max(results) == 100
    assert all(t["status"] == "passed" for t in graded(results))
    assert "0 late days" in results["output"] and "3 late days for the whole course" in results["output"]
    assert {t["visibility"] for t in graded(results)} == {"visible", "after_published"}
    environment = [t for t in results["tests"] if "environment" in t["tags"]]
    assert environment and environment[0]["visibility"] == "hidden"  # isolation level: staff only
    assert "namespaces" in log or not IS_ROOT


@pytest.mark.slow
def test_blank_release_scores_zero(gs_root, blank_notebooks):
    results, _ = run_gradescope(gs_root, {"hw1.ipynb": nb_bytes(blank_notebooks["hw1"])}, metadata(-2))
    assert results["score"] == 0 and total_max(results) == 100
    assert all(t["status"] == "failed" for t in graded(results))
    assert "What to fix first" in results["output"]


@pytest.mark.slow
@pytest.mark.parametrize("hours, days", [(20, 1), (47, 2)])
def test_late_within_two_days_keeps_full_marks_and_says_late_days(gs_root, perfect_notebooks, hours, days):
    results, _ = run_gradescope(gs_root, {"hw1.ipynb": nb_bytes(perfect_notebooks["hw1"])}, metadata(hours))
    assert results["score"] == 100
    assert f"**{days} late day{'s' if days > 1 else ''}**" in results["output"]
    assert "3 late days for the whole course" in results["output"]


@pytest.mark.slow
def test_more_than_two_days_late_scores_zero_with_the_reason(gs_root, perfect_notebooks):
    results, _ = run_gradescope(gs_root, {"hw1.ipynb": nb_bytes(perfect_notebooks["hw1"])}, metadata(49))
    assert results["score"] == 0 and all(t["score"] == 0 for t in results["tests"])
    assert "scores 0" in results["output"] and "more than 2 days late earns 0" in results["output"]
    assert not any("autograder-error" in t["tags"] for t in results["tests"])


@pytest.mark.slow
def test_a_file_that_is_not_a_notebook_scores_zero_with_a_clear_message(gs_root):
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    results, _ = run_gradescope(gs_root, {"hw1.pdf": pdf}, metadata(-2))
    assert results["score"] == 0
    assert "no Jupyter notebook" in results["output"] and "`hw1.pdf`" in results["output"]
    assert not any("autograder-error" in t["tags"] for t in results["tests"])


@pytest.mark.slow
def test_renamed_notebook_is_graded_and_named(gs_root, perfect_notebooks):
    results, _ = run_gradescope(gs_root, {"hw1 (2).ipynb": nb_bytes(perfect_notebooks["hw1"])}, metadata(-2))
    assert results["score"] == 100 and "`hw1 (2).ipynb`" in results["output"]


@pytest.mark.slow
def test_two_notebooks_grades_the_one_with_the_assignment_and_says_which(gs_root, perfect_notebooks):
    scratch = {"cells": [{"cell_type": "code", "metadata": {}, "source": "print('scratch')", "outputs": [],
                          "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    files = {"Untitled.ipynb": nb_bytes(scratch), "hw1 (1).ipynb": nb_bytes(perfect_notebooks["hw1"])}
    results, _ = run_gradescope(gs_root, files, metadata(-2))
    assert results["score"] == 100
    assert "2 notebooks" in results["output"] and "`hw1 (1).ipynb` was graded" in results["output"]


@pytest.mark.slow
def test_missing_metadata_still_grades(gs_root, perfect_notebooks):
    results, log = run_gradescope(gs_root, {"hw1.ipynb": nb_bytes(perfect_notebooks["hw1"])}, None)
    assert results["score"] == 100 and "lateness not applied" in log


@pytest.mark.slow
def test_grader_failure_still_writes_a_valid_zero_that_blames_the_autograder(gs_root, perfect_notebooks, tmp_path):
    root = gs_root["root"]
    course = root / "source" / "course.yaml"
    saved = course.read_bytes()
    try:
        course.write_text("assignments: [this is not a course\n")
        results, log = run_gradescope(gs_root, {"hw1.ipynb": nb_bytes(perfect_notebooks["hw1"])}, metadata(-2))
    finally:
        course.write_bytes(saved)
    assert results["score"] == 0 and results["tests"][-1]["name"] == ERROR_TEST_NAME
    assert "not your fault" in results["output"] and "course.yaml" in log


@pytest.mark.slow
def test_run_autograder_writes_results_even_when_python_cannot_start(gs_root, tmp_path):
    root = tmp_path / "no-venv"
    (root / "source").mkdir(parents=True)
    shutil.copy2(gs_root["root"] / "run_autograder", root / "run_autograder")
    proc = subprocess.run([str(root / "run_autograder")], cwd=root, env=dict(os.environ, AUTOGRADER_ROOT=str(root)),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    results = strict_json((root / "results" / "results.json").read_text())
    validate(results)
    assert results["score"] == 0 and results["tests"][0]["name"] == ERROR_TEST_NAME


@pytest.mark.slow
def test_try_runs_the_zip_like_gradescope_and_prints_the_student_view(gs_root, perfect_notebooks, tmp_path):
    submission = tmp_path / "hw1.ipynb"
    submission.write_bytes(nb_bytes(perfect_notebooks["hw1"]))
    # --root reuses the fixture's virtual environment (setup.sh still runs, and finds it current)
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "gradescope", "hw1", "--out", str(tmp_path),
                           "--try", str(submission), "--root", str(gs_root["root"]), "--late", "30"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "What the student sees: 100 / 100" in proc.stdout and "**2 late days**" in proc.stdout
    assert (tmp_path / "hw1-autograder.zip").is_file()
