"""HW4: the reference agrees with CS231n's published figures and with numerical
gradients; each mistake the issue names moves the figures or the properties the
suite checks; the support files students get are HW3's and ship with the release
and the Gradescope zip; the notebook's `Solver` takes a student's own update rule.

CS231n's figures (assignment 2, "FullyConnectedNets", update rules), every input a
linspace: w = linspace(-0.4, 0.6, 20).reshape(4, 5), dw = linspace(-0.6, 0.4, 20).reshape(4, 5);

* momentum, velocity = linspace(0.6, 0.9, 20), learning rate 1e-3: next_w from 0.1406 to 1.4096;
* RMSProp, a = linspace(0.6, 0.9, 20), learning rate 1e-2: next_w from -0.39223849 to 0.59576619;
* Adam, v = linspace(0.6, 0.9, 20), a = linspace(0.7, 0.5, 20), t = 5, learning rate 1e-2:
  next_w from -0.40094747 to 0.59801459.
"""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import reference.hw3 as hw3
import reference.hw4 as ref
from reference.hw4 import _hw3_layers
from tests.conftest import ROOT

HW4 = ROOT / "assignments" / "hw4"

W = np.linspace(-0.4, 0.6, num=20).reshape(4, 5)
DW = np.linspace(-0.6, 0.4, num=20).reshape(4, 5)
V = np.linspace(0.6, 0.9, num=20).reshape(4, 5)
A = np.linspace(0.7, 0.5, num=20).reshape(4, 5)

