"""HW5 correct alternatives: solution cells written differently from the source's, each
of which must earn full marks, be "Ready" in ``autograder validate`` and pass every visible
check under every seed sweep (``autograder check hw5`` runs all three; see
``autograder/check_visible.py``).

``CORRECT[name] = (grade_id, cell_source)``: a complete replacement for the solution
cell ``grade_id``, with its own imports. Hidden material like the suite: the Gradescope
zip leaves this file out. The plausible mistakes (``WRONG``) are in
``tests/variants/hw5_variants.py``, which re-exports these.
"""

from __future__ import annotations

SOLUTIONS_FROM_SOURCE = True

# ---------------------------------------------------------------- building blocks
_CONV_FORWARD_LOOPS = '''\
import numpy as np

def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = {pad_expr}
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = {value_expr}
    cache = (x, w, b, conv_param)
    return out, cache
'''

_PAD_BOTH = "np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')"


def _conv_forward(pad_expr: str = _PAD_BOTH, value_expr: str = "np.sum(window * w[f]) + b[f]") -> str:
    return _CONV_FORWARD_LOOPS.format(pad_expr=pad_expr, value_expr=value_expr)


_CONV_BACKWARD_LOOPS = '''\
import numpy as np

def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    {window_lines}
                    dw[f] += x_pad[n, :, rows, cols] * dout[n, f, i, j]
                    dx_pad[n, :, rows, cols] += {filter_expr} * dout[n, f, i, j]
    db = {db_expr}
    dx = {dx_expr}
    return dx, dw, db
'''


def _conv_backward(window_lines: str = "rows, cols = slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW)",
                   filter_expr: str = "w[f]", db_expr: str = "np.sum(dout, axis=(0, 2, 3))",
                   dx_expr: str = "dx_pad[:, :, pad:pad + H, pad:pad + W]") -> str:
    return _CONV_BACKWARD_LOOPS.format(window_lines=window_lines, filter_expr=filter_expr,
                                       db_expr=db_expr, dx_expr=dx_expr)


_POOL_BACKWARD_LOOPS = '''\
import numpy as np

def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    {body}
    return dx
'''


def _pool_backward(body: str) -> str:
    return _POOL_BACKWARD_LOOPS.format(body=body)


# A correct ThreeLayerConvNet __init__, shared by the net variants that change only `loss`.
_NET_INIT = '''\
import numpy as np

class ThreeLayerConvNet:
    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32):
        self.params = {}
        self.reg = reg
        self.dtype = dtype
        C, H, W = input_dim
        self.params['W1'] = weight_scale * np.random.randn(num_filters, C, filter_size, filter_size)
        self.params['b1'] = np.zeros(num_filters)
        self.params['W2'] = weight_scale * np.random.randn(num_filters * (H // 2) * (W // 2), hidden_dim)
        self.params['b2'] = np.zeros(hidden_dim)
        self.params['W3'] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params['b3'] = np.zeros(num_classes)
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)
'''

_NET_LOSS = '''
    def loss(self, X, y=None):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        W3, b3 = self.params['W3'], self.params['b3']
        conv_param = {{'stride': 1, 'pad': {pad_expr}}}
        pool_param = {{'pool_height': 2, 'pool_width': 2, 'stride': 2}}
        out1, cache1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        out2, cache2 = affine_relu_forward(out1, W2, b2)
        scores, cache3 = affine_forward(out2, W3, b3)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += {reg_loss}
        grads = {{}}
        dout2, grads['W3'], grads['b3'] = affine_backward(dscores, cache3)
        dout1, grads['W2'], grads['b2'] = affine_relu_backward(dout2, cache2)
        _, grads['W1'], grads['b1'] = conv_relu_pool_backward(dout1, cache1)
{reg_grads}
        return loss, grads
'''

_REG_LOSS = "0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))"
_REG_GRADS = '''\
        for k in ('W1', 'W2', 'W3'):
            grads[k] += self.reg * self.params[k]'''


def _net(pad_expr: str = "(W1.shape[2] - 1) // 2", reg_loss: str = _REG_LOSS, reg_grads: str = _REG_GRADS,
         init: str = _NET_INIT) -> str:
    return init + _NET_LOSS.format(pad_expr=pad_expr, reg_loss=reg_loss, reg_grads=reg_grads)


_SPATIAL_BN_FORWARD = '''\
import numpy as np

def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    {body}
    return out, cache
'''

