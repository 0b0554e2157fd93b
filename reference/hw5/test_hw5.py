"""Hidden tests for HW5: convolution and max-pooling layers, spatial batch norm, a three-layer conv net.

Run while authoring (the reference must score 100 %):

    .venv/bin/python -m pytest reference/hw5/ -q

Points per task (each equals the ``points`` of the notebook's test cell):

    conv_forward_naive 20, conv_backward_naive 22, max_pool_forward_naive 10,
    max_pool_backward_naive 13, spatial_batchnorm_forward 10,
    spatial_batchnorm_backward 10, ThreeLayerConvNet 15             total 100

The notebook's solution cell ``earlier_layers`` (the student's own HW3/HW4
layers, pasted) has no test of its own; the spatial batch norm tests use the
student's ``batchnorm_*`` through their wrapper, and the ThreeLayerConvNet
tests their affine/ReLU/softmax layers through their net (the notebook says
so). The convolution and pooling tests use nothing from that cell.

Speed: a naive convolution with four (or seven) nested Python loops is slow by
design, so every input here is the smallest that still catches a mistake:
odd sizes, stride 2 (and 3, wider than the filter), pad 0 and 2, non-square
images and filters, N and F (or C) above 1. The largest case has about 7,000
multiply-adds, a few milliseconds even for scalar Python loops.
ThreeLayerConvNet runs on (3, C, 6, 8) inputs; the student's net uses the
given fast layers (the notebook says to), and would still be quick with their
naive ones.

How the suite stays fair to every correct implementation:

* A cache is only ever passed back to the student's own backward pass: its
  layout (tuple of any length, dict, object) never matters.
* One bug costs its points once: a backward pass earns its points when it
  matches the reference's gradient, or, where the student's forward pass is
  wrong, the gradient of that forward (``assert_backward`` differentiates it
  numerically), so a wrong forward does not also cost a correct backward.
* Pooling inputs are random floats, so no window holds its maximum twice:
  routing a tie to the first maximum or to all of them both earn full marks.
  Where windows overlap, the docstring says an input that is the maximum of
  several windows receives the sum (``+=``).
* Inputs are copied into the student process, so changing them in place is
  never seen here.
* Networks are tested with parameters the test sets (``net.params.update``) and
  ``dtype=np.float64``; initialisation by statistics only.
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

# Helpers evaluated inside the student process (student.define).
SET_PARAMS = "lambda net, params: net.params.update(params)"
SEED_NUMPY = "lambda seed: __import__('numpy').random.seed(seed)"
MAKE_FLOAT64_NET = "lambda cls, **kw: cls(dtype=__import__('numpy').float64, **kw)"
# Several train-mode steps on one bn_param, then test mode on x_test: (out_test, running_mean, running_var).
TRAIN_THEN_TEST = (
    "lambda xs, gamma, beta, x_test, bn_param: ("
    "[spatial_batchnorm_forward(x, gamma, beta, bn_param) for x in xs], "
    "bn_param.__setitem__('mode', 'test'), "
    "spatial_batchnorm_forward(x_test, gamma, beta, bn_param)[0], "
    "bn_param.get('running_mean'), bn_param.get('running_var'))[2:]"
)


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
# Convolution cases: (x shape, w shape, stride, pad), all sizes tiling exactly.
# =====================================================================
FIGURE_X = np.linspace(-0.1, 0.5, num=96).reshape(2, 3, 4, 4)
FIGURE_W = np.linspace(-0.2, 0.3, num=144).reshape(3, 3, 4, 4)
FIGURE_B = np.linspace(-0.1, 0.2, num=3)

STRIDE2_PAD0_ODD = ((2, 3, 5, 7), (4, 3, 3, 3), 2, 0)       # out (2, 4, 2, 3)
STRIDE1_PAD2_NONSQUARE = ((3, 2, 5, 6), (2, 2, 3, 4), 1, 2)  # out (3, 2, 7, 7)
STRIDE2_PAD2_NONSQUARE = ((2, 3, 7, 5), (3, 3, 3, 5), 2, 2)  # out (2, 3, 5, 3)
WHOLE_IMAGE_FILTER = ((2, 2, 3, 3), (3, 2, 5, 5), 1, 1)      # out (2, 3, 1, 1)
STRIDE3_1X1 = ((2, 3, 7, 4), (2, 3, 1, 1), 3, 0)             # out (2, 2, 3, 2); some pixels unused
STRIDE3_2X2_PAD1 = ((2, 2, 6, 9), (3, 2, 2, 2), 3, 1)        # out (2, 3, 3, 4); some pixels unused


def conv_inputs(seed: int, x_shape, w_shape):
    g = rng(seed)
    return g.normal(size=x_shape), g.normal(size=w_shape), g.normal(size=w_shape[0])


def conv_call(name: str, x, w, stride: int, pad: int) -> str:
    return f"{name}(x {shape_str(x)}, w {shape_str(w)}, b ({w.shape[0]},), stride={stride}, pad={pad})"


def check_conv_forward(student, reference, x, w, b, stride: int, pad: int) -> None:
    conv_param = {"stride": stride, "pad": pad}
    call = conv_call("conv_forward_naive", x, w, stride, pad)
    out, _ = unpack(student.conv_forward_naive(x, w, b, conv_param), 2, call)
    expected, _ = reference.conv_forward_naive(x, w, b, conv_param)
    assert_close(out, expected, call=call, what="out", tol=TOL)


def check_conv_backward(student, reference, x, w, b, stride: int, pad: int, seed: int) -> None:
    """Forward with the student's layer, backward with the student's cache; dx, dw, db against the
    reference, or against the gradient of the student's own forward where it is wrong (assert_backward)."""
    conv_param = {"stride": stride, "pad": pad}
    expected_out, ref_cache = reference.conv_forward_naive(x, w, b, conv_param)
    dout = rng(seed).normal(size=expected_out.shape)
    assert_backward(student, "conv_forward_naive", "conv_backward_naive", (x, w, b, conv_param), dout,
                    reference.conv_backward_naive(dout, ref_cache), expected_out=expected_out, wrt=(0, 1, 2),
                    names=("dx", "dw", "db"), tol=TOL, call=conv_call("conv_forward_naive", x, w, stride, pad))


