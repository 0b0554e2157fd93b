"""Results of grading one submission, and their Gradescope results.json form."""

from __future__ import annotations

import json
import math
import re
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
    """The first paragraph of the test's docstring (whole sentences), if any."""
    kind: str = ""
    """For a failed test, which kind of contract broke, safe to show before grades are published:
    ``shape``, ``values``, ``gradient``, ``time``, ``error``, ``not implemented``, ``missing``
    (``grader`` for the grader's own fault); empty when it passed."""


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
    optional: dict[str, list[str]] = field(default_factory=dict)
    """``{task: [courses it is optional for]}`` (course.yaml's ``optional_for``, e.g. FullyConnectedNet: C147)."""
    course: str = ""
    """The student's course (``C147``) when known (a roster in the Gradescope zip), else ""."""

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


KIND_WORDS = {"shape": "wrong shape", "values": "wrong values", "gradient": "wrong gradient", "time": "too slow",
              "error": "raises an error", "not implemented": "not implemented yet", "missing": "not defined",
              "grader": "the grader's fault"}
"""How ``TestOutcome.kind`` reads in the summary (safe before grades are published)."""
_CODE_SPAN = re.compile(r"(`[^`\n]*`)")
_MARKUP = re.compile(r"__|[*<>\\]")
"""What Markdown would eat in plain text: ``__`` (bold), ``*``, ``<`` ``>`` (HTML tags), backslashes.
A lone ``_`` inside a name (``os._exit``, ``fit_least_squares``) renders as it is and stays unescaped."""


def md_text(text: str) -> str:
    """One line of plain text as Markdown that shows exactly that text: ``__init__`` stays
    ``__init__`` and ``<module>`` stays visible; `code spans` are kept as they are."""
    parts = _CODE_SPAN.split(text)
    return "".join(part if part.startswith("`") and part.endswith("`") and len(part) > 1
                   else _MARKUP.sub(lambda m: "".join("\\" + c for c in m.group(0)), part) for part in parts)


def md_block(text: str) -> str:
    """A message as Markdown: its first line as text, the rest (a traceback) in a code fence."""
    first, _, rest = text.strip().partition("\n")
    if not rest.strip():
        return md_text(first)
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", rest)), default=0))
    return f"{md_text(first)}\n{fence}text\n{rest.rstrip()}\n{fence}"


def optional_for(result: GradingResult, task: str) -> str:
    """``optional for C147`` when ``task`` may be skipped by this student (their course is one
    it is optional for) or, their course unknown, by some course; "" when it counts for them."""
    courses = result.optional.get(task) or []
    if not courses or (result.course and result.course not in courses):
        return ""
    return "optional for " + " and ".join(courses)


def _fix_first(result: GradingResult) -> tuple[list[str], list[str]]:
    """(What to fix first lines, optional-question lines), most points at stake first."""
    failing: dict[str, list[TestOutcome]] = {}
    for test in result.tests:
        if test.status != "passed":
            failing.setdefault(test.task or test.name, []).append(test)
    required, optional = [], []
    ranked = sorted(failing.items(), key=lambda item: -sum(t.max_score for t in item[1]))  # stable: notebook order
    for task, tests in ranked:
        points = sum(t.max_score for t in tests)
        kinds: dict[str, int] = {}
        for test in tests:
            word = KIND_WORDS.get(test.kind, "failed")
            kinds[word] = kinds.get(word, 0) + 1
        what = ", ".join(f"{word} in {n} test{'s' if n > 1 else ''}" for word, n in kinds.items())
        line = f"`{task}`: {points:g} point{'s' if points != 1 else ''} ({what})"
        note = optional_for(result, task)
        if note:
            optional.append(f"- {line}: {note}" + (" (your course), so it does not count in your grade."
                                                   if result.course else
                                                   "; if that is your course, it does not count in your grade."))
        else:
            required.append(f"{len(required) + 1}. {line}")
    return required, optional


def summary_markdown(result: GradingResult) -> str:
    """The friendly top-level message: total, late days, what to fix first (most points at
    stake first, and none when the autograder itself failed), in Markdown that shows
    tracebacks and names as they are."""
    lines = [f"**Score: {result.score:g} / {result.max_score:g}**", ""]
    if result.zeroed_reason:  # the platform's own words (Markdown), not the student's
        lines += [f"This submission scores 0: {result.zeroed_reason}", ""]
    if result.late_note:
        lines += [result.late_note, ""]
    for problem in result.problems:
        lines.append("- " + md_block(problem).replace("\n", "\n  "))
    if result.problems:
        lines.append("")
    if result.grader_errors:
        lines += ["**The autograder itself failed** (not your fault; your instructor has been told), so this "
                  "score is not your grade yet:"]
        lines += ["- " + md_block(e).replace("\n", "\n  ") for e in result.grader_errors]
        return clip("\n".join(lines), MAX_TOP_OUTPUT)
    required, optional = _fix_first(result)
    if result.zeroed_reason:
        pass
    elif required:
        lines += ["**What to fix first** (most points at stake first):", *required[:5]]
    elif result.tests and not optional:
        lines.append("Every test passed.")
    if optional and not result.zeroed_reason:
        lines += ["", "Optional questions:", *optional]
    if any(t.status != "passed" and t.visibility not in ("visible",) for t in result.tests):
        lines += ["", "Tests marked *visible* show their details now; the other hidden tests show theirs when "
                  "grades are published. Until then, the list above says what kind of check failed (shape, "
                  "values, gradient, time), never the expected answer."]
    return clip("\n".join(lines), MAX_TOP_OUTPUT)


def to_gradescope(result: GradingResult, *, stdout_visibility: str = "hidden") -> dict[str, Any]:
    """results.json as Gradescope specifies it; finite numbers only."""
    tests = []
    for number, test in enumerate(result.tests, start=1):
        title = test.description or test.name
        note = optional_for(result, test.task) if test.task else ""
        task = f"{test.task} ({note})" if note else test.task
        output = test.output
        if note and test.status != "passed":
            output = (f"`{test.task}` is {note}" + (" (your course): it does not count in your grade."
                                                     if result.course else ": if that is your course, it does "
                                                     "not count in your grade.") + "\n" + output)
        tests.append({
            "name": f"{task}: {title}" if test.task else title,
            "number": str(number),
            "score": finite(0.0 if result.zeroed_reason else test.score),
            "max_score": finite(test.max_score),
            "status": "passed" if test.status == "passed" else "failed",
            "output": clip(output, MAX_TEST_OUTPUT),
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
