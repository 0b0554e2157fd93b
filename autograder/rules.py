"""The grading rules every hidden test runs under, whichever runner runs it.

A suite's tests run either as plain calls of the test functions (``autograder.suite``:
what a cold grader does, without importing pytest) or through pytest's own protocol
(``autograder.pytest_plugin.GradingPlugin`` adds the hooks). Both record outcomes here,
with the same rules:

* no points for doing nothing: a test passes only if it checked the student's answer
  (:func:`answer_checked`);
* one slow function costs only its own points (:class:`TaskClock`);
* a function not written yet is reported once per task;
* the feedback a student sees is safe to show (:func:`feedback_for`, :func:`failure_kind`).
"""

from __future__ import annotations

import importlib
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

from _pytest.outcomes import Exit, Skipped  # pytest's outcome exceptions: a light module, not pytest itself

from autograder.errors import StudentError, StudentMissing, StudentNotImplemented, StudentTimeout
from autograder.results import TestOutcome
from autograder.suite import PlainTest, TestInfo

PASS_THROUGH = (KeyboardInterrupt, Exit)
"""What stops a whole run rather than failing one test (as in pytest)."""


def _outcome_of(exc: BaseException) -> str:
    return "skipped" if isinstance(exc, Skipped) else "failed"


class UncheckedTest(Exception):
    """A test passed without checking the student's answer: it gives no points."""


def reference_module_for(test_path: Path) -> ModuleType:
    """``reference/hw1/test_hw1.py`` -> the module ``reference.hw1``, of that course.

    One process may grade two courses (or two copies of one): a ``reference`` package
    already imported from another course folder is forgotten first, so that neither
    ``reference.hw2`` goes missing nor another course's ``reference.hw1`` is used."""
    package_dir = test_path.resolve().parent
    top = package_dir.parent
    course_root = top.parent
    loaded = sys.modules.get(top.name)
    if loaded is not None and top not in {Path(p).resolve() for p in getattr(loaded, "__path__", [])}:
        for name in [n for n in sys.modules if n == top.name or n.startswith(top.name + ".")]:
            del sys.modules[name]
        importlib.invalidate_caches()
    if not sys.path or sys.path[0] != str(course_root):
        if str(course_root) in sys.path:
            sys.path.remove(str(course_root))
        sys.path.insert(0, str(course_root))
    return importlib.import_module(f"{top.name}.{package_dir.name}")


@contextmanager
def answer_checked(where: Callable[[], str]) -> Iterator[None]:
    """Raise :class:`UncheckedTest` when the test run inside passed without checking an answer
    (``where()``: the test's file, line and name, for the instructor)."""
    from autograder.testing import AnswerChecks

    AnswerChecks.reset()
    yield
    if AnswerChecks.count == 0:
        raise UncheckedTest(f"{where()} passed without checking the answer (no assert_close, assert_shape, "
                            "assert_same_labels or assert_true), so it gives no points")


def feedback_for(exc: BaseException) -> tuple[str, str]:
    """(status, message) for a test that failed with ``exc``, safe to show the student.

    Our checks and the student's own errors carry messages written for the
    student; anything else is a fault in the test or the grader, reported
    without its values.
    """
    from autograder.testing import GradingFailure

    if isinstance(exc, StudentError):
        return "failed", exc.feedback
    if isinstance(exc, GradingFailure):
        return "failed", str(exc)
    if isinstance(exc, UncheckedTest):
        return "error", "This hidden test checks nothing about your answer, so it gives no points; tell your instructor."
    if isinstance(exc, AssertionError):
        return "failed", "A hidden check failed."
    return "error", f"The grader hit an internal problem in this test ({type(exc).__name__}); tell your instructor."


