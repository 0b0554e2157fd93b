"""HW3 correct alternatives: solution cells written differently from the source's, each
of which must earn full marks, be "Ready" in ``autograder validate`` and pass every visible
check under every seed sweep (``autograder check hw3`` runs all three; see
``autograder/check_visible.py``).

``CORRECT[name] = (grade_id, cell_source)``: a complete replacement for the solution
cell ``grade_id``, with its own imports. Hidden material like the suite: the Gradescope
zip leaves this file out. The plausible mistakes (``WRONG``) are in
``tests/variants/hw3_variants.py``, which re-exports these.
"""

from __future__ import annotations

SOLUTIONS_FROM_SOURCE = True

NETS = ["TwoLayerNet", "FullyConnectedNet"]

# ---------------------------------------------------------------- TwoLayerNet pieces
_TWO_LAYER_INIT = '''\
import numpy as np

class TwoLayerNet:
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes)
'''

_TWO_LAYER_FORWARD = '''
    def loss(self, X, y=None):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        hidden, cache1 = affine_relu_forward(X, W1, b1)
        scores, cache2 = affine_forward(hidden, W2, b2)
        if y is None:
            return scores
'''

_TWO_LAYER_BACKWARD = '''
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {}
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, cache1)
        grads["W1"] += self.reg * W1
        grads["W2"] += self.reg * W2
        return loss, grads
'''


def _two_layer(init: str = _TWO_LAYER_INIT, forward: str = _TWO_LAYER_FORWARD,
               backward: str = _TWO_LAYER_BACKWARD) -> str:
    return init + forward + backward


# ---------------------------------------------------------------- FullyConnectedNet pieces
_FC_INIT = '''\
import numpy as np

class FullyConnectedNet:
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, reg=0.0, weight_scale=1e-2,
                 dtype=np.float32, seed=None):
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params["W%d" % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)
'''

_FC_FORWARD = '''
    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        L = self.num_layers
        caches = []
        out = X
        for i in range(1, L):
            out, cache = affine_relu_forward(out, self.params["W%d" % i], self.params["b%d" % i])
            caches.append(cache)
        scores, cache = affine_forward(out, self.params["W%d" % L], self.params["b%d" % L])
        caches.append(cache)
        if y is None:
            return scores
'''

_FC_BACKWARD = '''
        grads = {}
        loss, dout = softmax_loss(scores, y)
        for i in range(1, L + 1):
            W = self.params["W%d" % i]
            loss += 0.5 * self.reg * np.sum(W * W)
        dout, dW, db = affine_backward(dout, caches[L - 1])
        grads["W%d" % L] = dW + self.reg * self.params["W%d" % L]
        grads["b%d" % L] = db
        for i in range(L - 1, 0, -1):
            dout, dW, db = affine_relu_backward(dout, caches[i - 1])
            grads["W%d" % i] = dW + self.reg * self.params["W%d" % i]
            grads["b%d" % i] = db
        return loss, grads
'''


def _fc(init: str = _FC_INIT, forward: str = _FC_FORWARD, backward: str = _FC_BACKWARD) -> str:
    return init + forward + backward

