"""Hidden tests for HW4: update rules, batch normalization, dropout, and the fully
connected network extended with both.

Run while authoring (the reference must score 100 %):

    .venv/bin/python -m pytest -p autograder.pytest_plugin --student-module reference.hw4 reference/hw4/test_hw4.py -q

Points per task (each equals the ``points`` of the notebook's test cell):

    sgd_momentum 8, sgd_nesterov_momentum 6, rmsprop 8, adam 12,
    batchnorm_forward 16, batchnorm_backward 10, batchnorm_backward_alt 8,
    dropout_forward 10, dropout_backward 6, FullyConnectedNet 16      total 100

The notebook's cell ``hw3_layers`` (the student's HW3 layers, pasted) has no
test of its own; only the FullyConnectedNet tests use those layers.

How the suite stays fair to every correct implementation:

* Update rules are called with a config dict and the config they return is
  fed back to the next step, as the Solver does: a rule may change ``w``, its
  velocity or moments in place, or build new arrays; only ``next_w`` and the
  state the contract names (``velocity``, ``a``, ``v``, ``t``) are compared.
  Gradients are bounded away from 0 so that where ``epsilon`` goes
  (``sqrt(a) + eps`` or ``sqrt(a + eps)``) does not matter.
* One bug costs its points once: a backward pass earns its points when its
  gradients match the reference's, or, where the student's forward pass is wrong,
  the gradient of that forward (``assert_backward`` differentiates it numerically;
  dropout's backward tests are seeded so the mask stays the same). Dropout that
  keeps 1 - p of the units costs ``dropout_forward``, not a correct backward.
* Batch norm's cache is only passed back to the student's own backward pass,
  so a backward pass through the computational graph and the closed form both
  earn full marks, whatever the cache holds. The running statistics are read
  from the ``bn_param`` dict the student's forward pass updated in place.
* Dropout is random, so it is tested by properties: every output entry is
  either 0 or x / p, the fraction kept is near p, test mode is the identity,
  the same seed gives the same output, and the backward pass lets dout through
  (scaled by 1 / p) exactly where the forward pass kept x. A mask made with
  ``<``, ``np.random.rand``, ``default_rng`` or ``rng.binomial`` all pass.
* The network with dropout is checked against its own finite differences
  (its mask is the student's) and, in test mode, against the reference.

Every input comes from a fixed seed and is small (a few ms per test).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograder.testing import assert_backward, assert_close, assert_shape, assert_true, describe, rng

points = pytest.mark.points
task = pytest.mark.task
visible = pytest.mark.visible

TOL = 1e-6
RULE_TOL = 1e-5  # update rules: room for where epsilon sits and for float32 velocities

# Helpers evaluated inside the student process (student.define).
SET_PARAMS = "lambda net, params: net.params.update(params)"
SEED_NUMPY = "lambda seed: __import__('numpy').random.seed(seed)"
# batchnorm_forward's result and the bn_param it updated in place (looked up by name, so that
# the dict the student's function changed is the one returned)
FORWARD_WITH_PARAM = "lambda *args: (batchnorm_forward(*args), args[-1])"
MAKE_NET = "lambda cls, hidden_dims, dtype, **kw: cls(hidden_dims, dtype=getattr(__import__('numpy'), dtype), **kw)"
LOSSES_WITH = ("lambda net, key, values, X, y: "
               "[(net.params.__setitem__(key, value), float(net.loss(X, y)[0]))[1] for value in values]")
"""The net's loss with params[key] set to each of ``values`` in turn (one round trip for them all)."""


def shape_str(*arrays) -> str:
    return ", ".join(str(tuple(np.shape(a))) for a in arrays)


def unpack(result: Any, count: int, call: str) -> list:
    """The student's tuple result as a list of `count` items, or a helpful failure."""
    assert_true(
        isinstance(result, (tuple, list)) and len(result) == count,
        f"{call}: expected a tuple of {count} values, got {describe(result)}.",
    )
    return list(result)


