"""Reference solutions for HW5 (convolutional networks), hidden from students.

Same names and contracts as the notebook's solution cells. The layers here are
vectorized (every window at once, through ``sliding_window_view`` and
``einsum``) because the grader calls them for every hidden test; the source
notebook's solutions are the loop versions students are expected to write.

Conventions (CS231n's, as in HW3 and HW4): a forward pass returns
``(out, cache)``; its backward pass takes ``(dout, cache)``. Images are
(N, C, H, W); filters (F, C, HH, WW); the convolution is a cross-correlation
(the filter is not flipped) with ``pad`` zeros on both sides of H and W.
HW5's notebook has students paste their own HW3 affine/ReLU/softmax layers and
HW4 batch norm; the reference carries private copies of those (below) instead
of importing ``reference.hw3``/``reference.hw4``, because the Gradescope
autograder zip ships only ``reference/hw5/``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


__all__ = [
    "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive",
    "spatial_batchnorm_forward", "spatial_batchnorm_backward", "ThreeLayerConvNet",
    "conv_output_shape", "pool_output_shape",
]


# ---------------------------------------------------------------- HW3/HW4 layers (CS231n conventions)
def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Any]:
    """x (N, d1, ..., dk) flattened to (N, D); w (D, M); b (M,). Returns (out (N, M), cache)."""
    return x.reshape(x.shape[0], -1) @ w + b, (x, w)


def affine_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dout (N, M). Returns (dx shaped like x, dw (D, M), db (M,))."""
    x, w = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def affine_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Any]:
    """max(0, affine(x)): out (N, M)."""
    a, fc_cache = affine_forward(x, w, b)
    return np.maximum(0, a), (fc_cache, a)


def affine_relu_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of affine_relu_forward: (dx, dw, db)."""
    fc_cache, a = cache
    return affine_backward(dout * (a > 0), fc_cache)


def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of scores x (N, C) with labels y (N,); returns (loss, dx (N, C))."""
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = x.shape[0]
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return float(-log_probs[np.arange(N), y].mean()), dx / N


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict) -> tuple[np.ndarray, Any]:
    """HW4's batch norm: x (N, D), gamma/beta (D,); bn_param "mode", "eps" (1e-5), "momentum" (0.9),
    "running_mean"/"running_var" (D,), updated in place in train mode with the biased batch variance."""
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache = None
    if bn_param["mode"] == "train":
        mean, var = x.mean(axis=0), x.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mean) * inv_std
        out = gamma * x_hat + beta
        cache = (x_hat, gamma, inv_std)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    elif bn_param["mode"] == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError(f"invalid batch norm mode {bn_param['mode']!r}")
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return out, cache


def batchnorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train-mode batch norm backward: dout (N, D) -> (dx (N, D), dgamma (D,), dbeta (D,))."""
    x_hat, gamma, inv_std = cache
    N = dout.shape[0]
    dx_hat = dout * gamma
    dx = inv_std / N * (N * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0))
    return dx, np.sum(dout * x_hat, axis=0), dout.sum(axis=0)


# ---------------------------------------------------------------- HW5
def conv_output_shape(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: int, pad: int) -> tuple[int, int, int, int]:
    """(N, F, H', W') for x (N, C, H, W) and w (F, C, HH, WW); ValueError if the sizes do not tile."""
    N, _, H, W = x_shape
    F, _, HH, WW = w_shape
    for size, window in ((H + 2 * pad, HH), (W + 2 * pad, WW)):
        if window > size or (size - window) % stride:
            raise ValueError(f"window {window} does not tile {size} with stride {stride}")
    return N, F, 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride


def pool_output_shape(x_shape: tuple[int, ...], ph: int, pw: int, stride: int) -> tuple[int, int, int, int]:
    """(N, C, H', W') of max pooling x (N, C, H, W); ValueError if the windows do not tile."""
    N, C, H, W = x_shape
    for size, window in ((H, ph), (W, pw)):
        if window > size or (size - window) % stride:
            raise ValueError(f"window {window} does not tile {size} with stride {stride}")
    return N, C, 1 + (H - ph) // stride, 1 + (W - pw) // stride


def _pad(x: np.ndarray, pad: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")


def _windows(x: np.ndarray, height: int, width: int, stride: int) -> np.ndarray:
    """(N, C, H', W', height, width): every window of x (N, C, H, W) at the stride (a view)."""
    return sliding_window_view(x, (height, width), axis=(2, 3))[:, :, ::stride, ::stride]


def conv_forward_naive(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict) -> tuple[np.ndarray, Any]:
    """Convolutional layer forward pass.

    Inputs:
    - x: (N, C, H, W) input; w: (F, C, HH, WW) filters; b: (F,) biases.
    - conv_param: {"stride": s, "pad": p}, p zeros on both sides of H and W.

    Returns (out, cache): out (N, F, H', W') with H' = 1 + (H + 2p - HH) / s,
    W' = 1 + (W + 2p - WW) / s, out[n, f] = sum over c, i, j of
    x_pad[n, c, s*h + i, s*w + j] * w[f, c, i, j], plus b[f].
    """
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    conv_output_shape(x.shape, w.shape, stride, pad)
    windows = _windows(_pad(x, pad), w.shape[2], w.shape[3], stride)
    out = np.einsum("nchwij,fcij->nfhw", windows, w) + b[None, :, None, None]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convolutional layer backward pass.

    Inputs: dout (N, F, H', W'); cache from conv_forward_naive.
    Returns (dx (N, C, H, W), dw (F, C, HH, WW), db (F,)).
    """
    x, w, b, conv_param = cache
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    _, _, H, W = x.shape
    _, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = _pad(x, pad)
    windows = _windows(x_pad, HH, WW, stride)
    dw = np.einsum("nfhw,nchwij->fcij", dout, windows)
    db = dout.sum(axis=(0, 2, 3))
    dx_pad = np.zeros(x_pad.shape, dtype=np.result_type(dout, w))
    for i in range(HH):
        for j in range(WW):
            dx_pad[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride] += \
                np.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    return dx_pad[:, :, pad:pad + H, pad:pad + W].copy(), dw, db


