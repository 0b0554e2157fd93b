"""HW3: the reference agrees with CS231n's published figures and with numerical
gradients; the support files students get work as documented; the hidden suite
gives nothing to code that computes nothing; the optional question is 20 points.

CS231n's figures (assignment 2, "FullyConnectedNets"):

* affine_forward on linspace inputs: x (2, 4, 5, 6) from -0.1 to 0.5, w (120, 3)
  from -0.2 to 0.3, b (3,) from -0.3 to 0.1.
* TwoLayerNet with N, D, H, C = 3, 5, 50, 7, every parameter a linspace,
  X = linspace(-5.5, 4.5, N*D).reshape(D, N).T, y = [0, 5, 1]: loss 3.4702243556
  without regularization and 26.5948426952 with reg = 1.0.
* relu_forward on linspace(-0.5, 0.5, 12).reshape(3, 4), and the losses of
  0.001 * randn(50, 10) scores after np.random.seed(231) (softmax about log 10,
  SVM about 9).
"""

from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import pytest

import reference.hw3 as ref
from tests.conftest import ROOT

HW3 = ROOT / "assignments" / "hw3"

AFFINE_FIGURE = np.array([[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]])
TWO_LAYER_SCORES = np.array([
    [11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
    [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
    [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319],
])
TWO_LAYER_LOSS = {0.0: 3.4702243556, 1.0: 26.5948426952}
RELU_FIGURE = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.04545455, 0.13636364],
                        [0.22727273, 0.31818182, 0.40909091, 0.5]])


def load_support(name: str):
    """A support file of assignments/hw3 as a module (as a student's notebook imports it)."""
    spec = importlib.util.spec_from_file_location(f"hw3_support_{name}", HW3 / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


# ------------------------------------------------------------------ published figures
def test_affine_forward_reproduces_the_linspace_figure():
    x = np.linspace(-0.1, 0.5, num=240).reshape(2, 4, 5, 6)
    w = np.linspace(-0.2, 0.3, num=360).reshape(120, 3)
    b = np.linspace(-0.3, 0.1, num=3)
    out, _ = ref.affine_forward(x, w, b)
    assert out.shape == (2, 3)
    assert rel(out, AFFINE_FIGURE) < 1e-8


def linspace_two_layer(reg: float) -> ref.TwoLayerNet:
    N, D, H, C = 3, 5, 50, 7
    model = ref.TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=1e-3, reg=reg)
    model.params["W1"] = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
    model.params["b1"] = np.linspace(-0.1, 0.9, num=H)
    model.params["W2"] = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
    model.params["b2"] = np.linspace(-0.9, 0.1, num=C)
    return model


LINSPACE_X = np.linspace(-5.5, 4.5, num=15).reshape(5, 3).T


@pytest.mark.parametrize("reg", [0.0, 1.0])
def test_two_layer_net_reproduces_the_linspace_losses(reg):
    model = linspace_two_layer(reg)
    assert rel(model.loss(LINSPACE_X), TWO_LAYER_SCORES) < 1e-8
    loss, grads = model.loss(LINSPACE_X, np.array([0, 5, 1]))
    assert abs(loss - TWO_LAYER_LOSS[reg]) < 1e-10
    assert {k: v.shape for k, v in grads.items()} == {k: v.shape for k, v in model.params.items()}


def test_the_linspace_case_pins_the_conventions():
    """The figures fail for the usual slips: the reg term without 0.5, or with the biases."""
    model = linspace_two_layer(1.0)
    loss, _ = model.loss(LINSPACE_X, np.array([0, 5, 1]))
    weights = np.sum(model.params["W1"] ** 2) + np.sum(model.params["W2"] ** 2)
    biases = np.sum(model.params["b1"] ** 2) + np.sum(model.params["b2"] ** 2)
    assert abs((loss + 0.5 * weights) - TWO_LAYER_LOSS[1.0]) > 1e-3
    assert abs((loss + 0.5 * biases) - TWO_LAYER_LOSS[1.0]) > 1e-3