def away_from_zero(g: np.random.Generator, shape, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    """Entries of both signs with |entry| in [low, high)."""
    return g.choice([-1.0, 1.0], size=shape) * g.uniform(low, high, size=shape)


# =====================================================================
# update rules
# =====================================================================
STATE = {"sgd_momentum": ("velocity",), "sgd_nesterov_momentum": ("velocity",), "rmsprop": ("a",),
         "adam": ("v", "a", "t")}

W_FIG = np.linspace(-0.4, 0.6, num=20).reshape(4, 5)
DW_FIG = np.linspace(-0.6, 0.4, num=20).reshape(4, 5)


def config_str(config: dict) -> str:
    parts = []
    for key, value in config.items():
        parts.append(f"{key} {shape_str(value)}" if isinstance(value, np.ndarray) else f"{key}={value!r}")
    return "{" + ", ".join(parts) + "}"


def check_rule(student, reference, name: str, w: np.ndarray, dws: list[np.ndarray], config: dict,
               note: str = "") -> None:
    """Run `len(dws)` steps of the student's rule and the reference's from the same w and
    config, each feeding back its own returned w and config; compare next_w at every
    step and the rule's state at the end."""
    rule = getattr(student, name)
    ref_rule = getattr(reference, name)
    got_w, got_config = w, dict(config)
    ref_w, ref_config = w.copy(), {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in config.items()}
    for step, dw in enumerate(dws, start=1):
        call = (f"{name}(w {shape_str(w)}, dw {shape_str(dw)}, config {config_str(config)}){note}"
                + (f", step {step} of {len(dws)} (each step given the config the previous one returned)"
                   if len(dws) > 1 else ""))
        got_w, got_config = unpack(rule(got_w, dw, got_config), 2, call)
        ref_w, ref_config = ref_rule(ref_w, dw, ref_config)
        assert_close(got_w, ref_w, call=call, what=f"next_w (shape {ref_w.shape})", tol=RULE_TOL)
        assert_true(isinstance(got_config, dict),
                    f"{call}: the second value returned should be the config dict, got {describe(got_config)}.")
    for key in STATE[name]:
        assert_true(key in got_config, f"{call}: the returned config has no '{key}' (the rule's state for "
                                       f"the next step; keys found: {sorted(map(str, got_config))}).")
        assert_close(got_config[key], ref_config[key], call=call, what=f"config['{key}']", tol=RULE_TOL)


def random_steps(seed: int, shape, steps: int) -> tuple[np.ndarray, list[np.ndarray]]:
    g = rng(seed)
    return g.normal(size=shape), [away_from_zero(g, shape) for _ in range(steps)]


def rule_param(name: str, pts: float, visible_too: bool = False):
    marks = [task(name), points(pts)] + ([visible] if visible_too else [])
    return pytest.param(name, marks=marks, id=name)


# ---------------------------------------------------------------- momentum (both kinds)
@pytest.mark.parametrize("name", [rule_param("sgd_momentum", 3, True), rule_param("sgd_nesterov_momentum", 3, True)])
def test_momentum_linspace(student, reference, name):
    """CS231n's linspace case: w, dw (4, 5), velocity linspace(0.6, 0.9), learning_rate 1e-3."""
    config = {"learning_rate": 1e-3, "velocity": np.linspace(0.6, 0.9, num=20).reshape(4, 5)}
    check_rule(student, reference, name, W_FIG, [DW_FIG], config)


@pytest.mark.parametrize("name", [rule_param("sgd_momentum", 3), rule_param("sgd_nesterov_momentum", 3)])
def test_momentum_defaults_three_steps(student, reference, name):
    """Three steps from an empty config: learning_rate 1e-2, momentum 0.9, velocity starting at zeros."""
    w, dws = random_steps(201, (3, 4), 3)
    check_rule(student, reference, name, w, dws, {})


@task("sgd_momentum")
@points(2)
def test_sgd_momentum_other_hyperparameters(student, reference):
    """momentum 0.5 and learning_rate 0.1 on a 1-D w (7,) and on a 3-D w (2, 3, 2), two steps each."""
    for seed, shape in ((202, (7,)), (203, (2, 3, 2))):
        w, dws = random_steps(seed, shape, 2)
        check_rule(student, reference, "sgd_momentum", w, dws, {"learning_rate": 0.1, "momentum": 0.5})


# ---------------------------------------------------------------- RMSProp
@visible
@task("rmsprop")
@points(3)
def test_rmsprop_linspace(student, reference):
    """CS231n's linspace case: w, dw (4, 5), a = linspace(0.6, 0.9), learning_rate 1e-2."""
    config = {"learning_rate": 1e-2, "a": np.linspace(0.6, 0.9, num=20).reshape(4, 5)}
    check_rule(student, reference, "rmsprop", W_FIG, [DW_FIG], config)


@task("rmsprop")
@points(3)
def test_rmsprop_defaults_three_steps(student, reference):
    """Three steps from an empty config: learning_rate 1e-2, decay_rate 0.99, a starting at zeros."""
    w, dws = random_steps(211, (5, 3), 3)
    check_rule(student, reference, "rmsprop", w, dws, {})


@task("rmsprop")
@points(2)
def test_rmsprop_other_hyperparameters(student, reference):
    """decay_rate 0.9 and learning_rate 1e-3 on a 1-D w (6,), two steps."""
    w, dws = random_steps(212, (6,), 2)
    check_rule(student, reference, "rmsprop", w, dws, {"learning_rate": 1e-3, "decay_rate": 0.9})


# ---------------------------------------------------------------- Adam
@visible
@task("adam")
@points(4)
def test_adam_linspace(student, reference):
    """CS231n's linspace case: w, dw (4, 5), v = linspace(0.6, 0.9), a = linspace(0.7, 0.5), t = 5, learning_rate 1e-2."""
    config = {"learning_rate": 1e-2, "v": np.linspace(0.6, 0.9, num=20).reshape(4, 5),
              "a": np.linspace(0.7, 0.5, num=20).reshape(4, 5), "t": 5}
    check_rule(student, reference, "adam", W_FIG, [DW_FIG], config)


@task("adam")
@points(4)
def test_adam_defaults_three_steps(student, reference):
    """Three steps from an empty config: t goes 1, 2, 3 (incremented before the bias correction)."""
    w, dws = random_steps(221, (4, 3), 3)
    check_rule(student, reference, "adam", w, dws, {})


@task("adam")
@points(4)
def test_adam_other_hyperparameters(student, reference):
    """beta1 0.8, beta2 0.99, learning_rate 0.05 from t = 10 on a 3-D w (2, 2, 3), and from t = 0 on a 1-D w (5,)."""
    g = rng(222)
    w, dws = random_steps(223, (2, 2, 3), 2)
    config = {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "t": 10,
              "v": g.normal(size=(2, 2, 3)), "a": g.uniform(0.5, 1.5, size=(2, 2, 3))}
    check_rule(student, reference, "adam", w, dws, config)
    w, dws = random_steps(224, (5,), 2)
    check_rule(student, reference, "adam", w, dws, {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "t": 0})


# =====================================================================
# batchnorm_forward  (16 points)
# =====================================================================
def bn_inputs(seed: int, N: int, D: int):
    """x with a non-zero mean and unequal scales per feature, gamma and beta of both signs."""
    g = rng(seed)
    x = g.normal(loc=g.uniform(-3, 3, size=D), scale=g.uniform(0.5, 3, size=D), size=(N, D))
    return x, g.normal(size=D), g.normal(size=D)


def bn_call(x, bn_param: dict, note: str = "") -> str:
    keys = ", ".join(f"{k}={v!r}" if not isinstance(v, np.ndarray) else f"{k} {shape_str(v)}"
                     for k, v in bn_param.items())
    return f"batchnorm_forward(x {shape_str(x)}, gamma, beta, bn_param {{{keys}}}){note}"


def check_bn_forward(student, reference, x, gamma, beta, bn_param: dict, note: str = "") -> dict:
    """One call of the student's forward pass against the reference's: out, then the
    running statistics left in bn_param. Returns the student's bn_param after the call."""
    call = bn_call(x, bn_param, note)
    ref_param = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in bn_param.items()}
    sent = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in bn_param.items()}
    result, got_param = student.define(FORWARD_WITH_PARAM)(x, gamma, beta, sent)
    out, _ = unpack(result, 2, call)
    ref_out, _ = reference.batchnorm_forward(x, gamma, beta, ref_param)
    assert_close(out, ref_out, call=call, what=f"out (shape {ref_out.shape})", tol=TOL)
    assert_true(isinstance(got_param, dict), f"{call}: bn_param should stay a dict, got {describe(got_param)}.")
    for key in ("running_mean", "running_var"):
        assert_true(key in got_param, f"{call}: bn_param has no '{key}' afterwards; store the running "
                                      f"statistics in bn_param (bn_param['{key}'] = ...).")
        what = (f"bn_param['{key}'] after the call" + (" (test mode must leave it as it was)"
                                                        if bn_param["mode"] == "test" else ""))
        assert_close(got_param[key], ref_param[key], call=call, what=what, tol=TOL)
    return got_param


