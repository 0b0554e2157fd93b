"""Fair by construction, for every assignment at once (issue: no points for
doing nothing, a time budget per function, feedback a student reads once).

Before these rules a HW1 notebook whose functions all return None scored
1/100 and a HW2 one 4/100; a HW1 notebook whose functions all loop took the
whole 300 s submission limit and lost the tests after it.
"""

from __future__ import annotations

import ast

import pytest

from autograder.samples import DO_NOTHING, do_nothing_submission, with_cells, solution_sources
from autograder.sandbox.process import Limits
from tests.conftest import ASSIGNMENTS, lost_tasks

pytestmark = pytest.mark.slow

LOOP_LIMITS = Limits(cell_timeout_s=3, call_timeout_s=1, submission_timeout_s=90, function_budget_s=2)


@pytest.mark.parametrize("kind", list(DO_NOTHING))
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_code_that_computes_nothing_earns_nothing(name, kind, assignments, grade):
    result = grade(assignments[name], do_nothing_submission(assignments[name], kind))
    assert [(t.name, t.score) for t in result.tests if t.score > 0] == []
    assert result.score == 0


def looping(source: str) -> str:
    """``source`` with every function body replaced by an endless loop."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = ast.parse("while True:\n    pass").body
    return ast.unparse(tree) + "\n"


def test_a_notebook_whose_every_function_loops_is_graded_within_its_budgets(assignments, perfect_notebooks, grade):
    hw1 = assignments["hw1"]
    loops = {gid: looping(src) for gid, src in solution_sources(hw1).items()}
    result = grade(hw1, with_cells(perfect_notebooks["hw1"], loops), limits=LOOP_LIMITS)
    assert result.score == 0
    assert not any("total time limit" in t.output for t in result.tests), "the submission limit was reached"
    by_task: dict[str, list[str]] = {}
    for test in result.tests:
        by_task.setdefault(test.task, []).append(test.output)
    assert len(by_task) == 13
    for task, outputs in by_task.items():
        waited = [o for o in outputs if "did not finish within" in o]
        assert len(waited) == 1, (task, outputs)  # one wait per function, not one per test
        assert all("its remaining tests were not run" in o for o in outputs if o not in waited), (task, outputs)


@pytest.mark.parametrize("name, function", [("hw1", "grad_bilinear_form"), ("hw2", "cross_validate_knn")])
def test_one_looping_function_costs_only_its_own_points(name, function, assignments, perfect_notebooks, grade):
    assignment = assignments[name]
    source = solution_sources(assignment)[function]
    result = grade(assignment, with_cells(perfect_notebooks[name], {function: looping(source)}), limits=LOOP_LIMITS)
    assert lost_tasks(result) == {function}
    assert result.score == 100 - sum(t.max_score for t in result.tests if t.task == function)


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_a_function_not_written_yet_is_reported_once(name, assignments, blank_notebooks, grade):
    result = grade(assignments[name], blank_notebooks[name])
    by_task: dict[str, list[str]] = {}
    for test in result.tests:
        by_task.setdefault(test.task, []).append(test.output)
    for task, outputs in by_task.items():
        if all(o.startswith("`") and "is not implemented yet, so this test of" in o for o in outputs):
            continue  # a backward pass: each of its tests names the forward pass whose cache it needs
        told = [o for o in outputs if "NotImplementedError" in o]
        assert len(told) == 1, (task, outputs)
        assert "is not implemented yet" in told[0]
        assert all(o == f"`{task}` is not implemented yet (see its first test)." for o in outputs if o not in told)


def test_an_input_changed_in_place_is_named_by_its_parameter(assignments, perfect_notebooks, grade):
    mutating = ("def squared_error_loss(theta, X, y):\n"
                "    y -= X @ theta\n"
                "    return 0.5 * np.mean(y ** 2)\n")
    result = grade(assignments["hw1"], with_cells(perfect_notebooks["hw1"], {"squared_error_loss": mutating}))
    messages = [t.output for t in result.tests if t.status == "failed"]
    assert any("changed its input `y` in place" in m for m in messages), messages
    assert not any("argument 3" in m for m in messages)


def test_a_broken_cell_is_named_by_what_it_defines(assignments, perfect_notebooks, grade):
    broken = "def polynomial_features(x, degree):\n    return undefined_name\nraise ValueError('oops')\n"
    result = grade(assignments["hw1"], with_cells(perfect_notebooks["hw1"], {"polynomial_features": broken}))
    assert any(p.startswith("Cell defining `polynomial_features` raised an error") for p in result.problems), \
        result.problems
    assert not any("cell 1" in p.lower() for p in result.problems)
