"""HW5: the reference agrees with the published figures and with numerical gradients;
the fast layers given to students agree with the reference; the support files ship.

The published figure is CS231n's (assignment 2, "ConvolutionalNetworks"):

    x = linspace(-0.1, 0.5, 96).reshape(2, 3, 4, 4)
    w = linspace(-0.2, 0.3, 144).reshape(3, 3, 4, 4)
    b = linspace(-0.1, 0.2, 3), stride 2, pad 1
    out[0, 0] = [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216 ]]
    out[1, 2] = [[ 2.36270298,  2.36904306], [ 2.38090835,  2.38247847]]
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
HW5 = ROOT / "assignments" / "hw5"

import reference.hw5 as ref  # noqa: E402


def _fast_layers():
    spec = importlib.util.spec_from_file_location("hw5_fast_layers", HW5 / "fast_layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fast = _fast_layers()


def numerical_gradient_array(f, x: np.ndarray, dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """d sum(f(x) * dout) / dx by centred differences (x is restored)."""
    grad = np.zeros_like(x, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = np.sum(f(x) * dout)
        x[idx] = old - h
        minus = np.sum(f(x) * dout)
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def test_reference_is_self_contained():
    """The Gradescope zip ships only reference/hw5/: importing another homework's reference would fail there."""
    import ast

    tree = ast.parse((ROOT / "reference" / "hw5" / "__init__.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported and not any(name.startswith("reference") for name in imported), imported


def test_reference_copies_of_the_hw3_and_hw4_layers_agree_with_their_references():
    """HW5's reference carries its own affine/ReLU/softmax and batch norm; they must be HW3's and HW4's."""
    import reference.hw3 as hw3
    import reference.hw4 as hw4

    g = np.random.default_rng(17)
    x, w, b = g.normal(size=(4, 2, 3)), g.normal(size=(6, 5)), g.normal(size=5)
    dout = g.normal(size=(4, 5))
    for name in ("affine", "affine_relu"):
        out, cache = getattr(ref, f"{name}_forward")(x, w, b)
        expected, expected_cache = getattr(hw3, f"{name}_forward")(x, w, b)
        np.testing.assert_allclose(out, expected, rtol=1e-12)
        for got, want in zip(getattr(ref, f"{name}_backward")(dout, cache),
                             getattr(hw3, f"{name}_backward")(dout, expected_cache)):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    scores, y = 5 * g.normal(size=(6, 4)), g.integers(0, 4, size=6)
    loss, dx = ref.softmax_loss(scores, y)
    expected_loss, expected_dx = hw3.softmax_loss(scores, y)
    assert abs(loss - expected_loss) < 1e-12
    np.testing.assert_allclose(dx, expected_dx, rtol=1e-12, atol=1e-15)

    xs = [3 * g.normal(size=(8, 3)) + 2 for _ in range(3)]
    gamma, beta, dout = g.normal(size=3), g.normal(size=3), g.normal(size=(8, 3))
    ours, theirs = {"mode": "train", "momentum": 0.8}, {"mode": "train", "momentum": 0.8}
    for x_bn in xs:
        out, cache = ref.batchnorm_forward(x_bn, gamma, beta, ours)
        expected, expected_cache = hw4.batchnorm_forward(x_bn, gamma, beta, theirs)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
        for got, want in zip(ref.batchnorm_backward(dout, cache), hw4.batchnorm_backward(dout, expected_cache)):
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    for key in ("running_mean", "running_var"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-12)
    ours["mode"] = theirs["mode"] = "test"
    np.testing.assert_allclose(ref.batchnorm_forward(xs[0], gamma, beta, ours)[0],
                               hw4.batchnorm_forward(xs[0], gamma, beta, theirs)[0], rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------- the published figure
def test_reference_reproduces_the_published_conv_forward_figure():
    x = np.linspace(-0.1, 0.5, num=96).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=144).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    out, _ = ref.conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    assert out.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(out[0, 0], [[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]], rtol=0, atol=5e-9)
    np.testing.assert_allclose(out[1, 2], [[2.36270298, 2.36904306], [2.38090835, 2.38247847]], rtol=0, atol=5e-9)
    # the fast layer given to students agrees, and a flipped filter does not
    np.testing.assert_allclose(fast.conv_forward_fast(x, w, b, {"stride": 2, "pad": 1})[0], out, rtol=1e-12)
    flipped, _ = ref.conv_forward_naive(x, w[:, :, ::-1, ::-1].copy(), b, {"stride": 2, "pad": 1})
    assert rel_error(flipped, out) > 1e-2


CONV_CASES = [
    # x shape, w shape, stride, pad
    ((2, 3, 5, 5), (2, 3, 3, 3), 2, 1),
    ((2, 3, 5, 7), (4, 3, 3, 3), 2, 0),
    ((3, 2, 5, 6), (2, 2, 3, 4), 1, 2),
    ((2, 3, 7, 5), (3, 3, 3, 5), 2, 2),
    ((2, 2, 6, 9), (3, 2, 2, 2), 3, 1),
]


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_reference_conv_gradients_match_numerical_gradients(x_shape, w_shape, stride, pad):
    g = np.random.default_rng(sum(x_shape) + stride)
    x, w, b = g.normal(size=x_shape), g.normal(size=w_shape), g.normal(size=w_shape[0])
    p = {"stride": stride, "pad": pad}
    out, cache = ref.conv_forward_naive(x, w, b, p)
    dout = g.normal(size=out.shape)
    dx, dw, db = ref.conv_backward_naive(dout, cache)
    assert (dx.shape, dw.shape, db.shape) == (x.shape, w.shape, b.shape)
    # the layer is linear in each input, so a large step has no truncation error and little rounding error
    h = 1e-3
    assert rel_error(dx, numerical_gradient_array(lambda v: ref.conv_forward_naive(v, w, b, p)[0], x, dout, h)) < 1e-8
    assert rel_error(dw, numerical_gradient_array(lambda v: ref.conv_forward_naive(x, v, b, p)[0], w, dout, h)) < 1e-8
    assert rel_error(db, numerical_gradient_array(lambda v: ref.conv_forward_naive(x, w, v, p)[0], b, dout, h)) < 1e-8


def test_reference_conv_is_the_four_loop_definition():
    """The vectorized reference equals the definition written out with loops."""
    g = np.random.default_rng(3)
    x, w, b = g.normal(size=(2, 3, 7, 5)), g.normal(size=(3, 3, 3, 5)), g.normal(size=3)
    s, p = 2, 2
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    expected = np.zeros((2, 3, 5, 3))
    for n, f, i, j in np.ndindex(expected.shape):
        expected[n, f, i, j] = np.sum(x_pad[n, :, i * s:i * s + 3, j * s:j * s + 5] * w[f]) + b[f]
    np.testing.assert_allclose(ref.conv_forward_naive(x, w, b, {"stride": s, "pad": p})[0], expected, rtol=1e-12)


POOL_CASES = [
    ((3, 2, 8, 6), 2, 2, 2),
    ((2, 3, 6, 8), 3, 2, 3),
    ((2, 2, 5, 7), 3, 3, 2),   # overlapping windows
    ((3, 2, 4, 6), 2, 3, 1),   # overlapping, non-square
]


@pytest.mark.parametrize("x_shape, ph, pw, stride", POOL_CASES)
def test_reference_and_fast_pooling_gradients_match_numerical_gradients(x_shape, ph, pw, stride):
    g = np.random.default_rng(sum(x_shape) + 10 * stride)
    x = g.normal(size=x_shape)
    p = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = ref.max_pool_forward_naive(x, p)
    dout = g.normal(size=out.shape)
    dx = ref.max_pool_backward_naive(dout, cache)
    assert rel_error(dx, numerical_gradient_array(lambda v: ref.max_pool_forward_naive(v, p)[0], x, dout)) < 1e-7
    fast_out, fast_cache = fast.max_pool_forward_fast(x, p)
    np.testing.assert_array_equal(fast_out, out)
    np.testing.assert_allclose(fast.max_pool_backward_fast(dout, fast_cache), dx, rtol=1e-12)


def test_pool_backward_routes_ties_to_the_first_maximum():
    x = np.array([[[[1.0, 3.0], [3.0, 0.0]]]])
    p = {"pool_height": 2, "pool_width": 2, "stride": 2}
    for forward, backward in ((ref.max_pool_forward_naive, ref.max_pool_backward_naive),
                              (fast.max_pool_forward_fast, fast.max_pool_backward_fast)):
        _, cache = forward(x, p)
        np.testing.assert_array_equal(backward(np.array([[[[2.0]]]]), cache), [[[[0.0, 2.0], [0.0, 0.0]]]])


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 2, 4, 3), (4, 1, 2, 3)])
def test_reference_spatial_batchnorm_gradients_match_numerical_gradients(shape):
    g = np.random.default_rng(sum(shape))
    x = 3 * g.normal(size=shape) + 5
    gamma, beta = g.normal(size=shape[1]), g.normal(size=shape[1])
    dout = g.normal(size=shape)
    out, cache = ref.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = ref.spatial_batchnorm_backward(dout, cache)
    assert (dx.shape, dgamma.shape, dbeta.shape) == (shape, gamma.shape, beta.shape)

    def f(x_, g_, b_):
        return ref.spatial_batchnorm_forward(x_, g_, b_, {"mode": "train"})[0]

    assert rel_error(dx, numerical_gradient_array(lambda v: f(v, gamma, beta), x, dout, h=1e-5)) < 1e-6
    assert rel_error(dgamma, numerical_gradient_array(lambda v: f(x, v, beta), gamma, dout)) < 1e-7
    assert rel_error(dbeta, numerical_gradient_array(lambda v: f(x, gamma, v), beta, dout)) < 1e-7


