"""HW4 reference solutions (hidden): update rules, batch normalization, dropout,
and HW3's fully connected network extended with both.

Conventions (CS231n's, as in HW3):

* An update rule is ``next_w, config = rule(w, dw, config)``; ``config`` holds
  the hyperparameters (defaults filled in when absent) and the state the rule
  keeps between steps (``velocity``, ``a``, ``v``, ``t``). The returned config
  is what the caller passes to the next step.
* A layer's forward pass returns ``(out, cache)``; its backward pass takes
  ``(dout, cache)`` and returns the gradients of its inputs.
* ``batchnorm_forward`` normalizes each of the D features over the N samples
  with the biased batch variance, and in train mode updates
  ``bn_param["running_mean"]`` / ``["running_var"]`` in place as
  ``running = momentum * running + (1 - momentum) * batch``.
* Dropout is inverted dropout; ``p`` is the probability of *keeping* a unit.
  With ``seed`` the mask is ``np.random.default_rng(seed).random(x.shape) < p``.

HW3's layers come from ``_hw3_layers.py``, a copy of ``reference.hw3``'s (the
Gradescope zip holds only this package); HW4's notebook has students paste
their own HW3 versions. Checked against CS231n's published figures and
centred differences in ``tests/test_hw4_reference.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from reference.hw4._hw3_layers import affine_backward, affine_forward, relu_backward, relu_forward, softmax_loss

__all__ = [
    "sgd_momentum", "sgd_nesterov_momentum", "rmsprop", "adam",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
    "dropout_forward", "dropout_backward", "FullyConnectedNet",
]


# ------------------------------------------------------------------ update rules
def sgd_momentum(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """SGD with momentum: v <- momentum * v - learning_rate * dw; w <- w + v.

    Inputs: w, dw arrays of one shape; config with ``learning_rate`` (1e-2),
    ``momentum`` (0.9), ``velocity`` (shaped like w; zeros when absent).
    Returns (next_w shaped like w, config with the new ``velocity``).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = np.asarray(config.get("velocity", np.zeros_like(w)), dtype=np.float64)
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def sgd_nesterov_momentum(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """Nesterov momentum (the lecture's form): v_new = mu v - lr dw; w <- w + v_new + mu (v_new - v).

    Inputs and outputs as ``sgd_momentum`` (same config keys and defaults).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = np.asarray(config.get("velocity", np.zeros_like(w)), dtype=np.float64)
    mu = config["momentum"]
    v_new = mu * v - config["learning_rate"] * dw
    config["velocity"] = v_new
    return w + v_new + mu * (v_new - v), config


def rmsprop(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """RMSProp: a <- decay a + (1 - decay) dw^2; w <- w - lr dw / (sqrt(a) + eps).

    Inputs: w, dw arrays of one shape; config with ``learning_rate`` (1e-2),
    ``decay_rate`` (0.99), ``epsilon`` (1e-8), ``a`` (shaped like w; zeros when absent).
    Returns (next_w, config with the new ``a``).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    a = np.asarray(config.get("a", np.zeros_like(w)), dtype=np.float64)
    decay = config["decay_rate"]
    a = decay * a + (1 - decay) * dw * dw
    config["a"] = a
    return w - config["learning_rate"] * dw / (np.sqrt(a) + config["epsilon"]), config


def adam(w: np.ndarray, dw: np.ndarray, config: dict | None = None) -> tuple[np.ndarray, dict]:
    """Adam with bias correction; ``t`` is incremented before the correction.

    Inputs: w, dw arrays of one shape; config with ``learning_rate`` (1e-3),
    ``beta1`` (0.9), ``beta2`` (0.999), ``epsilon`` (1e-8), ``v`` and ``a``
    (first and second moments, shaped like w; zeros when absent), ``t`` (0 when absent).
    Returns (next_w, config with the new ``v``, ``a`` and ``t``).
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    v = np.asarray(config.get("v", np.zeros_like(w)), dtype=np.float64)
    a = np.asarray(config.get("a", np.zeros_like(w)), dtype=np.float64)
    t = config.get("t", 0) + 1
    b1, b2 = config["beta1"], config["beta2"]
    v = b1 * v + (1 - b1) * dw
    a = b2 * a + (1 - b2) * dw * dw
    v_hat = v / (1 - b1 ** t)
    a_hat = a / (1 - b2 ** t)
    config.update(v=v, a=a, t=t)
    return w - config["learning_rate"] * v_hat / (np.sqrt(a_hat) + config["epsilon"]), config


# ------------------------------------------------------------------ batch normalization
def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, bn_param: dict) -> tuple[np.ndarray, Any]:
    """Batch normalization of x (N, D) per feature.

    Inputs: x (N, D); gamma, beta (D,); bn_param with ``mode`` ('train' or 'test'),
    ``eps`` (1e-5), ``momentum`` (0.9), ``running_mean``, ``running_var`` (D,)
    (zeros when absent). In train mode the batch's mean and biased variance
    normalize x and update the running statistics in bn_param (in place); in
    test mode the running statistics normalize x.
    Returns (out (N, D), cache).
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    if mode == "train":
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        std = np.sqrt(var + eps)
        x_hat = (x - mean) / std
        out = gamma * x_hat + beta
        cache = (x_hat, gamma, std)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_hat + beta
        cache = (x_hat, gamma, np.sqrt(running_var + eps))
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of batchnorm_forward (train mode), through the computational graph.

    Inputs: dout (N, D); cache from batchnorm_forward.
    Returns (dx (N, D), dgamma (D,), dbeta (D,)).
    """
    x_hat, gamma, std = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    # x_hat = xc * inv_std with xc = x - mean and inv_std = (var + eps)^(-1/2)
    xc = x_hat * std
    dinv_std = np.sum(dx_hat * xc, axis=0)
    dxc = dx_hat / std
    dvar = dinv_std * (-0.5) * std ** -3
    dxc += 2.0 * xc * dvar / N
    dmean = -np.sum(dxc, axis=0)
    dx = dxc + dmean / N
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout: np.ndarray, cache: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Backward pass of batchnorm_forward in closed form:
    dx = (1 / (N std)) (N dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat)), dx_hat = gamma dout.

    Inputs and outputs as ``batchnorm_backward``.
    """
    x_hat, gamma, std = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (N * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)) / (N * std)
    return dx, dgamma, dbeta


