"""Hidden tests for HW3: fully connected layers, losses, a two-layer net and a net of any depth.

Run while authoring (the reference must score 100 %):

    .venv/bin/python -m pytest -p autograder.pytest_plugin --student-module reference.hw3 reference/hw3/test_hw3.py -q

Points per task (each equals the ``points`` of the notebook's test cell):

    affine_forward 6, affine_backward 10, relu_forward 4, relu_backward 6,
    affine_relu_forward 4, affine_relu_backward 6, softmax_loss 12, svm_loss 10,
    TwoLayerNet 22, FullyConnectedNet 20 (optional for C147)      total 100

How the suite stays fair to every correct implementation:

* A cache is only ever passed back to the student's own backward pass: the
  test never looks inside it, so tuples of any length, dicts, or objects all work.
* One bug costs its points once: a backward pass earns its points when it
  matches the reference's gradient, or the gradient of the student's own
  forward pass where that forward is wrong (``assert_backward``), so a wrong
  ``relu_forward`` does not also cost a correct ``relu_backward``.
* Inputs are copied into the student process, so changing them in place
  (``x -= x.max(...)`` in a softmax, ``dout[x <= 0] = 0`` in a ReLU) is correct
  and never checked.
* Weight initialisation is tested by statistics (the standard deviation and
  mean of each weight matrix, biases exactly zero), never by values, so any
  generator works; legacy ``np.random`` is seeded first so scores repeat.
* Networks are tested with parameters the test sets (``net.params.update``),
  so the random start does not matter; ``FullyConnectedNet`` gradient tests
  use ``dtype=np.float64``.
* Constructors are called with keyword arguments only (CS231n's
  ``FullyConnectedNet`` puts dropout and normalisation options before ``reg``).

Every input comes from a fixed seed and is small (a few ms per test). Random
scores and pre-activations have both signs (so a ReLU mask from ``dout``, a
ReLU after the last layer, or ``relu_backward`` returning ``dout`` fail), and
biases are non-zero (so regularising them shows).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograder.testing import assert_backward, assert_close, assert_shape, assert_true, describe, rng

points = pytest.mark.points
task = pytest.mark.task
visible = pytest.mark.visible

FLOAT32_TOL = 1e-4
TOL = 1e-6

# Helpers evaluated inside the student process (student.define).
SET_PARAMS = "lambda net, params: net.params.update(params)"
SEED_NUMPY = "lambda seed: __import__('numpy').random.seed(seed)"
MAKE_NET_WITH_DTYPE = "lambda cls, hidden_dims, dtype, **kw: cls(hidden_dims, dtype=getattr(__import__('numpy'), dtype), **kw)"


def shape_str(*arrays) -> str:
    return ", ".join(str(tuple(np.shape(a))) for a in arrays)


def unpack(result: Any, count: int, call: str) -> list:
    """The student's tuple result as a list of `count` items, or a helpful failure."""
    assert_true(
        isinstance(result, (tuple, list)) and len(result) == count,
        f"{call}: expected a tuple of {count} values, got {describe(result)}.",
    )
    return list(result)


def kwargs_str(**kw) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kw.items())


# =====================================================================
# affine_forward  (6 points)
# =====================================================================
def check_affine_forward(student, reference, x, w, b, tol=TOL, note=""):
    call = f"affine_forward(x {shape_str(x)}, w {shape_str(w)}, b {shape_str(b)}){note}"
    out, _ = unpack(student.affine_forward(x, w, b), 2, call)
    expected, _ = reference.affine_forward(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64))
    assert_close(out, expected, call=call, what="out", tol=tol)


@visible
@task("affine_forward")
@points(2)
def test_affine_forward_linspace(student, reference):
    """affine_forward on CS231n's linspace case: x (2, 4, 5, 6), w (120, 3), b (3,)."""
    x = np.linspace(-0.1, 0.5, num=240).reshape(2, 4, 5, 6)
    w = np.linspace(-0.2, 0.3, num=360).reshape(120, 3)
    b = np.linspace(-0.3, 0.1, num=3)
    check_affine_forward(student, reference, x, w, b)


