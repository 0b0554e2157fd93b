"""Exams end to end (issue 13): build, grade in the sandbox on the submitter's own variant, the Gradescope
run with windows and previous submissions, the secret out of reach of student code, regrade of one question."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.assignment import load_assignment
from autograder.course import load_course
from autograder.exam import render, samples, store
from autograder.exam.build import build, load_spec, student_extra
from autograder.exam.fixtures import ExamCheck
from autograder.exam.gradescope import build_exam_zip, exam_template
from autograder.exam.grade import grade_exam
from autograder.exam.practice import build_practice
from autograder.exam.variants import SECRET_ENV

ROOT = Path(__file__).resolve().parent.parent
SECRET = "course-secret-for-tests-7c1e9a55d0b34f2a"
ROSTER = """SID,Name,Email,Track,Extra time
905000001,Ada Lovelace,ada@ucla.edu,C147,
905000002,Alan Turing,alan@ucla.edu,C247,
905000003,Grace Hopper,grace@ucla.edu,MSOL,
905000004,Katherine Johnson,kj@ucla.edu,MSOL,30m
"""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """One build of the midterm for four students (printable copies for the two in-person ones)."""
    old = os.environ.get(SECRET_ENV)
    os.environ[SECRET_ENV] = SECRET
    tmp = tmp_path_factory.mktemp("exam")
    (tmp / "roster.csv").write_text(ROSTER)
    assignment = load_assignment("midterm", ROOT / "course.yaml")
    course = load_course(ROOT / "course.yaml")
    db = tmp / "gradebook.sqlite"
    report = build(assignment, course, tmp / "roster.csv", tmp / "out", db_path=db)
    conn = store.connect(db)
    issued = store.load_all(conn, "midterm")
    conn.close()
    spec = load_spec(assignment)
    yield {"tmp": tmp, "assignment": assignment, "course": course, "db": db, "report": report, "issued": issued,
           "spec": spec, "template": exam_template(assignment)}
    if old is None:
        os.environ.pop(SECRET_ENV, None)
    else:
        os.environ[SECRET_ENV] = old


def notebook_of(env, sid: str) -> dict:
    return samples.read(env["tmp"] / "out" / "notebooks" / sid / "midterm.ipynb")


def perfect(env, sid: str, **changes) -> dict:
    answers = ExamCheck(env["spec"], env["issued"][sid]).answers_as_student()
    answers.update(changes)
    return samples.answered(notebook_of(env, sid), answers)


def grade(env, notebook: dict, submitter: str, name: str = "sub.ipynb", only: str | None = None):
    path = samples.write(notebook, env["tmp"] / "subs" / name)
    issued = env["issued"][submitter]
    return grade_exam(env["assignment"], env["spec"], issued, path, template=env["template"],
                      extra=student_extra(env["course"], env["spec"], issued), only_question=only)


# ---------------------------------------------------------------- build
def test_build_writes_each_students_notebook_printable_exam_and_key(env):
    out = env["tmp"] / "out"
    report = env["report"]
    assert (report.students, report.notebooks, report.pdfs, report.keys) == (4, 4, 2, 2)
    header = render.source_text(notebook_of(env, "905000002")["cells"][0])
    assert "**Name:** Alan Turing" in header and "**SID:** 905000002" in header
    assert "**Sitting:** Wed 19 Feb 2025, in class" in header  # a date only: no made-up hours
    msol = render.source_text(notebook_of(env, "905000004")["cells"][0])
    assert "Sat 22 Feb 2025 14:00–16:20" in msol and "30 extra minutes" in msol
    from pypdf import PdfReader

    for sid in ("905000001", "905000002"):
        pages = PdfReader(out / "print" / f"{sid}-midterm.pdf").pages
        assert len(pages) == 7
        texts = [p.extract_text() for p in pages]
        assert all(f"SID {sid}" in t for t in texts)  # the SID on every page
        q2 = env["issued"][sid].questions["Q2"].params
        assert any(f"s = {render.shown(q2['s'])}" in t for t in texts)  # the student's own numbers
        key = (out / "keys" / f"{sid}-key.html").read_text()
        assert f"SID {sid}" in key and render.key_shown(env["issued"][sid].questions["Q3"].answers["q3_f"]) in key
    assert not (out / "print" / "905000003-midterm.pdf").exists()  # MSOL sits remotely: no paper copy
    rows = (out / "keys" / "keys.csv").read_text().splitlines()
    assert len(rows) == 5 and rows[0].startswith("sid,name,track,extra_time")


def test_the_secret_appears_in_no_student_notebook_printable_exam_key_or_practice(env):
    out = env["tmp"] / "out"
    practice = build_practice(env["assignment"], env["course"], env["tmp"] / "practice", secret=SECRET.encode())
    from pypdf import PdfReader

    files = [p for p in list(out.rglob("*")) + practice if p.is_file()]
    assert len(files) >= 4 + 2 + 2 + 1 + 3
    for path in files:
        text = path.read_bytes().decode("latin-1")
        if path.suffix == ".pdf":
            text += "".join(page.extract_text() for page in PdfReader(path).pages)
        assert SECRET not in text, path
    solutions = samples.read(env["tmp"] / "practice" / "practice-1-solutions.ipynb")
    source = "".join(render.source_text(c) for c in solutions["cells"])
    assert "q2_loss = None" not in source and "q2_loss = " in source
    assert "### BEGIN SOLUTION" not in source and "return gamma" in source  # Q6's code, markers removed


# ---------------------------------------------------------------- grading in the sandbox
def test_a_perfect_notebook_earns_full_marks_on_its_own_variant(env):
    graded = grade(env, perfect(env, "905000001"), "905000001")
    assert graded.result.score == 100 and graded.result.max_score == 100 and graded.flags == []


def test_one_wrong_part_loses_exactly_its_points(env):
    ada = env["issued"]["905000001"]
    wrong = ada.questions["Q3"].answers["q3_f"] + 1
    graded = grade(env, perfect(env, "905000001", q3_f=wrong, q1_choice="Z"), "905000001")
    assert graded.result.score == 100 - 6 - 5
    failed = {t.name: t.output for t in graded.result.tests if t.status != "passed"}
    assert set(failed) == {"test_q3_f", "test_q1_choice"}
    assert str(wrong) not in failed["test_q3_f"] and "letters A, B, C, D, E" in failed["test_q1_choice"]


def test_another_students_notebook_is_graded_on_the_submitters_variant_and_flagged(env):
    alans = perfect(env, "905000002")
    graded = grade(env, alans, "905000001")  # Ada submits Alan's (perfect) notebook
    assert graded.result.score < 50
    assert any("issued to SID 905000002, not to the submitter 905000001" in f for f in graded.flags)


def test_edited_parameters_are_ignored_and_flagged(env):
    ada = env["issued"]["905000001"]
    notebook = perfect(env, "905000001")
    q2 = env["spec"].question("Q2")
    easier = {"s": [1.0, 0.0, 0.0], "y": 0}
    for cell in notebook["cells"]:  # she rewrites Q2's numbers and answers for them
        if (cell["metadata"].get("exam") or {}).get("cell") == "Q2_given":
            cell["source"] = "s = np.array([1.0, 0.0, 0.0])\ny = 0"
        if (cell["metadata"].get("nbgrader") or {}).get("grade_id") == "Q2":
            answers = q2.answer(easier)
            cell["source"] = f"q2_loss = {answers['q2_loss']!r}\nq2_grad = {answers['q2_grad']!r}"
    assert q2.answer(easier) != ada.questions["Q2"].answers
    graded = grade(env, notebook, "905000001")
    assert graded.result.score == 100 - 20
    assert any("Q2_given" in f for f in graded.flags)


# ---------------------------------------------------------------- the Gradescope run
@pytest.fixture(scope="module")
def gradescope_root(env):
    from autograder.gradescope.build import unpack

    zip_path = build_exam_zip(env["assignment"], env["tmp"] / "zip", env["db"], SECRET.encode())
    root = Path(os.environ.get("TMPDIR_EXAM_ROOT", "/var/tmp")) / f"autograder-exam-test-{os.getpid()}"
    unpack(zip_path, root)
    yield root
    import shutil

    shutil.rmtree(root, ignore_errors=True)


def gradescope_run(root: Path, notebook: dict, sid: str, created_at: str, previous: list | None = None,
                   email: str = "") -> tuple[dict, str]:
    import shutil

    for sub in ("submission", "results"):
        shutil.rmtree(root / sub, ignore_errors=True)
        (root / sub).mkdir()
    samples.write(notebook, root / "submission" / "midterm.ipynb")
    meta = {"id": 1, "created_at": created_at, "submission_method": "upload",
            "users": [{"email": email, "name": "x", "sid": sid, "assignment": {"due_date": None}}],
            "assignment": {"title": "Midterm", "due_date": "2025-02-22T23:59:00.000000-08:00", "total_points": "100.0"},
            "previous_submissions": previous or []}
    (root / "submission_metadata.json").write_text(json.dumps(meta))
    environment = {k: v for k, v in os.environ.items() if k != SECRET_ENV}
    environment.update(AUTOGRADER_ROOT=str(root), AUTOGRADER_EXAM_SECRET=SECRET)  # as a course might set it
    done = subprocess.run([sys.executable, "-m", "autograder.gradescope.run", "midterm"], cwd=root / "source",
                          env=environment, capture_output=True, text=True, timeout=300)
    results = json.loads((root / "results" / "results.json").read_text())
    return results, done.stdout + done.stderr


def _test(results: dict, name: str) -> dict:
    return next(t for t in results["tests"] if t["name"] == name)


def test_gradescope_grades_the_submitting_sid_on_time_and_within_grace(env, gradescope_root):
    grace = perfect(env, "905000003")
    results, log = gradescope_run(gradescope_root, grace, "905000003", "2025-02-22T15:30:00.000000-08:00")
    assert results["score"] == 100, log
    assert _test(results, "Exam window")["status"] == "passed"
    assert "within 7 days after the exam's grades are released" in results["output"]  # the regrade window
    assert _test(results, "Exam integrity (instructors only)")["visibility"] == "hidden"
    results, log = gradescope_run(gradescope_root, grace, "905000003", "2025-02-22T15:51:00.000000-08:00")
    assert results["score"] == 100 and "within the 2 minutes" in _test(results, "Exam window")["output"], log


def test_gradescope_late_submission_scores_the_last_in_window_one(env, gradescope_root):
    grace = perfect(env, "905000003")
    previous = [{"submission_time": "2025-02-22T15:40:00.000000-08:00", "score": "64.0", "autograder_error": False},
                {"submission_time": "2025-02-22T14:30:00.000000-08:00", "score": "20.0", "autograder_error": False}]
    results, log = gradescope_run(gradescope_root, grace, "905000003", "2025-02-22T15:55:00.000000-08:00", previous)
    assert results["score"] == 64, log
    assert "last submission inside the window scored: 64" in results["output"]
    results, _ = gradescope_run(gradescope_root, grace, "905000003", "2025-02-22T15:55:00.000000-08:00", [])
    assert results["score"] == 0 and "no submission inside" in results["output"]


def test_gradescope_accommodated_student_after_the_ordinary_end(env, gradescope_root):
    kat = perfect(env, "905000004")
    results, log = gradescope_run(gradescope_root, kat, "905000004", "2025-02-22T16:10:00.000000-08:00")
    assert results["score"] == 100, log  # ordinary end 15:50, hers 16:20
    # Gradescope often leaves sid empty: the email finds the student
    results, log = gradescope_run(gradescope_root, kat, "", "2025-02-22T16:10:00.000000-08:00", email="KJ@ucla.edu")
    assert results["score"] == 100, log


def test_gradescope_flags_someone_elses_notebook_but_grades_the_submitter(env, gradescope_root):
    results, log = gradescope_run(gradescope_root, perfect(env, "905000004"), "905000003",
                                  "2025-02-22T15:00:00.000000-08:00")
    assert results["score"] < 50, log
    flag = _test(results, "Exam integrity (instructors only)")
    assert flag["status"] == "failed" and "905000004" in flag["output"] and flag["visibility"] == "hidden"


HOSTILE = r'''
import os, glob
found = []
found.append(os.environ.get("AUTOGRADER_EXAM_SECRET", ""))
for path in ["/proc/1/environ", f"/proc/{os.getppid()}/environ", "/autograder/source/reference/.exam-secret",
             *glob.glob("/var/tmp/autograder-exam-test-*/source/reference/.exam-secret"),
             *glob.glob("/var/tmp/autograder-exam-test-*/source/reference/.exam-issued-midterm.json"),
             os.path.expanduser("~/.config/autograder/exam-secret")]:
    try:
        found.append(open(path, "rb").read().decode("latin-1"))
    except Exception as exc:
        found.append(type(exc).__name__)
print("LEAK:", found)
q1_choice = " | ".join(found)
'''


def test_student_code_cannot_read_the_secret_during_grading(env, gradescope_root):
    notebook = perfect(env, "905000003")
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "source": HOSTILE, "outputs": [],
                                 "execution_count": None})
    results, log = gradescope_run(gradescope_root, notebook, "905000003", "2025-02-22T15:00:00.000000-08:00")
    text = json.dumps(results)
    assert SECRET not in text and SECRET not in log
    assert "LEAK:" in log  # the cell ran: what it found went to the staff-only log, and held no secret
    assert results["score"] <= 95  # q1_choice was overwritten by the hostile cell: its 5 points are lost
    secret_file = gradescope_root / "source" / "reference" / ".exam-secret"
    assert secret_file.read_text().strip() == SECRET and (secret_file.stat().st_mode & 0o077) == 0


# ---------------------------------------------------------------- regrade of one question
def test_regrade_of_one_question_changes_exactly_the_students_it_decides(env):
    tmp = env["tmp"]
    db = tmp / "regrade.sqlite"
    import shutil

    shutil.copy(env["db"], db)
    issued = env["issued"]
    f = {sid: issued[sid].questions["Q3"].answers["q3_f"] for sid in issued}
    folder = tmp / "class"
    submissions = {
        "905000001": perfect(env, "905000001"),                                  # right: hurt by the bad key
        "905000002": perfect(env, "905000002", q3_f=f["905000002"] + 1),          # matches the bad key
        "905000003": perfect(env, "905000003", q1_grad=[0, 0]),                   # right on Q3, wrong on Q1
        "905000004": perfect(env, "905000004", q3_dW1=[[0, 0], [0, 0]], q3_f=f["905000004"] + 5),  # wrong on Q3 both ways
    }
    for sid, notebook in submissions.items():
        samples.write(notebook, folder / f"{sid}.ipynb")
    conn = sqlite3.connect(db)  # the key of Q3 was wrong when the exam was issued: f + 1
    for sid in issued:
        answers = dict(issued[sid].questions["Q3"].answers, q3_f=f[sid] + 1)
        conn.execute("UPDATE exam_variants SET answers=? WHERE sid=? AND question='Q3'", (json.dumps(answers), sid))
    conn.commit()
    conn.close()
    environment = dict(os.environ)
    cli = [sys.executable, "-m", "autograder.cli"]
    done = subprocess.run(cli + ["exam", "batch", "midterm", str(folder), "--db", str(db)], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    from autograder.batch.gradebook import Gradebook

    with Gradebook(db) as book:
        before = {r.submitters[0]["sid"]: r for r in book.current_rows("midterm")}
    assert {s: r.score for s, r in before.items()} == {"905000001": 94, "905000002": 100, "905000003": 84,
                                                       "905000004": 80}
    done = subprocess.run(cli + ["regrade", "midterm", "--question", "Q3", "--db", str(db)], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "905000001 Ada Lovelace [905000001]: 94 -> 100 (+6)" in out
    assert "905000002 Alan Turing [905000002]: 100 -> 94 (-6)" in out
    assert "905000003 Grace Hopper [905000003]: 84 -> 90 (+6)" in out
    assert "905000004" not in out.split("midterm Q3:")[0]  # wrong either way: unchanged
    assert "3 scores changed" in out and "4 students' answers recomputed" in out
    with Gradebook(db) as book:
        after = {r.submitters[0]["sid"]: r for r in book.current_rows("midterm")}
    for sid in issued:  # the other questions' results are the stored ones
        assert {k: v for k, v in after[sid].tests.items() if not k.startswith("test_q3")} == \
               {k: v for k, v in before[sid].tests.items() if not k.startswith("test_q3")}
    conn = store.connect(db)
    try:  # the variants are kept: same params, key fixed, the old key logged
        for sid in issued:
            now = store.load(conn, "midterm", sid).questions["Q3"]
            assert now.params == issued[sid].questions["Q3"].params and now.answers["q3_f"] == f[sid]
        assert conn.execute("SELECT COUNT(*) FROM exam_key_log WHERE question='Q3'").fetchone()[0] == 4
    finally:
        conn.close()
    # the homework regrade would grade without variants: for an exam it is refused, saying what to do
    done = subprocess.run(cli + ["regrade", "midterm", "--db", str(db)], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 2 and "--question Q3" in done.stderr


def test_practice_solutions_earn_every_point_and_differ_from_real_variants(env):
    from autograder.exam.variants import Student, issue_exam

    build_practice(env["assignment"], env["course"], env["tmp"] / "practice2", secret=SECRET.encode())
    practice = issue_exam(env["spec"], SECRET.encode(), Student("PRACTICE-1", "Practice"), space="practice")
    solutions = samples.read(env["tmp"] / "practice2" / "practice-1-solutions.ipynb")
    graded = grade(env, solutions, "905000001", name="practice.ipynb")  # as if Ada handed it in: worth little
    assert graded.result.score < 50
    path = samples.write(solutions, env["tmp"] / "subs" / "practice-own.ipynb")
    own = grade_exam(env["assignment"], env["spec"], practice, path, template=env["template"],
                     extra={"sid": "practice 1"})
    assert own.result.score == 100  # the rounded solutions are within tolerance; Q6's code is the source's


@pytest.mark.slow
def test_a_built_student_notebook_runs_top_to_bottom_in_a_kernel(env):
    """A student's built notebook, answered correctly, runs in Jupyter top to bottom (its form checks
    and the coding question's visible test pass), the way a homework's source notebook does."""
    import nbformat
    from nbclient import NotebookClient

    path = samples.write(perfect(env, "905000001"), env["tmp"] / "answered-905000001.ipynb")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    NotebookClient(notebook, timeout=60, kernel_name="python3").execute()
    ran = [c for c in notebook.cells if c.cell_type == "code" and c.source.strip()]
    assert ran and all(c.execution_count is not None for c in ran)