_SPATIAL_BN_BACKWARD = '''\
import numpy as np

def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    {body}
    return dx, dgamma, dbeta
'''

# The source's earlier_layers cell with one function replaced is long; these are the pieces to swap.
_EARLIER_LAYERS = '''\
import numpy as np

def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)

def affine_backward(dout, cache):
    x, w, b = cache
    return dout.dot(w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T.dot(dout), dout.sum(axis=0)

def relu_forward(x):
    return np.maximum(0, x), x

def relu_backward(dout, cache):
    return dout * (cache > 0)

def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)

def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)
{softmax}
{batchnorm}
'''

_SOFTMAX = '''
def softmax_loss(x, y):
    x = x - np.max(x, axis=1, keepdims=True)
    p = np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.mean(np.log(p[np.arange(N), y]))
    dx = p.copy()
    dx[np.arange(N), y] -= 1
    dx {divide}
    return loss, dx
'''

_BATCHNORM = '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)
    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == 'train':
        mu = x.mean(axis=0)
        xc = x - mu
        var = {var_expr}
        std = np.sqrt(var + eps)
        xn = xc / std
        out = gamma * xn + beta
        cache = {{'xc': xc, 'std': std, 'xn': xn, 'gamma': gamma, 'N': N}}
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var
    return out, cache

def batchnorm_backward(dout, cache):
    # through the computational graph, step by step
    xc, std, xn, gamma, N = cache['xc'], cache['std'], cache['xn'], cache['gamma'], cache['N']
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(xn * dout, axis=0)
    dxn = gamma * dout
    dxc = dxn / std
    dstd = -np.sum(dxn * xc / (std * std), axis=0)
    dvar = 0.5 * dstd / std
    dxc += (2.0 / N) * xc * dvar
    dmu = np.sum(dxc, axis=0)
    dx = dxc - dmu / N
    return dx, dgamma, dbeta
'''


def _earlier(divide: str = "/= N", var_expr: str = "np.mean(xc ** 2, axis=0)") -> str:
    return _EARLIER_LAYERS.format(softmax=_SOFTMAX.format(divide=divide),
                                  batchnorm=_BATCHNORM.format(var_expr=var_expr))

CORRECT: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------ convolution forward
    "conv_forward_two_loops_with_slicing": ("conv_forward_naive", '''\
import numpy as np

def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param['stride'], conv_param['pad']
    H_out, W_out = 1 + (H + 2 * p - HH) // s, 1 + (W + 2 * p - WW) // s
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out = np.zeros((N, F, H_out, W_out))
    w_rows = w.reshape(F, -1)
    for i in range(H_out):
        for j in range(W_out):
            window = x_pad[:, :, i * s:i * s + HH, j * s:j * s + WW].reshape(N, -1)
            out[:, :, i, j] = window @ w_rows.T + b
    return out, (x, w, b, conv_param)
'''),

    "conv_forward_im2col": ("conv_forward_naive", '''\
import numpy as np

def im2col(x_pad, HH, WW, s, H_out, W_out):
    N, C = x_pad.shape[:2]
    cols = np.empty((C * HH * WW, N * H_out * W_out))
    k = 0
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                cols[:, k] = x_pad[n, :, i * s:i * s + HH, j * s:j * s + WW].ravel()
                k += 1
    return cols

def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param['stride'], conv_param['pad']
    H_out, W_out = 1 + (H + 2 * p - HH) // s, 1 + (W + 2 * p - WW) // s
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), 'constant', constant_values=0)
    cols = im2col(x_pad, HH, WW, s, H_out, W_out)
    res = w.reshape(F, -1) @ cols + b.reshape(-1, 1)
    out = res.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)
    return out, (x, w, b, conv_param)
'''),

    "conv_forward_einsum_strided_view": ("conv_forward_naive", '''\
import numpy as np
from numpy.lib.stride_tricks import as_strided

def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param['stride'], conv_param['pad']
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    H_out, W_out = 1 + (H + 2 * p - HH) // s, 1 + (W + 2 * p - WW) // s
    sn, sc, sh, sw = x_pad.strides
    windows = as_strided(x_pad, shape=(N, C, H_out, W_out, HH, WW),
                         strides=(sn, sc, sh * s, sw * s, sh, sw), writeable=False)
    out = np.einsum('nchwij,fcij->nfhw', windows, w, optimize=True) + b[None, :, None, None]
    return out, (x, w, b, conv_param)
