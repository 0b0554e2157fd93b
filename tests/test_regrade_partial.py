"""Regrade reruns only what changed (issue 22 item 2): after a points-only edit of the hidden
suite, every stored submission is re-scored from its stored outcomes and no student code runs
(no task reaches the worker pool, the only way student code runs in a batch); the scores equal a
fresh full grading with the edited suite. An edit of a test's code, or of what the tests share,
runs the submissions again; a gradebook from before fingerprints falls back to a full regrade.

Real notebooks graded in the real sandbox, on a copy of the course in a temporary folder."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder.assignment import load_assignment
from autograder.batch import core
from autograder.batch.core import run_batch, run_regrade
from autograder.batch.gradebook import Gradebook
from autograder.samples import blank_submission, perfect_submission, with_cells, write_notebook
from tests.test_batch import DUE, HOSTILE, REPO, WRONG, copy_course, person

# short timeouts for the looping submission, in the copy's course.yaml so that the CLI uses them too
LIMITS = [("cell_timeout_s: 30", "cell_timeout_s: 2"), ("call_timeout_s: 10", "call_timeout_s: 2"),
          ("submission_timeout_s: 300", "submission_timeout_s: 60")]
# one point moved from squared_error_gradient (8 -> 7) to polynomial_features (6 -> 7): two tests' points and
# the two test cells of the source notebook (points and comment), as `check` requires
POINTS_EDIT = [("@pytest.mark.points(2)\ndef test_polynomial_features_small(",
                "@pytest.mark.points(3)\ndef test_polynomial_features_small("),
               ("@pytest.mark.points(3)\ndef test_squared_error_gradient_shapes(",
                "@pytest.mark.points(2)\ndef test_squared_error_gradient_shapes(")]
NOTEBOOK_EDIT = [('"grade_id": "test_polynomial_features",\n     "locked": true,\n     "points": 6,',
                  '"grade_id": "test_polynomial_features",\n     "locked": true,\n     "points": 7,'),
                 ("# Tests for `polynomial_features` (6 points)", "# Tests for `polynomial_features` (7 points)"),
                 ('"grade_id": "test_squared_error_gradient",\n     "locked": true,\n     "points": 8,',
                  '"grade_id": "test_squared_error_gradient",\n     "locked": true,\n     "points": 7,'),
                 ("# Tests for `squared_error_gradient` (8 points)", "# Tests for `squared_error_gradient` (7 points)")]


def build_class(folder: Path, assignment) -> list[str]:
    """A small Gradescope export: perfect, blank, two wrong, one looping, one unreadable, one
    without a notebook. Returns the submission keys."""
    perfect = perfect_submission(assignment)
    plan: list[dict | bytes | None] = [perfect, blank_submission(assignment)]
    for name in ("polynomial_increasing_order", "gradient_sign_flipped"):
        grade_id, source, _ = WRONG[name]
        plan.append(with_cells(perfect, {grade_id: source}))
    plan += [with_cells(perfect, {HOSTILE["loops"][0]: HOSTILE["loops"][1]}), b'{"cells": [ not json', None]
    meta = {}
    for i, content in enumerate(plan):
        key = f"submission_{500000 + i}"
        (folder / key).mkdir(parents=True)
        if isinstance(content, dict):
            write_notebook(content, folder / key / "hw1.ipynb")
        elif isinstance(content, bytes):
            (folder / key / "hw1.ipynb").write_bytes(content)
        else:
            (folder / key / "hw1.pdf").write_bytes(b"%PDF-1.4 not a notebook")
        meta[key] = {":submitters": [person(i)], ":created_at": DUE - dt.timedelta(hours=1), ":score": None,
                     ":status": "processed", ":results": {}, ":history": []}
    (folder / "submission_metadata.yml").write_text(yaml.safe_dump(meta, sort_keys=True))
    return sorted(meta)


def load(course_file: Path):
    return load_assignment("hw1", course_file)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once; each test edits its own copy of the course and gradebook."""
    root = tmp_path_factory.mktemp("partial")
    course_file = copy_course(root / "course")
    edit(course_file, LIMITS)
    keys = build_class(root / "export", load(course_file))
    report = run_batch(load(course_file), root / "export", jobs=2, db_path=root / "gb.sqlite", csv_path=None,
                       progress=False)
    assert report.graded == len(keys) and not report.failed
    return dict(root=root, keys=keys)


