"""Exam polish (issue 22, items 3, 5 and the exam parts of 11): extra time never dropped, the practice exam and
its solutions, the paper cover, keys without -0, one "scores 0", `exam batch --jobs --csv` with flags,
`exam grade --json` with the staff-only entry, and docs/exams.md saying what the code does."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.course import load_course
from autograder.errors import UnusableInput
from autograder.exam import render, samples, store
from autograder.exam.build import build, load_spec, read_roster
from autograder.exam.fixtures import ExamCheck
from autograder.exam.grade import INTEGRITY_TEST_NAME, grade_exam
from autograder.exam.gradescope import exam_template
from autograder.exam.practice import build_practice
from autograder.exam.variants import SECRET_ENV
from autograder.exam.windows import decide, parse_accommodation, window_for
from tests.test_exam_grading import SECRET
from tests.test_grades_support import course_with

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "autograder.cli"]
UNTIMED = "      undergraduate: {date: 2025-02-19, where: in class}"
TIMED = '      undergraduate: {date: 2025-02-19, start: "14:00", end: "15:50", where: in class}'


@pytest.fixture(scope="module")
def secret():
    old = os.environ.get(SECRET_ENV)
    os.environ[SECRET_ENV] = SECRET
    yield SECRET
    if old is None:
        os.environ.pop(SECRET_ENV, None)
    else:
        os.environ[SECRET_ENV] = old


@pytest.fixture(scope="module")
def assignment():
    return load_assignment("midterm", ROOT / "course.yaml")


def _environment() -> dict[str, str]:
    return dict(os.environ, **{SECRET_ENV: SECRET})


# ---------------------------------------------------------------- item 3: extra time is never dropped silently
def test_a_roster_with_extra_time_on_a_sitting_without_times_is_refused_saying_what_to_add(tmp_path):
    course = load_course(ROOT / "course.yaml")  # the in-class sittings have a date only (the syllabus gives no hours)
    roster = tmp_path / "roster.csv"
    roster.write_text("SID,Name,Track,Extra time\n905000001,Ada,C147,1.5x\n905000002,Bob,MSOL,1.5x\n"
                      "905000003,Cy,C247,30m\n905000004,Di,C147,\n")
    with pytest.raises(UnusableInput) as refused:
        read_roster(roster, course, "midterm")
    message = str(refused.value)
    assert "line 2: SID 905000001" in message and "line 4: SID 905000003" in message and "905000002" not in message
    assert "exams.midterm.sittings.undergraduate" in message and "exams.midterm.sittings.graduate" in message
    assert 'start: "14:00", end: "15:50"' in message  # an example of what to add
    roster.write_text("SID,Name,Track,Extra time\n905000002,Bob,MSOL,1.5x\n905000004,Di,C147,\n")
    assert len(read_roster(roster, course, "midterm")) == 2  # a timed sitting, or no extra time: accepted


@pytest.mark.slow
def test_extra_time_on_a_timed_in_person_sitting_is_on_the_paper_cover_and_in_the_notebook(tmp_path, secret,
                                                                                           assignment):
    """With the lecture's hours in course.yaml, a C147 student's 1.5x is applied: their own window (14:00-16:45)
    on the notebook's header and the printed cover, which carries paper instructions (item 5)."""
    from pypdf import PdfReader

    course = load_course(course_with(tmp_path, {UNTIMED: TIMED}))
    roster = tmp_path / "roster.csv"
    roster.write_text("SID,Name,Track,Extra time\n905000011,Ada Lovelace,C147,1.5x\n")
    report = build(assignment, course, roster, tmp_path / "out", db_path=tmp_path / "gradebook.sqlite")
    assert (report.notebooks, report.pdfs) == (1, 1)
    header = render.source_text(samples.read(tmp_path / "out" / "notebooks" / "905000011" / "midterm.ipynb")["cells"][0])
    own = "Wed 19 Feb 2025 14:00–16:45 PST (your 1.5× time; the sitting ends at 15:50), in class"
    assert own in header and "Submit this notebook to Gradescope" in header
    cover = PdfReader(tmp_path / "out" / "print" / "905000011-midterm.pdf").pages[0].extract_text()
    flat = " ".join(cover.split())
    assert "14:00–16:45" in flat and "1.5× time" in flat and "15:50" in flat
    assert "Hand in every page" in flat and "named variable" not in flat and "Gradescope" not in flat
    # the window the grader applies is the one printed: 16:30 counts, 16:50 does not
    window = window_for(course, "midterm", "C147", parse_accommodation("1.5x"))
    pt = window.start.tzinfo
    assert decide(window, dt.datetime(2025, 2, 19, 16, 30, tzinfo=pt)).counts
    assert not decide(window, dt.datetime(2025, 2, 19, 16, 50, tzinfo=pt)).counts


