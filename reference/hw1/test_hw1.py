"""Hidden tests for HW1: machine-learning refresher (regression and gradients).

Run while authoring (the reference must score 100 %):

    .venv/bin/python -m pytest -p autograder.pytest_plugin --student-module reference.hw1 reference/hw1/test_hw1.py -q

Points per task (each equals the ``points`` of the notebook's test cell):

    polynomial_features 6, squared_error_loss 6, squared_error_gradient 8,
    fit_least_squares 8, gradient_descent 10, train_val_test_split 8,
    select_degree 8, grad_quadratic_form 6, grad_bilinear_form 6,
    numerical_gradient 8, fit_gaussian_classes 10, gaussian_log_density 8,
    predict_max_likelihood 8                                  total 100

Every input comes from a fixed seed. Messages name calls by shapes only,
never by expected values. Tasks that reuse the student's own helpers
(``gradient_descent`` calls the loss and gradient, ``select_degree`` calls
``polynomial_features``, ``fit_least_squares`` and ``squared_error_loss``,
``predict_max_likelihood`` calls ``gaussian_log_density``) pass whenever those
helpers are right; a wrong helper can cost points in both places.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.testing import (
    as_array,
    assert_close,
    assert_same_labels,
    assert_shape,
    assert_true,
    assert_unchanged,
    rng,
)

GRADIENT_TOL = 1e-5  # centred differences with h = 1e-5 are good to ~1e-8 here
FLOAT32_TOL = 1e-4


def shape_str(*arrays) -> str:
    return ", ".join(str(tuple(np.shape(a))) for a in arrays)


def regression_problem(seed: int, N: int, D: int, dtype=np.float64):
    """X (N, D) with a bias column last (when D > 1), theta (D,), y (N,)."""
    g = rng(seed)
    X = g.normal(size=(N, D))
    if D > 1:
        X[:, -1] = 1.0
    theta = g.normal(size=D)
    y = X @ g.normal(size=D) + 0.3 * g.normal(size=N)
    return X.astype(dtype), theta.astype(dtype), y.astype(dtype)


def unpack(result, count: int, call: str):
    """The student's tuple result as a list of `count` items, or a helpful failure."""
    assert_true(
        isinstance(result, (tuple, list)) and len(result) == count,
        f"{call}: expected a tuple of {count} values, got {type(result).__name__}"
        + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "")
        + ".",
    )
    return list(result)


# =====================================================================
# polynomial_features  (6 points)
# =====================================================================
@pytest.mark.visible
@pytest.mark.task("polynomial_features")
@pytest.mark.points(2)
def test_polynomial_features_small(student, reference):
    """polynomial_features on 3 samples, degree 2: shape and column order x^2, x, 1."""
    x = np.array([2.0, -1.0, 0.5])
    call = "polynomial_features(x (3,), degree=2)"
    got = assert_shape(student.polynomial_features(x, 2), (3, 3), call=call)
    assert_close(got, reference.polynomial_features(x, 2), call=call)


@pytest.mark.task("polynomial_features")
@pytest.mark.points(2)
def test_polynomial_features_degrees(student, reference):
    """polynomial_features for degrees 0, 1 and 4 on random inputs."""
    x = rng(101).uniform(-2, 2, size=7)
    for degree in (0, 1, 4):
        call = f"polynomial_features(x {shape_str(x)}, degree={degree})"
        assert_close(student.polynomial_features(x, degree), reference.polynomial_features(x, degree), call=call)
        assert_unchanged(student, call=call)


@pytest.mark.task("polynomial_features")
@pytest.mark.points(2)
def test_polynomial_features_single_sample_and_int(student, reference):
    """polynomial_features with one sample, and with integer inputs."""
    x1 = np.array([1.7])
    call = "polynomial_features(x (1,), degree=3)"
    assert_close(student.polynomial_features(x1, 3), reference.polynomial_features(x1, 3), call=call)
    xi = np.array([3, -2, 0, 1])
    call = "polynomial_features(x (4,) of ints, degree=3)"
    assert_close(student.polynomial_features(xi, 3), reference.polynomial_features(xi, 3), call=call)


# =====================================================================
# squared_error_loss  (6 points)
# =====================================================================
@pytest.mark.visible
@pytest.mark.task("squared_error_loss")
@pytest.mark.points(2)
def test_squared_error_loss_small(student, reference):
    """squared_error_loss on a 3-sample, 2-parameter problem you can check by hand."""
    X = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    y = np.array([1.0, 3.0, 2.0])
    theta = np.array([0.5, 1.0])
    call = "squared_error_loss(theta (2,), X (3, 2), y (3,))"
    got = assert_shape(student.squared_error_loss(theta, X, y), (), call=call)
    assert_close(got, reference.squared_error_loss(theta, X, y), call=call)