def failure_kind(exc: BaseException, test_name: str = "") -> str:
    """Which kind of contract a failed test found broken, in a word a student may see before
    grades are published (never a value): shape, values, gradient, time, error,
    not implemented, missing; "grader" for the grader's own fault."""
    from autograder.testing import GradingFailure

    text = str(exc).lower()
    if isinstance(exc, StudentTimeout):
        return "time"
    if isinstance(exc, StudentNotImplemented):
        return "not implemented"
    if isinstance(exc, StudentMissing):
        return "missing"
    if isinstance(exc, StudentError):
        return "error"
    if isinstance(exc, (GradingFailure, AssertionError)):
        if "shape" in text or "expected a tuple" in text:
            return "shape"
        if any(word in f"{test_name} {text}" for word in ("gradient", "grad", "backward", "finite differences")):
            return "gradient"
        return "values"
    return "grader"


class TaskClock:
    """The time budget of each task (graded function) within one submission.

    All the tests of one task share ``budget_s`` seconds; a task whose call
    timed out, or whose tests used the budget, has its remaining tests failed
    at once with the same explanation, so a slow function costs only its own
    points and every other function is still graded.
    """

    def __init__(self, budget_s: float):
        self.budget_s = budget_s
        self.spent: dict[str, float] = {}
        self.stopped: dict[str, str] = {}
        """``{task: why its remaining tests are not run}``."""

    def remaining(self, task: str) -> float:
        return self.budget_s - self.spent.get(task, 0.0)

    def charge(self, task: str, seconds: float, timed_out: bool) -> None:
        self.spent[task] = self.spent.get(task, 0.0) + seconds
        if task in self.stopped:
            return
        if timed_out:
            self.stopped[task] = (f"`{task}` ran past its time limit in an earlier test, so its remaining tests "
                                  "were not run (each would have waited again; your other functions are graded as usual).")
        elif self.remaining(task) <= 0:
            self.stopped[task] = (f"`{task}` used up its time budget of {self.budget_s:g} s over its earlier tests, "
                                  "so its remaining tests were not run (your other functions are graded as usual). "
                                  "An endless loop, or much slower than a vectorized solution?")


