"""HW3 reference solutions (hidden): fully connected layers, losses, and networks.

Conventions (the notebook states them, as CS231n does):

* A layer's forward pass returns ``(out, cache)``; its backward pass takes
  ``(dout, cache)`` and returns the gradients of its inputs.
* ``x`` has shape (N, d1, ..., dk); the affine layer flattens each sample to a
  row of D = d1 * ... * dk values. ``w`` is (D, M), ``b`` is (M,).
* Scores are (N, C); losses average over the N samples.
* A network adds ``0.5 * reg * sum(W**2)`` over its weight matrices only
  (never the biases); the gradient of that term is ``reg * W``.
* Weights start as N(0, weight_scale**2) samples, biases as zeros.

Written to be clear and exact, not clever; every function leaves its arguments
unchanged. Gradients are checked against centred differences in
``tests/test_hw3_reference.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "affine_forward", "affine_backward", "relu_forward", "relu_backward",
    "affine_relu_forward", "affine_relu_backward", "softmax_loss", "svm_loss",
    "TwoLayerNet", "FullyConnectedNet",
]


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


def svm_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Multiclass SVM loss with margin 1 over the wrong classes, averaged over the samples.

    Inputs:
    - x: (N, C) scores.
    - y: (N,) integer labels in [0, C).

    Returns (loss, dx): a float and the gradient (N, C).
    """
    x = np.asarray(x, dtype=np.float64)
    N = x.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0.0, x - x[rows, y][:, None] + 1.0)
    margins[rows, y] = 0.0
    loss = np.sum(margins) / N
    positive = (margins > 0).astype(np.float64)
    positive[rows, y] = -np.sum(positive, axis=1)
    dx = positive / N
    return float(loss), dx


# --------------------------------------------------------------------- networks
def _gaussian(gen: np.random.Generator, shape: tuple[int, ...], scale: float) -> np.ndarray:
    return scale * gen.standard_normal(shape)


class TwoLayerNet:
    """affine - relu - affine - softmax, with L2 regularisation of W1 and W2.

    params: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).
    """

    def __init__(self, input_dim: int = 3 * 32 * 32, hidden_dim: int = 100, num_classes: int = 10,
                 weight_scale: float = 1e-3, reg: float = 0.0) -> None:
        gen = np.random.default_rng()
        self.reg = reg
        self.params: dict[str, np.ndarray] = {
            "W1": _gaussian(gen, (input_dim, hidden_dim), weight_scale),
            "b1": np.zeros(hidden_dim),
            "W2": _gaussian(gen, (hidden_dim, num_classes), weight_scale),
            "b2": np.zeros(num_classes),
        }

    def loss(self, X: np.ndarray, y: np.ndarray | None = None) -> Any:
        """Inputs: X (N, d1, ..., dk); y (N,) labels or None.

        Returns scores (N, C) when y is None, else (loss, grads) with grads[k]
        shaped like params[k].
        """
        p = self.params
        h, cache1 = affine_relu_forward(X, p["W1"], p["b1"])
        scores, cache2 = affine_forward(h, p["W2"], p["b2"])
        if y is None:
            return scores
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        dh, dW2, db2 = affine_backward(dscores, cache2)
        _, dW1, db1 = affine_relu_backward(dh, cache1)
        grads = {"W1": dW1 + self.reg * p["W1"], "b1": db1, "W2": dW2 + self.reg * p["W2"], "b2": db2}
        return float(loss), grads


class FullyConnectedNet:
    """{affine - relu} x (L - 1), affine, softmax; L = len(hidden_dims) + 1.

    params: W1 (input_dim, hidden_dims[0]), b1, ..., WL (hidden_dims[-1], num_classes), bL,
    all of dtype ``dtype``.
    """

    def __init__(self, hidden_dims: list[int], input_dim: int = 3 * 32 * 32, num_classes: int = 10,
                 reg: float = 0.0, weight_scale: float = 1e-2, dtype: Any = np.float32,
                 seed: int | None = None) -> None:
        gen = np.random.default_rng(seed)
        self.reg = reg
        self.dtype = dtype
        self.num_layers = 1 + len(hidden_dims)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params: dict[str, np.ndarray] = {}
        for i in range(self.num_layers):
            self.params[f"W{i + 1}"] = _gaussian(gen, (dims[i], dims[i + 1]), weight_scale).astype(dtype)
            self.params[f"b{i + 1}"] = np.zeros(dims[i + 1], dtype=dtype)

    def loss(self, X: np.ndarray, y: np.ndarray | None = None) -> Any:
        """Inputs: X (N, d1, ..., dk); y (N,) labels or None.

        Returns scores (N, C) when y is None, else (loss, grads) with grads[k]
        shaped like params[k].
        """
        X = np.asarray(X).astype(self.dtype)
        L = self.num_layers
        p = self.params
        caches = []
        h = X
        for i in range(1, L):
            h, cache = affine_relu_forward(h, p[f"W{i}"], p[f"b{i}"])
            caches.append(cache)
        scores, last_cache = affine_forward(h, p[f"W{L}"], p[f"b{L}"])
        if y is None:
            return scores
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * sum(np.sum(p[f"W{i}"] ** 2) for i in range(1, L + 1))
        grads: dict[str, np.ndarray] = {}
        dh, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, last_cache)
        for i in range(L - 1, 0, -1):
            dh, grads[f"W{i}"], grads[f"b{i}"] = affine_relu_backward(dh, caches[i - 1])
        for i in range(1, L + 1):
            grads[f"W{i}"] = grads[f"W{i}"] + self.reg * p[f"W{i}"]
        return float(loss), grads
