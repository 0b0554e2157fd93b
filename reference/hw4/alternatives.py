"""HW4 correct alternatives: solution cells written differently from the source's, each
of which must earn full marks, be "Ready" in ``autograder validate`` and pass every visible
check under every seed sweep (``autograder check hw4`` runs all three; see
``autograder/check_visible.py``).

``CORRECT[name] = (grade_id, cell_source)``: a complete replacement for the solution
cell ``grade_id``, with its own imports. Hidden material like the suite: the Gradescope
zip leaves this file out. The plausible mistakes (``WRONG``) are in
``tests/variants/hw4_variants.py``, which re-exports these.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "assignments" / "hw4" / "hw4.ipynb"
_MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


@lru_cache(maxsize=None)
def _solutions() -> dict[str, str]:
    cells = json.loads(SOURCE.read_text())["cells"]
    out = {}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("solution"):
            out[meta["grade_id"]] = _MARKER.sub("", "".join(cell["source"]))
    return out


def _edit(grade_id: str, *changes: tuple[str, str]) -> str:
    """The source's solution cell ``grade_id`` with each (old, new) replaced once."""
    source = _solutions()[grade_id]
    for old, new in changes:
        assert source.count(old) == 1, f"hw4 variants: {old!r} is not once in the source cell {grade_id}"
        source = source.replace(old, new)
    return source


BN_ALL = ["batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt"]

# =====================================================================
# WRONG
# =====================================================================