def max_pool_forward_naive(x: np.ndarray, pool_param: dict) -> tuple[np.ndarray, Any]:
    """Max-pooling forward pass.

    Inputs: x (N, C, H, W); pool_param {"pool_height", "pool_width", "stride"}.
    Returns (out (N, C, H', W'), cache), H' = 1 + (H - ph) / s, W' = 1 + (W - pw) / s.
    """
    ph, pw, stride = int(pool_param["pool_height"]), int(pool_param["pool_width"]), int(pool_param["stride"])
    pool_output_shape(x.shape, ph, pw, stride)
    return _windows(x, ph, pw, stride).max(axis=(4, 5)), (x, pool_param)


def max_pool_backward_naive(dout: np.ndarray, cache: Any) -> np.ndarray:
    """Max-pooling backward pass: each window's gradient goes to its first maximum;
    an input that is the maximum of several (overlapping) windows gets the sum.

    Inputs: dout (N, C, H', W'); cache from max_pool_forward_naive.
    Returns dx (N, C, H, W).
    """
    x, pool_param = cache
    ph, pw, stride = int(pool_param["pool_height"]), int(pool_param["pool_width"]), int(pool_param["stride"])
    N, C, H_out, W_out = dout.shape
    winner = _windows(x, ph, pw, stride).reshape(N, C, H_out, W_out, ph * pw).argmax(axis=4)
    dx = np.zeros(x.shape, dtype=np.result_type(dout, x))
    for k in range(ph * pw):
        i, j = divmod(k, pw)
        dx[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride] += np.where(winner == k, dout, 0)
    return dx


def spatial_batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict) -> tuple[np.ndarray, Any]:
    """Batch norm per channel over (N, H, W), through HW4's batchnorm_forward.

    Inputs: x (N, C, H, W); gamma, beta (C,); bn_param as for batchnorm_forward
    ("mode" "train"/"test", "eps", "momentum", "running_mean"/"running_var" (C,),
    updated in place in train mode).
    Returns (out (N, C, H, W), cache).
    """
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of spatial_batchnorm_forward.

    Inputs: dout (N, C, H, W); cache from spatial_batchnorm_forward.
    Returns (dx (N, C, H, W), dgamma (C,), dbeta (C,)).
    """
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, C), cache)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta


class ThreeLayerConvNet:
    """conv - relu - 2x2 max pool - affine - relu - affine - softmax.

    Input minibatches are (N, C, H, W) with H and W even. The convolution keeps
    the spatial size (stride 1, pad (filter_size - 1) / 2, filter_size odd); the
    pool halves it. Parameters (in ``self.params``):
    W1 (F, C, fs, fs), b1 (F,), W2 (F * H/2 * W/2, hidden_dim), b2 (hidden_dim,),
    W3 (hidden_dim, num_classes), b3 (num_classes,); weights N(0, weight_scale^2),
    biases zeros, all of type ``dtype``.
    """

    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32):
        C, H, W = input_dim
        self.reg = reg
        self.dtype = dtype
        self.params = {
            "W1": weight_scale * np.random.randn(num_filters, C, filter_size, filter_size),
            "b1": np.zeros(num_filters),
            "W2": weight_scale * np.random.randn(num_filters * (H // 2) * (W // 2), hidden_dim),
            "b2": np.zeros(hidden_dim),
            "W3": weight_scale * np.random.randn(hidden_dim, num_classes),
            "b3": np.zeros(num_classes),
        }
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X: np.ndarray, y: np.ndarray | None = None):
        """Scores (N, num_classes) when y is None; else (loss, grads) with grads[k] shaped like params[k].

        The loss is the mean softmax loss plus 0.5 * reg * (|W1|^2 + |W2|^2 + |W3|^2), biases excluded.
        """
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]
        conv_param = {"stride": 1, "pad": (W1.shape[2] - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        a1, conv_cache = conv_forward_naive(X, W1, b1, conv_param)
        r1 = np.maximum(0, a1)
        p1, pool_cache = max_pool_forward_naive(r1, pool_param)
        h2, fc_cache = affine_relu_forward(p1, W2, b2)
        scores, out_cache = affine_forward(h2, W3, b3)
        if y is None:
            return scores

        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * sum(np.sum(Wk * Wk) for Wk in (W1, W2, W3))
        grads = {}
        dh2, grads["W3"], grads["b3"] = affine_backward(dscores, out_cache)
        dp1, grads["W2"], grads["b2"] = affine_relu_backward(dh2, fc_cache)
        dr1 = max_pool_backward_naive(dp1, pool_cache)
        _, grads["W1"], grads["b1"] = conv_backward_naive(dr1 * (a1 > 0), conv_cache)
        for k in ("W1", "W2", "W3"):
            grads[k] = grads[k] + self.reg * self.params[k]
        return loss, grads
