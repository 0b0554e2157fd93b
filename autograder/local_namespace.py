"""The ``student`` fixture backed by an in-process module, for authoring and for
``autograder check`` (the reference graded as if it were a submission). It offers the
sandboxed namespace's interface and is NOT a security boundary."""

from __future__ import annotations

import copy
import traceback
from typing import Any, Callable

import numpy as np

from autograder.errors import StudentError, StudentMissing, StudentNotImplemented
from autograder.sandbox.session import CallRecord
from autograder.sandbox.student_main import parameter_names


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
        if name not in self._ns and not self._lazy(name):
            raise StudentMissing(f"Your notebook does not define `{name}`.")
        value = self._ns[name]
        if callable(value):
            return _LocalCallable(self, name, value)
        return copy.deepcopy(value)

    def _lazy(self, name: str) -> bool:
        """A module's attribute made on first use (its ``__getattr__``, PEP 562), now in the namespace."""
        make = self._ns.get("__getattr__")
        if not callable(make):
            return False
        try:
            self._ns[name] = make(name)
        except AttributeError:
            return False
        return True

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
        names = parameter_names(self._func, len(args)) + list(kwargs)
        try:
            result = self._func(*sent[: len(args)], **dict(zip(kwargs, sent[len(args):])))
        except Exception as exc:  # the student's bug, reported as theirs
            tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
            error = StudentNotImplemented if isinstance(exc, NotImplementedError) else StudentError
            raise error(f"`{self._name}` raised {type(exc).__name__}: {exc}\n{tb}") from None
        self._owner.last_call = CallRecord(self._name, _mutated_arguments(pristine, sent, names))
        plain = result is None or isinstance(result, (bool, int, float, complex, str, list, tuple, dict, np.ndarray, np.generic))
        return copy.deepcopy(result) if plain else result  # the student's own objects stay "remote"

    def __getattr__(self, attr: str) -> Any:  # classes: student.KNN.some_static
        return getattr(self._func, attr)


