"""The pytest plugin that hidden suites run under.

It gives tests the ``student`` and ``reference`` fixtures, the ``points``,
``task`` and ``visible`` markers, and collects one :class:`TestOutcome` per
test with feedback that is safe to show a student.

Two ways to use it:

* the grader runs the suite with a :class:`GradingPlugin` holding a
  sandboxed student namespace (see ``autograder.grading``);
* an instructor runs a suite in-process while authoring: against the
  reference itself (``pytest reference/hw1/``, through ``reference/conftest.py``),
  another module, or an attempt in a file::

      pytest -p autograder.pytest_plugin --student-module reference.hw1 reference/hw1/test_hw1.py
      pytest -p autograder.pytest_plugin --student-file my_attempt.py reference/hw1/test_hw1.py

Rules every suite follows, enforced here for every assignment at once:

* strict: each test has ``points(p)`` with p > 0 and a ``task("grade_id")``,
  and no marker other than ``points``, ``task``, ``visible`` (and pytest's own);
  a suite that breaks this fails at collection, naming file and line;
* no points for doing nothing: a test passes only if it checked the
  student's answer (``assert_close``, ``assert_shape``, ``assert_same_labels``,
  ``assert_true``); ``assert_unchanged`` alone gives nothing;
* one slow function costs only its own points: all the tests of one task
  share ``function_budget_s``; once spent, that task's remaining tests fail
  at once and the other tasks are graded as usual; calls a test makes for
  another task (a backward test's forward pass, ``testing.OtherTask``) are
  charged to that task;
* a function not written yet is reported once per task, not in every test.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from autograder.local_namespace import LocalNamespace
from autograder.rules import (  # noqa: F401 - the rules' names, as this plugin has always offered them
    PASS_THROUGH,
    GradingRules,
    TaskClock,
    UncheckedTest,
    answer_checked,
    failure_kind,
    feedback_for,
    reference_module_for,
)
from autograder.suite import PlainTest, TestInfo, _where, marker_points, marker_task, test_info  # noqa: F401

MARKERS = (
    "points(p): how many points the test is worth (required)",
    "task(grade_id): the notebook solution cell this test grades (required)",
    "visible: students see this result before the deadline",
)
OUR_MARKERS = {"points", "task", "visible"}
PYTEST_MARKERS = {"parametrize", "usefixtures", "filterwarnings", "skip", "skipif", "xfail"}


class SuiteRuleError(pytest.UsageError):
    """The hidden suite breaks a grading rule (a missing or misspelt marker, no points)."""



def _module_namespace(config: pytest.Config) -> dict[str, Any] | None:
    module_name = config.getoption("student_module", None)
    file_name = config.getoption("student_file", None)
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


_local_namespaces = pytest.StashKey[dict[str, LocalNamespace]]()


@pytest.fixture
def student(request: pytest.FixtureRequest) -> Any:
    """The student's namespace: sandboxed when grading, in-process when authoring
    (``--student-module``, ``--student-file``, or else the suite's own reference)."""
    grading = _grading_plugin(request.config)
    if grading is not None:
        return grading.namespace
    cache = request.config.stash.setdefault(_local_namespaces, {})
    key = "" if (request.config.getoption("student_module", None)
                 or request.config.getoption("student_file", None)) else str(request.path.parent)
    if key not in cache:
        namespace = _module_namespace(request.config)
        if namespace is None:
            namespace = vars(reference_module_for(Path(str(request.path))))
        cache[key] = LocalNamespace(namespace)
    return cache[key]


@pytest.fixture
def reference(request: pytest.FixtureRequest) -> ModuleType:
    """The hidden reference module of the suite being run (``reference.hwN``)."""
    grading = _grading_plugin(request.config)
    if grading is not None and grading.reference is not None:
        return grading.reference
    return reference_module_for(Path(str(request.path)))


def rule_problems(item: pytest.Item) -> list[str]:
    """What is wrong with one collected test under the suite rules (empty when nothing)."""
    problems = []
    for mark in item.iter_markers():
        if mark.name not in OUR_MARKERS | PYTEST_MARKERS:
            problems.append(f"{_where(item)}: unknown marker @pytest.mark.{mark.name} "
                            f"(the markers are points, task and visible)")
    points = item.get_closest_marker("points")
    if points is None or not points.args:
        problems.append(f"{_where(item)}: no @pytest.mark.points(p); every test must say what it is worth")
    else:
        try:
            value = float(points.args[0])
        except (TypeError, ValueError):
            value = float("nan")
        if not value > 0:
            problems.append(f"{_where(item)}: points({points.args[0]!r}); points must be a number above 0")
    if not marker_task(item):
        problems.append(f"{_where(item)}: no @pytest.mark.task(\"grade_id\"); every test must name the "
                        "solution cell it grades")
    return problems


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a suite that breaks the rules, naming every offending test's file and line."""
    problems = [problem for item in items for problem in rule_problems(item)]
    if problems:
        message = "The hidden suite breaks the grading rules:\n  " + "\n  ".join(problems)
        grading = _grading_plugin(config)
        if grading is not None:
            grading.collection_errors.append(message)
        raise SuiteRuleError(message)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """A test gives points only if it checked the student's answer."""
    with answer_checked(lambda: _where(item)):
        return (yield)


class GradingPlugin(GradingRules):
    """Given to pytest by the grader: the grading rules as pytest hooks, for a suite that
    runs through pytest's own protocol (``GradingRules`` holds the state and the rules)."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Any:
        """Charge the test's time to its task; refuse at once when the task is stopped."""
        with self.charged(marker_task(item)):
            return (yield)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
        """Record the outcome and build a cheap report: pytest's own traceback
        formatting re-parses every source file and is not shown to anyone."""
        excinfo = call.excinfo
        skipped = excinfo is not None and excinfo.errisinstance(pytest.skip.Exception)
        outcome = "passed" if excinfo is None else ("skipped" if skipped else "failed")
        if call.when == "call" or (call.when == "setup" and outcome != "passed"):
            self._record(test_info(item), excinfo.value if excinfo is not None else None, outcome)
        longrepr: Any = None
        if skipped:
            longrepr = (str(item.path), 0, "skipped")
        elif excinfo is not None:
            longrepr = f"{excinfo.typename}: {excinfo.value}"[:2000]
        return pytest.TestReport(item.nodeid, item.location, {}, outcome, longrepr, call.when,
                                 duration=call.duration, start=call.start, stop=call.stop)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(str(report.longrepr)[-2000:])