# =====================================================================
# conv_forward_naive  (20 points)
# =====================================================================
@visible
@task("conv_forward_naive")
@points(4)
def test_conv_forward_published_figure(student, reference):
    """The notebook's case: x (2, 3, 4, 4), w (3, 3, 4, 4) from linspace, stride 2, pad 1."""
    check_conv_forward(student, reference, FIGURE_X, FIGURE_W, FIGURE_B, 2, 1)


@task("conv_forward_naive")
@points(4)
def test_conv_forward_stride2_pad0_odd_sizes(student, reference):
    """x (2, 3, 5, 7), w (4, 3, 3, 3), stride 2, pad 0: odd, non-square images, more filters than images."""
    x_shape, w_shape, stride, pad = STRIDE2_PAD0_ODD
    check_conv_forward(student, reference, *conv_inputs(501, x_shape, w_shape), stride, pad)


@task("conv_forward_naive")
@points(4)
def test_conv_forward_pad2_nonsquare_filter(student, reference):
    """x (3, 2, 5, 6), w (2, 2, 3, 4), stride 1, pad 2: padding on both sides, a non-square filter."""
    x_shape, w_shape, stride, pad = STRIDE1_PAD2_NONSQUARE
    check_conv_forward(student, reference, *conv_inputs(502, x_shape, w_shape), stride, pad)


@task("conv_forward_naive")
@points(4)
def test_conv_forward_stride2_pad2_nonsquare(student, reference):
    """x (2, 3, 7, 5), w (3, 3, 3, 5), stride 2, pad 2."""
    x_shape, w_shape, stride, pad = STRIDE2_PAD2_NONSQUARE
    check_conv_forward(student, reference, *conv_inputs(503, x_shape, w_shape), stride, pad)