@pytest.fixture
def copy(graded, tmp_path):
    """(course file, gradebook) copies for one test."""
    shutil.copytree(graded["root"] / "course", tmp_path / "course")
    shutil.copy2(graded["root"] / "gb.sqlite", tmp_path / "gb.sqlite")
    return tmp_path / "course" / "course.yaml", tmp_path / "gb.sqlite"


class Seen(list):
    def __init__(self) -> None:
        super().__init__()
        self.tasks: list[frozenset[str] | None] = []


@pytest.fixture
def pool_tasks(monkeypatch):
    """Every submission key handed to the worker pool (the real one still grades them); their
    task sets (None: every test) in ``seen.tasks``."""
    seen = Seen()
    real = core.grade_all

    def spy(assignment, tasks, jobs, on_done, on_failure):  # type: ignore[no-untyped-def]
        tasks = list(tasks)
        seen.extend(t.key for t in tasks)
        seen.tasks.extend(t.tasks for t in tasks)
        return real(assignment, tasks, jobs, on_done, on_failure)

    monkeypatch.setattr(core, "grade_all", spy)
    return seen


def edit(path: Path, edits: list[tuple[str, str]]) -> None:
    text = path.read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text)


def edit_suite(course_file: Path, edits: list[tuple[str, str]]) -> None:
    edit(course_file.parent / "reference" / "hw1" / "test_hw1.py", edits)


def move_a_point(course_file: Path) -> None:
    """The points-only edit an instructor makes: suite and source notebook, as check wants them."""
    edit_suite(course_file, POINTS_EDIT)
    edit(course_file.parent / "assignments" / "hw1" / "hw1.ipynb", NOTEBOOK_EDIT)


def outcomes(db: Path) -> dict[str, tuple]:
    """{key: (score, max, [(test, status, score, max, output)])} of the current gradings."""
    with Gradebook(db) as book:
        return {r.key: (r.score, r.max_score, [(t.name, t.status, t.score, t.max_score, t.output)
                                                for t in book.result_of(r.grading_id, "hw1").tests])
                for r in book.current_rows("hw1")}


def full_grading(graded, course_file: Path, tmp_path: Path) -> dict[str, tuple]:
    fresh = tmp_path / "fresh.sqlite"
    run_batch(load(course_file), graded["root"] / "export", jobs=2, db_path=fresh, csv_path=None, progress=False)
    return outcomes(fresh)


def test_points_only_edit_runs_no_student_code_and_matches_a_full_grading(graded, copy, pool_tasks, tmp_path):
    course_file, db = copy
    before = outcomes(db)
    move_a_point(course_file)
    report = run_regrade(load(course_file), jobs=2, db_path=db, progress=False)
    assert pool_tasks == [], "a points-only edit ran student code"
    assert report.graded == report.rescored == len(graded["keys"]) and not report.failed
    after = outcomes(db)
    assert after != before, "the moved point changed nobody's grading"
    pool_tasks.clear()
    assert after == full_grading(graded, course_file, tmp_path)
    again = run_regrade(load(course_file), jobs=2, db_path=db, progress=False)
    assert again.graded == 0 and pool_tasks == sorted(graded["keys"])  # only the fresh grading used the pool