@pytest.mark.task("squared_error_loss")
@pytest.mark.points(2)
def test_squared_error_loss_shapes(student, reference):
    """squared_error_loss for (N, D) = (25, 4), (1, 1) and (6, 6)."""
    for seed, (N, D) in enumerate([(25, 4), (1, 1), (6, 6)]):
        X, theta, y = regression_problem(200 + seed, N, D)
        call = f"squared_error_loss(theta {shape_str(theta)}, X {shape_str(X)}, y {shape_str(y)})"
        got = student.squared_error_loss(theta, X, y)
        assert_close(got, reference.squared_error_loss(theta, X, y), call=call)
        assert_unchanged(student, call=call)


@pytest.mark.task("squared_error_loss")
@pytest.mark.points(2)
def test_squared_error_loss_float32_and_int(student, reference):
    """squared_error_loss with float32 inputs and with integer inputs."""
    X, theta, y = regression_problem(210, 30, 3, dtype=np.float32)
    call = "squared_error_loss(theta (3,), X (30, 3), y (30,)) in float32"
    expected = reference.squared_error_loss(theta.astype(np.float64), X.astype(np.float64), y.astype(np.float64))
    assert_close(student.squared_error_loss(theta, X, y), expected, call=call, tol=FLOAT32_TOL)
    g = rng(211)
    Xi = g.integers(-3, 4, size=(8, 2))
    ti = g.integers(-2, 3, size=2)
    yi = g.integers(-5, 6, size=8)
    call = "squared_error_loss(theta (2,), X (8, 2), y (8,)) with integer arrays"
    assert_close(student.squared_error_loss(ti, Xi, yi), reference.squared_error_loss(ti, Xi, yi), call=call)


# =====================================================================
# squared_error_gradient  (8 points)
# =====================================================================
@pytest.mark.visible
@pytest.mark.task("squared_error_gradient")
@pytest.mark.points(2)
def test_squared_error_gradient_small(student, reference):
    """squared_error_gradient on a 3-sample, 2-parameter problem you can check by hand."""
    X = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    y = np.array([1.0, 3.0, 2.0])
    theta = np.array([0.5, 1.0])
    call = "squared_error_gradient(theta (2,), X (3, 2), y (3,))"
    got = assert_shape(student.squared_error_gradient(theta, X, y), (2,), call=call)
    assert_close(got, reference.squared_error_gradient(theta, X, y), call=call)


@pytest.mark.task("squared_error_gradient")
@pytest.mark.points(3)
def test_squared_error_gradient_shapes(student, reference):
    """squared_error_gradient for (N, D) = (30, 5), (1, 3), (4, 1) and (50, 2)."""
    for seed, (N, D) in enumerate([(30, 5), (1, 3), (4, 1), (50, 2)]):
        X, theta, y = regression_problem(300 + seed, N, D)
        call = f"squared_error_gradient(theta {shape_str(theta)}, X {shape_str(X)}, y {shape_str(y)})"
        got = student.squared_error_gradient(theta, X, y)
        assert_close(got, reference.squared_error_gradient(theta, X, y), call=call)
        assert_unchanged(student, call=call)


@pytest.mark.task("squared_error_gradient")
@pytest.mark.points(3)
def test_squared_error_gradient_float32_and_int(student, reference):
    """squared_error_gradient with float32 inputs and with integer inputs."""
    X, theta, y = regression_problem(310, 40, 4, dtype=np.float32)
    call = "squared_error_gradient(theta (4,), X (40, 4), y (40,)) in float32"
    expected = reference.squared_error_gradient(theta.astype(np.float64), X.astype(np.float64), y.astype(np.float64))
    assert_close(student.squared_error_gradient(theta, X, y), expected, call=call, tol=FLOAT32_TOL)
    g = rng(311)
    Xi = g.integers(-3, 4, size=(9, 3))
    ti = g.integers(-2, 3, size=3)
    yi = g.integers(-5, 6, size=9)
    call = "squared_error_gradient(theta (3,), X (9, 3), y (9,)) with integer arrays"
    assert_close(student.squared_error_gradient(ti, Xi, yi), reference.squared_error_gradient(ti, Xi, yi), call=call)


# =====================================================================
# fit_least_squares  (8 points)
# =====================================================================
@pytest.mark.visible
@pytest.mark.task("fit_least_squares")
@pytest.mark.points(2)
def test_fit_least_squares_exact_line(student, reference):
    """fit_least_squares recovers the line y = 2x + 1 from 4 noise-free points."""
    x = np.array([0.0, 1.0, 2.0, 3.0])
    X = np.stack([x, np.ones_like(x)], axis=1)
    y = 2 * x + 1
    call = "fit_least_squares(X (4, 2), y (4,))"
    got = assert_shape(student.fit_least_squares(X, y), (2,), call=call)
    assert_close(got, reference.fit_least_squares(X, y), call=call)