@task("conv_forward_naive")
@points(4)
def test_conv_forward_edge_cases(student, reference):
    """A filter as large as the padded image (out 1 x 1), and 1 x 1 filters with stride 3 (pixels skipped)."""
    for seed, (x_shape, w_shape, stride, pad) in ((504, WHOLE_IMAGE_FILTER), (505, STRIDE3_1X1)):
        check_conv_forward(student, reference, *conv_inputs(seed, x_shape, w_shape), stride, pad)


# =====================================================================
# conv_backward_naive  (22 points)
# =====================================================================
@visible
@task("conv_backward_naive")
@points(4)
def test_conv_backward_notebook_case(student, reference):
    """The notebook's gradient-check shapes: x (2, 3, 5, 5), w (2, 3, 3, 3), stride 2, pad 1."""
    x, w, b = conv_inputs(511, (2, 3, 5, 5), (2, 3, 3, 3))
    check_conv_backward(student, reference, x, w, b, 2, 1, seed=521)


@task("conv_backward_naive")
@points(5)
def test_conv_backward_stride2_pad0_odd_sizes(student, reference):
    """x (2, 3, 5, 7), w (4, 3, 3, 3), stride 2, pad 0."""
    x_shape, w_shape, stride, pad = STRIDE2_PAD0_ODD
    check_conv_backward(student, reference, *conv_inputs(512, x_shape, w_shape), stride, pad, seed=522)


@task("conv_backward_naive")
@points(4)
def test_conv_backward_pad2_nonsquare_filter(student, reference):
    """x (3, 2, 5, 6), w (2, 2, 3, 4), stride 1, pad 2."""
    x_shape, w_shape, stride, pad = STRIDE1_PAD2_NONSQUARE
    check_conv_backward(student, reference, *conv_inputs(513, x_shape, w_shape), stride, pad, seed=523)


@task("conv_backward_naive")
@points(5)
def test_conv_backward_stride2_pad2_nonsquare(student, reference):
    """x (2, 3, 7, 5), w (3, 3, 3, 5), stride 2, pad 2."""
    x_shape, w_shape, stride, pad = STRIDE2_PAD2_NONSQUARE
    check_conv_backward(student, reference, *conv_inputs(514, x_shape, w_shape), stride, pad, seed=524)


@task("conv_backward_naive")
@points(4)
def test_conv_backward_edge_cases(student, reference):
    """A filter as large as the padded image, and stride 3 with 2 x 2 filters (pixels no window reads get 0)."""
    for seed, (x_shape, w_shape, stride, pad) in ((515, WHOLE_IMAGE_FILTER), (516, STRIDE3_2X2_PAD1)):
        check_conv_backward(student, reference, *conv_inputs(seed, x_shape, w_shape), stride, pad, seed=seed + 10)


# =====================================================================
# Max pooling
# =====================================================================
def pool_param(ph: int, pw: int, stride: int) -> dict[str, int]:
    return {"pool_height": ph, "pool_width": pw, "stride": stride}


def pool_call(name: str, x, p: dict[str, int]) -> str:
    return f"{name}(x {shape_str(x)}, pool_height={p['pool_height']}, pool_width={p['pool_width']}, stride={p['stride']})"


def check_pool_forward(student, reference, x, p) -> None:
    call = pool_call("max_pool_forward_naive", x, p)
    out, _ = unpack(student.max_pool_forward_naive(x, p), 2, call)
    assert_close(out, reference.max_pool_forward_naive(x, p)[0], call=call, what="out", tol=TOL)


