"""HW5 solution-cell variants: plausible student mistakes and correct alternatives.

Used by the project's own tests: the harness takes the released notebook, puts
the correct solutions (read from the source notebook's solution cells, see
``SOLUTIONS_FROM_SOURCE``) in every solution cell, swaps in ONE variant's cell
(keyed by its ``grade_id``) and grades the result with the hidden suite
``reference/hw5/test_hw5.py``.

* ``WRONG[name] = (grade_id, cell_source, tasks)``: the grade must lose points
  on every task in ``tasks`` and on no other task. A backward test runs the
  student's forward pass to get its cache, and the backward keeps its points
  when it is the gradient of that forward, right or wrong (one bug costs its
  points once); a forward mistake that raises, or whose cache the correct
  backward does not differentiate (spatial batch norm over the wrong axes),
  still costs the backward task and lists it. Mistakes in the
  pasted HW3/HW4 layers (``earlier_layers``) cost the HW5 tasks that call them.
* ``CORRECT[name] = (grade_id, cell_source)``: must still earn 100. The
  convolutions cover four loops (the source), two loops over output positions
  with slicing, im2col, ``einsum`` over a strided view, the FFT, and a
  deliberately slow pure-Python version with seven nested loops; pooling
  backward routes ties to the first maximum (the source) or to all of them.
  A forward and its backward share the cache, so a variant with a cache of
  its own layout (a dict, a six-item tuple) replaces the *backward* cell with
  both functions: that cell runs after the forward cell, so its pair wins.

Every cell source is a complete replacement cell, with its own imports.

The correct alternatives live beside the hidden suite, in
``reference/hw5/alternatives.py`` (``autograder check hw5`` runs them); this module
re-exports them as ``CORRECT``.
"""

from __future__ import annotations

from reference.hw5.alternatives import CORRECT, SOLUTIONS_FROM_SOURCE, _NET_INIT, _SPATIAL_BN_BACKWARD, _SPATIAL_BN_FORWARD, _conv_backward, _conv_forward, _earlier, _net, _pool_backward  # noqa: F401

