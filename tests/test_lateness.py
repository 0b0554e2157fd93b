"""Lateness in one place (``autograder.lateness``): the due date the student sees decides, in words.

The failing case of issue 10 §3: a student who submitted on time by Gradescope's clock was
scored 0 "for being 5 days late" because the autograder measured against course.yaml's date.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from autograder import lateness
from autograder.assignment import load_assignment
from autograder.batch.core import apply_lateness
from autograder.batch.inputs import Submission as BatchSubmission, Submitter
from autograder.course import LateDayPolicy, load_course
from autograder.gradescope import run
from autograder.gradescope.metadata import parse_metadata
from autograder.results import GradingResult
from autograder.samples import perfect_submission
from tests.conftest import COURSE, ROOT

PST = dt.timezone(dt.timedelta(hours=-8))


@pytest.fixture(scope="module")
def course():
    return load_course(COURSE)


def gs_metadata(created: dt.datetime, assignment_due: dt.datetime | None, own_due: dt.datetime | None = None) -> dict:
    """submission_metadata.json as Gradescope writes it (see /work/shared/fixtures/gradescope)."""
    user = {"id": 1, "email": "ada@example.edu", "name": "Ada Student", "sid": ""}
    if own_due is not None:
        user["assignment"] = {"due_date": own_due.isoformat(timespec="microseconds"), "late_due_date": None}
    return {"id": 1, "created_at": created.isoformat(timespec="microseconds"), "users": [user],
            "assignment": {"id": 2, "title": "Homework 1", "total_points": "100.0", "late_due_date": None,
                           "due_date": assignment_due.isoformat(timespec="microseconds") if assignment_due else None},
            "previous_submissions": []}


# ------------------------------------------------------------------ words, never "-1 day, 23:59:00"
@pytest.mark.parametrize("delta, text", [
    (dt.timedelta(minutes=-1), "1 minute before the due date"),
    (dt.timedelta(days=2, hours=3), "2 days 3 hours after the due date"),
    (dt.timedelta(hours=24, seconds=4), "1 day 4 seconds after the due date"),   # why it needs 2 late days
    (dt.timedelta(minutes=5), "5 minutes after the due date"),
    (dt.timedelta(seconds=-0.3), "less than a second before the due date"),
    (dt.timedelta(0), "exactly at the due date"),
])
def test_lateness_reads_in_words(delta, text):
    assert lateness.relative(delta) == text
    assert "day," not in text and ":" not in text


def test_hms_is_gradescopes_column_format():
    assert lateness.hms(dt.timedelta(hours=225, minutes=7, seconds=2)) == "225:07:02"
    assert lateness.hms(dt.timedelta(minutes=5)) == "0:05:00"
    assert lateness.hms(dt.timedelta(minutes=-1)) == "0:00:00"  # early is not late


@pytest.mark.parametrize("delta, days", [
    (dt.timedelta(0), 0),
    (dt.timedelta(minutes=5), 1),            # any part of a day counts as a day
    (dt.timedelta(hours=24), 1),
    (dt.timedelta(hours=24, seconds=1), 2),
    (dt.timedelta(hours=225, minutes=7, seconds=2), 10),
])
def test_days_needed_rounds_any_part_of_a_day_up(delta, days):
    assert lateness.days_needed(delta, LateDayPolicy()) == days


def test_grace_period_forgives_small_lateness():
    rules = LateDayPolicy(grace_minutes=10)
    assert lateness.days_needed(dt.timedelta(minutes=9), rules) == 0
    assert lateness.days_needed(dt.timedelta(minutes=11), rules) == 1


# ------------------------------------------------------------------ which due date
def test_due_date_the_student_sees_wins_and_course_yaml_is_the_fallback(course):
    hw1 = course.assignment("hw1")
    gradescope = hw1.due + dt.timedelta(days=5)
    own = gradescope + dt.timedelta(days=2)
    assert lateness.due_date(hw1).source == "course.yaml" and not lateness.due_date(hw1).staff_note
    plain = lateness.due_date(hw1, gradescope_due=gradescope)
    assert (plain.when, plain.source, plain.phrase) == (gradescope, "gradescope", "the due date")
    assert "differs from course.yaml's" in plain.staff_note
    extended = lateness.due_date(hw1, gradescope_due=gradescope, own_due=own)
    assert (extended.when, extended.source, extended.phrase) == (own, "extension", "your extended due date")
    same = lateness.due_date(hw1, gradescope_due=hw1.due, own_due=hw1.due)
    assert same.source == "student" and not same.staff_note


def test_on_time_by_gradescope_but_five_days_late_by_course_yaml_uses_no_late_day(course):
    # The case: Gradescope's due date is 5 days after course.yaml's; the student submits
    # one minute before Gradescope's. Before the fix: "5 days late", more than 2, scored 0.
    hw1 = course.assignment("hw1")
    gradescope_due = hw1.due + dt.timedelta(days=5)
    meta = parse_metadata(gs_metadata(gradescope_due - dt.timedelta(minutes=1), gradescope_due, gradescope_due))
    late = run.decide_lateness(meta, course, "hw1")
    assert late.late_days == 0 and late.zeroed_reason == ""
    assert "1 minute before the due date" in late.note and "0 late days" in late.note
    assert "course.yaml" not in late.note  # the instructor's business, not the student's
    assert late.staff_notes and "differs from course.yaml's" in late.staff_notes[0]


def test_batch_from_an_export_measures_against_course_yaml(course):
    hw1 = course.assignment("hw1")
    sub = BatchSubmission("submission_1", [Submitter("905000001", "Ada")], hw1.due + dt.timedelta(hours=30), b"{}")
    result = GradingResult(assignment="hw1")
    seconds = apply_lateness(result, sub, course, "hw1")
    assert seconds == 30 * 3600 and result.late_days == 2 and not result.zeroed_reason
    assert "1 day 6 hours after the due date" in result.late_note and "**2 late days**" in result.late_note


def test_firm_and_too_late_are_explained_in_words(course):
    project = course.assignment("project")
    firm = lateness.decide(project, course.late_days, project.due + dt.timedelta(minutes=5), tz=course.timezone)
    assert "5 minutes after the due date" in firm.zeroed_reason and "firm" in firm.zeroed_reason
    hw1 = course.assignment("hw1")
    late = lateness.decide(hw1, course.late_days, hw1.due + dt.timedelta(hours=49), tz=course.timezone)
    assert late.late_days == 3 and "2 days 1 hour after the due date" in late.zeroed_reason
    assert "more than 2 days late earns 0" in late.zeroed_reason


def test_spending_late_days_in_order_and_best_for_student():
    items = [lateness.LateItem("hw1", 1, 4), lateness.LateItem("hw2", 2, 20), lateness.LateItem("hw3", 1, 20)]
    assert lateness.choose_covered(items, 3, "in_order") == {"hw1", "hw2"}
    assert lateness.choose_covered(items, 3, "best_for_student") == {"hw2", "hw3"}
    assert lateness.latest([dt.timedelta(hours=1), None, dt.timedelta(hours=30)]) == dt.timedelta(hours=30)


# ------------------------------------------------------------------ the Gradescope run, end to end
def test_gradescope_run_gives_full_credit_on_gradescopes_clock_and_tells_only_staff(tmp_path, monkeypatch, course):
    """run_autograder's Python step on a perfect HW1 notebook submitted one minute before
    Gradescope's due date, which is 5 days after course.yaml's: full marks, 0 late days, the
    difference in a staff-only (hidden) entry and the log, never in what the student reads."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "source").symlink_to(ROOT)  # the course as run_autograder finds it (source/course.yaml)
    perfect = perfect_submission(load_assignment("hw1", COURSE))
    (root / "submission" / "hw1.ipynb").write_text(json.dumps(perfect))
    gradescope_due = course.assignment("hw1").due + dt.timedelta(days=5)
    (root / "submission_metadata.json").write_text(json.dumps(
        gs_metadata(gradescope_due - dt.timedelta(minutes=1), gradescope_due, gradescope_due)))
    monkeypatch.setenv("AUTOGRADER_ROOT", str(root))
    assert run.main(["hw1"]) == 0
    results = json.loads((root / "results" / "results.json").read_text())
    graded = [t for t in results["tests"] if "environment" not in t["tags"]]
    assert results["score"] == sum(t["max_score"] for t in graded) == 100
    assert "1 minute before the due date" in results["output"] and "0 late days" in results["output"]
    staff = [t for t in results["tests"] if t["name"] == run.DUE_DATE_TEST_NAME]
    assert len(staff) == 1 and staff[0]["visibility"] == "hidden" and "differs from course.yaml's" in staff[0]["output"]
    visible_text = results["output"] + "".join(t["output"] for t in results["tests"] if t["visibility"] != "hidden")
    assert "course.yaml" not in visible_text
