"""Exams without the sandbox: variants, the secret, judges at their edges, windows, rosters (issue 13)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from autograder.course import load_course
from autograder.errors import UnusableInput
from autograder.exam import render, store
from autograder.exam.build import issue_all, read_roster
from autograder.exam.questions import LETTERS, Choice, Exact, Numeric
from autograder.exam.variants import (SECRET_ENV, SECRET_FILE_ENV, SecretUnavailable, Student, issue_exam,
                                      load_secret, seed_for)
from autograder.exam.windows import (AccommodationError, decide, parse_accommodation,
                                     request_sitting, window_for)
from reference.midterm.questions import EXAM

ROOT = Path(__file__).resolve().parent.parent
SECRET = b"test-course-secret-0123456789abcdef"
PT = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT / "course.yaml")


# ---------------------------------------------------------------- variants
def test_two_students_get_different_numbers_in_every_question_with_parameters():
    a = issue_exam(EXAM, SECRET, Student("905000001"))
    b = issue_exam(EXAM, SECRET, Student("905000002"))
    for q in ("Q1", "Q2", "Q3", "Q4", "Q5"):
        assert a.questions[q].params != b.questions[q].params, q
    # and over a class, Q2's numbers are nearly all distinct (copying a neighbour is worthless)
    seen = {str(issue_exam(EXAM, SECRET, Student(f"9050{i:05d}")).questions["Q2"].params) for i in range(200)}
    assert len(seen) >= 195


def test_a_variant_depends_on_secret_sid_question_and_seed_space():
    base = seed_for(SECRET, "midterm", "Q1", "905000001")
    assert base == seed_for(SECRET, "midterm", "Q1", "905-000-001")  # the same SID written differently
    assert base != seed_for(SECRET + b"x", "midterm", "Q1", "905000001")
    assert base != seed_for(SECRET, "midterm", "Q2", "905000001")
    assert base != seed_for(SECRET, "midterm", "Q1", "905000001", space="practice")


def test_an_issued_exam_stays_the_same_across_builds_and_after_the_generator_is_edited(tmp_path):
    db = tmp_path / "gradebook.sqlite"
    ada, bob = Student("905000001", "Ada"), Student("905000002", "Bob")
    first, _ = issue_all(EXAM, db, [ada], SECRET)
    again, added = issue_all(EXAM, db, [ada], SECRET)
    assert added == 0 and again["905000001"].questions == first["905000001"].questions

    def edited_gen_q2(rng):  # the instructor changes Q2's generator after the exam was issued
        return {"s": [9.9, 9.8, 9.7], "y": 0}

    q2 = dataclasses.replace(EXAM.question("Q2"), generate=edited_gen_q2)
    edited = dataclasses.replace(EXAM, questions=tuple(q2 if q.name == "Q2" else q for q in EXAM.questions))
    assert q2.source_hash() != EXAM.question("Q2").source_hash()
    later, added = issue_all(edited, db, [ada, bob], SECRET)
    assert added == 1
    assert later["905000001"].questions["Q2"] == first["905000001"].questions["Q2"]  # Ada keeps hers
    assert later["905000001"].questions["Q2"].generator_hash == EXAM.question("Q2").source_hash()
    assert later["905000002"].questions["Q2"].params == {"s": [9.9, 9.8, 9.7], "y": 0}  # Bob is new: new code
    conn = store.connect(db)
    try:  # a leaked variant is traced back to its student by its parameters
        assert store.find_by_params(conn, "midterm", "Q3", first["905000001"].questions["Q3"].params) == ["905000001"]
    finally:
        conn.close()


def _given_values(notebook: dict, question: str) -> dict:
    """Run the 'given' cell of a question as the student would and return what it defines."""
    cell = next(c for c in notebook["cells"] if (c["metadata"].get("exam") or {}).get("cell") == f"{question}_given")
    scope: dict = {"np": np}
    exec(render.source_text(cell), scope)  # noqa: S102 - our own generated notebook
    return scope


def test_answers_are_computed_from_the_numbers_the_student_is_shown():
    import json

    source = json.loads((ROOT / "assignments/midterm/midterm.ipynb").read_text())
    for i in range(60):
        exam = issue_exam(EXAM, SECRET, Student(f"9051{i:05d}"))
        notebook = render.student_notebook(source, render.values_for(EXAM, exam, {"sid": exam.student.sid}), {})
        assert "{{" not in json.dumps(notebook["cells"][2:])  # every placeholder filled
        for q in ("Q1", "Q2", "Q3", "Q4", "Q5"):
            shown = _given_values(notebook, q)
            params = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in shown.items()
                      if k in exam.questions[q].params}
            params.update({k: v for k, v in exam.questions[q].params.items() if k not in params})
            assert EXAM.question(q).answer(params) == exam.questions[q].answers, (q, exam.student.sid)


# ---------------------------------------------------------------- the secret
def test_the_secret_is_read_from_the_environment_or_a_private_file_and_nowhere_else(tmp_path, monkeypatch):
    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(SECRET_FILE_ENV, raising=False)
    with pytest.raises(SecretUnavailable, match="autograder exam secret"):
        load_secret(ROOT)
    secret_file = tmp_path / "exam-secret"
    secret_file.write_text("x" * 40)
    secret_file.chmod(0o644)
    monkeypatch.setenv(SECRET_FILE_ENV, str(secret_file))
    with pytest.raises(SecretUnavailable, match="chmod 600"):
        load_secret(ROOT)
    secret_file.chmod(0o600)
    assert load_secret(ROOT) == b"x" * 40
    monkeypatch.setenv(SECRET_ENV, "from-the-environment-123456")
    assert load_secret(ROOT) == b"from-the-environment-123456"
    # the repository holds no secret file
    assert not list(ROOT.glob("**/.exam-secret")) and not list(ROOT.glob("**/exam-secret"))


# ---------------------------------------------------------------- judges
@pytest.mark.parametrize("got, ok", [(1.001, True), (0.999, True), (1.0010001, False), (0.9989, False),
                                     ([1.0], True), ("1.0", False), (None, False), (float("nan"), False)])
def test_numeric_relative_tolerance_boundary(got, ok):
    assert bool(Numeric(rtol=1e-3).judge(got, 1.0, "x")) is ok


@pytest.mark.parametrize("got, ok", [
    (2.26, True),            # the key 2.2551673... rounded to 3 significant figures
    (2.2551673, True),       # more digits than asked
    (2.2601673, True),       # exactly half a unit in the 3rd figure away (boundary: accepted)
    (2.2602, False),         # just beyond it
    (2.25, False),           # truncated, not rounded: 0.00517 away, more than half a unit (0.005)
    (2.3, False),            # 2 significant figures
])
def test_numeric_significant_figures_boundary(got, ok):
    key = 2.2551673355477253
    assert bool(Numeric(sig_figs=3).judge(got, key, "the loss")) is ok


def test_numeric_vectors_name_the_shape_and_count_wrong_entries():
    judge = Numeric(rtol=1e-2)
    assert judge.judge([0.47, -0.895, 0.425], [0.46993, -0.89514, 0.42521], "g")
    assert judge.judge(np.array([[0.47], [-0.895], [0.425]]), [0.46993, -0.89514, 0.42521], "g")  # a column is fine
    verdict = judge.judge([0.47, -0.80, 0.425], [0.46993, -0.89514, 0.42521], "g")
    assert not verdict and "1 of 3 entries" in verdict.message
    verdict = judge.judge([0.47, -0.895], [0.46993, -0.89514, 0.42521], "g")
    assert not verdict and "wrong shape" in verdict.message
    assert Numeric(rtol=1e-3).judge(0.0, 0.0, "zero") and not Numeric(rtol=1e-3).judge(1e-6, 0.0, "zero")


@pytest.mark.parametrize("got, key, ok", [
    (7, 7, True), (7.0, 7, True), (np.int64(7), 7, True), (7.5, 7, False), (8, 7, False), (True, 1, False),
    ((16, 30, 30), [16, 30, 30], True), ([16, 30, 30], [16, 30, 30], True), (np.array([16, 30, 30]), [16, 30, 30], True),
    ((16, 30), [16, 30, 30], False), ((16, 31, 30), [16, 30, 30], False), ((30, 30, 16), [16, 30, 30], False),
    ("16, 30, 30", [16, 30, 30], False), (None, 7, False),
])
def test_exact_integers_and_shapes(got, key, ok):
    assert bool(Exact().judge(got, key, "x")) is ok


def test_multiple_choice_options_are_shuffled_per_student_and_mapped_back():
    orders = {tuple(issue_exam(EXAM, SECRET, Student(f"9052{i:05d}")).questions["Q1"].order) for i in range(40)}
    assert len(orders) > 10  # students see the options in different orders
    exam = issue_exam(EXAM, SECRET, Student("905200001"))
    order = exam.questions["Q1"].order
    correct_letter = LETTERS[order.index(0)]  # where the right option (index 0) was shown to this student
    judge = Choice()
    assert judge.judge(correct_letter, 0, "q1", order)
    assert judge.judge(f" {correct_letter.lower()} ", 0, "q1", order)
    for letter in LETTERS[:5]:
        if letter != correct_letter:
            assert not judge.judge(letter, 0, "q1", order)
    other = next(o for o in orders if o.index(0) != order.index(0))
    assert not judge.judge(correct_letter, 0, "q1", list(other))  # the neighbour's letter is wrong for them
    verdict = judge.judge(3, 0, "q1", order)
    assert not verdict and "letters A, B, C, D, E" in verdict.message


# ---------------------------------------------------------------- windows
def at(day: int, hh: int, mm: int, ss: int = 0) -> dt.datetime:
    return dt.datetime(2025, 2, day, hh, mm, ss, tzinfo=PT)


def prev(when: dt.datetime, score: float) -> SimpleNamespace:
    return SimpleNamespace(submission_time=when, score=score, autograder_error=False)


def test_windows_on_time_within_grace_and_late(course):
    msol = window_for(course, "midterm", "MSOL")
    assert (msol.start, msol.end) == (at(22, 14, 0), at(22, 15, 50))
    assert decide(msol, at(22, 15, 49)).counts
    grace = decide(msol, at(22, 15, 51))
    assert grace.counts and grace.status == "within grace" and "2 minutes" in grace.reason
    late = decide(msol, at(22, 15, 53), [prev(at(22, 15, 30), 71.0), prev(at(22, 14, 40), 50.0)])
    assert not late.counts and late.score == 71.0 and "last submission inside the window" in late.reason
    none_inside = decide(msol, at(22, 16, 30), [prev(at(22, 16, 0), 90.0)])
    assert not none_inside.counts and none_inside.score == 0.0 and "scores 0" in none_inside.reason
    assert decide(msol, None).counts  # unknown time: said, not punished


def test_an_accommodated_student_submits_after_the_ordinary_end_inside_their_own(course):
    factor = window_for(course, "midterm", "MSOL", parse_accommodation("1.5x"))
    assert factor.end == at(22, 16, 45) and factor.ordinary_end == at(22, 15, 50)  # 110 min x 1.5 = 165 min
    assert decide(factor, at(22, 16, 30)).counts
    assert not decide(factor, at(22, 16, 50)).counts
    minutes = window_for(course, "midterm", "online", parse_accommodation("30m"))
    assert minutes.end == at(22, 16, 20) and decide(minutes, at(22, 16, 10)).counts
    assert not decide(window_for(course, "midterm", "MSOL"), at(22, 16, 10)).counts  # without the accommodation


def test_the_msol_sitting_is_on_its_own_day(course):
    c147 = window_for(course, "midterm", "C147")
    msol = window_for(course, "midterm", "MSOL")
    assert c147.start.date() == dt.date(2025, 2, 19) and msol.start.date() == dt.date(2025, 2, 22)
    assert decide(c147, at(19, 10, 0)).counts and not decide(msol, at(19, 10, 0)).counts
    assert decide(msol, at(19, 10, 0)).status == "before the window"
    assert not decide(c147, at(22, 14, 30)).counts


def test_another_sitting_is_refused_with_the_syllabus_words(course):
    refused = request_sitting(course, "midterm", "C147", dt.date(2025, 2, 22))  # in-person student asks for Saturday
    assert not refused.granted and course.exams["midterm"].no_alternate_times_text in refused.message
    assert "There are no alternate exam dates. The midterm for this course will be held on February 19, 2025 " \
           "(February 22, 2025 for MSOL students)." in refused.message  # course.yaml's folded text, one line
    assert request_sitting(course, "midterm", "MSOL", dt.date(2025, 2, 22)).granted


def test_the_refusal_quotes_this_terms_course_yaml_not_a_fixed_text(tmp_path):
    """Another term's words (or none) come from its own course.yaml: no date of 2025 is built in."""
    from tests.test_grades_support import course_with

    text = (ROOT / "course.yaml").read_text()
    start = text.index("    no_alternate_times_text: >-")
    end = text.index("\n    sittings:", start)
    other = course_with(tmp_path, {text[start:end]: "    no_alternate_times_text: The final is on March 20, 2027 only."})
    refused = request_sitting(load_course(other), "midterm", "C147", dt.date(2025, 2, 22))
    assert not refused.granted and refused.message.endswith('"The final is on March 20, 2027 only."')
    assert "2025" not in refused.message.split("Refused: your sitting is")[1].split(";", 1)[1]
    plain = course_with(tmp_path, {text[start:end]: ""})
    refused = request_sitting(load_course(plain), "midterm", "C147", dt.date(2025, 2, 22))
    assert not refused.granted and "no alternate times" in refused.message and "syllabus" not in refused.message