WRONG: dict[str, tuple[str, str, list[str]]] = {
    # ------------------------------------------------------------ conv_forward_naive
    "conv_forward_pads_one_side_only": ("conv_forward_naive", _conv_forward(
        pad_expr="np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)), mode='constant')  # all padding after"),
        ["conv_forward_naive"]),

    "conv_forward_pads_before_only": ("conv_forward_naive", _conv_forward(
        pad_expr="np.pad(x, ((0, 0), (0, 0), (pad, 0), (pad, 0)), mode='constant')  # one side"),
        ["conv_forward_naive", "conv_backward_naive"]),  # windows run off the edge: the forward raises

    "conv_forward_flips_the_filter": ("conv_forward_naive", _conv_forward(
        value_expr="np.sum(window * w[f, :, ::-1, ::-1]) + b[f]  # true convolution"), ["conv_forward_naive"]),

    "conv_forward_forgets_the_bias": ("conv_forward_naive", _conv_forward(value_expr="np.sum(window * w[f])"),
                                      ["conv_forward_naive"]),

    "conv_forward_ignores_the_stride": ("conv_forward_naive", '''\
import numpy as np

def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, f, i, j] = np.sum(x_pad[n, :, i:i + HH, j:j + WW] * w[f]) + b[f]  # windows 1 apart
    return out, (x, w, b, conv_param)
''', ["conv_forward_naive"]),

    # ------------------------------------------------------------ conv_backward_naive
    "conv_backward_ignores_the_stride": ("conv_backward_naive", _conv_backward(
        window_lines="rows, cols = slice(i, i + HH), slice(j, j + WW)  # stride forgotten"), ["conv_backward_naive"]),

    "conv_backward_db_over_wrong_axes": ("conv_backward_naive", _conv_backward(
        db_expr="np.sum(dout, axis=(1, 2, 3))  # one number per image"), ["conv_backward_naive"]),

    "conv_backward_db_over_images_only": ("conv_backward_naive", _conv_backward(
        db_expr="np.sum(dout, axis=0)[:, 0, 0]  # only the first output position"), ["conv_backward_naive"]),

    "conv_backward_flips_the_filter": ("conv_backward_naive", _conv_backward(filter_expr="w[f, :, ::-1, ::-1]"),
                                       ["conv_backward_naive"]),

    "conv_backward_unpads_with_negative_index": ("conv_backward_naive", _conv_backward(
        dx_expr="dx_pad[:, :, pad:-pad, pad:-pad]  # empty when pad is 0"), ["conv_backward_naive"]),

    # ------------------------------------------------------------ max pooling
    "pool_forward_running_max_starts_at_zero": ("max_pool_forward_naive", '''\
import numpy as np

def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    H_out, W_out = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    best = 0  # wrong start: all-negative windows give 0
                    for a in range(ph):
                        for d in range(pw):
                            best = max(best, x[n, c, i * s + a, j * s + d])
                    out[n, c, i, j] = best
    return out, (x, pool_param)
''', ["max_pool_forward_naive"]),

    "pool_forward_stride_taken_as_window_size": ("max_pool_forward_naive", '''\
import numpy as np

def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    H_out, W_out = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = np.max(x[:, :, i * ph:i * ph + ph, j * pw:j * pw + pw], axis=(2, 3))
    return out, (x, pool_param)
''', ["max_pool_forward_naive", "max_pool_backward_naive"]),  # raises where windows overlap

    "pool_backward_spreads_over_the_window": ("max_pool_backward_naive", _pool_backward(
        "dx[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw] += dout[n, c, i, j]"),
        ["max_pool_backward_naive"]),

    "pool_backward_averages_over_the_window": ("max_pool_backward_naive", _pool_backward(
        "dx[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw] += dout[n, c, i, j] / (ph * pw)"),
        ["max_pool_backward_naive"]),

    "pool_backward_assigns_instead_of_adding": ("max_pool_backward_naive", _pool_backward(
        "dx[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw] = (window == np.max(window)) * dout[n, c, i, j]"),
        ["max_pool_backward_naive"]),

    "pool_backward_routes_to_the_minimum": ("max_pool_backward_naive", _pool_backward(
        "r, s = np.unravel_index(np.argmin(window), window.shape)\n"
        "                    dx[n, c, i * stride + r, j * stride + s] += dout[n, c, i, j]"),
        ["max_pool_backward_naive"]),

    # ------------------------------------------------------------ spatial batch norm
    "spatial_bn_reshape_without_transpose": ("spatial_batchnorm_forward", _SPATIAL_BN_FORWARD.format(body='''\
out_rows, cache = batchnorm_forward(x.reshape(-1, C), gamma, beta, bn_param)  # mixes channels
    out = out_rows.reshape(N, C, H, W)'''), ["spatial_batchnorm_forward", "spatial_batchnorm_backward"]),

    "spatial_bn_over_images_only": ("spatial_batchnorm_forward", _SPATIAL_BN_FORWARD.format(body='''\
rows = x.reshape(N, C * H * W)  # one mean per (channel, position)
    out_rows, cache = batchnorm_forward(rows, np.repeat(gamma, H * W), np.repeat(beta, H * W), bn_param)
    out = out_rows.reshape(N, C, H, W)'''), ["spatial_batchnorm_forward", "spatial_batchnorm_backward"]),

    "spatial_bn_per_image_instance_norm": ("spatial_batchnorm_forward", _SPATIAL_BN_FORWARD.format(body='''\
eps = bn_param.get('eps', 1e-5)
    mu = x.mean(axis=(2, 3), keepdims=True)  # per image and channel
    var = x.var(axis=(2, 3), keepdims=True)
    x_hat = (x - mu) / np.sqrt(var + eps)
    out = gamma[None, :, None, None] * x_hat + beta[None, :, None, None]
    cache = None'''), ["spatial_batchnorm_forward", "spatial_batchnorm_backward"]),

    "spatial_bn_running_averages_lost": ("spatial_batchnorm_forward", _SPATIAL_BN_FORWARD.format(body='''\
rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out_rows, cache = batchnorm_forward(rows, gamma, beta, dict(bn_param))  # a copy: the caller never sees the update
    out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)'''), ["spatial_batchnorm_forward"]),

    "spatial_bn_backward_reshape_without_transpose": ("spatial_batchnorm_backward", _SPATIAL_BN_BACKWARD.format(body='''\
dx_rows, dgamma, dbeta = batchnorm_backward(dout.reshape(-1, C), cache)
    dx = dx_rows.reshape(N, C, H, W)'''), ["spatial_batchnorm_backward"]),

    "spatial_bn_backward_dgamma_keepdims": ("spatial_batchnorm_backward", _SPATIAL_BN_BACKWARD.format(body='''\
dx_rows, dgamma, dbeta = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, C), cache)
    dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    dgamma, dbeta = dgamma.reshape(1, C, 1, 1), dbeta.reshape(1, C, 1, 1)  # not the shape of gamma'''),
        ["spatial_batchnorm_backward"]),

    # ------------------------------------------------------------ ThreeLayerConvNet
    "net_regularises_biases": ("ThreeLayerConvNet", _net(
        reg_loss="0.5 * self.reg * sum(np.sum(v * v) for v in self.params.values())",
        reg_grads='''\
        for k in grads:
            grads[k] += self.reg * self.params[k]'''), ["ThreeLayerConvNet"]),

    "net_forgets_the_reg_gradient_of_W1": ("ThreeLayerConvNet", _net(reg_grads='''\
        for k in ('W2', 'W3'):
            grads[k] += self.reg * self.params[k]'''), ["ThreeLayerConvNet"]),

    "net_reg_without_one_half": ("ThreeLayerConvNet", _net(
        reg_loss="self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))"), ["ThreeLayerConvNet"]),

    "net_conv_without_padding": ("ThreeLayerConvNet", _net(pad_expr="0"), ["ThreeLayerConvNet"]),

    "net_ignores_weight_scale": ("ThreeLayerConvNet", _net(init=_NET_INIT.replace("weight_scale * np.random.randn",
                                                                                     "1e-3 * np.random.randn")),
                                 ["ThreeLayerConvNet"]),

    # ------------------------------------------------------------ the pasted HW3/HW4 layers
    "earlier_softmax_gradient_not_averaged": ("earlier_layers", _earlier(divide="*= 1  # not divided by N"),
                                              ["ThreeLayerConvNet"]),

    "earlier_batchnorm_unbiased_variance": ("earlier_layers", _earlier(var_expr="np.var(xc, axis=0, ddof=1)"),
                                            ["spatial_batchnorm_forward", "spatial_batchnorm_backward"]),
}