@pytest.mark.task("fit_least_squares")
@pytest.mark.points(3)
def test_fit_least_squares_shapes(student, reference):
    """fit_least_squares for (N, D) = (50, 4), (6, 6) square, (10, 1), (2, 2) and (1, 1)."""
    for seed, (N, D) in enumerate([(50, 4), (6, 6), (10, 1), (2, 2), (1, 1)]):
        X, _, y = regression_problem(400 + seed, N, D)
        call = f"fit_least_squares(X {shape_str(X)}, y {shape_str(y)})"
        got = student.fit_least_squares(X, y)
        assert_close(got, reference.fit_least_squares(X, y), call=call)
        assert_unchanged(student, call=call)


@pytest.mark.task("fit_least_squares")
@pytest.mark.points(3)
def test_fit_least_squares_polynomial_and_int(student, reference):
    """fit_least_squares on cubic polynomial features of noisy data, and on integer arrays."""
    g = rng(410)
    x = g.uniform(-1, 1, size=60)
    y = 1.5 * x ** 3 - x + 0.5 + 0.2 * g.normal(size=60)
    X = np.stack([x ** 3, x ** 2, x, np.ones_like(x)], axis=1)
    call = "fit_least_squares(X (60, 4), y (60,))"
    assert_close(student.fit_least_squares(X, y), reference.fit_least_squares(X, y), call=call)
    Xi = np.array([[1, 0, 1], [2, 1, 1], [0, 3, 1], [4, 1, 1], [3, 3, 1]])
    yi = np.array([3, 1, 4, 1, 5])
    call = "fit_least_squares(X (5, 3), y (5,)) with integer arrays"
    assert_close(student.fit_least_squares(Xi, yi), reference.fit_least_squares(Xi, yi), call=call)


# =====================================================================
# gradient_descent  (10 points)
# =====================================================================
@pytest.mark.visible
@pytest.mark.task("gradient_descent")
@pytest.mark.points(2)
def test_gradient_descent_small(student, reference):
    """gradient_descent: 3 steps from zeros on a 3-sample problem; theta and losses."""
    X = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
    y = np.array([1.0, 3.0, 2.0])
    call = "gradient_descent(X (3, 2), y (3,), learning_rate=0.1, num_iters=3)"
    theta, losses = unpack(student.gradient_descent(X, y, 0.1, 3), 2, call)
    ref_theta, ref_losses = reference.gradient_descent(X, y, 0.1, 3)
    assert_close(theta, ref_theta, call=call, what="theta")
    assert_close(losses, ref_losses, call=call, what="losses")


@pytest.mark.task("gradient_descent")
@pytest.mark.points(3)
def test_gradient_descent_losses_before_each_step(student, reference):
    """gradient_descent: losses[t] is the loss BEFORE step t, so losses[0] is the loss at theta0."""
    X, theta0, y = regression_problem(500, 20, 3)
    call = "gradient_descent(X (20, 3), y (20,), learning_rate=0.05, num_iters=5, theta0 (3,))"
    theta, losses = unpack(student.gradient_descent(X, y, 0.05, 5, theta0), 2, call)
    ref_theta, ref_losses = reference.gradient_descent(X, y, 0.05, 5, theta0)
    losses = assert_shape(losses, (5,), call=call, what="losses")
    assert_close(losses[0], reference.squared_error_loss(theta0, X, y), call=call, what="losses[0]")
    assert_close(losses, ref_losses, call=call, what="losses")
    assert_close(theta, ref_theta, call=call, what="theta")


@pytest.mark.task("gradient_descent")
@pytest.mark.points(3)
def test_gradient_descent_many_steps(student, reference):
    """gradient_descent: 200 steps on a (60, 4) problem, default and given theta0."""
    X, theta0, y = regression_problem(510, 60, 4)
    for start in (None, theta0):
        ref_theta, ref_losses = reference.gradient_descent(X, y, 0.1, 200, start)
        if start is None:
            call = "gradient_descent(X (60, 4), y (60,), learning_rate=0.1, num_iters=200)"
            result = student.gradient_descent(X, y, 0.1, 200)
        else:
            call = "gradient_descent(X (60, 4), y (60,), learning_rate=0.1, num_iters=200, theta0 (4,))"
            result = student.gradient_descent(X, y, 0.1, 200, theta0=start)
        theta, losses = unpack(result, 2, call)
        assert_close(theta, ref_theta, call=call, what="theta")
        assert_close(losses, ref_losses, call=call, what="losses")


@pytest.mark.task("gradient_descent")
@pytest.mark.points(2)
def test_gradient_descent_keeps_theta0_and_zero_steps(student, reference):
    """gradient_descent leaves theta0 unchanged, and 0 steps return theta0 and no losses."""
    X, theta0, y = regression_problem(520, 15, 2)
    call = "gradient_descent(X (15, 2), y (15,), learning_rate=0.1, num_iters=10, theta0 (2,))"
    student.gradient_descent(X, y, 0.1, 10, theta0)
    assert_unchanged(student, call=call)
    call = "gradient_descent(X (15, 2), y (15,), learning_rate=0.1, num_iters=0, theta0 (2,))"
    theta, losses = unpack(student.gradient_descent(X, y, 0.1, 0, theta0), 2, call)
    assert_close(theta, theta0, call=call, what="theta")
    assert_shape(losses, (0,), call=call, what="losses")