@task("affine_forward")
@points(2)
def test_affine_forward_random(student, reference):
    """affine_forward with a 2-D x (7, 5) and with a 4-D x (3, 2, 3, 4) flattened to rows of 24."""
    g = rng(101)
    check_affine_forward(student, reference, g.normal(size=(7, 5)), g.normal(size=(5, 4)), g.normal(size=4))
    check_affine_forward(student, reference, g.normal(size=(3, 2, 3, 4)), g.normal(size=(24, 6)), g.normal(size=6))


@task("affine_forward")
@points(2)
def test_affine_forward_edge_cases(student, reference):
    """affine_forward with one sample and one output, with integer x, and in float32."""
    g = rng(102)
    check_affine_forward(student, reference, g.normal(size=(1, 3)), g.normal(size=(3, 1)), g.normal(size=1))
    check_affine_forward(student, reference, g.integers(-5, 6, size=(4, 2, 3)), g.normal(size=(6, 3)),
                         g.normal(size=3), note=" with integer x")
    check_affine_forward(student, reference, g.normal(size=(5, 3, 2)).astype(np.float32),
                         g.normal(size=(6, 4)).astype(np.float32), g.normal(size=4).astype(np.float32),
                         tol=FLOAT32_TOL, note=" in float32")


# =====================================================================
# affine_backward  (10 points)
# =====================================================================
def check_affine_backward(student, reference, x, w, b, dout, tol=TOL, note=""):
    x64, w64, b64 = (a.astype(np.float64) for a in (x, w, b))
    ref_out, ref_cache = reference.affine_forward(x64, w64, b64)
    assert_backward(student, "affine_forward", "affine_backward", (x, w, b), dout,
                    reference.affine_backward(dout.astype(np.float64), ref_cache), expected_out=ref_out,
                    wrt=(0, 1, 2), names=("dx", "dw", "db"), tol=tol,
                    call=f"affine_forward(x {shape_str(x)}, w {shape_str(w)}, b {shape_str(b)}){note}")


@visible
@task("affine_backward")
@points(3)
def test_affine_backward_small(student, reference):
    """affine_backward for x (10, 2, 3), w (6, 5), b (5,), dout (10, 5): dx (10, 2, 3), dw (6, 5), db (5,)."""
    g = rng(111)
    check_affine_backward(student, reference, g.normal(size=(10, 2, 3)), g.normal(size=(6, 5)),
                          g.normal(size=5), g.normal(size=(10, 5)))


@task("affine_backward")
@points(3)
def test_affine_backward_many_dims(student, reference):
    """affine_backward for a 4-D x (4, 2, 3, 2): dx must have x's shape, not (4, 12)."""
    g = rng(112)
    check_affine_backward(student, reference, g.normal(size=(4, 2, 3, 2)), g.normal(size=(12, 7)),
                          g.normal(size=7), g.normal(size=(4, 7)))


@task("affine_backward")
@points(2)
def test_affine_backward_edge_cases(student, reference):
    """affine_backward with one sample, one input and three outputs; and with a 2-D x (9, 4)."""
    g = rng(113)
    check_affine_backward(student, reference, g.normal(size=(1, 1)), g.normal(size=(1, 3)),
                          g.normal(size=3), g.normal(size=(1, 3)))
    check_affine_backward(student, reference, g.normal(size=(9, 4)), g.normal(size=(4, 2)),
                          g.normal(size=2), g.normal(size=(9, 2)))


@task("affine_backward")
@points(2)
def test_affine_backward_float32(student, reference):
    """affine_backward in float32 (x (6, 5), w (5, 3), dout (6, 3))."""
    g = rng(114)
    arrays = [g.normal(size=s).astype(np.float32) for s in ((6, 5), (5, 3), (3,), (6, 3))]
    check_affine_backward(student, reference, *arrays, tol=FLOAT32_TOL, note=" in float32")


