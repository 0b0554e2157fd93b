"""Every contract a hidden suite takes points for is checked before submission (issue 20, item 3).

A contract is what a function's docstring promises beyond its numbers: the shape of what it
returns and of the state it stores (``bn_param['running_mean']`` is (D,), not (1, D)), inputs of
any shape (a 1-D or 3-D ``w`` for the update rules), pad 0, strides and non-square images and
windows for convolution and pooling, test mode using the running statistics. The notebooks'
``rel_error`` broadcasts, so a visible check that only compares numbers lets a wrong shape
through; the grader's ``assert_close`` does not.

For each contract, ``_mistakes()`` holds a plausible mistake that breaks it and nothing else
(new ones, and WRONG variants of tests/variants that no visible check caught before). Each one,
pasted into a solved release:

* loses the points of its function in the hidden suite (the contract is worth points), and of
  no task outside its list (the functions that call it), and
* fails the visible test cell of that function when ``autograder validate`` runs it (so the
  student hears of it before submitting, without seeing a hidden value).

That every correct alternative still passes every visible check (a check that fails correct
code is worse than none) is ``autograder check``'s job (``check_visible``), run on every homework
by tests/test_check.py.
"""

from __future__ import annotations

import functools

import pytest

from autograder.samples import solution_sources, with_cells
from autograder.validate import validate
from tests.conftest import COURSE, lost_tasks, variants
from tests.test_validate import student_folder


@functools.lru_cache(maxsize=None)
def _solutions(name: str) -> dict[str, str]:
    from autograder.assignment import load_assignment

    return solution_sources(load_assignment(name, COURSE))


def _edit(name: str, grade_id: str, *changes: tuple[str, str]) -> str:
    """The source's solution cell ``grade_id`` of ``name`` with each (old, new) replaced once."""
    source = _solutions(name)[grade_id]
    for old, new in changes:
        assert source.count(old) == 1, f"{name} contract mistakes: {old!r} is not once in the source cell {grade_id}"
        source = source.replace(old, new)
    return source


def _two_d_default(name: str, rule: str, line: str) -> str:
    """An update rule whose state starts as zeros of shape (w.shape[0], w.shape[1]): right for 2-D w only."""
    return _edit(name, rule, (line, line.replace("np.zeros_like(w)", "np.zeros((w.shape[0], w.shape[1]))")))


GRADIENT_IN_THETAS_DTYPE = '''\
import numpy as np

def squared_error_gradient(theta, X, y):
    residuals = X @ theta - y
    grad = np.zeros_like(theta)
    for j in range(len(theta)):
        grad[j] = np.mean(residuals * X[:, j])
    return grad
'''

RELU_FORWARD_2D_ONLY = '''\
import numpy as np

def relu_forward(x):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i, j] = max(0.0, x[i, j])
    return out, x
'''

RELU_BACKWARD_2D_ONLY = '''\
import numpy as np

def relu_backward(dout, cache):
    x = cache
    dx = np.zeros_like(dout)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            if x[i, j] > 0:
                dx[i, j] = dout[i, j]
    return dx
'''


