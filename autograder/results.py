"""Results of grading one submission, and their Gradescope results.json form."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

MAX_TEST_OUTPUT = 4000
MAX_TOP_OUTPUT = 20000


@dataclass
class TestOutcome:
    """One hidden test's result."""

    __test__ = False  # not a pytest test class, whatever its name

    name: str
    """The pytest function name, e.g. ``test_fit_least_squares_tall``."""
    task: str
    """grade_id of the notebook cell the test grades (usually the function name)."""
    score: float
    """Points earned: ``max_score`` if passed, else 0."""
    max_score: float
    """Points the test is worth (its ``points`` marker)."""
    status: str
    """``passed``, ``failed`` (the student's code) or ``error`` (the grader's fault)."""
    output: str
    """Feedback safe to show the student: never a hidden expected value."""
    visibility: str = "after_published"
    """Gradescope visibility: visible, hidden, after_due_date, after_published."""
    description: str = ""
    """First line of the test's docstring, if any."""


@dataclass
class CellReport:
    """What happened when one notebook cell ran in the student process."""

    index: int
    """Position of the cell among the code cells that ran (0-based)."""
    label: str
    """How the student finds it: ``cell 7 (grade_id fit_least_squares)``."""
    status: str
    """ok, error, timeout, exit, crashed, skipped."""
    message: str = ""
    """The student's traceback trimmed to their code, or what the sandbox did."""


@dataclass
class GradingResult:
    """Everything one grading of one submission produced."""

    assignment: str
    tests: list[TestOutcome] = field(default_factory=list)
    cells: list[CellReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Submission-level messages for the student (unreadable notebook, crashes...)."""
    grader_errors: list[str] = field(default_factory=list)
    """Faults of the autograder itself (not the student's): shown as such."""
    isolation: str = ""
    """The isolation level that was in force (see docs/security.md)."""
    stdout: str = ""
    """The student's captured output, truncated."""
    execution_time: float = 0.0
    late_days: int = 0
    late_note: str = ""
    zeroed_reason: str = ""
    """Non-empty when a policy (e.g. lateness) sets the score to 0."""
    unusable: bool = False
    """The submission could not be read as a notebook at all."""

    @property
    def max_score(self) -> float:
        return sum(t.max_score for t in self.tests)

    @property
    def raw_score(self) -> float:
        return sum(t.score for t in self.tests)

    @property
    def score(self) -> float:
        return 0.0 if self.zeroed_reason else self.raw_score


def finite(value: float) -> float:
    """JSON has no NaN or infinity: clamp to a finite number (0 for NaN)."""
    if value is None or math.isnan(value):
        return 0.0
    if math.isinf(value):
        return 0.0
    return float(value)


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 60] + f"\n... [{len(text) - limit + 60} more characters cut]"


def summary_markdown(result: GradingResult) -> str:
    """The friendly top-level message: total, late days, what to fix first."""
    lines = [f"**Score: {result.score:g} / {result.max_score:g}**", ""]
    if result.zeroed_reason:
        lines += [f"This submission scores 0: {result.zeroed_reason}", ""]
    if result.late_note:
        lines += [result.late_note, ""]
    for problem in result.problems:
        lines.append(f"- {problem}")
    failing_tasks: dict[str, float] = {}
    for test in result.tests:
        if test.status != "passed":
            failing_tasks[test.task or test.name] = failing_tasks.get(test.task or test.name, 0) + test.max_score
    if failing_tasks and not result.zeroed_reason:
        # notebook order: later functions often call earlier ones, so an early fix can mend several
        first = list(failing_tasks.items())[:5]
        lines.append("What to fix first, in notebook order (points at stake): "
                     + ", ".join(f"`{t}` ({p:g})" for t, p in first))
    elif not result.zeroed_reason and result.tests and not result.grader_errors:
        lines.append("Every test passed.")
    if result.grader_errors:
        lines += ["", "The autograder itself failed (not your fault; your instructor has been told):"]
        lines += [f"- {e}" for e in result.grader_errors]
    return clip("\n".join(lines), MAX_TOP_OUTPUT)


def to_gradescope(result: GradingResult, *, stdout_visibility: str = "hidden") -> dict[str, Any]:
    """results.json as Gradescope specifies it; finite numbers only."""
    tests = []
    for number, test in enumerate(result.tests, start=1):
        title = test.description or test.name
        tests.append({
            "name": f"{test.task}: {title}" if test.task else title,
            "number": str(number),
            "score": finite(0.0 if result.zeroed_reason else test.score),
            "max_score": finite(test.max_score),
            "status": "passed" if test.status == "passed" else "failed",
            "output": clip(test.output, MAX_TEST_OUTPUT),
            "output_format": "text",
            "visibility": test.visibility,
            "tags": [test.task] if test.task else [],
        })
    if result.isolation:  # for the instructor: Gradescope shows "hidden" tests to staff only
        tests.append({
            "name": "Grading environment (instructors only)",
            "number": str(len(tests) + 1),
            "score": 0.0,
            "max_score": 0.0,
            "status": "passed",
            "output": clip(f"Isolation in force: {result.isolation}", MAX_TEST_OUTPUT),
            "output_format": "text",
            "visibility": "hidden",
            "tags": ["environment"],
        })
    for problem in result.grader_errors:
        tests.append({
            "name": "Autograder error (not your fault)",
            "number": str(len(tests) + 1),
            "score": 0.0,
            "max_score": 0.0,
            "status": "failed",
            "output": clip(problem, MAX_TEST_OUTPUT),
            "output_format": "text",
            "visibility": "visible",
            "tags": ["autograder-error"],
        })
    return {
        "score": finite(result.score),
        "execution_time": finite(round(result.execution_time, 3)),
        "output": summary_markdown(result),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": stdout_visibility,
        "tests": tests,
    }


def write_results_json(data: dict[str, Any], path: Any) -> None:
    """Write strict JSON (allow_nan=False) atomically."""
    import os
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, allow_nan=False))
    os.replace(tmp, target)
