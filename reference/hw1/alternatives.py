"""HW1 correct alternatives: solution cells written differently from the source's, each
of which must earn full marks, be "Ready" in ``autograder validate`` and pass every visible
check under every seed sweep (``autograder check hw1`` runs all three; see
``autograder/check_visible.py``).

``CORRECT[name] = (grade_id, cell_source)``: a complete replacement for the solution
cell ``grade_id``, with its own imports. Hidden material like the suite: the Gradescope
zip leaves this file out. The plausible mistakes (``WRONG``) are in
``tests/variants/hw1_variants.py``, which re-exports these.
"""

from __future__ import annotations

SOLUTIONS_FROM_SOURCE = True

CORRECT: dict[str, tuple[str, str]] = {
    # ------------------------------------------------------------ regression
    "polynomial_vander": ("polynomial_features", '''\
import numpy as np

def polynomial_features(x, degree):
    return np.vander(x, degree + 1)
'''),

    "polynomial_loop_columns": ("polynomial_features", '''\
import numpy as np

def polynomial_features(x, degree):
    X = np.ones((len(x), degree + 1))
    for j in range(degree + 1):
        X[:, j] = np.power(x, degree - j)
    return X
'''),

    "loss_loops": ("squared_error_loss", '''\
import numpy as np

def squared_error_loss(theta, X, y):
    N, D = X.shape
    total = 0.0
    for i in range(N):
        prediction = 0.0
        for j in range(D):
            prediction += theta[j] * X[i, j]
        total += (y[i] - prediction) ** 2
    return total / (2 * N)
'''),

    "loss_mean": ("squared_error_loss", '''\
import numpy as np

def squared_error_loss(theta, X, y):
    return 0.5 * np.mean((y - X.dot(theta)) ** 2)
'''),

    "gradient_loops": ("squared_error_gradient", '''\
import numpy as np

def squared_error_gradient(theta, X, y):
    N, D = X.shape
    grad = np.zeros(D)
    for i in range(N):
        residual = y[i] - X[i] @ theta
        grad -= residual * X[i]
    return grad / N
'''),

    "gradient_expanded_normal_form": ("squared_error_gradient", '''\
import numpy as np

def squared_error_gradient(theta, X, y):
    N = X.shape[0]
    return (X.T @ X @ theta - X.T @ y) / N
'''),

    "least_squares_lstsq": ("fit_least_squares", '''\
import numpy as np

def fit_least_squares(X, y):
    theta, *_ = np.linalg.lstsq(X, y, rcond=None)
    return theta
'''),

    "least_squares_pinv": ("fit_least_squares", '''\
import numpy as np

def fit_least_squares(X, y):
    return np.linalg.pinv(X) @ y
'''),

    "least_squares_inv": ("fit_least_squares", '''\
import numpy as np

def fit_least_squares(X, y):
    return np.linalg.inv(X.T @ X) @ X.T @ y
'''),

    "gd_copy_then_in_place": ("gradient_descent", '''\
import numpy as np

def gradient_descent(X, y, learning_rate, num_iters, theta0=None):
    theta = np.zeros(X.shape[1]) if theta0 is None else theta0.astype(float).copy()
    losses = []
    for _ in range(num_iters):
        losses.append(squared_error_loss(theta, X, y))
        theta -= learning_rate * squared_error_gradient(theta, X, y)
    return theta, losses
'''),

    "split_legacy_random_state_floor": ("train_val_test_split", '''\
import numpy as np

def train_val_test_split(X, y, val_fraction, test_fraction, seed):
    N = len(X)
    order = np.random.RandomState(seed).permutation(N)
    n_val = int(val_fraction * N)
    n_test = int(test_fraction * N)
    test_idx = order[:n_test]
    val_idx = order[n_test:n_test + n_val]
    train_idx = order[n_test + n_val:]
    return X[train_idx], y[train_idx], X[val_idx], y[val_idx], X[test_idx], y[test_idx]
'''),

    "split_shuffle_copy": ("train_val_test_split", '''\
import numpy as np

def train_val_test_split(X, y, val_fraction, test_fraction, seed):
    idx = np.arange(X.shape[0])
    np.random.default_rng(seed).shuffle(idx)
    n_val = int(np.ceil(val_fraction * len(idx)))
    n_test = int(np.ceil(test_fraction * len(idx)))
    parts = np.split(idx, [len(idx) - n_val - n_test, len(idx) - n_test])
    return tuple(a for p in parts for a in (X[p], y[p]))
'''),

    "select_degree_lists_and_min": ("select_degree", '''\
import numpy as np

def select_degree(x_train, y_train, x_val, y_val, degrees):
    train_losses, val_losses = [], []
    best_degree, best_loss = None, np.inf
    for d in degrees:
        theta = fit_least_squares(polynomial_features(x_train, d), y_train)
        train_losses.append(squared_error_loss(theta, polynomial_features(x_train, d), y_train))
        v = squared_error_loss(theta, polynomial_features(x_val, d), y_val)
        val_losses.append(v)
        if v < best_loss:
            best_degree, best_loss = d, v
    return best_degree, train_losses, val_losses
'''),

    # ------------------------------------------------------------ derivatives
    "quadratic_form_loops": ("grad_quadratic_form", '''\
import numpy as np

def grad_quadratic_form(A, x):
    n = len(x)
    grad = np.zeros(n)
    for k in range(n):
        grad[k] = sum(A[k, j] * x[j] for j in range(n)) + sum(A[i, k] * x[i] for i in range(n))
    return grad
'''),

    "quadratic_form_two_products": ("grad_quadratic_form", '''\
import numpy as np

def grad_quadratic_form(A, x):
    return A @ x + A.T @ x
'''),

    "bilinear_einsum": ("grad_bilinear_form", '''\
import numpy as np

def grad_bilinear_form(z, A, x):
    return np.einsum("i,j->ij", z, x)
'''),

    "bilinear_outer": ("grad_bilinear_form", '''\
import numpy as np

def grad_bilinear_form(z, A, x):
    return np.outer(z, x)
'''),

    "numerical_gradient_nditer": ("numerical_gradient", '''\
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad
'''),

    "numerical_gradient_copies": ("numerical_gradient", '''\
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    flat = grad.reshape(-1)
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = h
        step = step.reshape(x.shape)
        flat[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad
'''),

    # ------------------------------------------------------------ Gaussian classifier
    "fit_gaussian_np_cov_bias": ("fit_gaussian_classes", '''\
import numpy as np

def fit_gaussian_classes(X, y, num_classes):
    N, D = X.shape
    priors = np.bincount(y, minlength=num_classes) / N
    means = np.zeros((num_classes, D))
    covs = np.zeros((num_classes, D, D))
    for k in range(num_classes):
        means[k] = np.mean(X[y == k], axis=0)
        covs[k] = np.cov(X[y == k], rowvar=False, bias=True)
    return priors, means, covs
'''),

    "fit_gaussian_one_hot": ("fit_gaussian_classes", '''\
import numpy as np

def fit_gaussian_classes(X, y, num_classes):
    Y = np.eye(num_classes)[y]                    # (N, K) one-hot
    counts = Y.sum(axis=0)                        # (K,)
    priors = counts / len(y)
    means = (Y.T @ X) / counts[:, None]           # (K, D)
    centred = X[:, None, :] - means[None, :, :]   # (N, K, D)
    covs = np.einsum("nk,nki,nkj->kij", Y, centred, centred) / counts[:, None, None]
    return priors, means, covs
'''),

    "log_density_inv_det": ("gaussian_log_density", '''\
import numpy as np

def gaussian_log_density(X, mean, cov):
    D = len(mean)
    diff = X - mean
    inv = np.linalg.inv(cov)
    quad = np.einsum("ni,ij,nj->n", diff, inv, diff)
    return -0.5 * quad - 0.5 * np.log(np.linalg.det(cov)) - D / 2 * np.log(2 * np.pi)
'''),

    "log_density_cholesky": ("gaussian_log_density", '''\
import numpy as np

def gaussian_log_density(X, mean, cov):
    D = len(mean)
    L = np.linalg.cholesky(cov)
    u = np.linalg.solve(L, (X - mean).T)          # (D, N)
    log_det = 2 * np.sum(np.log(np.diag(L)))
    return -0.5 * (np.sum(u ** 2, axis=0) + log_det + D * np.log(2 * np.pi))
'''),

    "log_density_loop_rows": ("gaussian_log_density", '''\
import numpy as np

def gaussian_log_density(X, mean, cov):
    D = X.shape[1]
    sign, log_det = np.linalg.slogdet(cov)
    out = np.zeros(X.shape[0])
    for i in range(X.shape[0]):
        d = X[i] - mean
        out[i] = -0.5 * (d @ np.linalg.solve(cov, d)) - 0.5 * log_det - 0.5 * D * np.log(2 * np.pi)
    return out
'''),

    "predict_loops_over_samples": ("predict_max_likelihood", '''\
import numpy as np

def predict_max_likelihood(X, priors, means, covs):
    K = len(priors)
    labels = np.zeros(X.shape[0], dtype=int)
    for i in range(X.shape[0]):
        scores = [np.log(priors[k]) + gaussian_log_density(X[i:i + 1], means[k], covs[k])[0] for k in range(K)]
        labels[i] = int(np.argmax(scores))
    return labels
'''),

    "predict_self_contained": ("predict_max_likelihood", '''\
import numpy as np

def predict_max_likelihood(X, priors, means, covs):
    N, D = X.shape
    scores = np.zeros((N, len(priors)))
    for k in range(len(priors)):
        diff = X - means[k]
        sign, log_det = np.linalg.slogdet(covs[k])
        maha = np.sum(diff * np.linalg.solve(covs[k], diff.T).T, axis=1)
        scores[:, k] = np.log(priors[k]) - 0.5 * (log_det + maha)  # constants dropped
    return scores.argmax(axis=1)
'''),
}
