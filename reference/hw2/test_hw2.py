"""Hidden tests for HW2: k-nearest neighbours, multiclass SVM, softmax, SGD.

Run while authoring (the reference must score 100 %):

    .venv/bin/python -m pytest -p autograder.pytest_plugin --student-module reference.hw2 reference/hw2/test_hw2.py -q

Points per task (each equals the ``points`` of the notebook's test cell):

    KNN 20, cross_validate_knn 8, svm_loss_naive 12, svm_loss_vectorized 14,
    softmax_loss_naive 12, softmax_loss_vectorized 14, predict_linear 5,
    sgd_train 15                                                total 100

Every input comes from a fixed seed and is small (a few ms per test).
Messages name calls by shapes only, never by expected values.

Isolation between tasks: ``cross_validate_knn`` uses the student's own
``KNN``; its tests use two classes and odd k, so no vote can tie and a KNN
whose only fault is the tie rule (or squared distances, which rank neighbours
the same way) does not cost points there. ``sgd_train`` is tested with losses
defined here (``student.define``), never with the student's own losses.

The four loss functions share one set of checks (``LOSS_TESTS`` below):
a small case, regularisation, edge shapes and unequal class priors, float32,
inputs left unchanged, and one check specific to the loss (a larger SVM
problem; softmax scores all near 1000); the vectorized ones add a
notebook-sized batch.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograder.testing import (
    GradingFailure,
    as_array,
    assert_close,
    assert_same_labels,
    assert_shape,
    assert_true,
    assert_unchanged,
    describe,
    rng,
)

points = pytest.mark.points
task = pytest.mark.task
visible = pytest.mark.visible

FLOAT32_TOL = 1e-4


def shape_str(*arrays) -> str:
    return ", ".join(str(tuple(np.shape(a))) for a in arrays)


def unpack(result, count: int, call: str):
    """The student's tuple result as a list of `count` items, or a helpful failure."""
    assert_true(
        isinstance(result, (tuple, list)) and len(result) == count,
        f"{call}: expected a tuple of {count} values, got {describe(result)}.",
    )
    return list(result)


# =====================================================================
# KNN  (20 points)
# =====================================================================
def trained_knn(student, X_train, y_train, call: str):
    knn = student.KNN()
    knn.train(X_train, y_train)
    return knn


@visible
@task("KNN")
@points(3)
def test_knn_distances_small(student, reference):
    """KNN.compute_distances for 2 test and 3 training points in 2-D."""
    X_tr = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
    y_tr = np.array([2, 0, 1])
    X_te = np.array([[0.0, 0.0], [3.0, 0.0]])
    call = "KNN.train(X (3, 2), y (3,)); KNN.compute_distances(X (2, 2))"
    knn = trained_knn(student, X_tr, y_tr, call)
    got = assert_shape(knn.compute_distances(X_te), (2, 3), call=call)
    ref = reference.KNN()
    ref.train(X_tr, y_tr)
    assert_close(got, ref.compute_distances(X_te), call=call, tol=1e-6)


@task("KNN")
@points(4)
def test_knn_distances_random(student, reference):
    """KNN.compute_distances on random data, and on pixel-like values in [0, 255]."""
    g = rng(201)
    cases = [
        (g.normal(size=(17, 5)), g.normal(size=(6, 5))),
        (g.uniform(0, 255, size=(11, 12)), g.uniform(0, 255, size=(4, 12))),
    ]
    for X_tr, X_te in cases:
        y_tr = g.integers(0, 3, size=len(X_tr))
        call = f"KNN.train(X {shape_str(X_tr)}, y); KNN.compute_distances(X {shape_str(X_te)})"
        knn = trained_knn(student, X_tr, y_tr, call)
        ref = reference.KNN()
        ref.train(X_tr, y_tr)
        assert_close(knn.compute_distances(X_te), ref.compute_distances(X_te), call=call, tol=1e-6)


@task("KNN")
@points(3)
def test_knn_distances_edge_cases(student, reference):
    """KNN.compute_distances with one test sample in 1-D, with integer inputs, and with float32 inputs."""
    g = rng(202)
    cases = [
        (g.normal(size=(5, 1)), np.array([[0.3]]), 1e-6, "float64"),
        (g.integers(0, 50, size=(9, 4)), g.integers(0, 50, size=(3, 4)), 1e-6, "int"),
        (g.normal(size=(10, 6)).astype(np.float32), g.normal(size=(4, 6)).astype(np.float32), FLOAT32_TOL, "float32"),
    ]
    for X_tr, X_te, tol, kind in cases:
        # integer points can coincide; keep every test point off the training points
        y_tr = np.arange(len(X_tr)) % 3
        call = f"KNN.train(X {shape_str(X_tr)} {kind}, y); KNN.compute_distances(X {shape_str(X_te)} {kind})"
        knn = trained_knn(student, X_tr, y_tr, call)
        ref = reference.KNN()
        ref.train(X_tr, y_tr)
        expected = ref.compute_distances(X_te)
        assert_true(np.all(expected > 0), "internal: test points must differ from training points")
        assert_close(knn.compute_distances(X_te), expected, call=call, tol=tol)


