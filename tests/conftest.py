"""Shared fixtures: the course's assignments, and grading a notebook dict."""

from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any, Callable

import pytest

from autograder.assignment import Assignment, load_assignment
from autograder.grading import grade_submission
from autograder.results import GradingResult
from autograder.samples import blank_submission, perfect_submission, write_notebook
from autograder.sandbox.process import Limits

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course.yaml"


def course_assignments() -> tuple[str, ...]:
    """Every homework of course.yaml whose source notebook and hidden suite exist, in course order."""
    from autograder.course import load_course

    course = load_course(COURSE)
    return tuple(name for name, policy in course.assignments.items()
                 if policy.kind == "homework" and (ROOT / "reference" / name / f"test_{name}.py").exists()
                 and (ROOT / "assignments" / name / f"{name}.ipynb").exists())


ASSIGNMENTS = course_assignments()
FAST_LIMITS = Limits(cell_timeout_s=3, call_timeout_s=3, submission_timeout_s=120)


@pytest.fixture(scope="session")
def assignments() -> dict[str, Assignment]:
    return {name: load_assignment(name, COURSE) for name in ASSIGNMENTS}


@pytest.fixture(scope="session")
def perfect_notebooks(assignments: dict[str, Assignment]) -> dict[str, dict[str, Any]]:
    return {name: perfect_submission(a) for name, a in assignments.items()}


@pytest.fixture(scope="session")
def blank_notebooks(assignments: dict[str, Assignment]) -> dict[str, dict[str, Any]]:
    return {name: blank_submission(a) for name, a in assignments.items()}


@pytest.fixture
def grade(tmp_path: Path) -> Callable[..., GradingResult]:
    """grade(assignment, notebook_dict_or_path, limits=FAST_LIMITS) -> GradingResult."""
    counter = iter(range(10_000))

    def run(assignment: Assignment, notebook: Any, limits: Limits = FAST_LIMITS) -> GradingResult:
        if isinstance(notebook, dict):
            notebook = write_notebook(notebook, tmp_path / f"submission{next(counter)}.ipynb")
        return grade_submission(dataclasses.replace(assignment, limits=limits), Path(notebook))

    return run


def variants(name: str) -> Any:
    return importlib.import_module(f"tests.variants.{name}_variants")


def lost_tasks(result: GradingResult) -> set[str]:
    return {t.task for t in result.tests if t.status != "passed"}
