"""HW4 solution-cell variants: plausible student mistakes and correct alternatives.

Used by the project's own tests: the harness takes the released notebook, puts
the correct solutions (from the source notebook's solution cells) in every
solution cell, swaps in ONE variant's cell (keyed by its ``grade_id``) and
grades the result with the hidden suite ``reference/hw4/test_hw4.py``.

* ``WRONG[name] = (grade_id, cell_source, tasks)``: the grade must lose points
  on every task in ``tasks`` and on no other task. A backward pass is graded
  on the cache of the student's own forward pass and keeps its points when it
  is the gradient of that forward, right or wrong (one bug costs its points
  once: dropout keeping 1 - p costs only ``dropout_forward``); a backward that
  is not the gradient of the wrong forward still loses and is listed (the
  source's backward passes divide by N, so the unbiased variance costs both of
  them). The network calls the student's layers, so a forward mistake that
  reaches it costs its points too (dropout applied in test mode).
* ``CORRECT[name] = (grade_id, cell_source)``: must still earn 100.

A variant that changes a cache's layout must change the forward and backward
passes together; it replaces the LAST cell of the family with a cell that
defines all of them (the later definition wins, as in Jupyter): the batch-norm
family's last cell is ``batchnorm_backward_alt``, dropout's ``dropout_backward``.

Variants that change one line of the source's solution are made from the
source notebook's own cell (``_edit``), so they follow the notebook as it is
edited; each edit asserts that the line it changes is still there.

The correct alternatives are written the way real CS231n submissions are:
in-place updates that return ``w``, velocities stored with or without a copy,
``sqrt(a + eps)``, Adam's folded learning rate, backward passes through the
graph or in closed form (in either cell), caches as long tuples, ``dout``
overwritten, dropout masks from ``np.random.rand`` with ``np.random.seed`` or
from ``rng.binomial``, a network with CS231n's helper sandwich layers.

Every cell source is a complete replacement cell, with its own imports.

The correct alternatives live beside the hidden suite, in
``reference/hw4/alternatives.py`` (``autograder check hw4`` runs them); this module
re-exports them as ``CORRECT``.
"""

from __future__ import annotations

from reference.hw4.alternatives import CORRECT, BN_ALL, SOURCE, _edit  # noqa: F401

