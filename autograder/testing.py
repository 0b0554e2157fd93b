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

import zlib
from contextlib import nullcontext
from typing import Any, Callable, ContextManager, Iterable, Sequence

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
    "assert_same_labels", "assert_unchanged", "assert_true", "as_array", "assert_backward",
    "ForwardFailed",
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


# ---------------------------------------------------------------- backward passes
class ForwardFailed(StudentError):
    """A backward test could not run because the student's forward pass (another
    task) raised, ran past its time limit or returned no cache; the message names
    the forward pass, so the student fixes the right function."""


class OtherTask:
    """Calls a test makes for another task, charged to that task's time budget.

    While a test runs under the grading plugin, ``runner(task)`` is a context
    manager: the calls made inside it stop at ``task``'s budget and their time is
    charged to ``task``, not to the test's own task; it raises
    :class:`StudentTimeout` at once when ``task`` already ran past its limit.
    Outside grading (authoring runs) there are no budgets and it does nothing.
    """

    runner: Callable[[str], ContextManager[None]] | None = None

    @classmethod
    def calls_for(cls, task: str) -> ContextManager[None]:
        return cls.runner(task) if cls.runner is not None else nullcontext()


BACKWARD_STEP = 1e-6
"""Central-difference step, relative to the largest entry of the input (at least 1)."""
BACKWARD_NUMERIC_TOL = 1e-5
"""Allowed relative error of a directional derivative (rounding is about 1e-9 here)."""
BACKWARD_DIRECTIONS = 3
"""Random directions per input: a wrong gradient agrees along one by chance with probability 0."""


def assert_backward(
    student: Any,
    forward: str,
    backward: str,
    args: Sequence[Any],
    dout: np.ndarray,
    expected: Sequence[Any] | Callable[[np.ndarray], Sequence[Any]],
    *,
    expected_out: Any,
    wrt: Sequence[int],
    names: Sequence[str],
    call: str,
    tol: float = DEFAULT_TOLERANCE,
    forward_task: str | None = None,
) -> None:
    """Check the student's backward pass on the cache of their own forward pass.

    forward, backward: the student's functions, e.g. "affine_forward", "affine_backward".
    args: the forward's inputs, e.g. (x, w, b) or (x, gamma, beta, bn_param).
    dout: the upstream gradient, of the shape of the forward's output.
    expected: the reference's gradients for these inputs, in the order the backward
        returns them (dx, dw, db); or a callable of the student's forward output that
        returns them (dropout: the gradient depends on the student's mask).
    expected_out: the reference's forward output for these inputs, or a callable of
        the student's output (the correct output for the student's mask).
    wrt: the index in ``args`` of the input each gradient belongs to.
    names: each gradient's name ("dx", "dw", "db"); one name: the backward returns
        one array (relu_backward), several: a tuple.
    call: the forward call as the student reads it, "affine_forward(x (4, 5), w (5, 3), b (3,))".
    forward_task: the task of the forward pass (default ``forward``): its calls are
        charged to that task's time budget, and when it runs past its limit the test
        fails naming the forward, without charging the backward.

    One bug costs its points once. The backward earns the test when its gradients
    match the reference's; or, when the student's forward output differs from the
    reference's, when they match the gradient of the student's own forward, found
    numerically here (central differences along random directions, from calls of the
    student's forward; the differences are taken in the grader). A forward that
    computes nothing opens no such route: one whose output is constant in an input,
    that returns an input unchanged, or that gives a different output for the same
    inputs (dropout without its seed), and neither does a backward that passes
    ``dout`` through unchanged; then only the reference's gradient counts.
    """
    forward_task = forward_task or forward
    backward_call = f"{backward}(dout {tuple(np.shape(dout))}, cache of {call})"
    result = _forward_call(student, forward, forward_task, backward, args, call)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise ForwardFailed(f"This test of `{backward}` could not run: {call} returned {describe(result)}, "
                            f"not a tuple (out, cache), so there is no cache to give `{backward}`.")
    out, cache = result
    ref_out = expected_out(out) if callable(expected_out) else expected_out
    # The student's forward is differentiated BEFORE their backward sees dout, so nothing the
    # backward leaves in the student process can shape the numbers it is checked against.
    own = None if _same_values(out, ref_out, tol) else _probe_forward(
        _forward_evaluator(student, forward, forward_task, backward, args, call), out, args, dout, wrt)
    got = getattr(student, backward)(dout, cache)
    if len(names) == 1:
        grads = [got]
    else:
        assert_true(isinstance(got, (tuple, list)) and len(got) == len(names),
                    f"{backward_call}: expected a tuple of {len(names)} values ({', '.join(names)}), "
                    f"got {describe(got)}.")
        grads = list(got)
    ref_grads = expected(out) if callable(expected) else expected
    ref_grads = [ref_grads] if len(names) == 1 else list(ref_grads)
    failure = _first_mismatch(grads, ref_grads, names, backward_call, tol)
    if failure is None:
        return
    if own is None:  # the forward is right: only the reference's gradient is right
        raise failure
    why_not = own if isinstance(own, str) else _passes_dout_through(grads, ref_grads, dout)
    if why_not is None:
        why_not = _check_own_gradient(own, dout, grads, ref_grads, names, forward, backward_call)
        if why_not is None:
            return
    raise GradingFailure(f"{failure} Your `{forward}` gives a different output from the correct one for "
                         f"these inputs (see its own tests), but {why_not}, so `{backward}` could only be "
                         "checked against the correct gradient.")