# ---------------------------------------------------------------- item 5: polish
@pytest.mark.slow
def test_the_practice_exam_is_not_submitted_and_its_solutions_hold_q6s_code_and_earn_full_marks(tmp_path, secret,
                                                                                                assignment):
    from autograder.exam.variants import Student, issue_exam

    build_practice(assignment, load_course(ROOT / "course.yaml"), tmp_path, secret=SECRET.encode())
    practice = samples.read(tmp_path / "practice-1.ipynb")
    header = render.source_text(practice["cells"][0])
    assert "Submit this notebook to Gradescope" not in header and "not submitted" in header
    assert "{{" not in header
    solutions = samples.read(tmp_path / "practice-1-solutions.ipynb")
    q6 = next(c for c in solutions["cells"] if (c["metadata"].get("nbgrader") or {}).get("grade_id") == "Q6")
    code = render.source_text(q6)
    assert "return gamma" in code and "NotImplementedError" not in code and "### " not in code
    page = (tmp_path / "practice-1-solutions.html").read_text()
    assert "Practice exam 1: solutions" in page and "Answer key (TAs only)" not in page
    assert "def batchnorm_forward" in page and "graded by the hidden tests" not in page
    spec = load_spec(assignment)  # the solutions, graded in the sandbox on the practice variant: every point
    issued = issue_exam(spec, SECRET.encode(), Student("PRACTICE-1", "Practice"), space="practice")
    graded = grade_exam(assignment, spec, issued, tmp_path / "practice-1-solutions.ipynb",
                        template=exam_template(assignment), extra={"sid": "practice 1"})
    assert graded.result.score == 100, [(t.name, t.output) for t in graded.result.tests if t.status != "passed"]


def test_keys_never_print_minus_zero(assignment, secret):
    from autograder.exam.variants import Student, issue_exam

    assert render.key_shown(-0.0) == "0" and render.key_shown([-0.0, 1.5, -2.0]) == "[0, 1.5, -2]"
    spec = load_spec(assignment)
    issued = issue_exam(spec, SECRET.encode(), Student("905000021", "Zero"))
    q5 = issued.questions["Q5"]
    q5.answers["q5_v"] = [-0.0, 0.25, -0.0]  # a key that computed to negative zeros
    page = render.key_page(spec, issued, "Zero · SID 905000021")
    assert "[0, 0.25, 0]" in page and not re.search(r"(?<![\w.])-0(?![.\d])", page)


def test_a_late_exam_submission_says_scores_0_once(tmp_path):
    from autograder.results import GradingResult, summary_markdown

    course = load_course(ROOT / "course.yaml")
    window = window_for(course, "midterm", "MSOL")
    decision = decide(window, window.closes + dt.timedelta(minutes=5))
    result = GradingResult(assignment="midterm", zeroed_reason=decision.zeroed_reason)
    text = summary_markdown(result)
    assert text.count("This submission") == 1 and text.count("scores 0") == 1, text
    assert "after your exam window ended" in text and "no submission inside your window" in text


@pytest.fixture(scope="module")
def built(tmp_path_factory, secret, assignment):
    """Three students' notebooks (no PDFs) in a gradebook of their own."""
    tmp = tmp_path_factory.mktemp("polish")
    (tmp / "roster.csv").write_text("SID,Name,Email,Track,Extra time\n905000031,Ada Lovelace,ada@ucla.edu,C147,\n"
                                    "905000032,Alan Turing,alan@ucla.edu,C247,\n905000033,Grace Hopper,,MSOL,30m\n")
    db = tmp / "gradebook.sqlite"
    build(assignment, load_course(ROOT / "course.yaml"), tmp / "roster.csv", tmp / "out", db_path=db,
          printable="none")
    conn = store.connect(db)
    issued = store.load_all(conn, "midterm")
    conn.close()
    return {"tmp": tmp, "db": db, "issued": issued, "spec": load_spec(assignment)}