@visible
@task("batchnorm_forward")
@points(4)
def test_batchnorm_forward_train(student, reference):
    """Train mode on x (200, 3) and on a small batch x (4, 5): each feature normalized with the batch
    mean and the biased variance (divide by N), then scaled by gamma and shifted by beta."""
    for seed, N, D in ((231, 200, 3), (232, 4, 5)):
        x, gamma, beta = bn_inputs(seed, N, D)
        check_bn_forward(student, reference, x, gamma, beta, {"mode": "train"})


@task("batchnorm_forward")
@points(4)
def test_batchnorm_forward_running_statistics(student, reference):
    """Train mode with running statistics given and momentum 0.8: running = momentum * running + (1 - momentum) * batch."""
    x, gamma, beta = bn_inputs(233, 6, 4)
    g = rng(234)
    bn_param = {"mode": "train", "momentum": 0.8, "running_mean": g.normal(size=4),
                "running_var": g.uniform(0.5, 2.0, size=4)}
    check_bn_forward(student, reference, x, gamma, beta, bn_param)


@task("batchnorm_forward")
@points(4)
def test_batchnorm_forward_test_mode(student, reference):
    """Test mode normalizes with the running statistics (not the batch's) and leaves them unchanged; eps 1e-3."""
    x, gamma, beta = bn_inputs(235, 7, 3)
    g = rng(236)
    bn_param = {"mode": "test", "eps": 1e-3, "running_mean": g.normal(size=3), "running_var": g.uniform(0.5, 2, size=3)}
    check_bn_forward(student, reference, x, gamma, beta, bn_param)


