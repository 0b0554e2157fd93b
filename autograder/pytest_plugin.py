"""The pytest plugin that hidden suites run under.

It gives tests the ``student`` and ``reference`` fixtures, the ``points``,
``task`` and ``visible`` markers, and collects one :class:`TestOutcome` per
test with feedback that is safe to show a student.

Two ways to use it:

* the grader passes a :class:`GradingPlugin` to ``pytest.main`` with a
  sandboxed student namespace (see ``autograder.runner``);
* an instructor runs a suite in-process against a module while authoring::

      pytest -p autograder.pytest_plugin --student-module reference.hw1 reference/hw1/test_hw1.py
      pytest -p autograder.pytest_plugin --student-file my_attempt.py reference/hw1/test_hw1.py
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import numpy as np
import pytest

from autograder.errors import StudentError, StudentMissing
from autograder.results import TestOutcome
from autograder.sandbox.session import CallRecord

MARKERS = (
    "points(p): how many points the test is worth (required)",
    "task(grade_id): the notebook solution cell this test grades",
    "visible: students see this result before the deadline",
)


# ---------------------------------------------------------------- local mode
def _mutated_arguments(before: list[Any], after: list[Any], names: list[str]) -> tuple[str, ...]:
    changed = []
    for name, old, new in zip(names, before, after):
        if isinstance(old, np.ndarray):
            if not isinstance(new, np.ndarray) or old.shape != new.shape or not np.array_equal(old, new, equal_nan=True):
                changed.append(name)
    return tuple(changed)


class LocalNamespace:
    """The ``student`` fixture backed by an in-process module (authoring only).

    Offers the same interface as the sandboxed namespace: attribute access,
    ``define(source)`` and ``last_call``. It is NOT a security boundary.
    """

    def __init__(self, namespace: dict[str, Any]):
        self._ns = namespace
        self.last_call = CallRecord()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._ns:
            raise StudentMissing(f"Your notebook does not define `{name}`.")
        value = self._ns[name]
        if callable(value):
            return _LocalCallable(self, name, value)
        return copy.deepcopy(value)

    def ref(self, name: str) -> Any:
        """The student's own global ``name``, to pass as an argument."""
        return self.__getattr__(name)

    def define(self, source: str) -> Callable[..., Any]:
        """Evaluate ``source`` (an expression) in the student's namespace."""
        scope = {"np": np, "numpy": np, **self._ns}
        return eval(source, scope)  # noqa: S307 - instructor-written test code


class _LocalCallable:
    def __init__(self, owner: LocalNamespace, name: str, func: Callable[..., Any]):
        self._owner, self._name, self._func = owner, name, func

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = tuple(a._func if isinstance(a, _LocalCallable) else a for a in args)
        sent = [copy.deepcopy(a) for a in args] + [copy.deepcopy(v) for v in kwargs.values()]
        pristine = [copy.deepcopy(a) for a in sent]
        names = [f"argument {i + 1}" for i in range(len(args))] + [f"`{k}`" for k in kwargs]
        try:
            result = self._func(*sent[: len(args)], **dict(zip(kwargs, sent[len(args):])))
        except Exception as exc:  # the student's bug, reported as theirs
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
            raise StudentError(f"`{self._name}` raised {type(exc).__name__}: {exc}\n{tb}") from None
        self._owner.last_call = CallRecord(self._name, _mutated_arguments(pristine, sent, names))
        plain = result is None or isinstance(result, (bool, int, float, complex, str, list, tuple, dict, np.ndarray, np.generic))
        return copy.deepcopy(result) if plain else result  # the student's own objects stay "remote"

    def __getattr__(self, attr: str) -> Any:  # classes: student.KNN.some_static
        return getattr(self._func, attr)