def _perfect(built, sid: str) -> dict:
    answers = ExamCheck(built["spec"], built["issued"][sid]).answers_as_student()
    return samples.answered(samples.read(built["tmp"] / "out" / "notebooks" / sid / "midterm.ipynb"), answers)


@pytest.mark.slow
def test_exam_batch_runs_jobs_writes_the_csv_shows_progress_and_exits_1_on_integrity_flags(built):
    folder = built["tmp"] / "class"
    samples.write(_perfect(built, "905000031"), folder / "905000031.ipynb")
    samples.write(_perfect(built, "905000031"), folder / "905000032.ipynb")  # Alan hands in Ada's notebook
    samples.write(_perfect(built, "905000033"), folder / "905000033.ipynb")
    out = built["tmp"] / "midterm.csv"
    done = subprocess.run(CLI + ["exam", "batch", "midterm", str(folder), "--db", str(built["db"]), "--jobs", "2",
                                 "--csv", str(out)], cwd=ROOT, env=_environment(), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    flags = [line for line in done.stdout.splitlines() if line.startswith("flag (instructor)")]
    assert flags and all("905000032" in line for line in flags), done.stdout
    assert any("issued to SID 905000031" in line for line in flags)
    assert "2 jobs" in done.stdout and "3 of 3 submissions graded" in done.stdout
    assert "midterm grading" in done.stderr and "3/3" in done.stderr  # tqdm's bar
    rows = {r["sid"]: r for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert set(rows) == {"905000031", "905000032", "905000033"}
    assert float(rows["905000031"]["score"]) == 100 and float(rows["905000033"]["score"]) == 100
    assert float(rows["905000032"]["score"]) < 50 and "issued to SID 905000031" in rows["905000032"]["notes"]


@pytest.mark.slow
def test_exam_grade_json_holds_the_staff_only_integrity_entry(built):
    path = samples.write(_perfect(built, "905000031"), built["tmp"] / "graded" / "ada.ipynb")
    out = built["tmp"] / "results.json"
    done = subprocess.run(CLI + ["exam", "grade", "midterm", str(path), "--sid", "905000032", "--db",
                                 str(built["db"]), "--json", str(out)], cwd=ROOT, env=_environment(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr  # flagged: Alan submits Ada's notebook
    entry = next((t for t in json.loads(out.read_text())["tests"] if t["name"] == INTEGRITY_TEST_NAME), None)
    assert entry is not None and entry["visibility"] == "hidden" and entry["status"] == "failed"
    assert "issued to SID 905000031" in entry["output"]


# ---------------------------------------------------------------- item 11: docs/exams.md
def test_docs_list_the_roster_columns_and_say_what_check_does_on_an_exam():
    from autograder.check import check_assignment
    from autograder.exam.build import _COLUMNS

    docs = (ROOT / "docs" / "exams.md").read_text()
    section = docs.split("## The roster", 1)[1].split("\n## ", 1)[0]
    table = {row.split("|")[1].strip().strip("`") for row in section.splitlines() if row.startswith("| `")}
    assert table == {aliases[0] for aliases in _COLUMNS.values()}, table
    for aliases in _COLUMNS.values():  # every accepted spelling is named
        assert all(f"`{alias}`" in section for alias in aliases), aliases
    report = check_assignment("midterm", ROOT / "course.yaml", sandbox=True)
    checked = docs.split("## What `autograder check` does on an exam", 1)[1].split("\n## ", 1)[0]
    assert report.ok and not report.sandboxed  # no sandbox grading of the source notebook, as the docs say
    assert "earn 0 in the sandbox" not in docs and "not graded in the sandbox" in checked
    assert report.warnings[0].split(":")[0] in checked
