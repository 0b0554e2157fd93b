"""The HW2 reference agrees with CS231n's published sanity figures and with itself.

CS231n's figures come from its layers test (assignment 2, "FullyConnectedNets"):

    np.random.seed(231)
    num_classes, num_inputs = 10, 50
    x = 0.001 * np.random.randn(num_inputs, num_classes)   # the SCORES, (N, C) = (50, 10)
    y = np.random.randint(num_classes, size=num_inputs)
    svm_loss(x, y)      -> loss 8.9996027...
    softmax_loss(x, y)  -> loss 2.3025458...

There the losses take scores directly; ours take W (C, D) and X (N, D) and form
the scores as ``X @ W.T``. To feed exactly those scores through our functions
we take X = the 50 x 50 identity (D = N = 50) and W = x.T (10 x 50): then
``X @ W.T = I @ x = x``. CS231n's losses average over N with margin 1 and no
regulariser, as ours do with reg = 0. A second construction follows our bias
convention: X = [I | 1] (last column of ones) and W = [x.T | 0] (zero bias),
which gives the same scores. The draws must come in CS231n's order (randn,
then randint) from the legacy global generator seeded with 231.
"""

from __future__ import annotations

import numpy as np
import pytest

import reference.hw2 as ref

SOFTMAX_FIGURE = 2.3025458
SVM_FIGURE = 8.9996027


def cs231n_scores_and_labels():
    np.random.seed(231)
    scores = 0.001 * np.random.randn(50, 10)
    labels = np.random.randint(10, size=50)
    return scores, labels


def as_linear_problem(scores, with_bias: bool):
    """(W, X) with X @ W.T == scores: X = I (or [I | 1]), W = scores.T (or [scores.T | 0])."""
    N = scores.shape[0]
    if not with_bias:
        return scores.T.copy(), np.eye(N)
    X = np.hstack([np.eye(N), np.ones((N, 1))])
    W = np.hstack([scores.T, np.zeros((scores.shape[1], 1))])
    return W, X


@pytest.mark.parametrize("with_bias", [False, True], ids=["identity", "identity_with_bias_column"])
@pytest.mark.parametrize(
    "name, figure",
    [
        ("softmax_loss_naive", SOFTMAX_FIGURE),
        ("softmax_loss_vectorized", SOFTMAX_FIGURE),
        ("svm_loss_naive", SVM_FIGURE),
        ("svm_loss_vectorized", SVM_FIGURE),
    ],
)
def test_reference_reproduces_cs231n_sanity_figures(name, figure, with_bias):
    scores, y = cs231n_scores_and_labels()
    W, X = as_linear_problem(scores, with_bias)
    np.testing.assert_allclose(X @ W.T, scores, rtol=0, atol=1e-15)
    loss, dW = getattr(ref, name)(W, X, y, 0.0)
    assert abs(loss - figure) < 1e-6
    assert dW.shape == W.shape


def test_the_construction_is_sensitive_to_the_draws():
    """The figures pin the construction down: the draws in another order give other losses."""
    np.random.seed(231)
    y = np.random.randint(10, size=50)
    scores = 0.001 * np.random.randn(50, 10)
    W, X = as_linear_problem(scores, with_bias=False)
    assert abs(ref.svm_loss_vectorized(W, X, y, 0.0)[0] - SVM_FIGURE) > 1e-6


def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def problem(seed, N=9, C=4, D=5):
    g = np.random.default_rng(seed)
    W, X = g.normal(size=(C, D)), g.normal(size=(N, D))
    X[:, -1] = 1.0
    return W, X, g.integers(0, C, size=N)


@pytest.mark.parametrize("family", ["svm", "softmax"])
@pytest.mark.parametrize("reg", [0.0, 0.8])
def test_reference_gradients_match_numerical_gradients(family, reg):
    W, X, y = problem(11)
    for kind in ("naive", "vectorized"):
        fn = getattr(ref, f"{family}_loss_{kind}")
        _, dW = fn(W, X, y, reg)
        num = numerical_gradient(lambda W_: fn(W_, X, y, reg)[0], W)
        np.testing.assert_allclose(dW, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("family", ["svm", "softmax"])
def test_reference_naive_and_vectorized_agree(family):
    W, X, y = problem(12, N=40, C=10, D=8)
    naive = getattr(ref, f"{family}_loss_naive")(W, X, y, 0.3)
    vectorized = getattr(ref, f"{family}_loss_vectorized")(W, X, y, 0.3)
    assert abs(naive[0] - vectorized[0]) < 1e-10
    np.testing.assert_allclose(naive[1], vectorized[1], rtol=1e-10, atol=1e-12)


def test_reference_softmax_is_stable_when_every_score_is_near_1000():
    W, X, y = problem(13)
    W_big = W.copy()
    W_big[:, -1] += 1000.0     # X's last column is 1: every score shifts by 1000
    for fn in (ref.softmax_loss_naive, ref.softmax_loss_vectorized):
        loss, dW = fn(W, X, y, 0.0)
        loss_big, dW_big = fn(W_big, X, y, 0.0)
        # a shift common to every class changes neither the probabilities nor the loss
        assert np.isfinite(loss_big) and np.all(np.isfinite(dW_big))
        assert abs(loss_big - loss) < 1e-9
        np.testing.assert_allclose(dW_big, dW, rtol=1e-9, atol=1e-12)


def test_reference_knn_votes_and_distances():
    knn = ref.KNN()
    knn.train(np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]]), np.array([2, 0, 1]))
    d = knn.compute_distances(np.array([[0.0, 0.0], [3.0, 0.0]]))
    np.testing.assert_allclose(d, [[0.0, 5.0, 1.0], [3.0, 4.0, 2.0]])
    assert knn.predict_labels(d, k=1).tolist() == [2, 1]
    assert knn.predict_labels(d, k=2).tolist() == [1, 1]   # ties go to the smallest label
    assert knn.predict_labels(d, k=3).tolist() == [0, 0]


def test_reference_cross_validation_uses_array_split_in_order():
    X = np.arange(5.0)[:, None]
    y = np.array([0, 0, 1, 1, 1])
    # folds: rows 0-2 (1-NN trained on rows 3-4 predicts 1: 1/3 right), rows 3-4 (nearest is row 2: all right)
    assert ref.cross_validate_knn(X, y, [1], 2) == {1: [pytest.approx(1 / 3), 1.0]}


def test_reference_sgd_follows_the_stated_rule():
    g = np.random.default_rng(0)
    X, y = g.normal(size=(12, 3)), g.integers(0, 3, size=12)
    seen = []

    def spy(W, Xb, yb, reg):
        seen.append(Xb.copy())
        return float(np.sum(W)), np.ones_like(W)

    W, history = ref.sgd_train(spy, X, y, 3, learning_rate=0.5, reg=0.0, num_iters=3, batch_size=5, seed=9)
    rule = np.random.default_rng(9)
    W0 = 0.001 * rule.standard_normal((3, 3))
    for batch in seen:
        np.testing.assert_array_equal(batch, X[rule.choice(12, 5, replace=True)])
    np.testing.assert_allclose(W, W0 - 3 * 0.5)
    np.testing.assert_allclose(history, [np.sum(W0 - i * 0.5) for i in range(3)])