# =====================================================================
# WRONG
# =====================================================================
WRONG: dict[str, tuple[str, str, list[str]]] = {
    # ------------------------------------------------------------------ update rules
    "momentum_velocity_not_updated": ("sgd_momentum", _edit(
        "sgd_momentum",
        ('    v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v\n',
         '    next_w = w + config["momentum"] * v - config["learning_rate"] * dw\n'),
    ), ["sgd_momentum"]),

    "momentum_adds_gradient": ("sgd_momentum", _edit(
        "sgd_momentum",
        ('v = config["momentum"] * v - config["learning_rate"] * dw',
         'v = config["momentum"] * v + config["learning_rate"] * dw'),
    ), ["sgd_momentum"]),

    "nesterov_is_plain_momentum": ("sgd_nesterov_momentum", _edit(
        "sgd_nesterov_momentum",
        ("next_w = w - mu * v + (1 + mu) * v_new", "next_w = w + v_new"),
    ), ["sgd_nesterov_momentum"]),

    "rmsprop_without_square_root": ("rmsprop", _edit(
        "rmsprop",
        ('(np.sqrt(config["a"]) + config["epsilon"])', '(config["a"] + config["epsilon"])'),
    ), ["rmsprop"]),

    "rmsprop_decay_on_the_wrong_side": ("rmsprop", _edit(
        "rmsprop",
        ('config["a"] = rho * config["a"] + (1 - rho) * dw ** 2',
         'config["a"] = (1 - rho) * config["a"] + rho * dw ** 2'),
    ), ["rmsprop"]),

    "adam_t_incremented_after_the_correction": ("adam", _edit(
        "adam",
        ('    config["t"] += 1\n    t = config["t"]\n', '    t = config["t"]\n'),
        ('    next_w = w - config["learning_rate"] * v_hat / (np.sqrt(a_hat) + config["epsilon"])\n',
         '    next_w = w - config["learning_rate"] * v_hat / (np.sqrt(a_hat) + config["epsilon"])\n'
         '    config["t"] += 1\n'),
    ), ["adam"]),

    "adam_without_bias_correction": ("adam", _edit(
        "adam",
        ("    v_hat = config[\"v\"] / (1 - beta1 ** t)\n    a_hat = config[\"a\"] / (1 - beta2 ** t)\n",
         "    v_hat = config[\"v\"]\n    a_hat = config[\"a\"]\n"),
    ), ["adam"]),

    "adam_t_not_stored": ("adam", _edit(
        "adam",
        ('    config["t"] += 1\n    t = config["t"]\n', '    t = config["t"] + 1\n'),
    ), ["adam"]),

    # ------------------------------------------------------------------ batch norm
    "batchnorm_unbiased_variance": ("batchnorm_forward", _edit(
        "batchnorm_forward", ("sample_var = x.var(axis=0)", "sample_var = x.var(axis=0, ddof=1)"),
    ), BN_ALL + ["FullyConnectedNet"]),

    "batchnorm_running_momentum_on_the_wrong_side": ("batchnorm_forward", _edit(
        "batchnorm_forward",
        ("running_mean = momentum * running_mean + (1 - momentum) * sample_mean",
         "running_mean = (1 - momentum) * running_mean + momentum * sample_mean"),
        ("running_var = momentum * running_var + (1 - momentum) * sample_var",
         "running_var = (1 - momentum) * running_var + momentum * sample_var"),
    ), ["batchnorm_forward", "FullyConnectedNet"]),

    "batchnorm_test_mode_uses_batch_statistics": ("batchnorm_forward", _edit(
        "batchnorm_forward",
        ("out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta",
         "out = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta"),
    ), ["batchnorm_forward", "FullyConnectedNet"]),

    "batchnorm_running_statistics_not_stored": ("batchnorm_forward", _edit(
        "batchnorm_forward",
        ('    bn_param["running_mean"] = running_mean\n    bn_param["running_var"] = running_var\n', ""),
    ), ["batchnorm_forward", "FullyConnectedNet"]),

    "batchnorm_backward_forgets_the_mean_and_variance_paths": ("batchnorm_backward", '''
import numpy as np

def batchnorm_backward(dout, cache):
    std, x_hat, gamma = cache["std"], cache["x_hat"], cache["gamma"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = dout * gamma / std
    return dx, dgamma, dbeta
''', ["batchnorm_backward", "FullyConnectedNet"]),

    "batchnorm_backward_dgamma_keepdims": ("batchnorm_backward", _edit(
        "batchnorm_backward",
        ("dgamma = (dout * x_hat).sum(axis=0)", "dgamma = (dout * x_hat).sum(axis=0, keepdims=True)"),
    ), ["batchnorm_backward", "FullyConnectedNet"]),

    "batchnorm_backward_alt_without_the_variance_term": ("batchnorm_backward_alt", _edit(
        "batchnorm_backward_alt",
        ("dx = (N * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0)) / (N * std)",
         "dx = (N * g - g.sum(axis=0)) / (N * std)"),
    ), ["batchnorm_backward_alt"]),

    # ------------------------------------------------------------------ dropout
    "dropout_not_rescaled": ("dropout_forward", _edit(
        "dropout_forward", ("mask = (generator.random(x.shape) < p) / p", "mask = generator.random(x.shape) < p"),
    ), ["dropout_forward"]),

    "dropout_applied_in_test_mode": ("dropout_forward", _edit(
        "dropout_forward",
        ("    elif mode == \"test\":\n        out = x\n",
         "    elif mode == \"test\":\n        mask = (generator.random(x.shape) < p) / p\n        out = x * mask\n"),
    ), ["dropout_forward", "FullyConnectedNet"]),

    "dropout_p_taken_as_drop_probability": ("dropout_forward", _edit(
        "dropout_forward",
        ("mask = (generator.random(x.shape) < p) / p", "mask = (generator.random(x.shape) >= p) / (1 - p)"),
    ), ["dropout_forward"]),

    "dropout_backward_forgets_the_scaling": ("dropout_backward", '''
import numpy as np

def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * (mask != 0)
    return dout
''', ["dropout_backward", "FullyConnectedNet"]),

    # ------------------------------------------------------------------ FullyConnectedNet
    "fc_batchnorm_after_relu": ("FullyConnectedNet", _edit(
        "FullyConnectedNet",
        ('''            if self.normalization == "batchnorm":
                hidden, caches[("bn", layer)] = batchnorm_forward(
                    hidden, self.params[f"gamma{layer}"], self.params[f"beta{layer}"], self.bn_params[layer - 1])
            hidden, caches[("relu", layer)] = relu_forward(hidden)
''', '''            hidden, caches[("relu", layer)] = relu_forward(hidden)
            if self.normalization == "batchnorm":
                hidden, caches[("bn", layer)] = batchnorm_forward(
                    hidden, self.params[f"gamma{layer}"], self.params[f"beta{layer}"], self.bn_params[layer - 1])
'''),
        ('''            dhidden = relu_backward(dhidden, caches[("relu", layer)])
            if self.normalization == "batchnorm":
                dhidden, grads[f"gamma{layer}"], grads[f"beta{layer}"] = batchnorm_backward(dhidden, caches[("bn", layer)])
''', '''            if self.normalization == "batchnorm":
                dhidden, grads[f"gamma{layer}"], grads[f"beta{layer}"] = batchnorm_backward(dhidden, caches[("bn", layer)])
            dhidden = relu_backward(dhidden, caches[("relu", layer)])
'''),
    ), ["FullyConnectedNet"]),

    "fc_regularizes_gamma": ("FullyConnectedNet", _edit(
        "FullyConnectedNet",
        ('''            grads[f"W{layer}"] = grads[f"W{layer}"] + self.reg * W
''', '''            grads[f"W{layer}"] = grads[f"W{layer}"] + self.reg * W
            if self.normalization == "batchnorm" and layer < L:
                gamma = self.params[f"gamma{layer}"]
                loss += 0.5 * self.reg * np.sum(gamma * gamma)
                grads[f"gamma{layer}"] = grads[f"gamma{layer}"] + self.reg * gamma
'''),
    ), ["FullyConnectedNet"]),

    "fc_always_train_mode": ("FullyConnectedNet", _edit(
        "FullyConnectedNet", ('mode = "test" if y is None else "train"', 'mode = "train"'),
        ("        if mode == \"test\":\n            return scores\n", "        if y is None:\n            return scores\n"),
    ), ["FullyConnectedNet"]),

    "fc_dropout_ignores_seed": ("FullyConnectedNet", _edit(
        "FullyConnectedNet",
        ('''            if seed is not None:
                self.dropout_param["seed"] = seed
''', ""),
    ), ["FullyConnectedNet"]),

    "fc_gamma_starts_at_zero": ("FullyConnectedNet", _edit(
        "FullyConnectedNet",
        ('self.params[f"gamma{layer}"] = np.ones(dims[layer])', 'self.params[f"gamma{layer}"] = np.zeros(dims[layer])'),
    ), ["FullyConnectedNet"]),
}