def check_pool_backward(student, reference, x, p, seed: int) -> None:
    expected_out, ref_cache = reference.max_pool_forward_naive(x, p)
    dout = rng(seed).normal(size=expected_out.shape)
    assert_backward(student, "max_pool_forward_naive", "max_pool_backward_naive", (x, p), dout,
                    reference.max_pool_backward_naive(dout, ref_cache), expected_out=expected_out, wrt=(0,),
                    names=("dx",), tol=TOL, call=pool_call("max_pool_forward_naive", x, p))


PUBLISHED_POOL_X = np.linspace(-0.3, 0.4, num=96).reshape(2, 3, 4, 4)
NEGATIVE_POOL_X = -1.0 - np.arange(12.0).reshape(1, 1, 3, 4)


def negative_images(seed: int, shape) -> np.ndarray:
    """Random values all below -1: a running maximum started at 0 gets every window wrong."""
    return -1.0 - np.abs(rng(seed).normal(size=shape))


# ---------------------------------------------------------- max_pool_forward_naive  (10 points)
@visible
@task("max_pool_forward_naive")
@points(3)
def test_max_pool_forward_notebook_cases(student, reference):
    """The notebook's cases: 2 x 2 windows, stride 2 on linspace x (2, 3, 4, 4); 3 x 2, stride 2 on a negative (1, 1, 3, 4)."""
    check_pool_forward(student, reference, PUBLISHED_POOL_X, pool_param(2, 2, 2))
    check_pool_forward(student, reference, NEGATIVE_POOL_X, pool_param(3, 2, 2))


@task("max_pool_forward_naive")
@points(3)
def test_max_pool_forward_odd_overlapping(student, reference):
    """x (2, 3, 5, 7), 3 x 3 windows with stride 2 (neighbouring windows share a row or column)."""
    check_pool_forward(student, reference, rng(531).normal(size=(2, 3, 5, 7)), pool_param(3, 3, 2))


@task("max_pool_forward_naive")
@points(4)
def test_max_pool_forward_nonsquare_and_negative(student, reference):
    """2 x 3 windows with stride 1 on x (3, 2, 4, 6); 3 x 2 windows with stride 3 on x (2, 3, 6, 8);
    2 x 2 windows, stride 2, on all-negative x (2, 2, 6, 4)."""
    check_pool_forward(student, reference, rng(532).normal(size=(3, 2, 4, 6)), pool_param(2, 3, 1))
    check_pool_forward(student, reference, rng(533).normal(size=(2, 3, 6, 8)), pool_param(3, 2, 3))
    check_pool_forward(student, reference, negative_images(534, (2, 2, 6, 4)), pool_param(2, 2, 2))


# ---------------------------------------------------------- max_pool_backward_naive  (13 points)
@visible
@task("max_pool_backward_naive")
@points(4)
def test_max_pool_backward_2x2_stride2(student, reference):
    """The notebook's first case: x (3, 2, 8, 6), 2 x 2 windows, stride 2."""
    check_pool_backward(student, reference, rng(541).normal(size=(3, 2, 8, 6)), pool_param(2, 2, 2), seed=551)


@task("max_pool_backward_naive")
@points(4)
def test_max_pool_backward_nonsquare_with_gaps(student, reference):
    """x (2, 3, 6, 8), 3 x 2 windows with stride 3: columns between windows get no gradient."""
    check_pool_backward(student, reference, rng(542).normal(size=(2, 3, 6, 8)), pool_param(3, 2, 3), seed=552)


@task("max_pool_backward_naive")
@points(3)
def test_max_pool_backward_overlapping_windows(student, reference):
    """Overlapping windows: 3 x 3 with stride 2 on x (2, 2, 5, 7), 2 x 3 with stride 1 on x (3, 2, 4, 6);
    an input that is the maximum of several windows gets the sum of their gradients."""
    check_pool_backward(student, reference, rng(543).normal(size=(2, 2, 5, 7)), pool_param(3, 3, 2), seed=553)
    check_pool_backward(student, reference, rng(544).normal(size=(3, 2, 4, 6)), pool_param(2, 3, 1), seed=554)


