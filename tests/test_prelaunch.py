"""A cold command starts the student process before it has read the notebook
(``grading.prelaunch``): the next grade of that assignment runs its cells there, and a
grade it was not started for, or a notebook that cannot be read, never leaves it behind."""

from __future__ import annotations

import dataclasses

from autograder import grading
from autograder.samples import write_notebook


def prelaunched(assignment):
    grading.prelaunch(assignment)
    terms, session = grading._prelaunched[(assignment.suite, 0)]
    assert session.process is not None and session.process.alive and session.cells == []
    return session


def test_the_next_grade_runs_in_the_prelaunched_process(assignments, perfect_notebooks, tmp_path):
    hw1 = assignments["hw1"]
    session = prelaunched(hw1)
    result = grading.grade_submission(hw1, write_notebook(perfect_notebooks["hw1"], tmp_path / "p.ipynb"))
    assert result.score == 100 and not result.grader_errors
    assert session.cells and session.generation == 1, "its cells ran in the prelaunched process"
    assert not session.process.alive and (hw1.suite, 0) not in grading._prelaunched


def test_a_grade_with_other_limits_starts_its_own_process(assignments, perfect_notebooks, tmp_path):
    hw1 = assignments["hw1"]
    session = prelaunched(hw1)
    other = dataclasses.replace(hw1.limits, memory_mb=hw1.limits.memory_mb + 64)
    result = grading.grade_submission(hw1, write_notebook(perfect_notebooks["hw1"], tmp_path / "p.ipynb"), limits=other)
    assert result.score == 100
    assert session.cells == [] and not session.process.alive, "closed unused: it was started with other limits"


def test_an_unreadable_notebook_closes_the_prelaunched_process(assignments, tmp_path):
    hw1 = assignments["hw1"]
    session = prelaunched(hw1)
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    result = grading.grade_submission(hw1, broken)
    assert result.unusable and result.score == 0
    assert not session.process.alive and not grading._prelaunched
