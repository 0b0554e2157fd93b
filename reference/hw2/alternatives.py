"""HW2 correct alternatives: solution cells written differently from the source's, each
of which must earn full marks, be "Ready" in ``autograder validate`` and pass every visible
check under every seed sweep (``autograder check hw2`` runs all three; see
``autograder/check_visible.py``).

``CORRECT[name] = (grade_id, cell_source)``: a complete replacement for the solution
cell ``grade_id``, with its own imports. Hidden material like the suite: the Gradescope
zip leaves this file out. The plausible mistakes (``WRONG``) are in
``tests/variants/hw2_variants.py``, which re-exports these.
"""

from __future__ import annotations

SOLUTIONS_FROM_SOURCE = True

# A correct KNN with one method replaced: the pieces below are shared by the KNN variants.
_KNN_TRAIN = '''\
import numpy as np
from collections import Counter

class KNN:
    def train(self, X, y):
        self.X_train = X
        self.y_train = y
'''
_KNN_DISTANCES = '''
    def compute_distances(self, X):
        diff = X[:, None, :].astype(float) - self.X_train[None, :, :]
        return np.sqrt(np.sum(diff ** 2, axis=2))
'''
_KNN_VOTE = '''
    def predict_labels(self, dists, k=1):
        y_pred = np.zeros(dists.shape[0], dtype=int)
        for i in range(dists.shape[0]):
            closest_y = self.y_train[np.argsort(dists[i])[:k]]
            y_pred[i] = np.argmax(np.bincount(closest_y))
        return y_pred
'''
_KNN_PREDICT = '''
    def predict(self, X, k=1):
        return self.predict_labels(self.compute_distances(X), k=k)
'''


def _knn(distances: str = _KNN_DISTANCES, vote: str = _KNN_VOTE, predict: str = _KNN_PREDICT) -> str:
    return _KNN_TRAIN + distances + vote + predict