@pytest.mark.parametrize("text, factor, minutes", [("", 1, 0), ("1.5x", 1.5, 0), ("x2", 2, 0), ("1.25", 1.25, 0),
                                                   ("30m", 1, 30), ("45 min", 1, 45), ("+20", 1, 20), ("60", 1, 60)])
def test_accommodations_as_factor_or_minutes(text, factor, minutes):
    acc = parse_accommodation(text)
    assert (acc.factor, acc.minutes) == (factor, minutes)


def test_unreadable_accommodation_is_refused_with_what_is_accepted():
    with pytest.raises(AccommodationError, match="1.5x or minutes such as 30m"):
        parse_accommodation("double")


def test_roster_errors_name_line_and_column(tmp_path, course):
    roster = tmp_path / "roster.csv"
    roster.write_text("SID,Name,Track,Extra time\n905000001,Ada,C147,\n905000002,Bob,C999,\n")
    with pytest.raises(UnusableInput, match=r"line 3, column Track: .*unknown track 'C999'"):
        read_roster(roster, course, "midterm")
    roster.write_text("SID,Name,Track,Extra time\n905000001,Ada,C147,\n905-000-001,Ada again,C147,\n")
    with pytest.raises(UnusableInput, match="line 3: SID 905000001 already on line 2"):
        read_roster(roster, course, "midterm")
    roster.write_text("SID,Name,Track,Extra time\n905000001,Ada,MSOL,lots\n")
    with pytest.raises(UnusableInput, match="line 2, column Extra time"):
        read_roster(roster, course, "midterm")
    roster.write_text("SID,Name,Track,Extra time\n905000001,Ada,msol,1.5x\n905000002,Bob,,\n")
    students = read_roster(roster, course, "midterm")
    assert [(s.track, s.extra_time) for s in students] == [("online", "1.5x"), ("undergraduate", "")]


@pytest.mark.slow
def test_the_exam_release_is_nbgraders_cell_by_cell():
    from autograder.assignment import load_assignment
    from autograder.exam.build import released_template
    from autograder.release import release_notebook

    assignment = load_assignment("midterm", ROOT / "course.yaml")
    ours = released_template(assignment)
    theirs = release_notebook(assignment)
    for mine, nbgrader_cell in zip(ours["cells"], theirs["cells"], strict=True):
        if render.source_text(nbgrader_cell).strip() == "# YOUR CODE HERE\nraise NotImplementedError()":
            continue  # nbgrader stubs a solution cell without markers; an exam gives its answer cell as written
        assert render.source_text(mine) == render.source_text(nbgrader_cell)
    q6 = next(c for c in ours["cells"] if (c["metadata"].get("nbgrader") or {}).get("grade_id") == "Q6")
    assert "raise NotImplementedError()" in render.source_text(q6) and "np.sqrt" not in render.source_text(q6)
