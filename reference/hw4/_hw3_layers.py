"""HW3's layers, as HW4's reference uses them (a copy of ``reference.hw3``'s).

The Gradescope autograder zip of an assignment holds only that assignment's
reference package, so HW4's reference cannot import ``reference.hw3`` there.
``tests/test_hw4_reference.py`` checks that these copies agree with HW3's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["affine_forward", "affine_backward", "relu_forward", "relu_backward",
           "affine_relu_forward", "affine_relu_backward", "softmax_loss"]


# --------------------------------------------------------------------- layers
def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """out = x.reshape(N, D) @ w + b.

    Inputs:
    - x: (N, d1, ..., dk) input; D = d1 * ... * dk.
    - w: (D, M) weights.
    - b: (M,) biases.

    Returns (out, cache): out (N, M); cache (x, w, b).
    """
    x_rows = np.reshape(x, (x.shape[0], -1))
    out = x_rows @ w + b
    return out, (x, w, b)


def affine_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of the affine layer.

    Inputs:
    - dout: (N, M) upstream gradient.
    - cache: (x, w, b) from affine_forward.

    Returns (dx, dw, db): dx shaped like x (N, d1, ..., dk); dw (D, M); db (M,).
    """
    x, w, _ = cache
    x_rows = np.reshape(x, (x.shape[0], -1))
    dx = np.reshape(dout @ w.T, x.shape)
    dw = x_rows.T @ dout
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = max(0, x), elementwise.

    Inputs:
    - x: input of any shape.

    Returns (out, cache): out shaped like x; cache x.
    """
    return np.maximum(0, x), x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """Gradient of the ReLU: dout where x > 0, else 0.

    Inputs:
    - dout: upstream gradient, any shape.
    - cache: x from relu_forward, shaped like dout.

    Returns dx shaped like dout.
    """
    x = cache
    return np.where(x > 0, dout, 0.0)


def affine_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """An affine layer followed by a ReLU.

    Inputs: x (N, d1, ..., dk), w (D, M), b (M,).
    Returns (out, cache): out (N, M); cache (affine cache, relu cache).
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of affine_relu_forward.

    Inputs: dout (N, M); cache from affine_relu_forward.
    Returns (dx, dw, db): dx shaped like x; dw (D, M); db (M,).
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)


# --------------------------------------------------------------------- losses
def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax (cross-entropy) loss, averaged over the samples; numerically stable.

    Inputs:
    - x: (N, C) scores.
    - y: (N,) integer labels in [0, C).

    Returns (loss, dx): a float and the gradient (N, C).
    """
    x = np.asarray(x, dtype=np.float64)
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    rows = np.arange(N)
    loss = -np.sum(log_probs[rows, y]) / N
    dx = np.exp(log_probs)
    dx[rows, y] -= 1.0
    dx /= N
    return float(loss), dx
