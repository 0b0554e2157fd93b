"""HW3's optional question, end to end (issue 15): gradebook -> ``autograder export hw3`` ->
``autograder grades --questions``.

course.yaml makes the task ``FullyConnectedNet`` (20 of HW3's 100 points) optional for C147
(undergraduate). The gradebook here is synthetic, written through the Gradebook API with rows shaped
like HW3's suite (one ``task`` per graded function), so the test does not wait for HW3 itself.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.batch.gradebook import Gradebook
from autograder.cli import main
from autograder.results import GradingResult, TestOutcome
from tests.test_grades_support import course_with, write_csv, write_export

SUITE = [("affine_forward", 10), ("affine_backward", 10), ("relu_forward", 10), ("relu_backward", 10),
         ("softmax_loss", 10), ("svm_loss", 10), ("TwoLayerNet", 20), ("FullyConnectedNet", 10),
         ("FullyConnectedNet", 10)]  # 100 points; FullyConnectedNet: 20


def grading(skipped: set[str] = frozenset()) -> GradingResult:
    tests = [TestOutcome(f"test_{task}_{i}", task, 0.0 if task in skipped else float(pts), float(pts),
                         "failed" if task in skipped else "passed", "")
             for i, (task, pts) in enumerate(SUITE)]
    return GradingResult(assignment="hw3", tests=tests)


def record(book: Gradebook, key: str, sid: str, result: GradingResult) -> None:
    book.record("hw3", key=key, content_hash=key, submitters=[{"sid": sid, "name": f"Student {sid}", "email": ""}],
                created_at=None, notebook=b"{}", notebook_name="hw3.ipynb", notes=[], result=result, lateness_s=0.0,
                hidden_hash="h", version="test", timings={})


@pytest.fixture
def course_dir(tmp_path) -> Path:
    course_with(tmp_path)  # the course's own course.yaml: FullyConnectedNet optional for undergraduates
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        record(book, "submission_1", "301", grading())                           # C247, did everything
        record(book, "submission_2", "302", grading({"FullyConnectedNet"}))      # C147, same work, skipped it
        record(book, "submission_3", "303", grading())                           # C147, did it too
    return tmp_path


def export(course_dir: Path, *extra: str) -> int:
    return main(["export", "hw3", "--course", str(course_dir / "course.yaml"), "--csv", str(course_dir / "hw3.csv"),
                 *extra])


def test_export_writes_each_students_points_on_the_optional_question(course_dir):
    assert export(course_dir, "--questions", str(course_dir / "q.csv")) == 0
    rows = list(csv.DictReader((course_dir / "q.csv").open()))
    assert [(r["SID"], r["assignment"], r["question"], r["score"]) for r in rows] == [
        ("301", "hw3", "FullyConnectedNet", "20"), ("302", "hw3", "FullyConnectedNet", "0"),
        ("303", "hw3", "FullyConnectedNet", "20")]
    scores = {r["sid"]: r["score"] for r in csv.DictReader((course_dir / "hw3.csv").open())}
    assert scores == {"301": "100", "302": "80", "303": "100"}


def test_c147_skipping_the_optional_question_reaches_100_percent_and_doing_it_gains_nothing(course_dir):
    assert export(course_dir, "--questions", str(course_dir / "q.csv")) == 0
    hw3 = {r["sid"]: r["score"] for r in csv.DictReader((course_dir / "hw3.csv").open())}
    # Gradescope's course export with those HW3 scores (every other assignment 100).
    students = [{"sid": sid, "scores": {"hw3": float(score)}} for sid, score in hw3.items()]
    gs = write_export(course_dir / "gradescope.csv", students)
    roster = write_csv(course_dir / "roster.csv", ["SID", "track", "basis"],
                       [["301", "C247", "letter"], ["302", "C147", "letter"], ["303", "C147", "letter"]])
    out = course_dir / "final"
    assert main(["grades", str(gs), "--roster", str(roster), "--questions", str(course_dir / "q.csv"),
                 "--out", str(out), "--course", str(course_dir / "course.yaml")]) == 0
    final = {r["SID"]: r for r in csv.DictReader((out / "final_grades.csv").open())}
    # Every assignment at 100 %: 40 + 30 + 30 = 100.00 for all three, and not a point more.
    assert [final[s]["homework %"] for s in ("301", "302", "303")] == ["100.00"] * 3
    assert [final[s]["Final score"] for s in ("301", "302", "303")] == ["100.00"] * 3
    skipped = (out / "explanations" / "302.md").read_text()
    assert "its 20 points leave the maximum (100 → 80)" in skipped and "80 / 80 = 100.00 %" in skipped
    did = (out / "explanations" / "303.md").read_text()
    assert "the 20 points you earned on it leave your score (100 → 80)" in did and "80 / 80 = 100.00 %" in did
    assert "100 / 100 = 100.00 %" in (out / "explanations" / "301.md").read_text()


def test_a_question_that_is_no_task_of_the_suite_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where the questions file would go by default
    course_with(tmp_path, {"questions: {FullyConnectedNet: 20}": "questions: {FullyConnectedNet: 20, Dropout: 10}"})
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        record(book, "submission_1", "301", grading())
    assert export(tmp_path) == 2
    err = capsys.readouterr().err
    assert "assignments.hw3.questions names 'Dropout', but no graded test of hw3 has task 'Dropout'" in err
    assert "FullyConnectedNet" in err and not (tmp_path / "hw3_questions.csv").exists()


def test_a_question_whose_points_differ_from_its_tests_is_refused(tmp_path, capsys):
    course_with(tmp_path, {"questions: {FullyConnectedNet: 20}": "questions: {FullyConnectedNet: 25}"})
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        record(book, "submission_1", "301", grading())
    assert export(tmp_path) == 2
    assert "gives 'FullyConnectedNet' 25 points, but its tests are worth 20" in capsys.readouterr().err
