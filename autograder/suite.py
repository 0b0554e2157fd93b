"""The hidden suite as plain tests: collected by pytest, then run as calls of the test functions.

pytest collects a suite (its rules are checked then: ``pytest_plugin.rule_problems``) and
each collected test becomes a :class:`PlainTest`: the function, its parameters, the
platform fixtures it takes (``student``, ``reference``, ``exam``), its points, task and
visibility. ``GradingPlugin.run_plain`` runs it under the same rules as pytest's hooks do
(time budgets, answer checks, the same outcome and message), without pytest's per-test
set-up, reports and hooks, which cost more than most tests themselves.

What pytest collected is kept beside the suite (:data:`MANIFEST_NAME`, in the suite
folder's ``__pycache__``, which students can never read), so a cold grader imports the test module and
skips pytest's configuration and collection; any change to a file of the suite or its
reference, or another pytest, collects again.

Only a suite that uses nothing else runs this way: module-level test functions with the
markers ``points``, ``task``, ``visible`` and ``parametrize`` (direct values), the
platform's fixtures, no conftest hooks or other fixtures. Anything else (``skip``,
``xfail``, classes, ``pytest_generate_tests``, an autouse or instructor fixture) is run
by pytest itself, item by item, exactly as before: :func:`plain_tests` says why.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

MANIFEST_NAME = "autograder-collected.json"
"""Kept in the suite folder's ``__pycache__`` (compiled caches: never in git or a Gradescope zip)."""
MANIFEST_FORMAT = 1
PLATFORM_FIXTURES = {
    "student": ("autograder.pytest_plugin", "student"),
    "reference": ("autograder.pytest_plugin", "reference"),
    "exam": ("autograder.exam.fixtures", "exam"),
}
"""The fixtures a plain test may take: name -> where the platform defines it."""
PLAIN_MARKERS = {"points", "task", "visible", "parametrize"}


@dataclass
class TestInfo:
    """What a test's outcome is recorded with (``GradingPlugin._record``)."""

    __test__ = False  # not a pytest test class

    name: str
    """``test_fit`` or ``test_fit[degree-2]``."""
    task: str
    points: float
    visible: bool
    description: str
    """The first paragraph of the test's docstring, on one line."""
    where: str
    """``test_hw1.py:57 (test_fit)``: for the instructor's messages."""


@dataclass
class PlainTest:
    """One collected test, run as ``function(**fixtures, **params)``."""

    __test__ = False

    info: TestInfo
    function: Callable[..., Any]
    fixtures: tuple[str, ...]
    """The platform fixtures it takes (names of :data:`PLATFORM_FIXTURES`)."""
    params: dict[str, Any] = field(default_factory=dict)
    indices: dict[str, int] = field(default_factory=dict)
    """Which entry of each ``parametrize`` list ``params`` came from (kept in the manifest)."""

    @property
    def task(self) -> str:
        return self.info.task


def description_of(function: Any) -> str:
    doc = getattr(function, "__doc__", None) or ""
    return " ".join(line.strip() for line in doc.strip().split("\n\n")[0].splitlines())


def marker_points(item: Any) -> float:
    """The ``points`` of a collected pytest item (0 without the marker)."""
    marker = item.get_closest_marker("points")
    if marker is None or not marker.args:
        return 0.0
    return float(marker.args[0])


def marker_task(item: Any) -> str:
    marker = item.get_closest_marker("task")
    return str(marker.args[0]) if marker is not None and marker.args else ""


def _where(item: Any) -> str:
    """``reference/hw1/test_hw1.py:57 (test_fit)``: the file and the line of the test's first decorator."""
    function = getattr(item, "function", None)
    line = function.__code__.co_firstlineno if function is not None else (item.location[1] or 0) + 1
    return f"{item.location[0]}:{line} ({item.name})"


