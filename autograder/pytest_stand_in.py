"""A stand-in for ``pytest`` while a cold grader imports a suite whose collection is kept.

A hidden test module imports pytest for its markers (``@pytest.mark.points(2)``,
``pytest.param(...)``). pytest costs about 0.1 s to import, a quarter of a cold grade, and
the kept collection (``autograder.suite.load_manifest``) already says what the markers say.
So while the test module is imported, ``sys.modules["pytest"]`` is a :class:`PytestStandIn`:

* ``pytest.mark.<name>`` records marks where pytest does (``function.pytestmark``, the same
  order, the same ``name``, ``args`` and ``kwargs``), and ``pytest.param`` gives a
  :class:`StandInParam` (``values``, ``marks``, ``id``), so ``suite.parametrized_values``
  reads the same parameters either way;
* anything else (``pytest.raises``, ``approx``, ``fail``, ``skip``) imports pytest itself,
  there and then, and is pytest's own.

A module imported under the stand-in carries stand-in marks that pytest's collection cannot
read: :func:`forget_stand_in_modules` drops such modules before pytest collects a suite.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from types import ModuleType
from typing import Any, Callable, Iterator, NamedTuple


class StandInMark(NamedTuple):
    """One mark, as pytest's ``Mark``: its name, positional and keyword arguments."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class StandInParam(NamedTuple):
    """``pytest.param(*values, marks=..., id=...)``, as pytest's ``ParameterSet``."""

    values: tuple[Any, ...]
    marks: Any
    id: str | None


class MarkDecorator:
    """``pytest.mark.points`` and ``pytest.mark.points(2)``: decorates a function as pytest's does."""

    def __init__(self, mark: StandInMark):
        self.mark = mark

    @property
    def name(self) -> str:
        return self.mark.name

    @property
    def args(self) -> tuple[Any, ...]:
        return self.mark.args

    @property
    def kwargs(self) -> dict[str, Any]:
        return self.mark.kwargs

    def with_args(self, *args: Any, **kwargs: Any) -> "MarkDecorator":
        return MarkDecorator(StandInMark(self.mark.name, self.mark.args + args, {**self.mark.kwargs, **kwargs}))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and not kwargs and len(args) == 1 and _decoratable(args[0]):
            target = args[0]
            target.pytestmark = [*_marks_of(target), self.mark]
            return target
        return self.with_args(*args, **kwargs)


def _decoratable(value: Any) -> bool:
    """What pytest applies a mark to rather than taking as the mark's argument."""
    return isinstance(value, type) or (callable(value) and getattr(value, "__name__", "<lambda>") != "<lambda>")


def _marks_of(target: Any) -> list[Any]:
    marks = target.__dict__.get("pytestmark", []) if hasattr(target, "__dict__") else []
    return list(marks) if isinstance(marks, (list, tuple)) else [marks]


class MarkGenerator:
    """``pytest.mark``: any attribute is a mark of that name."""

    def __getattr__(self, name: str) -> MarkDecorator:
        if name.startswith("_"):
            raise AttributeError(name)
        return MarkDecorator(StandInMark(name, (), {}))


def param(*values: Any, marks: Any = (), id: str | None = None) -> StandInParam:  # noqa: A002 - pytest's name
    return StandInParam(tuple(values), marks, id)


class PytestStandIn(ModuleType):
    """``sys.modules["pytest"]`` while a kept suite is imported (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__("pytest", "autograder's stand-in for pytest's markers (autograder.pytest_stand_in)")
        self.mark = MarkGenerator()
        self.param: Callable[..., StandInParam] = param
        self._real: ModuleType | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._pytest(), name)

    def _pytest(self) -> ModuleType:
        """pytest itself, imported now (from here on, ``import pytest`` gives it)."""
        if self._real is None:
            if sys.modules.get("pytest") is self:
                del sys.modules["pytest"]
            self._real = importlib.import_module("pytest")
        return self._real


@contextlib.contextmanager
def standing_in() -> Iterator[None]:
    """Inside the block, ``import pytest`` gives a :class:`PytestStandIn`, unless pytest
    itself is imported already (then nothing changes)."""
    if "pytest" in sys.modules:
        yield
        return
    stand_in = PytestStandIn()
    before = set(sys.modules)
    sys.modules["pytest"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("pytest") is stand_in:
            del sys.modules["pytest"]
        _imported_under_stand_in.update(set(sys.modules) - before - {"pytest"})


_imported_under_stand_in: set[str] = set()
"""The modules first imported inside :func:`standing_in`."""


def forget_stand_in_modules() -> None:
    """Drop every module that was imported under the stand-in and uses it, so that pytest
    imports them again itself (it would reuse a module in ``sys.modules`` and find marks it
    cannot read). Modules that do not use it (numpy's, the platform's) stay: importing them
    twice would make two copies of their classes."""
    for name in _imported_under_stand_in:
        module = sys.modules.get(name)
        if module is not None and _uses_stand_in(module):
            del sys.modules[name]
    _imported_under_stand_in.clear()


def _uses_stand_in(module: ModuleType) -> bool:
    for value in list(getattr(module, "__dict__", {}).values()):
        if isinstance(value, (PytestStandIn, MarkGenerator, MarkDecorator, StandInParam)) or value is param:
            return True
    return False
