"""Helpers for hidden test suites: comparisons whose failure messages help a
student fix their code without revealing the hidden expected values.

A hidden suite is an ordinary pytest file. The platform's plugin gives it
two fixtures and three markers:

* ``student``: the student's namespace. ``student.fit_least_squares(X, y)``
  runs the student's function in the sandboxed student process and returns
  plain data (numbers, strings, lists, numpy arrays) or a remote object
  (``knn = student.KNN(); knn.train(X, y)``). ``student.define("lambda x: ...")``
  makes a callable that lives in the student process and can be passed as an
  argument. ``student.last_call.mutated`` names the arguments the last call
  changed in place.
* ``reference``: the hidden reference module (``reference.hwN``).
* ``@pytest.mark.points(p)`` (required), ``@pytest.mark.task("grade_id")``
  (the notebook solution cell the test grades), ``@pytest.mark.visible``
  (students see the result before the deadline; others follow course.yaml).

Errors the student's code causes are raised as :class:`StudentError`
subclasses; the plugin reports them as the student's failure with their own
traceback, trimmed to their code.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from autograder.errors import (  # re-exported for test authors
    StudentCrash,
    StudentError,
    StudentMissing,
    StudentNotImplemented,
    StudentTimeout,
    UnusableValue,
)

__all__ = [
    "StudentError", "StudentMissing", "StudentNotImplemented", "StudentTimeout", "StudentCrash", "UnusableValue",
    "GradingFailure", "rel_error", "rng", "describe", "assert_close", "assert_shape",
    "assert_same_labels", "assert_unchanged", "assert_true", "as_array",
]

DEFAULT_TOLERANCE = 1e-6


class GradingFailure(AssertionError):
    """A check failed; the message is shown to the student as it is."""


class AnswerChecks:
    """Counts the checks of a student's answer made by the running test.

    The grading plugin resets it before each test and reads it after: a test
    that passes without checking any answer (only ``assert_unchanged``, or
    nothing at all) earns no points, so code that computes nothing earns nothing.
    """

    count = 0

    @classmethod
    def reset(cls) -> None:
        cls.count = 0

    @classmethod
    def made(cls) -> None:
        cls.count += 1


def rng(seed: int) -> np.random.Generator:
    """A fixed-seed generator: the same submission always sees the same inputs."""
    return np.random.default_rng(seed)


def rel_error(a: Any, b: Any) -> float:
    """The course's relative error: max |a-b| / max(1e-8, |a|+|b|), elementwise.

    a, b: arrays (or numbers) of the same shape. Returns a float >= 0;
    inf if either holds NaN/inf where the other does not match exactly.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    err = np.where(np.isnan(err), np.inf, err)
    return float(np.max(err))


def describe(value: Any) -> str:
    """A short description of a value's type and shape, never its contents."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float, complex)):
        return f"a {type(value).__name__}"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(map(str, value))[:8]}"
    remote_type = getattr(value, "_type", None)  # an object that stayed in the student process
    if isinstance(remote_type, str):
        return f"an object of type `{remote_type}` (only plain numbers, lists and numpy arrays can be graded)"
    return f"an object of type {type(value).__name__}"


def as_array(got: Any, *, call: str, what: str = "the return value") -> np.ndarray:
    """Turn a student's numeric result into a float/int array, or fail with help."""
    if isinstance(got, (bool, np.bool_)):
        return np.asarray(got)
    if isinstance(got, (int, float, np.integer, np.floating)):
        return np.asarray(got)
    if isinstance(got, np.ndarray):
        if got.dtype.kind not in "biufc":
            raise GradingFailure(f"{call}: {what} is {describe(got)}; expected numbers.")
        return got
    if isinstance(got, (list, tuple)):
        try:
            arr = np.asarray(got, dtype=np.float64)
        except (ValueError, TypeError):
            raise GradingFailure(
                f"{call}: {what} is {describe(got)} that is not a rectangular list of numbers."
            ) from None
        return arr
    raise GradingFailure(f"{call}: {what} is {describe(got)}; expected a number or a numpy array.")


