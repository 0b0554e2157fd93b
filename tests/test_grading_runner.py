"""The grading runner reuses one collection of the hidden suite across
submissions through pytest's private API; where that API is unavailable it
falls back to pytest.main. Both must give the same outcomes."""

from __future__ import annotations

import pytest

from autograder import grading
from autograder.pytest_plugin import LocalNamespace, reference_module_for
from tests.conftest import ASSIGNMENTS


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_reused_collection_and_pytest_main_agree(name, assignments):
    assignment = assignments[name]
    student = LocalNamespace(vars(reference_module_for(assignment.suite)))
    runner = grading.SuiteRunner(assignment, grading._suite_stamp(assignment))
    assert runner.items, "the private-API route collected nothing: check the pinned pytest version"
    reused = runner.run(student, assignment.limits).outcomes
    once = grading._run_suite_once(assignment, student, assignment.limits).outcomes
    assert [(o.name, o.score, o.status) for o in reused] == [(o.name, o.score, o.status) for o in once]
    assert sum(o.score for o in reused) == 100