# =====================================================================
# relu_forward  (4 points), relu_backward  (6 points)
# =====================================================================
def check_relu_forward(student, reference, x):
    call = f"relu_forward(x {shape_str(x)})"
    out, _ = unpack(student.relu_forward(x), 2, call)
    assert_close(out, reference.relu_forward(x)[0], call=call, what="out", tol=TOL)


def check_relu_backward(student, reference, x, dout):
    ref_out, ref_cache = reference.relu_forward(x)
    assert_backward(student, "relu_forward", "relu_backward", (x,), dout, reference.relu_backward(dout, ref_cache),
                    expected_out=ref_out, wrt=(0,), names=("dx",), call=f"relu_forward(x {shape_str(x)})")


@visible
@task("relu_forward")
@points(2)
def test_relu_forward_linspace(student, reference):
    """relu_forward on 12 values from -0.5 to 0.5, shape (3, 4)."""
    check_relu_forward(student, reference, np.linspace(-0.5, 0.5, num=12).reshape(3, 4))


@task("relu_forward")
@points(2)
def test_relu_forward_random(student, reference):
    """relu_forward on a 4-D x (2, 3, 4, 5) and a 1-D x (7,), both with negative entries."""
    g = rng(121)
    check_relu_forward(student, reference, g.normal(size=(2, 3, 4, 5)))
    check_relu_forward(student, reference, g.normal(size=7))


@visible
@task("relu_backward")
@points(3)
def test_relu_backward_small(student, reference):
    """relu_backward for x (10, 10) with both signs and an upstream dout of both signs."""
    g = rng(122)
    check_relu_backward(student, reference, g.normal(size=(10, 10)), g.normal(size=(10, 10)))


@task("relu_backward")
@points(3)
def test_relu_backward_shapes(student, reference):
    """relu_backward for a 4-D x (2, 3, 2, 4) and a (1, 6) x, dout of both signs."""
    g = rng(123)
    check_relu_backward(student, reference, g.normal(size=(2, 3, 2, 4)), g.normal(size=(2, 3, 2, 4)))
    check_relu_backward(student, reference, g.normal(size=(1, 6)), g.normal(size=(1, 6)))


# =====================================================================
# affine_relu_forward  (4 points), affine_relu_backward  (6 points)
# =====================================================================
def check_affine_relu_forward(student, reference, x, w, b):
    call = f"affine_relu_forward(x {shape_str(x)}, w {shape_str(w)}, b {shape_str(b)})"
    out, _ = unpack(student.affine_relu_forward(x, w, b), 2, call)
    assert_close(out, reference.affine_relu_forward(x, w, b)[0], call=call, what="out", tol=TOL)


def check_affine_relu_backward(student, reference, x, w, b, dout):
    ref_out, ref_cache = reference.affine_relu_forward(x, w, b)
    assert_backward(student, "affine_relu_forward", "affine_relu_backward", (x, w, b), dout,
                    reference.affine_relu_backward(dout, ref_cache), expected_out=ref_out, wrt=(0, 1, 2),
                    names=("dx", "dw", "db"),
                    call=f"affine_relu_forward(x {shape_str(x)}, w {shape_str(w)}, b {shape_str(b)})")


@visible
@task("affine_relu_forward")
@points(2)
def test_affine_relu_forward_small(student, reference):
    """affine_relu_forward for x (2, 3, 4), w (12, 10), b (10,): some outputs are clipped to 0."""
    g = rng(131)
    check_affine_relu_forward(student, reference, g.normal(size=(2, 3, 4)), g.normal(size=(12, 10)),
                              g.normal(size=10))


@task("affine_relu_forward")
@points(2)
def test_affine_relu_forward_shapes(student, reference):
    """affine_relu_forward for a 2-D x (6, 5) and a 4-D x (3, 2, 2, 2)."""
    g = rng(132)
    check_affine_relu_forward(student, reference, g.normal(size=(6, 5)), g.normal(size=(5, 4)), g.normal(size=4))
    check_affine_relu_forward(student, reference, g.normal(size=(3, 2, 2, 2)), g.normal(size=(8, 3)),
                              g.normal(size=3))