# ------------------------------------------------------------------ dropout
def dropout_forward(x: np.ndarray, dropout_param: dict) -> tuple[np.ndarray, Any]:
    """Inverted dropout.

    Inputs: x of any shape; dropout_param with ``p`` (probability of keeping
    a unit), ``mode`` ('train' or 'test'), optional ``seed``.
    Train: out = x * mask / p with mask = (uniform < p) (``default_rng(seed)`` when
    seeded); test: out = x. Returns (out shaped like x, cache).
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "train":
        seed = dropout_param.get("seed")
        gen = np.random.default_rng(seed) if seed is not None else np.random.default_rng()
        mask = gen.random(x.shape) < p
        out = x * mask / p
    elif mode == "test":
        mask = None
        out = x
    else:
        raise ValueError(f'Invalid forward dropout mode "{mode}"')
    return out.astype(x.dtype, copy=False), (dropout_param, mask)


def dropout_backward(dout: np.ndarray, cache: Any) -> np.ndarray:
    """Backward pass of dropout_forward: dout * mask / p in train mode, dout in test mode.

    Inputs: dout shaped like x; cache from dropout_forward. Returns dx shaped like dout.
    """
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / dropout_param["p"]
    return dout


# ------------------------------------------------------------------ network
class FullyConnectedNet:
    """{affine - [batchnorm] - relu - [dropout]} x (L - 1), affine, softmax.

    params: W1..WL, b1..bL as in HW3; with ``normalization='batchnorm'`` also
    gamma1..gamma(L-1) (ones) and beta1..beta(L-1) (zeros), one per hidden layer.
    ``seed`` seeds the weights and is given to every dropout layer, so a net with
    dropout computes the same loss every call. ``loss(X)`` runs in test mode.
    """

    def __init__(self, hidden_dims: list[int], input_dim: int = 3 * 32 * 32, num_classes: int = 10,
                 dropout_keep_ratio: float = 1, normalization: str | None = None, reg: float = 0.0,
                 weight_scale: float = 1e-2, dtype: Any = np.float32, seed: int | None = None) -> None:
        gen = np.random.default_rng(seed)
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        dims = [input_dim, *hidden_dims, num_classes]
        self.params: dict[str, np.ndarray] = {}
        for i in range(self.num_layers):
            self.params[f"W{i + 1}"] = (weight_scale * gen.standard_normal((dims[i], dims[i + 1]))).astype(dtype)
            self.params[f"b{i + 1}"] = np.zeros(dims[i + 1], dtype=dtype)
            if normalization == "batchnorm" and i < self.num_layers - 1:
                self.params[f"gamma{i + 1}"] = np.ones(dims[i + 1], dtype=dtype)
                self.params[f"beta{i + 1}"] = np.zeros(dims[i + 1], dtype=dtype)
        self.dropout_param: dict[str, Any] = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params: list[dict[str, Any]] = []
        if normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]

    def loss(self, X: np.ndarray, y: np.ndarray | None = None) -> Any:
        """Inputs: X (N, d1, ..., dk); y (N,) labels or None (test mode).

        Returns scores (N, C) when y is None, else (loss, grads) with grads[k] shaped like params[k].
        """
        X = np.asarray(X).astype(self.dtype)
        mode = "test" if y is None else "train"
        self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode
        L, p = self.num_layers, self.params
        caches = []
        h = X
        for i in range(1, L):
            h, fc_cache = affine_forward(h, p[f"W{i}"], p[f"b{i}"])
            bn_cache = drop_cache = None
            if self.normalization == "batchnorm":
                h, bn_cache = batchnorm_forward(h, p[f"gamma{i}"], p[f"beta{i}"], self.bn_params[i - 1])
            h, relu_cache = relu_forward(h)
            if self.use_dropout:
                h, drop_cache = dropout_forward(h, self.dropout_param)
            caches.append((fc_cache, bn_cache, relu_cache, drop_cache))
        scores, last_cache = affine_forward(h, p[f"W{L}"], p[f"b{L}"])
        if y is None:
            return scores
        data_loss, dscores = softmax_loss(scores, y)
        loss = data_loss + 0.5 * self.reg * sum(np.sum(p[f"W{i}"] ** 2) for i in range(1, L + 1))
        grads: dict[str, np.ndarray] = {}
        dh, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, last_cache)
        for i in range(L - 1, 0, -1):
            fc_cache, bn_cache, relu_cache, drop_cache = caches[i - 1]
            if self.use_dropout:
                dh = dropout_backward(dh, drop_cache)
            dh = relu_backward(dh, relu_cache)
            if self.normalization == "batchnorm":
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = batchnorm_backward(dh, bn_cache)
            dh, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dh, fc_cache)
        for i in range(1, L + 1):
            grads[f"W{i}"] = grads[f"W{i}"] + self.reg * p[f"W{i}"]
        return float(loss), grads