def test_reference_spatial_batchnorm_normalizes_each_channel_over_images_and_positions():
    g = np.random.default_rng(0)
    x = g.normal(size=(3, 4, 5, 2)) * np.array([1, 2, 3, 4])[None, :, None, None] + 7
    gamma, beta = np.array([1.0, 2.0, 3.0, 4.0]), np.array([-1.0, 0.0, 1.0, 2.0])
    bn_param = {"mode": "train"}
    out, _ = ref.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), beta, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), gamma, rtol=1e-5)
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * x.var(axis=(0, 2, 3)), rtol=1e-12)


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_reference_three_layer_convnet_gradients_match_numerical_gradients(reg):
    g = np.random.default_rng(5)
    net = ref.ThreeLayerConvNet(input_dim=(2, 6, 4), num_filters=3, filter_size=3, hidden_dim=5, num_classes=4,
                                reg=reg, dtype=np.float64)
    for k in sorted(net.params):
        net.params[k] = (0.5 if k.startswith("W") else 0.1) * g.normal(size=net.params[k].shape)
    X, y = g.normal(size=(3, 2, 6, 4)), g.integers(0, 4, size=3)
    loss, grads = net.loss(X, y)
    assert net.loss(X).shape == (3, 4)
    for k, value in net.params.items():
        num = numerical_gradient_array(lambda _: np.array(net.loss(X, y)[0]), value, np.array(1.0))
        assert rel_error(grads[k], num) < 1e-6, k
    # the regulariser covers the weights only
    no_reg = ref.ThreeLayerConvNet(input_dim=(2, 6, 4), num_filters=3, filter_size=3, hidden_dim=5, num_classes=4,
                                   reg=0.0, dtype=np.float64)
    no_reg.params = dict(net.params)
    expected = no_reg.loss(X, y)[0] + 0.5 * reg * sum(np.sum(net.params[k] ** 2) for k in ("W1", "W2", "W3"))
    assert abs(loss - expected) < 1e-12


