"""HW3 solution-cell variants: plausible student mistakes and correct alternatives.

Used by the project's own tests: the harness takes the released notebook, puts
the correct solutions (from the source notebook's solution cells) in every
solution cell, swaps in ONE variant's cell (keyed by its ``grade_id``) and
grades the result with the hidden suite ``reference/hw3/test_hw3.py``.

* ``WRONG[name] = (grade_id, cell_source, tasks)``: the grade must lose points
  on every task in ``tasks`` and on no other task. The source's later cells
  use the earlier functions (``affine_relu_*`` calls the affine and ReLU
  layers, both networks call the layers and ``softmax_loss``), so a layer
  mistake that changes what a network computes costs the networks' points too
  and is listed; one that a network never sees (``dx`` of the first layer is
  discarded, network scores are never near 1000) is not. A backward pass keeps
  its points when it is the gradient of the student's own forward pass, right
  or wrong (one bug costs its points once), so a forward mistake costs its
  backward only when the backward cannot be graded (the forward raises) or is
  not that gradient (without the bias, ``db`` of ``affine_relu_backward`` is not).
* ``CORRECT[name] = (grade_id, cell_source)``: must still earn 100.

A variant that changes a cache's layout must change the forward and the
backward pass together; it replaces the backward pass's cell with a cell that
defines both (the later definition wins, as in Jupyter).

The correct alternatives are written the way real CS231n submissions are:
loops, ``einsum``, ``np.where``, in-place shifts of the scores, ``dout``
overwritten in a backward pass, caches as dicts or long tuples, networks with
CS231n's extra constructor arguments, a two-layer net written inline.

Every cell source is a complete replacement cell, with its own imports.

The correct alternatives live beside the hidden suite, in
``reference/hw3/alternatives.py`` (``autograder check hw3`` runs them); this module
re-exports them as ``CORRECT``.
"""

from __future__ import annotations

from reference.hw3.alternatives import CORRECT, NETS, SOLUTIONS_FROM_SOURCE, _fc, _two_layer  # noqa: F401

