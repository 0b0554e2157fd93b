"""Grading one submission: read it, run its cells in the sandbox, run the
hidden pytest suite in this (the grader's) process against it, collect results."""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder import phases
from autograder.assignment import Assignment
from autograder.errors import StudentError, UnusableInput
from autograder.notebook import Notebook, plan_cells, read_notebook
from autograder.results import GradingResult
from autograder.sandbox.bytecode import ensure_sandbox_bytecode
from autograder.sandbox.imports import importable
from autograder.sandbox.process import Limits, SandboxUnavailable, detect_isolation
from autograder.sandbox.session import SandboxNamespace, StudentSession

if TYPE_CHECKING:  # pytest is imported only when a suite must be collected (see SuiteRunner)
    import pytest

    from autograder.rules import GradingRules

INI_FILE = Path(__file__).with_name("pytest_grading.ini")
# pytest's built-in plugins a hidden suite has no use for; each costs start-up time.
DISABLED_PLUGINS = [arg for name in ("doctest", "junitxml", "pastebin", "nose", "faulthandler", "stepwise",
                                     "lfplugin", "legacypath", "setuponly", "setupplan", "unittest", "logging")
                    for arg in ("-p", f"no:{name}")]
_source_cache: dict[Path, tuple[float, Notebook]] = {}


def source_notebook(assignment: Assignment) -> Notebook:
    """The parsed source notebook, cached per process while unchanged."""
    path = assignment.source_notebook
    mtime = path.stat().st_mtime
    cached = _source_cache.get(path)
    if cached is None or cached[0] != mtime:
        cached = (mtime, read_notebook(path))
        _source_cache[path] = cached
    return cached[1]


def released_stubs(assignment: Assignment) -> frozenset[str]:
    """The fingerprints of every stub the release gives students (``autograder.stubs``),
    from the source notebook (or the released one, as in the Gradescope zip)."""
    from autograder.stubs import released_source, stub_fingerprints

    source = source_notebook(assignment)
    key = (source.path, _source_cache[assignment.source_notebook][0])
    if key not in _stubs_cache:
        _stubs_cache[key] = frozenset(f for cell in source.cells if cell.solution
                                      for f in stub_fingerprints(released_source(cell.source)))
    return _stubs_cache[key]


_stubs_cache: dict[tuple[Path, float], frozenset[str]] = {}


class UnreadableSubmission:
    """Stands in for the student when the notebook itself cannot be used:
    every test fails with the same clear message."""

    def __init__(self, message: str):
        self._message = message
        self.last_call = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise StudentError(self._message)

    def define(self, source: str) -> Any:
        raise StudentError(self._message)


def _pytest_args(assignment: Assignment) -> list[str]:
    return [str(assignment.suite), "-c", str(INI_FILE), "--rootdir", str(assignment.suite.parent),
            "--confcutdir", str(assignment.suite.parent),
            "-p", "no:cacheprovider", "-p", "no:randomly", "--assert=plain", "--capture=no",
            "--import-mode=importlib", "-q", "-W", "ignore::DeprecationWarning", *DISABLED_PLUGINS]


def run_suite(assignment: Assignment, namespace: Any, limits: Limits | None = None,
              only_tasks: frozenset[str] | None = None) -> GradingRules:
    """Run the hidden suite in-process with ``namespace`` as the student fixture
    (only the tests of ``only_tasks``, if given).

    The suite is collected once per grader process and its tests re-run for
    each submission (what a batch worker grades many times); if the suite or
    the reference changes on disk, it is collected again."""
    runner = suite_runner(assignment)
    limits = limits or assignment.limits
    try:
        return runner.run(namespace, limits, only_tasks)
    except _ReuseUnavailable:
        plugin = _run_suite_once(assignment, namespace, limits)
        if only_tasks is not None:
            plugin.outcomes = [o for o in plugin.outcomes if o.task in only_tasks]
        return plugin


def suite_runner(assignment: Assignment) -> "SuiteRunner":
    """The hidden suite of ``assignment``, collected (once per grader process while unchanged)."""
    runner = _runners.get(assignment.suite)
    stamp = _suite_stamp(assignment)
    if runner is None or runner.stamp != stamp:
        runner = SuiteRunner(assignment, stamp)
        _runners[assignment.suite] = runner
        phases.mark("load hidden suite")
    return runner