@visible
@task("affine_relu_backward")
@points(3)
def test_affine_relu_backward_small(student, reference):
    """affine_relu_backward for x (2, 3, 4), w (12, 10), b (10,), dout (2, 10)."""
    g = rng(133)
    check_affine_relu_backward(student, reference, g.normal(size=(2, 3, 4)), g.normal(size=(12, 10)),
                               g.normal(size=10), g.normal(size=(2, 10)))


@task("affine_relu_backward")
@points(3)
def test_affine_relu_backward_shapes(student, reference):
    """affine_relu_backward for a 2-D x (7, 5) and a 4-D x (3, 2, 2, 2): dx has x's shape."""
    g = rng(134)
    check_affine_relu_backward(student, reference, g.normal(size=(7, 5)), g.normal(size=(5, 4)),
                               g.normal(size=4), g.normal(size=(7, 4)))
    check_affine_relu_backward(student, reference, g.normal(size=(3, 2, 2, 2)), g.normal(size=(8, 6)),
                               g.normal(size=6), g.normal(size=(3, 6)))


# =====================================================================
# softmax_loss  (12 points), svm_loss  (10 points)
# =====================================================================
def check_loss(student, reference, name, x, y, tol=TOL, note=""):
    call = f"{name}(x {shape_str(x)}, y {shape_str(y)}){note}"
    loss, dx = unpack(getattr(student, name)(x, y), 2, call)
    ref_loss, ref_dx = getattr(reference, name)(x.astype(np.float64), y)
    assert_close(loss, np.float64(ref_loss), call=call, what="the loss", tol=tol)
    assert_close(dx, ref_dx, call=call, what="dx", tol=tol)


def scores(seed, N, C, scale=1.0, labels=None):
    g = rng(seed)
    x = scale * g.normal(size=(N, C))
    y = g.integers(0, C, size=N) if labels is None else np.asarray(labels)
    return x, y


def per_loss(points_each: float, visible_too: bool = False):
    params = []
    for name in ("softmax_loss", "svm_loss"):
        marks = [task(name), points(points_each)] + ([visible] if visible_too else [])
        params.append(pytest.param(name, marks=marks, id=name))
    return pytest.mark.parametrize("name", params)


@per_loss(3, visible_too=True)
def test_loss_small(student, reference, name):
    """The loss and dx for 4 samples and 3 classes."""
    x, y = scores(141, 4, 3)
    check_loss(student, reference, name, x, y)


@per_loss(4)
def test_loss_random(student, reference, name):
    """The loss and dx for 50 samples and 10 classes, small scores (CS231n's sanity-check size)."""
    x, y = scores(142, 50, 10, scale=0.5)
    check_loss(student, reference, name, x, y)


@per_loss(3)
def test_loss_edge_cases(student, reference, name):
    """One sample and two classes; 7 samples over 10 classes with several classes absent; float32 scores."""
    x, y = scores(143, 1, 2, labels=[1])
    check_loss(student, reference, name, x, y)
    x, y = scores(144, 7, 10, scale=2.0, labels=[0, 0, 0, 0, 9, 3, 0])
    check_loss(student, reference, name, x, y)
    x, y = scores(145, 6, 4)
    check_loss(student, reference, name, x.astype(np.float32), y, tol=FLOAT32_TOL, note=" with float32 x")


@task("softmax_loss")
@points(2)
def test_softmax_loss_large_scores(student, reference):
    """softmax_loss stays finite and correct when every score is near 1000 (subtract each row's largest score)."""
    x, y = scores(146, 6, 5)
    check_loss(student, reference, "softmax_loss", x + 1000.0, y, note=" with every score near 1000")