@task("KNN")
@points(2)
def test_knn_predict_labels_k1(student, reference):
    """KNN.predict_labels with k=1 returns the label of the nearest training sample."""
    g = rng(203)
    y_tr = g.integers(0, 4, size=9)
    dists = g.uniform(0.5, 5.0, size=(5, 9))
    call = "KNN.predict_labels(dists (5, 9), k=1)"
    knn = trained_knn(student, g.normal(size=(9, 2)), y_tr, call)
    ref = reference.KNN()
    ref.train(np.zeros((9, 2)), y_tr)
    assert_same_labels(knn.predict_labels(dists, 1), ref.predict_labels(dists, 1), call=call)


@task("KNN")
@points(3)
def test_knn_predict_labels_majority(student, reference):
    """KNN.predict_labels with k=5 and k=7 on random distances, labels 0 to 4 with unequal counts."""
    g = rng(204)
    y_tr = g.choice(5, size=15, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    dists = g.uniform(0.0, 10.0, size=(8, 15))
    knn = trained_knn(student, g.normal(size=(15, 3)), y_tr, "KNN.train")
    ref = reference.KNN()
    ref.train(np.zeros((15, 3)), y_tr)
    for k in (5, 7):
        call = f"KNN.predict_labels(dists (8, 15), k={k})"
        assert_same_labels(knn.predict_labels(dists, k), ref.predict_labels(dists, k), call=call)


@task("KNN")
@points(3)
def test_knn_predict_labels_ties(student, reference):
    """KNN.predict_labels breaks a tied vote toward the smallest label, even when a larger label is nearer."""
    y_tr = np.array([3, 1, 3, 1, 0, 7, 5, 2])
    dists = np.array([
        [0.1, 0.2, 0.3, 0.4, 5.0, 6.0, 7.0, 8.0],   # k=4: 3, 1, 3, 1 -> tie between 1 and 3
        [9.0, 8.0, 7.0, 6.0, 5.0, 0.3, 0.1, 0.2],   # k=4: 5, 2, 7, 0 -> four-way tie
        [0.5, 9.0, 0.4, 9.5, 0.6, 0.1, 0.2, 0.3],   # k=4: 7, 5, 2, 3 -> four-way tie
    ])
    call = "KNN.predict_labels(dists (3, 8), k=4)"
    knn = trained_knn(student, np.zeros((8, 2)), y_tr, call)
    ref = reference.KNN()
    ref.train(np.zeros((8, 2)), y_tr)
    assert_same_labels(knn.predict_labels(dists, 4), ref.predict_labels(dists, 4), call=call)
    call = "KNN.predict_labels(dists (3, 8), k=2)"
    assert_same_labels(knn.predict_labels(dists, 2), ref.predict_labels(dists, 2), call=call)


@task("KNN")
@points(2)
def test_knn_predict(student, reference):
    """KNN.predict on random test data with k=3, and on its own training data with k=1."""
    g = rng(205)
    X_tr = g.normal(size=(20, 4))
    y_tr = g.integers(0, 3, size=20)
    X_te = g.normal(size=(7, 4))
    call = "KNN.train(X (20, 4), y (20,)); KNN.predict(X (7, 4), k=3)"
    knn = trained_knn(student, X_tr, y_tr, call)
    ref = reference.KNN()
    ref.train(X_tr, y_tr)
    assert_same_labels(knn.predict(X_te, 3), ref.predict(X_te, k=3), call=call)
    call = "KNN.train(X (20, 4), y (20,)); KNN.predict(the same X (20, 4), k=1)"
    assert_same_labels(knn.predict(X_tr, 1), y_tr, call=call)


# =====================================================================
# cross_validate_knn  (8 points)
# =====================================================================
def binary_problem(seed: int, N: int, D: int):
    """Two noisy classes: accuracies are neither 0 nor 1, and with odd k no vote ties."""
    g = rng(seed)
    X = g.normal(size=(N, D))
    y = (X[:, 0] + 0.8 * g.normal(size=N) > 0).astype(np.int64)
    return X, y


def check_cross_validation(student, reference, X, y, k_choices, num_folds):
    call = f"cross_validate_knn(X {shape_str(X)}, y {shape_str(y)}, k_choices={list(k_choices)}, num_folds={num_folds})"
    got = student.cross_validate_knn(X, y, list(k_choices), num_folds)
    assert_unchanged(student, call=call)
    expected = reference.cross_validate_knn(X, y, list(k_choices), num_folds)
    assert_true(isinstance(got, dict), f"{call}: expected a dict {{k: list of accuracies}}, got {describe(got)}.")
    try:
        got = {int(k): v for k, v in got.items()}
    except (TypeError, ValueError):
        raise GradingFailure(f"{call}: the dict's keys should be the values of k.") from None
    assert_true(sorted(got) == sorted(k_choices), f"{call}: the dict should have exactly one key per k in k_choices.")
    for k in k_choices:
        assert_close(got[k], expected[k], call=call, what=f"the list of fold accuracies for k={k}", tol=1e-9)


@visible
@task("cross_validate_knn")
@points(3)
def test_cross_validate_knn_small(student, reference):
    """cross_validate_knn on 12 samples in 3 folds for k = 1 and 3."""
    X, y = binary_problem(301, 12, 2)
    check_cross_validation(student, reference, X, y, [1, 3], 3)


@task("cross_validate_knn")
@points(3)
def test_cross_validate_knn_uneven_folds(student, reference):
    """cross_validate_knn with folds of unequal size (23 samples in 4 folds), k = 1, 3, 5, 7."""
    X, y = binary_problem(302, 23, 3)
    check_cross_validation(student, reference, X, y, [1, 3, 5, 7], 4)


@task("cross_validate_knn")
@points(2)
def test_cross_validate_knn_more_folds(student, reference):
    """cross_validate_knn with 5 folds of 17 samples, k = 5 then 1 (in that order)."""
    X, y = binary_problem(303, 17, 2)
    check_cross_validation(student, reference, X, y, [5, 1], 5)


# =====================================================================
# The four losses: svm_loss_naive 12, svm_loss_vectorized 14,
# softmax_loss_naive 12, softmax_loss_vectorized 14
# =====================================================================
def linear_problem(seed: int, N: int, C: int, D: int, w_scale: float = 1.0, labels=None):
    """W (C, D), X (N, D) with the bias column last (when D > 1), y (N,) in [0, C)."""
    g = rng(seed)
    W = w_scale * g.normal(size=(C, D))
    X = g.normal(size=(N, D))
    if D > 1:
        X[:, -1] = 1.0
    y = g.integers(0, C, size=N) if labels is None else np.asarray(labels)
    return W, X, y


def check_loss(student, reference, name: str, W, X, y, reg: float, tol: float = 1e-6, note: str = ""):
    call = f"{name}(W {shape_str(W)}, X {shape_str(X)}, y {shape_str(y)}, reg={reg}){note}"
    result = getattr(student, name)(W, X, y, reg)
    loss, dW = unpack(result, 2, call)
    ref_loss, ref_dW = getattr(reference, name)(
        W.astype(np.float64), X.astype(np.float64), y, reg
    )
    assert_close(loss, np.float64(ref_loss), call=call, what="the loss", tol=tol)
    assert_close(dW, ref_dW, call=call, what="dW", tol=tol)
    return call


LOSSES = ["svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive", "softmax_loss_vectorized"]


def per_loss(points_each: float, visible_too: bool = False, only=LOSSES):
    """Parametrize a test over the loss functions, one task and `points_each` points each."""
    params = []
    for name in only:
        marks = [task(name), points(points_each)]
        if visible_too:
            marks.append(visible)
        params.append(pytest.param(name, marks=marks, id=name))
    return pytest.mark.parametrize("name", params)


@per_loss(3, visible_too=True)
def test_loss_small(student, reference, name):
    """The loss and its gradient on a small problem (N=4 samples, C=3 classes, D=3), no regularisation."""
    W, X, y = linear_problem(401, N=4, C=3, D=3)
    check_loss(student, reference, name, W, X, y, 0.0)


@per_loss(3)
def test_loss_with_regularisation(student, reference, name):
    """The loss and its gradient with regularisation (reg=0.7): 0.5 * reg * sum(W**2) in the loss, reg * W in dW."""
    W, X, y = linear_problem(402, N=12, C=4, D=5)
    check_loss(student, reference, name, W, X, y, 0.7)


@per_loss(2)
def test_loss_edge_shapes(student, reference, name):
    """One sample with D=1 and two classes; and 10 classes with unequal priors, several classes absent."""
    W, X, y = linear_problem(403, N=1, C=2, D=1, labels=[1])
    check_loss(student, reference, name, W, X, y, 0.1)
    W, X, y = linear_problem(404, N=7, C=10, D=6, labels=[0, 0, 0, 0, 0, 9, 3])
    check_loss(student, reference, name, W, X, y, 0.25)


@per_loss(1)
def test_loss_float32(student, reference, name):
    """The loss and its gradient for float32 W and X."""
    W, X, y = linear_problem(405, N=9, C=4, D=6)
    check_loss(student, reference, name, W.astype(np.float32), X.astype(np.float32), y, 0.3,
               tol=FLOAT32_TOL, note=" with float32 W and X")


@per_loss(1)
def test_loss_right_and_inputs_unchanged(student, reference, name):
    """The loss and gradient on 10 samples, leaving W, X and y as they were."""
    W, X, y = linear_problem(406, N=10, C=5, D=4)
    call = check_loss(student, reference, name, W, X, y, 0.5)
    assert_unchanged(student, call=call)


@per_loss(2, only=["svm_loss_naive", "svm_loss_vectorized"])
def test_svm_loss_larger(student, reference, name):
    """The SVM loss on 40 samples and 10 classes, with some margins met and others violated."""
    W, X, y = linear_problem(407, N=40, C=10, D=8, w_scale=0.4)
    check_loss(student, reference, name, W, X, y, 0.1)


@per_loss(2, only=["softmax_loss_naive", "softmax_loss_vectorized"])
def test_softmax_loss_large_scores(student, reference, name):
    """The softmax loss stays finite and correct when every score is near 1000 (subtract the largest score)."""
    W, X, y = linear_problem(408, N=6, C=5, D=4, w_scale=0.5)
    W[:, -1] += 1000.0          # X's last column is 1: every score is 1000 + O(1)
    check_loss(student, reference, name, W, X, y, 0.0, note=" with every score near 1000")


@per_loss(2, only=["svm_loss_vectorized", "softmax_loss_vectorized"])
def test_loss_vectorized_batch(student, reference, name):
    """The vectorized loss on a notebook-sized batch: 500 samples, 10 classes, D=65."""
    W, X, y = linear_problem(409, N=500, C=10, D=65, w_scale=0.05)
    check_loss(student, reference, name, W, X, y, 0.05)


# =====================================================================
# predict_linear  (5 points)
# =====================================================================
def check_predict(student, reference, W, X, note: str = ""):
    call = f"predict_linear(W {shape_str(W)}, X {shape_str(X)}){note}"
    expected = reference.predict_linear(W, X)
    scores = np.sort(X @ W.T, axis=1)
    assert_true(np.all(scores[:, -1] > scores[:, -2]), "internal: the test's scores must not tie")
    got = student.predict_linear(W, X)
    assert_unchanged(student, call=call)
    assert_same_labels(got, expected, call=call)


@visible
@task("predict_linear")
@points(2)
def test_predict_linear_small(student, reference):
    """predict_linear picks the highest-scoring class (3 samples, 3 classes)."""
    W = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    X = np.array([[2.0, 1.0], [0.0, 3.0], [-1.0, -2.0]])
    check_predict(student, reference, W, X)


@task("predict_linear")
@points(2)
def test_predict_linear_random(student, reference):
    """predict_linear with 7 classes and 13 samples, and with integer pixel-like X."""
    W, X, _ = linear_problem(501, N=13, C=7, D=4)
    check_predict(student, reference, W, X)
    g = rng(502)
    Xi = np.hstack([g.integers(0, 17, size=(9, 5)), np.ones((9, 1), dtype=np.int64)])
    check_predict(student, reference, g.normal(size=(4, 6)), Xi, note=" with integer X")


@task("predict_linear")
@points(1)
def test_predict_linear_one_sample(student, reference):
    """predict_linear on a single sample (3 classes) returns an array of shape (1,)."""
    W, X, _ = linear_problem(503, N=1, C=3, D=3)
    check_predict(student, reference, W, X)


# =====================================================================
# sgd_train  (15 points)
# =====================================================================
# Losses for sgd_train, written once and evaluated in both processes.
ZERO_LOSS = "lambda W, X, y, reg: (0.0, np.zeros_like(W))"
# least squares to one-hot targets, plus the usual regulariser
QUADRATIC_LOSS = (
    "lambda W, X, y, reg: ("
    "float(np.sum((X @ W.T - np.eye(W.shape[0])[y]) ** 2) / (2 * len(y)) + 0.5 * reg * np.sum(W * W)), "
    "(X @ W.T - np.eye(W.shape[0])[y]).T @ X / len(y) + reg * W)"
)
# a loss whose value reveals which rows were drawn
BATCH_MEAN_LOSS = (
    "lambda W, X, y, reg: ("
    "float(np.mean(y) + 10.0 * np.mean(X[:, 0]) + 0.5 * reg * np.sum(W * W)), "
    "reg * W + np.mean(X, axis=0)[None, :])"
)


def check_sgd(student, reference, loss_source: str, X, y, num_classes, *, learning_rate, reg,
              num_iters, batch_size, seed, what: str):
    call = (f"sgd_train({what}, X {shape_str(X)}, y {shape_str(y)}, num_classes={num_classes}, "
            f"learning_rate={learning_rate}, reg={reg}, num_iters={num_iters}, batch_size={batch_size}, seed={seed})")
    result = student.sgd_train(student.define(loss_source), X, y, num_classes, learning_rate, reg,
                               num_iters, batch_size, seed)
    assert_unchanged(student, call=call)
    W, history = unpack(result, 2, call)
    ref_W, ref_history = reference.sgd_train(eval(loss_source, {"np": np}), X, y, num_classes, learning_rate,
                                             reg, num_iters, batch_size, seed)
    D = X.shape[1]
    W = assert_shape(W, (num_classes, D), call=call, what="W")
    history = as_array(history, call=call, what="loss_history")
    assert_shape(history, (num_iters,), call=call, what="loss_history (one loss per iteration)")
    assert_close(history, np.asarray(ref_history), call=call, what="loss_history", tol=1e-6)
    assert_close(W, ref_W, call=call, what="W", tol=1e-6)


def sgd_data(seed: int, N: int, D: int, C: int):
    g = rng(seed)
    X = np.hstack([g.normal(size=(N, D - 1)), np.ones((N, 1))])
    y = g.integers(0, C, size=N)
    return X, y


@visible
@task("sgd_train")
@points(3)
def test_sgd_train_start(student, reference):
    """sgd_train with a zero-gradient loss returns the small random start W = 0.001 * rng.standard_normal((C, D)) and one loss per iteration."""
    X, y = sgd_data(601, N=20, D=4, C=3)
    check_sgd(student, reference, ZERO_LOSS, X, y, 3, learning_rate=0.1, reg=0.0, num_iters=5,
              batch_size=4, seed=0, what="a loss with zero gradient")


@task("sgd_train")
@points(5)
def test_sgd_train_follows_rule(student, reference):
    """sgd_train on a least-squares loss: the loss history and final W follow the stated rule."""
    X, y = sgd_data(602, N=30, D=4, C=3)
    check_sgd(student, reference, QUADRATIC_LOSS, X, y, 3, learning_rate=0.2, reg=0.05, num_iters=25,
              batch_size=8, seed=3, what="a least-squares loss")


@task("sgd_train")
@points(3)
def test_sgd_train_batches_with_replacement(student, reference):
    """sgd_train draws each minibatch with rng.choice(N, batch_size, replace=True), also when batch_size > N."""
    X, y = sgd_data(603, N=6, D=3, C=4)
    check_sgd(student, reference, BATCH_MEAN_LOSS, X, y, 4, learning_rate=0.1, reg=0.5, num_iters=6,
              batch_size=9, seed=4, what="a loss that depends on which rows are drawn")


@task("sgd_train")
@points(2)
def test_sgd_train_seed(student, reference):
    """sgd_train uses only np.random.default_rng(seed): two seeds, each reproduced."""
    X, y = sgd_data(604, N=15, D=5, C=2)
    for seed in (0, 123):
        check_sgd(student, reference, BATCH_MEAN_LOSS, X, y, 2, learning_rate=0.05, reg=0.1, num_iters=4,
                  batch_size=5, seed=seed, what="a loss that depends on which rows are drawn")


@task("sgd_train")
@points(2)
def test_sgd_train_larger_problem(student, reference):
    """sgd_train for 60 iterations of the least-squares loss on 10 classes."""
    X, y = sgd_data(605, N=80, D=9, C=10)
    check_sgd(student, reference, QUADRATIC_LOSS, X, y, 10, learning_rate=0.3, reg=0.01, num_iters=60,
              batch_size=16, seed=7, what="a least-squares loss")
