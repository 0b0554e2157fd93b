"""HW2 reference solutions (hidden): k-nearest neighbours, multiclass SVM, softmax.

Conventions (the same as the notebook's):

* ``X`` is (N, D), one sample per row; the caller has already applied the bias
  trick (last column of ones) where a linear model is used.
* ``W`` is (C, D): one row of weights per class; the scores are ``X @ W.T``, (N, C).
* ``y`` is (N,) with integer labels in ``[0, C)``.
* Losses average over the N samples and add ``0.5 * reg * np.sum(W**2)``;
  the gradient of that term is ``reg * W``.

These are written to be clear and exact, not clever; every function leaves its
arguments unchanged.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = [
    "KNN",
    "cross_validate_knn",
    "svm_loss_naive",
    "svm_loss_vectorized",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "predict_linear",
    "sgd_train",
]


# --------------------------------------------------------------------- kNN
class KNN:
    """A k-nearest-neighbour classifier with the Euclidean (L2) distance."""

    def train(self, X: np.ndarray, y: np.ndarray) -> None:
        """Memorise the training data.

        Inputs:
        - X: (N_train, D) training samples.
        - y: (N_train,) integer labels.
        """
        self.X_train = np.array(X, copy=True)
        self.y_train = np.array(y, copy=True).astype(np.int64)

    def compute_distances(self, X: np.ndarray) -> np.ndarray:
        """Euclidean distance from every test sample to every training sample.

        Inputs:
        - X: (N_test, D) test samples.

        Returns:
        - dists: (N_test, N_train), dists[i, j] = ||X[i] - X_train[j]||_2.
        """
        A = np.asarray(X, dtype=np.float64)
        B = np.asarray(self.X_train, dtype=np.float64)
        dists = np.zeros((A.shape[0], B.shape[0]))
        for i in range(A.shape[0]):                   # differences, not the expansion: no cancellation
            diff = B - A[i]
            dists[i] = np.sqrt(np.sum(diff * diff, axis=1))
        return dists

    def predict_labels(self, dists: np.ndarray, k: int = 1) -> np.ndarray:
        """Majority vote among the k nearest training samples.

        Inputs:
        - dists: (N_test, N_train) distances, as from compute_distances.
        - k: number of neighbours that vote.

        Returns:
        - y_pred: (N_test,) integer labels; a tie in the vote goes to the smallest label.
        """
        dists = np.asarray(dists)
        y_pred = np.zeros(dists.shape[0], dtype=np.int64)
        for i in range(dists.shape[0]):
            nearest = np.argsort(dists[i], kind="stable")[:k]
            votes = np.bincount(self.y_train[nearest])
            y_pred[i] = int(np.argmax(votes))        # argmax takes the first (smallest) of equal counts
        return y_pred

    def predict(self, X: np.ndarray, k: int = 1) -> np.ndarray:
        """Labels for test samples X (N_test, D): returns (N_test,) integer labels."""
        return self.predict_labels(self.compute_distances(X), k=k)


def cross_validate_knn(X: np.ndarray, y: np.ndarray, k_choices, num_folds: int) -> dict:
    """k-fold cross-validation of KNN over several k.

    Inputs:
    - X: (N, D) samples; y: (N,) labels.
    - k_choices: list of k values to try.
    - num_folds: number of folds; fold i is np.array_split(rows, num_folds)[i],
      in the rows' given order (no shuffling).

    Returns:
    - dict {k: [accuracy on fold 0, ..., accuracy on fold num_folds - 1]}, each
      fold scored by a KNN trained on the other folds (concatenated in order).
    """
    X_folds = np.array_split(np.asarray(X), num_folds)
    y_folds = np.array_split(np.asarray(y), num_folds)
    results = {}
    for k in k_choices:
        accuracies = []
        for i in range(num_folds):
            knn = KNN()
            knn.train(np.concatenate(X_folds[:i] + X_folds[i + 1:]),
                      np.concatenate(y_folds[:i] + y_folds[i + 1:]))
            y_pred = knn.predict(X_folds[i], k=k)
            accuracies.append(float(np.mean(y_pred == y_folds[i])))
        results[k] = accuracies
    return results


# --------------------------------------------------------------------- SVM
def svm_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float):
    """Multiclass SVM (hinge) loss with margin 1, with loops.

    Inputs:
    - W: (C, D) weights. X: (N, D) samples. y: (N,) labels in [0, C). reg: float.

    Returns (loss, dW): loss a float, dW (C, D) its gradient with respect to W.
    """
    C = W.shape[0]
    N = X.shape[0]
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.float64)
    for i in range(N):
        scores = W @ X[i]
        correct = scores[y[i]]
        for j in range(C):
            if j == y[i]:
                continue
            margin = scores[j] - correct + 1.0
            if margin > 0:
                loss += margin
                dW[j] += X[i]
                dW[y[i]] -= X[i]
    loss = loss / N + 0.5 * reg * np.sum(W * W)
    dW = dW / N + reg * W
    return float(loss), dW


def svm_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float):
    """Multiclass SVM loss, no loops. Same inputs and outputs as svm_loss_naive."""
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W.T                                   # (N, C)
    margins = scores - scores[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    positive = margins > 0
    loss = np.sum(margins[positive]) / N + 0.5 * reg * np.sum(W * W)
    coeff = positive.astype(np.float64)                # d loss_i / d s_ij for j != y_i
    coeff[rows, y] = -np.sum(coeff, axis=1)
    dW = coeff.T @ X / N + reg * W
    return float(loss), dW


# ------------------------------------------------------------------ softmax
def softmax_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float):
    """Softmax (cross-entropy) loss with loops, numerically stable.

    Inputs:
    - W: (C, D) weights. X: (N, D) samples. y: (N,) labels in [0, C). reg: float.

    Returns (loss, dW): loss a float, dW (C, D) its gradient with respect to W.
    """
    C = W.shape[0]
    N = X.shape[0]
    loss = 0.0
    dW = np.zeros(W.shape, dtype=np.float64)
    for i in range(N):
        scores = W @ X[i]
        scores = scores - np.max(scores)              # shift: exp never overflows
        exp_scores = np.exp(scores)
        total = np.sum(exp_scores)
        loss += np.log(total) - scores[y[i]]
        for j in range(C):
            p = exp_scores[j] / total
            dW[j] += (p - (j == y[i])) * X[i]
    loss = loss / N + 0.5 * reg * np.sum(W * W)
    dW = dW / N + reg * W
    return float(loss), dW


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float):
    """Softmax loss, no loops. Same inputs and outputs as softmax_loss_naive."""
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W.T
    scores = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.sum(log_probs[rows, y]) / N + 0.5 * reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    dW = dscores.T @ X / N + reg * W
    return float(loss), dW


def predict_linear(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Labels from a linear classifier: W (C, D), X (N, D) -> (N,) argmax of the scores."""
    return np.argmax(X @ W.T, axis=1)