# =====================================================================
# TwoLayerNet  (22 points)
# =====================================================================
def set_params(student, net, params: dict[str, np.ndarray], call: str) -> None:
    """Put the test's parameters into the student's net (its own `params` dict)."""
    current = net.params  # a copy: only its keys are used, to say clearly what __init__ left out
    assert_true(isinstance(current, dict),
                f"{call}: self.params should be a dict of arrays made in __init__, got {describe(current)}.")
    missing = [k for k in params if k not in current]
    assert_true(not missing, f"{call}: after __init__, self.params has no {', '.join(missing)} "
                             f"(keys found: {sorted(map(str, current))}).")
    student.define(SET_PARAMS)(net, params)


def check_init_statistics(params: Any, expected_shapes: dict[str, tuple[int, ...]], weight_scale: float,
                          call: str, dtype: Any = None) -> None:
    """Weights ~ N(0, weight_scale^2) by their sample statistics; biases exactly zero."""
    assert_true(isinstance(params, dict), f"{call}: `params` should be a dict, got {describe(params)}.")
    missing = [k for k in expected_shapes if k not in params]
    assert_true(not missing, f"{call}: `params` has no {', '.join(missing)} (keys found: {sorted(map(str, params))}).")
    for key, shape in expected_shapes.items():
        value = assert_shape(params[key], shape, call=call, what=f"params['{key}']")
        if dtype is not None:
            assert_true(value.dtype == np.dtype(dtype),
                        f"{call}: params['{key}'] has dtype {value.dtype}, expected {np.dtype(dtype)} (the `dtype` argument).")
        value = value.astype(np.float64)
        if key.startswith("b"):
            assert_true(np.all(value == 0), f"{call}: params['{key}'] should start as zeros.")
            continue
        n = value.size
        std, mean = float(np.std(value)), float(np.mean(value))
        assert_true(abs(std / weight_scale - 1) < 0.15,
                    f"{call}: params['{key}'] has standard deviation {std:.3g}; weights should be drawn from "
                    f"N(0, weight_scale^2), i.e. have standard deviation close to weight_scale = {weight_scale:g}.")
        assert_true(abs(mean) < 6 * weight_scale / np.sqrt(n),
                    f"{call}: params['{key}'] has mean {mean:.3g}; weights should be drawn from a normal "
                    f"distribution with mean 0 (e.g. weight_scale * np.random.randn(...)).")


def random_params(seed: int, dims: list[int], scale: float = 0.5) -> dict[str, np.ndarray]:
    """W1..WL, b1..bL for layer sizes dims; weights of both signs and non-zero biases."""
    g = rng(seed)
    params = {}
    for i in range(len(dims) - 1):
        params[f"W{i + 1}"] = scale * g.normal(size=(dims[i], dims[i + 1])) / np.sqrt(dims[i])
        params[f"b{i + 1}"] = 0.3 * g.normal(size=dims[i + 1])
    return params


def check_net(student, reference, net, ref_net, X, y, call: str, tol: float = TOL) -> None:
    """scores = net.loss(X), then (loss, grads) = net.loss(X, y), against the reference net."""
    N = X.shape[0]
    scores_call = f"{call}.loss(X {shape_str(X)})"
    got_scores = net.loss(X)
    assert_close(got_scores, ref_net.loss(X), call=scores_call, what="the scores", tol=tol)
    if y is None:
        return
    loss_call = f"{call}.loss(X {shape_str(X)}, y ({N},))"
    loss, grads = unpack(net.loss(X, y), 2, loss_call)
    ref_loss, ref_grads = ref_net.loss(X, y)
    assert_close(loss, np.float64(ref_loss), call=loss_call, what="the loss", tol=tol)
    assert_true(isinstance(grads, dict), f"{loss_call}: grads should be a dict like params, got {describe(grads)}.")
    for key in sorted(ref_grads):
        assert_true(key in grads, f"{loss_call}: grads has no '{key}' (every parameter needs a gradient).")
        assert_close(grads[key], ref_grads[key], call=loss_call, what=f"grads['{key}']", tol=tol)


