"""Homework with a written part (issue 10 §5): an assignment made of several Gradescope columns.

course.yaml's hw3 becomes ``parts: {code: {gradescope: ["Homework 3 - Code"], points: 80},
written: {gradescope: ["Homework 3 - Written"], points: 20}}``; the export has both columns, the
way Gradescope names two assignments ("Homework 3 - Code", autograded; "Homework 3 - Written",
graded by TAs), each with its own Max Points, Submission Time and Lateness.
"""

from __future__ import annotations

import csv

import pytest

from autograder.cli import main
from autograder.course import CourseConfigError, load_course
from tests.test_grades_support import GS_NAMES, course_with, write_csv, write_export

HW3_ONE_COLUMN = '    gradescope: ["Homework 3", "HW3", "Homework 03"]\n'
HW3_PARTS = ('    parts:\n'
             '      code: {gradescope: ["Homework 3 - Code", "HW3 Code"], points: 80}\n'
             '      written: {gradescope: ["Homework 3 - Written"], points: 20}\n')
NAMES = {**{k: v for k, v in GS_NAMES.items() if k != "hw3"},
         "hw3_code": "Homework 3 - Code", "hw3_written": "Homework 3 - Written"}


@pytest.fixture
def course_file(tmp_path):
    return course_with(tmp_path, {HW3_ONE_COLUMN: HW3_PARTS})


def run(tmp_path, course_file, students):
    export = write_export(tmp_path / "gradescope.csv", students, NAMES)
    roster = write_csv(tmp_path / "roster.csv", ["SID", "track", "basis"], [[s["sid"], "C247", "letter"] for s in students])
    out = tmp_path / "out"
    code = main(["grades", str(export), "--roster", str(roster), "--out", str(out), "--course", str(course_file)])
    rows = {r["SID"]: r for r in csv.DictReader((out / "final_grades.csv").open())} if code == 0 else {}
    return code, rows, out


def test_parts_are_scaled_to_their_points_and_added(tmp_path, course_file):
    # Code 72 of its column's 100 points, worth 80 here: 57.6; written 18 / 20: 18. HW3 = 75.6 %.
    # HW = (100 + 100 + 75.6 + 100 + 100) / 5 = 95.12 %; 40 * 0.9512 + 30 + 30 = 98.048 -> 98.05.
    # Written blank: code 100 / 100 -> 80 of 100 = 80 %; HW 96 % -> 38.4 + 60 = 98.40.
    # Both blank: 0 (not "no such assignment"); HW 80 % -> 32 + 60 = 92.00.
    students = [
        {"sid": "201", "scores": {"hw3_code": 72, "hw3_written": 18}, "max": {"hw3_written": 20}},
        {"sid": "202", "scores": {"hw3_code": 100, "hw3_written": None}, "max": {"hw3_written": 20}},
        {"sid": "203", "scores": {"hw3_code": None, "hw3_written": None}, "max": {"hw3_written": 20}},
    ]
    code, rows, out = run(tmp_path, course_file, students)
    assert code == 0
    assert rows["201"]["Final score"] == "98.05" and rows["201"]["homework %"] == "95.12"
    assert rows["202"]["Final score"] == "98.40" and rows["203"]["Final score"] == "92.00"
    text = (out / "explanations" / "201.md").read_text()
    assert "Code 72 / 100 in Gradescope, worth 80 here: 57.60; Written 18 / 20. Together 75.60 points." in text
    assert "75.6 / 100 = 75.60 %" in text
    assert "Written not submitted (worth 20): 0" in (out / "explanations" / "202.md").read_text()


def test_the_later_part_decides_lateness(tmp_path, course_file):
    # 204: code on time, written 30 h late -> 2 late days on hw3 (full marks kept: 2 <= 3 left).
    # 205: code 49 h late (3 days > 2 allowed on one assignment), written on time -> hw3 earns 0,
    #      although the written part alone was on time: HW 80 % -> 92.00.
    students = [
        {"sid": "204", "scores": {"hw3_code": 100, "hw3_written": 20}, "max": {"hw3_written": 20},
         "late": {"hw3_written": "30:00:00"}, "time": {"hw3_written": "2025-01-24 05:59:00 -0800"}},
        {"sid": "205", "scores": {"hw3_code": 100, "hw3_written": 20}, "max": {"hw3_written": 20},
         "late": {"hw3_code": "49:00:00"}},
    ]
    code, rows, out = run(tmp_path, course_file, students)
    assert code == 0
    assert rows["204"]["Late days where"] == "hw3: 2" and rows["204"]["Final score"] == "100.00"
    assert "the later one (written) decides lateness" in (out / "explanations" / "204.md").read_text()
    assert rows["205"]["Final score"] == "92.00" and "hw3: it was submitted 2 days 1 hour after" in rows["205"]["Zeroed"]


def test_a_missing_part_column_is_named(tmp_path, course_file, capsys):
    names = {k: v for k, v in NAMES.items() if k != "hw3_written"}
    export = write_export(tmp_path / "gradescope.csv", [{"sid": "1", "scores": {}}], names)
    assert main(["grades", str(export), "--out", str(tmp_path / "out"), "--course", str(course_file)]) == 2
    err = capsys.readouterr().err
    assert "no columns for assignment 'hw3', part 'written'" in err and "'Homework 3 - Written'" in err
    assert "assignments.hw3.parts.written.gradescope" in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("parts, message", [
    ('    parts:\n      code: {gradescope: ["Homework 3 - Code"], points: 80}\n'
     '      written: {gradescope: ["Homework 3 - Written"], points: 30}\n',
     "key 'assignments.hw3.parts': value 'points code 80, written 30 (sum 110)' is not allowed; "
     "allowed: parts whose points add up to max_points 100"),
    ('    gradescope: ["Homework 3"]\n' + HW3_PARTS,
     "key 'assignments.hw3.gradescope': value ['Homework 3'] is not allowed; allowed: no gradescope names beside parts"),
    ('    parts:\n      code: {gradescope: ["Homework 3 - Code"]}\n      written: {gradescope: ["W"], points: 20}\n',
     "key 'assignments.hw3.parts.code.points' is missing"),
    ('    parts:\n      code: {gradescope: ["Homework 3 - Code"], points: -80}\n      written: {gradescope: ["W"], points: 20}\n',
     "key 'assignments.hw3.parts.code.points': value -80 is not allowed; allowed: a number > 0"),
    ('    parts:\n      code: {gradescope: ["HW3"], points: 80}\n      written: {gradescope: ["hw3"], points: 20}\n',
     "key 'assignments.hw3.parts.written.gradescope': value 'hw3' is not allowed; allowed: a column name not already used by part 'code'"),
])
def test_parts_are_validated_with_key_and_value(tmp_path, parts, message):
    with pytest.raises(CourseConfigError) as info:
        load_course(course_with(tmp_path, {HW3_ONE_COLUMN: parts}))
    assert message in str(info.value)


def test_parts_load_as_data(course_file):
    hw3 = load_course(course_file).assignment("hw3")
    assert [(p.name, p.points, p.gradescope_names[0]) for p in hw3.parts] == [
        ("code", 80.0, "Homework 3 - Code"), ("written", 20.0, "Homework 3 - Written")]
    assert hw3.gradescope_names == ()