'''),

    "conv_forward_fft": ("conv_forward_naive", '''\
import numpy as np

def conv_forward_naive(x, w, b, conv_param):
    # cross-correlation through the FFT: multiply by the conjugate spectrum of the filter
    s, p = conv_param['stride'], conv_param['pad']
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    N, C, Hp, Wp = x_pad.shape
    F, _, HH, WW = w.shape
    X = np.fft.rfft2(x_pad)
    K = np.conj(np.fft.rfft2(w, s=(Hp, Wp)))
    full = np.fft.irfft2(np.einsum('nchw,fchw->nfhw', X, K), s=(Hp, Wp))
    out = full[:, :, :Hp - HH + 1:s, :Wp - WW + 1:s] + b[None, :, None, None]
    return out, (x, w, b, conv_param)
'''),

    "conv_forward_seven_pure_python_loops": ("conv_forward_naive", '''\
import numpy as np

def conv_forward_naive(x, w, b, conv_param):
    # deliberately slow: every multiply-add is a Python statement
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    xs, ws, bs = x.tolist(), w.tolist(), b.tolist()
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    total = bs[f]
                    for c in range(C):
                        for a in range(HH):
                            row = i * stride + a - pad
                            if row < 0 or row >= H:
                                continue
                            for d in range(WW):
                                col = j * stride + d - pad
                                if 0 <= col < W:
                                    total += xs[n][c][row][col] * ws[f][c][a][d]
                    out[n, f, i, j] = total
    return out, (x, w, b, conv_param)
'''),

    # ------------------------------------------------------------ convolution backward
    "conv_backward_two_loops_with_slicing": ("conv_backward_naive", '''\
import numpy as np

def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param['stride'], conv_param['pad']
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            window = x_pad[:, :, i * s:i * s + HH, j * s:j * s + WW]
            dw += np.tensordot(dout[:, :, i, j], window, axes=(0, 0))
            dx_pad[:, :, i * s:i * s + HH, j * s:j * s + WW] += np.tensordot(dout[:, :, i, j], w, axes=(1, 0))
    dx = dx_pad[:, :, p:p + H, p:p + W]
    return dx, dw, db
'''),

    "conv_backward_einsum_per_tap": ("conv_backward_naive", '''\
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    windows = sliding_window_view(x_pad, (HH, WW), axis=(2, 3))[:, :, ::s, ::s]
    dw = np.einsum('nfhw,nchwij->fcij', dout, windows)
    db = np.einsum('nfhw->f', dout)
    dx_pad = np.zeros(x_pad.shape)
    for i in range(HH):
        for j in range(WW):
            dx_pad[:, :, i:i + s * Ho:s, j:j + s * Wo:s] += np.einsum('nfhw,fc->nchw', dout, w[:, :, i, j])
    return dx_pad[:, :, p:H + p, p:W + p], dw, db
'''),

    "conv_backward_col2im_overwrites_dout": ("conv_backward_naive", '''\
import numpy as np

def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param['stride'], conv_param['pad']
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    cols = np.empty((C * HH * WW, N * H_out * W_out))
    k = 0
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                cols[:, k] = x_pad[n, :, i * s:i * s + HH, j * s:j * s + WW].ravel()
                k += 1
    dout = dout.transpose(1, 0, 2, 3).reshape(F, -1)  # dout is reused for the reshaped gradient
    db = np.sum(dout, axis=1)
    dw = (dout @ cols.T).reshape(w.shape)
    dcols = w.reshape(F, -1).T @ dout
    dx_pad = np.zeros(x_pad.shape)
    k = 0
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                dx_pad[n, :, i * s:i * s + HH, j * s:j * s + WW] += dcols[:, k].reshape(C, HH, WW)
                k += 1
    dx = dx_pad[:, :, p:p + H, p:p + W]
    return dx, dw, db
'''),

    "conv_backward_seven_pure_python_loops": ("conv_backward_naive", '''\
import numpy as np

