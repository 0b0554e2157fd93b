"""Issue 21 part 3: an instructor's integrity.csv reaches final grades. Zero credit (or the points set) on
that work, no late day spent on it, the explanation citing the case, report.html counting the cases;
unknown SIDs, assignments and outcomes refused with the file, row and value named and nothing written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.course import CourseConfigError, load_course
from tests.test_grades_support import COURSE_YAML, course_with, write_csv, write_export

HEADER = ["SID", "assignment", "outcome", "case"]


@pytest.fixture
def export(tmp_path):
    """101: HW2 80, 5 minutes late (a late day). 102: all 100. 103: HW2 and HW3 each 30 hours late (2 days each:
    with 3 late days, only one of them can be covered)."""
    return write_export(tmp_path / "gradescope.csv", [
        {"sid": "101", "scores": {"hw2": 80}, "late": {"hw2": "0:05:00"}},
        {"sid": "102", "scores": {}},
        {"sid": "103", "scores": {}, "late": {"hw2": "30:00:00", "hw3": "30:00:00"}},
    ])


def grades(*args: object, course: Path = COURSE_YAML) -> int:
    return main(["grades", *map(str, args), "--course", str(course)])


def rows_of(out: Path) -> dict[str, dict[str, str]]:
    return {r["SID"]: r for r in csv.DictReader((out / "final_grades.csv").open())}


def test_without_outcomes_the_scores_and_late_days_are_the_exports(export, tmp_path):
    out = tmp_path / "plain"
    assert grades(export, "--out", out) == 0
    rows = rows_of(out)
    assert rows["101"]["Final score"] == "98.40" and rows["101"]["Late days where"] == "hw2: 1"
    assert rows["103"]["Late days where"] == "hw2: 2" and "hw3:" in rows["103"]["Zeroed"]  # no days left for HW3
    assert "0 cases" in (out / "report.html").read_text()


def test_grades_applies_zero_and_points_without_spending_late_days(export, tmp_path, capsys):
    integrity = write_csv(tmp_path / "integrity.csv", HEADER, [
        ["101", "hw2", "zero", "AI-2025-003"],
        ["102", "midterm", "40", "AI-2025-007"],
        ["103", "hw2", "zero", "AI-2025-011"],
    ])
    out = tmp_path / "out"
    assert grades(export, "--integrity", integrity, "--out", out) == 0
    assert "3 academic-integrity outcome(s) applied" in capsys.readouterr().out
    rows = rows_of(out)
    # 101: HW (100 + 0 + 100 + 100 + 100) / 5 = 80 % -> 32 + 30 + 30 = 92.00; the late HW2 costs no late day
    assert rows["101"]["Final score"] == "92.00" and rows["101"]["Late days used"] == "0"
    assert rows["101"]["Late days where"] == ""
    assert "zero credit for Homework 2 following an academic-integrity finding (case AI-2025-003)" in rows["101"]["Zeroed"]
    # 102: the midterm is set to 40 points: 40 + 0.3 * 40 + 30 = 82.00
    assert rows["102"]["Final score"] == "82.00"
    # 103: HW2's 2 days are not spent on zeroed work, so HW3's 2 days are covered now
    assert rows["103"]["Late days where"] == "hw3: 2" and "hw3:" not in rows["103"]["Zeroed"]
    ada = (out / "explanations" / "101.md").read_text()
    assert ("Scored 80, but zero credit for Homework 2 following an academic-integrity finding (case AI-2025-003): "
            "0 / 100 = 0.00 %.") in ada
    assert "no late day is spent on it" in ada and "Used: 0 (none); left: 3" in ada
    bob = (out / "explanations" / "102.md").read_text()
    assert "40 points for Midterm exam following an academic-integrity finding (case AI-2025-007): 40 / 100 = 40.00 %" in bob
    report = (out / "report.html").read_text()
    assert "<h2>Academic integrity</h2>" in report and "3 cases from the integrity outcomes applied (3 students)" in report
    assert "<td>Homework 2</td><td>2</td><td>2</td><td>0</td>" in report
    assert "<td>Midterm exam</td><td>1</td><td>0</td><td>1</td>" in report


def test_course_yaml_names_the_integrity_file(export, tmp_path):
    course = course_with(tmp_path, append="\nintegrity: {outcomes: cases/integrity.csv}\n")
    (tmp_path / "cases").mkdir()
    write_csv(tmp_path / "cases" / "integrity.csv", ["SID", "Assignment", "Outcome", "Case reference"],
              [["101", "Homework 2", "zero", "AI-1"]])
    assert load_course(course).integrity_outcomes == tmp_path / "cases" / "integrity.csv"
    out = tmp_path / "out"
    assert grades(export, "--out", out, course=course) == 0
    assert rows_of(out)["101"]["Final score"] == "92.00"
    assert "(case AI-1)" in (out / "explanations" / "101.md").read_text()


def test_the_course_yaml_key_is_validated(tmp_path):
    with pytest.raises(CourseConfigError, match="integrity.outcomes"):
        load_course(course_with(tmp_path, append="\nintegrity: {outcomes: 5}\n"))
    with pytest.raises(CourseConfigError, match="'integrity.file' is not a known key"):
        load_course(course_with(tmp_path, append="\nintegrity: {file: x.csv}\n"))


@pytest.mark.parametrize("row, message", [
    (["999", "hw2", "zero", "AI-9"], "integrity.csv, row 3, column 'SID': '999' is not a student in the Gradescope export"),
    (["101", "hw9", "zero", "AI-9"], "integrity.csv, row 3, column 'assignment': 'hw9' is not an assignment in course.yaml"),
    (["101", "hw2", "half", "AI-9"], "integrity.csv, row 3, column 'outcome': 'half' is neither `zero` nor a number"),
    (["101", "hw2", "120", "AI-9"], "integrity.csv, row 3, column 'outcome': '120' is not a number of points between 0 and hw2's 100"),
    (["101", "hw2", "zero", ""], "integrity.csv, row 3, column 'case': '' is empty"),
    (["102", "hw1", "zero", "AI-9"], "integrity.csv, row 3, column 'SID': '102' already has an outcome for hw1 in row 2"),
])
def test_bad_rows_are_refused_with_nothing_written(export, tmp_path, capsys, row, message):
    integrity = write_csv(tmp_path / "integrity.csv", HEADER, [["102", "hw1", "zero", "AI-1"], row])
    out = tmp_path / "refused"
    assert grades(export, "--integrity", integrity, "--out", out) == 2
    err = capsys.readouterr().err
    assert message in err and "nothing was written" in err
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".refused")]


def test_a_missing_file_or_column_is_refused(export, tmp_path, capsys):
    course = course_with(tmp_path, append="\nintegrity: {outcomes: nowhere.csv}\n")
    assert grades(export, "--out", tmp_path / "o", course=course) == 2
    assert "integrity.outcomes names" in capsys.readouterr().err and not (tmp_path / "o").exists()
    bad = write_csv(tmp_path / "integrity.csv", ["SID", "assignment", "outcome"], [["101", "hw2", "zero"]])
    assert grades(export, "--integrity", bad, "--out", tmp_path / "o") == 2
    assert "integrity.csv, row 1: missing column(s) 'case'" in capsys.readouterr().err
