"""Batch grading end to end: a synthetic Gradescope export of a few dozen HW1
submissions (perfect, blank, partly wrong, hostile, malformed, late) graded with
two workers into a gradebook; resume after SIGKILL; zip entries that try to
escape; regrade after a hidden test changes.

Everything runs on a copy of the course in a temporary folder, so the real
course and its gradebook are never touched.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from autograder.assignment import load_assignment
from autograder.batch.core import run_batch, run_regrade
from autograder.batch.gradebook import Gradebook
from autograder.batch.inputs import discover, safe_extract
from autograder.errors import UnusableInput
from autograder.sandbox.process import Limits
from autograder.samples import blank_submission, perfect_submission, with_cells, write_notebook

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from variants.hw1_variants import WRONG  # noqa: E402

PT = dt.timezone(dt.timedelta(hours=-8))
DUE = dt.datetime(2025, 1, 22, 23, 59, tzinfo=PT)  # course.yaml: hw1 due 2025-01-22 (11:59 pm Pacific)
WRONG_USED = ["polynomial_increasing_order", "loss_missing_half", "gradient_sign_flipped",
              "split_not_shuffled", "log_density_missing_2pi", "predict_ignores_priors"]
HOSTILE = {
    "exits": ("fit_least_squares", "import os\nos._exit(1)\n"),
    "loops": ("squared_error_loss", "while True:\n    pass\n"),
    "reads_tests": ("polynomial_features", "import glob\nprint(glob.glob('/**/test_hw1.py', recursive=True))\n"),
}


def copy_course(target: Path) -> Path:
    """course.yaml, assignments/hw1 and reference/ copied to ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "course.yaml", target / "course.yaml")
    shutil.copytree(REPO / "assignments" / "hw1", target / "assignments" / "hw1",
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    (target / "reference").mkdir()
    shutil.copy2(REPO / "reference" / "__init__.py", target / "reference" / "__init__.py")
    shutil.copytree(REPO / "reference" / "hw1", target / "reference" / "hw1",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return target / "course.yaml"


def person(i: int) -> dict:
    return {":name": f"Student {i:02d}", ":sid": f"9050000{i:02d}", ":email": f"s{i:02d}@example.edu"}


def build_export(folder: Path, assignment) -> dict[str, dict]:
    """A Gradescope export folder; returns {submission key: what it is}."""
    perfect, blank = perfect_submission(assignment), blank_submission(assignment)
    plan: list[tuple[str, dict | bytes | None, dt.datetime]] = []
    on_time = DUE - dt.timedelta(hours=3)
    for n in range(6):
        plan.append(("perfect", perfect, on_time - dt.timedelta(minutes=n)))
    for n in range(3):
        plan.append(("blank", blank, on_time))
    for name in WRONG_USED:
        grade_id, source, _ = WRONG[name]
        plan.append((f"wrong:{name}", with_cells(perfect, {grade_id: source}), on_time))
    for name, (grade_id, source) in HOSTILE.items():
        plan.append((f"hostile:{name}", with_cells(perfect, {grade_id: source}), on_time))
    plan.append(("malformed:json", b'{"cells": [ this is not json', on_time))
    plan.append(("malformed:no-notebook", None, on_time))
    plan.append(("late:5min", perfect, DUE + dt.timedelta(minutes=5)))      # 1 late day
    plan.append(("late:30h", perfect, DUE + dt.timedelta(hours=30)))        # 2 late days
    plan.append(("late:3days", perfect, DUE + dt.timedelta(days=2, hours=1)))  # 3 days: scores 0
    meta: dict[str, dict] = {}
    kinds: dict[str, dict] = {}
    for i, (kind, content, when) in enumerate(plan):
        key = f"submission_{400000 + i}"
        sub = folder / key
        sub.mkdir(parents=True)
        if isinstance(content, dict):
            write_notebook(content, sub / "hw1.ipynb")
        elif isinstance(content, bytes):
            (sub / "hw1.ipynb").write_bytes(content)
        else:
            (sub / "hw1.pdf").write_bytes(b"%PDF-1.4 not a notebook")
        meta[key] = {":submitters": [person(i)], ":created_at": when, ":score": 50.0,
                     ":status": "processed", ":results": {}, ":history": []}
        kinds[key] = {"kind": kind, "sid": person(i)[":sid"], "path": sub / "hw1.ipynb"}
    # a group submission whose second member also submitted alone (duplicated SID)
    group = f"submission_{400000 + len(plan)}"
    write_notebook(perfect, folder / group / "hw1.ipynb")
    meta[group] = {":submitters": [person(90), person(0)], ":created_at": on_time, ":score": None,
                   ":status": "processed", ":results": {}, ":history": []}
    kinds[group] = {"kind": "group", "sid": f"{person(90)[':sid']}; {person(0)[':sid']}",
                    "path": folder / group / "hw1.ipynb"}
    # listed but its folder is missing
    meta["submission_499999"] = {":submitters": [person(99)], ":created_at": on_time, ":score": None,
                                 ":status": "failed", ":results": {}, ":history": []}
    kinds["submission_499999"] = {"kind": "missing-folder", "sid": person(99)[":sid"], "path": None}
    text = yaml.safe_dump(meta, sort_keys=True, allow_unicode=True)
    (folder / "submission_metadata.yml").write_text(text)
    return kinds


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The export graded once with two workers; shared by the tests below."""
    root = tmp_path_factory.mktemp("batch")
    course_file = copy_course(root / "course")
    assignment = load_assignment("hw1", course_file)
    assignment = dataclasses.replace(assignment, limits=Limits(cell_timeout_s=2, call_timeout_s=2,
                                                               submission_timeout_s=60))
    export = root / "export"
    kinds = build_export(export, assignment)
    # zip it the way Gradescope does (one top folder), and grade the zip
    archive = root / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(export.rglob("*")):
            if path.is_file():
                zf.write(path, "assignment_1_export/" + path.relative_to(export).as_posix())
    db = root / "gradebook.sqlite"
    out = root / "hw1.csv"
    report = run_batch(assignment, archive, jobs=2, db_path=db, csv_path=out, progress=False)
    rows = {r["submission"]: r for r in csv.DictReader(out.open())}
    return dict(root=root, assignment=assignment, kinds=kinds, report=report, db=db, csv=out, rows=rows,
                course_file=course_file, export=export)


def test_every_submission_has_one_row_with_the_right_score(graded):
    rows, kinds, report = graded["rows"], graded["kinds"], graded["report"]
    assert set(rows) == set(kinds), "one CSV row per submission, none lost"
    assert report.graded == len(kinds) and report.skipped == 0 and not report.failed
    for key, info in kinds.items():
        row, kind = rows[key], info["kind"]
        assert row["sid"] == info["sid"]
        assert row["max_score"] == "100"
        score = float(row["score"])
        if kind in ("perfect", "group", "late:5min", "late:30h"):
            assert score == 100, (kind, row)
        elif kind in ("blank", "malformed:json", "malformed:no-notebook", "missing-folder", "late:3days"):
            assert score == 0, (kind, row)
        else:  # partly wrong or hostile: loses some points, keeps others
            assert 0 < score < 100, (kind, row)
    late = {kinds[k]["kind"]: rows[k] for k in kinds if kinds[k]["kind"].startswith("late")}
    assert (late["late:5min"]["lateness"], late["late:5min"]["late_days"]) == ("0:05:00", "1")
    assert late["late:30h"]["late_days"] == "2"
    assert late["late:3days"]["late_days"] == "3" and "scored 0" in late["late:3days"]["notes"]
    on_time = next(r for k, r in rows.items() if kinds[k]["kind"] == "perfect")
    assert on_time["lateness"] == "0:00:00" and on_time["submission_time"].startswith("2025-01-22 ")
    # one column per hidden test, with that test's points
    test_columns = [c for c in on_time if c.startswith("test_")]
    assert len(test_columns) >= 10 and sum(float(on_time[c]) for c in test_columns) == 100


def test_problems_are_reported_by_name(graded):
    problems = "\n".join(graded["report"].problems)
    kinds, rows = graded["kinds"], graded["rows"]
    no_nb = next(k for k in kinds if kinds[k]["kind"] == "malformed:no-notebook")
    assert f"{no_nb}: no notebook" in problems and "hw1.pdf" in problems
    assert "submission_499999" in problems and "missing" in problems
    assert f"SID {kinds[next(iter(kinds))]['sid']}" in problems  # student 00 is also in the group
    bad = next(k for k in kinds if kinds[k]["kind"] == "malformed:json")
    assert "not valid JSON" in rows[bad]["notes"]
    hostile = next(k for k in kinds if kinds[k]["kind"] == "hostile:loops")
    assert "still running" in rows[hostile]["notes"] or float(rows[hostile]["score"]) < 100


def test_batch_scores_equal_single_grading(graded):
    from autograder.grading import grade_submission

    kinds, rows = graded["kinds"], graded["rows"]
    sample = [next(k for k in kinds if kinds[k]["kind"] == kind)
              for kind in ("wrong:loss_missing_half", "wrong:predict_ignores_priors", "hostile:exits")]
    for key in sample:
        single = grade_submission(graded["assignment"], kinds[key]["path"], slot=5)
        assert float(rows[key]["score"]) == single.score, key
        for test in single.tests:
            assert float(rows[key][test.name]) == test.score, (key, test.name)


def test_a_second_run_regrades_nothing_and_export_matches(graded, tmp_path):
    with Gradebook(graded["db"]) as book:
        before = list(book.gradings_of("hw1"))
    again = run_batch(graded["assignment"], graded["export"], jobs=2, db_path=graded["db"],
                      csv_path=tmp_path / "again.csv", progress=False)
    assert again.graded == 0 and again.skipped == len(graded["kinds"])
    with Gradebook(graded["db"]) as book:
        assert list(book.gradings_of("hw1")) == before
    result = subprocess.run([sys.executable, "-m", "autograder.cli", "export", "hw1", "--course",
                             str(graded["course_file"]), "--db", str(graded["db"]), "--csv", "-"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (tmp_path / "again.csv").read_text() == graded["csv"].read_text()


def test_zip_entries_cannot_escape(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("submission_metadata.yml", "submission_1:\n  :submitters:\n  - :sid: '1'\n")
        zf.writestr("submission_1/hw1.ipynb", "{}")
        zf.writestr("../evil.txt", "escaped")
        zf.writestr("submission_1/../../evil2.txt", "escaped")
        zf.writestr("/tmp/abs-evil.txt", "escaped")
        link = zipfile.ZipInfo("submission_1/link")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    target = tmp_path / "deep" / "out"
    problems = safe_extract(archive, target)
    text = "\n".join(problems)
    for name in ("../evil.txt", "submission_1/../../evil2.txt", "/tmp/abs-evil.txt", "submission_1/link"):
        assert repr(name) in text, name
    assert not (tmp_path / "deep" / "evil.txt").exists() and not (tmp_path / "evil2.txt").exists()
    assert not (target / "submission_1" / "link").exists()
    assert (target / "submission_1" / "hw1.ipynb").read_text() == "{}"
    # the rest of the export is still usable, and the refusals are reported
    found = discover(archive, "hw1", workdir=tmp_path / "work")
    assert [s.key for s in found.submissions] == ["submission_1"]
    assert any("../evil.txt" in p for p in found.problems)
    with pytest.raises(UnusableInput, match="zip bomb"):
        safe_extract(archive, tmp_path / "bomb", max_total_bytes=10)


def test_unreadable_metadata_does_not_stop_grading(tmp_path):
    (tmp_path / "submission_7").mkdir()
    (tmp_path / "submission_7" / "hw1.ipynb").write_text("{}")
    (tmp_path / "submission_metadata.yml").write_text("submission_7:\n  :submitters: [\n")
    found = discover(tmp_path, "hw1", workdir=tmp_path / "w")
    assert [s.key for s in found.submissions] == ["submission_7"]
    assert "submission_metadata.yml is unreadable (line" in found.problems[0]


def test_export_metadata_reads_the_same_with_libyaml(tmp_path, monkeypatch):
    """Gradescope's metadata (Ruby-symbol keys, timestamps with offsets) gives the same
    submissions through libyaml's loader as through PyYAML's pure-Python one."""
    from autograder.batch import inputs

    export = tmp_path / "export"
    build_export(export, load_assignment("hw1", REPO / "course.yaml"))
    folders = [export]
    fixture = Path("/work/shared/fixtures/gradescope/submission_metadata.yml")  # real format, where present
    if fixture.is_file():
        (tmp_path / "fixture").mkdir()
        shutil.copy(fixture, tmp_path / "fixture")
        folders.append(tmp_path / "fixture")
    for folder in folders:
        fast = inputs.read_export_folder(folder, "hw1")
        with monkeypatch.context() as m:
            m.setattr(inputs, "SAFE_LOADER", yaml.SafeLoader)
            assert inputs.read_export_folder(folder, "hw1") == fast
        assert any(s.created_at for s in fast[0]) and any(s.submitters[0].sid for s in fast[0])


def _current(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT s.key, g.id, g.graded_at FROM gradings g JOIN submissions s "
                           "ON s.id = g.submission_id WHERE g.current = 1 ORDER BY s.key").fetchall()


def test_killed_batch_resumes_without_repeating_work(graded, tmp_path):
    assignment = graded["assignment"]
    folder = tmp_path / "notebooks"
    perfect, blank = perfect_submission(assignment), blank_submission(assignment)
    for i in range(14):
        write_notebook(perfect if i % 2 else blank, folder / f"90510{i:04d}.ipynb")
    db = tmp_path / "gb.sqlite"
    cmd = [sys.executable, "-m", "autograder.cli", "batch", "hw1", str(folder), "--jobs", "2",
           "--course", str(graded["course_file"]), "--db", str(db), "--csv", str(tmp_path / "out.csv")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 45
    finished_before: list[tuple] = []
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        if db.exists():
            try:
                finished_before = _current(db)
            except sqlite3.OperationalError:
                continue
            with Gradebook(db, readonly=True) as book:  # a reader while the batch writes
                seen = book.current_rows("hw1")
            assert len({len(r.tests) for r in seen}) <= 1 and all(r.tests for r in seen), \
                "a grading visible without all its tests"
            assert all(sum(r.tests.values()) == r.score for r in seen)
            if len(finished_before) >= 3:
                break
    assert proc.poll() is None, "the batch finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    finished_before = _current(db)  # whatever committed before the kill
    assert 3 <= len(finished_before) < 14
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    assert "sub/s" in done.stderr and "14/14" in done.stderr  # the progress bar, with its rate
    assert f"{14 - len(finished_before)} graded, {len(finished_before)} already in the gradebook" in done.stdout
    after = _current(db)
    assert len(after) == 14 and len({k for k, _, _ in after}) == 14
    assert set(finished_before) <= set(after), "finished submissions were not regraded"
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM gradings").fetchone()[0] == 14, "no duplicate work"
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert sorted(r["sid"] for r in rows) == [f"90510{i:04d}" for i in range(14)]
    assert {r["sid"]: r["score"] for r in rows}["905100001"] == "100"


def test_regrade_reports_exactly_the_affected_students(graded, tmp_path):
    db = tmp_path / "gb.sqlite"
    shutil.copy2(graded["db"], db)
    suite = graded["assignment"].suite
    text = suite.read_text()
    old = "@pytest.mark.points(2)\ndef test_polynomial_features_small("
    assert old in text
    suite.write_text(text.replace(old, "@pytest.mark.points(3)\ndef test_polynomial_features_small("))
    # who should change: passed that test, and not zeroed for lateness
    with sqlite3.connect(db) as con:
        expected = {k for (k,) in con.execute(
            "SELECT s.key FROM tests t JOIN gradings g ON g.id = t.grading_id JOIN submissions s "
            "ON s.id = g.submission_id WHERE g.current = 1 AND t.name = 'test_polynomial_features_small' "
            "AND t.status = 'passed' AND g.zeroed_reason = ''")}
    kinds = graded["kinds"]
    assert not any(kinds[k]["kind"] in ("blank", "wrong:polynomial_increasing_order") for k in expected)
    assert len(expected) >= 10
    report = run_regrade(graded["assignment"], jobs=2, db_path=db, progress=False)
    assert report.graded == len(kinds)  # every stored submission: the tests changed for all
    changed = {key: (old_score, new) for key, _, old_score, new in report.changes}
    assert set(changed) == expected
    assert all(new - old == 1 for old, new in changed.values())
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM gradings WHERE current = 1").fetchone()[0] == len(kinds)
    again = run_regrade(graded["assignment"], jobs=2, db_path=db, progress=False)
    assert again.graded == 0 and not again.changes


def test_regrade_refuses_a_suite_that_check_refuses_and_writes_nothing(graded, tmp_path):
    """One test's points raised from 2 to 4 makes the suite worth 102 of course.yaml's 100:
    `check` refuses it, so `regrade` must too, before grading anyone (the gradebook unchanged).
    Run as the instructor runs it, in a process of its own (this one has imported other copies of
    the suite); a unique comment keeps check's remembered results out of it."""
    import subprocess
    import sys
    import uuid

    course_file = copy_course(tmp_path / "course")
    suite = course_file.parent / "reference" / "hw1" / "test_hw1.py"
    text = suite.read_text()
    old = "@pytest.mark.points(2)\ndef test_polynomial_features_small("
    assert old in text
    suite.write_text(text.replace(old, "@pytest.mark.points(4)\ndef test_polynomial_features_small(")
                     + f"# {uuid.uuid4().hex}\n")
    db = tmp_path / "gb.sqlite"
    shutil.copy2(graded["db"], db)
    before = _current(db)
    out = tmp_path / "after.csv"
    done = subprocess.run([sys.executable, "-m", "autograder.cli", "regrade", "hw1", "--course", str(course_file),
                           "--db", str(db), "--csv", str(out), "--no-progress"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "autograder check hw1" in done.stderr and "102" in done.stderr and "Nothing was regraded" in done.stderr
    assert _current(db) == before and not out.exists()


def test_one_sid_on_two_submissions_at_the_same_time_is_reported_as_equal():
    """Two submissions of one SID made at the same second: neither is "the later one"."""
    from autograder.batch.core import _duplicate_note
    from autograder.batch.gradebook import CurrentRow

    def row(key: str, created_at: str | None) -> CurrentRow:
        return CurrentRow(key, [{"sid": "905000001"}], created_at, [], 1, 10.0, 10.0, 0.0, 0, "", [], [], "", {}, "")

    same = _duplicate_note("905000001", row("submission_2", "2025-01-22T10:00:00-08:00"),
                           row("submission_1", "2025-01-22T10:00:00-08:00"))
    assert "both submitted at the same time (2025-01-22T10:00:00-08:00)" in same and "later" not in same
    assert "submission_2 is used" in same and "check which one counts" in same
    later = _duplicate_note("905000001", row("submission_2", "2025-01-22T11:00:00-08:00"),
                            row("submission_1", "2025-01-22T10:00:00-08:00"))
    assert later.endswith("the later one, submission_2, is used")
