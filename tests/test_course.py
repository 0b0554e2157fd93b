"""course.yaml: the syllabus's grading slides load as data, and mistakes are named precisely."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from autograder.course import CourseConfigError, LateDayPolicy, find_course_file, load_course
from tests.test_grades_support import COURSE_YAML, course_with

PACIFIC = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def course():
    return load_course(COURSE_YAML)


def test_weights_and_components_match_the_syllabus(course):
    # "Homework (40%) ... Midterm exam (30%) ... Final project (30%)"
    assert {c.name: c.weight for c in course.components} == {"homework": 40, "midterm": 30, "project": 30}
    assert course.components[0].assignments == ("hw1", "hw2", "hw3", "hw4", "hw5")
    assert course.components[0].combine == "mean_percent"


def test_homework_dates_are_1159_pm_pacific_and_releases_follow_the_schedule(course):
    hw1 = course.assignment("hw1")
    assert hw1.release.date() == dt.date(2025, 1, 13)  # "13 Jan ... HW #1 released"
    assert hw1.due == dt.datetime(2025, 1, 22, 23, 59, tzinfo=PACIFIC)
    assert hw1.due.utcoffset() == dt.timedelta(hours=-8)
    assert [course.assignment(f"hw{i}").release.date().isoformat() for i in range(1, 6)] == [
        "2025-01-13", "2025-01-20", "2025-01-27", "2025-02-03", "2025-02-10"]
    assert hw1.max_points == 100.0
    assert course.assignment("project").due.date() == dt.date(2025, 3, 14)  # firm
    assert course.assignment("project").late == "firm"


def test_late_day_rules(course):
    assert course.late_days == LateDayPolicy(per_student=3, max_per_assignment=2, grace_minutes=0, spend="in_order")


def test_published_scale_and_tracks(course):
    assert dict(course.published_scale) == {
        "A": 93, "A-": 90, "B+": 86, "B": 83, "B-": 80, "C+": 76, "C": 73, "C-": 70,
        "D+": 66, "D": 63, "D-": 60, "F": 0}
    assert set(course.tracks) == {"undergraduate", "graduate", "online"}
    assert course.track("MSOL").name == "online" and course.track("c147").name == "undergraduate"


def test_optional_hw3_question_for_undergraduates_lowers_their_maximum(course):
    hw3 = course.assignment("hw3")
    assert hw3.optional_for == {"undergraduate": ["FullyConnectedNet"]}  # a task of HW3's hidden suite
    assert hw3.max_points_for("undergraduate") == Decimal(80)  # 100 - the 20-point optional question
    assert hw3.max_points_for("graduate") == Decimal(100)


def test_exams_bonuses_bases_and_other_sections(course):
    online = course.exams["midterm"].sittings["online"]
    assert (online.date, online.start, online.end) == (dt.date(2025, 2, 22), "14:00", "15:50")
    assert course.exams["midterm"].sittings["undergraduate"].date == dt.date(2025, 2, 19)
    assert course.exams["midterm"].alternate_times is False
    assert course.bonuses.evaluation_points == Decimal("0.5") and course.bonuses.piazza_max_points == Decimal("1.5")
    assert course.grading_bases["pnp"].lowest_passing == "C" and course.grading_bases["su"].lowest_passing == "B"
    assert course.regrade_window_days == 7 and course.decimals == 2
    assert course.grading.cell_timeout_s == 30.0 and course.grading.memory_mb == 768
    assert course.gradescope.hidden_test_visibility == "after_published"


def test_unknown_assignment_names_the_known_ones(course):
    with pytest.raises(CourseConfigError, match="no assignment 'hw9'; known assignments: hw1, hw2"):
        course.assignment("hw9")


@pytest.mark.parametrize("old, new, message", [
    ("max_per_assignment: 2", "max_per_assignment: -1",
     "course.yaml: key 'late_days.max_per_assignment': value -1 is not allowed; allowed: an integer >= 0"),
    ("spend: in_order", "spend: randomly",
     "key 'late_days.spend': value 'randomly' is not allowed; allowed: one of in_order, best_for_student"),
    ("grace_minutes: 0", "grace_minute: 0", "key 'late_days.grace_minute' is not a known key; allowed keys: grace_minutes, max_per_assignment"),
    ("weight: 40", "weight: 50", "key 'components': value 'weights homework 50, midterm 30, project 30 (sum 110)' is not allowed; allowed: weights that add up to 100"),
    ("due: 2025-01-22", "due: 2025-02-30", "key 'assignments.hw1.due': value '2025-02-30' is not allowed; allowed: a real date"),
    ("due: 2025-01-22", "due: next week", "key 'assignments.hw1.due': value 'next week' is not allowed; allowed: a date YYYY-MM-DD or ISO timestamp"),
    ("  C-: 70", "  C-: 74", "key 'letter_scale.C-': value 74 is not allowed; allowed: a cutoff below C's 73"),
    ("assignments: [midterm]", "assignments: [midterm, hw7]", "key 'components.midterm.assignments': value 'hw7' is not allowed"),
])
def test_mistakes_name_key_value_and_what_is_allowed(tmp_path, old, new, message):
    with pytest.raises(CourseConfigError) as err:
        load_course(course_with(tmp_path, {old: new}))
    assert message in str(err.value)


def test_a_stricter_scale_is_refused_at_load(tmp_path):
    # "The scale may be relaxed but it will not be made more stringent": A at 94 > published 93.
    path = course_with(tmp_path, {"online: {course: MSOL, aliases: [MSOL, C247-MSOL]}":
                                  "online: {course: MSOL, aliases: [MSOL], relax: {A: 94}}"})
    with pytest.raises(CourseConfigError, match=r"key 'tracks.online.relax.A': value 94 is not allowed; "
                                                 r"allowed: a cutoff <= the published 93 \(a scale may be relaxed, never made more stringent\)"):
        load_course(path)


def test_a_relaxed_scale_loads(tmp_path):
    path = course_with(tmp_path, {"online: {course: MSOL, aliases: [MSOL, C247-MSOL]}":
                                  "online: {course: MSOL, aliases: [MSOL], relax: {A: 92, A-: 89}}"})
    scale = dict(load_course(path).tracks["online"].scale)
    assert scale["A"] == 92 and scale["A-"] == 89 and scale["B+"] == 86


def test_find_course_file_walks_up_and_env_overrides(tmp_path, monkeypatch):
    monkeypatch.delenv("AUTOGRADER_COURSE", raising=False)
    (tmp_path / "course.yaml").write_text(COURSE_YAML.read_text())
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_course_file(deep) == tmp_path / "course.yaml"
    monkeypatch.setenv("AUTOGRADER_COURSE", str(COURSE_YAML))
    assert find_course_file(deep) == COURSE_YAML
    monkeypatch.setenv("AUTOGRADER_COURSE", str(tmp_path / "nope.yaml"))
    with pytest.raises(CourseConfigError, match="no such file"):
        find_course_file(deep)


def test_course_root_is_the_folder_of_course_yaml(course):
    assert course.root == COURSE_YAML.parent


# ------------------------------------------------------------------ one declaration per option


def test_the_docs_table_is_generated_from_the_declarations():
    from autograder.course import docs_with_table

    path = COURSE_YAML.parent / "docs" / "course-yaml.md"
    text = path.read_text()
    assert docs_with_table(text) == text, "docs/course-yaml.md is stale: run `python -m autograder.course --docs`"
    for key in ("late_days.per_student", "grading.cell_timeout_s", "grading.function_budget_s",
                "assignments.<name>.parts"):
        assert f"| `{key}` |" in text


def test_every_key_of_course_yaml_is_declared_and_defaults_come_from_the_declaration():
    import dataclasses

    import yaml

    from autograder import course as c
    from autograder.sandbox import process

    declared = {o.key for o in c.OPTIONS}
    named = {"components", "assignments", "tracks", "exams", "parts", "sittings"}

    def keys(node, prefix=""):
        """The leaf keys of course.yaml, with chosen names written <name>."""
        for k, v in node.items():
            key = f"{prefix}{'<name>' if prefix.rstrip('.').rsplit('.', 1)[-1] in named else k}"
            if isinstance(v, dict) and any(d.startswith(key + ".") for d in declared):
                yield from keys(v, key + ".")
            else:
                yield key

    used = set(keys(yaml.safe_load(COURSE_YAML.read_text())))
    assert used - declared == set()
    # one limits class: course.yaml's grading section is the sandbox's Limits, defaults declared on its fields
    assert c.GradingLimits is process.Limits
    limits = {f.name: f.default for f in dataclasses.fields(process.Limits)}
    assert c.default("grading.cell_timeout_s") == limits["cell_timeout_s"] == 30
    assert c.default("grading.function_budget_s") == limits["function_budget_s"] == 20
    assert c.LateDayPolicy().per_student == c.default("late_days.per_student") == 3
    assert c.SCHEMA["properties"]["grading"]["properties"]["cell_timeout_s"] == {"type": "number", "exclusiveMinimum": 0}


def test_a_grading_limit_is_validated_from_its_declaration(tmp_path):
    with pytest.raises(CourseConfigError) as info:
        load_course(course_with(tmp_path, {"cell_timeout_s: 30": "cell_timeout_s: 0"}))
    assert "key 'grading.cell_timeout_s': value 0 is not allowed; allowed: a number > 0" in str(info.value)
    assert load_course(course_with(tmp_path, {"cell_timeout_s: 30": "max_open_files: 64"})).grading.max_open_files == 64


def test_hidden_tests_can_be_shown_after_the_due_date(tmp_path):
    """Gradescope's `after_due_date` visibility reaches every hidden test's results entry."""
    from autograder.assignment import load_assignment
    from autograder.results import GradingResult, TestOutcome, to_gradescope

    path = course_with(tmp_path, {"hidden_test_visibility: after_published": "hidden_test_visibility: after_due_date"})
    for folder in ("assignments", "reference"):
        (tmp_path / folder).symlink_to(COURSE_YAML.parent / folder)
    assert load_course(path).gradescope.hidden_test_visibility == "after_due_date"
    assignment = load_assignment("hw1", path)
    assert assignment.hidden_visibility == "after_due_date"
    result = GradingResult(assignment="hw1", tests=[TestOutcome(name="test_x", task="fit", score=0.0, max_score=2.0,
                                                                status="failed", output="", visibility=assignment.hidden_visibility)])
    assert [t["visibility"] for t in to_gradescope(result)["tests"] if t["name"].endswith("test_x")] == ["after_due_date"]
    with pytest.raises(CourseConfigError, match="after_due_date"):
        load_course(course_with(tmp_path, {"hidden_test_visibility: after_published": "hidden_test_visibility: later"}))


def test_a_course_read_twice_is_parsed_once_and_any_change_is_read_again(tmp_path):
    """One command reads course.yaml more than once (the assignment, then the course): the same
    text gives the same course without parsing it again; a change of one character, even within
    the file system's timestamp granularity and at the same size, is read again."""
    text = COURSE_YAML.read_text()
    path = tmp_path / "course.yaml"
    path.write_text(text)
    first = load_course(path)
    assert load_course(path) is first
    path.write_text(text.replace("per_student: 3 ", "per_student: 4 ", 1))
    changed = load_course(path)
    assert changed is not first and changed.late_days.per_student == 4 and first.late_days.per_student == 3
