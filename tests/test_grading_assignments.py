"""What an instructor must be able to defend: the source's solutions earn
full marks, the blank release earns 0, every plausible mistake loses the
points of what it gets wrong (and nothing else), every correct alternative
earns full marks, and the same submission always gets the same score."""

from __future__ import annotations

import json

import pytest

from autograder.samples import with_cells
from tests.conftest import ASSIGNMENTS, lost_tasks, variants


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_solutions_earn_full_marks(name, assignments, perfect_notebooks, grade):
    result = grade(assignments[name], perfect_notebooks[name])
    failing = [(t.name, t.output) for t in result.tests if t.status != "passed"]
    assert failing == []
    assert result.score == result.max_score == 100
    assert result.problems == []


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_blank_release_earns_zero_with_a_helpful_message(name, assignments, blank_notebooks, grade):
    result = grade(assignments[name], blank_notebooks[name])
    assert result.score == 0
    assert result.max_score == 100
    assert all(t.status == "failed" for t in result.tests)
    assert any("NotImplementedError" in t.output for t in result.tests)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_points_match_the_notebook_test_cells(name, assignments):
    """Each visible test cell's nbgrader points equal its hidden tests' points."""
    from autograder.grading import run_suite
    from autograder.grading import UnreadableSubmission

    assignment = assignments[name]
    outcomes = run_suite(assignment, UnreadableSubmission("x")).outcomes
    hidden: dict[str, float] = {}
    for outcome in outcomes:
        assert outcome.max_score > 0, f"{outcome.name} carries no points"
        assert outcome.task, f"{outcome.name} has no task marker"
        hidden[outcome.task] = hidden.get(outcome.task, 0) + outcome.max_score
    cells = json.loads(assignment.source_notebook.read_text())["cells"]
    notebook: dict[str, float] = {}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            notebook[meta["grade_id"].removeprefix("test_")] = float(meta["points"])
    assert notebook == hidden
    assert sum(hidden.values()) == 100


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_same_submission_same_score(name, assignments, perfect_notebooks, grade):
    wrong_name, (grade_id, source, _) = next(iter(variants(name).WRONG.items()))
    notebook = with_cells(perfect_notebooks[name], {grade_id: source})
    first, second = grade(assignments[name], notebook), grade(assignments[name], notebook)
    assert [(t.name, t.score, t.output) for t in first.tests] == [(t.name, t.score, t.output) for t in second.tests]


def _wrong_cases():
    for name in ASSIGNMENTS:
        for key, (grade_id, source, tasks) in variants(name).WRONG.items():
            yield pytest.param(name, grade_id, source, tasks, id=f"{name}-{key}")


def _correct_cases():
    for name in ASSIGNMENTS:
        for key, (grade_id, source) in variants(name).CORRECT.items():
            yield pytest.param(name, grade_id, source, id=f"{name}-{key}")


@pytest.mark.parametrize("name, grade_id, source, tasks", list(_wrong_cases()))
def test_plausible_mistake_loses_exactly_its_points(name, grade_id, source, tasks, assignments,
                                                     perfect_notebooks, grade):
    result = grade(assignments[name], with_cells(perfect_notebooks[name], {grade_id: source}))
    assert result.score < 100
    assert lost_tasks(result) == set(tasks)
    for test in result.tests:
        if test.status != "passed":
            assert test.output, f"{test.name} failed without saying why"


@pytest.mark.parametrize("name, grade_id, source", list(_correct_cases()))
def test_correct_alternative_earns_full_marks(name, grade_id, source, assignments, perfect_notebooks, grade):
    result = grade(assignments[name], with_cells(perfect_notebooks[name], {grade_id: source}))
    assert [(t.name, t.output) for t in result.tests if t.status != "passed"] == []
    assert result.score == 100