@task("batchnorm_forward")
@points(4)
def test_batchnorm_forward_train_then_test(student, reference):
    """Three train batches from a bn_param without running statistics (they start at zeros),
    then a test batch, each call given the bn_param the previous one left."""
    bn_param = {"mode": "train"}
    for step, seed in enumerate((237, 238, 239)):
        x, gamma, beta = bn_inputs(seed, 8, 4)
        bn_param = check_bn_forward(student, reference, x, gamma, beta, bn_param, note=f", train batch {step + 1} of 3")
    x, gamma, beta = bn_inputs(240, 5, 4)
    bn_param["mode"] = "test"
    check_bn_forward(student, reference, x, gamma, beta, bn_param, note=", then in test mode")


# =====================================================================
# batchnorm_backward  (10 points), batchnorm_backward_alt  (8 points)
# =====================================================================
def check_bn_backward(student, reference, name: str, x, gamma, beta, dout, note: str = "") -> None:
    """The student's `name` on the cache of their own batchnorm_forward in train mode (see assert_backward)."""
    ref_out, ref_cache = reference.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    assert_backward(student, "batchnorm_forward", name, (x, gamma, beta, {"mode": "train"}), dout,
                    reference.batchnorm_backward(dout, ref_cache), expected_out=ref_out, wrt=(0, 1, 2),
                    names=("dx", "dgamma", "dbeta"), tol=TOL,
                    call=f"batchnorm_forward(x {shape_str(x)}, gamma {shape_str(gamma)}, beta {shape_str(beta)}, "
                         f"{{'mode': 'train'}}){note}")


def backward_param(name: str, pts: float, visible_too: bool = False):
    marks = [task(name), points(pts)] + ([visible] if visible_too else [])
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", [backward_param("batchnorm_backward", 4, True),
                                  backward_param("batchnorm_backward_alt", 4, True)])
def test_batchnorm_backward_small(student, reference, name):
    """dx (4, 5), dgamma (5,), dbeta (5,) for x (4, 5) with gamma and beta of both signs."""
    x, gamma, beta = bn_inputs(241, 4, 5)
    check_bn_backward(student, reference, name, x, gamma, beta, rng(242).normal(size=(4, 5)))