# =====================================================================
# train_val_test_split  (8 points)
# =====================================================================
def split_data(N: int, D: int, seed: int):
    """X whose first column is a unique row id, and y that names its row."""
    g = rng(seed)
    X = g.normal(size=(N, D))
    X[:, 0] = g.permutation(N) + 0.5
    y = 1000.0 + 10.0 * X[:, 0]
    return X, y


def check_split(result, X, y, val_fraction, test_fraction, call):
    """Properties every correct split has; returns the three sets' row ids."""
    parts = unpack(result, 6, call)
    N, D = X.shape
    names = ["X_train", "y_train", "X_val", "y_val", "X_test", "y_test"]
    arrays = []
    for i, name in enumerate(names):
        arr = as_array(parts[i], call=call, what=name)
        want_ndim = 2 if name.startswith("X") else 1
        assert_true(arr.ndim == want_ndim, f"{call}: {name} should have {want_ndim} dimension(s); got shape {arr.shape}.")
        if want_ndim == 2:
            assert_true(arr.shape[1] == D, f"{call}: {name} should keep all {D} columns; got shape {arr.shape}.")
        arrays.append(arr)
    for j in range(3):
        Xp, yp = arrays[2 * j], arrays[2 * j + 1]
        assert_true(
            Xp.shape[0] == yp.shape[0],
            f"{call}: {names[2 * j]} has {Xp.shape[0]} rows but {names[2 * j + 1]} has {yp.shape[0]} entries.",
        )
    n_val, n_test = arrays[2].shape[0], arrays[4].shape[0]
    assert_true(abs(n_val - val_fraction * N) <= 1,
                f"{call}: the validation set has {n_val} rows; it should have val_fraction * N = {val_fraction * N:g} (give or take 1).")
    assert_true(abs(n_test - test_fraction * N) <= 1,
                f"{call}: the test set has {n_test} rows; it should have test_fraction * N = {test_fraction * N:g} (give or take 1).")
    rows = {float(X[i, 0]): i for i in range(N)}
    seen: list[int] = []
    ids = []
    for j in range(3):
        Xp, yp = arrays[2 * j], arrays[2 * j + 1]
        part_ids = []
        for r in range(Xp.shape[0]):
            i = rows.get(float(Xp[r, 0]))
            assert_true(i is not None and np.array_equal(Xp[r], X[i]),
                        f"{call}: row {r} of {names[2 * j]} is not a row of X.")
            assert_true(float(yp[r]) == float(y[i]),
                        f"{call}: row {r} of {names[2 * j]} is not paired with its own target in {names[2 * j + 1]}.")
            part_ids.append(i)
        seen.extend(part_ids)
        ids.append(sorted(part_ids))
    assert_true(len(seen) == len(set(seen)), f"{call}: some rows of X appear more than once across the three sets.")
    assert_true(len(seen) == N, f"{call}: the three sets hold {len(seen)} rows in total; X has {N}.")
    return ids


@pytest.mark.visible
@pytest.mark.task("train_val_test_split")
@pytest.mark.points(2)
def test_split_small(student):
    """train_val_test_split of 10 rows into 5/2/3: disjoint, covering, paired."""
    X, y = split_data(10, 2, 600)
    call = "train_val_test_split(X (10, 2), y (10,), val_fraction=0.2, test_fraction=0.3, seed=0)"
    check_split(student.train_val_test_split(X, y, 0.2, 0.3, 0), X, y, 0.2, 0.3, call)


@pytest.mark.task("train_val_test_split")
@pytest.mark.points(4)
def test_split_properties(student):
    """train_val_test_split on 53, 7 and 120 rows with uneven fractions: disjoint, covering, paired,
    sizes, and X and y left as they were (not shuffled in place)."""
    for N, D, vf, tf, seed in [(53, 3, 0.15, 0.25, 7), (7, 1, 0.3, 0.15, 3), (120, 4, 0.1, 0.1, 12345)]:
        X, y = split_data(N, D, 610 + N)
        call = f"train_val_test_split(X ({N}, {D}), y ({N},), val_fraction={vf}, test_fraction={tf}, seed={seed})"
        check_split(student.train_val_test_split(X, y, vf, tf, seed), X, y, vf, tf, call)
        assert_unchanged(student, call=call)


@pytest.mark.task("train_val_test_split")
@pytest.mark.points(2)
def test_split_depends_on_seed_only(student):
    """train_val_test_split: the same seed gives the same split; different seeds give different ones."""
    X, y = split_data(60, 2, 620)
    call = "train_val_test_split(X (60, 2), y (60,), val_fraction=0.2, test_fraction=0.2, seed={})"
    first = check_split(student.train_val_test_split(X, y, 0.2, 0.2, 5), X, y, 0.2, 0.2, call.format(5))
    again = check_split(student.train_val_test_split(X, y, 0.2, 0.2, 5), X, y, 0.2, 0.2, call.format(5))
    assert_true(first == again, f"{call.format(5)}: two calls with the same seed gave different splits.")
    other = [check_split(student.train_val_test_split(X, y, 0.2, 0.2, s), X, y, 0.2, 0.2, call.format(s))
             for s in (6, 7)]
    assert_true(any(o != first for o in other),
                f"{call.format('6 or 7')}: different seeds gave the same split; shuffle the rows with a generator seeded by `seed`.")