@task("max_pool_backward_naive")
@points(2)
def test_max_pool_backward_negative_inputs(student, reference):
    """All-negative x (2, 2, 6, 4), 2 x 2 windows, stride 2."""
    check_pool_backward(student, reference, negative_images(545, (2, 2, 6, 4)), pool_param(2, 2, 2), seed=555)


# =====================================================================
# Spatial batch norm (uses the student's own batchnorm_forward/backward through their wrapper)
# =====================================================================
def bn_inputs(seed: int, shape, spread: bool = True):
    """x with a different mean and scale per channel, gamma and beta of both signs."""
    g = rng(seed)
    N, C, H, W = shape
    x = g.normal(size=shape) * g.uniform(0.5, 4.0, size=(1, C, 1, 1)) + g.uniform(-5, 10, size=(1, C, 1, 1))
    return x, g.normal(size=C), g.normal(size=C)


def bn_call(name: str, x, mode: str) -> str:
    return f"{name}(x {shape_str(x)}, gamma ({x.shape[1]},), beta ({x.shape[1]},), bn_param mode='{mode}')"


def train_param() -> dict[str, Any]:
    return {"mode": "train", "eps": 1e-5, "momentum": 0.9}


def check_bn_forward(student, reference, x, gamma, beta) -> None:
    call = bn_call("spatial_batchnorm_forward", x, "train")
    out, _ = unpack(student.spatial_batchnorm_forward(x, gamma, beta, train_param()), 2, call)
    expected, _ = reference.spatial_batchnorm_forward(x, gamma, beta, train_param())
    assert_close(out, expected, call=call, what="out", tol=TOL)


def check_bn_backward(student, reference, x, gamma, beta, seed: int) -> None:
    expected_out, ref_cache = reference.spatial_batchnorm_forward(x, gamma, beta, train_param())
    dout = rng(seed).normal(size=x.shape)
    assert_backward(student, "spatial_batchnorm_forward", "spatial_batchnorm_backward",
                    (x, gamma, beta, train_param()), dout, reference.spatial_batchnorm_backward(dout, ref_cache),
                    expected_out=expected_out, wrt=(0, 1, 2), names=("dx", "dgamma", "dbeta"), tol=TOL,
                    call=bn_call("spatial_batchnorm_forward", x, "train"))


# ---------------------------------------------------------- spatial_batchnorm_forward  (10 points)
@visible
@task("spatial_batchnorm_forward")
@points(4)
def test_spatial_batchnorm_forward_train(student, reference):
    """Train mode on x (2, 3, 4, 5) with a different mean and scale per channel."""
    check_bn_forward(student, reference, *bn_inputs(561, (2, 3, 4, 5)))


@task("spatial_batchnorm_forward")
@points(3)
def test_spatial_batchnorm_forward_running_averages(student, reference):
    """Five train-mode steps on x (3, 2, 3, 4), then test mode: the output and bn_param's running_mean/var (C,)."""
    g = rng(562)
    xs = [g.normal(size=(3, 2, 3, 4)) * [[[[2.0]], [[0.5]]]] + [[[[3.0]], [[-1.0]]]] for _ in range(5)]
    gamma, beta = g.normal(size=2), g.normal(size=2)
    x_test = g.normal(size=(2, 2, 3, 4)) + 1.0
    call = ("spatial_batchnorm_forward on x (3, 2, 3, 4) five times with one bn_param in mode 'train' "
            "(momentum 0.9), then on x (2, 2, 3, 4) in mode 'test'")
    result = student.define(TRAIN_THEN_TEST)(xs, gamma, beta, x_test, train_param())
    out, running_mean, running_var = unpack(result, 3, call)
    bn_param = train_param()
    for x in xs:
        reference.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    bn_param["mode"] = "test"
    expected = reference.spatial_batchnorm_forward(x_test, gamma, beta, bn_param)[0]
    assert_close(running_mean, bn_param["running_mean"], call=call, what="bn_param['running_mean']", tol=TOL)
    assert_close(running_var, bn_param["running_var"], call=call, what="bn_param['running_var']", tol=TOL)
    assert_close(out, expected, call=call, what="the test-mode output", tol=TOL)


