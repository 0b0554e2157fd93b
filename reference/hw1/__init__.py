"""HW1 reference solutions: machine-learning refresher (regression and gradients).

Hidden from students. Each graded function below is also written in the
matching solution cell of ``assignments/hw1/hw1.ipynb`` (the notebook is the
source an instructor edits); ``autograder check hw1`` keeps the two in
agreement: the notebook's solutions must earn full marks on the suite that
this reference passes.

Conventions (lecture 2): samples are rows, ``X`` is (N, D) with the bias
column last, predictions are ``y_hat = X @ theta`` and the loss is
``L(theta) = 1/(2N) sum_i (y_i - theta^T x_i)^2``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "polynomial_features",
    "squared_error_loss",
    "squared_error_gradient",
    "fit_least_squares",
    "gradient_descent",
    "train_val_test_split",
    "select_degree",
    "grad_quadratic_form",
    "grad_bilinear_form",
    "numerical_gradient",
    "fit_gaussian_classes",
    "gaussian_log_density",
    "predict_max_likelihood",
]


def polynomial_features(x, degree):
    """
    Builds the polynomial design matrix of a scalar input, bias column last.

    Inputs:
    - x: A numpy array of shape (N,) holding one scalar input per sample.
    - degree: An integer d >= 0, the highest power of x.

    Returns:
    - X: A numpy array of shape (N, d + 1) whose row i is
      [x_i^d, x_i^(d-1), ..., x_i, 1].
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    powers = np.arange(degree, -1, -1)
    return x[:, None] ** powers[None, :]
    ### END SOLUTION


def squared_error_loss(theta, X, y):
    """
    Mean squared-error loss L(theta) = 1/(2N) sum_i (y_i - theta^T x_i)^2.

    Inputs:
    - theta: A numpy array of shape (D,) of parameters.
    - X: A numpy array of shape (N, D); row i is the sample x_i.
    - y: A numpy array of shape (N,) of targets.

    Returns:
    - loss: A float, the loss L(theta).
    """
    ### BEGIN SOLUTION
    residuals = y - X @ theta
    return float(residuals @ residuals) / (2 * X.shape[0])
    ### END SOLUTION


def squared_error_gradient(theta, X, y):
    """
    Gradient of the squared-error loss with respect to theta.

    Inputs:
    - theta: A numpy array of shape (D,) of parameters.
    - X: A numpy array of shape (N, D); row i is the sample x_i.
    - y: A numpy array of shape (N,) of targets.

    Returns:
    - grad: A numpy array of shape (D,), the gradient of L at theta.
    """
    ### BEGIN SOLUTION
    residuals = y - X @ theta
    return -(X.T @ residuals) / X.shape[0]
    ### END SOLUTION


def fit_least_squares(X, y):
    """
    Least-squares parameters from the normal equations X^T X theta = X^T y.

    Inputs:
    - X: A numpy array of shape (N, D) with N >= D and linearly independent columns.
    - y: A numpy array of shape (N,) of targets.

    Returns:
    - theta: A numpy array of shape (D,) minimising the squared-error loss.
    """
    ### BEGIN SOLUTION
    return np.linalg.solve(X.T @ X, X.T @ y)
    ### END SOLUTION


def gradient_descent(X, y, learning_rate, num_iters, theta0=None):
    """
    Minimises the squared-error loss by batch gradient descent.

    Inputs:
    - X: A numpy array of shape (N, D); row i is the sample x_i.
    - y: A numpy array of shape (N,) of targets.
    - learning_rate: A positive float, the step size epsilon.
    - num_iters: An integer T >= 0, the number of steps to take.
    - theta0: Optional numpy array of shape (D,), the starting point; zeros
      when None. It must not be modified.

    Returns a tuple of:
    - theta: A numpy array of shape (D,), the parameters after T steps.
    - losses: A numpy array of shape (T,); losses[t] is L(theta_t), the loss
      at the parameters BEFORE step t (so losses[0] is the loss at theta0).
    """
    ### BEGIN SOLUTION
    if theta0 is None:
        theta = np.zeros(X.shape[1])
    else:
        theta = np.array(theta0, dtype=float)  # a copy: theta0 stays as it was
    losses = np.zeros(num_iters)
    for t in range(num_iters):
        losses[t] = squared_error_loss(theta, X, y)
        theta = theta - learning_rate * squared_error_gradient(theta, X, y)
    return theta, losses
    ### END SOLUTION