@pytest.mark.parametrize("name", [backward_param("batchnorm_backward", 3), backward_param("batchnorm_backward_alt", 2)])
def test_batchnorm_backward_shapes(student, reference, name):
    """Two samples and one feature (2, 1); a taller batch (30, 7)."""
    for seed, N, D in ((243, 2, 1), (244, 30, 7)):
        x, gamma, beta = bn_inputs(seed, N, D)
        check_bn_backward(student, reference, name, x, gamma, beta, rng(seed + 100).normal(size=(N, D)))


@pytest.mark.parametrize("name", [backward_param("batchnorm_backward", 3), backward_param("batchnorm_backward_alt", 2)])
def test_batchnorm_backward_wide_batch(student, reference, name):
    """More features than samples (6, 11), with a large upstream gradient."""
    x, gamma, beta = bn_inputs(245, 6, 11)
    check_bn_backward(student, reference, name, x, gamma, beta, 10 * rng(246).normal(size=(6, 11)))


# =====================================================================
# dropout_forward  (10 points), dropout_backward  (6 points)
# =====================================================================
def dropout_input(seed: int, shape) -> np.ndarray:
    """No entry near 0, so a 0 in the output means the unit was dropped."""
    return away_from_zero(rng(seed), shape, 1.0, 2.0)


def param_str(dropout_param: dict) -> str:
    return "{" + ", ".join(f"'{k}': {v!r}" for k, v in dropout_param.items()) + "}"


def dropout_out(student, x, dropout_param: dict) -> tuple[np.ndarray, Any, str]:
    call = f"dropout_forward(x {shape_str(x)}, {param_str(dropout_param)})"
    out, cache = unpack(student.dropout_forward(x, dropout_param), 2, call)
    out = assert_shape(out, x.shape, call=call, what="out")
    return out, cache, call


def check_train_mask(out: np.ndarray, x: np.ndarray, p: float, call: str) -> None:
    """Every entry 0 or x / p; the fraction kept within 5 standard deviations of p."""
    kept = out != 0
    assert_true(np.allclose(out[kept], x[kept] / p, rtol=1e-5, atol=0),
                f"{call}: a unit that is kept should be x / p (inverted dropout scales by 1 / p, p being "
                f"the probability of keeping a unit), and every other unit 0.")
    fraction = float(np.mean(kept))
    slack = 5 * np.sqrt(p * (1 - p) / x.size)
    assert_true(abs(fraction - p) <= slack,
                f"{call}: kept {fraction:.3f} of the units; p = {p} is the probability of KEEPING a unit, "
                f"so about {p} of them should be kept.")


@visible
@task("dropout_forward")
@points(4)
def test_dropout_forward_train(student, reference):
    """Train mode, x (400, 50), p = 0.3, no seed: kept units are x / p, dropped ones 0, about 30 % kept."""
    x = dropout_input(251, (400, 50))
    out, _, call = dropout_out(student, x, {"mode": "train", "p": 0.3})
    check_train_mask(out, x, 0.3, call)


@task("dropout_forward")
@points(3)
def test_dropout_forward_train_other_p(student, reference):
    """Train mode, x (10, 20, 30), p = 0.8, with a seed: the same properties, and the same seed gives the same output."""
    x = dropout_input(252, (10, 20, 30))
    param = {"mode": "train", "p": 0.8, "seed": 17}
    out, _, call = dropout_out(student, x, param)
    check_train_mask(out, x, 0.8, call)
    again, _, _ = dropout_out(student, x, param)
    assert_true(np.array_equal(again, out), f"{call}, called twice: with the same seed the mask should be the same "
                                            "(make the generator from the seed, e.g. np.random.default_rng(seed)).")


@task("dropout_forward")
@points(3)
def test_dropout_forward_test_mode(student, reference):
    """Test mode is the identity (no mask, no scaling), for p = 0.5 and p = 0.25 and with a seed."""
    for seed, shape, param in ((253, (30, 40), {"mode": "test", "p": 0.5}),
                               (254, (4, 3, 5), {"mode": "test", "p": 0.25, "seed": 3})):
        x = dropout_input(seed, shape)
        out, _, call = dropout_out(student, x, param)
        assert_close(out, reference.dropout_forward(x, param)[0], call=call, what="out (test mode: out = x)", tol=TOL)