def _suite_stamp(assignment: Assignment) -> list[list[Any]]:
    """What a collection of the suite depends on: every Python file of the suite's folder
    and of the reference package, and the platform's pytest plugin, fixtures and runner
    (path, modification time, size); the same stamp means the same collection."""
    files = set(assignment.reference_package.rglob("*.py")) | set(assignment.suite.parent.glob("*.py"))
    platform = Path(__file__).parent
    files |= {platform / name for name in ("pytest_plugin.py", "rules.py", "suite.py", "pytest_stand_in.py",
                                          "exam/fixtures.py", "exam/checking.py")}
    stamp = []
    for path in sorted(files):
        try:
            info = path.stat()
            stamp.append([str(path), info.st_mtime_ns, info.st_size])
        except OSError:
            stamp.append([str(path), None, None])
    return stamp


class _ReuseUnavailable(Exception):
    """This pytest cannot re-run collected items; use pytest.main each time."""


class SuiteRunner:
    """The hidden suite, collected once; ``run`` executes every test again against a new
    student namespace. A suite of plain tests (``autograder.suite``) runs as calls of its
    test functions, its collection kept beside the suite for the next cold grader; any
    other suite runs through pytest's own per-test protocol on the collected items."""

    def __init__(self, assignment: Assignment, stamp: Any, *, plain: bool = True):
        from autograder import suite
        from autograder.rules import GradingRules, reference_module_for

        self.assignment = assignment
        self.stamp = stamp
        if _stamps_seen.setdefault(assignment.suite, stamp) != stamp:
            _forget_suite_modules(assignment)  # the suite changed on disk since this process loaded it
            _stamps_seen[assignment.suite] = stamp
        reference = reference_module_for(assignment.suite)
        self.items: list[pytest.Item] | None = None
        self.plain: list[suite.PlainTest] | None = suite.load_manifest(assignment.suite, stamp) if plain else None
        self.why_not_plain = "" if plain else "asked for pytest's own protocol"
        self.collection_errors: list[str] = []
        self.plugin = GradingRules(None, reference, hidden_visibility=assignment.hidden_visibility,
                                   function_budget_s=assignment.limits.function_budget_s)
        if self.plain is not None:
            return  # a cold grader that imports no pytest at all (``autograder.pytest_stand_in``)
        from autograder.pytest_plugin import GradingPlugin

        self.plugin = GradingPlugin(None, reference, hidden_visibility=assignment.hidden_visibility,
                                    function_budget_s=assignment.limits.function_budget_s)
        try:
            config = self._collect()
        except Exception:  # pytest internals differ: fall back to pytest.main per submission
            self.items = None
            return
        if plain and not self.collection_errors:
            self.plain, self.why_not_plain = suite.plain_tests(self.items, config)
            if self.plain is not None:
                suite.write_manifest(assignment.suite, stamp, self.plain)

    def _collect(self) -> Any:
        from _pytest.config import _prepareconfig
        from _pytest.main import Session

        from autograder import pytest_plugin
        from autograder.pytest_stand_in import forget_stand_in_modules

        forget_stand_in_modules()
        os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            config = _prepareconfig(_pytest_args(self.assignment), plugins=[pytest_plugin, self.plugin])
            config._do_configure()
            session = Session.from_config(config)
            config.hook.pytest_sessionstart(session=session)
            session.perform_collect()
        self.items = list(session.items)
        self.collection_errors = list(self.plugin.collection_errors)
        return config

    def run(self, namespace: Any, limits: Limits, only_tasks: frozenset[str] | None = None) -> GradingRules:
        from autograder.rules import GradingRules

        plugin = self.plugin
        if self.plain is None and (self.items is None or self.collection_errors):
            raise _ReuseUnavailable()
        plugin.function_budget_s = limits.function_budget_s
        plugin.reset(namespace)
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            if self.plain is not None:
                for test in self.plain:
                    if only_tasks is None or test.task in only_tasks:
                        plugin.run_plain(test)
            else:
                self._run_items(only_tasks)
        result = GradingRules(namespace, plugin.reference, hidden_visibility=plugin.hidden_visibility)
        result.outcomes, result.instructor_notes = plugin.outcomes, plugin.instructor_notes
        plugin.reset(None)
        return result

    def _run_items(self, only_tasks: frozenset[str] | None) -> None:
        """Through pytest's own protocol, item by item (a suite that needs pytest's machinery)."""
        from _pytest.runner import runtestprotocol

        from autograder.suite import marker_task

        assert self.items is not None
        items = [i for i in self.items if only_tasks is None or marker_task(i) in only_tasks]
        for index, item in enumerate(items):
            following = items[index + 1] if index + 1 < len(items) else None
            runtestprotocol(item, nextitem=following, log=False)  # None: tears session fixtures down