# =====================================================================
# select_degree  (8 points)
# =====================================================================
def cubic_data(seed: int, N: int):
    g = rng(seed)
    x = g.uniform(-1, 1, size=N)
    return x, 1.5 * x ** 3 - x + 0.5 + 0.3 * g.normal(size=N)


def check_select(student, reference, x_tr, y_tr, x_va, y_va, degrees):
    call = f"select_degree(x_train {shape_str(x_tr)}, y_train, x_val {shape_str(x_va)}, y_val, degrees={degrees})"
    best, train_losses, val_losses = unpack(student.select_degree(x_tr, y_tr, x_va, y_va, degrees), 3, call)
    ref_best, ref_train, ref_val = reference.select_degree(x_tr, y_tr, x_va, y_va, degrees)
    assert_close(train_losses, ref_train, call=call, what="train_losses")
    assert_close(val_losses, ref_val, call=call, what="val_losses")
    best = as_array(best, call=call, what="best_degree")
    assert_true(best.shape == () and best == ref_best,
                f"{call}: best_degree is not the degree with the smallest validation loss.")


@pytest.mark.visible
@pytest.mark.task("select_degree")
@pytest.mark.points(2)
def test_select_degree_small(student, reference):
    """select_degree on noisy cubic data with degrees [1, 2, 3]."""
    x_tr, y_tr = cubic_data(700, 30)
    x_va, y_va = cubic_data(701, 20)
    check_select(student, reference, x_tr, y_tr, x_va, y_va, [1, 2, 3])


@pytest.mark.task("select_degree")
@pytest.mark.points(3)
def test_select_degree_validation_not_training(student, reference):
    """select_degree with unsorted degrees up to 8: the best validation loss is not the best training loss."""
    g = rng(22)
    x_tr = g.uniform(-1, 1, 40)
    y_tr = 1.5 * x_tr ** 3 - x_tr + 0.5 + g.normal(0, 0.3, 40)
    x_va = g.uniform(-1, 1, 30)
    y_va = 1.5 * x_va ** 3 - x_va + 0.5 + g.normal(0, 0.3, 30)
    check_select(student, reference, x_tr, y_tr, x_va, y_va, [4, 1, 2, 8, 3, 6, 0])


@pytest.mark.task("select_degree")
@pytest.mark.points(3)
def test_select_degree_shapes(student, reference):
    """select_degree with a single degree, and with a 2-sample validation set."""
    x_tr, y_tr = cubic_data(710, 25)
    x_va, y_va = cubic_data(711, 12)
    check_select(student, reference, x_tr, y_tr, x_va, y_va, [2])
    x_va, y_va = cubic_data(712, 2)
    check_select(student, reference, x_tr, y_tr, x_va, y_va, [0, 5, 3, 1])


# =====================================================================
# grad_quadratic_form  (6 points)
# =====================================================================
@pytest.mark.visible
@pytest.mark.task("grad_quadratic_form")
@pytest.mark.points(2)
def test_grad_quadratic_form_small(student, reference):
    """grad_quadratic_form for the non-symmetric A = [[1, 2], [0, 3]] at x = [1, 1]."""
    A = np.array([[1.0, 2.0], [0.0, 3.0]])
    x = np.array([1.0, 1.0])
    call = "grad_quadratic_form(A (2, 2), x (2,))"
    got = assert_shape(student.grad_quadratic_form(A, x), (2,), call=call)
    assert_close(got, reference.grad_quadratic_form(A, x), call=call)


@pytest.mark.task("grad_quadratic_form")
@pytest.mark.points(2)
def test_grad_quadratic_form_nonsymmetric(student, reference):
    """grad_quadratic_form for random non-symmetric A of sizes 5 and 3."""
    for seed, n in enumerate([5, 3]):
        g = rng(800 + seed)
        A = g.normal(size=(n, n))
        x = g.normal(size=n)
        call = f"grad_quadratic_form(A ({n}, {n}), x ({n},))"
        assert_close(student.grad_quadratic_form(A, x), reference.grad_quadratic_form(A, x), call=call)
        assert_unchanged(student, call=call)