def check_dropout_backward(student, reference, x, dout, param: dict) -> None:
    """The student's dropout_backward on the cache of their own dropout_forward. Where their
    forward's mask is a valid one (about p of the units kept, each as x / p), the correct dx is
    dout / p where it kept the unit and 0 elsewhere; otherwise the reference's (same seed).
    Train mode is seeded, so a wrong forward can be differentiated numerically with the same
    mask (see assert_backward)."""
    p = param["p"]
    ref_out, ref_cache = reference.dropout_forward(x, dict(param))

    def valid_mask(out) -> bool:
        if not isinstance(out, np.ndarray) or out.shape != x.shape:
            return False
        kept = out != 0
        return (abs(float(np.mean(kept)) - p) <= 5 * np.sqrt(p * (1 - p) / x.size)
                and np.allclose(out[kept], x[kept] / p, rtol=1e-5, atol=0))

    def correct_out(out):
        if param["mode"] == "test" or not valid_mask(out):
            return ref_out
        return out

    def correct_dx(out):
        if param["mode"] == "test" or not valid_mask(out):
            return reference.dropout_backward(dout, ref_cache)
        return dout * (out != 0) / p

    assert_backward(student, "dropout_forward", "dropout_backward", (x, param), dout, correct_dx,
                    expected_out=correct_out, wrt=(0,), names=("dx",), tol=TOL,
                    call=f"dropout_forward(x {shape_str(x)}, {param_str(param)})")


@visible
@task("dropout_backward")
@points(4)
def test_dropout_backward_train(student, reference):
    """Train mode, x (300, 40), p = 0.4, seeded: dx is dout / p where the unit was kept, else 0."""
    x = dropout_input(261, (300, 40))
    check_dropout_backward(student, reference, x, rng(262).normal(size=x.shape), {"mode": "train", "p": 0.4, "seed": 5})


@task("dropout_backward")
@points(2)
def test_dropout_backward_other_p_and_test_mode(student, reference):
    """Train mode on x (5, 6, 7) with p = 0.75; then test mode, where dx = dout."""
    x = dropout_input(263, (5, 6, 7))
    dout = rng(264).normal(size=x.shape)
    check_dropout_backward(student, reference, x, dout, {"mode": "train", "p": 0.75, "seed": 6})
    check_dropout_backward(student, reference, x, dout, {"mode": "test", "p": 0.75})


# =====================================================================
# FullyConnectedNet  (16 points)
# =====================================================================
def kwargs_str(**kw) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kw.items())


def net_params(seed: int, dims: list[int], batchnorm: bool) -> dict[str, np.ndarray]:
    """W, b for every layer (both signs, non-zero biases); gamma, beta for the hidden layers."""
    g = rng(seed)
    params = {}
    for i in range(len(dims) - 1):
        params[f"W{i + 1}"] = 1.5 * g.normal(size=(dims[i], dims[i + 1])) / np.sqrt(dims[i])
        params[f"b{i + 1}"] = 0.3 * g.normal(size=dims[i + 1])
        if batchnorm and i < len(dims) - 2:
            params[f"gamma{i + 1}"] = g.uniform(0.5, 1.5, size=dims[i + 1]) * g.choice([-1, 1], size=dims[i + 1])
            params[f"beta{i + 1}"] = 0.5 * g.normal(size=dims[i + 1])
    return params


def make_nets(student, reference, dims: list[int], params: dict | None, **kw):
    """The student's net and the reference's, in float64, with the test's parameters."""
    hidden = list(dims[1:-1])
    kw = dict(input_dim=dims[0], num_classes=dims[-1], **kw)
    call = f"FullyConnectedNet({hidden}, {kwargs_str(**kw)}, dtype=np.float64)"
    net = student.define(MAKE_NET)(student.ref("FullyConnectedNet"), hidden, "float64", **kw)
    ref_net = reference.FullyConnectedNet(hidden, dtype=np.float64, **kw)
    if params is not None:
        student.define(SET_PARAMS)(net, params)
        ref_net.params.update(params)
    return net, ref_net, call


def check_scores(net, ref_net, X, call: str, note: str = "") -> None:
    scores_call = f"{call}.loss(X {shape_str(X)}){note}"
    assert_close(net.loss(X), ref_net.loss(X), call=scores_call, what="the scores (test mode)", tol=TOL)


