"""Hidden reference of the midterm.

``batchnorm_forward`` is the coding question's reference. ``EXAM`` (from ``questions``) lists the
questions. The answer variables (``q1_grad``, ...; made on first use, by ``__getattr__``) are the key of the
*authoring* variant (see ``autograder.exam.checking``), so ``pytest reference/midterm/`` grades this
module as a perfect submission; real students are graded against their own issued variant.
"""

from __future__ import annotations

import numpy as np

from reference.midterm.questions import EXAM, POINTS  # noqa: F401


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Batch normalization in training mode.

    x: (N, D) mini-batch; gamma, beta: (D,) scale and shift; eps: added to the variance.
    Returns out: (N, D) = gamma * (x - mean) / sqrt(var + eps) + beta, with the per-feature mean and
    (biased) variance over the N samples.
    """
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _authoring_key() -> dict:
    from autograder.exam.checking import authoring_variant

    return authoring_variant(EXAM).answers_as_student()


def __getattr__(name: str):  # the authoring key, made when first asked for: grading a student never needs it
    key = _authoring_key()
    globals().update(key)
    if name in key:
        return key[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