_runners: dict[Path, SuiteRunner] = {}
_stamps_seen: dict[Path, Any] = {}
"""The stamp of each suite when this process first loaded it (see ``_forget_suite_modules``)."""


def _forget_suite_modules(assignment: Assignment) -> None:
    """Drop the suite's and the reference's modules imported earlier in this process, so that a
    new runner sees the files as they are now (pytest, too, reuses a module already imported)."""
    import sys

    folders = {str(assignment.suite.parent.resolve()), str(assignment.reference_package.resolve())}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and os.path.dirname(os.path.abspath(file)) in folders:
            del sys.modules[name]


def _run_suite_once(assignment: Assignment, namespace: Any, limits: Limits) -> GradingRules:
    import pytest

    from autograder import pytest_plugin
    from autograder.pytest_plugin import GradingPlugin
    from autograder.pytest_stand_in import forget_stand_in_modules

    forget_stand_in_modules()
    reference = pytest_plugin.reference_module_for(assignment.suite)
    plugin = GradingPlugin(namespace, reference, hidden_visibility=assignment.hidden_visibility,
                           function_budget_s=limits.function_budget_s)
    os.environ.setdefault("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        pytest.main(_pytest_args(assignment), plugins=[pytest_plugin, plugin])
    if plugin.collection_errors:
        plugin.grader_error = "The hidden tests could not be loaded: " + plugin.collection_errors[0]
    return plugin


_prelaunched: dict[tuple[Path, int], tuple[tuple[Any, ...], StudentSession]] = {}
"""Student processes started ahead of their grade (:func:`prelaunch`): (suite, slot) -> (what
they were started with, the session)."""


def _launch_terms(assignment: Assignment, slot: int, limits: Limits) -> tuple[Any, ...]:
    """What a student process is started with, for ``assignment``: a prelaunched process
    serves a grade only if these are the same."""
    return (limits, slot, detect_isolation(), (str(assignment.course_root),), assignment.support_files,
            importable(assignment.support_files))


def prelaunch(assignment: Assignment, *, slot: int = 0, limits: Limits | None = None) -> None:
    """Start the student process of the next grade of ``assignment`` now, before its notebook
    is even read: it sets up its sandbox and imports numpy while this process does the rest
    of its start-up (a cold command: ``autograder grade``, ``exam grade``, a Gradescope run).
    The next ``grade_submission`` of ``assignment`` in ``slot`` with the same limits runs its
    cells there; any other grade starts its own. No student code runs before the cells are sent."""
    limits = limits or assignment.limits
    terms = _launch_terms(assignment, slot, limits)
    isolation = terms[2]
    if isolation.level == "unavailable" or (assignment.suite, slot) in _prelaunched:
        return
    session = StudentSession([], limits, slot=slot, isolation=isolation, strip_paths=terms[3],
                             support_files=assignment.support_files, imports=terms[5])
    if session.launcher is not None:  # a zygote forks warm processes: nothing to gain
        return
    try:
        ensure_sandbox_bytecode()
        session.prelaunch()
    except SandboxUnavailable:
        session.close()
        return  # the grade itself starts one, and reports why it cannot
    _prelaunched[(assignment.suite, slot)] = (terms, session)
    phases.mark("student launched")


def _prelaunched_session(assignment: Assignment, slot: int, limits: Limits) -> StudentSession | None:
    """The session :func:`prelaunch` started for this grade, if it was started the same way."""
    terms, session = _prelaunched.pop((assignment.suite, slot), (None, None))
    if session is None:
        return None
    if terms != _launch_terms(assignment, slot, limits) or session.process is None or not session.process.alive:
        session.close()
        return None
    return session


@atexit.register
def _close_prelaunched() -> None:
    for _, session in _prelaunched.values():
        session.close()
    _prelaunched.clear()


def grade_submission(assignment: Assignment, submission: Path, *, slot: int = 0,
                     limits: Limits | None = None, only_tasks: frozenset[str] | None = None) -> GradingResult:
    """Grade one notebook file. Never raises for a bad submission: problems
    land in the result, and every test still appears with its points.

    ``slot`` picks the sandbox's dedicated uid (61000 + slot); if another
    grader on this machine holds it, the sandbox takes a spare one. ``only_tasks``: run only
    the hidden tests of these tasks (a regrade that reuses the others' stored outcomes)."""
    return _grade(assignment, submission, slot, limits, only_tasks)


def _start_session(session: StudentSession, namespace: Any, assignment: Assignment,
                   result: GradingResult) -> tuple[StudentSession | None, Any]:
    """Run the submission's cells, loading the hidden suite while the student process
    starts (two processes, two cores); the session and the namespace to test, which
    stand for the sandbox's failure when it could not start."""
    try:
        ensure_sandbox_bytecode()
        session.launch()
        suite_runner(assignment)  # imports pytest and collects, if this process has not yet
        session.start()
    except SandboxUnavailable as exc:
        result.grader_errors.append(str(exc))
        session.close()
        namespace = UnreadableSubmission("The autograder could not start its sandbox; your instructor has been told.")
        return None, namespace
    result.cells = session.cell_reports
    for report in result.cells:
        if report.status != "ok":
            result.problems.append(report.message)
    return session, namespace


def _grade(assignment: Assignment, submission: Path, slot: int, limits: Limits | None,
           only_tasks: frozenset[str] | None = None) -> GradingResult:
    started = time.monotonic()
    limits = limits or assignment.limits
    isolation = detect_isolation()
    result = GradingResult(assignment=assignment.name, isolation=f"{isolation.level} ({isolation.description})")
    session: StudentSession | None = None
    prelaunched = _prelaunched_session(assignment, slot, limits)
    try:
        notebook = read_notebook(Path(submission))
    except UnusableInput as exc:
        if prelaunched is not None:
            prelaunched.close()
        result.problems.append(str(exc))
        result.unusable = True
        namespace: Any = UnreadableSubmission(f"Your submission could not be graded: {exc}")
    else:
        plan = plan_cells(notebook, source_notebook(assignment))
        result.problems.extend(plan.notes)
        session = prelaunched or StudentSession([], limits, slot=slot, isolation=isolation,
                                                strip_paths=(str(assignment.course_root),),
                                                support_files=assignment.support_files,
                                                imports=importable(assignment.support_files))
        session.cells, session.stubs = plan.cells, released_stubs(assignment)
        namespace = SandboxNamespace(session)
    try:
        if session is not None:
            session, namespace = _start_session(session, namespace, assignment, result)
        plugin = run_suite(assignment, namespace, limits, only_tasks)
        phases.mark("tests")
        result.tests = plugin.outcomes
        if getattr(plugin, "grader_error", ""):
            result.grader_errors.append(plugin.grader_error)
    finally:
        if session is not None:
            session.close()
            result.stdout = session.output()
    result.execution_time = time.monotonic() - started
    return result



def keep_collection(assignment: Assignment) -> str:
    """Collect the hidden suite now and keep the collection beside it (``autograder.suite``),
    so that the next cold grader (every Gradescope container) imports neither pytest nor its
    collection; what happened, in a line."""
    runner = suite_runner(assignment)
    if runner.plain is not None:
        return f"{assignment.name}: {len(runner.plain)} hidden tests kept as plain tests"
    if runner.collection_errors:
        return f"{assignment.name}: the hidden tests could not be collected: {runner.collection_errors[0][:500]}"
    return f"{assignment.name}: the hidden tests run through pytest ({runner.why_not_plain or 'not plain tests'})"


if __name__ == "__main__":  # Gradescope's setup.sh: keep the collection once, in the image every container starts from
    import sys

    from autograder import grading  # the module itself, not this __main__ copy of it
    from autograder.assignment import load_assignment

    print(grading.keep_collection(load_assignment(sys.argv[1], Path(sys.argv[2]) if len(sys.argv) > 2 else None)))