def test_info(item: Any) -> TestInfo:
    """The :class:`TestInfo` of a collected pytest item."""
    return TestInfo(name=item.name, task=marker_task(item), points=marker_points(item),
                    visible=item.get_closest_marker("visible") is not None,
                    description=description_of(getattr(item, "obj", None)), where=_where(item))


# ------------------------------------------------------------------ from pytest's items
def plain_tests(items: list[Any], config: Any) -> tuple[list[PlainTest] | None, str]:
    """The collected ``items`` as plain tests, or (None, why not) when one of them needs pytest."""
    why = _conftest_hooks(config)
    if why:
        return None, why
    for module in {getattr(item, "module", None) for item in items} - {None}:
        if hasattr(module, "pytest_generate_tests"):
            return None, f"{module.__file__} defines pytest_generate_tests"
    tests = []
    for item in items:
        test, why = _plain_test(item)
        if test is None:
            return None, why
        tests.append(test)
    return tests, ""


def _conftest_hooks(config: Any) -> str:
    """Why the conftest files of the suite need pytest ("" when they only import platform fixtures)."""
    for plugin in config.pluginmanager.get_plugins():
        name = getattr(plugin, "__name__", "")
        if not name.endswith("conftest"):
            continue
        hooks = [attr for attr in vars(plugin) if attr.startswith("pytest_")]
        if hooks:
            return f"{getattr(plugin, '__file__', name)} defines {', '.join(sorted(hooks))}"
    return ""


def _fixture_is_platform(name: str, definitions: Any) -> bool:
    if name not in PLATFORM_FIXTURES or not definitions:
        return False
    function = definitions[-1].func
    module, qualname = PLATFORM_FIXTURES[name]
    return getattr(function, "__module__", None) == module and getattr(function, "__qualname__", None) == qualname


def _plain_test(item: Any) -> tuple[PlainTest | None, str]:
    import pytest

    where = f"{item.nodeid}"
    if type(item) is not pytest.Function or not isinstance(item.parent, pytest.Module):
        return None, f"{where} is not a module-level test function"
    extra = {mark.name for mark in item.iter_markers()} - PLAIN_MARKERS
    if extra:
        return None, f"{where} has the marker(s) {', '.join(sorted(extra))}"
    callspec = getattr(item, "callspec", None)
    params = dict(callspec.params) if callspec is not None else {}
    indices = dict(callspec.indices) if callspec is not None else {}
    definitions = item._fixtureinfo.name2fixturedefs
    for name in item._fixtureinfo.names_closure:
        if name == "request" or name in params:
            continue
        if not _fixture_is_platform(name, definitions.get(name)):
            return None, f"{where} uses the fixture `{name}`"
    function = item.obj
    module = sys.modules.get(getattr(function, "__module__", ""))
    if module is None or getattr(module, item.originalname, None) is not function:
        return None, f"{where}: its function is not the module's `{item.originalname}`"
    rebuilt = parametrized_values(function, indices)
    if rebuilt is None or rebuilt.keys() != params.keys() or any(rebuilt[k] is not params[k] for k in params):
        return None, f"{where} is parametrized other than by @pytest.mark.parametrize values"
    fixtures = tuple(n for n in item._fixtureinfo.argnames if n not in params)
    if any(n not in PLATFORM_FIXTURES for n in fixtures):
        return None, f"{where} takes an argument that is neither a platform fixture nor a parameter"
    return PlainTest(test_info(item), function, fixtures, params, indices), ""