CORRECT: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------------ KNN
    "knn_two_loops_and_counter": ("KNN", '''\
import numpy as np
from collections import Counter

class KNN:
    def train(self, X, y):
        self.X_train = X
        self.y_train = y

    def compute_distances(self, X):
        dists = np.zeros((X.shape[0], self.X_train.shape[0]))
        for i in range(X.shape[0]):
            for j in range(self.X_train.shape[0]):
                dists[i, j] = np.sqrt(np.sum((X[i] - self.X_train[j]) ** 2))
        return dists

    def predict_labels(self, dists, k=1):
        y_pred = []
        for row in dists:
            votes = Counter(self.y_train[np.argsort(row)[:k]].tolist())
            best = max(votes.values())
            y_pred.append(min(label for label, count in votes.items() if count == best))
        return np.array(y_pred)

    def predict(self, X, k=1):
        return self.predict_labels(self.compute_distances(X), k=k)
'''),

    "knn_one_loop_linalg_norm_and_unique": ("KNN", '''\
import numpy as np

class KNN:
    def train(self, X, y):
        self.X_train = np.array(X, dtype=float)
        self.y_train = np.array(y)

    def compute_distances(self, X):
        dists = np.zeros((X.shape[0], self.X_train.shape[0]))
        for i in range(X.shape[0]):
            dists[i, :] = np.linalg.norm(self.X_train - X[i], axis=1)
        return dists

    def predict_labels(self, dists, k=1):
        y_pred = np.zeros(dists.shape[0])
        for i in range(dists.shape[0]):
            labels, counts = np.unique(self.y_train[np.argsort(dists[i])[:k]], return_counts=True)
            y_pred[i] = labels[np.argmax(counts)]  # np.unique sorts: the first maximum is the smallest label
        return y_pred

    def predict(self, X, k=1):
        dists = self.compute_distances(X)
        return self.predict_labels(dists, k)
'''),

    "knn_expansion_einsum_argpartition": ("KNN", '''\
import numpy as np

class KNN:
    def train(self, X, y):
        self.X_train = X
        self.y_train = y

    def compute_distances(self, X):
        # ||a - b||^2 = ||a||^2 - 2 a.b + ||b||^2, all pairs at once
        a2 = np.einsum("ij,ij->i", X, X)[:, None]
        b2 = np.einsum("ij,ij->i", self.X_train, self.X_train)[None, :]
        return np.sqrt(np.maximum(a2 - 2 * X @ self.X_train.T + b2, 0))

    def predict_labels(self, dists, k=1):
        if k < dists.shape[1]:
            nearest = np.argpartition(dists, k - 1, axis=1)[:, :k]
        else:
            nearest = np.argsort(dists, axis=1)[:, :k]
        votes = self.y_train[nearest]
        counts = np.stack([np.bincount(v, minlength=int(self.y_train.max()) + 1) for v in votes])
        return np.argmax(counts, axis=1)

    def predict(self, X, k=1):
        return self.predict_labels(self.compute_distances(X), k=k)
'''),

    "knn_broadcast_sum_last_axis": ("KNN", '''\
import numpy as np

class KNN:
    def train(self, X, y):
        self.X_train = X
        self.y_train = y

    def compute_distances(self, X):
        return np.sqrt(((X[:, np.newaxis, :] - self.X_train[np.newaxis, :, :]) ** 2).sum(axis=-1))

    def predict_labels(self, dists, k=1):
        order = np.argsort(dists, axis=1, kind="stable")[:, :k]
        return np.array([np.bincount(self.y_train[o]).argmax() for o in order])

    def predict(self, X, k=1):
        return self.predict_labels(self.compute_distances(X), k=k)
'''),

    # ---------------------------------------------------- cross_validate_knn
    "cv_index_masks": ("cross_validate_knn", '''\
import numpy as np

def cross_validate_knn(X, y, k_choices, num_folds):
    folds = np.array_split(np.arange(len(y)), num_folds)
    results = {k: [] for k in k_choices}
    for f, held_out in enumerate(folds):
        mask = np.ones(len(y), dtype=bool)
        mask[held_out] = False
        knn = KNN()
        knn.train(X[mask], y[mask])
        dists = knn.compute_distances(X[held_out])
        for k in k_choices:
            results[k].append(np.mean(knn.predict_labels(dists, k=k) == y[held_out]))
    return results
'''),

    "cv_vstack_hstack_numpy_floats": ("cross_validate_knn", '''\
import numpy as np

def cross_validate_knn(X, y, k_choices, num_folds):
    X_folds = np.array_split(X, num_folds)
    y_folds = np.array_split(y, num_folds)
    k_to_accuracies = {}
    for k in k_choices:
        accs = np.zeros(num_folds)
        for f in range(num_folds):
            knn = KNN()
            knn.train(np.vstack([X_folds[i] for i in range(num_folds) if i != f]),
                      np.hstack([y_folds[i] for i in range(num_folds) if i != f]))
            accs[f] = np.sum(knn.predict(X_folds[f], k) == y_folds[f]) / len(y_folds[f])
        k_to_accuracies[k] = accs
    return k_to_accuracies
'''),

    # ------------------------------------------------------- svm_loss_naive
    "svm_naive_one_loop": ("svm_loss_naive", '''\
import numpy as np

def svm_loss_naive(W, X, y, reg):
    N = X.shape[0]
    loss = 0.0
    dW = np.zeros_like(W, dtype=float)
    for i in range(N):
        scores = W @ X[i]
        margins = np.maximum(0, scores - scores[y[i]] + 1)
        margins[y[i]] = 0
        loss += margins.sum()
        active = (margins > 0).astype(float)
        active[y[i]] = -active.sum()
        dW += np.outer(active, X[i])
    loss = loss / N + 0.5 * reg * np.sum(W ** 2)
    dW = dW / N + reg * W
    return float(loss), dW
'''),

    "svm_naive_reg_inside_loop_order": ("svm_loss_naive", '''\
import numpy as np

def svm_loss_naive(W, X, y, reg):
    num_classes, num_train = W.shape[0], X.shape[0]
    loss = 0.5 * reg * np.sum(W * W)
    dW = reg * W.astype(float)
    for i in range(num_train):
        for j in range(num_classes):
            if j != y[i]:
                margin = X[i] @ W[j] - X[i] @ W[y[i]] + 1
                if margin > 0:
                    loss += margin / num_train
                    dW[j, :] += X[i] / num_train
                    dW[y[i], :] -= X[i] / num_train
    return loss, dW
'''),

    # -------------------------------------------------- svm_loss_vectorized
    "svm_vectorized_subtract_N_trick": ("svm_loss_vectorized", '''\
import numpy as np

def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X.dot(W.T)
    correct = scores[np.arange(N), y].reshape(-1, 1)
    margins = np.maximum(0, scores - correct + 1)
    # the correct class contributes max(0, 1) = 1 per sample: take it back out
    loss = (np.sum(margins) - N) / N + 0.5 * reg * np.sum(W * W)
    mask = (margins > 0).astype(float)
    mask[np.arange(N), y] = 0
    mask[np.arange(N), y] = -np.sum(mask, axis=1)
    dW = mask.T.dot(X) / N + reg * W
    return loss, dW
'''),

    "svm_vectorized_one_hot_einsum": ("svm_loss_vectorized", '''\
import numpy as np

def svm_loss_vectorized(W, X, y, reg):
    N, C = X.shape[0], W.shape[0]
    Y = np.eye(C)[y]
    S = np.einsum("nd,cd->nc", X, W)
    correct = np.sum(S * Y, axis=1, keepdims=True)
    M = np.maximum(0.0, S - correct + 1.0) * (1 - Y)
    loss = M.sum() / N + reg / 2 * np.einsum("cd,cd->", W, W)
    G = (M > 0) - Y * (M > 0).sum(axis=1, keepdims=True)
    dW = np.einsum("nc,nd->cd", G, X) / N + reg * W
    return loss, dW
'''),

    # --------------------------------------------------- softmax_loss_naive
    "softmax_naive_logaddexp": ("softmax_loss_naive", '''\
import numpy as np

def softmax_loss_naive(W, X, y, reg):
    N, C = X.shape[0], W.shape[0]
    loss = 0.0
    dW = np.zeros(W.shape)
    for i in range(N):
        s = W @ X[i]
        log_sum = np.logaddexp.reduce(s)  # stable log-sum-exp
        loss += log_sum - s[y[i]]
        for j in range(C):
            dW[j] += (np.exp(s[j] - log_sum) - (j == y[i])) * X[i]
    return loss / N + 0.5 * reg * np.sum(W ** 2), dW / N + reg * W
'''),

    "softmax_naive_probabilities": ("softmax_loss_naive", '''\
import numpy as np

def softmax_loss_naive(W, X, y, reg):
    num_train = X.shape[0]
    loss = 0.0
    dW = np.zeros_like(W, dtype=np.float64)
    for i in range(num_train):
        f = X[i].dot(W.T)
        f -= np.max(f)
        p = np.exp(f) / np.sum(np.exp(f))
        loss += -np.log(p[y[i]])
        p[y[i]] -= 1
        for j in range(W.shape[0]):
            dW[j] += p[j] * X[i]
    loss /= num_train
    dW /= num_train
    loss += 0.5 * reg * np.sum(W * W)
    dW += reg * W
    return loss, dW
'''),

    # ---------------------------------------------- softmax_loss_vectorized
    "softmax_vectorized_explicit_logsumexp": ("softmax_loss_vectorized", '''\
import numpy as np

def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    S = X @ W.T
    m = S.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(S - m).sum(axis=1, keepdims=True))  # log sum_k exp(s_k)
    loss = np.mean(lse[:, 0] - S[np.arange(N), y]) + 0.5 * reg * np.sum(W ** 2)
    P = np.exp(S - lse)
    P[np.arange(N), y] -= 1
    return loss, P.T @ X / N + reg * W
'''),

    "softmax_vectorized_one_hot_probabilities": ("softmax_loss_vectorized", '''\
import numpy as np

def softmax_loss_vectorized(W, X, y, reg):
    N, C = X.shape[0], W.shape[0]
    scores = X.dot(W.T)
    scores -= np.max(scores, axis=1)[:, np.newaxis]
    probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    Y = np.zeros((N, C))
    Y[np.arange(N), y] = 1
    loss = -np.sum(Y * np.log(probs)) / N + 0.5 * reg * np.sum(W * W)
    dW = (probs - Y).T.dot(X) / N + reg * W
    return loss, dW
'''),

    "softmax_vectorized_global_max_shift": ("softmax_loss_vectorized", '''\
import numpy as np

def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    S = X @ W.T
    S = S - np.max(S)  # one shift for the whole matrix: exact, and enough when scores are similar
    E = np.exp(S)
    P = E / E.sum(axis=1, keepdims=True)
    loss = -np.log(P[np.arange(N), y]).mean() + 0.5 * reg * (W ** 2).sum()
    P[np.arange(N), y] -= 1
    return loss, P.T @ X / N + reg * W
'''),

    # ------------------------------------------------------- predict_linear
    "predict_W_times_X_transposed": ("predict_linear", '''\
import numpy as np

def predict_linear(W, X):
    return np.argmax(W @ X.T, axis=0)
'''),

    "predict_loop": ("predict_linear", '''\
import numpy as np

def predict_linear(W, X):
    y_pred = np.zeros(X.shape[0], dtype=int)
    for i in range(X.shape[0]):
        y_pred[i] = int(np.argmax(W.dot(X[i])))
    return y_pred
'''),

    # ------------------------------------------------------------ sgd_train
    "sgd_integers_normal_inplace": ("sgd_train", '''\
import numpy as np

def sgd_train(loss_fn, X, y, num_classes, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    num_train, dim = X.shape
    W = rng.normal(0.0, 0.001, size=(num_classes, dim))  # the same draws as 0.001 * standard_normal
    loss_history = []
    for it in range(num_iters):
        idx = rng.integers(0, num_train, size=batch_size)  # the same draws as choice(..., replace=True)
        X_batch, y_batch = X[idx], y[idx]
        loss, grad = loss_fn(W, X_batch, y_batch, reg=reg)
        loss_history.append(loss)
        W -= learning_rate * grad
    return W, loss_history
'''),

    "sgd_choice_default_array_history": ("sgd_train", '''\
import numpy as np

def sgd_train(loss_fn, X, y, num_classes, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200, seed=0):
    rng = np.random.default_rng(seed)
    W = 0.001 * rng.standard_normal((num_classes, X.shape[1]))
    losses = np.zeros(num_iters)
    for it in range(num_iters):
        batch = rng.choice(len(y), size=batch_size)
        losses[it], dW = loss_fn(W, X[batch], y[batch], reg)
        W = W - learning_rate * dW
    return W, losses
'''),
}