@pytest.mark.task("grad_quadratic_form")
@pytest.mark.points(2)
def test_grad_quadratic_form_symmetric_1d_and_int(student, reference):
    """grad_quadratic_form for a symmetric A, for n = 1, and for integer arrays."""
    g = rng(810)
    B = g.normal(size=(4, 4))
    A = B + B.T
    x = g.normal(size=4)
    cases = [(A, x, "A (4, 4) symmetric, x (4,)"),
             (np.array([[2.5]]), np.array([-1.5]), "A (1, 1), x (1,)"),
             (g.integers(-4, 5, size=(3, 3)), g.integers(-3, 4, size=3), "A (3, 3), x (3,) of ints")]
    for A, x, what in cases:
        call = f"grad_quadratic_form({what})"
        assert_close(student.grad_quadratic_form(A, x), reference.grad_quadratic_form(A, x), call=call)


# =====================================================================
# grad_bilinear_form  (6 points)
# =====================================================================
@pytest.mark.visible
@pytest.mark.task("grad_bilinear_form")
@pytest.mark.points(2)
def test_grad_bilinear_form_small(student, reference):
    """grad_bilinear_form for z (2,), A (2, 3), x (3,): the gradient has the shape of A."""
    z = np.array([1.0, -2.0])
    A = np.arange(6.0).reshape(2, 3)
    x = np.array([3.0, 0.5, -1.0])
    call = "grad_bilinear_form(z (2,), A (2, 3), x (3,))"
    got = assert_shape(student.grad_bilinear_form(z, A, x), (2, 3), call=call)
    assert_close(got, reference.grad_bilinear_form(z, A, x), call=call)


@pytest.mark.task("grad_bilinear_form")
@pytest.mark.points(2)
def test_grad_bilinear_form_nonsquare(student, reference):
    """grad_bilinear_form for (m, n) = (4, 2), (1, 5) and (3, 1)."""
    for seed, (m, n) in enumerate([(4, 2), (1, 5), (3, 1)]):
        g = rng(900 + seed)
        z, A, x = g.normal(size=m), g.normal(size=(m, n)), g.normal(size=n)
        call = f"grad_bilinear_form(z ({m},), A ({m}, {n}), x ({n},))"
        assert_close(student.grad_bilinear_form(z, A, x), reference.grad_bilinear_form(z, A, x), call=call)
        assert_unchanged(student, call=call)


@pytest.mark.task("grad_bilinear_form")
@pytest.mark.points(2)
def test_grad_bilinear_form_square(student, reference):
    """grad_bilinear_form for a square A (3, 3), where a transposed answer has the right shape."""
    g = rng(910)
    z, A, x = g.normal(size=3), g.normal(size=(3, 3)), g.normal(size=3)
    call = "grad_bilinear_form(z (3,), A (3, 3), x (3,))"
    assert_close(student.grad_bilinear_form(z, A, x), reference.grad_bilinear_form(z, A, x), call=call)


# =====================================================================
# numerical_gradient  (8 points)
# =====================================================================
@pytest.mark.visible
@pytest.mark.task("numerical_gradient")
@pytest.mark.points(2)
def test_numerical_gradient_small(student):
    """numerical_gradient of f(x) = sum(x^2) at x (3,) is close to 2x."""
    f = student.define("lambda x: np.sum(x ** 2)")
    x = np.array([1.0, -2.0, 0.5])
    call = "numerical_gradient(f = sum(x ** 2), x (3,))"
    got = assert_shape(student.numerical_gradient(f, x), (3,), call=call)
    assert_close(got, 2 * x, call=call, tol=GRADIENT_TOL)


@pytest.mark.task("numerical_gradient")
@pytest.mark.points(3)
def test_numerical_gradient_high_curvature(student):
    """numerical_gradient of sum(exp(40 x)) and sum(cos(50 x)): needs centred differences."""
    x3 = rng(1000).uniform(-0.1, 0.1, size=3)
    f = student.define("lambda x: np.sum(np.exp(40.0 * x))")
    call = "numerical_gradient(f = sum(exp(40 x)), x (3,))"
    assert_close(student.numerical_gradient(f, x3), 40.0 * np.exp(40.0 * x3), call=call, tol=GRADIENT_TOL)
    assert_unchanged(student, call=call)
    x1 = np.array([0.3])
    f = student.define("lambda x: np.sum(np.cos(50.0 * x))")
    call = "numerical_gradient(f = sum(cos(50 x)), x (1,))"
    assert_close(student.numerical_gradient(f, x1), -50.0 * np.sin(50.0 * x1), call=call, tol=GRADIENT_TOL)
    assert_unchanged(student, call=call)


@pytest.mark.task("numerical_gradient")
@pytest.mark.points(2)
def test_numerical_gradient_matrix_input(student):
    """numerical_gradient at a (2, 3) matrix x of a weighted sum of sines; x stays unchanged."""
    x = rng(1010).normal(size=(2, 3))
    W = np.arange(1.0, 7.0).reshape(2, 3)
    f = student.define("lambda x: np.sum(np.sin(3.0 * x) * np.arange(1.0, 7.0).reshape(2, 3))")
    call = "numerical_gradient(f = sum(W * sin(3 x)), x (2, 3))"
    got = assert_shape(student.numerical_gradient(f, x), (2, 3), call=call)
    assert_unchanged(student, call=call)
    assert_close(got, 3.0 * np.cos(3.0 * x) * W, call=call, tol=GRADIENT_TOL)