def parametrized_values(function: Any, indices: dict[str, int]) -> dict[str, Any] | None:
    """``{argname: value}`` picked by ``indices`` from the function's ``@pytest.mark.parametrize``
    marks (what pytest gives the test); None when they cannot say (indirect, generators)."""
    values: dict[str, Any] = {}
    for mark in getattr(function, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        if mark.kwargs.get("indirect"):
            return None
        argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames")
        argvalues = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("argvalues")
        names = [n.strip() for n in argnames.split(",") if n.strip()] if isinstance(argnames, str) else list(argnames)
        if not names or names[0] not in indices or not isinstance(argvalues, (list, tuple)):
            return None
        entry = argvalues[indices[names[0]]]
        if _is_param(entry):
            row = tuple(entry.values)
        else:
            row = (entry,) if len(names) == 1 else tuple(entry)
        if len(row) != len(names):
            return None
        values.update(zip(names, row))
    return values


def _is_param(entry: Any) -> bool:
    """Whether ``entry`` of a parametrize list is a ``pytest.param(...)``: pytest's own, or the
    stand-in's (a suite imported without pytest, ``autograder.pytest_stand_in``)."""
    from autograder.pytest_stand_in import StandInParam

    structures = sys.modules.get("_pytest.mark.structures")  # loaded if pytest made ``entry``
    return isinstance(entry, StandInParam) or (structures is not None and isinstance(entry, structures.ParameterSet))


# ------------------------------------------------------------------ the manifest
def manifest_path(suite: Path) -> Path:
    return suite.parent / "__pycache__" / MANIFEST_NAME


def write_manifest(suite: Path, stamp: Any, tests: list[PlainTest]) -> None:
    """Keep what pytest collected beside the suite (best effort: a read-only course just collects)."""
    module = tests[0].function.__module__ if tests else ""
    body = {"format": MANIFEST_FORMAT, "stamp": stamp, "python": sys.version, "pytest": _pytest_version(),
            "module": module, "file": str(suite.resolve()),
            "tests": [{"function": t.function.__name__, "indices": t.indices, "fixtures": list(t.fixtures),
                       "name": t.info.name, "task": t.info.task, "points": t.info.points,
                       "visible": t.info.visible, "where": t.info.where} for t in tests]}
    folder = manifest_path(suite).parent
    try:
        folder.mkdir(exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=MANIFEST_NAME, dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(body, handle)
        os.replace(temporary, manifest_path(suite))
    except OSError:
        pass


def _pytest_version() -> str:
    from _pytest._version import version  # pytest's version, without importing pytest

    return str(version)


def load_manifest(suite: Path, stamp: Any) -> list[PlainTest] | None:
    """The plain tests kept for ``suite`` when nothing changed since (same ``stamp``, Python
    and pytest), with their functions from the test module imported now; None otherwise.

    The test module is imported under ``autograder.pytest_stand_in`` unless pytest is imported
    already: a cold grader never imports pytest."""
    from autograder.pytest_stand_in import forget_stand_in_modules, standing_in

    try:
        with open(manifest_path(suite), encoding="utf-8") as handle:
            body = json.load(handle)
        if (body.get("format") != MANIFEST_FORMAT or body.get("stamp") != json.loads(json.dumps(stamp))
                or body.get("python") != sys.version or body.get("file") != str(suite.resolve())
                or body.get("pytest") != _pytest_version()):
            return None
        with standing_in(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pytest's "unknown mark": its collection registered ours
            module = importlib.import_module(body["module"])
        if Path(getattr(module, "__file__", "") or "").resolve() != suite.resolve():
            raise LookupError(body["module"])
        return [_from_manifest(module, entry) for entry in body["tests"]]
    except Exception:  # noqa: BLE001 - anything amiss: collect with pytest, which reports it properly
        forget_stand_in_modules()
        return None


def _from_manifest(module: Any, entry: dict[str, Any]) -> PlainTest:
    function = getattr(module, entry["function"])
    indices = {str(k): int(v) for k, v in entry["indices"].items()}
    params = parametrized_values(function, indices)
    if params is None or params.keys() != indices.keys():
        raise LookupError(entry["name"])
    info = TestInfo(name=str(entry["name"]), task=str(entry["task"]), points=float(entry["points"]),
                    visible=bool(entry["visible"]), description=description_of(function), where=str(entry["where"]))
    fixtures = tuple(str(f) for f in entry["fixtures"])
    if any(f not in PLATFORM_FIXTURES for f in fixtures):
        raise LookupError(entry["name"])
    return PlainTest(info, function, fixtures, params, indices)
