"""HW2 solution-cell variants: plausible student mistakes and correct alternatives.

Used by the project's own tests: the harness takes the released notebook, puts
the correct solutions (read from the source notebook's solution cells, see
``SOLUTIONS_FROM_SOURCE``) in every solution cell, swaps in ONE variant's cell
(keyed by its ``grade_id``) and grades the result with the hidden suite
``reference/hw2/test_hw2.py``.

* ``WRONG[name] = (grade_id, cell_source, tasks)``: the grade must lose points
  on every task in ``tasks`` and on no other task. ``cross_validate_knn`` calls
  the student's own ``KNN``: a KNN mistake that changes which neighbours vote
  (or ignores k in ``predict``) costs points there too and is listed; one that
  only changes the distances' scale (squared distances) or the tie rule does
  not, because the cross-validation tests use two classes and odd k.
* ``CORRECT[name] = (grade_id, cell_source)``: must still earn 100.

Every cell source is a complete replacement cell, with its own imports.

The correct alternatives live beside the hidden suite, in
``reference/hw2/alternatives.py`` (``autograder check hw2`` runs them); this module
re-exports them as ``CORRECT``.
"""

from __future__ import annotations

from reference.hw2.alternatives import CORRECT, SOLUTIONS_FROM_SOURCE, _knn  # noqa: F401

