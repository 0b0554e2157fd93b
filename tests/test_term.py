"""Issue 22 items 6, 7, 8, 10: local feedback, batch -> grades, manual adjustments, report.html."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from autograder.cli import main
from tests.test_batch import copy_course
from tests.test_grades_support import COURSE_YAML, course_with, write_csv, write_export

SIDS = ("905000001", "905000002", "905000003")


@pytest.fixture(scope="module")
def local_class(tmp_path_factory):
    """A course copy, hw1 notebooks in a folder of <sid>.ipynb (perfect, blank, one wrong function),
    graded by `autograder batch` into a gradebook and a CSV."""
    from autograder.assignment import load_assignment
    from autograder.samples import blank_submission, perfect_submission, with_cells, write_notebook
    from tests.variants.hw1_variants import WRONG

    root = tmp_path_factory.mktemp("term")
    course_file = copy_course(root / "course")
    hw1 = load_assignment("hw1", course_file)
    perfect = perfect_submission(hw1)
    grade_id, source, _ = WRONG["loss_missing_half"]
    folder = root / "subs"
    folder.mkdir()
    write_notebook(perfect, folder / f"{SIDS[0]}.ipynb")
    write_notebook(blank_submission(hw1), folder / f"{SIDS[1]}.ipynb")
    write_notebook(with_cells(perfect, {grade_id: source}), folder / f"{SIDS[2]}.ipynb")
    db, out = root / "gradebook.sqlite", root / "hw1_grades.csv"
    code = main(["batch", "hw1", str(folder), "--db", str(db), "--csv", str(out), "--jobs", "1", "--no-progress",
                 "--course", str(course_file)])
    assert code in (0, 1), code
    rows = {r["sid"]: r for r in csv.DictReader(out.open())}
    return dict(root=root, course=course_file, db=db, csv=out, rows=rows)


# ------------------------------------------------------------------ item 7: batch -> grades
def test_a_local_batch_reaches_the_letters(local_class, tmp_path, capsys):
    rows = local_class["rows"]
    assert rows[SIDS[0]]["score"] == "100" and rows[SIDS[1]]["score"] == "0"
    wrong = float(rows[SIDS[2]]["score"])
    assert 0 < wrong < 100
    # Gradescope's export says 50 on hw1 for everyone (an old grading); the batch CSV replaces that column
    export = write_export(tmp_path / "gradescope.csv", [{"sid": s, "scores": {"hw1": 50}} for s in SIDS])
    out = tmp_path / "final"
    assert main(["grades", str(export), "--local", f"hw1={local_class['csv']}", "--out", str(out),
                 "--course", str(local_class["course"])]) == 0
    final = {r["SID"]: r for r in csv.DictReader((out / "final_grades.csv").open())}
    # homework = mean of (hw1, 100, 100, 100, 100) %; 40 % of the grade; midterm + project 60
    assert (final[SIDS[0]]["Final score"], final[SIDS[0]]["Letter"]) == ("100.00", "A+")  # 40 + 60, top of the class
    assert (final[SIDS[1]]["Final score"], final[SIDS[1]]["Letter"]) == ("92.00", "A-")   # 32 + 60
    expected = round(40 * (wrong + 400) / 500 + 60, 2)
    assert final[SIDS[2]]["Final score"] == f"{expected:.2f}"
    assert "**Homework 1**: 0 / 100 = 0.00 %" in (out / "explanations" / f"{SIDS[1]}.md").read_text()
    # without Gradescope's export: the batch alone makes the class (other assignments have no score)
    alone = tmp_path / "alone"
    assert main(["grades", "--local", f"hw1={local_class['csv']}", "--out", str(alone),
                 "--course", str(local_class["course"])]) == 0
    assert {r["SID"] for r in csv.DictReader((alone / "final_grades.csv").open())} == set(SIDS)
    # the batch CSV given where the export goes is refused with what to do
    assert main(["grades", str(local_class["csv"]), "--out", str(tmp_path / "x"),
                 "--course", str(local_class["course"])]) == 2
    assert "pass it as --local hwN=" in capsys.readouterr().err


# ------------------------------------------------------------------ item 8: adjustments
ADJ_HEADER = ["SID", "assignment", "delta", "new_score", "reason", "by", "date"]


def _grades(*args: object) -> int:
    return main(["grades", *map(str, args), "--course", str(COURSE_YAML)])


def test_adjustments_are_applied_explained_and_late_ones_warned(tmp_path, capsys):
    export = write_export(tmp_path / "gs.csv", [{"sid": "101", "scores": {"hw2": 80}},
                                                 {"sid": "102", "scores": {"hw1": 90}}])
    adj = write_csv(tmp_path / "adjustments.csv", ADJ_HEADER, [
        ["101", "hw2", "+10", "", "Q3 regrade: the rubric missed your second case", "TA Lee", "2025-02-01"],
        ["102", "Homework 1", "", "95", "late-add roster fix", "Prof. K", "2025-03-20"],
    ])
    out = tmp_path / "out"
    assert _grades(export, "--adjustments", adj, "--out", out) == 0
    captured = capsys.readouterr()
    final = {r["SID"]: r for r in csv.DictReader((out / "final_grades.csv").open())}
    assert final["101"]["Final score"] == "99.20"  # hw2 80 -> 90: 40 * 490 / 500 + 60 (98.40 without)
    text = (out / "explanations" / "101.md").read_text()
    assert "Adjusted from 80 to 90: +10 points (Q3 regrade: the rubric missed your second case; by TA Lee on 2025-02-01)." in text
    assert "Adjusted from 90 to 95: set to 95" in (out / "explanations" / "102.md").read_text()
    # hw1 due 2025-01-22, window 7 days -> closed 2025-01-29; the 2025-03-20 line is warned about, the other not
    assert "adjustments.csv, row 3: the adjustment for 102 on hw1 is dated 2025-03-20, after the regrade window closed on 2025-01-29" in captured.err
    assert "row 2" not in captured.err
    assert "2 adjustment(s) applied" in captured.out


@pytest.mark.parametrize("row, message", [
    (["999", "hw1", "1", "", "r", "me", "2025-02-01"], "adjustments.csv, row 2, column 'SID': '999' is not a student"),
    (["101", "hw9", "1", "", "r", "me", "2025-02-01"], "adjustments.csv, row 2, column 'assignment': 'hw9' is not an assignment"),
    (["101", "hw1", "1", "90", "r", "me", "2025-02-01"], "adjustments.csv, row 2, column 'delta': '1' and new_score '90': both given"),
    (["101", "hw1", "two", "", "r", "me", "2025-02-01"], "adjustments.csv, row 2, column 'delta': 'two' is not a number"),
    (["101", "hw1", "1", "", "r", "me", "Feb 1"], "adjustments.csv, row 2, column 'date': 'Feb 1' is not a date"),
])
def test_bad_adjustment_rows_are_refused_and_nothing_is_written(tmp_path, capsys, row, message):
    export = write_export(tmp_path / "gs.csv", [{"sid": "101", "scores": {}}])
    adj = write_csv(tmp_path / "adjustments.csv", ADJ_HEADER, [row])
    out = tmp_path / "out"
    assert _grades(export, "--adjustments", adj, "--out", out) == 2
    err = capsys.readouterr().err
    assert message in err and "nothing was written" in err
    assert not out.exists()


def test_course_yaml_names_the_adjustments_file(tmp_path, capsys):
    course = course_with(tmp_path, {"regrades: {window_days: 7}": "regrades: {window_days: 7, adjustments: adj.csv}"})
    export = write_export(tmp_path / "gs.csv", [{"sid": "101", "scores": {"hw2": 80}}])
    write_csv(tmp_path / "adj.csv", ADJ_HEADER, [["101", "hw2", "-5", "", "copied plot", "TA", "2025-02-01"]])
    out = tmp_path / "out"
    assert main(["grades", str(export), "--out", str(out), "--course", str(course)]) == 0
    assert "Adjusted from 80 to 75: -5 points" in (out / "explanations" / "101.md").read_text()


# ------------------------------------------------------------------ item 6: local feedback
def test_feedback_is_what_gradescope_shows_one_file_per_sid(local_class, tmp_path, capsys):
    from autograder.assignment import load_assignment
    from autograder.batch.gradebook import Gradebook
    from autograder.grading import grade_submission
    from autograder.results import to_gradescope

    db = tmp_path / "gb.sqlite"
    db.write_bytes(local_class["db"].read_bytes())
    with sqlite3.connect(db) as con:  # the instructor hides one test from students
        number, name = con.execute("SELECT number, name FROM tests WHERE status = 'failed' LIMIT 1").fetchone()
        con.execute("UPDATE tests SET visibility = 'hidden' WHERE name = ?", (name,))
    out = tmp_path / "fb"
    assert main(["feedback", "hw1", "--db", str(db), "--out", str(out), "--course", str(local_class["course"])]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{s}.{e}" for s in SIDS for e in ("html", "md"))
    hw1 = load_assignment("hw1", local_class["course"])
    wrong = grade_submission(hw1, local_class["root"] / "subs" / f"{SIDS[2]}.ipynb")
    shown = to_gradescope(wrong)
    text = (out / f"{SIDS[2]}.md").read_text()
    assert shown["output"] in text  # the very Markdown of the Gradescope run, "what kind of check failed" included
    hidden = shown["tests"][number - 1]
    visible = [t for t in shown["tests"] if t["visibility"] != "hidden" and t is not hidden]
    assert visible and all(f"{t['name']} ({t['score']:g} / {t['max_score']:g})" in text for t in visible)
    assert hidden["name"] not in text and "Grading environment" not in text  # hidden and staff-only entries left out
    page = (out / f"{SIDS[2]}.html").read_text()
    assert "<h1>" in page and "Score:" in page and "<script" not in page
    # a gradebook from before visibility was stored: still readable, migrated on its next writable open
    with sqlite3.connect(db) as con:
        con.execute("ALTER TABLE tests DROP COLUMN visibility")
        con.execute("ALTER TABLE tests DROP COLUMN description")
        con.execute("ALTER TABLE tests DROP COLUMN kind")
    with Gradebook(db, readonly=True) as book:
        gid = book.current_rows("hw1")[0].grading_id
        assert {t.visibility for t in book.result_of(gid, "hw1").tests} == {"after_published"}
    assert main(["feedback", "hw1", "--db", str(db), "--out", str(tmp_path / "fb2"),
                 "--course", str(local_class["course"])]) == 0
    with sqlite3.connect(db) as con:
        assert {"visibility", "description", "kind"} <= {r[1] for r in con.execute("PRAGMA table_info(tests)")}


# ------------------------------------------------------------------ item 10: report.html
def test_report_has_whole_student_ticks_pnp_su_counts_and_the_term_apart(tmp_path):
    import matplotlib.pyplot as plt

    from autograder.course import load_course
    from autograder.grades import report

    export = write_export(tmp_path / "gs.csv", [{"sid": "101", "scores": {}}, {"sid": "102", "scores": {"hw1": 0}},
                                                 {"sid": "103", "scores": {}}, {"sid": "104", "scores": {"project": 0}}])
    roster = write_csv(tmp_path / "roster.csv", ["SID", "track", "basis"],
                       [["101", "C147", "letter"], ["102", "C147", "P/NP"], ["103", "C147", "S/U"], ["104", "C147", "S/U"]])
    out = tmp_path / "out"
    assert _grades(export, "--roster", roster, "--out", out) == 0
    page = (out / "report.html").read_text()
    course = load_course(COURSE_YAML)
    assert f"<h1>Final grades: {course.name}</h1><p class='term'>Term: {course.term}</p>" in page.replace("&amp;", "&")
    # 102 passes (P), 103 S, 104 (project 0: 70.00, C-) U on the default scale
    assert "<td>P (P/NP)</td><td>1</td>" in page and "<td>NP (P/NP)</td><td>0</td>" in page
    assert "<td>S (S/U)</td><td>1</td>" in page and "<td>U (S/U)</td><td>1</td>" in page
    fig = report.histograms_figure(course, {"undergraduate": [91.0, 95.0, 70.0]})
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_yticks() if 0 <= t <= fig.axes[0].get_ylim()[1]]
    plt.close(fig)
    assert ticks and all(float(t).is_integer() for t in ticks), ticks


BATCH_HEADER = ["sid", "name", "email", "score", "max_score", "submission_time", "lateness", "late_days", "submission", "notes"]


def test_batch_csv_lines_match_by_email_and_unknown_sids_are_refused(tmp_path, capsys):
    export = write_export(tmp_path / "gs.csv", [{"sid": "101", "scores": {"hw1": 50}}, {"sid": "102", "scores": {"hw1": 50}}])
    batch = write_csv(tmp_path / "hw1_grades.csv", BATCH_HEADER, [
        ["", "Ada S", "101@ucla.edu", "90", "100", "2025-01-22 20:00:00 -0800", "0:00:00", "0", "a.ipynb", ""],
        ["102", "Bo T", "102@ucla.edu", "80", "100", "2025-01-23 00:30:00 -0800", "0:31:00", "1", "b.ipynb", ""]])
    out = tmp_path / "out"
    assert _grades(export, "--local", f"hw1={batch}", "--out", out) == 0
    text = (out / "explanations" / "101.md").read_text()
    assert "**Homework 1**: 90 / 100" in text
    assert "late day(s) used" in (out / "explanations" / "102.md").read_text()  # the batch's lateness counts
    bad = write_csv(tmp_path / "bad.csv", BATCH_HEADER, [
        ["999", "X", "x@y", "90", "100", "", "0:00:00", "0", "c.ipynb", ""]])
    assert _grades(export, "--local", f"hw1={bad}", "--out", tmp_path / "no") == 2
    assert "bad.csv, row 2, column 'sid': '999' is not a student in gs.csv" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()