def _module_namespace(config: pytest.Config) -> dict[str, Any] | None:
    module_name = config.getoption("student_module")
    file_name = config.getoption("student_file")
    if module_name:
        return vars(importlib.import_module(module_name))
    if file_name:
        path = Path(file_name).resolve()
        spec = importlib.util.spec_from_file_location("student_attempt", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return vars(module)
    return None


def reference_module_for(test_path: Path) -> ModuleType:
    """``reference/hw1/test_hw1.py`` -> the module ``reference.hw1``."""
    package_dir = test_path.resolve().parent
    course_root = package_dir.parent.parent
    if str(course_root) not in sys.path:
        sys.path.insert(0, str(course_root))
    return importlib.import_module(f"{package_dir.parent.name}.{package_dir.name}")


# ---------------------------------------------------------------- hooks
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("autograder")
    group.addoption("--student-module", default=None, help="grade this importable module in-process (authoring)")
    group.addoption("--student-file", default=None, help="grade this .py file in-process (authoring)")


def pytest_configure(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


def _grading_plugin(config: pytest.Config) -> "GradingPlugin | None":
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, GradingPlugin):
            return plugin
    return None


@pytest.fixture(scope="session")
def student(request: pytest.FixtureRequest) -> Any:
    """The student's namespace: sandboxed when grading, in-process when authoring."""
    grading = _grading_plugin(request.config)
    if grading is not None:
        return grading.namespace
    namespace = _module_namespace(request.config)
    if namespace is None:
        pytest.fail("no student: pass --student-module or --student-file", pytrace=False)
    return LocalNamespace(namespace)


@pytest.fixture
def reference(request: pytest.FixtureRequest) -> ModuleType:
    """The hidden reference module of the suite being run (``reference.hwN``)."""
    grading = _grading_plugin(request.config)
    if grading is not None and grading.reference is not None:
        return grading.reference
    return reference_module_for(Path(str(request.path)))


def marker_points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    if marker is None or not marker.args:
        return 0.0
    return float(marker.args[0])


def marker_task(item: pytest.Item) -> str:
    marker = item.get_closest_marker("task")
    return str(marker.args[0]) if marker is not None and marker.args else ""


def feedback_for(excinfo: pytest.ExceptionInfo[BaseException]) -> tuple[str, str]:
    """(status, message) for a failed test, safe to show the student.

    Our checks and the student's own errors carry messages written for the
    student; anything else is a fault in the test or the grader, reported
    without its values.
    """
    from autograder.testing import GradingFailure

    exc = excinfo.value
    if isinstance(exc, StudentError):
        return "failed", exc.feedback
    if isinstance(exc, GradingFailure):
        return "failed", str(exc)
    if isinstance(exc, AssertionError):
        return "failed", "A hidden check failed."
    return "error", f"The grader hit an internal problem in this test ({type(exc).__name__}); tell your instructor."


class GradingPlugin:
    """Passed to ``pytest.main(plugins=[...])`` by the grader.

    namespace: the student fixture's value; reference: the reference module;
    outcomes: filled with one TestOutcome per test, in run order.
    """

    def __init__(self, namespace: Any, reference: ModuleType | None = None,
                 hidden_visibility: str = "after_published"):
        self.namespace = namespace
        self.reference = reference
        self.hidden_visibility = hidden_visibility
        self.outcomes: list[TestOutcome] = []
        self.collection_errors: list[str] = []
        self.grader_error = ""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
        """Record the outcome and build a cheap report: pytest's own traceback
        formatting re-parses every source file and is not shown to anyone."""
        excinfo = call.excinfo
        skipped = excinfo is not None and excinfo.errisinstance(pytest.skip.Exception)
        outcome = "passed" if excinfo is None else ("skipped" if skipped else "failed")
        if call.when == "call" or (call.when == "setup" and outcome != "passed"):
            self._record(item, excinfo, outcome)
        longrepr: Any = None
        if skipped:
            longrepr = (str(item.path), 0, "skipped")
        elif excinfo is not None:
            longrepr = f"{excinfo.typename}: {excinfo.value}"[:2000]
        return pytest.TestReport(item.nodeid, item.location, {}, outcome, longrepr, call.when,
                                 duration=call.duration, start=call.start, stop=call.stop)

    def _record(self, item: pytest.Item, excinfo: Any, outcome: str) -> None:
        max_points = marker_points(item)
        if outcome == "passed":
            status, message = "passed", ""
        elif outcome == "skipped":
            status, message = "failed", "This test was skipped."
        else:
            status, message = feedback_for(excinfo)
        doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
        self.outcomes.append(TestOutcome(
            name=item.name,
            task=marker_task(item),
            score=max_points if status == "passed" else 0.0,
            max_score=max_points,
            status=status,
            output=message,
            visibility="visible" if item.get_closest_marker("visible") is not None else self.hidden_visibility,
            description=doc.strip().splitlines()[0] if doc.strip() else "",
        ))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(str(report.longrepr)[-2000:])