# {assignment: {mistake: (grade_id, cell source, tasks it must cost)}}; a source of None names a WRONG variant.
def _mistakes() -> dict[str, dict[str, tuple[str, str, list[str]]]]:
    hw1, hw2, hw4, hw5 = "hw1", "hw2", "hw4", "hw5"
    return {
        "hw1": {
            # one sample gives one log-density, shape (1,), not a 0-d array
            "log_density_squeezed": ("gaussian_log_density", _edit(
                hw1, "gaussian_log_density",
                ("return -0.5 * (D * np.log(2 * np.pi) + log_det + mahalanobis)",
                 "return np.squeeze(-0.5 * (D * np.log(2 * np.pi) + log_det + mahalanobis))")),
                ["gaussian_log_density"]),
            # X is not changed: centring it in place
            "log_density_centres_X_in_place": ("gaussian_log_density", _edit(
                hw1, "gaussian_log_density", ("centred = X - mean\n", "centred = X\n    centred -= mean\n")),
                ["gaussian_log_density", "predict_max_likelihood"]),
            # integer inputs: a gradient filled into np.zeros_like(theta) is truncated to integers
            "gradient_in_an_integer_array": ("squared_error_gradient", GRADIENT_IN_THETAS_DTYPE,
                                             ["squared_error_gradient"]),
            "numerical_gradient_ignores_h": _wrong(hw1, "numerical_gradient_ignores_h"),
            "split_not_shuffled": _wrong(hw1, "split_not_shuffled"),
        },
        "hw2": {
            # labels as a column (N, 1): list(...) == [...] still holds, the grader's shape check does not
            "knn_labels_as_a_column": ("KNN", _edit(
                hw2, "KNN", ("y_pred = np.zeros(num_test, dtype=np.int64)",
                             "y_pred = np.zeros((num_test, 1), dtype=np.int64)")),
                ["KNN", "cross_validate_knn"]),
            "knn_predict_ignores_k": _wrong(hw2, "knn_predict_ignores_k"),
        },
        "hw3": {
            # x of any shape: loops over rows and columns are right for a 2-D x only
            "relu_forward_loops_for_2d_only": ("relu_forward", RELU_FORWARD_2D_ONLY, ["relu_forward", "relu_backward"]),
            "relu_backward_loops_for_2d_only": ("relu_backward", RELU_BACKWARD_2D_ONLY, ["relu_backward"]),
        },
        "hw4": {
            # bn_param['running_mean'] stored as (1, D): out is right, rel_error broadcasts the running statistics
            "batchnorm_running_statistics_keepdims": ("batchnorm_forward", _edit(
                hw4, "batchnorm_forward",
                ("sample_mean = x.mean(axis=0)\n", "sample_mean = x.mean(axis=0, keepdims=True)\n"),
                ("sample_var = x.var(axis=0)\n", "sample_var = x.var(axis=0, keepdims=True)\n")),
                ["batchnorm_forward"]),
            "batchnorm_test_mode_uses_batch_statistics": _wrong(hw4, "batchnorm_test_mode_uses_batch_statistics"),
            # update rules whose state starts as a 2-D array: w of any shape is the contract
            "momentum_velocity_default_2d_only": ("sgd_momentum", _two_d_default(
                hw4, "sgd_momentum", 'v = config.get("velocity", np.zeros_like(w))'), ["sgd_momentum"]),
            "rmsprop_a_default_2d_only": ("rmsprop", _two_d_default(
                hw4, "rmsprop", 'config.setdefault("a", np.zeros_like(w))'), ["rmsprop"]),
            "adam_moments_default_2d_only": ("adam", _two_d_default(
                hw4, "adam", 'config.setdefault("v", np.zeros_like(w))'), ["adam"]),
            # a mask drawn for (N, D) only: x of any shape is the contract
            "dropout_mask_2d_only": ("dropout_forward", _edit(
                hw4, "dropout_forward", ("generator.random(x.shape)", "generator.random((x.shape[0], x.shape[1]))")),
                ["dropout_forward", "dropout_backward"]),
            # the pasted HW3 layers reach the network: a (1, M) db, an unflattened x, loss(X) in train mode
            "hw3_layers_db_keepdims": ("hw3_layers", _edit(
                hw4, "hw3_layers", ("db = dout.sum(axis=0)\n", "db = dout.sum(axis=0, keepdims=True)\n")),
                ["FullyConnectedNet"]),
            "hw3_layers_affine_without_flatten": ("hw3_layers", _edit(
                hw4, "hw3_layers", ("out = x.reshape(x.shape[0], -1) @ w + b", "out = x @ w + b")),
                ["FullyConnectedNet"]),
            "fc_always_train_mode": _wrong(hw4, "fc_always_train_mode"),
        },
        "hw5": {
            # pad 0: the padded copy filled through x_pad[:, :, pad:-pad, pad:-pad], empty when pad is 0
            "conv_forward_pad0_through_negative_slices": ("conv_forward_naive", _edit(
                hw5, "conv_forward_naive",
                ('x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")',
                 "x_pad = np.zeros((N, C, H + 2 * pad, W + 2 * pad))\n    x_pad[:, :, pad:-pad, pad:-pad] = x")),
                ["conv_forward_naive", "conv_backward_naive"]),
            "conv_backward_unpads_with_negative_index": _wrong(hw5, "conv_backward_unpads_with_negative_index"),
            # non-square images and windows: H and W (pool_height and pool_width) mixed up
            "conv_forward_width_from_height": ("conv_forward_naive", _edit(
                hw5, "conv_forward_naive", ("W_out = 1 + (W + 2 * pad", "W_out = 1 + (H + 2 * pad")),
                ["conv_forward_naive", "conv_backward_naive"]),
            "pool_forward_height_for_width": ("max_pool_forward_naive", _edit(
                hw5, "max_pool_forward_naive", ("j * stride + pw]", "j * stride + ph]")),
                ["max_pool_forward_naive"]),
            "pool_backward_height_for_width": ("max_pool_backward_naive", _edit(
                hw5, "max_pool_backward_naive", ("j * stride + pw]", "j * stride + ph]")),
                ["max_pool_backward_naive"]),
            # a stride other than the window's size
            "pool_forward_stride_taken_as_window_size": _wrong(hw5, "pool_forward_stride_taken_as_window_size"),
        },
    }


def _wrong(name: str, key: str) -> tuple[str, str, list[str]]:
    """A mistake already in tests/variants' WRONG set that the visible checks now catch too."""
    return variants(name).WRONG[key]


def _cases():
    for name, mistakes in _mistakes().items():
        for key, (grade_id, source, tasks) in mistakes.items():
            yield pytest.param(name, grade_id, source, tasks, id=f"{name}-{key}")


# Correct alternatives that a check older than this file fails, always or for some random states (an
# in-place update changes the `w` or `x` the cell uses next; a 1e-8 limit on two correct backward passes;
# the network's gradient check under batch norm): the `visible` helper fixes those cells (issue 20,
# item 2). Only these cells may fail, and only for these alternatives; every check added here must pass.
@pytest.mark.slow
@pytest.mark.parametrize("name, grade_id, source, tasks", list(_cases()))
def test_a_broken_contract_costs_points_and_fails_its_visible_check(name, grade_id, source, tasks, assignments,
                                                                    perfect_notebooks, grade, tmp_path):
    """tasks[0] is the function the contract belongs to; the others are what its mistake may also reach."""
    notebook = with_cells(perfect_notebooks[name], {grade_id: source})
    lost = lost_tasks(grade(assignments[name], notebook))
    assert tasks[0] in lost and lost <= set(tasks), lost  # the contract is worth points, and only its own
    report = validate(student_folder(tmp_path, assignments[name], notebook))
    failing = {v.grade_id for v in report.visible if not v.passed}
    assert not report.ready
    assert f"test_{tasks[0]}" in failing, report.render()  # the function's own visible check says so


def test_every_mistake_is_a_real_edit():
    """Each mistake differs from the source's cell (an edit that no longer applies fails loudly in _edit)."""
    for name, mistakes in _mistakes().items():
        for key, (grade_id, source, tasks) in mistakes.items():
            assert source != _solutions(name)[grade_id], f"{name} {key}"
            assert tasks and all(task in _solutions(name) for task in tasks), f"{name} {key}"