WRONG: dict[str, tuple[str, str, list[str]]] = {
    # ------------------------------------------------------------------ KNN
    "knn_squared_distances": ("KNN", _knn(distances='''
    def compute_distances(self, X):
        diff = X[:, None, :].astype(float) - self.X_train[None, :, :]
        return np.sum(diff ** 2, axis=2)  # the square of the distance
'''), ["KNN"]),

    "knn_ties_to_larger_label": ("KNN", _knn(vote='''
    def predict_labels(self, dists, k=1):
        y_pred = np.zeros(dists.shape[0], dtype=int)
        for i in range(dists.shape[0]):
            counts = np.bincount(self.y_train[np.argsort(dists[i])[:k]])
            y_pred[i] = len(counts) - 1 - np.argmax(counts[::-1])  # the largest of the tied labels
        return y_pred
'''), ["KNN"]),

    "knn_ties_to_nearest_neighbour": ("KNN", _knn(vote='''
    def predict_labels(self, dists, k=1):
        y_pred = np.zeros(dists.shape[0], dtype=int)
        for i in range(dists.shape[0]):
            closest_y = self.y_train[np.argsort(dists[i])[:k]]
            y_pred[i] = Counter(closest_y.tolist()).most_common(1)[0][0]  # ties: first seen = nearest
        return y_pred
'''), ["KNN"]),

    "knn_farthest_neighbours": ("KNN", _knn(vote='''
    def predict_labels(self, dists, k=1):
        y_pred = np.zeros(dists.shape[0], dtype=int)
        for i in range(dists.shape[0]):
            closest_y = self.y_train[np.argsort(-dists[i])[:k]]  # sorted the wrong way
            y_pred[i] = np.argmax(np.bincount(closest_y))
        return y_pred
'''), ["KNN", "cross_validate_knn"]),

    "knn_manhattan_distance": ("KNN", _knn(distances='''
    def compute_distances(self, X):
        return np.sum(np.abs(X[:, None, :].astype(float) - self.X_train[None, :, :]), axis=2)  # L1
'''), ["KNN", "cross_validate_knn"]),

    "knn_predict_ignores_k": ("KNN", _knn(predict='''
    def predict(self, X, k=1):
        return self.predict_labels(self.compute_distances(X))  # k is not passed on
'''), ["KNN", "cross_validate_knn"]),

    "knn_distance_matrix_transposed": ("KNN", _knn(distances='''
    def compute_distances(self, X):
        diff = self.X_train[:, None, :] - X[None, :, :].astype(float)
        return np.sqrt(np.sum(diff ** 2, axis=2))  # (N_train, N_test)
''', vote='''
    def predict_labels(self, dists, k=1):
        y_pred = np.zeros(dists.shape[1], dtype=int)
        for i in range(dists.shape[1]):
            y_pred[i] = np.argmax(np.bincount(self.y_train[np.argsort(dists[:, i])[:k]]))
        return y_pred
'''), ["KNN"]),

    # ---------------------------------------------------- cross_validate_knn
    "cv_trains_on_the_held_out_fold_too": ("cross_validate_knn", '''\
import numpy as np

def cross_validate_knn(X, y, k_choices, num_folds):
    X_folds, y_folds = np.array_split(X, num_folds), np.array_split(y, num_folds)
    out = {}
    for k in k_choices:
        out[k] = []
        for f in range(num_folds):
            knn = KNN()
            knn.train(X, y)  # the held-out fold is in the training set
            out[k].append(float(np.mean(knn.predict(X_folds[f], k=k) == y_folds[f])))
    return out
''', ["cross_validate_knn"]),

    "cv_shuffles_rows": ("cross_validate_knn", '''\
import numpy as np

def cross_validate_knn(X, y, k_choices, num_folds):
    order = np.random.default_rng(0).permutation(len(y))
    X_folds, y_folds = np.array_split(X[order], num_folds), np.array_split(y[order], num_folds)
    out = {}
    for k in k_choices:
        out[k] = []
        for f in range(num_folds):
            knn = KNN()
            knn.train(np.concatenate(X_folds[:f] + X_folds[f + 1:]), np.concatenate(y_folds[:f] + y_folds[f + 1:]))
            out[k].append(float(np.mean(knn.predict(X_folds[f], k=k) == y_folds[f])))
    return out
''', ["cross_validate_knn"]),

    "cv_equal_slices_drop_remainder": ("cross_validate_knn", '''\
import numpy as np

def cross_validate_knn(X, y, k_choices, num_folds):
    size = len(y) // num_folds
    X_folds = [X[f * size:(f + 1) * size] for f in range(num_folds)]
    y_folds = [y[f * size:(f + 1) * size] for f in range(num_folds)]
    out = {}
    for k in k_choices:
        out[k] = []
        for f in range(num_folds):
            knn = KNN()
            knn.train(np.concatenate(X_folds[:f] + X_folds[f + 1:]), np.concatenate(y_folds[:f] + y_folds[f + 1:]))
            out[k].append(float(np.mean(knn.predict(X_folds[f], k=k) == y_folds[f])))
    return out
''', ["cross_validate_knn"]),

    "cv_returns_mean_accuracy": ("cross_validate_knn", '''\
import numpy as np

def cross_validate_knn(X, y, k_choices, num_folds):
    X_folds, y_folds = np.array_split(X, num_folds), np.array_split(y, num_folds)
    out = {}
    for k in k_choices:
        accs = []
        for f in range(num_folds):
            knn = KNN()
            knn.train(np.concatenate(X_folds[:f] + X_folds[f + 1:]), np.concatenate(y_folds[:f] + y_folds[f + 1:]))
            accs.append(np.mean(knn.predict(X_folds[f], k=k) == y_folds[f]))
        out[k] = float(np.mean(accs))  # one number instead of the list
    return out
''', ["cross_validate_knn"]),

    # ------------------------------------------------------- svm_loss_naive
    "svm_naive_counts_correct_class": ("svm_loss_naive", '''\
import numpy as np

def svm_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    N = X.shape[0]
    for i in range(N):
        scores = W.dot(X[i])
        for j in range(W.shape[0]):
            margin = scores[j] - scores[y[i]] + 1  # j == y[i] is not skipped
            if margin > 0:
                loss += margin
                dW[j] += X[i]
                dW[y[i]] -= X[i]
    return loss / N + 0.5 * reg * np.sum(W * W), dW / N + reg * W
''', ["svm_loss_naive"]),

    "svm_naive_reg_gradient_missing": ("svm_loss_naive", '''\
import numpy as np

def svm_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    N = X.shape[0]
    for i in range(N):
        scores = W.dot(X[i])
        for j in range(W.shape[0]):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[j] += X[i]
                dW[y[i]] -= X[i]
    return loss / N + 0.5 * reg * np.sum(W * W), dW / N
''', ["svm_loss_naive"]),

    "svm_naive_gradient_summed": ("svm_loss_naive", '''\
import numpy as np

def svm_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    N = X.shape[0]
    for i in range(N):
        scores = W.dot(X[i])
        for j in range(W.shape[0]):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[j] += X[i]
                dW[y[i]] -= X[i]
    return loss / N + 0.5 * reg * np.sum(W * W), dW + reg * W
''', ["svm_loss_naive"]),

    "svm_naive_reg_without_half": ("svm_loss_naive", '''\
import numpy as np

def svm_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    N = X.shape[0]
    for i in range(N):
        scores = W.dot(X[i])
        for j in range(W.shape[0]):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[j] += X[i]
                dW[y[i]] -= X[i]
    return loss / N + reg * np.sum(W * W), dW / N + reg * W
''', ["svm_loss_naive"]),

    # -------------------------------------------------- svm_loss_vectorized
    "svm_vectorized_counts_correct_class": ("svm_loss_vectorized", '''\
import numpy as np

def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W.T
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)  # the correct class keeps its 1
    loss = np.sum(margins) / N + 0.5 * reg * np.sum(W * W)
    G = (margins > 0).astype(float)
    G[rows, y] = -np.sum(G, axis=1)
    return loss, G.T @ X / N + reg * W
''', ["svm_loss_vectorized"]),

    "svm_vectorized_reg_gradient_doubled": ("svm_loss_vectorized", '''\
import numpy as np

def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W.T
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss = np.sum(margins) / N + 0.5 * reg * np.sum(W * W)
    G = (margins > 0).astype(float)
    G[rows, y] = -np.sum(G, axis=1)
    return loss, G.T @ X / N + 2 * reg * W
''', ["svm_loss_vectorized"]),

    "svm_vectorized_gradient_summed": ("svm_loss_vectorized", '''\
import numpy as np

def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W.T
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss = np.sum(margins) / N + 0.5 * reg * np.sum(W * W)
    G = (margins > 0).astype(float)
    G[rows, y] = -np.sum(G, axis=1)
    return loss, G.T @ X + reg * W
''', ["svm_loss_vectorized"]),

    "svm_vectorized_correct_row_not_subtracted": ("svm_loss_vectorized", '''\
import numpy as np

def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W.T
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss = np.sum(margins) / N + 0.5 * reg * np.sum(W * W)
    G = (margins > 0).astype(float)  # forgot the -count in the correct class's column
    return loss, G.T @ X / N + reg * W
''', ["svm_loss_vectorized"]),

    # --------------------------------------------------- softmax_loss_naive
    "softmax_naive_unstable": ("softmax_loss_naive", '''\
import numpy as np

def softmax_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    N = X.shape[0]
    for i in range(N):
        exp_scores = np.exp(W.dot(X[i]))  # no shift: overflows for large scores
        p = exp_scores / np.sum(exp_scores)
        loss -= np.log(p[y[i]])
        for j in range(W.shape[0]):
            dW[j] += (p[j] - (j == y[i])) * X[i]
    return loss / N + 0.5 * reg * np.sum(W * W), dW / N + reg * W
''', ["softmax_loss_naive"]),

    "softmax_naive_reg_gradient_doubled": ("softmax_loss_naive", '''\
import numpy as np

def softmax_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    N = X.shape[0]
    for i in range(N):
        s = W.dot(X[i])
        s = s - np.max(s)
        p = np.exp(s) / np.sum(np.exp(s))
        loss -= np.log(p[y[i]])
        for j in range(W.shape[0]):
            dW[j] += (p[j] - (j == y[i])) * X[i]
    return loss / N + 0.5 * reg * np.sum(W * W), dW / N + 2 * reg * W
''', ["softmax_loss_naive"]),

    "softmax_naive_gradient_summed": ("softmax_loss_naive", '''\
import numpy as np

def softmax_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros(W.shape)
    N = X.shape[0]
    for i in range(N):
        s = W.dot(X[i])
        s = s - np.max(s)
        p = np.exp(s) / np.sum(np.exp(s))
        loss -= np.log(p[y[i]])
        for j in range(W.shape[0]):
            dW[j] += (p[j] - (j == y[i])) * X[i]
    return loss / N + 0.5 * reg * np.sum(W * W), dW + reg * W
''', ["softmax_loss_naive"]),

    # ---------------------------------------------- softmax_loss_vectorized
    "softmax_vectorized_unstable": ("softmax_loss_vectorized", '''\
import numpy as np

def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    exp_scores = np.exp(X @ W.T)  # no shift: overflows for large scores
    P = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.mean(np.log(P[rows, y])) + 0.5 * reg * np.sum(W * W)
    P[rows, y] -= 1
    return loss, P.T @ X / N + reg * W
''', ["softmax_loss_vectorized"]),

    "softmax_vectorized_reg_gradient_missing": ("softmax_loss_vectorized", '''\
import numpy as np

def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    S = X @ W.T
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S) / np.sum(np.exp(S), axis=1, keepdims=True)
    loss = -np.mean(np.log(P[rows, y])) + 0.5 * reg * np.sum(W * W)
    P[rows, y] -= 1
    return loss, P.T @ X / N
''', ["softmax_loss_vectorized"]),

    "softmax_vectorized_gradient_summed": ("softmax_loss_vectorized", '''\
import numpy as np

def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    S = X @ W.T
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S) / np.sum(np.exp(S), axis=1, keepdims=True)
    loss = -np.mean(np.log(P[rows, y])) + 0.5 * reg * np.sum(W * W)
    P[rows, y] -= 1
    return loss, P.T @ X + reg * W
''', ["softmax_loss_vectorized"]),

    "softmax_vectorized_max_over_wrong_axis": ("softmax_loss_vectorized", '''\
import numpy as np

def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    rows = np.arange(N)
    S = X @ W.T
    S = S - S.max(axis=0, keepdims=True)  # each class's max over samples, not each sample's max
    P = np.exp(S) / np.sum(np.exp(S), axis=0, keepdims=True)  # normalised over samples
    loss = -np.mean(np.log(P[rows, y])) + 0.5 * reg * np.sum(W * W)
    P[rows, y] -= 1
    return loss, P.T @ X / N + reg * W
''', ["softmax_loss_vectorized"]),

    # ------------------------------------------------------- predict_linear
    "predict_argmin": ("predict_linear", '''\
import numpy as np

def predict_linear(W, X):
    return np.argmin(X @ W.T, axis=1)
''', ["predict_linear"]),

    "predict_keepdims_column": ("predict_linear", '''\
import numpy as np

def predict_linear(W, X):
    return np.argmax(X @ W.T, axis=1)[:, None]  # (N, 1) instead of (N,)
''', ["predict_linear"]),

    # ------------------------------------------------------------ sgd_train
    "sgd_batches_without_replacement": ("sgd_train", '''\
import numpy as np

def sgd_train(loss_fn, X, y, num_classes, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = 0.001 * rng.standard_normal((num_classes, X.shape[1]))
    history = []
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size, replace=False)
        loss, dW = loss_fn(W, X[idx], y[idx], reg)
        history.append(loss)
        W = W - learning_rate * dW
    return W, history
''', ["sgd_train"]),

    "sgd_global_numpy_random": ("sgd_train", '''\
import numpy as np

def sgd_train(loss_fn, X, y, num_classes, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, seed=0):
    np.random.seed(seed)  # the legacy global generator, not default_rng
    W = 0.001 * np.random.randn(num_classes, X.shape[1])
    history = []
    for _ in range(num_iters):
        idx = np.random.choice(X.shape[0], batch_size, replace=True)
        loss, dW = loss_fn(W, X[idx], y[idx], reg)
        history.append(loss)
        W = W - learning_rate * dW
    return W, history
''', ["sgd_train"]),

    "sgd_zero_start": ("sgd_train", '''\
import numpy as np

def sgd_train(loss_fn, X, y, num_classes, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = np.zeros((num_classes, X.shape[1]))  # no small random start
    history = []
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size, replace=True)
        loss, dW = loss_fn(W, X[idx], y[idx], reg)
        history.append(loss)
        W = W - learning_rate * dW
    return W, history
''', ["sgd_train"]),

    "sgd_gradient_ascent": ("sgd_train", '''\
import numpy as np

def sgd_train(loss_fn, X, y, num_classes, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = 0.001 * rng.standard_normal((num_classes, X.shape[1]))
    history = []
    for _ in range(num_iters):
        idx = rng.choice(X.shape[0], batch_size, replace=True)
        loss, dW = loss_fn(W, X[idx], y[idx], reg)
        history.append(loss)
        W = W + learning_rate * dW
    return W, history
''', ["sgd_train"]),

    "sgd_one_batch_reused": ("sgd_train", '''\
import numpy as np

def sgd_train(loss_fn, X, y, num_classes, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = 0.001 * rng.standard_normal((num_classes, X.shape[1]))
    idx = rng.choice(X.shape[0], batch_size, replace=True)  # drawn once, outside the loop
    history = []
    for _ in range(num_iters):
        loss, dW = loss_fn(W, X[idx], y[idx], reg)
        history.append(loss)
        W = W - learning_rate * dW
    return W, history
''', ["sgd_train"]),
}
