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

The correct alternatives live beside the hidden suite, in
``reference/hw1/alternatives.py`` (``autograder check hw1`` runs them); this module
re-exports them as ``CORRECT``.
"""

from __future__ import annotations

from reference.hw1.alternatives import CORRECT, SOLUTIONS_FROM_SOURCE  # noqa: F401

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