def test_relu_and_losses_reproduce_cs231n_figures():
    assert rel(ref.relu_forward(np.linspace(-0.5, 0.5, num=12).reshape(3, 4))[0], RELU_FIGURE) < 1e-6
    np.random.seed(231)
    x = 0.001 * np.random.randn(50, 10)
    y = np.random.randint(10, size=50)
    assert abs(ref.softmax_loss(x, y)[0] - 2.3025458) < 1e-6
    assert abs(ref.svm_loss(x, y)[0] - 8.9996027) < 1e-6


# ------------------------------------------------------------------ numerical gradients
def numerical_gradient_array(f, x, df, h=1e-6):
    """Centred differences of sum(f(x) * df) with respect to x (independent of gradient_check.py)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = np.sum(f(x) * df)
        x[idx] = old - h
        minus = np.sum(f(x) * df)
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def test_layer_gradients_match_numerical_gradients():
    g = np.random.default_rng(0)
    x, w, b = g.normal(size=(4, 2, 3)), g.normal(size=(6, 5)), g.normal(size=5)
    dout = g.normal(size=(4, 5))
    for forward, backward in ((ref.affine_forward, ref.affine_backward),
                              (ref.affine_relu_forward, ref.affine_relu_backward)):
        _, cache = forward(x, w, b)
        dx, dw, db = backward(dout, cache)
        assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
        assert rel(dx, numerical_gradient_array(lambda v: forward(v, w, b)[0], x, dout)) < 1e-7
        assert rel(dw, numerical_gradient_array(lambda v: forward(x, v, b)[0], w, dout)) < 1e-7
        assert rel(db, numerical_gradient_array(lambda v: forward(x, w, v)[0], b, dout)) < 1e-7
    xr, dr = g.normal(size=(3, 4, 2)), g.normal(size=(3, 4, 2))
    dx = ref.relu_backward(dr, ref.relu_forward(xr)[1])
    assert rel(dx, numerical_gradient_array(lambda v: ref.relu_forward(v)[0], xr, dr)) < 1e-7


@pytest.mark.parametrize("name", ["softmax_loss", "svm_loss"])
def test_loss_gradients_match_numerical_gradients(name):
    g = np.random.default_rng(1)
    x, y = g.normal(size=(7, 5)), g.integers(0, 5, size=7)
    loss_fn = getattr(ref, name)
    _, dx = loss_fn(x, y)
    assert rel(dx, numerical_gradient_array(lambda v: np.array(loss_fn(v, y)[0]), x, np.array(1.0))) < 1e-7


@pytest.mark.parametrize("hidden_dims, reg", [([6], 0.0), ([6], 0.9), ([5, 4, 3], 0.4)])
def test_network_gradients_match_numerical_gradients(hidden_dims, reg):
    g = np.random.default_rng(2)
    X, y = g.normal(size=(5, 2, 3)), g.integers(0, 4, size=5)
    nets = [ref.FullyConnectedNet(hidden_dims, input_dim=6, num_classes=4, reg=reg, weight_scale=0.5,
                                  dtype=np.float64, seed=3)]
    if len(hidden_dims) == 1:
        nets.append(ref.TwoLayerNet(input_dim=6, hidden_dim=hidden_dims[0], num_classes=4, weight_scale=0.5, reg=reg))
    for net in nets:
        for key in net.params:
            net.params[key] = net.params[key] + 0.1 * g.normal(size=net.params[key].shape)  # non-zero biases
        _, grads = net.loss(X, y)
        for key, value in net.params.items():
            def f(v, key=key):
                saved = net.params[key]
                net.params[key] = v
                try:
                    return np.array(net.loss(X, y)[0])
                finally:
                    net.params[key] = saved
            numerical = numerical_gradient_array(f, value, np.array(1.0), h=1e-5)
            np.testing.assert_allclose(grads[key], numerical, rtol=1e-6, atol=1e-8, err_msg=key)


def test_fully_connected_net_with_one_hidden_layer_is_the_two_layer_net():
    two = ref.TwoLayerNet(input_dim=8, hidden_dim=5, num_classes=3, reg=0.3)
    fc = ref.FullyConnectedNet([5], input_dim=8, num_classes=3, reg=0.3, dtype=np.float64)
    fc.params = {k: v.copy() for k, v in two.params.items()}
    g = np.random.default_rng(4)
    X, y = g.normal(size=(6, 8)), g.integers(0, 3, size=6)
    loss_two, grads_two = two.loss(X, y)
    loss_fc, grads_fc = fc.loss(X, y)
    assert abs(loss_two - loss_fc) < 1e-12
    for key in grads_two:
        np.testing.assert_allclose(grads_fc[key], grads_two[key], rtol=1e-12, atol=1e-14)


def test_reference_initialisation_statistics_and_dtype():
    fc = ref.FullyConnectedNet([300, 200], input_dim=100, num_classes=50, weight_scale=0.02, seed=0)
    assert sorted(fc.params) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert all(v.dtype == np.float32 for v in fc.params.values())
    for key in ("W1", "W2", "W3"):
        assert abs(np.std(fc.params[key]) / 0.02 - 1) < 0.05
    assert all(np.all(fc.params[k] == 0) for k in ("b1", "b2", "b3"))


# ------------------------------------------------------------------ support files
def test_gradient_check_agrees_with_analytic_gradients():
    gc = load_support("gradient_check")
    g = np.random.default_rng(5)
    x = g.normal(size=(3, 4))
    before = x.copy()
    grad = gc.eval_numerical_gradient(lambda v: float(np.sum(v ** 3)), x, verbose=False)
    assert gc.rel_error(grad, 3 * x ** 2) < 1e-8
    np.testing.assert_array_equal(x, before)  # restored after the perturbations
    df = g.normal(size=(3, 4))
    grad = gc.eval_numerical_gradient_array(np.sin, x, df)
    assert gc.rel_error(grad, np.cos(x) * df) < 1e-8
    assert gc.rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert abs(gc.rel_error(np.array([1.0]), np.array([3.0])) - 0.5) < 1e-15
    assert gc.rel_error(0.0, 1e-12) == pytest.approx(1e-4)  # the 1e-8 floor


def solver_data(seed: int = 6):
    g = np.random.default_rng(seed)
    X = g.normal(size=(300, 2, 3))
    y = (X.reshape(300, -1) @ g.normal(size=(6, 3))).argmax(axis=1)
    return {"X_train": X[:200], "y_train": y[:200], "X_val": X[200:], "y_val": y[200:]}


def test_solver_trains_and_keeps_the_best_parameters():
    solver_module = load_support("solver")
    data = solver_data()
    model = ref.TwoLayerNet(input_dim=6, hidden_dim=20, num_classes=3, weight_scale=0.1)
    solver = solver_module.Solver(model, data, optim_config={"learning_rate": 0.5}, lr_decay=0.9, num_epochs=8,
                                  batch_size=50, verbose=False, seed=0)
    solver.train()
    assert len(solver.loss_history) == 8 * (200 // 50)
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 8 + 1
    assert solver.loss_history[-1] < solver.loss_history[0]
    assert solver.best_val_acc == max(solver.val_acc_history) > 0.8
    assert solver.check_accuracy(data["X_val"], data["y_val"]) == pytest.approx(solver.best_val_acc)
    assert all(np.array_equal(model.params[k], solver.best_params[k]) for k in model.params)
    assert solver.optim_configs["W1"]["learning_rate"] == pytest.approx(0.5 * 0.9 ** 8)


def test_solver_takes_update_rules_by_function_or_registered_name():
    """HW4 adds its own rules: as a function, or under a name in UPDATE_RULES; unknown names say what to do."""
    solver_module = load_support("solver")
    calls = []

    def halving(w, dw, config=None):
        config = config if config is not None else {}
        calls.append(config.get("learning_rate"))
        w -= 0.5 * config.get("learning_rate", 1e-2) * dw  # in place, then returned: real student style
        return w, config

    data = solver_data(7)
    model = ref.TwoLayerNet(input_dim=6, hidden_dim=4, num_classes=3, weight_scale=0.1)
    solver_module.Solver(model, data, update_rule=halving, optim_config={"learning_rate": 0.1}, num_epochs=1,
                         batch_size=100, verbose=False, seed=0).train()
    assert len(calls) == 2 * len(model.params)
    solver_module.UPDATE_RULES["halving"] = halving
    try:
        solver_module.Solver(model, data, update_rule="halving", num_epochs=1, batch_size=200, verbose=False).train()
        assert len(calls) == 3 * len(model.params)
    finally:
        del solver_module.UPDATE_RULES["halving"]
    with pytest.raises(ValueError, match=r'unknown update_rule "adam".*UPDATE_RULES\["adam"\]'):
        solver_module.Solver(model, data, update_rule="adam")


def test_data_utils_is_hw2s_loader():
    """One loader for HW2 and HW3: the symlink resolves (the release copies its content)."""
    link = HW3 / "data_utils.py"
    assert link.is_symlink() and link.resolve() == (ROOT / "assignments" / "hw2" / "data_utils.py").resolve()


def test_release_and_gradescope_zip_ship_the_support_files_content(assignments, tmp_path):
    """Students and Gradescope get files, never a link that dangles outside the course."""
    from autograder.gradescope.build import zip_entries
    from autograder.release import release, release_notebook

    assignment = assignments["hw3"]
    folder = release(assignment, tmp_path)
    entries = zip_entries(assignment, release_notebook(assignment))
    for name in ("data_utils.py", "digits.npz", "solver.py", "gradient_check.py"):
        content = (HW3 / name).read_bytes()
        shipped = folder / name
        assert shipped.is_file() and not shipped.is_symlink() and shipped.read_bytes() == content
        assert entries[f"assignments/hw3/{name}"][0] == content


# ------------------------------------------------------------------ the suite's rules
def test_fully_connected_net_is_the_twenty_point_optional_question(assignments):
    """The optional question for C147: its tests carry task("FullyConnectedNet") and 20 points in all,
    the notebook's test cell says 20, and its markdown says optional for C147, required for C247."""
    from autograder.grading import UnreadableSubmission, run_suite

    outcomes = run_suite(assignments["hw3"], UnreadableSubmission("x")).outcomes
    fc = [o for o in outcomes if o.task == "FullyConnectedNet"]
    assert len(fc) >= 3 and sum(o.max_score for o in fc) == 20
    assert sum(o.max_score for o in outcomes) == 100
    cells = json.loads((HW3 / "hw3.ipynb").read_text())["cells"]
    test_cell = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == "test_FullyConnectedNet"]
    assert test_cell and test_cell[0]["metadata"]["nbgrader"]["points"] == 20
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert "optional for C147" in text and "required for C247" in text


@pytest.mark.parametrize("kind", ["none", "zeros", "first_argument"])
def test_code_that_computes_nothing_earns_nothing(kind, assignments, grade):
    from autograder.samples import do_nothing_submission

    result = grade(assignments["hw3"], do_nothing_submission(assignments["hw3"], kind))
    assert result.max_score == 100
    assert result.score == 0, [(t.name, t.score) for t in result.tests if t.score]


def test_each_function_that_computes_nothing_loses_its_own_points(assignments, perfect_notebooks, grade):
    """One function at a time returns its first argument (the sneakiest way to compute nothing):
    its task's tests all fail, whatever the rest of the notebook does."""
    from autograder.samples import do_nothing_source, solution_sources

    sources = solution_sources(assignments["hw3"])
    replaced = {gid: do_nothing_source(src, "first_argument") for gid, src in sources.items()
                if gid in ("relu_backward", "affine_relu_forward", "TwoLayerNet", "FullyConnectedNet")}
    from autograder.samples import with_cells

    for gid, source in replaced.items():
        result = grade(assignments["hw3"], with_cells(perfect_notebooks["hw3"], {gid: source}))
        assert all(t.score == 0 for t in result.tests if t.task == gid), gid