def _forward_call(student: Any, forward: str, task: str, backward: str, args: Sequence[Any], call: str) -> Any:
    """The student's forward on ``args``, charged to ``task``; its failures name it."""
    try:
        with OtherTask.calls_for(task):
            return getattr(student, forward)(*args)
    except StudentTimeout as exc:
        if "total time limit" in exc.feedback:
            raise
        what = ("used up its time budget" if "used up its time budget" in exc.feedback
                else "ran past its time limit")
        fresh = "" if "in an earlier test" in exc.feedback or "over its earlier tests" in exc.feedback else \
            f"\n{exc.feedback}"
        raise ForwardFailed(f"`{forward}` {what}, so this test of `{backward}` could not run (it needs the cache "
                            f"of your `{forward}`; the time is charged to `{forward}`, not to `{backward}`)."
                            f"{fresh}") from None
    except StudentNotImplemented:
        raise ForwardFailed(f"`{forward}` is not implemented yet, so this test of `{backward}` could not run "
                            f"(it needs the cache of your `{forward}`; see the tests of `{forward}`).") from None
    except StudentError as exc:
        raise ForwardFailed(f"This test of `{backward}` could not run: it needs the cache of your `{forward}`, "
                            f"and {call} failed.\n{exc.feedback}") from None


def _first_mismatch(grads: list[Any], expected: list[Any], names: Sequence[str], call: str,
                    tol: float) -> GradingFailure | None:
    for got, ref, name in zip(grads, expected, names):
        ref = np.asarray(ref)
        try:
            assert_close(got, ref, call=call, what=f"{name} (shape {ref.shape})", tol=tol)
        except GradingFailure as exc:
            return exc
    return None


def _same_values(got: Any, expected: Any, tol: float) -> bool:
    try:
        arr = as_array(got, call="")
    except GradingFailure:
        return False
    expected = np.asarray(expected)
    return arr.shape == expected.shape and rel_error(arr, expected) <= tol


def _passes_dout_through(grads: list[Any], expected: list[Any], dout: np.ndarray) -> str | None:
    for got, ref in zip(grads, expected):
        if np.shape(got) == np.shape(dout) and np.array_equal(got, dout) and not np.array_equal(ref, dout):
            return "the backward pass returns dout unchanged"
    return None


def _forward_evaluator(student: Any, forward: str, task: str, backward: str, args: Sequence[Any],
                       call: str) -> Callable[[int, np.ndarray], Any]:
    """``evaluate(index, value)``: the student's forward output with ``args[index]`` replaced."""
    def evaluate(index: int, value: np.ndarray) -> Any:
        changed = list(args)
        changed[index] = value
        result = _forward_call(student, forward, task, backward, changed, call)
        return result[0] if isinstance(result, (tuple, list)) and len(result) == 2 else None
    return evaluate