def check_loss_and_grads(net, ref_net, X, y, call: str) -> None:
    loss_call = f"{call}.loss(X {shape_str(X)}, y ({len(y)},))"
    loss, grads = unpack(net.loss(X, y), 2, loss_call)
    ref_loss, ref_grads = ref_net.loss(X, y)
    assert_close(loss, np.float64(ref_loss), call=loss_call, what="the loss", tol=TOL)
    assert_true(isinstance(grads, dict), f"{loss_call}: grads should be a dict like params, got {describe(grads)}.")
    for key in sorted(ref_grads):
        assert_true(key in grads, f"{loss_call}: grads has no '{key}' (every parameter needs a gradient).")
        assert_close(grads[key], ref_grads[key], call=loss_call, what=f"grads['{key}']", tol=TOL)


@visible
@task("FullyConnectedNet")
@points(3)
def test_fully_connected_net_initialisation(student, reference):
    """FullyConnectedNet([20, 30], input_dim=15, num_classes=10, normalization='batchnorm'): W1..W3, b1..b3,
    gamma1, gamma2 (ones) and beta1, beta2 (zeros), in float32; without normalization, no gamma or beta."""
    student.define(SEED_NUMPY)(0)
    D, H1, H2, C, ws = 15, 20, 30, 10, 0.05
    for normalization in ("batchnorm", None):
        kw = dict(input_dim=D, num_classes=C, weight_scale=ws, normalization=normalization)
        call = f"FullyConnectedNet([{H1}, {H2}], {kwargs_str(**kw)})"
        params = student.FullyConnectedNet([H1, H2], **kw).params
        expected = {"W1": (D, H1), "b1": (H1,), "W2": (H1, H2), "b2": (H2,), "W3": (H2, C), "b3": (C,)}
        if normalization:
            expected.update({"gamma1": (H1,), "beta1": (H1,), "gamma2": (H2,), "beta2": (H2,)})
        assert_true(isinstance(params, dict), f"{call}: `params` should be a dict, got {describe(params)}.")
        assert_true(sorted(map(str, params)) == sorted(expected),
                    f"{call}: params should have the keys {sorted(expected)}, found {sorted(map(str, params))}.")
        for key, shape in expected.items():
            value = assert_shape(params[key], shape, call=call, what=f"params['{key}']")
            assert_true(value.dtype == np.float32, f"{call}: params['{key}'] has dtype {value.dtype}, expected "
                                                   "float32 (the `dtype` argument).")
            if key.startswith("gamma"):
                assert_true(np.all(value == 1), f"{call}: params['{key}'] should start as ones.")
            elif key[0] in "b":
                assert_true(np.all(value == 0), f"{call}: params['{key}'] should start as zeros.")
            else:
                std = float(np.std(value))
                assert_true(abs(std / ws - 1) < 0.25, f"{call}: params['{key}'] has standard deviation {std:.3g}; "
                                                      f"weights are drawn from N(0, weight_scale^2), weight_scale = {ws}.")


@task("FullyConnectedNet")
@points(2)
def test_fully_connected_net_without_options(student, reference):
    """No dropout, no normalization (HW3's net): scores, loss and gradients with reg=0.2, X (6, 2, 3)."""
    g = rng(271)
    dims = [6, 8, 5, 4]
    net, ref_net, call = make_nets(student, reference, dims, net_params(272, dims, False), reg=0.2)
    X, y = g.normal(size=(6, 2, 3)), g.integers(0, 4, size=6)
    check_scores(net, ref_net, X, call)
    check_loss_and_grads(net, ref_net, X, y, call)


@task("FullyConnectedNet")
@points(4)
def test_fully_connected_net_batchnorm_gradients(student, reference):
    """normalization='batchnorm', hidden layers [7, 6], reg=0.3 (weights only, not gamma or beta), N=8:
    loss and gradients of every W, b, gamma and beta."""
    g = rng(273)
    dims = [5, 7, 6, 3]
    net, ref_net, call = make_nets(student, reference, dims, net_params(274, dims, True),
                                   normalization="batchnorm", reg=0.3)
    check_loss_and_grads(net, ref_net, g.normal(size=(8, 5)), g.integers(0, 3, size=8), call)