def train_val_test_split(X, y, val_fraction, test_fraction, seed):
    """
    Randomly splits a data set into training, validation and test sets.

    Inputs:
    - X: A numpy array of shape (N, D) of samples.
    - y: A numpy array of shape (N,) of targets; y[i] belongs to X[i].
    - val_fraction: A float in [0, 1), the share of samples for validation.
    - test_fraction: A float in [0, 1), the share of samples for testing;
      val_fraction + test_fraction < 1.
    - seed: An integer; the same seed must give the same split.

    Returns a tuple of:
    - X_train, y_train: arrays of shapes (N_train, D) and (N_train,)
    - X_val, y_val: arrays of shapes (N_val, D) and (N_val,), N_val ~ val_fraction * N
    - X_test, y_test: arrays of shapes (N_test, D) and (N_test,), N_test ~ test_fraction * N
    Every sample lands in exactly one of the three sets, still paired with
    its target. X and y must not be modified.
    """
    ### BEGIN SOLUTION
    N = X.shape[0]
    num_val = int(round(val_fraction * N))
    num_test = int(round(test_fraction * N))
    order = np.random.default_rng(seed).permutation(N)
    val_idx = order[:num_val]
    test_idx = order[num_val:num_val + num_test]
    train_idx = order[num_val + num_test:]
    return X[train_idx], y[train_idx], X[val_idx], y[val_idx], X[test_idx], y[test_idx]
    ### END SOLUTION


def select_degree(x_train, y_train, x_val, y_val, degrees):
    """
    Chooses a polynomial degree by validation loss.

    For each degree d in degrees: build polynomial features of degree d, fit
    theta by least squares on the training set, and compute the loss of that
    theta on the training set and on the validation set.

    Inputs:
    - x_train: A numpy array of shape (N_train,) of scalar inputs.
    - y_train: A numpy array of shape (N_train,) of targets.
    - x_val: A numpy array of shape (N_val,) of scalar inputs.
    - y_val: A numpy array of shape (N_val,) of targets.
    - degrees: A list of K integers, the degrees to try (in this order).

    Returns a tuple of:
    - best_degree: The entry of degrees with the smallest validation loss
      (the first such entry on ties).
    - train_losses: A numpy array of shape (K,); train_losses[k] is the
      training loss of the fit of degree degrees[k].
    - val_losses: A numpy array of shape (K,); the validation losses.
    """
    ### BEGIN SOLUTION
    train_losses, val_losses = [], []
    for degree in degrees:
        X_tr = polynomial_features(x_train, degree)
        theta = fit_least_squares(X_tr, y_train)
        train_losses.append(squared_error_loss(theta, X_tr, y_train))
        val_losses.append(squared_error_loss(theta, polynomial_features(x_val, degree), y_val))
    best_degree = degrees[int(np.argmin(val_losses))]
    return best_degree, np.array(train_losses), np.array(val_losses)
    ### END SOLUTION


def grad_quadratic_form(A, x):
    """
    Gradient of the quadratic form f(x) = x^T A x with respect to x.

    Inputs:
    - A: A numpy array of shape (n, n), not necessarily symmetric.
    - x: A numpy array of shape (n,).

    Returns:
    - grad: A numpy array of shape (n,), the gradient of f at x.
    """
    ### BEGIN SOLUTION
    return (A + A.T) @ x
    ### END SOLUTION