MOMENTUM_NEXT_W = np.array([
    [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
    [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
    [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
    [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]])
RMSPROP_NEXT_W = np.array([
    [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
    [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
    [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
    [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]])
ADAM_NEXT_W = np.array([
    [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
    [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
    [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
    [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]])


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def load_support(name: str):
    """A support file of assignments/hw4 as a module (as a student's notebook imports it)."""
    spec = importlib.util.spec_from_file_location(f"hw4_support_{name}", HW4 / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------ published figures
def test_momentum_reproduces_the_published_figure():
    next_w, config = ref.sgd_momentum(W, DW, {"learning_rate": 1e-3, "velocity": V.copy()})
    assert next_w.shape == (4, 5)
    assert abs(next_w[0, 0] - 0.1406) < 1e-8 and abs(next_w[-1, -1] - 1.4096) < 1e-8
    assert rel(next_w, MOMENTUM_NEXT_W) < 1e-6
    assert rel(config["velocity"], 0.9 * V - 1e-3 * DW) < 1e-12


def test_rmsprop_reproduces_the_published_figure():
    next_w, config = ref.rmsprop(W, DW, {"learning_rate": 1e-2, "a": V.copy()})
    assert abs(next_w[0, 0] - (-0.39223849)) < 1e-8 and abs(next_w[-1, -1] - 0.59576619) < 1e-8
    assert rel(next_w, RMSPROP_NEXT_W) < 1e-6
    assert rel(config["a"], 0.99 * V + 0.01 * DW ** 2) < 1e-12


def test_adam_reproduces_the_published_figure():
    next_w, config = ref.adam(W, DW, {"learning_rate": 1e-2, "v": V.copy(), "a": A.copy(), "t": 5})
    assert abs(next_w[0, 0] - (-0.40094747)) < 1e-8 and abs(next_w[-1, -1] - 0.59801459) < 1e-8
    assert rel(next_w, ADAM_NEXT_W) < 1e-6
    assert config["t"] == 6


def test_the_figures_catch_the_issues_mistakes():
    """Adam's t incremented after the correction or no correction, RMSProp without the root: all far off."""
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-2
    v = b1 * V + (1 - b1) * DW
    a = b2 * A + (1 - b2) * DW ** 2
    t_after = W - lr * (v / (1 - b1 ** 5)) / (np.sqrt(a / (1 - b2 ** 5)) + eps)
    no_correction = W - lr * v / (np.sqrt(a) + eps)
    cache = 0.99 * V + 0.01 * DW ** 2
    no_root = W - 1e-2 * DW / (cache + 1e-8)
    assert rel(t_after, ADAM_NEXT_W) > 1e-3
    assert rel(no_correction, ADAM_NEXT_W) > 1e-3
    assert rel(no_root, RMSPROP_NEXT_W) > 1e-3


def test_rules_start_from_empty_configs_with_the_stated_defaults():
    g = np.random.default_rng(0)
    w, dw = g.normal(size=(3, 2)), g.normal(size=(3, 2))
    assert rel(ref.sgd_momentum(w, dw, {})[0], w - 1e-2 * dw) < 1e-12
    assert rel(ref.sgd_nesterov_momentum(w, dw, {})[0], w - 1.9e-2 * dw) < 1e-12  # w + v_new + 0.9 v_new
    assert rel(ref.rmsprop(w, dw, {})[0], w - 1e-2 * dw / (0.1 * np.abs(dw) + 1e-8)) < 1e-12
    next_w, config = ref.adam(w, dw, {})
    assert config["t"] == 1 and rel(next_w, w - 1e-3 * dw / (np.abs(dw) + 1e-8)) < 1e-9


def test_nesterov_is_the_lectures_form():
    v_new = 0.9 * V - 1e-3 * DW
    next_w, config = ref.sgd_nesterov_momentum(W, DW, {"learning_rate": 1e-3, "velocity": V.copy()})
    assert rel(next_w, W + v_new + 0.9 * (v_new - V)) < 1e-12
    assert rel(config["velocity"], v_new) < 1e-12


# ------------------------------------------------------------------ batch norm
def numerical_gradient_array(f, x, df, h=1e-3):
    """Fourth-order centred differences of sum(f(x) * df) with respect to x (no autograd, no
    gradient_check.py): (-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h, error O(h^4) + O(eps / h)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        values = []
        for step in (2, 1, -1, -2):
            x[idx] = old + step * h
            values.append(np.sum(f(x) * df))
        x[idx] = old
        grad[idx] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * h)
    return grad


@pytest.mark.parametrize("backward", [ref.batchnorm_backward, ref.batchnorm_backward_alt])
@pytest.mark.parametrize("N, D, seed", [(4, 5, 0), (10, 3, 1), (3, 2, 2)])
def test_batchnorm_backward_agrees_with_numerical_gradients(backward, N, D, seed):
    g = np.random.default_rng(seed)
    x = g.normal(loc=3.0, scale=2.0, size=(N, D))
    gamma, beta, dout = g.normal(size=D), g.normal(size=D), g.normal(size=(N, D))
    train = {"mode": "train"}
    dx, dgamma, dbeta = backward(dout, ref.batchnorm_forward(x, gamma, beta, dict(train))[1])
    assert dx.shape == (N, D) and dgamma.shape == (D,) and dbeta.shape == (D,)
    assert rel(dx, numerical_gradient_array(lambda v: ref.batchnorm_forward(v, gamma, beta, dict(train))[0], x, dout)) < 1e-8
    assert rel(dgamma, numerical_gradient_array(lambda v: ref.batchnorm_forward(x, v, beta, dict(train))[0], gamma, dout)) < 1e-8
    assert rel(dbeta, numerical_gradient_array(lambda v: ref.batchnorm_forward(x, gamma, v, dict(train))[0], beta, dout)) < 1e-8


def test_batchnorm_forward_statistics_and_running_averages():
    g = np.random.default_rng(3)
    x = g.normal(loc=[1.0, -2.0, 5.0], scale=[1.0, 3.0, 0.5], size=(4, 3))
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    bn_param = {"mode": "train", "momentum": 0.8, "running_mean": np.ones(3), "running_var": np.full(3, 2.0)}
    out, _ = ref.batchnorm_forward(x, gamma, beta, bn_param)
    assert rel(out.mean(axis=0), beta) < 1e-10
    assert rel(out.std(axis=0), gamma * np.sqrt(x.var(axis=0) / (x.var(axis=0) + 1e-5))) < 1e-10  # the biased variance
    assert rel(bn_param["running_mean"], 0.8 + 0.2 * x.mean(axis=0)) < 1e-12
    assert rel(bn_param["running_var"], 1.6 + 0.2 * x.var(axis=0)) < 1e-12
    bn_param["mode"] = "test"
    before = {k: bn_param[k].copy() for k in ("running_mean", "running_var")}
    out, _ = ref.batchnorm_forward(x, gamma, beta, bn_param)
    expected = gamma * (x - before["running_mean"]) / np.sqrt(before["running_var"] + 1e-5) + beta
    assert rel(out, expected) < 1e-12
    assert all(np.array_equal(before[k], bn_param[k]) for k in before)


# ------------------------------------------------------------------ dropout
def test_dropout_seeded_mask_is_the_stated_one_and_inverted():
    x = np.random.default_rng(4).uniform(1, 2, size=(300, 40))
    for p in (0.25, 0.8):
        out, cache = ref.dropout_forward(x, {"mode": "train", "p": p, "seed": 11})
        mask = np.random.default_rng(11).random(x.shape) < p
        assert np.array_equal(out != 0, mask)
        assert rel(out[mask], x[mask] / p) < 1e-12
        assert abs(mask.mean() - p) < 0.02
        dout = np.ones_like(x)
        assert rel(ref.dropout_backward(dout, cache), mask / p) < 1e-12
    out, cache = ref.dropout_forward(x, {"mode": "test", "p": 0.3, "seed": 11})
    assert np.array_equal(out, x)
    assert np.array_equal(ref.dropout_backward(x, cache), x)


# ------------------------------------------------------------------ the network
def net_numerical_gradient(model, X, y, key, h=1e-6):
    value = model.params[key]
    grad = np.zeros_like(value)
    for idx in np.ndindex(value.shape):
        old = value[idx]
        value[idx] = old + h
        plus = model.loss(X, y)[0]
        value[idx] = old - h
        minus = model.loss(X, y)[0]
        value[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


@pytest.mark.parametrize("options", [
    dict(normalization="batchnorm", reg=0.5),
    dict(dropout_keep_ratio=0.6),
    dict(normalization="batchnorm", dropout_keep_ratio=0.75, reg=0.1),
])
def test_fully_connected_net_gradients(options):
    g = np.random.default_rng(5)
    X, y = g.normal(size=(6, 5)), g.integers(0, 3, size=6)
    model = ref.FullyConnectedNet([7, 6], input_dim=5, num_classes=3, weight_scale=0.3, dtype=np.float64,
                                  seed=2, **options)
    expected_keys = {"W1", "b1", "W2", "b2", "W3", "b3"}
    if options.get("normalization"):
        expected_keys |= {"gamma1", "beta1", "gamma2", "beta2"}
        assert np.all(model.params["gamma2"] == 1) and model.params["gamma2"].shape == (6,)
    assert set(model.params) == expected_keys
    loss, grads = model.loss(X, y)
    assert set(grads) == expected_keys
    for key in sorted(grads):
        numeric = net_numerical_gradient(model, X, y, key)
        # b of a layer followed by batch norm has gradient 0, where centred differences leave ~1e-10 of rounding
        assert np.all(np.abs(grads[key] - numeric) <= 1e-8 + 1e-6 * np.abs(numeric)), key
    assert model.loss(X).shape == (6, 3)


def test_fully_connected_net_test_mode_is_dropout_free_and_uses_running_statistics():
    g = np.random.default_rng(6)
    X, y = g.normal(size=(8, 4)), g.integers(0, 3, size=8)
    with_dropout = ref.FullyConnectedNet([5], input_dim=4, num_classes=3, dropout_keep_ratio=0.5, dtype=np.float64, seed=0)
    plain = ref.FullyConnectedNet([5], input_dim=4, num_classes=3, dtype=np.float64)
    plain.params = {k: v.copy() for k, v in with_dropout.params.items()}
    assert rel(with_dropout.loss(X), plain.loss(X)) < 1e-12
    assert abs(with_dropout.loss(X, y)[0] - plain.loss(X, y)[0]) > 1e-6
    bn = ref.FullyConnectedNet([5], input_dim=4, num_classes=3, normalization="batchnorm", dtype=np.float64, seed=0)
    bn.loss(X, y)
    assert bn.bn_params[0]["mode"] == "train" and "running_mean" in bn.bn_params[0]
    scores = bn.loss(X[:1])  # one sample: only the running statistics can normalize it
    assert bn.bn_params[0]["mode"] == "test" and np.all(np.isfinite(scores))


def test_hw3_layer_copies_agree_with_hw3s_reference():
    g = np.random.default_rng(7)
    x, w, b, dout = g.normal(size=(3, 2, 2)), g.normal(size=(4, 5)), g.normal(size=5), g.normal(size=(3, 5))
    for name in ("affine_relu_forward", "affine_forward"):
        mine, theirs = getattr(_hw3_layers, name)(x, w, b), getattr(hw3, name)(x, w, b)
        assert rel(mine[0], theirs[0]) == 0
        for got, expected in zip(getattr(_hw3_layers, name.replace("forward", "backward"))(dout, mine[1]),
                                 getattr(hw3, name.replace("forward", "backward"))(dout, theirs[1])):
            assert rel(got, expected) == 0
    scores, labels = g.normal(size=(6, 4)), g.integers(0, 4, size=6)
    assert _hw3_layers.softmax_loss(scores, labels)[0] == hw3.softmax_loss(scores, labels)[0]


# ------------------------------------------------------------------ support files
@pytest.mark.parametrize("name", ["solver.py", "gradient_check.py", "data_utils.py", "digits.npz"])
def test_support_files_are_hw3s(name):
    path = HW4 / name
    assert path.is_symlink() and not Path(path.readlink()).is_absolute()
    assert path.resolve() == (ROOT / "assignments" / "hw3" / name).resolve()


def test_solver_trains_with_a_students_own_update_rule():
    """The notebook passes its update rules to the Solver as functions; the loss falls with each."""
    solver_module = load_support("solver")
    g = np.random.default_rng(8)
    X = g.normal(size=(200, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    data = {"X_train": X[:150], "y_train": y[:150], "X_val": X[150:], "y_val": y[150:]}
    for rule, learning_rate in ((ref.sgd_momentum, 1e-1), (ref.adam, 1e-2)):
        model = ref.FullyConnectedNet([10], input_dim=6, num_classes=2, weight_scale=0.1, seed=0)
        solver = solver_module.Solver(model, data, update_rule=rule, optim_config={"learning_rate": learning_rate},
                                      num_epochs=10, batch_size=50, verbose=False, seed=0)
        solver.train()
        assert np.mean(solver.loss_history[-3:]) < 0.6 * solver.loss_history[0]
        assert solver.best_val_acc > 0.8


def test_release_and_gradescope_zip_ship_the_support_files(tmp_path):
    from autograder.assignment import load_assignment
    from autograder.gradescope.build import zip_entries
    from autograder.release import release, release_notebook

    assignment = load_assignment("hw4", ROOT / "course.yaml")
    folder = release(assignment, tmp_path)
    entries = zip_entries(assignment, release_notebook(assignment))
    for name in ("solver.py", "gradient_check.py", "data_utils.py", "digits.npz"):
        content = (ROOT / "assignments" / "hw3" / name).resolve().read_bytes()
        shipped = folder / name
        assert not shipped.is_symlink() and shipped.read_bytes() == content
        assert entries[f"assignments/hw4/{name}"][0] == content
    # the reference the zip's grader imports is self-contained: only reference/hw4 is shipped
    assert "reference/hw4/_hw3_layers.py" in entries
    assert not any(name.startswith("reference/hw3/") for name in entries)