@pytest.mark.task("numerical_gradient")
@pytest.mark.points(1)
def test_numerical_gradient_uses_h(student, reference):
    """numerical_gradient uses the step h it is given (h = 0.01 on a cubic), not a fixed one."""
    x = np.array([0.5, -1.0, 2.0])
    f = student.define("lambda x: np.sum(x ** 3)")
    call = "numerical_gradient(f = sum(x ** 3), x (3,), h=0.01)"
    expected = reference.numerical_gradient(lambda v: np.sum(v ** 3), x.copy(), h=0.01)
    assert_close(student.numerical_gradient(f, x, h=0.01), expected, call=call)
    assert_unchanged(student, call=call)


# =====================================================================
# fit_gaussian_classes  (10 points)
# =====================================================================
def gaussian_classes(seed: int, sizes, D: int):
    """Shuffled samples of len(sizes) Gaussian classes with unequal sizes."""
    g = rng(seed)
    X_parts, y_parts = [], []
    for k, n in enumerate(sizes):
        B = g.normal(size=(D, D)) * 0.6 + np.eye(D)
        X_parts.append(g.normal(size=(n, D)) @ B + 2.0 * g.normal(size=D))
        y_parts.append(np.full(n, k))
    X, y = np.concatenate(X_parts), np.concatenate(y_parts)
    order = g.permutation(len(y))
    return X[order], y[order]


GAUSSIAN_CASES = [  # (seed, class sizes, D)
    (1100, (5, 12, 30), 2),
    (1101, (9, 4), 1),
    (1102, (20, 7, 11, 3), 3),
]


def fitted(student, X, y, K):
    call = f"fit_gaussian_classes(X {shape_str(X)}, y {shape_str(y)}, num_classes={K})"
    return call, unpack(student.fit_gaussian_classes(X, y, K), 3, call)


@pytest.mark.visible
@pytest.mark.task("fit_gaussian_classes")
@pytest.mark.points(2)
def test_fit_gaussian_classes_small(student, reference):
    """fit_gaussian_classes on 5 one-dimensional samples of 2 classes."""
    X = np.array([[0.0], [2.0], [10.0], [1.0], [12.0]])
    y = np.array([0, 0, 1, 0, 1])
    call, (priors, means, covs) = fitted(student, X, y, 2)
    ref = reference.fit_gaussian_classes(X, y, 2)
    for got, expected, name in zip((priors, means, covs), ref, ("priors", "means", "covs")):
        assert_close(got, expected, call=call, what=name)


@pytest.mark.task("fit_gaussian_classes")
@pytest.mark.points(2)
def test_fit_gaussian_classes_priors(student, reference):
    """fit_gaussian_classes: priors are the class frequencies (unequal classes, D = 1, 2, 3)."""
    for seed, sizes, D in GAUSSIAN_CASES:
        X, y = gaussian_classes(seed, sizes, D)
        call, (priors, _, _) = fitted(student, X, y, len(sizes))
        assert_close(priors, reference.fit_gaussian_classes(X, y, len(sizes))[0], call=call, what="priors")


@pytest.mark.task("fit_gaussian_classes")
@pytest.mark.points(3)
def test_fit_gaussian_classes_means(student, reference):
    """fit_gaussian_classes: means (K, D) of each class (unequal classes, D = 1, 2, 3)."""
    for seed, sizes, D in GAUSSIAN_CASES:
        X, y = gaussian_classes(seed, sizes, D)
        call, (_, means, _) = fitted(student, X, y, len(sizes))
        assert_close(means, reference.fit_gaussian_classes(X, y, len(sizes))[1], call=call, what="means")
        assert_unchanged(student, call=call)


@pytest.mark.task("fit_gaussian_classes")
@pytest.mark.points(3)
def test_fit_gaussian_classes_covariances(student, reference):
    """fit_gaussian_classes: maximum-likelihood covariances (K, D, D), divided by N_k."""
    for seed, sizes, D in GAUSSIAN_CASES:
        X, y = gaussian_classes(seed, sizes, D)
        call, (_, _, covs) = fitted(student, X, y, len(sizes))
        assert_close(covs, reference.fit_gaussian_classes(X, y, len(sizes))[2], call=call, what="covs")


# =====================================================================
# gaussian_log_density  (8 points)
# =====================================================================
def spd(seed: int, D: int) -> np.ndarray:
    B = rng(seed).normal(size=(D, D))
    return B @ B.T + 0.5 * np.eye(D)


@pytest.mark.visible
@pytest.mark.task("gaussian_log_density")
@pytest.mark.points(2)
def test_gaussian_log_density_standard(student, reference):
    """gaussian_log_density of the standard normal in 2 dimensions at 3 points."""
    X = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, -2.0]])
    mean, cov = np.zeros(2), np.eye(2)
    call = "gaussian_log_density(X (3, 2), mean (2,), cov (2, 2))"
    got = assert_shape(student.gaussian_log_density(X, mean, cov), (3,), call=call)
    assert_close(got, reference.gaussian_log_density(X, mean, cov), call=call)