Probes = dict[int, list[tuple[np.ndarray, np.ndarray]]]
"""For each input's index in ``args``: (direction v, directional derivative J v of the forward)."""


def _probe_forward(evaluate: Callable[[int, np.ndarray], Any], out: Any, args: Sequence[Any],
                   dout: np.ndarray, wrt: Sequence[int]) -> Probes | str:
    """Directional derivatives of the student's forward at ``args`` by central differences
    along random directions, or why its output cannot stand in for the reference's."""
    if not isinstance(out, np.ndarray) or out.dtype.kind not in "biuf" or out.shape != np.shape(dout):
        return f"its output is {describe(out)}, not an array of the shape of dout {tuple(np.shape(dout))}"
    if not np.all(np.isfinite(out)):
        return "its output holds NaN or infinite values"
    for index in wrt:
        if np.shape(args[index]) == out.shape and np.array_equal(out, args[index]):
            return "it returns its input unchanged"
    again = evaluate(wrt[0], np.asarray(args[wrt[0]], dtype=np.float64))
    if not _same_values(again, out, 1e-5):
        return "it gives a different output when called again with the same inputs (and seed)"
    # directions seeded by the hidden dout: the same submission always gets the same verdict
    generator = np.random.default_rng(zlib.crc32(np.ascontiguousarray(dout, dtype=np.float64).tobytes()))
    probes: Probes = {}
    for index in wrt:
        x = np.asarray(args[index], dtype=np.float64)
        step = BACKWARD_STEP * max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
        probes[index] = []
        for _ in range(BACKWARD_DIRECTIONS):
            v = generator.normal(size=x.shape)
            plus, minus = evaluate(index, x + step * v), evaluate(index, x - step * v)
            if not (_same_shape_finite(plus, out) and _same_shape_finite(minus, out)):
                return "its output changes shape or stops being finite when an input moves slightly"
            jv = (np.asarray(plus, dtype=np.float64) - np.asarray(minus, dtype=np.float64)) / (2 * step)
            probes[index].append((v, jv))
    return probes


def _check_own_gradient(probes: Probes, dout: np.ndarray, grads: list[Any], expected: list[Any],
                        names: Sequence[str], forward: str, call: str) -> str | None:
    """None when every gradient is the gradient of the student's forward along the probed
    directions; why the check cannot credit it; or raise on a wrong gradient.

    For each input x and direction v, the backward's sum(grad * v) must equal
    sum(dout * J v), J v = (f(x + h v) - f(x - h v)) / 2h: the directional derivative of
    the student's forward (PyTorch's fast gradcheck compares the same products)."""
    dout = np.asarray(dout, dtype=np.float64)
    for got, ref, (index, pairs), name in zip(grads, expected, probes.items(), names):
        grad = assert_shape(got, pairs[0][0].shape, call=call, what=name).astype(np.float64)
        for v, jv in pairs:
            mine, numeric = float(np.sum(grad * v)), float(np.sum(dout * jv))
            scale = (np.linalg.norm(grad) * np.linalg.norm(v) / np.sqrt(max(1, v.size))
                     + np.linalg.norm(dout) * np.linalg.norm(jv) / np.sqrt(max(1, jv.size)))
            error = abs(mine - numeric) / max(1e-12, float(scale))
            if not error <= BACKWARD_NUMERIC_TOL:
                raise GradingFailure(
                    f"{call}: {name} is not the gradient of your own `{forward}` (checked numerically, "
                    f"because your `{forward}` gives a different output from the correct one for these "
                    f"inputs; see its own tests): along a random direction the relative error is {error:.2g}, "
                    f"allowed {BACKWARD_NUMERIC_TOL:.0e}.")
        if not any(np.any(jv != 0) for _, jv in pairs) and np.any(np.asarray(ref) != 0):
            return f"its output does not depend on {name[1:]}"
    return None


def _same_shape_finite(value: Any, like: np.ndarray) -> bool:
    return isinstance(value, np.ndarray) and value.shape == like.shape and bool(np.all(np.isfinite(value)))