@task("FullyConnectedNet")
@points(3)
def test_fully_connected_net_batchnorm_test_mode(student, reference):
    """normalization='batchnorm': two training batches (loss(X, y) runs batch norm in train mode and updates
    its running statistics), then loss(X) scores in test mode with those running statistics."""
    g = rng(275)
    dims = [4, 6, 5, 3]
    net, ref_net, call = make_nets(student, reference, dims, net_params(276, dims, True), normalization="batchnorm")
    for _ in range(2):
        X, y = g.normal(loc=1.0, size=(10, 4)), g.integers(0, 3, size=10)
        loss_call = f"{call}.loss(X {shape_str(X)}, y ({len(y)},))"
        loss, _ = unpack(net.loss(X, y), 2, loss_call)
        assert_close(loss, np.float64(ref_net.loss(X, y)[0]), call=loss_call, what="the loss", tol=TOL)
    check_scores(net, ref_net, g.normal(size=(5, 4)), call, note=" after two training batches")


def numerical_check(student, net, params: dict[str, np.ndarray], X, y, grads: dict, call: str, seed: int,
                    per_key: int = 6, h: float = 1e-5) -> None:
    """Centred differences of the student's own loss at a few entries of every parameter,
    computed here (the student process only evaluates the loss: for each parameter, at
    every +h and -h in turn, then at its own value again, in one call)."""
    losses_with = student.define(LOSSES_WITH)
    g = rng(seed)
    for key in sorted(params):
        value = params[key]
        assert_true(key in grads, f"{call}: grads has no '{key}' (every parameter needs a gradient).")
        analytic = assert_shape(grads[key], value.shape, call=call, what=f"grads['{key}']")
        flat = g.choice(value.size, size=min(per_key, value.size), replace=False)
        entries = [np.unravel_index(index, value.shape) for index in flat]
        values = []
        for ix in entries:
            plus, minus = value.copy(), value.copy()
            plus[ix] += h
            minus[ix] -= h
            values += [plus, minus]
        losses = losses_with(net, key, values + [value], X, y)  # the last puts the parameter back
        assert_true(isinstance(losses, list) and len(losses) == len(values) + 1,
                    f"{call}: the loss could not be evaluated at the perturbed parameters.")
        for n, ix in enumerate(entries):
            numeric = (losses[2 * n] - losses[2 * n + 1]) / (2 * h)
            got = float(analytic[ix])
            error = abs(got - numeric) / max(1e-6, abs(got) + abs(numeric))
            assert_true(error < 1e-4, f"{call}: grads['{key}'] at index {tuple(int(i) for i in ix)} disagrees with "
                                      f"the numerical gradient of your loss (relative error {error:.2g}).")


@task("FullyConnectedNet")
@points(4)
def test_fully_connected_net_dropout(student, reference):
    """dropout_keep_ratio=0.6, seed=1, hidden layers [6, 5], N=7: test-mode scores equal the net's without
    dropout; the training loss differs from it (dropout is applied) and its gradients agree with
    finite differences of the loss (seed makes the mask the same at every call)."""
    g = rng(277)
    dims = [5, 6, 5, 3]
    params = net_params(278, dims, False)
    net, ref_net, call = make_nets(student, reference, dims, params, dropout_keep_ratio=0.6, seed=1)
    X, y = g.normal(size=(7, 5)), g.integers(0, 3, size=7)
    check_scores(net, ref_net, X, call, note=" (test mode: no dropout)")
    loss_call = f"{call}.loss(X {shape_str(X)}, y ({len(y)},))"
    loss, grads = unpack(net.loss(X, y), 2, loss_call)
    plain = reference.FullyConnectedNet(dims[1:-1], input_dim=5, num_classes=3, dtype=np.float64)
    plain.params.update(params)
    loss = float(assert_shape(loss, (), call=loss_call, what="the loss"))
    assert_true(np.isfinite(loss) and abs(loss - plain.loss(X, y)[0]) > 1e-6,
                f"{loss_call}: the training loss equals the loss without dropout; with dropout_keep_ratio < 1 "
                "the training pass should drop units (dropout after every ReLU).")
    assert_true(isinstance(grads, dict), f"{loss_call}: grads should be a dict like params, got {describe(grads)}.")
    numerical_check(student, net, params, X, y, grads, loss_call, seed=279)

