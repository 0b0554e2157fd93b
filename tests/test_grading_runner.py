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


def test_a_cold_grade_loads_the_suite_while_the_student_process_starts(assignments, perfect_notebooks, tmp_path,
                                                                       monkeypatch):
    """Issue 23: the student process is launched before the grader imports pytest and
    collects the hidden suite (two processes, two cores), and waited for only then;
    the grade is the same full score."""
    from autograder.samples import write_notebook
    from autograder.sandbox.process import StudentProcess

    events: list[str] = []
    launch, await_ready = StudentProcess.launch, StudentProcess.await_ready
    monkeypatch.setattr(StudentProcess, "launch", lambda self: (events.append("launch"), launch(self))[1])
    monkeypatch.setattr(StudentProcess, "await_ready", lambda self: (events.append("wait"), await_ready(self))[1])

    class RecordingRunner(grading.SuiteRunner):
        def __init__(self, *args, **kwargs):
            events.append("collect")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(grading, "SuiteRunner", RecordingRunner)
    monkeypatch.setattr(grading, "_runners", {})  # cold: nothing collected in this process yet
    notebook = write_notebook(perfect_notebooks["hw1"], tmp_path / "hw1.ipynb")
    result = grading.grade_submission(assignments["hw1"], notebook)
    assert result.score == result.max_score == 100 and not result.grader_errors
    assert events[:3] == ["launch", "collect", "wait"]