def assert_shape(got: Any, shape: tuple[int, ...], *, call: str, what: str = "the return value") -> np.ndarray:
    """Fail with "wrong shape: got (3,), expected (3, 1)" when shapes differ."""
    AnswerChecks.made()
    arr = as_array(got, call=call, what=what)
    if arr.shape != tuple(shape):
        raise GradingFailure(
            f"{call}: {what} has the wrong shape: got {arr.shape}, expected {tuple(shape)}."
        )
    return arr


def assert_close(
    got: Any,
    expected: Any,
    *,
    call: str,
    what: str = "the return value",
    tol: float = DEFAULT_TOLERANCE,
) -> None:
    """Check a numeric result against the reference's.

    got: the student's value (number or array); expected: the reference's.
    Fails on type, shape, NaN/inf, or relative error above ``tol``; the
    message gives the shapes and the largest relative error and where it is,
    never the expected values.
    """
    AnswerChecks.made()
    expected_arr = np.asarray(expected)
    arr = assert_shape(got, expected_arr.shape, call=call, what=what)
    if arr.dtype.kind == "c" and expected_arr.dtype.kind != "c":
        raise GradingFailure(f"{call}: {what} is complex; expected real numbers.")
    finite = np.isfinite(arr)
    if not np.all(finite) and np.all(np.isfinite(expected_arr)):
        bad = int(np.size(arr) - np.count_nonzero(finite))
        raise GradingFailure(f"{call}: {what} contains {bad} NaN or infinite value(s).")
    err = rel_error(arr, expected_arr)
    if not err <= tol:
        where = ""
        if arr.ndim:
            with np.errstate(invalid="ignore", over="ignore"):
                elementwise = np.abs(arr.astype(np.float64) - expected_arr) / np.maximum(
                    1e-8, np.abs(arr.astype(np.float64)) + np.abs(expected_arr)
                )
            elementwise = np.where(np.isnan(elementwise), np.inf, elementwise)
            index = np.unravel_index(int(np.argmax(elementwise)), arr.shape)
            where = f" at index {tuple(int(i) for i in index)}"
            wrong = int(np.count_nonzero(elementwise > tol))
            where += f" ({wrong} of {arr.size} entries off)"
        raise GradingFailure(
            f"{call}: {what} is not close enough to the correct answer: "
            f"largest relative error {err:.3g}{where}, allowed {tol:.0e}."
        )


def assert_same_labels(got: Any, expected: Any, *, call: str, what: str = "the predicted labels") -> None:
    """Integer labels must match exactly; the message says how many differ."""
    AnswerChecks.made()
    expected_arr = np.asarray(expected)
    arr = assert_shape(got, expected_arr.shape, call=call, what=what)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise GradingFailure(f"{call}: {what} should be whole-number class labels.")
    wrong = int(np.count_nonzero(arr != expected_arr))
    if wrong:
        things = what.removeprefix("the ")
        raise GradingFailure(f"{call}: {wrong} of the {arr.size} {things} are wrong.")


def assert_true(condition: bool, message: str) -> None:
    """A property check of the student's answer; the message is shown to the student as written.

    Counts as a check of the answer: use it for properties of what the student
    returned (sizes, pairings, ranges), not for checks any code passes."""
    AnswerChecks.made()
    if not condition:
        raise GradingFailure(message)


def assert_unchanged(student: Any, *, call: str) -> None:
    """Fail if the student's last call modified any of its array arguments in place.

    Not a check of the answer: a test must also compare what the call returned
    (a test that only checks this earns no points)."""
    mutated: Iterable[str] = student.last_call.mutated
    mutated = list(mutated)
    if mutated:
        raise GradingFailure(
            f"{call} changed its {_inputs(mutated)} in place; "
            "work on a copy (e.g. x = x.copy()) so the caller's data is left as it was."
        )


def _inputs(names: list[str]) -> str:
    """``input `y` `` or ``inputs `X` and `y` ``."""
    quoted = [name if name.startswith(("`", "argument ")) else f"`{name}`" for name in names]
    if len(quoted) == 1:
        return f"input {quoted[0]}"
    return "inputs " + ", ".join(quoted[:-1]) + " and " + quoted[-1]
