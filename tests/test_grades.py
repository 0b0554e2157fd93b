"""Hand-computed final grades under the syllabus, each case's arithmetic in its own words.

Course (course.yaml): homework 40 % (mean of HW1-HW5 percentages), midterm 30 %,
project 30 %; 3 late days, at most 2 per assignment; published scale A 93, A- 90,
B+ 86, B 83, B- 80, C+ 76, C 73, C- 70 ...; P for C or better, S for B or better.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from autograder.course import load_course
from autograder.grades import policy, writers
from autograder.grades.grade_exports import ExportScore, parse_lateness
from tests.test_grades_support import COURSE_YAML, course_with

HWS = ("hw1", "hw2", "hw3", "hw4", "hw5")


@pytest.fixture(scope="module")
def course():
    return load_course(COURSE_YAML)


def student(sid="1", scores=None, late=None, track="graduate", basis="letter", evaluation=False, piazza=0,
            optional=None, every=100):
    """A student with ``every`` points on every assignment unless ``scores`` says otherwise (None = blank)."""
    scores = {**{a: every for a in (*HWS, "midterm", "project")}, **(scores or {})}
    subs = {a: ExportScore(None if v is None else Decimal(str(v)), Decimal(100), None,
                          parse_lateness((late or {}).get(a, "00:00:00")))
            for a, v in scores.items()}
    return policy.StudentInput(sid, f"Student {sid}", f"{sid}@ucla.edu", "", track, basis, subs, evaluation,
                               Decimal(str(piazza)), optional or {})


def grade(course, *students):
    results = policy.compute(course, list(students))
    return results if len(results) > 1 else results[0]


# ------------------------------------------------------------------ late days

LATE_CASE = dict(
    scores={"hw1": 20, "midterm": 90, "project": 90},
    late={"hw1": "10:00:00", "hw2": "30:00:00", "hw3": "05:00:00"},  # need 1, 2, 1 late days
)


def test_late_days_in_due_date_order_zero_the_third_late_homework(course):
    # In order: hw1 takes 1 day (2 left), hw2 takes 2 (0 left), hw3 needs 1: zeroed.
    # HW = (20 + 100 + 0 + 100 + 100) / 5 = 64 %; 40 * 0.64 + 30 * 0.9 + 30 * 0.9 = 25.6 + 27 + 27 = 79.60 -> C+.
    r = grade(course, student(**LATE_CASE))
    assert r.final_score == Decimal("79.60") and r.letter == "C+"
    assert [(o.name, o.days_used) for o in r.outcomes.values() if o.days_used] == [("hw1", 1), ("hw2", 2)]
    assert "5 hours late" in r.outcomes["hw3"].zeroed and "but none were left" in r.outcomes["hw3"].zeroed


def test_late_days_best_for_student_skip_the_cheap_homework_and_give_a_higher_letter(tmp_path):
    # Best: spend 2 on hw2 and 1 on hw3, let hw1 (worth only 20 %) be zeroed.
    # HW = (0 + 100 + 100 + 100 + 100) / 5 = 80 %; 32 + 27 + 27 = 86.00 -> B+ (in order gave C+).
    course = load_course(course_with(tmp_path, {"spend: in_order": "spend: best_for_student"}))
    r = grade(course, student(**LATE_CASE))
    assert r.final_score == Decimal("86.00") and r.letter == "B+"
    assert {o.name: o.days_used for o in r.outcomes.values() if o.days_used} == {"hw2": 2, "hw3": 1}
    assert r.outcomes["hw1"].points == 0 and "raise the final score most" in r.outcomes["hw1"].zeroed


def test_three_days_late_is_zero_even_with_late_days_left(course):
    # hw1 49 hours late needs 3 days > 2 allowed on one assignment: 0, and no late day is spent.
    # HW = (0 + 4 * 100) / 5 = 80 %; 32 + 30 + 30 = 92.00 -> A-.
    r = grade(course, student(late={"hw1": "49:00:00"}))
    assert r.outcomes["hw1"].points == 0 and "would need 3 late days" in r.outcomes["hw1"].zeroed
    assert "2 days 1 hour after the due date" in r.outcomes["hw1"].zeroed  # in words, not 49:00:00
    assert r.late_days_used == 0
    assert r.final_score == Decimal("92.00") and r.letter == "A-"


def test_the_project_due_date_is_firm(course):
    # Five minutes late on the project: no late day can be used; 40 + 30 + 0 = 70.00 -> C-.
    r = grade(course, student(late={"project": "0:05:00"}))
    assert r.outcomes["project"].points == 0 and "this deadline is firm" in r.outcomes["project"].zeroed
    assert r.final_score == Decimal("70.00") and r.letter == "C-"


# ----------------------------------------------------------- bases and rounding


def test_exactly_73_is_a_c_and_a_pass(course):
    # Every assignment 73 / 100: 0.4*73 + 0.3*73 + 0.3*73 = 73.00; "a boundary score takes the higher letter": C, so P.
    r = grade(course, student(every=73, basis="pnp"))
    assert r.final_score == Decimal("73.00") and r.letter == "C" and r.recorded == "P"


def test_72_99_is_a_c_minus_and_no_pass(course):
    # Midterm 72.97: 29.2 + 21.891 + 21.9 = 72.991 -> 72.99 -> C- -> NP ("C- is by definition NP").
    r = grade(course, student(every=73, scores={"midterm": 72.97}, basis="pnp"))
    assert r.final_score == Decimal("72.99") and r.letter == "C-" and r.recorded == "NP"


def test_82_90_under_s_u_is_a_b_minus_so_u(course):
    # Every assignment 82.9: final 82.90 -> B- ("If you take this class S/U and earn a B-, ... that is a U").
    r = grade(course, student(every=82.9, basis="su"))
    assert r.final_score == Decimal("82.90") and r.letter == "B-" and r.recorded == "U"


def test_89_995_rounds_half_up_once_to_90_00_an_a_minus(course):
    # HW 100, project 100, midterm 66.65: 40 + 30 + 30 * 0.6665 = 89.995 exactly -> 90.00 -> A-.
    # Exact decimal arithmetic: no binary-float representation error can pull 89.995 down to 89.99 (B+).
    r = grade(course, student(scores={"midterm": 66.65}))
    assert r.exact_score == Decimal("89.995")
    assert r.final_score == Decimal("90.00") and r.letter == "A-"


# --------------------------------------------------------------------- bonuses


def test_piazza_bonus_lifts_a_minus_to_a(course):
    # Every assignment 92: 92.00 (A-). The only Piazza participant is at the 100th percentile: +1.5 -> 93.50 (A).
    # Two classmates at 100.00 are the track's top A's and take the A+ (10 % of 3 A's rounds up to 1, tie included).
    me = student("me", every=92, piazza=4)
    top = [student(f"top{i}") for i in range(2)]
    r_me, *_ = grade(course, me, *top)
    assert r_me.piazza_bonus == Decimal("1.5")
    assert r_me.final_score == Decimal("93.50") and r_me.letter == "A"
    assert policy.letter_for(Decimal("92.00"), course.tracks["graduate"].scale) == "A-"


def test_piazza_percentile_rank_and_evaluation_bonus(course):
    # Raw Piazza 2 and 8 among two participants: ranks 1/2 and 2/2 -> +0.75 and +1.5; evaluation +0.5.
    a, b, c = grade(course, student("a", every=50, piazza=2, evaluation=True), student("b", every=50, piazza=8),
                    student("c", every=50))
    assert (a.piazza_bonus, b.piazza_bonus, c.piazza_bonus) == (Decimal("0.75"), Decimal("1.5"), 0)
    assert a.final_score == Decimal("51.25")  # 50 + 0.5 + 0.75


# -------------------------------------------------------------- missing and optional


def test_a_missing_midterm_counts_zero(course):
    # Blank midterm score: 40 + 0 + 30 = 70.00 -> C-; the explanation says why.
    r = grade(course, student(scores={"midterm": None}))
    assert r.component_percent["midterm"] == 0 and r.final_score == Decimal("70.00") and r.letter == "C-"
    assert "No score recorded in Gradescope, so it counts 0 / 100" in writers.explanation_md(course, r)


def test_optional_hw3_question_leaves_score_and_maximum_for_an_undergraduate(course):
    # HW3 raw 70 / 100, of which 0 on the 20-point optional FullyConnectedNet: an undergraduate is out of 80.
    # Undergraduate HW = (4 * 100 + 70/80*100) / 5 = 97.5 %; 40 * 0.975 = 39 + 60 = 99.00.
    # A graduate with the same scores: HW = (400 + 70) / 5 = 94 %; 37.6 + 60 = 97.60.
    q = {("hw3", "FullyConnectedNet"): Decimal(0)}
    ug = grade(course, student(scores={"hw3": 70}, track="undergraduate", optional=q))
    gr = grade(course, student(scores={"hw3": 70}, track="graduate"))
    assert ug.outcomes["hw3"].max_points == 80 and ug.final_score == Decimal("99.00")
    assert gr.outcomes["hw3"].max_points == 100 and gr.final_score == Decimal("97.60")
    assert ("optional for undergraduate students, so its 20 points leave the maximum (100 → 80)"
            in writers.explanation_md(course, ug))


def test_optional_question_points_above_the_reduced_maximum_are_not_extra_credit(course):
    # No --questions line; HW3 raw 95 > 80: the 15 points above the undergraduate maximum are the optional question's.
    r = grade(course, student(scores={"hw3": 95}, track="undergraduate"))
    assert r.outcomes["hw3"].points == 80 and r.outcomes["hw3"].percent == 100


# ------------------------------------------------------------------ scales and A+


def test_a_relaxed_msol_scale_changes_one_students_letter(tmp_path):
    # MSOL A relaxed to 92: 92.50 is an A for an online student, an A- for a graduate one.
    course = load_course(course_with(tmp_path, {
        "online: {course: MSOL, aliases: [MSOL, C247-MSOL]}": "online: {course: MSOL, aliases: [MSOL], relax: {A: 92}}",
        "a_plus: {percent: 10}": "a_plus: {count: 0}"}))
    online, grad = grade(course, student("o", every=92.5, track="online"), student("g", every=92.5, track="graduate"))
    assert online.final_score == grad.final_score == Decimal("92.50")
    assert (online.letter, grad.letter) == ("A", "A-")


def test_a_plus_goes_to_the_top_tenth_of_each_tracks_a_students(course):
    # Graduate track: 20 A's scoring 93.0, 93.3, ..., 98.7; 10 % of 20 = 2 A+ (98.7 and 98.4).
    # Undergraduate track: one A (95) -> 10 % of 1 rounds up to 1 A+. A P/NP student is not ranked.
    grads = [student(f"g{i}", every=93 + Decimal("0.3") * i) for i in range(20)]
    ugrad = student("u", every=95, track="undergraduate")
    pnp = student("p", every=99, basis="pnp")
    results = {r.student.sid: r for r in grade(course, *grads, ugrad, pnp)}
    assert sorted(sid for sid, r in results.items() if r.letter == "A+") == ["g18", "g19", "u"]
    assert results["g17"].letter == "A" and results["p"].recorded == "P"
    assert "top A students of your track" in writers.explanation_md(course, results["g19"])


def test_explanation_walks_through_the_arithmetic(course):
    r = grade(course, student(scores={"hw2": 80}, late={"hw2": "0:05:00"}, evaluation=True))
    text = writers.explanation_md(course, r)
    assert "Submitted 5 minutes late; any part of a day counts as a day, so 1 late day(s) used. 80 / 100 = 80.00 %" in text
    assert "(100.00 + 80.00 + 100.00 + 100.00 + 100.00) / 5 = 96.00 %" in text
    assert "38.40 + 30.00 + 30.00 + 0.50 + 0.00 = 98.9 exactly, rounded half up to **98.90**" in text
    assert "A is 93 or more: 98.90 is a **A**" in text or "A+" in text