class GradingRules:
    """One submission's run of the hidden suite under the grading rules (the plain runner's
    state; ``pytest_plugin.GradingPlugin`` adds pytest's hooks).

    namespace: the student fixture's value; reference: the reference module;
    function_budget_s: seconds all the tests of one task may take (None: no budget);
    outcomes: filled with one TestOutcome per test, in run order.
    """

    def __init__(self, namespace: Any, reference: ModuleType | None = None,
                 hidden_visibility: str = "after_published", function_budget_s: float | None = None):
        self.namespace = namespace
        self.reference = reference
        self.hidden_visibility = hidden_visibility
        self.function_budget_s = function_budget_s
        self.outcomes: list[TestOutcome] = []
        self.collection_errors: list[str] = []
        self.grader_error = ""
        self.instructor_notes: list[str] = []
        """Faults of the suite itself found while running it (a test that checked nothing), for ``check``."""
        self.reset(namespace)

    def reset(self, namespace: Any) -> None:
        """Start a new submission: no outcomes, full budgets."""
        self.namespace = namespace
        self.outcomes = []
        self.grader_error = ""
        self.instructor_notes = []
        self.clock = TaskClock(self.function_budget_s if self.function_budget_s is not None else float("inf"))
        self._task, self._elsewhere, self._deadline = "", 0.0, 0.0
        self.not_implemented: set[str] = set()

    def run_plain(self, test: PlainTest) -> None:
        """Run one plain test (``autograder.suite``) and record its outcome, as pytest's set-up,
        call and the hooks above would: fixtures first (a failure there is the test's outcome,
        uncharged), then the call under its task's budget and the answer check."""
        try:
            kwargs = {name: self._fixture(name, test) for name in test.fixtures}
        except PASS_THROUGH:
            raise
        except BaseException as exc:  # noqa: BLE001 - as pytest: any failure is the test's outcome
            self._record(test.info, exc, _outcome_of(exc))
            return
        kwargs.update(test.params)
        try:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("ignore", DeprecationWarning)
                with self.charged(test.task), answer_checked(lambda: test.info.where):
                    test.function(**kwargs)
        except PASS_THROUGH:
            raise
        except BaseException as exc:  # noqa: BLE001
            self._record(test.info, exc, _outcome_of(exc))
            return
        self._record(test.info, None, "passed")

    def _fixture(self, name: str, test: PlainTest) -> Any:
        """The value of the platform fixture ``name`` for ``test`` (see ``suite.PLATFORM_FIXTURES``)."""
        if name == "student":
            return self.namespace
        if self.reference is None:
            raise RuntimeError("the grader has no reference module for this suite")
        if name == "reference":
            return self.reference
        if name == "exam":
            from autograder.exam.checking import exam_check

            return exam_check(self.reference, self.namespace, test.task)
        raise RuntimeError(f"no platform fixture `{name}`")

    @contextmanager
    def charged(self, task: str) -> Iterator[None]:
        """The test run inside is charged to ``task``'s time budget; it is refused at once
        (StudentTimeout) when ``task`` is already stopped."""
        from autograder.testing import OtherTask

        if task in self.clock.stopped:
            raise StudentTimeout(self.clock.stopped[task])
        self._task, self._elsewhere = task, 0.0
        self._deadline = time.monotonic() + self.clock.remaining(task)
        self._set_budget(task, self._deadline)
        OtherTask.runner = self.calls_for
        started = time.monotonic()
        timed_out = False
        try:
            yield
        except StudentTimeout:
            timed_out = True
            raise
        finally:
            OtherTask.runner = None
            self._set_budget("", None)
            self.clock.charge(task, time.monotonic() - started - self._elsewhere, timed_out)

    def _set_budget(self, task: str, deadline: float | None) -> None:
        """Calls from now on stop at ``deadline``, explained as ``task``'s budget (None: no budget)."""
        set_deadline = getattr(type(self.namespace), "_set_deadline", None)
        if set_deadline is None:
            return
        if deadline is None or self.function_budget_s is None:
            set_deadline(self.namespace, None, "", 0.0)
        else:
            set_deadline(self.namespace, deadline, task, self.function_budget_s)

    @contextmanager
    def calls_for(self, task: str) -> Iterator[None]:
        """The calls made inside are charged to ``task`` (e.g. the forward pass a backward
        test needs) and stop at its budget, not the running test's; a ``task`` already
        stopped raises :class:`StudentTimeout` at once, without waiting again."""
        if task == self._task:
            yield
            return
        if task in self.clock.stopped:
            raise StudentTimeout(self.clock.stopped[task])
        self._set_budget(task, time.monotonic() + self.clock.remaining(task))
        started = time.monotonic()
        timed_out = False
        try:
            yield
        except StudentTimeout:
            timed_out = True
            raise
        finally:
            spent = time.monotonic() - started
            self._elsewhere += spent
            self._deadline += spent
            self.clock.charge(task, spent, timed_out)
            self._set_budget(self._task, self._deadline)

    def _record(self, test: TestInfo, exc: BaseException | None, outcome: str) -> None:
        """One outcome: ``outcome`` is passed, failed or skipped; ``exc`` what failed it."""
        kind = ""
        if outcome == "passed" or exc is None:
            status, message = "passed", ""
        elif outcome == "skipped":
            status, message = "failed", "This test was skipped."
        else:
            status, message = feedback_for(exc)
            kind = failure_kind(exc, test.name)
            if isinstance(exc, UncheckedTest):
                self.instructor_notes.append(str(exc))
            if isinstance(exc, StudentNotImplemented):
                message = self._not_implemented_message(test.task, message)
        self.outcomes.append(TestOutcome(
            name=test.name,
            task=test.task,
            score=test.points if status == "passed" else 0.0,
            max_score=test.points,
            status=status,
            output=message,
            visibility="visible" if test.visible else self.hidden_visibility,
            description=test.description,
            kind=kind,
        ))

    def _not_implemented_message(self, task: str, message: str) -> str:
        """The full story once per task; a short line in its other tests."""
        if task in self.not_implemented:
            return f"`{task}` is not implemented yet (see its first test)."
        self.not_implemented.add(task)
        return message