@pytest.mark.task("gaussian_log_density")
@pytest.mark.points(3)
def test_gaussian_log_density_full_covariance(student, reference):
    """gaussian_log_density with a full (non-diagonal) covariance, D = 3 and D = 5."""
    for seed, (N, D) in enumerate([(20, 3), (8, 5)]):
        g = rng(1200 + seed)
        X, mean, cov = g.normal(size=(N, D)) * 1.5, g.normal(size=D), spd(1210 + seed, D)
        call = f"gaussian_log_density(X ({N}, {D}), mean ({D},), cov ({D}, {D}))"
        assert_close(student.gaussian_log_density(X, mean, cov), reference.gaussian_log_density(X, mean, cov), call=call)
        assert_unchanged(student, call=call)


@pytest.mark.task("gaussian_log_density")
@pytest.mark.points(3)
def test_gaussian_log_density_d1_and_n1(student, reference):
    """gaussian_log_density for D = 1 (variance 4) and for a single sample (N = 1)."""
    X = rng(1220).normal(size=(7, 1)) * 3
    mean, cov = np.array([1.0]), np.array([[4.0]])
    call = "gaussian_log_density(X (7, 1), mean (1,), cov (1, 1))"
    assert_close(student.gaussian_log_density(X, mean, cov), reference.gaussian_log_density(X, mean, cov), call=call)
    X1, mean4, cov4 = rng(1221).normal(size=(1, 4)), rng(1222).normal(size=4), spd(1223, 4)
    call = "gaussian_log_density(X (1, 4), mean (4,), cov (4, 4))"
    assert_close(student.gaussian_log_density(X1, mean4, cov4), reference.gaussian_log_density(X1, mean4, cov4), call=call)


# =====================================================================
# predict_max_likelihood  (8 points)
# The parameters come from the REFERENCE fit, so a mistake in
# fit_gaussian_classes costs nothing here.
# =====================================================================
@pytest.mark.visible
@pytest.mark.task("predict_max_likelihood")
@pytest.mark.points(2)
def test_predict_max_likelihood_separated(student, reference):
    """predict_max_likelihood on two well-separated 1-D classes."""
    priors = np.array([0.5, 0.5])
    means = np.array([[-2.0], [3.0]])
    covs = np.array([[[1.0]], [[1.0]]])
    X = np.array([[-3.0], [-1.0], [0.0], [2.0], [5.0]])
    call = "predict_max_likelihood(X (5, 1), priors (2,), means (2, 1), covs (2, 1, 1))"
    assert_same_labels(student.predict_max_likelihood(X, priors, means, covs),
                       reference.predict_max_likelihood(X, priors, means, covs), call=call)


@pytest.mark.task("predict_max_likelihood")
@pytest.mark.points(3)
def test_predict_max_likelihood_unequal_priors(student, reference):
    """predict_max_likelihood with priors 0.8 / 0.15 / 0.05 and overlapping classes: the priors change many labels."""
    g = rng(31)
    sizes = [240, 45, 15]
    centres = np.array([[0.0, 0.0], [1.0, 0.5], [0.3, 1.0]])
    X = np.concatenate([g.normal(centres[k], [1.0, 0.8], (n, 2)) for k, n in enumerate(sizes)])
    y = np.repeat(np.arange(3), sizes)
    order = g.permutation(len(y))
    priors, means, covs = reference.fit_gaussian_classes(X[order], y[order], 3)
    X_test = g.normal(0.4, 1.0, (60, 2))
    call = "predict_max_likelihood(X (60, 2), priors (3,), means (3, 2), covs (3, 2, 2))"
    assert_same_labels(student.predict_max_likelihood(X_test, priors, means, covs),
                       reference.predict_max_likelihood(X_test, priors, means, covs), call=call)
    assert_unchanged(student, call=call)


@pytest.mark.task("predict_max_likelihood")
@pytest.mark.points(3)
def test_predict_max_likelihood_d1_unequal_variances(student, reference):
    """predict_max_likelihood in 1-D with unequal priors and variances (a quadratic boundary)."""
    g = rng(1300)
    X = np.concatenate([g.normal(0.0, 0.5, (30, 1)), g.normal(1.0, 2.0, (10, 1))])
    y = np.repeat([0, 1], [30, 10])
    priors, means, covs = reference.fit_gaussian_classes(X, y, 2)
    X_test = np.linspace(-6, 6, 41)[:, None]
    call = "predict_max_likelihood(X (41, 1), priors (2,), means (2, 1), covs (2, 1, 1))"
    assert_same_labels(student.predict_max_likelihood(X_test, priors, means, covs),
                       reference.predict_max_likelihood(X_test, priors, means, covs), call=call)