WRONG: dict[str, tuple[str, str, list[str]]] = {
    # ------------------------------------------------------------------ affine layer
    "affine_forward_without_bias": ("affine_forward", '''
import numpy as np

def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w)  # forgot + b
    cache = (x, w, b)
    return out, cache
''', ["affine_forward", "affine_relu_forward", "affine_relu_backward", *NETS]),  # the ReLU mask comes from x @ w

    "affine_forward_no_flatten": ("affine_forward", '''
import numpy as np

def affine_forward(x, w, b):
    out = np.dot(x, w) + b  # fails unless x is already (N, D)
    cache = (x, w, b)
    return out, cache
''', ["affine_forward", "affine_backward", "affine_relu_forward", "affine_relu_backward", *NETS]),

    "affine_backward_dx_not_reshaped": ("affine_backward", '''
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    x_rows = x.reshape(x.shape[0], -1)
    dx = dout.dot(w.T)  # (N, D), not x's shape
    dw = x_rows.T.dot(dout)
    db = np.sum(dout, axis=0)
    return dx, dw, db
''', ["affine_backward", "affine_relu_backward"]),

    "affine_backward_db_averaged": ("affine_backward", '''
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.mean(dout, axis=0)  # averaged instead of summed
    return dx, dw, db
''', ["affine_backward", "affine_relu_backward", *NETS]),

    "affine_backward_db_keepdims": ("affine_backward", '''
import numpy as np

def affine_backward(dout, cache):
    x, w, b = cache
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = np.sum(dout, axis=0, keepdims=True)  # (1, M), not (M,)
    return dx, dw, db
''', ["affine_backward", "affine_relu_backward", *NETS]),

    # ------------------------------------------------------------------ ReLU
    "relu_forward_leaky": ("relu_forward", '''
import numpy as np

def relu_forward(x):
    out = np.maximum(0.01 * x, x)  # a leaky ReLU is not a ReLU
    cache = x
    return out, cache
''', ["relu_forward", "affine_relu_forward", *NETS]),

    "relu_backward_mask_from_dout": ("relu_backward", '''
import numpy as np

def relu_backward(dout, cache):
    x = cache
    dx = dout * (dout > 0)  # the mask should come from x
    return dx
''', ["relu_backward", "affine_relu_backward", *NETS]),

    "relu_backward_passes_everything": ("relu_backward", '''
import numpy as np

def relu_backward(dout, cache):
    dx = np.array(dout, copy=True)  # forgot the mask
    return dx
''', ["relu_backward", "affine_relu_backward", *NETS]),

    # ------------------------------------------------------------------ sandwich
    "affine_relu_backward_skips_relu": ("affine_relu_backward", '''
import numpy as np

def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(dout, fc_cache)  # the ReLU's mask is never applied
''', ["affine_relu_backward", *NETS]),

    # ------------------------------------------------------------------ losses
    "softmax_unstable": ("softmax_loss", '''
import numpy as np

def softmax_loss(x, y):
    N = x.shape[0]
    probs = np.exp(x)  # overflows when the scores are large
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
''', ["softmax_loss"]),

    "softmax_gradient_not_divided_by_n": ("softmax_loss", '''
import numpy as np

def softmax_loss(x, y):
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1  # missing dx /= N
    return loss, dx
''', ["softmax_loss", *NETS]),

    "softmax_loss_summed_not_averaged": ("softmax_loss", '''
import numpy as np

def softmax_loss(x, y):
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y]))  # not divided by N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
''', ["softmax_loss", *NETS]),

    "svm_counts_correct_class": ("svm_loss", '''
import numpy as np

def svm_loss(x, y):
    N = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1.0)  # the correct class adds 1 per sample
    loss = np.sum(margins) / N
    positive = (margins > 0).astype(float)
    positive[np.arange(N), y] = 0
    positive[np.arange(N), y] = -np.sum(positive, axis=1)
    dx = positive / N
    return loss, dx
''', ["svm_loss"]),

    "svm_gradient_not_divided_by_n": ("svm_loss", '''
import numpy as np

def svm_loss(x, y):
    N = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    dx = (margins > 0).astype(float)
    dx[np.arange(N), y] = -np.sum(dx, axis=1)  # missing / N
    return loss, dx
''', ["svm_loss"]),

    # ------------------------------------------------------------------ TwoLayerNet
    "two_layer_reg_without_half": ("TwoLayerNet", _two_layer(backward='''
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))  # no 0.5
        grads = {}
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, cache1)
        grads["W1"] += self.reg * W1
        grads["W2"] += self.reg * W2
        return loss, grads
'''), ["TwoLayerNet"]),

    "two_layer_reg_on_biases": ("TwoLayerNet", _two_layer(backward='''
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * sum(np.sum(p * p) for p in self.params.values())
        grads = {}
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, cache1)
        for k in grads:
            grads[k] += self.reg * self.params[k]  # biases regularized too
        return loss, grads
'''), ["TwoLayerNet"]),

    "two_layer_weight_scale_ignored": ("TwoLayerNet", _two_layer(init='''\
import numpy as np

class TwoLayerNet:
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params["W1"] = 1e-3 * np.random.randn(input_dim, hidden_dim)  # weight_scale ignored
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = 1e-3 * np.random.randn(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes)
'''), ["TwoLayerNet"]),

    "two_layer_uniform_weights": ("TwoLayerNet", _two_layer(init='''\
import numpy as np

class TwoLayerNet:
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {}
        self.reg = reg
        self.params["W1"] = weight_scale * np.random.rand(input_dim, hidden_dim)  # rand: uniform on [0, 1)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = weight_scale * np.random.rand(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes)
'''), ["TwoLayerNet"]),

    "two_layer_relu_after_last_layer": ("TwoLayerNet", _two_layer(forward='''
    def loss(self, X, y=None):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        hidden, cache1 = affine_relu_forward(X, W1, b1)
        scores, cache2 = affine_relu_forward(hidden, W2, b2)  # a ReLU on the scores
        if y is None:
            return scores
''', backward='''
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {}
        dhidden, grads["W2"], grads["b2"] = affine_relu_backward(dscores, cache2)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, cache1)
        grads["W1"] += self.reg * W1
        grads["W2"] += self.reg * W2
        return loss, grads
'''), ["TwoLayerNet"]),

    "two_layer_forgets_reg_gradient_of_W1": ("TwoLayerNet", _two_layer(backward='''
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {}
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, cache1)
        grads["W2"] += self.reg * W2  # W1's regularization gradient forgotten
        return loss, grads
'''), ["TwoLayerNet"]),

    "two_layer_svm_instead_of_softmax": ("TwoLayerNet", _two_layer(backward='''
        data_loss, dscores = svm_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {}
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, cache1)
        grads["W1"] += self.reg * W1
        grads["W2"] += self.reg * W2
        return loss, grads
'''), ["TwoLayerNet"]),

    # ------------------------------------------------------------------ FullyConnectedNet
    "fc_reg_without_half": ("FullyConnectedNet", _fc(backward='''
        grads = {}
        loss, dout = softmax_loss(scores, y)
        for i in range(1, L + 1):
            W = self.params["W%d" % i]
            loss += self.reg * np.sum(W * W)  # no 0.5
        dout, dW, db = affine_backward(dout, caches[L - 1])
        grads["W%d" % L] = dW + self.reg * self.params["W%d" % L]
        grads["b%d" % L] = db
        for i in range(L - 1, 0, -1):
            dout, dW, db = affine_relu_backward(dout, caches[i - 1])
            grads["W%d" % i] = dW + self.reg * self.params["W%d" % i]
            grads["b%d" % i] = db
        return loss, grads
'''), ["FullyConnectedNet"]),

    "fc_reg_on_biases": ("FullyConnectedNet", _fc(backward='''
        grads = {}
        loss, dout = softmax_loss(scores, y)
        loss += 0.5 * self.reg * sum(np.sum(p * p) for p in self.params.values())
        dout, grads["W%d" % L], grads["b%d" % L] = affine_backward(dout, caches[L - 1])
        for i in range(L - 1, 0, -1):
            dout, grads["W%d" % i], grads["b%d" % i] = affine_relu_backward(dout, caches[i - 1])
        for k in grads:
            grads[k] = grads[k] + self.reg * self.params[k]  # biases regularized too
        return loss, grads
'''), ["FullyConnectedNet"]),

    "fc_weight_scale_ignored": ("FullyConnectedNet", _fc(init='''\
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
            self.params["W%d" % (i + 1)] = 1e-2 * np.random.randn(dims[i], dims[i + 1])  # weight_scale ignored
            self.params["b%d" % (i + 1)] = np.zeros(dims[i + 1])
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)
'''), ["FullyConnectedNet"]),

    "fc_relu_after_last_layer": ("FullyConnectedNet", _fc(forward='''
    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        L = self.num_layers
        caches = []
        out = X
        for i in range(1, L + 1):  # a ReLU after every layer, the last one too
            out, cache = affine_relu_forward(out, self.params["W%d" % i], self.params["b%d" % i])
            caches.append(cache)
        scores = out
        if y is None:
            return scores
''', backward='''
        grads = {}
        loss, dout = softmax_loss(scores, y)
        for i in range(L, 0, -1):
            W = self.params["W%d" % i]
            loss += 0.5 * self.reg * np.sum(W * W)
            dout, dW, db = affine_relu_backward(dout, caches[i - 1])
            grads["W%d" % i] = dW + self.reg * W
            grads["b%d" % i] = db
        return loss, grads
'''), ["FullyConnectedNet"]),

    "fc_forgets_reg_gradient_of_last_layer": ("FullyConnectedNet", _fc(backward='''
        grads = {}
        loss, dout = softmax_loss(scores, y)
        for i in range(1, L + 1):
            W = self.params["W%d" % i]
            loss += 0.5 * self.reg * np.sum(W * W)
        dout, grads["W%d" % L], grads["b%d" % L] = affine_backward(dout, caches[L - 1])  # no reg * W_L
        for i in range(L - 1, 0, -1):
            dout, dW, db = affine_relu_backward(dout, caches[i - 1])
            grads["W%d" % i] = dW + self.reg * self.params["W%d" % i]
            grads["b%d" % i] = db
        return loss, grads
'''), ["FullyConnectedNet"]),

    "fc_only_first_hidden_layer": ("FullyConnectedNet", _fc(init='''\
import numpy as np

class FullyConnectedNet:
    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, reg=0.0, weight_scale=1e-2,
                 dtype=np.float32, seed=None):
        self.reg = reg
        self.num_layers = 2  # as if there were always one hidden layer
        self.dtype = dtype
        self.params = {
            "W1": weight_scale * np.random.randn(input_dim, hidden_dims[0]), "b1": np.zeros(hidden_dims[0]),
            "W2": weight_scale * np.random.randn(hidden_dims[0], num_classes), "b2": np.zeros(num_classes),
        }
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)
'''), ["FullyConnectedNet"]),

    "fc_params_left_float64": ("FullyConnectedNet", _fc(init='''\
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
        # the given cast to dtype was deleted
'''), ["FullyConnectedNet"]),
}
