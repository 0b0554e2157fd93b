"""Fast convolution and max-pooling layers for HW5, in plain numpy (given to students).

You write the naive layers in the notebook; these compute the same things
quickly, so that you can check your layers against them and train a
convolutional network in minutes on a laptop. There is no compiled extension:
every window of the input is gathered at once with
``numpy.lib.stride_tricks.as_strided`` (a read-only view, no copy), and
``numpy.tensordot`` then multiplies all windows by all filters in one matrix
product (the "im2col" trick: the windows become the columns of a matrix).
Small inputs (the notebook's gradient checks call these layers thousands of
times) cost little more than the two matrix products.

Conventions (the same as your naive layers):

* ``x`` is (N, C, H, W): N images with C channels of H x W pixels.
* ``w`` is (F, C, HH, WW): F filters; ``b`` is (F,).
* ``conv_param = {"stride": s, "pad": p}``: p zeros on every side of every
  image; out is (N, F, H', W') with H' = 1 + (H + 2p - HH) / s and
  W' = 1 + (W + 2p - WW) / s (both must be whole numbers).
* ``pool_param = {"pool_height": ph, "pool_width": pw, "stride": s}``; out is
  (N, C, H', W') with H' = 1 + (H - ph) / s, W' = 1 + (W - pw) / s. The
  gradient of a window goes to its largest entry (the first one if several
  are equal); windows may overlap.
* A forward pass returns ``(out, cache)``; its backward pass takes
  ``(dout, cache)`` and returns the gradients of the forward's array inputs.

The sandwich layers ``conv_relu_*`` and ``conv_relu_pool_*`` apply the ReLU
themselves (``np.maximum(0, a)`` and its mask); they do not call your HW3
``relu_forward``/``relu_backward``, so they work whatever is in your
``earlier_layers`` cell.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = [
    "conv_forward_fast", "conv_backward_fast",
    "max_pool_forward_fast", "max_pool_backward_fast",
    "conv_relu_forward", "conv_relu_backward",
    "conv_relu_pool_forward", "conv_relu_pool_backward",
]


def _output_size(size: int, window: int, stride: int, what: str) -> int:
    """1 + (size - window) / stride, or a ValueError that says which sizes do not fit."""
    if stride < 1:
        raise ValueError(f"{what}: stride must be a positive integer, got {stride}")
    if window > size or (size - window) % stride:
        raise ValueError(
            f"{what}: a window of {window} does not tile {size} pixels (after padding) with stride {stride}; "
            f"choose sizes where (size - window) is a multiple of stride")
    return 1 + (size - window) // stride


def _windows(x_pad: np.ndarray, height: int, width: int, stride: int) -> np.ndarray:
    """Every (height, width) window of x_pad (N, C, Hp, Wp) at the given stride, as a read-only view.

    Returns an array of shape (N, C, H', W', height, width), H' = 1 + (Hp - height) // stride
    (the same as ``sliding_window_view(x_pad, (height, width), axis=(2, 3))[:, :, ::stride, ::stride]``,
    without its overhead).
    """
    N, C, Hp, Wp = x_pad.shape
    if not (0 < height <= Hp and 0 < width <= Wp and stride >= 1):
        raise ValueError(f"a {height} x {width} window with stride {stride} does not fit {Hp} x {Wp} pixels")
    sN, sC, sH, sW = x_pad.strides
    shape = (N, C, 1 + (Hp - height) // stride, 1 + (Wp - width) // stride, height, width)
    return as_strided(x_pad, shape=shape, strides=(sN, sC, sH * stride, sW * stride, sH, sW), writeable=False)


def _padded(x: np.ndarray, pad: int) -> np.ndarray:
    """x (N, C, H, W) with ``pad`` zeros on both sides of H and W: (N, C, H + 2 pad, W + 2 pad).

    The same as ``np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))``, without its overhead;
    x itself (not a copy) when pad is 0.
    """
    if pad == 0:
        return x
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    out[:, :, pad:pad + H, pad:pad + W] = x
    return out


def conv_forward_fast(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                      conv_param: dict[str, int]) -> tuple[np.ndarray, Any]:
    """Convolutional layer forward pass (cross-correlation, as in the lecture).

    Inputs:
    - x: Input data of shape (N, C, H, W).
    - w: Filter weights of shape (F, C, HH, WW).
    - b: Biases of shape (F,).
    - conv_param: dict with "stride" and "pad" (zeros on both sides of H and W).

    Returns a tuple of:
    - out: Output data of shape (N, F, H', W').
    - cache: (x, w, b, conv_param), for conv_backward_fast.
    """
    N, C, H, W = x.shape
    F, C_w, HH, WW = w.shape
    if C_w != C:
        raise ValueError(f"conv_forward_fast: x has {C} channels but w has {C_w}")
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    H_out = _output_size(H + 2 * pad, HH, stride, "conv_forward_fast (height)")
    W_out = _output_size(W + 2 * pad, WW, stride, "conv_forward_fast (width)")
    x_pad = _padded(x, pad)
    windows = _windows(x_pad, HH, WW, stride)                       # (N, C, H', W', HH, WW)
    out = np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))    # (N, H', W', F)
    out = np.ascontiguousarray(out.transpose(0, 3, 1, 2)) + b.reshape(1, F, 1, 1)
    assert out.shape == (N, F, H_out, W_out)
    return out, (x, w, b, conv_param)


def conv_backward_fast(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Convolutional layer backward pass.

    Inputs:
    - dout: Upstream derivatives of shape (N, F, H', W').
    - cache: the cache of conv_forward_fast.

    Returns a tuple of:
    - dx: Gradient with respect to x, shape (N, C, H, W).
    - dw: Gradient with respect to w, shape (F, C, HH, WW).
    - db: Gradient with respect to b, shape (F,).
    """
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    _, _, H_out, W_out = dout.shape
    x_pad = _padded(x, pad)
    windows = _windows(x_pad, HH, WW, stride)                       # (N, C, H', W', HH, WW)
    db = dout.sum(axis=(0, 2, 3))
    dw = np.tensordot(dout, windows, axes=([0, 2, 3], [0, 2, 3]))  # (F, C, HH, WW)
    dx_pad = np.zeros(x_pad.shape, dtype=np.result_type(dout, w))
    dwindows = np.tensordot(dout, w, axes=([1], [0]))              # (N, H', W', C, HH, WW)
    # Filter tap (i, j) touched the padded pixels i, i + stride, ... (and j, j + stride, ...).
    for i in range(HH):
        for j in range(WW):
            dx_pad[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride] += \
                dwindows[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return np.ascontiguousarray(dx), dw, db


def max_pool_forward_fast(x: np.ndarray, pool_param: dict[str, int]) -> tuple[np.ndarray, Any]:
    """Max-pooling forward pass.

    Inputs:
    - x: Input data of shape (N, C, H, W).
    - pool_param: dict with "pool_height", "pool_width" and "stride".

    Returns a tuple of:
    - out: Output data of shape (N, C, H', W').
    - cache: (x, pool_param), for max_pool_backward_fast.
    """
    N, C, H, W = x.shape
    ph, pw, stride = int(pool_param["pool_height"]), int(pool_param["pool_width"]), int(pool_param["stride"])
    _output_size(H, ph, stride, "max_pool_forward_fast (height)")
    _output_size(W, pw, stride, "max_pool_forward_fast (width)")
    out = _windows(x, ph, pw, stride).max(axis=(4, 5))
    return out, (x, pool_param)


def max_pool_backward_fast(dout: np.ndarray, cache: Any) -> np.ndarray:
    """Max-pooling backward pass: each window's gradient goes to its (first) maximum.

    Inputs:
    - dout: Upstream derivatives of shape (N, C, H', W').
    - cache: the cache of max_pool_forward_fast.

    Returns:
    - dx: Gradient with respect to x, shape (N, C, H, W).
    """
    x, pool_param = cache
    ph, pw, stride = int(pool_param["pool_height"]), int(pool_param["pool_width"]), int(pool_param["stride"])
    N, C, H_out, W_out = dout.shape
    windows = _windows(x, ph, pw, stride).reshape(N, C, H_out, W_out, ph * pw)
    winner = windows.argmax(axis=4)                                  # (N, C, H', W'), first maximum
    dx = np.zeros(x.shape, dtype=np.result_type(dout, x))
    for k in range(ph * pw):
        i, j = divmod(k, pw)
        dx[:, :, i:i + stride * H_out:stride, j:j + stride * W_out:stride] += np.where(winner == k, dout, 0)
    return dx


def conv_relu_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray,
                      conv_param: dict[str, int]) -> tuple[np.ndarray, Any]:
    """Convolution followed by a ReLU.

    Inputs: x (N, C, H, W), w (F, C, HH, WW), b (F,), conv_param as for conv_forward_fast.

    Returns a tuple of:
    - out: max(0, conv(x)), shape (N, F, H', W').
    - cache: for conv_relu_backward.
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    return np.maximum(0, a), (conv_cache, a)


def conv_relu_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of conv_relu_forward.

    Inputs: dout (N, F, H', W'); cache of conv_relu_forward.
    Returns (dx (N, C, H, W), dw (F, C, HH, WW), db (F,)).
    """
    conv_cache, a = cache
    return conv_backward_fast(dout * (a > 0), conv_cache)


def conv_relu_pool_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray, conv_param: dict[str, int],
                           pool_param: dict[str, int]) -> tuple[np.ndarray, Any]:
    """Convolution, ReLU, then max pooling.

    Inputs: x (N, C, H, W), w (F, C, HH, WW), b (F,), conv_param as for
    conv_forward_fast, pool_param as for max_pool_forward_fast.

    Returns a tuple of:
    - out: shape (N, F, H'', W''), the pooled activations.
    - cache: for conv_relu_pool_backward.
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s = np.maximum(0, a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    return out, (conv_cache, a, pool_cache)


def conv_relu_pool_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of conv_relu_pool_forward.

    Inputs: dout (N, F, H'', W''); cache of conv_relu_pool_forward.
    Returns (dx (N, C, H, W), dw (F, C, HH, WW), db (F,)).
    """
    conv_cache, a, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    return conv_backward_fast(ds * (a > 0), conv_cache)