def grad_bilinear_form(z, A, x):
    """
    Gradient of y = z^T A x with respect to the matrix A (denominator layout).

    Inputs:
    - z: A numpy array of shape (m,).
    - A: A numpy array of shape (m, n).
    - x: A numpy array of shape (n,).

    Returns:
    - grad: A numpy array of shape (m, n) whose entry (i, j) is dy/dA_ij.
    """
    ### BEGIN SOLUTION
    return z[:, None] * x[None, :]
    ### END SOLUTION


def numerical_gradient(f, x, h=1e-5):
    """
    Centred-difference estimate of the gradient of a scalar function.

    Inputs:
    - f: A function taking an array shaped like x and returning a float.
    - x: A float numpy array of any shape, the point to differentiate at.
      On return it must hold exactly the values it held on entry.
    - h: A small positive float, the step.

    Returns:
    - grad: A numpy array of the same shape as x, where
      grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h) for every index i.
    """
    ### BEGIN SOLUTION
    grad = np.zeros(x.shape, dtype=float)
    for index in np.ndindex(*x.shape):
        old_value = x[index]
        x[index] = old_value + h
        f_plus = f(x)
        x[index] = old_value - h
        f_minus = f(x)
        x[index] = old_value  # restore
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


def fit_gaussian_classes(X, y, num_classes):
    """
    Maximum-likelihood estimates of a Gaussian class-conditional model.

    Inputs:
    - X: A numpy array of shape (N, D) of samples.
    - y: A numpy array of shape (N,) of integer labels in 0..K-1; every
      class has at least one sample.
    - num_classes: The number of classes K.

    Returns a tuple of:
    - priors: A numpy array of shape (K,); priors[k] = N_k / N.
    - means: A numpy array of shape (K, D); means[k] is the mean of class k.
    - covs: A numpy array of shape (K, D, D); covs[k] is the maximum-likelihood
      covariance of class k, (1 / N_k) sum_{i: y_i = k} (x_i - mu_k)(x_i - mu_k)^T.
    """
    ### BEGIN SOLUTION
    N, D = X.shape
    priors = np.zeros(num_classes)
    means = np.zeros((num_classes, D))
    covs = np.zeros((num_classes, D, D))
    for k in range(num_classes):
        X_k = X[y == k]
        priors[k] = X_k.shape[0] / N
        means[k] = X_k.mean(axis=0)
        centred = X_k - means[k]
        covs[k] = centred.T @ centred / X_k.shape[0]
    return priors, means, covs
    ### END SOLUTION


def gaussian_log_density(X, mean, cov):
    """
    Log-density of a multivariate Gaussian at each sample.

    Inputs:
    - X: A numpy array of shape (N, D) of samples.
    - mean: A numpy array of shape (D,), the mean mu.
    - cov: A numpy array of shape (D, D), a symmetric positive-definite covariance Sigma.

    Returns:
    - log_p: A numpy array of shape (N,); log_p[i] = log N(x_i; mu, Sigma).
    """
    ### BEGIN SOLUTION
    D = mean.shape[0]
    centred = X - mean
    _, log_det = np.linalg.slogdet(cov)
    mahalanobis = np.sum(centred * np.linalg.solve(cov, centred.T).T, axis=1)
    return -0.5 * (D * np.log(2 * np.pi) + log_det + mahalanobis)
    ### END SOLUTION


def predict_max_likelihood(X, priors, means, covs):
    """
    Predicts the class maximising log p(y = k) + log p(x | y = k).

    Inputs:
    - X: A numpy array of shape (N, D) of samples.
    - priors: A numpy array of shape (K,) of class probabilities.
    - means: A numpy array of shape (K, D) of class means.
    - covs: A numpy array of shape (K, D, D) of class covariances.

    Returns:
    - labels: An integer numpy array of shape (N,) of predicted classes in 0..K-1.
    """
    ### BEGIN SOLUTION
    scores = np.stack(
        [np.log(priors[k]) + gaussian_log_density(X, means[k], covs[k]) for k in range(len(priors))],
        axis=1,
    )
    return np.argmax(scores, axis=1)
    ### END SOLUTION