# =====================================================================
# CORRECT
# =====================================================================
_BN_TUPLE_CACHE = '''
import numpy as np

def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)
    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
    out, cache = None, None
    if mode == 'train':
        # step by step, as on the computational graph
        mu = 1. / N * np.sum(x, axis=0)
        xmu = x - mu
        sq = xmu ** 2
        var = 1. / N * np.sum(sq, axis=0)
        sqrtvar = np.sqrt(var + eps)
        ivar = 1. / sqrtvar
        xhat = xmu * ivar
        gammax = gamma * xhat
        out = gammax + beta
        cache = (xhat, gamma, xmu, ivar, sqrtvar, var, eps, mu, x, beta)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == 'test':
        xhat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * xhat + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var
    return out, cache

def batchnorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps, mu, x, beta = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgammax = dout
    dgamma = np.sum(dgammax * xhat, axis=0)
    dxhat = dgammax * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1. / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1. / np.sqrt(var + eps) * dsqrtvar
    dsq = 1. / N * np.ones((N, D)) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dxmu1 + dxmu2, axis=0)
    dx2 = 1. / N * np.ones((N, D)) * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta

def batchnorm_backward_alt(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps, mu, x, beta = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(xhat * dout, axis=0)
    dx = (gamma * ivar / N) * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta
'''
CORRECT: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ update rules
    "momentum_in_place_returns_w": ("sgd_momentum", '''
import numpy as np

def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault('learning_rate', 1e-2)
    config.setdefault('momentum', 0.9)
    v = config.get('velocity', np.zeros_like(w))
    v *= config['momentum']
    v -= config['learning_rate'] * dw
    w += v
    config['velocity'] = v
    return w, config
'''),

    "momentum_stored_copy": ("sgd_momentum", '''
import numpy as np

def sgd_momentum(w, dw, config=None):
    if config is None: config = {}
    config.setdefault('learning_rate', 1e-2)
    config.setdefault('momentum', 0.9)
    v = config.get('velocity', None)
    if v is None:
        v = np.zeros(w.shape)
    mu, lr = config['momentum'], config['learning_rate']
    v_next = mu * v - lr * dw
    next_w = w + v_next
    config['velocity'] = v_next.copy()
    return next_w, config
'''),

    "nesterov_cs231n_v_prev_in_place": ("sgd_nesterov_momentum", '''
import numpy as np

def sgd_nesterov_momentum(w, dw, config=None):
    if config is None: config = {}
    config.setdefault('learning_rate', 1e-2)
    config.setdefault('momentum', 0.9)
    v = config.get('velocity', np.zeros_like(w))
    mu = config['momentum']
    v_prev = v.copy()
    v = mu * v - config['learning_rate'] * dw
    w += -mu * v_prev + (1 + mu) * v
    config['velocity'] = v
    return w, config
'''),

    "rmsprop_eps_inside_the_root_in_place": ("rmsprop", '''
import numpy as np

def rmsprop(w, dw, config=None):
    if config is None: config = {}
    config.setdefault('learning_rate', 1e-2)
    config.setdefault('decay_rate', 0.99)
    config.setdefault('epsilon', 1e-8)
    config.setdefault('a', np.zeros_like(w))
    cache = config['a']
    cache *= config['decay_rate']
    cache += (1 - config['decay_rate']) * np.square(dw)
    w -= config['learning_rate'] * dw / np.sqrt(cache + config['epsilon'])
    return w, config
'''),

    "adam_folded_learning_rate": ("adam", '''
import numpy as np

def adam(w, dw, config=None):
    if config is None: config = {}
    config.setdefault('learning_rate', 1e-3)
    config.setdefault('beta1', 0.9)
    config.setdefault('beta2', 0.999)
    config.setdefault('epsilon', 1e-8)
    m = config.get('v', np.zeros_like(w))
    v = config.get('a', np.zeros_like(w))
    t = config.get('t', 0) + 1
    b1, b2 = config['beta1'], config['beta2']
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * (dw ** 2)
    lr_t = config['learning_rate'] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    next_w = w - lr_t * m / (np.sqrt(v) + config['epsilon'])
    config['v'], config['a'], config['t'] = m, v, t
    return next_w, config
'''),

    "adam_in_place_returns_w": ("adam", '''
import numpy as np

def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("a", np.zeros_like(w))
    config.setdefault("t", 0)
    config["t"] = config["t"] + 1
    config["v"] *= config["beta1"]
    config["v"] += (1 - config["beta1"]) * dw
    config["a"] *= config["beta2"]
    config["a"] += (1 - config["beta2"]) * dw * dw
    mt = config["v"] / (1 - config["beta1"] ** config["t"])
    vt = config["a"] / (1 - config["beta2"] ** config["t"])
    w -= config["learning_rate"] * mt / (np.sqrt(vt + config["epsilon"]))
    return w, config
'''),

    # ------------------------------------------------------------------ batch norm
    "batchnorm_graph_steps_with_a_ten_item_tuple_cache": ("batchnorm_backward_alt", _BN_TUPLE_CACHE),

    "batchnorm_forward_loops_over_features": ("batchnorm_forward", '''
import numpy as np

def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    out = np.zeros_like(x, dtype=float)
    if mode == "train":
        mean, var = np.zeros(D), np.zeros(D)
        for j in range(D):
            mean[j] = sum(x[i, j] for i in range(N)) / N
            var[j] = sum((x[i, j] - mean[j]) ** 2 for i in range(N)) / N
        std = np.sqrt(var + eps)
        x_hat = (x - mean) / std
        out = x_hat * gamma + beta
        cache = {"xc": x - mean, "std": std, "x_hat": x_hat, "gamma": gamma}
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        for j in range(D):
            out[:, j] = gamma[j] * (x[:, j] - running_mean[j]) / np.sqrt(running_var[j] + eps) + beta[j]
        cache = None
    else:
        raise ValueError(mode)
    return out, cache
'''),

    "batchnorm_backward_in_closed_form": ("batchnorm_backward", '''
import numpy as np

def batchnorm_backward(dout, cache):
    std, x_hat, gamma = cache["std"], cache["x_hat"], cache["gamma"]
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.einsum("nd,nd->d", dout, x_hat)
    dout *= gamma
    dx = (1.0 / N) / std * (N * dout - dout.sum(axis=0) - x_hat * np.sum(dout * x_hat, axis=0))
    return dx, dgamma, dbeta
'''),

    "batchnorm_backward_alt_through_the_graph": ("batchnorm_backward_alt", '''
import numpy as np

def batchnorm_backward_alt(dout, cache):
    xc, std, x_hat, gamma = cache["xc"], cache["std"], cache["x_hat"], cache["gamma"]
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * xc, axis=0) * -0.5 * std ** -3
    dmean = np.sum(-dx_hat / std, axis=0) + dvar * np.mean(-2.0 * xc, axis=0)
    dx = dx_hat / std + dvar * 2.0 * xc / N + dmean / N
    return dx, dgamma, dbeta
'''),

    # ------------------------------------------------------------------ dropout
    "dropout_legacy_seed_and_rand": ("dropout_backward", '''
import numpy as np

def dropout_forward(x, dropout_param):
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    mask = None
    out = None
    if mode == 'train':
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == 'test':
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache

def dropout_backward(dout, cache):
    dropout_param, mask = cache
    mode = dropout_param['mode']
    dx = None
    if mode == 'train':
        dx = dout * mask
    elif mode == 'test':
        dx = dout
    return dx
'''),

    "dropout_binomial_boolean_mask_dict_cache": ("dropout_backward", '''
import numpy as np

def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    seed = dropout_param.get("seed")
    if mode == "train":
        if seed is None:
            rng = np.random.default_rng()
            keep = rng.binomial(1, p, size=x.shape).astype(bool)
        else:
            keep = np.random.default_rng(seed).random(x.shape) < p
        out = np.where(keep, x / p, 0.0)
        return out, {"keep": keep, "p": p, "mode": mode}
    return x.copy(), {"keep": None, "p": p, "mode": mode}

def dropout_backward(dout, cache):
    if cache["mode"] == "train":
        dout[~cache["keep"]] = 0
        dout /= cache["p"]
    return dout
'''),

    # ------------------------------------------------------------------ FullyConnectedNet
    "fc_cs231n_sandwich_helpers_and_randn": ("FullyConnectedNet", '''
import numpy as np

def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    a, fc_cache = affine_forward(x, w, b)
    an, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    return out, (fc_cache, bn_cache, relu_cache)

def affine_bn_relu_backward(dout, cache):
    fc_cache, bn_cache, relu_cache = cache
    dan = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = batchnorm_backward_alt(dan, bn_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta

class FullyConnectedNet(object):
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
            if self.normalization == 'batchnorm' and i != self.num_layers - 1:
                self.params['gamma' + str(i + 1)] = np.ones(layer_dims[i + 1])
                self.params['beta' + str(i + 1)] = np.zeros(layer_dims[i + 1])
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {'mode': 'train', 'p': dropout_keep_ratio}
            if seed is not None:
                self.dropout_param['seed'] = seed
        self.bn_params = []
        if self.normalization == 'batchnorm':
            self.bn_params = [{'mode': 'train'} for i in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = 'test' if y is None else 'train'
        if self.use_dropout:
            self.dropout_param['mode'] = mode
        if self.normalization == 'batchnorm':
            for bn_param in self.bn_params:
                bn_param['mode'] = mode
        cache = {}
        dropout_cache = {}
        out = X
        for i in range(1, self.num_layers):
            W, b = self.params['W%d' % i], self.params['b%d' % i]
            if self.normalization == 'batchnorm':
                out, cache[i] = affine_bn_relu_forward(out, W, b, self.params['gamma%d' % i],
                                                       self.params['beta%d' % i], self.bn_params[i - 1])
            else:
                out, cache[i] = affine_relu_forward(out, W, b)
            if self.use_dropout:
                out, dropout_cache[i] = dropout_forward(out, self.dropout_param)
        L = self.num_layers
        scores, cache[L] = affine_forward(out, self.params['W%d' % L], self.params['b%d' % L])
        if mode == 'test':
            return scores
        loss, grads = 0.0, {}
        loss, dout = softmax_loss(scores, y)
        for i in range(1, L + 1):
            loss += 0.5 * self.reg * np.sum(self.params['W%d' % i] ** 2)
        dout, grads['W%d' % L], grads['b%d' % L] = affine_backward(dout, cache[L])
        grads['W%d' % L] += self.reg * self.params['W%d' % L]
        for i in reversed(range(1, L)):
            if self.use_dropout:
                dout = dropout_backward(dout, dropout_cache[i])
            if self.normalization == 'batchnorm':
                dout, dW, db, dgamma, dbeta = affine_bn_relu_backward(dout, cache[i])
                grads['gamma%d' % i], grads['beta%d' % i] = dgamma, dbeta
            else:
                dout, dW, db = affine_relu_backward(dout, cache[i])
            grads['W%d' % i] = dW + self.reg * self.params['W%d' % i]
            grads['b%d' % i] = db
        return loss, grads
'''),

    "fc_dropout_on_the_relu_input": ("FullyConnectedNet", _edit(
        # dropout before the ReLU is the same function (the mask and 1/p are non-negative)
        "FullyConnectedNet",
        ('''            hidden, caches[("relu", layer)] = relu_forward(hidden)
            if self.use_dropout:
                hidden, caches[("dropout", layer)] = dropout_forward(hidden, self.dropout_param)
''', '''            if self.use_dropout:
                hidden, caches[("dropout", layer)] = dropout_forward(hidden, self.dropout_param)
            hidden, caches[("relu", layer)] = relu_forward(hidden)
'''),
        ('''            if self.use_dropout:
                dhidden = dropout_backward(dhidden, caches[("dropout", layer)])
            dhidden = relu_backward(dhidden, caches[("relu", layer)])
''', '''            dhidden = relu_backward(dhidden, caches[("relu", layer)])
            if self.use_dropout:
                dhidden = dropout_backward(dhidden, caches[("dropout", layer)])
'''),
    )),
}