def test_a_test_whose_code_changed_runs_its_task_again(graded, copy, pool_tasks, tmp_path):
    """Only the edited test's task (squared_error_gradient) runs; the other tasks' stored
    outcomes are re-scored; the result equals a full grading."""
    course_file, db = copy
    # a new docstring (what students see as its description): its fingerprint changes
    edit_suite(course_file, POINTS_EDIT + [(
        "def test_squared_error_gradient_shapes(student, reference):\n",
        "def test_squared_error_gradient_shapes(student, reference):\n    \"\"\"Shapes, edited.\"\"\"\n")])
    report = run_regrade(load(course_file), jobs=2, db_path=db, progress=False)
    assert report.rescored == 0 and report.partial == len(graded["keys"]) and sorted(pool_tasks) == graded["keys"]
    assert set(pool_tasks.tasks) == {frozenset({"squared_error_gradient"})}
    pool_tasks.clear()
    assert outcomes(db) == full_grading(graded, course_file, tmp_path)


def test_a_shared_helper_edit_runs_everything_again(graded, copy, pool_tasks):
    course_file, db = copy
    suite = course_file.parent / "reference" / "hw1" / "test_hw1.py"
    suite.write_text(suite.read_text() + "\n\nSHARED_TOLERANCE = 1e-6  # a module-level change\n")
    report = run_regrade(load(course_file), jobs=2, db_path=db, progress=False)
    assert report.rescored == report.partial == 0 and sorted(pool_tasks) == graded["keys"]
    assert set(pool_tasks.tasks) == {None}


def test_old_gradebook_without_fingerprints_falls_back_to_a_full_regrade(graded, copy, pool_tasks):
    course_file, db = copy
    with sqlite3.connect(db) as con:
        con.execute("UPDATE gradings SET context_hash = ''")
    edit_suite(course_file, POINTS_EDIT)
    report = run_regrade(load(course_file), jobs=2, db_path=db, progress=False)
    assert report.rescored == 0 and report.unfingerprinted == len(graded["keys"])
    assert sorted(pool_tasks) == graded["keys"]
    pool_tasks.clear()
    edit_suite(course_file, [(new, old) for old, new in POINTS_EDIT])  # now they have fingerprints
    again = run_regrade(load(course_file), jobs=2, db_path=db, progress=False)
    assert again.rescored == len(graded["keys"]) and pool_tasks == []


def test_the_cli_says_how_many_were_rescored(graded, copy):
    course_file, db = copy
    move_a_point(course_file)
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "regrade", "hw1", "--course", str(course_file),
                           "--db", str(db), "--no-progress"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    n = len(graded["keys"])
    assert f"{n} re-scored from stored results" in done.stdout and "0 re-ran only the tasks" in done.stdout and "0 re-run in full" in done.stdout


def test_fingerprints_see_through_points_aliases_and_keep_other_markers(tmp_path):
    """HW2-5 write ``points = pytest.mark.points`` and ``@points(3)``: a new number keeps the
    fingerprints and context (re-scorable); ``@per_loss(3)`` (points set inside a helper) keeps its
    marker in the fingerprint, so changing it changes the fingerprint (runs again)."""
    from autograder.batch.fingerprint import suite_fingerprints

    shutil.copytree(REPO / "reference" / "hw2", tmp_path / "hw2", ignore=shutil.ignore_patterns("__pycache__"))
    suite = tmp_path / "hw2" / "test_hw2.py"
    hw2 = dataclasses.replace(load_assignment("hw2", REPO / "course.yaml"), suite=suite,
                              reference_package=tmp_path / "hw2", course_root=tmp_path)
    before = suite_fingerprints(hw2)
    assert before.context and before.points["test_knn_distances_small"] == 3
    edit(suite, [('@points(3)\ndef test_knn_distances_small(', '@points(4)\ndef test_knn_distances_small(')])
    moved = suite_fingerprints(hw2)
    assert (moved.context, moved.tests) == (before.context, before.tests)
    assert moved.points["test_knn_distances_small"] == 4 and moved.points["test_loss_edge_shapes"] is None
    edit(suite, [('@per_loss(2)\ndef test_loss_edge_shapes(', '@per_loss(3)\ndef test_loss_edge_shapes(')])
    helper = suite_fingerprints(hw2)
    assert helper.context == before.context
    assert {n for n in helper.tests if helper.tests[n] != before.tests[n]} == {"test_loss_edge_shapes"}