CORRECT: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ affine layer
    "affine_forward_einsum": ("affine_forward", '''
import numpy as np

def affine_forward(x, w, b):
    out = np.einsum("nd,dm->nm", x.reshape(len(x), -1), w) + b[None, :]
    return out, (x, w, b)
'''),

    "affine_forward_loops": ("affine_forward", '''
import numpy as np

def affine_forward(x, w, b):
    N = x.shape[0]
    D, M = w.shape
    out = np.zeros((N, M))
    for i in range(N):
        row = np.ravel(x[i])
        for j in range(M):
            out[i, j] = np.sum(row * w[:, j]) + b[j]
    cache = (x, w, b)
    return out, cache
'''),

    "affine_backward_einsum_and_prod_reshape": ("affine_backward", '''
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    D = int(np.prod(x.shape[1:]))
    dx = np.einsum("nm,dm->nd", dout, w).reshape(*x.shape)
    dw = np.einsum("nd,nm->dm", np.reshape(x, (N, D)), dout)
    db = np.einsum("nm->m", dout)
    return dx, dw, db
'''),

    "affine_backward_loops": ("affine_backward", '''
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    dx = np.zeros(x.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(b.shape)
    for i in range(N):
        xi = x[i].reshape(-1)
        dx[i] = (w @ dout[i]).reshape(x.shape[1:])
        dw += np.outer(xi, dout[i])
        db += dout[i]
    return dx, dw, db
'''),

    "affine_cache_as_dict": ("affine_backward", '''
import numpy as np

def affine_forward(x, w, b):
    x2 = x.reshape(x.shape[0], -1)
    out = x2 @ w + b
    cache = {"x_shape": x.shape, "x2": x2, "w": w}
    return out, cache

def affine_backward(dout, cache):
    dx = (dout @ cache["w"].T).reshape(cache["x_shape"])
    dw = cache["x2"].T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db
'''),

    "affine_cache_long_tuple": ("affine_backward", '''
import numpy as np

def affine_forward(x, w, b):
    N = x.shape[0]
    D = w.shape[0]
    x2 = np.reshape(x, (N, D))
    out = np.dot(x2, w) + b
    cache = (x, w, b, x2, out, N, D, x.shape)
    return out, cache

def affine_backward(dout, cache):
    x, w, b, x2, out, N, D, shape = cache
    dx = np.dot(dout, w.T).reshape(shape)
    dw = np.dot(x2.T, dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
'''),

    # ------------------------------------------------------------------ ReLU
    "relu_forward_in_place": ("relu_forward", '''
import numpy as np

def relu_forward(x):
    x[x < 0] = 0  # in place: out and cache are the same array, and its mask is the input's
    return x, x
'''),

    "relu_forward_where": ("relu_forward", '''
import numpy as np

def relu_forward(x):
    return np.where(x > 0, x, 0), x
'''),

    "relu_backward_overwrites_dout": ("relu_backward", '''
import numpy as np

def relu_backward(dout, cache):
    x = cache
    dout[x <= 0] = 0  # the caller does not use dout again
    return dout
'''),

    "relu_backward_where_with_heaviside": ("relu_backward", '''
import numpy as np

def relu_backward(dout, cache):
    return np.where(np.heaviside(cache, 0.0) > 0, dout, 0)
'''),

    "relu_backward_loops": ("relu_backward", '''
import numpy as np

def relu_backward(dout, cache):
    x = cache
    dx = np.zeros_like(dout, dtype=float)
    flat_x, flat_dx, flat_dout = x.reshape(-1), dx.reshape(-1), dout.reshape(-1)
    for i in range(flat_x.size):
        if flat_x[i] > 0:
            flat_dx[i] = flat_dout[i]
    return dx
'''),

    # ------------------------------------------------------------------ sandwich
    "affine_relu_cache_as_dict": ("affine_relu_backward", '''
import numpy as np

def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, {"fc": fc_cache, "relu": relu_cache}

def affine_relu_backward(dout, cache):
    da = relu_backward(dout, cache["relu"])
    return affine_backward(da, cache["fc"])
'''),

    "affine_relu_inline_long_tuple": ("affine_relu_backward", '''
import numpy as np

def affine_relu_forward(x, w, b):
    x2 = x.reshape(x.shape[0], -1)
    a = x2 @ w + b
    out = np.maximum(a, 0)
    return out, (x, x2, w, b, a, out)

def affine_relu_backward(dout, cache):
    x, x2, w, b, a, out = cache
    da = dout * (a > 0)
    return (da @ w.T).reshape(x.shape), x2.T @ da, da.sum(0)
'''),

    # ------------------------------------------------------------------ losses
    "softmax_shifts_x_in_place": ("softmax_loss", '''
import numpy as np

def softmax_loss(x, y):
    N = x.shape[0]
    x -= np.max(x, axis=1, keepdims=True)  # shifts the caller's scores: they are not used again
    np.exp(x, out=x)
    x /= np.sum(x, axis=1, keepdims=True)
    loss = -np.mean(np.log(x[np.arange(N), y]))
    x[np.arange(N), y] -= 1
    x /= N
    return loss, x
'''),

    "softmax_loops": ("softmax_loss", '''
import numpy as np

def softmax_loss(x, y):
    N, C = x.shape
    loss = 0.0
    dx = np.zeros((N, C))
    for i in range(N):
        s = x[i] - np.max(x[i])
        p = np.exp(s) / np.sum(np.exp(s))
        loss += -np.log(p[y[i]])
        for j in range(C):
            dx[i, j] = (p[j] - (j == y[i])) / N
    return loss / N, dx
'''),

    "softmax_one_hot_logsumexp": ("softmax_loss", '''
import numpy as np

def softmax_loss(x, y):
    N, C = x.shape
    m = x.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(x - m).sum(axis=1, keepdims=True))
    one_hot = np.eye(C)[y]
    loss = np.sum(one_hot * (lse - x)) / N
    dx = (np.exp(x - lse) - one_hot) / N
    return loss, dx
'''),

    "svm_where_and_subtract_one": ("svm_loss", '''
import numpy as np

def svm_loss(x, y):
    N = x.shape[0]
    margins = x - x[np.arange(N), y].reshape(-1, 1) + 1
    margins = np.where(margins > 0, margins, 0)
    loss = (np.sum(margins) - N) / N  # each correct class contributed exactly 1
    mask = np.where(margins > 0, 1.0, 0.0)
    mask[np.arange(N), y] = 0
    mask[np.arange(N), y] = -mask.sum(axis=1)
    return loss, mask / N
'''),

    "svm_loops": ("svm_loss", '''
import numpy as np

def svm_loss(x, y):
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x, dtype=float)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + 1
            if margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    return loss / N, dx / N
'''),

    # ------------------------------------------------------------------ TwoLayerNet
    "two_layer_inline_without_layer_functions": ("TwoLayerNet", '''
import numpy as np

class TwoLayerNet:
    def __init__(self, input_dim=3*32*32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params['W1'] = np.random.normal(0.0, weight_scale, (input_dim, hidden_dim))
        self.params['b1'] = np.zeros((hidden_dim,))
        self.params['W2'] = np.random.normal(0.0, weight_scale, (hidden_dim, num_classes))
        self.params['b2'] = np.zeros((num_classes,))

    def loss(self, X, y=None):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        N = X.shape[0]
        Xf = X.reshape(N, -1)
        z1 = Xf.dot(W1) + b1
        h1 = np.maximum(0, z1)
        scores = h1.dot(W2) + b2
        if y is None:
            return scores
        scores = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=1, keepdims=True)
        loss = -np.log(probs[range(N), y]).mean() + 0.5 * self.reg * (np.sum(W1**2) + np.sum(W2**2))
        dscores = probs
        dscores[range(N), y] -= 1
        dscores /= N
        grads = {}
        grads['W2'] = h1.T.dot(dscores) + self.reg * W2
        grads['b2'] = dscores.sum(axis=0)
        dh1 = dscores.dot(W2.T)
        dh1[z1 <= 0] = 0
        grads['W1'] = Xf.T.dot(dh1) + self.reg * W1
        grads['b1'] = dh1.sum(axis=0)
        return loss, grads
'''),

    "two_layer_default_rng_and_einsum": ("TwoLayerNet", '''
import numpy as np

class TwoLayerNet:
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        gen = np.random.default_rng()
        self.reg = reg
        self.params = dict(W1=gen.normal(scale=weight_scale, size=(input_dim, hidden_dim)), b1=np.zeros(hidden_dim),
                           W2=gen.normal(scale=weight_scale, size=(hidden_dim, num_classes)), b2=np.zeros(num_classes))

    def loss(self, X, y=None):
        p = self.params
        cache = {}
        h, cache["l1"] = affine_relu_forward(X, p["W1"], p["b1"])
        scores, cache["l2"] = affine_forward(h, p["W2"], p["b2"])
        if y is None:
            return scores
        loss, d = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.einsum("ij,ij->", p["W1"], p["W1"]) + np.einsum("ij,ij->", p["W2"], p["W2"]))
        grads = {}
        d, dW2, grads["b2"] = affine_backward(d, cache["l2"])
        _, dW1, grads["b1"] = affine_relu_backward(d, cache["l1"])
        grads["W2"] = dW2 + self.reg * p["W2"]
        grads["W1"] = dW1 + self.reg * p["W1"]
        return loss, grads
'''),

    # ------------------------------------------------------------------ FullyConnectedNet
    "fc_cs231n_signature_and_cache_dict": ("FullyConnectedNet", '''
import numpy as np

class FullyConnectedNet:
    """As in CS231n's assignment 2, with the dropout and normalization options (unused here)."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}
        layer_dims = np.hstack([input_dim, hidden_dims, num_classes]).astype(int)
        for i in range(self.num_layers):
            self.params['W' + str(i + 1)] = np.random.randn(layer_dims[i], layer_dims[i + 1]) * weight_scale
            self.params['b' + str(i + 1)] = np.zeros(layer_dims[i + 1])
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        cache = {}
        out = X
        for i in range(1, self.num_layers):
            out, cache[i] = affine_relu_forward(out, self.params['W%d' % i], self.params['b%d' % i])
        scores, cache[self.num_layers] = affine_forward(out, self.params['W%d' % self.num_layers],
                                                        self.params['b%d' % self.num_layers])
        if mode == "test":
            return scores
        loss, grads = 0.0, {}
        loss, dout = softmax_loss(scores, y)
        L = self.num_layers
        loss += 0.5 * self.reg * np.sum([np.sum(self.params['W%d' % i] ** 2) for i in range(1, L + 1)])
        dout, grads['W%d' % L], grads['b%d' % L] = affine_backward(dout, cache[L])
        grads['W%d' % L] += self.reg * self.params['W%d' % L]
        for i in reversed(range(1, L)):
            dout, grads['W%d' % i], grads['b%d' % i] = affine_relu_backward(dout, cache[i])
            grads['W%d' % i] += self.reg * self.params['W%d' % i]
        return loss, grads
'''),

    "fc_inline_layers_and_default_rng": ("FullyConnectedNet", '''
import numpy as np

class FullyConnectedNet:
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, reg=0.0, weight_scale=1e-2,
                 dtype=np.float32, seed=None):
        rng = np.random.default_rng(seed)
        sizes = [input_dim, *hidden_dims, num_classes]
        self.reg, self.dtype, self.num_layers = reg, dtype, len(sizes) - 1
        self.params = {}
        for l, (m, n) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.params[f"W{l}"] = (weight_scale * rng.standard_normal((m, n))).astype(dtype)
            self.params[f"b{l}"] = np.zeros(n, dtype=dtype)

    def loss(self, X, y=None):
        h = X.astype(self.dtype).reshape(X.shape[0], -1)
        inputs, pre = [], []
        L = self.num_layers
        for l in range(1, L + 1):
            inputs.append(h)
            z = np.einsum("nd,dm->nm", h, self.params[f"W{l}"]) + self.params[f"b{l}"]
            pre.append(z)
            h = np.maximum(z, 0) if l < L else z
        scores = h
        if y is None:
            return scores
        N = X.shape[0]
        shifted = scores - scores.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -logp[np.arange(N), y].mean()
        d = np.exp(logp)
        d[np.arange(N), y] -= 1
        d /= N
        grads = {}
        for l in range(L, 0, -1):
            W = self.params[f"W{l}"]
            loss += 0.5 * self.reg * np.sum(W ** 2)
            grads[f"W{l}"] = inputs[l - 1].T @ d + self.reg * W
            grads[f"b{l}"] = d.sum(axis=0)
            if l > 1:
                d = (d @ W.T) * (pre[l - 2] > 0)
        return loss, grads
'''),
}
