"""``autograder grades`` end to end: outputs, clear errors with no partial output, fixtures, report rendering."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.course import load_course
from autograder.grades.grade_exports import read_canvas, read_export
from tests.test_grades_support import COURSE_YAML, FIXTURES, write_csv, write_export

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture
def inputs(tmp_path):
    export = write_export(tmp_path / "gradescope.csv", [
        {"sid": "101", "scores": {"hw2": 80}, "late": {"hw2": "0:05:00"}},
        {"sid": "102", "scores": {"midterm": None, "hw1": 90}},
        {"sid": "103", "scores": {"hw3": 70}, "late": {"hw3": "49:00:00"}},
    ])
    roster = write_csv(tmp_path / "roster.csv", ["SID", "track", "basis"],
                       [["101", "C147", "letter"], ["102", "C247", "P/NP"], ["103", "MSOL", "S/U"]])
    bonus = write_csv(tmp_path / "bonus.csv", ["SID", "evaluation", "piazza"], [["101", "yes", "3"], ["103", "no", ""]])
    return tmp_path, export, roster, bonus


def run_grades(*args: object) -> int:
    return main(["grades", *map(str, args), "--course", str(COURSE_YAML)])


def test_writes_grades_canvas_explanations_and_report(inputs, capsys):
    tmp, export, roster, bonus = inputs
    out = tmp / "out"
    assert run_grades(export, "--roster", roster, "--bonus", bonus, "--out", out) == 0
    assert "3 students graded" in capsys.readouterr().out
    rows = {r["SID"]: r for r in csv.DictReader((out / "final_grades.csv").open())}
    # 101: HW (100+80+100+100+100)/5 = 96 % -> 38.4 + 60 + 0.5 evaluation + 1.5 Piazza = 100.40, A (and A+: top of its track)
    assert rows["101"]["Final score"] == "100.40" and rows["101"]["Late days where"] == "hw2: 1"
    # 102: no midterm: 40*(490/500) + 0 + 30 = 69.20 -> D+ -> NP
    assert (rows["102"]["Final score"], rows["102"]["Letter"], rows["102"]["Recorded grade"]) == ("69.20", "D+", "NP")
    # 103: hw3 49 h late -> zeroed; HW 80 % -> 32 + 60 = 92.00 -> A- -> S
    assert "hw3: it was submitted 2 days 1 hour after the due date" in rows["103"]["Zeroed"] and rows["103"]["Recorded grade"] == "S"
    canvas = list(csv.reader((out / "canvas_import.csv").open()))
    assert canvas[0][:5] == list(read_canvas(FIXTURES / "canvas.csv").header[:5])  # Canvas's own identity columns
    assert canvas[1][0].strip() == "Points Possible"
    assert sorted(p.name for p in (out / "explanations").iterdir()) == ["101.md", "102.md", "103.md"]
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "<h2>Late days</h2>" in html and "src='http" not in html


def test_running_again_replaces_the_outputs(inputs):
    tmp, export, roster, bonus = inputs
    out = tmp / "out"
    assert run_grades(export, "--roster", roster, "--out", out) == 0
    assert run_grades(export, "--roster", roster, "--bonus", bonus, "--out", out) == 0
    assert "0.50" in (out / "final_grades.csv").read_text()
    assert not [p for p in tmp.iterdir() if p.name.startswith(".out.tmp")]


def _assert_refused(capsys, tmp: Path, *args: object, message: str) -> None:
    out = tmp / "refused"
    assert run_grades(*args, "--out", out) == 2
    err = capsys.readouterr().err
    assert message in err and "nothing was written" in err
    assert not out.exists() and not [p for p in tmp.iterdir() if p.name.startswith(".refused")]


def test_unparsable_lateness_names_row_and_column_and_writes_nothing(inputs, capsys):
    tmp, export, roster, _ = inputs
    text = export.read_text().replace("0:05:00", "12:x:00", 1)
    export.write_text(text)
    _assert_refused(capsys, tmp, export, "--roster", roster,
                    message="gradescope.csv, row 2, column 'Homework 2 - Lateness (H:M:S)': '12:x:00' is not H:M:S")


def test_unparsable_submission_time_is_named(inputs, capsys):
    tmp, export, roster, _ = inputs
    export.write_text(export.read_text().replace("2025-01-22 23:00:00 -0800", "yesterday", 1))
    _assert_refused(capsys, tmp, export, "--roster", roster,
                    message="gradescope.csv, row 2, column 'Homework 1 - Submission Time': 'yesterday' is not a time")


def test_missing_assignment_columns_are_named(inputs, capsys):
    tmp, _, roster, _ = inputs
    export = write_export(tmp / "partial.csv", [{"sid": "101", "scores": {}}], names={"hw1": "Homework 1"})
    _assert_refused(capsys, tmp, export, message="partial.csv, row 1: no columns for assignment 'hw2'")


def test_roster_student_missing_from_export_and_the_reverse(inputs, capsys):
    tmp, export, _, _ = inputs
    extra = write_csv(tmp / "r1.csv", ["SID", "track", "basis"],
                      [["101", "C147", "letter"], ["102", "C247", "letter"], ["103", "MSOL", "letter"], ["999", "C147", "letter"]])
    _assert_refused(capsys, tmp, export, "--roster", extra, message="roster, row 5, column 'SID': '999' is not in gradescope.csv")
    short = write_csv(tmp / "r2.csv", ["SID", "track", "basis"], [["101", "C147", "letter"], ["102", "C247", "letter"]])
    _assert_refused(capsys, tmp, export, "--roster", short,
                    message="gradescope.csv, row 4, column 'SID': '103' (Stu 103) is not in the roster")


def test_unknown_bonus_sid_and_bad_roster_values(inputs, capsys):
    tmp, export, roster, _ = inputs
    bonus = write_csv(tmp / "b.csv", ["SID", "evaluation", "piazza"], [["101", "yes", "1"], ["555", "no", "2"]])
    _assert_refused(capsys, tmp, export, "--roster", roster, "--bonus", bonus,
                    message="bonus file, row 3, column 'SID': '555' is not a student in gradescope.csv")
    bad = write_csv(tmp / "r.csv", ["SID", "track", "basis"], [["101", "C147", "pass-fail"]])
    _assert_refused(capsys, tmp, export, "--roster", bad,
                    message="r.csv, row 2, column 'basis': 'pass-fail' is not a grading basis; allowed: letter, P/NP, S/U")
    nocol = write_csv(tmp / "r3.csv", ["SID", "track"], [["101", "C147"]])
    _assert_refused(capsys, tmp, export, "--roster", nocol, message="r3.csv, row 1: missing column(s) 'basis'")


# ------------------------------------------------------------------ fixtures


def test_parse_all_four_fixture_files():
    linked = read_export(FIXTURES / "gradescope.csv")
    assert "homework 02" in linked.assignments and linked.students[0].section == "dsc-10---a01-13805"
    obama = next(s for s in linked.students if s.last_name == "Barack")
    assert obama.submissions["Lab 01"].lateness.total_seconds() == 225 * 3600 + 7 * 60 + 2  # > 24 hours
    zelda = linked.students[0]
    assert zelda.submissions["Homework 06"].score > zelda.submissions["Homework 06"].max_points  # 22 of 21: kept
    five = read_export(FIXTURES / "gradescope-with-5m-late.csv")
    assert next(s for s in five.students if s.last_name == "Barack").submissions["Lab 01"].lateness.total_seconds() == 300
    unlinked = read_export(FIXTURES / "gradescope_not_linked_with_canvas.csv")
    assert unlinked.students[1].submissions["Demo Midterm"].score is None  # blank: missing work
    assert [s.email for s in unlinked.students if s.sid == ""] == ["eldridgejm@gmail.com"]  # quoted empty SID
    assert unlinked.students[0].section == ""
    canvas = read_canvas(FIXTURES / "canvas.csv")
    assert canvas.points_possible["Midterm Exam (157892)"] == "24.00" and len(canvas.students) == 4


def test_fixture_with_an_empty_sid_is_refused_by_row_unless_the_roster_matches_its_email(tmp_path, capsys):
    course = tmp_path / "course.yaml"
    text = COURSE_YAML.read_text()
    # Map the fixture's two assignments onto a two-assignment course.
    course.write_text(text.split("components:")[0] + """components:
  exam: {weight: 60, assignments: [midterm]}
  homework: {weight: 40, assignments: [hw1]}