@task("spatial_batchnorm_forward")
@points(3)
def test_spatial_batchnorm_forward_edge_shapes(student, reference):
    """Train mode on one channel, x (3, 1, 3, 2), and on one image, x (1, 4, 3, 3)."""
    check_bn_forward(student, reference, *bn_inputs(563, (3, 1, 3, 2)))
    check_bn_forward(student, reference, *bn_inputs(564, (1, 4, 3, 3)))


# ---------------------------------------------------------- spatial_batchnorm_backward  (10 points)
@visible
@task("spatial_batchnorm_backward")
@points(4)
def test_spatial_batchnorm_backward_notebook_case(student, reference):
    """The notebook's shapes: x (2, 3, 4, 5), train mode."""
    check_bn_backward(student, reference, *bn_inputs(571, (2, 3, 4, 5)), seed=581)


@task("spatial_batchnorm_backward")
@points(3)
def test_spatial_batchnorm_backward_random(student, reference):
    """x (3, 4, 3, 5), train mode."""
    check_bn_backward(student, reference, *bn_inputs(572, (3, 4, 3, 5)), seed=582)


@task("spatial_batchnorm_backward")
@points(3)
def test_spatial_batchnorm_backward_edge_shapes(student, reference):
    """One image, x (1, 2, 4, 3), and one channel, x (4, 1, 2, 3)."""
    check_bn_backward(student, reference, *bn_inputs(573, (1, 2, 4, 3)), seed=583)
    check_bn_backward(student, reference, *bn_inputs(574, (4, 1, 2, 3)), seed=584)


# =====================================================================
# ThreeLayerConvNet  (15 points)
# =====================================================================
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
        std, mean = float(np.std(value)), float(np.mean(value))
        assert_true(abs(std / weight_scale - 1) < 0.15,
                    f"{call}: params['{key}'] has standard deviation {std:.3g}; weights should be drawn from "
                    f"N(0, weight_scale^2), i.e. have standard deviation close to weight_scale = {weight_scale:g}.")
        assert_true(abs(mean) < 6 * weight_scale / np.sqrt(value.size),
                    f"{call}: params['{key}'] has mean {mean:.3g}; weights should be drawn from a normal "
                    f"distribution with mean 0 (e.g. weight_scale * np.random.randn(...)).")