def conv_backward_naive(dout, cache):
    # deliberately slow: every multiply-add is a Python statement
    x, w, b, conv_param = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param['stride'], conv_param['pad']
    _, _, H_out, W_out = dout.shape
    xs, ws, ds = x.tolist(), w.tolist(), dout.tolist()
    dx = [[[[0.0] * W for _ in range(H)] for _ in range(C)] for _ in range(N)]
    dw = [[[[0.0] * WW for _ in range(HH)] for _ in range(C)] for _ in range(F)]
    db = [0.0] * F
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    g = ds[n][f][i][j]
                    db[f] += g
                    for c in range(C):
                        for a in range(HH):
                            row = i * stride + a - pad
                            if row < 0 or row >= H:
                                continue
                            for d in range(WW):
                                col = j * stride + d - pad
                                if 0 <= col < W:
                                    dw[f][c][a][d] += xs[n][c][row][col] * g
                                    dx[n][c][row][col] += ws[f][c][a][d] * g
    return np.array(dx), np.array(dw), np.array(db)
'''),

    "conv_pair_im2col_with_a_dict_cache": ("conv_backward_naive", '''\
import numpy as np

def im2col(x_pad, HH, WW, s, H_out, W_out):
    N, C = x_pad.shape[:2]
    cols = np.empty((C * HH * WW, N * H_out * W_out))
    k = 0
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                cols[:, k] = x_pad[n, :, i * s:i * s + HH, j * s:j * s + WW].ravel()
                k += 1
    return cols

def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    s, p = conv_param['stride'], conv_param['pad']
    H_out, W_out = 1 + (H + 2 * p - HH) // s, 1 + (W + 2 * p - WW) // s
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), 'constant', constant_values=0)
    cols = im2col(x_pad, HH, WW, s, H_out, W_out)
    out = (w.reshape(F, -1) @ cols + b.reshape(-1, 1)).reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)
    cache = {'x_shape': x.shape, 'w': w, 'stride': s, 'pad': p, 'cols': cols, 'out_hw': (H_out, W_out)}
    return out, cache

def conv_backward_naive(dout, cache):
    N, C, H, W = cache['x_shape']
    w, s, p, cols = cache['w'], cache['stride'], cache['pad'], cache['cols']
    H_out, W_out = cache['out_hw']
    F, _, HH, WW = w.shape
    d = dout.transpose(1, 0, 2, 3).reshape(F, -1)
    db = d.sum(axis=1)
    dw = (d @ cols.T).reshape(w.shape)
    dcols = w.reshape(F, -1).T @ d
    dx_pad = np.zeros((N, C, H + 2 * p, W + 2 * p))
    k = 0
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                dx_pad[n, :, i * s:i * s + HH, j * s:j * s + WW] += dcols[:, k].reshape(C, HH, WW)
                k += 1
    return dx_pad[:, :, p:p + H, p:p + W], dw, db
'''),

    "pool_pair_with_a_six_item_cache": ("max_pool_backward_naive", '''\
import numpy as np

def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    Ho, Wo = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.zeros((N, C, Ho, Wo))
    argmax = np.zeros((N, C, Ho, Wo), dtype=int)
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            out[:, :, i, j] = window.max(axis=2)
            argmax[:, :, i, j] = window.argmax(axis=2)
    return out, (x.shape, ph, pw, s, argmax, out)

def max_pool_backward_naive(dout, cache):
    x_shape, ph, pw, s, argmax, _ = cache
    N, C, Ho, Wo = dout.shape
    dx = np.zeros(x_shape)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    r, q = divmod(int(argmax[n, c, i, j]), pw)
                    dx[n, c, i * s + r, j * s + q] += dout[n, c, i, j]
    return dx
'''),

    # ------------------------------------------------------------ max pooling
    "pool_forward_strided_view": ("max_pool_forward_naive", '''\
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    out = sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s].max(axis=(-2, -1))
    return out, (x, pool_param)
'''),

    "pool_backward_ties_to_every_maximum": ("max_pool_backward_naive", _pool_backward(
        "mask = window == np.max(window)\n"
        "                    dx[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw] += mask * dout[n, c, i, j]")),

    "pool_backward_vectorized_add_at": ("max_pool_backward_naive", '''\
import numpy as np

def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    N, C, Ho, Wo = dout.shape
    dx = np.zeros(x.shape)
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            r, q = np.unravel_index(window.argmax(axis=2), (ph, pw))
            n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing='ij')
            np.add.at(dx, (n_idx, c_idx, i * s + r, j * s + q), dout[:, :, i, j])
    return dx
'''),

    # ------------------------------------------------------------ spatial batch norm
    "spatial_bn_moveaxis": ("spatial_batchnorm_forward", _SPATIAL_BN_FORWARD.format(body='''\
