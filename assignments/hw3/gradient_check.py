"""Numerical gradients and the course's relative error (given to students; used by HW3, HW4 and HW5).

Centered differences: for a scalar function f and a small step h,

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / (2 h)

which is accurate to O(h^2). Use float64 inputs: with float32 the rounding
error of f swamps a step of 1e-5.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["eval_numerical_gradient", "eval_numerical_gradient_array", "grad_check_sparse", "grad_error",
           "rel_error"]


def rel_error(x, y) -> float:
    """The course's relative error: max over entries of |x - y| / max(1e-8, |x| + |y|).

    Inputs:
    - x, y: arrays (or numbers) of the same shape (broadcastable).

    Returns:
    - a float; below about 1e-7 an analytic gradient agrees with a numerical
      one computed in float64.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def grad_error(numeric, analytic, scale=None) -> float:
    """How far an analytic gradient is from a numerical one, relative to the gradient's size:
    max over entries of |numeric - analytic|, divided by max(1e-8, scale).

    Use this, not rel_error, to compare gradients. rel_error divides each entry by
    its own size, so an entry whose true value is 0 (or nearly) compares the
    numerical gradient's rounding noise (about 1e-16 * |f| / h) with itself and can
    fail a correct gradient. Here every entry is measured against the scale of the
    whole gradient.

    Inputs:
    - numeric, analytic: arrays of the same shape (d1, ..., dk).
    - scale: the gradient's size; by default the largest |entry| of either array.
      For a model pass the largest |entry| over ALL its parameters' gradients,
      so that a parameter whose true gradient is 0 (a bias followed by batch
      norm) is checked against the model's scale, not against its own noise.

    Returns:
    - a float; a correct gradient checked with h = 1e-5 in float64 gives about
      1e-9 or less, a wrong one about 1e-2 or more.
    """
    numeric = np.asarray(numeric, dtype=np.float64)
    analytic = np.asarray(analytic, dtype=np.float64)
    if scale is None:
        scale = max(np.max(np.abs(numeric), initial=0.0), np.max(np.abs(analytic), initial=0.0))
    return float(np.max(np.abs(numeric - analytic), initial=0.0) / max(1e-8, float(scale)))


def eval_numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, verbose: bool = True,
                            h: float = 1e-5) -> np.ndarray:
    """Numerical gradient of a scalar function f at x, one entry at a time.

    Inputs:
    - f: a function of one argument (an array shaped like x) returning a number.
      f may ignore its argument and read x through a closure (as the model
      checks do: ``f = lambda _: model.loss(X, y)[0]``): x is changed in place
      while the gradient is computed and restored afterwards.
    - x: float array of any shape (d1, ..., dk), the point at which to evaluate.
    - verbose: print each index and its gradient entry.
    - h: the step.

    Returns:
    - grad: array shaped like x, grad[i] ~ df/dx[i].
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = float(f(x))
        x[ix] = old - h
        fxmh = float(f(x))
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, df: np.ndarray,
                                  h: float = 1e-5) -> np.ndarray:
    """Numerical gradient of sum(f(x) * df) with respect to x, for an array-valued f.

    This is what a layer's backward pass computes: given the upstream gradient
    df = dL/d(out), the gradient dL/dx = sum over out of df * d(out)/dx.

    Inputs:
    - f: a function of one argument (an array shaped like x) returning an
      array shaped like df (e.g. ``lambda x: affine_forward(x, w, b)[0]``).
      x is changed in place while the gradient is computed and restored afterwards.
    - x: float array of any shape (d1, ..., dk).
    - df: the upstream gradient, shaped like f(x).
    - h: the step.

    Returns:
    - grad: array shaped like x.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = old - h
        neg = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def grad_check_sparse(f: Callable[[np.ndarray], float], x: np.ndarray, analytic_grad: np.ndarray,
                      num_checks: int = 10, h: float = 1e-5, seed: int | None = None) -> list[float]:
    """Compare an analytic gradient with numerical ones at a few random entries of x.

    Inputs:
    - f: scalar function of x (as for ``eval_numerical_gradient``).
    - x: float array of any shape; changed in place during the check and restored.
    - analytic_grad: array shaped like x.
    - num_checks: how many random entries to check.
    - h: the step.
    - seed: seed of the generator that picks the entries.

    Returns:
    - the relative error at each checked entry (also printed).
    """
    gen = np.random.default_rng(seed)
    errors = []
    for _ in range(num_checks):
        ix = tuple(int(gen.integers(m)) for m in x.shape)
        old = x[ix]
        x[ix] = old + h
        fxph = float(f(x))
        x[ix] = old - h
        fxmh = float(f(x))
        x[ix] = old
        numeric = (fxph - fxmh) / (2 * h)
        analytic = float(analytic_grad[ix])
        err = abs(numeric - analytic) / max(1e-8, abs(numeric) + abs(analytic))
        errors.append(err)
        print(f"numerical: {numeric:f} analytic: {analytic:f}, relative error: {err:e}")
    return errors