assignments:
  hw1: {due: 2020-04-08, max_points: 1, gradescope: [Fake Assignment]}
  midterm: {due: 2018-09-14, max_points: 12, late: ignore, gradescope: [Demo Midterm]}
late_days: {per_student: 3, max_per_assignment: 2}
""" + "letter_scale:" + text.split("letter_scale:")[1].split("exams:")[0])
    load_course(course)
    export = FIXTURES / "gradescope_not_linked_with_canvas.csv"
    assert main(["grades", str(export), "--course", str(course), "--out", str(tmp_path / "o")]) == 2
    assert "row 14, column 'SID': empty for Justin Eldridge <eldridgejm@gmail.com>" in capsys.readouterr().err
    sids = [s.sid or "999" for s in read_export(export).students]
    roster = write_csv(tmp_path / "roster.csv", ["SID", "track", "basis", "email"],
                       [[sid, "C147", "letter", "eldridgejm@gmail.com" if sid == "999" else ""] for sid in sids])
    assert main(["grades", str(export), "--roster", str(roster), "--course", str(course), "--out", str(tmp_path / "o")]) == 0
    # Justin: Fake Assignment 1/1 but 24:23:28 late = 2 late days; midterm blank -> 0: 40 * 1 + 0 = 40.00
    justin = next(r for r in csv.DictReader((tmp_path / "o" / "final_grades.csv").open()) if r["SID"] == "999")
    assert (justin["Final score"], justin["Late days where"]) == ("40.00", "hw1: 2")


# ------------------------------------------------------------------- chromium


@pytest.mark.skipif(CHROMIUM is None and os.geteuid() != 0,
                    reason="needs Debian's chromium (/usr/bin/chromium); `make test` installs it when run as root")
def test_report_renders_in_headless_chromium_and_is_not_blank(inputs, tmp_path):
    import numpy as np
    from matplotlib import image

    assert CHROMIUM, "running as root but chromium is missing: apt-get install -y chromium"
    tmp, export, roster, bonus = inputs
    out = tmp / "out"
    assert run_grades(export, "--roster", roster, "--bonus", bonus, "--out", out) == 0
    png = tmp_path / "shot.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1200,1600",
           (out / "report.html").resolve().as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    assert png.exists(), "chromium wrote no screenshot"
    pixels = image.imread(png)[..., :3].reshape(-1, 3)
    colours = np.unique((pixels * 255).astype(np.uint8), axis=0)
    assert len(colours) > 50, f"screenshot looks blank: {len(colours)} distinct colours"
    # the histogram's blue bars are drawn (#4a7bd0)
    assert (np.abs(colours.astype(int) - [0x4a, 0x7b, 0xd0]).sum(axis=1) < 30).any()