def test_reference_three_layer_convnet_shapes_and_initialisation():
    np.random.seed(0)
    net = ref.ThreeLayerConvNet(input_dim=(3, 8, 6), num_filters=8, filter_size=5, hidden_dim=40, num_classes=12,
                                weight_scale=0.05)
    shapes = {k: v.shape for k, v in net.params.items()}
    assert shapes == {"W1": (8, 3, 5, 5), "b1": (8,), "W2": (8 * 4 * 3, 40), "b2": (40,), "W3": (40, 12), "b3": (12,)}
    assert all(v.dtype == np.float32 for v in net.params.values())
    assert all(abs(np.std(net.params[k]) / 0.05 - 1) < 0.1 for k in ("W1", "W2", "W3"))
    assert all(np.all(net.params[k] == 0) for k in ("b1", "b2", "b3"))


# ----------------------------------------------------------------- the fast layers given to students
@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_fast_conv_agrees_with_the_reference(x_shape, w_shape, stride, pad):
    g = np.random.default_rng(7 + stride)
    x, w, b = g.normal(size=x_shape), g.normal(size=w_shape), g.normal(size=w_shape[0])
    p = {"stride": stride, "pad": pad}
    out, cache = fast.conv_forward_fast(x, w, b, p)
    ref_out, ref_cache = ref.conv_forward_naive(x, w, b, p)
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-12)
    dout = g.normal(size=out.shape)
    for got, expected in zip(fast.conv_backward_fast(dout, cache), ref.conv_backward_naive(dout, ref_cache)):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_fast_sandwich_layers_match_numerical_gradients():
    g = np.random.default_rng(11)
    x, w, b = g.normal(size=(2, 3, 6, 8)), g.normal(size=(4, 3, 3, 3)), g.normal(size=4)
    conv_param = {"stride": 1, "pad": 1}
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    for forward, backward, args in ((fast.conv_relu_forward, fast.conv_relu_backward, (conv_param,)),
                                    (fast.conv_relu_pool_forward, fast.conv_relu_pool_backward, (conv_param, pool_param))):
        out, cache = forward(x, w, b, *args)
        assert np.all(out >= 0) and np.any(out == 0)
        dout = g.normal(size=out.shape)
        dx, dw, db = backward(dout, cache)
        assert rel_error(dx, numerical_gradient_array(lambda v: forward(v, w, b, *args)[0], x, dout)) < 1e-6
        assert rel_error(dw, numerical_gradient_array(lambda v: forward(x, v, b, *args)[0], w, dout)) < 1e-6
        assert rel_error(db, numerical_gradient_array(lambda v: forward(x, w, v, *args)[0], b, dout)) < 1e-6