rows = np.moveaxis(x, 1, -1).reshape(N * H * W, C)
    out_rows, cache = batchnorm_forward(rows, gamma, beta, bn_param)
    out = np.moveaxis(out_rows.reshape(N, H, W, C), -1, 1).copy()''')),

    "spatial_bn_backward_moveaxis": ("spatial_batchnorm_backward", _SPATIAL_BN_BACKWARD.format(body='''\
dx_rows, dgamma, dbeta = batchnorm_backward(np.moveaxis(dout, 1, 3).reshape(-1, C), cache)
    dx = np.moveaxis(dx_rows.reshape(N, H, W, C), 3, 1)''')),

    # ------------------------------------------------------------ ThreeLayerConvNet
    "net_inline_without_sandwich_layers": ("ThreeLayerConvNet", _NET_INIT + '''
    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        W1, b1, W2, b2, W3, b3 = (self.params[k] for k in ('W1', 'b1', 'W2', 'b2', 'W3', 'b3'))
        a1, conv_cache = conv_forward_fast(X, W1, b1, {'stride': 1, 'pad': (W1.shape[2] - 1) // 2})
        r1 = np.maximum(a1, 0)
        p1, pool_cache = max_pool_forward_fast(r1, {'pool_height': 2, 'pool_width': 2, 'stride': 2})
        flat = p1.reshape(p1.shape[0], -1)
        h = np.maximum(flat @ W2 + b2, 0)
        scores = h @ W3 + b3
        if y is None:
            return scores
        N = X.shape[0]
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).mean()
        loss += 0.5 * self.reg * sum(np.sum(self.params[k] ** 2) for k in ('W1', 'W2', 'W3'))
        probs[np.arange(N), y] -= 1
        dscores = probs / N
        grads = {'W3': h.T @ dscores + self.reg * W3, 'b3': dscores.sum(axis=0)}
        dh = (dscores @ W3.T) * (h > 0)
        grads['W2'] = flat.T @ dh + self.reg * W2
        grads['b2'] = dh.sum(axis=0)
        dp1 = (dh @ W2.T).reshape(p1.shape)
        dr1 = max_pool_backward_fast(dp1, pool_cache)
        _, dW1, db1 = conv_backward_fast(dr1 * (a1 > 0), conv_cache)
        grads['W1'] = dW1 + self.reg * W1
        grads['b1'] = db1
        return loss, grads
'''),

    "net_with_the_naive_layers_and_normal_init": ("ThreeLayerConvNet", '''\
import numpy as np

class ThreeLayerConvNet:
    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32):
        self.reg, self.dtype, self.filter_size = reg, dtype, filter_size
        C, H, W = input_dim
        self.params = {
            'W1': np.random.normal(0, weight_scale, (num_filters, C, filter_size, filter_size)).astype(dtype),
            'b1': np.zeros(num_filters, dtype=dtype),
            'W2': np.random.normal(0, weight_scale, (num_filters * H * W // 4, hidden_dim)).astype(dtype),
            'b2': np.zeros(hidden_dim, dtype=dtype),
            'W3': np.random.normal(0, weight_scale, (hidden_dim, num_classes)).astype(dtype),
            'b3': np.zeros(num_classes, dtype=dtype),
        }

    def loss(self, X, y=None):
        conv_param = {'stride': 1, 'pad': (self.filter_size - 1) // 2}
        pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}
        a, conv_cache = conv_forward_naive(X, self.params['W1'], self.params['b1'], conv_param)
        r, relu_cache = relu_forward(a)
        pooled, pool_cache = max_pool_forward_naive(r, pool_param)
        h, fc_cache = affine_relu_forward(pooled, self.params['W2'], self.params['b2'])
        scores, out_cache = affine_forward(h, self.params['W3'], self.params['b3'])
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        grads = {}
        dh, grads['W3'], grads['b3'] = affine_backward(dscores, out_cache)
        dpooled, grads['W2'], grads['b2'] = affine_relu_backward(dh, fc_cache)
        dr = max_pool_backward_naive(dpooled, pool_cache)
        _, grads['W1'], grads['b1'] = conv_backward_naive(relu_backward(dr, relu_cache), conv_cache)
        for i in (1, 2, 3):
            W = self.params['W%d' % i]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads['W%d' % i] += self.reg * W
        return loss, grads
'''),

    # ------------------------------------------------------------ the pasted layers: graph-derived batch norm backward
    "earlier_layers_graph_batchnorm_dict_cache": ("earlier_layers", _earlier()),
}