# ---------------------------------------------------------------------- SGD
def sgd_train(loss_fn: Callable, X: np.ndarray, y: np.ndarray, num_classes: int,
              learning_rate: float = 1e-3, reg: float = 1e-5, num_iters: int = 100,
              batch_size: int = 200, seed: int = 0):
    """Minibatch stochastic gradient descent for a linear classifier.

    Inputs:
    - loss_fn: function (W, X_batch, y_batch, reg) -> (loss, dW).
    - X: (N, D) samples; y: (N,) labels in [0, num_classes).
    - num_classes: C. learning_rate, reg: floats. num_iters, batch_size: ints.
    - seed: the seed of the only random generator used.

    The rule (so that every correct implementation gives the same numbers):
        rng = np.random.default_rng(seed)
        W = 0.001 * rng.standard_normal((num_classes, D))
        for each of num_iters iterations:
            idx = rng.choice(N, batch_size, replace=True)
            loss, dW = loss_fn(W, X[idx], y[idx], reg)    # record loss, then step
            W = W - learning_rate * dW

    Returns (W, loss_history): W (C, D) the final weights; loss_history a list of
    num_iters floats, the loss of each minibatch before its update.
    """
    rng = np.random.default_rng(seed)
    N, D = X.shape
    W = 0.001 * rng.standard_normal((num_classes, D))
    loss_history = []
    for _ in range(num_iters):
        idx = rng.choice(N, batch_size, replace=True)
        loss, dW = loss_fn(W, X[idx], y[idx], reg)
        loss_history.append(float(loss))
        W = W - learning_rate * dW
    return W, loss_history