def test_fast_layers_say_which_sizes_do_not_fit():
    x, w = np.zeros((1, 1, 16, 16)), np.zeros((1, 1, 3, 3))
    with pytest.raises(ValueError, match="does not tile 18 pixels"):
        fast.conv_forward_fast(x, w, np.zeros(1), {"stride": 2, "pad": 1})
    with pytest.raises(ValueError, match="multiple of stride"):
        fast.max_pool_forward_fast(np.zeros((1, 1, 5, 4)), {"pool_height": 2, "pool_width": 2, "stride": 2})


def test_fast_layers_use_no_compiled_extension():
    """fast_layers.py imports numpy and the standard library only (it ships as one .py file)."""
    source = (HW5 / "fast_layers.py").read_text()
    imports = {line.split()[1].split(".")[0] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"__future__", "typing", "numpy"}


# ----------------------------------------------------------------- the notebook and its support files
def test_support_files_are_hw3s_and_the_release_ships_their_content(tmp_path):
    from autograder.assignment import load_assignment
    from autograder.release import release

    for name in ("solver.py", "gradient_check.py", "data_utils.py"):
        link = HW5 / name
        assert link.is_symlink() and not Path(link.readlink()).is_absolute(), f"{name} should be a relative symlink"
        assert link.resolve() == (ROOT / "assignments" / "hw3" / name).resolve()
    assignment = load_assignment("hw5", ROOT / "course.yaml")
    assert {p.name for p in assignment.support_files} == {"fast_layers.py", "solver.py", "gradient_check.py",
                                                          "data_utils.py", "digits.npz"}
    folder = release(assignment, tmp_path)
    for support in assignment.support_files:
        shipped = folder / support.name
        assert shipped.is_file() and not shipped.is_symlink()
        assert shipped.read_bytes() == support.read_bytes()


def test_gradescope_zip_ships_the_support_files_and_a_reference_that_imports_on_its_own(tmp_path):
    """The zip holds reference/hw5/ only (no other homework's reference): reference.hw5 must import from it."""
    import subprocess
    import sys
    import zipfile

    from autograder.assignment import load_assignment
    from autograder.gradescope.build import build_zip

    assignment = load_assignment("hw5", ROOT / "course.yaml")
    archive = zipfile.ZipFile(build_zip(assignment, tmp_path))
    for support in assignment.support_files:
        assert archive.read(f"assignments/hw5/{support.name}") == support.read_bytes()
    root = tmp_path / "source"
    archive.extractall(root)
    probe = "import reference.hw5 as r; print(sorted(n for n in r.__all__))"
    proc = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ThreeLayerConvNet" in proc.stdout


def test_source_notebook_is_stable_under_nbformat_and_has_no_outputs():
    import nbformat

    path = HW5 / "hw5.ipynb"
    text = path.read_text()
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nbformat.writes(nb) + "\n" == text or nbformat.writes(nb) == text
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")


def test_earlier_layers_cell_is_a_solution_without_tests_and_the_conv_layers_do_not_use_it():
    """The pasted HW3/HW4 layers are blanked in the release and graded by no test of their own;
    the naive conv and pooling solutions call nothing from that cell."""
    cells = json.loads((HW5 / "hw5.ipynb").read_text())["cells"]
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: c for c in cells if "nbgrader" in c["metadata"]}
    earlier = by_id["earlier_layers"]
    assert earlier["metadata"]["nbgrader"]["solution"] is True
    assert "test_earlier_layers" not in by_id
    pasted = ("affine_forward", "affine_backward", "relu_forward", "relu_backward", "affine_relu_forward",
              "affine_relu_backward", "softmax_loss", "batchnorm_forward", "batchnorm_backward")
    source = "".join(earlier["source"])
    assert all(f"def {name}(" in source for name in pasted)
    suite = (ROOT / "reference" / "hw5" / "test_hw5.py").read_text()
    assert 'task("earlier_layers")' not in suite
    for grade_id in ("conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive"):
        body = "".join(by_id[grade_id]["source"])
        assert not any(f"{name}(" in body for name in pasted), grade_id