def two_layer_case(student, reference, *, input_dim, hidden_dim, num_classes, reg, params):
    kw = dict(input_dim=input_dim, hidden_dim=hidden_dim, num_classes=num_classes, weight_scale=1e-3, reg=reg)
    call = f"TwoLayerNet({kwargs_str(**kw)})"
    net = student.TwoLayerNet(**kw)
    set_params(student, net, params, call)
    ref_net = reference.TwoLayerNet(**kw)
    ref_net.params.update(params)
    return net, ref_net, call


def linspace_two_layer_params(D=5, H=50, C=7):
    return {
        "W1": np.linspace(-0.7, 0.3, num=D * H).reshape(D, H),
        "b1": np.linspace(-0.1, 0.9, num=H),
        "W2": np.linspace(-0.3, 0.4, num=H * C).reshape(H, C),
        "b2": np.linspace(-0.9, 0.1, num=C),
    }


LINSPACE_X = np.linspace(-5.5, 4.5, num=15).reshape(5, 3).T
LINSPACE_Y = np.array([0, 5, 1])


@visible
@task("TwoLayerNet")
@points(3)
def test_two_layer_net_linspace_scores(student, reference):
    """TwoLayerNet scores on CS231n's linspace case (N=3, D=5, H=50, C=7)."""
    net, ref_net, call = two_layer_case(student, reference, input_dim=5, hidden_dim=50, num_classes=7, reg=0.0,
                                        params=linspace_two_layer_params())
    check_net(student, reference, net, ref_net, LINSPACE_X, None, call)


@visible
@task("TwoLayerNet")
@points(5)
def test_two_layer_net_linspace_loss(student, reference):
    """TwoLayerNet loss and gradients on CS231n's linspace case, with reg=0 and reg=1."""
    for reg in (0.0, 1.0):
        net, ref_net, call = two_layer_case(student, reference, input_dim=5, hidden_dim=50, num_classes=7, reg=reg,
                                            params=linspace_two_layer_params())
        check_net(student, reference, net, ref_net, LINSPACE_X, LINSPACE_Y, call)


@task("TwoLayerNet")
@points(4)
def test_two_layer_net_initialisation(student, reference):
    """TwoLayerNet's params: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); weights ~ N(0, weight_scale^2), biases 0."""
    student.define(SEED_NUMPY)(0)
    for D, H, C, ws in ((48, 50, 30, 0.05), (20, 60, 25, 2e-3)):
        kw = dict(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=ws)
        call = f"TwoLayerNet({kwargs_str(**kw)})"
        net = student.TwoLayerNet(**kw)
        check_init_statistics(net.params, {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}, ws, call)


@task("TwoLayerNet")
@points(5)
def test_two_layer_net_random(student, reference):
    """TwoLayerNet on random parameters and a 4-D X (6, 2, 3, 2), reg=0.3: scores of both signs, loss, grads."""
    g = rng(151)
    params = random_params(152, [12, 9, 4])
    net, ref_net, call = two_layer_case(student, reference, input_dim=12, hidden_dim=9, num_classes=4, reg=0.3,
                                        params=params)
    X = g.normal(size=(6, 2, 3, 2))
    y = g.integers(0, 4, size=6)
    check_net(student, reference, net, ref_net, X, y, call)


@task("TwoLayerNet")
@points(5)
def test_two_layer_net_shapes(student, reference):
    """TwoLayerNet with one sample and two classes (reg=0.7), and with a hidden layer wider than the input."""
    g = rng(153)
    for (D, H, C, N, reg, seed) in ((3, 4, 2, 1, 0.7, 154), (4, 15, 6, 8, 0.05, 155)):
        params = random_params(seed, [D, H, C], scale=1.0)
        net, ref_net, call = two_layer_case(student, reference, input_dim=D, hidden_dim=H, num_classes=C, reg=reg,
                                            params=params)
        check_net(student, reference, net, ref_net, g.normal(size=(N, D)), g.integers(0, C, size=N), call)