def net_shapes(C: int, H: int, W: int, F: int, fs: int, hidden: int, classes: int) -> dict[str, tuple[int, ...]]:
    return {"W1": (F, C, fs, fs), "b1": (F,), "W2": (F * (H // 2) * (W // 2), hidden), "b2": (hidden,),
            "W3": (hidden, classes), "b3": (classes,)}


def random_net_params(seed: int, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Weights of both signs scaled by fan-in, non-zero biases (so regularising them shows)."""
    g = rng(seed)
    params = {}
    for key, shape in shapes.items():
        if key.startswith("W"):
            fan_in = int(np.prod(shape[1:])) if key == "W1" else shape[0]
            params[key] = g.normal(size=shape) * 1.5 / np.sqrt(fan_in)
        else:
            params[key] = 0.3 * g.normal(size=shape)
    return params


def conv_net_case(student, reference, *, input_dim, num_filters, filter_size, hidden_dim, num_classes, reg, seed):
    """The student's and the reference's net (float64) with the same random parameters."""
    kw = dict(input_dim=input_dim, num_filters=num_filters, filter_size=filter_size, hidden_dim=hidden_dim,
              num_classes=num_classes, weight_scale=1e-2, reg=reg)
    call = f"ThreeLayerConvNet({kwargs_str(**kw)}, dtype=np.float64) with the test's params"
    net = student.define(MAKE_FLOAT64_NET)(student.ref("ThreeLayerConvNet"), **kw)
    params = random_net_params(seed, net_shapes(*input_dim, num_filters, filter_size, hidden_dim, num_classes))
    student.define(SET_PARAMS)(net, params)
    ref_net = reference.ThreeLayerConvNet(dtype=np.float64, **kw)
    ref_net.params.update(params)
    return net, ref_net, call


def check_conv_net_loss(net, ref_net, X, y, call: str) -> None:
    N = X.shape[0]
    loss_call = f"{call}: loss(X {shape_str(X)}, y ({N},))"
    loss, grads = unpack(net.loss(X, y), 2, loss_call)
    ref_loss, ref_grads = ref_net.loss(X, y)
    assert_close(loss, np.float64(ref_loss), call=loss_call, what="the loss", tol=TOL)
    assert_true(isinstance(grads, dict), f"{loss_call}: grads should be a dict like params, got {describe(grads)}.")
    for key in sorted(ref_grads):
        assert_true(key in grads, f"{loss_call}: grads has no '{key}' (every parameter needs a gradient).")
        assert_close(grads[key], ref_grads[key], call=loss_call, what=f"grads['{key}']", tol=TOL)


@visible
@task("ThreeLayerConvNet")
@points(3)
def test_three_layer_convnet_initialisation(student, reference):
    """params W1 (F, C, fs, fs), b1, W2 (F*H/2*W/2, hidden), b2, W3, b3: weights ~ N(0, weight_scale^2),
    biases 0, dtype float32 by default."""
    student.define(SEED_NUMPY)(0)
    kw = dict(input_dim=(3, 8, 6), num_filters=8, filter_size=5, hidden_dim=40, num_classes=12, weight_scale=0.05)
    call = f"ThreeLayerConvNet({kwargs_str(**kw)})"
    net = student.ThreeLayerConvNet(**kw)
    check_init_statistics(net.params, net_shapes(3, 8, 6, 8, 5, 40, 12), 0.05, call, dtype=np.float32)


@task("ThreeLayerConvNet")
@points(4)
def test_three_layer_convnet_scores(student, reference):
    """loss(X) with y=None returns the scores (N, num_classes): input (2, 6, 8), 5 filters of 3 x 3."""
    net, ref_net, call = conv_net_case(student, reference, input_dim=(2, 6, 8), num_filters=5, filter_size=3,
                                       hidden_dim=7, num_classes=4, reg=0.0, seed=591)
    X = rng(592).normal(size=(3, 2, 6, 8))
    assert_close(net.loss(X), ref_net.loss(X), call=f"{call}: loss(X {shape_str(X)})", what="the scores", tol=TOL)


@task("ThreeLayerConvNet")
@points(4)
def test_three_layer_convnet_loss_and_gradients(student, reference):
    """loss(X, y) and every gradient, reg=0: input (2, 6, 8), 5 filters of 3 x 3, 3 images."""
    net, ref_net, call = conv_net_case(student, reference, input_dim=(2, 6, 8), num_filters=5, filter_size=3,
                                       hidden_dim=7, num_classes=4, reg=0.0, seed=593)
    g = rng(594)
    check_conv_net_loss(net, ref_net, g.normal(size=(3, 2, 6, 8)), g.integers(0, 4, size=3), call)


@task("ThreeLayerConvNet")
@points(4)
def test_three_layer_convnet_regularisation(student, reference):
    """loss(X, y) and gradients with reg=0.7 (weights only, not biases): input (3, 4, 6), 4 filters of 5 x 5."""
    net, ref_net, call = conv_net_case(student, reference, input_dim=(3, 4, 6), num_filters=4, filter_size=5,
                                       hidden_dim=6, num_classes=5, reg=0.7, seed=595)
    g = rng(596)
    check_conv_net_loss(net, ref_net, g.normal(size=(4, 3, 4, 6)), g.integers(0, 5, size=4), call)
