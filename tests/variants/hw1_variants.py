"""HW1 solution-cell variants: plausible student mistakes and correct alternatives.

Used by the project's own tests: the harness takes the released notebook, puts
the correct solutions (read from the source notebook's solution cells, see
``SOLUTIONS_FROM_SOURCE``) in every solution cell, swaps in ONE variant's cell
(keyed by its ``grade_id``) and grades the result with the hidden suite
``reference/hw1/test_hw1.py``.

* ``WRONG[name] = (grade_id, cell_source, tasks)``: the grade must lose points
  on every task in ``tasks`` and on no other task. A task that calls the
  student's own helper is listed when the wrong helper changes its result:
  ``gradient_descent`` uses the loss and the gradient, ``select_degree`` uses
  ``polynomial_features``, ``fit_least_squares`` and ``squared_error_loss``,
  and ``predict_max_likelihood`` uses ``gaussian_log_density``.
* ``CORRECT[name] = (grade_id, cell_source)``: must still earn 100.

Every cell source is a complete replacement cell, with its own imports.
"""

from __future__ import annotations

SOLUTIONS_FROM_SOURCE = True

WRONG: dict[str, tuple[str, str, list[str]]] = {
    # ------------------------------------------------------------ regression
    "polynomial_increasing_order": ("polynomial_features", '''\
import numpy as np

def polynomial_features(x, degree):
    x = np.asarray(x, dtype=float)
    return np.stack([x ** p for p in range(degree + 1)], axis=1)  # 1, x, ..., x^d
''', ["polynomial_features"]),  # select_degree's losses do not depend on column order

    "loss_missing_1_over_N": ("squared_error_loss", '''\
import numpy as np

def squared_error_loss(theta, X, y):
    r = y - X @ theta
    return 0.5 * float(r @ r)
''', ["squared_error_loss", "gradient_descent", "select_degree"]),

    "loss_missing_half": ("squared_error_loss", '''\
import numpy as np

def squared_error_loss(theta, X, y):
    return float(np.mean((y - X @ theta) ** 2))
''', ["squared_error_loss", "gradient_descent", "select_degree"]),

    "gradient_sign_flipped": ("squared_error_gradient", '''\
import numpy as np

def squared_error_gradient(theta, X, y):
    return X.T @ (y - X @ theta) / X.shape[0]
''', ["squared_error_gradient", "gradient_descent"]),

    "gradient_missing_1_over_N": ("squared_error_gradient", '''\
import numpy as np

def squared_error_gradient(theta, X, y):
    return -X.T @ (y - X @ theta)
''', ["squared_error_gradient", "gradient_descent"]),

    "gd_losses_after_step": ("gradient_descent", '''\
import numpy as np

def gradient_descent(X, y, learning_rate, num_iters, theta0=None):
    theta = np.zeros(X.shape[1]) if theta0 is None else np.array(theta0, dtype=float)
    losses = []
    for t in range(num_iters):
        theta = theta - learning_rate * squared_error_gradient(theta, X, y)
        losses.append(squared_error_loss(theta, X, y))
    return theta, np.array(losses)
''', ["gradient_descent"]),

    "gd_updates_theta0_in_place": ("gradient_descent", '''\
import numpy as np

def gradient_descent(X, y, learning_rate, num_iters, theta0=None):
    theta = np.zeros(X.shape[1]) if theta0 is None else theta0
    losses = np.zeros(num_iters)
    for t in range(num_iters):
        losses[t] = squared_error_loss(theta, X, y)
        theta -= learning_rate * squared_error_gradient(theta, X, y)
    return theta, losses
''', ["gradient_descent"]),

    "select_by_training_loss": ("select_degree", '''\
import numpy as np

def select_degree(x_train, y_train, x_val, y_val, degrees):
    train_losses, val_losses = [], []
    for d in degrees:
        X_tr = polynomial_features(x_train, d)
        theta = fit_least_squares(X_tr, y_train)
        train_losses.append(squared_error_loss(theta, X_tr, y_train))
        val_losses.append(squared_error_loss(theta, polynomial_features(x_val, d), y_val))
    return degrees[int(np.argmin(train_losses))], train_losses, val_losses
''', ["select_degree"]),

    "split_not_shuffled": ("train_val_test_split", '''\
import numpy as np

def train_val_test_split(X, y, val_fraction, test_fraction, seed):
    N = X.shape[0]
    n_val, n_test = int(round(val_fraction * N)), int(round(test_fraction * N))
    n_train = N - n_val - n_test
    return (X[:n_train], y[:n_train], X[n_train:n_train + n_val], y[n_train:n_train + n_val],
            X[n_train + n_val:], y[n_train + n_val:])
''', ["train_val_test_split"]),

    "split_shuffles_inputs_in_place": ("train_val_test_split", '''\
import numpy as np

def train_val_test_split(X, y, val_fraction, test_fraction, seed):
    N = X.shape[0]
    order = np.random.default_rng(seed).permutation(N)
    X[:] = X[order]
    y[:] = y[order]
    n_val, n_test = int(round(val_fraction * N)), int(round(test_fraction * N))
    n_train = N - n_val - n_test
    return (X[:n_train], y[:n_train], X[n_train:n_train + n_val], y[n_train:n_train + n_val],
            X[n_train + n_val:], y[n_train + n_val:])
''', ["train_val_test_split"]),

    "split_breaks_pairs": ("train_val_test_split", '''\
import numpy as np

def train_val_test_split(X, y, val_fraction, test_fraction, seed):
    g = np.random.default_rng(seed)
    N = X.shape[0]
    X = X[g.permutation(N)]
    y = y[g.permutation(N)]  # a second, different permutation
    n_val, n_test = int(round(val_fraction * N)), int(round(test_fraction * N))
    n_train = N - n_val - n_test
    return (X[:n_train], y[:n_train], X[n_train:n_train + n_val], y[n_train:n_train + n_val],
            X[n_train + n_val:], y[n_train + n_val:])
''', ["train_val_test_split"]),

    # ------------------------------------------------------------ derivatives
    "quadratic_form_symmetric_only": ("grad_quadratic_form", '''\
import numpy as np

def grad_quadratic_form(A, x):
    return 2 * A @ x
''', ["grad_quadratic_form"]),

    "bilinear_transposed": ("grad_bilinear_form", '''\
import numpy as np

def grad_bilinear_form(z, A, x):
    return np.outer(x, z)  # numerator layout: the shape of A.T
''', ["grad_bilinear_form"]),

    "numerical_gradient_one_sided": ("numerical_gradient", '''\
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    fx = f(x)
    for ix in np.ndindex(*x.shape):
        old = x[ix]
        x[ix] = old + h
        grad[ix] = (f(x) - fx) / h
        x[ix] = old
    return grad
''', ["numerical_gradient"]),

    "numerical_gradient_mutates_x": ("numerical_gradient", '''\
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for ix in np.ndindex(*x.shape):
        x[ix] += h
        f_plus = f(x)
        x[ix] -= 2 * h
        f_minus = f(x)
        grad[ix] = (f_plus - f_minus) / (2 * h)  # x[ix] is never put back
    return grad
''', ["numerical_gradient"]),

    "numerical_gradient_ignores_h": ("numerical_gradient", '''\
import numpy as np

def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for ix in np.ndindex(*x.shape):
        old = x[ix]
        x[ix] = old + 1e-5
        f_plus = f(x)
        x[ix] = old - 1e-5
        f_minus = f(x)
        x[ix] = old
        grad[ix] = (f_plus - f_minus) / 2e-5
    return grad
''', ["numerical_gradient"]),

    # ------------------------------------------------------------ Gaussian classifier
    "gaussian_means_wrong_axis": ("fit_gaussian_classes", '''\
import numpy as np

def fit_gaussian_classes(X, y, num_classes):
    N, D = X.shape
    priors = np.zeros(num_classes)
    means = np.zeros((num_classes, D))
    covs = np.zeros((num_classes, D, D))
    for k in range(num_classes):
        X_k = X[y == k]
        priors[k] = len(X_k) / N
        means[k] = X_k.mean(axis=1)
        covs[k] = (X_k - means[k]).T @ (X_k - means[k]) / len(X_k)
    return priors, means, covs
''', ["fit_gaussian_classes"]),

    "gaussian_unbiased_covariance": ("fit_gaussian_classes", '''\
import numpy as np

def fit_gaussian_classes(X, y, num_classes):
    N, D = X.shape
    priors = np.array([np.mean(y == k) for k in range(num_classes)])
    means = np.array([X[y == k].mean(axis=0) for k in range(num_classes)])
    covs = np.array([np.cov(X[y == k].T).reshape(D, D) for k in range(num_classes)])  # divides by N_k - 1
    return priors, means, covs
''', ["fit_gaussian_classes"]),

    "gaussian_uniform_priors": ("fit_gaussian_classes", '''\
import numpy as np

def fit_gaussian_classes(X, y, num_classes):
    N, D = X.shape
    priors = np.full(num_classes, 1.0 / num_classes)
    means = np.array([X[y == k].mean(axis=0) for k in range(num_classes)])
    covs = np.array([(X[y == k] - means[k]).T @ (X[y == k] - means[k]) / np.sum(y == k)
                     for k in range(num_classes)])
    return priors, means, covs
''', ["fit_gaussian_classes"]),

    "log_density_missing_2pi": ("gaussian_log_density", '''\
import numpy as np

def gaussian_log_density(X, mean, cov):
    diff = X - mean
    _, log_det = np.linalg.slogdet(cov)
    return -0.5 * (log_det + np.sum(diff @ np.linalg.inv(cov) * diff, axis=1))
''', ["gaussian_log_density"]),  # the same constant for every class: predictions unchanged

    "log_density_missing_log_det": ("gaussian_log_density", '''\
import numpy as np

def gaussian_log_density(X, mean, cov):
    D = X.shape[1]
    diff = X - mean
    return -0.5 * (D * np.log(2 * np.pi) + np.sum(diff @ np.linalg.inv(cov) * diff, axis=1))
''', ["gaussian_log_density", "predict_max_likelihood"]),

    "log_density_cov_not_inverse": ("gaussian_log_density", '''\
import numpy as np

def gaussian_log_density(X, mean, cov):
    D = X.shape[1]
    diff = X - mean
    _, log_det = np.linalg.slogdet(cov)
    return -0.5 * (D * np.log(2 * np.pi) + log_det + np.sum(diff @ cov * diff, axis=1))
''', ["gaussian_log_density", "predict_max_likelihood"]),

    "predict_ignores_priors": ("predict_max_likelihood", '''\
import numpy as np

def predict_max_likelihood(X, priors, means, covs):
    scores = np.stack([gaussian_log_density(X, means[k], covs[k]) for k in range(len(priors))], axis=1)
    return np.argmax(scores, axis=1)
''', ["predict_max_likelihood"]),

    "predict_multiplies_log_prior": ("predict_max_likelihood", '''\
import numpy as np

def predict_max_likelihood(X, priors, means, covs):
    scores = np.stack([priors[k] * gaussian_log_density(X, means[k], covs[k]) for k in range(len(priors))],
                      axis=1)
    return np.argmax(scores, axis=1)
''', ["predict_max_likelihood"]),
}


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