# =====================================================================
# FullyConnectedNet  (20 points; the optional question for C147)
# =====================================================================
def fc_case(student, reference, hidden_dims, *, input_dim, num_classes, reg, params):
    kw = dict(input_dim=input_dim, num_classes=num_classes, reg=reg, weight_scale=1e-2)
    call = f"FullyConnectedNet({hidden_dims}, {kwargs_str(**kw)}, dtype=np.float64)"
    net = student.define(MAKE_NET_WITH_DTYPE)(student.ref("FullyConnectedNet"), list(hidden_dims), "float64", **kw)
    set_params(student, net, params, call)
    ref_net = reference.FullyConnectedNet(list(hidden_dims), dtype=np.float64, **kw)
    ref_net.params.update(params)
    return net, ref_net, call


def fc_shapes(dims: list[int]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for i in range(len(dims) - 1):
        shapes[f"W{i + 1}"] = (dims[i], dims[i + 1])
        shapes[f"b{i + 1}"] = (dims[i + 1],)
    return shapes


@visible
@task("FullyConnectedNet")
@points(5)
def test_fully_connected_net_initialisation(student, reference):
    """FullyConnectedNet([50, 40], input_dim=30, num_classes=40): W1..W3, b1..b3 in float32 by default, and in float64 when asked."""
    student.define(SEED_NUMPY)(0)
    hidden_dims, D, C, ws = [50, 40], 30, 40, 0.04
    kw = dict(input_dim=D, num_classes=C, weight_scale=ws)
    call = f"FullyConnectedNet({hidden_dims}, {kwargs_str(**kw)})"
    net = student.FullyConnectedNet(hidden_dims, **kw)
    check_init_statistics(net.params, fc_shapes([D, *hidden_dims, C]), ws, call, dtype=np.float32)
    hidden_dims, D, C, ws = [60], 40, 30, 3e-3
    kw = dict(input_dim=D, num_classes=C, weight_scale=ws)
    call = f"FullyConnectedNet({hidden_dims}, {kwargs_str(**kw)}, dtype=np.float64)"
    net = student.define(MAKE_NET_WITH_DTYPE)(student.ref("FullyConnectedNet"), hidden_dims, "float64", **kw)
    check_init_statistics(net.params, fc_shapes([D, *hidden_dims, C]), ws, call, dtype=np.float64)


@task("FullyConnectedNet")
@points(5)
def test_fully_connected_net_scores(student, reference):
    """FullyConnectedNet scores with three hidden layers [10, 8, 6] on a 4-D X (5, 2, 2, 3): scores of both signs."""
    g = rng(161)
    dims = [12, 10, 8, 6, 5]
    net, ref_net, call = fc_case(student, reference, dims[1:-1], input_dim=12, num_classes=5, reg=0.0,
                                 params=random_params(162, dims, scale=1.5))
    check_net(student, reference, net, ref_net, g.normal(size=(5, 2, 2, 3)), None, call)


@task("FullyConnectedNet")
@points(5)
def test_fully_connected_net_one_hidden_layer(student, reference):
    """FullyConnectedNet([7]) loss and gradients without regularisation (N=6, D=5, C=4)."""
    g = rng(163)
    dims = [5, 7, 4]
    net, ref_net, call = fc_case(student, reference, dims[1:-1], input_dim=5, num_classes=4, reg=0.0,
                                 params=random_params(164, dims, scale=1.5))
    check_net(student, reference, net, ref_net, g.normal(size=(6, 5)), g.integers(0, 4, size=6), call)


@task("FullyConnectedNet")
@points(5)
def test_fully_connected_net_regularised(student, reference):
    """FullyConnectedNet([9, 8, 7]) loss and gradients with reg=0.4 (every weight matrix, no bias), N=7."""
    g = rng(165)
    dims = [6, 9, 8, 7, 3]
    net, ref_net, call = fc_case(student, reference, dims[1:-1], input_dim=6, num_classes=3, reg=0.4,
                                 params=random_params(166, dims, scale=1.5))
    check_net(student, reference, net, ref_net, g.normal(size=(7, 6)), g.integers(0, 3, size=7), call)
