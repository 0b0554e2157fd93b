"""Builds assignments/hw1/hw1.ipynb, the HW1 source notebook (nbgrader schema v3).

    .venv/bin/python assignments/hw1/make_notebook.py

Single sources of truth, so nothing can drift:
* each solution cell is the function's source copied from
  ``reference/hw1/__init__.py`` (docstring and ``### BEGIN/END SOLUTION``
  markers included);
* each test cell's points are the sum of the ``points`` markers of the hidden
  tests marked ``task("<function>")`` in ``reference/hw1/test_hw1.py``.
"""

from __future__ import annotations

import ast
import textwrap
from collections import Counter
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "reference" / "hw1" / "__init__.py"
SUITE = ROOT / "reference" / "hw1" / "test_hw1.py"
OUT = Path(__file__).resolve().parent / "hw1.ipynb"


def reference_sources() -> dict[str, str]:
    """Each top-level function's full text, trailing ``### END SOLUTION`` comment included.

    (The AST node of a function ends at its last statement, so the lines are
    taken up to the next top-level statement instead.)
    """
    text = REFERENCE.read_text()
    lines = text.splitlines()
    body = ast.parse(text).body
    starts = [node.lineno - 1 for node in body] + [len(lines)]
    sources = {}
    for node, end in zip(body, starts[1:]):
        if isinstance(node, ast.FunctionDef):
            source = "\n".join(lines[node.lineno - 1:end]).rstrip()
            assert source.count("### BEGIN SOLUTION") == 1 and source.count("### END SOLUTION") == 1, node.name
            sources[node.name] = source
    return sources


def suite_points() -> Counter:
    points: Counter = Counter()
    for node in ast.parse(SUITE.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            marks = {d.func.attr: d.args[0].value for d in node.decorator_list if isinstance(d, ast.Call)}
            points[marks["task"]] += marks["points"]
    return points


SOURCES = reference_sources()
POINTS = suite_points()
cells: list = []
seen_ids: set[str] = set()


def meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: int | None = None) -> dict:
    assert grade_id not in seen_ids, grade_id
    seen_ids.add(grade_id)
    m = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
         "solution": solution, "task": False}
    if grade:
        m["points"] = points
    return m


def md(text: str) -> None:
    cells.append(new_markdown_cell(textwrap.dedent(text).strip()))


def instructor(grade_id: str, source: str, *, skip: bool = False) -> None:
    cell = new_code_cell(textwrap.dedent(source).strip())
    cell.metadata["nbgrader"] = meta(grade_id, grade=False, solution=False, locked=True)
    if skip:
        cell.metadata["tags"] = ["skip-grading"]
    cells.append(cell)


def solution(name: str) -> None:
    cell = new_code_cell(SOURCES[name])
    cell.metadata["nbgrader"] = meta(name, grade=False, solution=True, locked=False)
    cells.append(cell)


def test(name: str, visible: str, hidden: str) -> None:
    points = POINTS[name]
    source = (
        f"# Tests for `{name}` ({points} points). The autograder runs more checks than these.\n"
        + textwrap.dedent(visible).strip()
        + f'\nprint("{name}: all visible tests passed")\n'
        + "### BEGIN HIDDEN TESTS\n"
        + textwrap.dedent(hidden).strip()
        + "\n### END HIDDEN TESTS"
    )
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = meta(f"test_{name}", grade=True, solution=False, locked=True, points=points)
    cells.append(cell)


# =====================================================================
md(r"""
# HW1: Machine-learning refresher — regression and gradients

This homework follows **lecture 2** (*Reviewing the basics of machine learning*). You will

1. fit a regression model to (synthetic) Westwood rents: features, the squared-error loss, its gradient,
   the normal equations and gradient descent;
2. use training, validation and test sets to choose a model's complexity without overfitting;
3. practise the vector and matrix derivatives from the lecture, and check derivatives numerically;
4. build a maximum-likelihood classifier with Gaussian class-conditional densities.

**Conventions** (the same as the lecture's): samples are **rows**. A data set of $N$ samples with $D$ features is a
matrix $X \in \mathbb{R}^{N \times D}$ whose row $i$ is $\hat{x}^{(i)T}$, with the **bias column (all ones) last**.
Predictions are $\hat{y}^{(i)} = \theta^T \hat{x}^{(i)}$, i.e. $\hat{y} = X\theta$ for all samples at once.

**How this notebook is graded.**
* Write your code only between the lines `# YOUR CODE HERE` and the end of each function (delete the
  `raise NotImplementedError()`). Do not rename functions or change their arguments.
* Use `numpy` only: no other imports in your solutions.
* After each function there is a test cell. Run it: its checks are a small, *visible* part of the
  tests. The autograder runs more, hidden, tests on other inputs (other shapes, integer and float32 arrays,
  one sample, one feature...), and gives partial credit per test. Passing the visible tests does not
  guarantee full marks: think about what else could go wrong.
* The autograder calls each of your functions on its own. A function that uses another of your
  functions (e.g. `gradient_descent` uses your loss and gradient) depends on that function being right.
* Do not modify the arrays you are given (work on a copy if you must change one).
* Cells that only plot or print are skipped by the grader; they are here to help you see what your code does.
""")

instructor("imports", """
import numpy as np

np.set_printoptions(precision=4, suppress=True)
""")

instructor("plot_setup", """
import matplotlib.pyplot as plt

plt.rcParams["figure.figsize"] = (6, 4)
""", skip=True)

# ---------------------------------------------------------------- data
md(r"""
## Part 1: Linear and polynomial regression

### The data: renting in Westwood

As in the lecture, we want to rent a home in Westwood and would like to know whether an asking price is a good deal.
We have $N = 50$ listings, each with its size $x$ (square feet) and its monthly rent $y$.
**Warning: this data is synthetic!** It is generated below from a fixed seed, so everybody sees the same numbers.

The model of the lecture is a line, $\hat{y} = a x + b = \theta^T \hat{x}$ with $\theta = \begin{bmatrix} a \\ b \end{bmatrix}$
and $\hat{x} = \begin{bmatrix} x \\ 1 \end{bmatrix}$, or more generally a polynomial, e.g.
$\hat{y} = a x^2 + b x + c = \theta^T \hat{x}$ with $\hat{x} = \begin{bmatrix} x^2 \\ x \\ 1 \end{bmatrix}$.

To keep the powers $x^d$ of reasonable size we measure the input in **thousands of square feet, centred at
1,500 sq ft**: $x = (\text{sqft} - 1500) / 1000$, and the rent in **thousands of dollars per month**.
""")

instructor("westwood_data", """
def make_westwood_rents(num_listings, seed):
    \"\"\"
    Synthetic Westwood listings (the lecture's example; the data is made up).

    Inputs:
    - num_listings: the number of listings N.
    - seed: an integer seed, so the data is the same every time.

    Returns a tuple of:
    - sqft: A numpy array of shape (N,), the size of each listing in square feet.
    - rent: A numpy array of shape (N,), its monthly rent in thousands of dollars.
    \"\"\"
    g = np.random.default_rng(seed)
    sqft = np.round(g.uniform(400, 2600, size=num_listings), -1)
    size = sqft / 1000
    rent = 0.6 + 2.9 * size - 0.35 * size ** 2 + g.normal(0, 0.3, size=num_listings)
    return sqft, rent


sqft, rent = make_westwood_rents(50, seed=147)
x_rent = (sqft - 1500) / 1000  # centred input, in thousands of square feet
print(f"{len(sqft)} listings: {sqft.min():.0f} to {sqft.max():.0f} sq ft, "
      f"${1000 * rent.min():,.0f} to ${1000 * rent.max():,.0f} per month")
""")

instructor("plot_westwood_data", """
plt.scatter(sqft, 1000 * rent, s=15)
plt.xlabel("size (square feet)")
plt.ylabel("monthly rent ($)")
plt.title("Westwood rents (synthetic)")
plt.show()
""", skip=True)

# ---------------------------------------------------------------- polynomial_features
md(r"""
### Task 1: polynomial features

A polynomial model of degree $d$ is still *linear in its parameters*:
$$\hat{y} = \theta_1 x^d + \theta_2 x^{d-1} + \dots + \theta_d x + \theta_{d+1} = \theta^T \hat{x},
\qquad \hat{x} = \begin{bmatrix} x^d & x^{d-1} & \cdots & x & 1 \end{bmatrix}^T \in \mathbb{R}^{d+1}.$$
So once we turn every scalar input $x^{(i)}$ into the vector $\hat{x}^{(i)}$, everything we do for linear regression
works for polynomials too. Stacking the $\hat{x}^{(i)T}$ as rows gives the **design matrix**
$$X = \begin{bmatrix} (x^{(1)})^d & \cdots & x^{(1)} & 1 \\ \vdots & & \vdots & \vdots \\ (x^{(N)})^d & \cdots & x^{(N)} & 1 \end{bmatrix}
\in \mathbb{R}^{N \times (d+1)}.$$

Implement `polynomial_features(x, degree)`: columns in **decreasing** powers, the bias column of ones **last**.
Degree 0 gives just the bias column. Hint: broadcasting `x[:, None] ** powers[None, :]` builds it in one line.
""")
solution("polynomial_features")
test("polynomial_features", """
X_small = polynomial_features(np.array([2.0, -1.0, 0.5]), 2)
assert X_small.shape == (3, 3), f"expected shape (3, 3), got {X_small.shape}"
assert np.allclose(X_small, [[4, 2, 1], [1, -1, 1], [0.25, 0.5, 1]]), "the columns should be x^2, x, 1 (bias last)"
assert np.allclose(polynomial_features(np.array([3.0, 4.0]), 0), [[1.0], [1.0]]), "degree 0 is only the bias column"
""", """
x_h = np.linspace(-2, 2, 7)
X_h = polynomial_features(x_h, 4)
assert X_h.shape == (7, 5)
for j in range(5):
    assert np.allclose(X_h[:, j], x_h ** (4 - j))
assert np.allclose(polynomial_features(np.array([3, -2]), 3), [[27, 9, 3, 1], [-8, 4, -2, 1]])
assert polynomial_features(np.array([1.7]), 1).shape == (1, 2)
""")

# ---------------------------------------------------------------- loss
md(r"""
### Task 2: the squared-error loss

How good are the parameters $\theta$? The lecture's cost function is the (halved) mean squared error
$$\mathcal{L}(\theta) = \frac{1}{2N} \sum_{i=1}^N \left(y^{(i)} - \hat{y}^{(i)}\right)^2
= \frac{1}{2N} \sum_{i=1}^N \left(y^{(i)} - \theta^T \hat{x}^{(i)}\right)^2
= \frac{1}{2N} \left\lVert y - X\theta \right\rVert^2 .$$
The factor $\frac{1}{N}$ makes the loss an *average*, comparable across data sets of different sizes (we will compare
training and validation losses later); the $\frac12$ cancels the 2 of the derivative.

Implement `squared_error_loss(theta, X, y)` and return a Python `float`. Try to write it without a loop over samples.
""")
solution("squared_error_loss")
test("squared_error_loss", """
X_small = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
y_small = np.array([1.0, 3.0, 2.0])
# predictions 1.5, 2, 2.5; residuals -0.5, 1, -0.5; loss = (0.25 + 1 + 0.25) / 6 = 0.25
loss_small = squared_error_loss(np.array([0.5, 1.0]), X_small, y_small)
assert np.ndim(loss_small) == 0, "the loss should be a single number"
assert np.isclose(loss_small, 0.25), f"expected 0.25, got {loss_small}"
assert np.isclose(squared_error_loss(np.array([1.0, 1.0]), X_small, X_small @ np.array([1.0, 1.0])), 0.0), \\
    "a perfect fit has zero loss"
""", """
rng_h = np.random.default_rng(0)
X_h, th_h, y_h = rng_h.normal(size=(20, 4)), rng_h.normal(size=4), rng_h.normal(size=20)
assert np.isclose(squared_error_loss(th_h, X_h, y_h), np.sum((y_h - X_h @ th_h) ** 2) / 40)
assert np.isclose(squared_error_loss(np.array([2.0]), np.array([[3.0]]), np.array([1.0])), 12.5)
""")

# ---------------------------------------------------------------- gradient
md(r"""
### Task 3: the gradient of the loss

To minimise $\mathcal{L}$ we need $\nabla_\theta \mathcal{L}$, a vector of the same size as $\theta$ whose entry $j$ is
$\partial \mathcal{L} / \partial \theta_j$. For one sample, the lecture showed $\nabla_\theta (\theta^T \hat{x}) = \hat{x}$, so by
the chain rule
$$\nabla_\theta \frac{1}{2}\left(y^{(i)} - \theta^T \hat{x}^{(i)}\right)^2 = -\left(y^{(i)} - \theta^T \hat{x}^{(i)}\right) \hat{x}^{(i)} .$$
Averaging over the samples and writing the sum as a matrix product,
$$\nabla_\theta \mathcal{L}(\theta) = -\frac{1}{N} \sum_{i=1}^N \left(y^{(i)} - \theta^T \hat{x}^{(i)}\right) \hat{x}^{(i)}
= -\frac{1}{N} X^T (y - X\theta) = \frac{1}{N}\left(X^T X \theta - X^T y\right).$$
(Check the shapes: $X^T$ is $D \times N$, $y - X\theta$ is $N \times 1$, so the gradient is $D \times 1$, like $\theta$.)

Implement `squared_error_gradient(theta, X, y)`, returning an array of shape `(D,)`. Mind the **sign** and the $\frac{1}{N}$.
""")
solution("squared_error_gradient")
test("squared_error_gradient", """
X_small = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
y_small = np.array([1.0, 3.0, 2.0])
# residuals y - X theta = [-0.5, 1, -0.5] and X^T (y - X theta) = [0, 0]: this theta is the best fit
grad_small = squared_error_gradient(np.array([0.5, 1.0]), X_small, y_small)
assert grad_small.shape == (2,), f"expected shape (2,), got {np.shape(grad_small)}"
assert np.allclose(grad_small, [0.0, 0.0]), "at this theta the gradient is zero (it is the least-squares fit)"
grad_small = squared_error_gradient(np.array([0.0, 0.0]), X_small, y_small)
assert np.allclose(grad_small, [-13 / 3, -2.0]), f"expected [-4.333, -2], got {grad_small}"
""", """
rng_h = np.random.default_rng(1)
X_h, th_h, y_h = rng_h.normal(size=(15, 3)), rng_h.normal(size=3), rng_h.normal(size=15)
loss_h = lambda t: np.sum((y_h - X_h @ t) ** 2) / 30  # the loss, written out: no dependence on your loss
fd_h = np.array([(loss_h(th_h + e) - loss_h(th_h - e)) / 2e-6 for e in 1e-6 * np.eye(3)])
assert np.allclose(squared_error_gradient(th_h, X_h, y_h), fd_h, rtol=1e-5, atol=1e-7)
assert np.allclose(squared_error_gradient(th_h, X_h, y_h), X_h.T @ (X_h @ th_h - y_h) / 15)
""")

# ---------------------------------------------------------------- least squares
md(r"""
### Task 4: the normal equations

Our strategy from the lecture: find the $\theta$ at which the gradient vanishes, $\frac{\partial \mathcal{L}}{\partial \theta} = 0$.
With the gradient of Task 3,
$$\frac{1}{N}\left(X^T X \theta - X^T y\right) = 0 \quad\Longleftrightarrow\quad X^T X\, \theta = X^T y
\quad\Longrightarrow\quad \theta^\star = \left(X^T X\right)^{-1} X^T y .$$
These are the **normal equations**. $\mathcal{L}$ is a convex quadratic in $\theta$ (its Hessian $\frac1N X^T X$ is positive
semi-definite), so this stationary point is the minimum. $X^T X$ is invertible when the columns of $X$ are linearly
independent (which needs $N \ge D$).

Implement `fit_least_squares(X, y)`. Numerically it is better to *solve* the linear system
(`np.linalg.solve`) than to form the inverse; `np.linalg.lstsq` is also fine.
""")
solution("fit_least_squares")
test("fit_least_squares", """
x_line = np.array([0.0, 1.0, 2.0, 3.0])
X_line = np.stack([x_line, np.ones(4)], axis=1)
theta_line = fit_least_squares(X_line, 2 * x_line + 1)
assert np.shape(theta_line) == (2,), f"expected shape (2,), got {np.shape(theta_line)}"
assert np.allclose(theta_line, [2.0, 1.0]), f"noise-free points on y = 2x + 1 should give [2, 1], got {theta_line}"
""", """
rng_h = np.random.default_rng(2)
X_h, y_h = rng_h.normal(size=(30, 4)), rng_h.normal(size=30)
th_h = fit_least_squares(X_h, y_h)
assert np.allclose(th_h, np.linalg.lstsq(X_h, y_h, rcond=None)[0])
assert np.allclose(X_h.T @ (X_h @ th_h - y_h), 0, atol=1e-9)
assert np.allclose(fit_least_squares(np.array([[2.0]]), np.array([3.0])), [1.5])
""")

instructor("demo_least_squares", """
grid_sqft = np.linspace(400, 2600, 200)
grid_x = (grid_sqft - 1500) / 1000
plt.scatter(sqft, 1000 * rent, s=15, label="listings")
for degree in (1, 2):
    theta_demo = fit_least_squares(polynomial_features(x_rent, degree), rent)
    loss_demo = squared_error_loss(theta_demo, polynomial_features(x_rent, degree), rent)
    plt.plot(grid_sqft, 1000 * polynomial_features(grid_x, degree) @ theta_demo,
             label=f"degree {degree}, loss {loss_demo:.4f}")
plt.xlabel("size (square feet)")
plt.ylabel("monthly rent ($)")
plt.legend()
plt.show()
""", skip=True)

# ---------------------------------------------------------------- gradient descent
md(r"""
### Task 5: gradient descent

The normal equations need a $D \times D$ linear solve; for neural networks there is no closed form at all, and we
instead walk downhill. **Gradient descent** starts from $\theta_0$ and repeats, for $t = 0, 1, \dots, T-1$,
$$\theta_{t+1} = \theta_t - \varepsilon\, \nabla_\theta \mathcal{L}(\theta_t),$$
with learning rate (step size) $\varepsilon > 0$. Too small an $\varepsilon$ crawls; too large a one makes the loss
blow up (for this loss, any $\varepsilon$ above $2 / \lambda_{\max}(\frac1N X^T X)$ diverges; the plot after the tests shows it).

Implement `gradient_descent(X, y, learning_rate, num_iters, theta0=None)`:
* start from `theta0`, or from zeros when `theta0` is `None` (**do not modify** the caller's `theta0`);
* record `losses[t]` $= \mathcal{L}(\theta_t)$, the loss **before** step $t$ is taken (so `losses[0]` is the loss at the
  start, and the loss after the last step is not recorded);
* return `(theta, losses)` with `losses` of length `num_iters`.

Use your `squared_error_loss` and `squared_error_gradient`.
""")
solution("gradient_descent")
test("gradient_descent", """
X_small = np.array([[1.0, 1.0], [2.0, 1.0], [3.0, 1.0]])
y_small = np.array([1.0, 3.0, 2.0])
theta_gd, losses_gd = gradient_descent(X_small, y_small, 0.1, 2)
# step 0 from zeros: loss 14/6, gradient [-13/3, -2]; theta_1 = [13/30, 0.2]
assert np.shape(theta_gd) == (2,), f"theta should have shape (2,), got {np.shape(theta_gd)}"
assert len(losses_gd) == 2, f"expected 2 losses, got {len(losses_gd)}"
assert np.isclose(losses_gd[0], 14 / 6), "losses[0] should be the loss at theta0 = 0, before any step"
assert np.isclose(losses_gd[1], squared_error_loss(np.array([13 / 30, 0.2]), X_small, y_small)), \\
    "losses[1] should be the loss after one step"
theta_start = np.array([1.0, -1.0])
gradient_descent(X_small, y_small, 0.1, 3, theta_start)
assert np.array_equal(theta_start, [1.0, -1.0]), "gradient_descent must not modify theta0"
""", """
rng_h = np.random.default_rng(3)
X_h = np.column_stack([rng_h.normal(size=(40, 2)), np.ones(40)])
y_h = rng_h.normal(size=40)
th_h, ls_h = gradient_descent(X_h, y_h, 0.3, 500)
assert len(ls_h) == 500 and np.all(np.diff(ls_h) <= 1e-12)
assert np.allclose(th_h, np.linalg.lstsq(X_h, y_h, rcond=None)[0], atol=1e-6)
th0_h = rng_h.normal(size=3)
th_h, ls_h = gradient_descent(X_h, y_h, 0.3, 0, th0_h)
assert np.allclose(th_h, th0_h) and len(ls_h) == 0
""")

instructor("demo_gradient_descent", """
X_line = polynomial_features(x_rent, 1)
theta_star = fit_least_squares(X_line, rent)
for lr in (0.05, 0.5, 1.5, 2.0):  # above about 1.95 the steps overshoot and the loss grows
    theta_lr, losses_lr = gradient_descent(X_line, rent, lr, 60)
    plt.semilogy(np.array(losses_lr) - squared_error_loss(theta_star, X_line, rent) + 1e-12, label=f"learning rate {lr}")
plt.xlabel("step t")
plt.ylabel("loss(theta_t) - minimum loss")
plt.legend()
plt.show()
print("least squares:", theta_star, " gradient descent (lr 0.5, 60 steps):", gradient_descent(X_line, rent, 0.5, 60)[0])
""", skip=True)

# ---------------------------------------------------------------- split
md(r"""
## Part 2: Model complexity and overfitting

A polynomial of higher degree can only fit the **training** data better: its training loss never increases with the
degree, and with $d + 1 = N$ parameters it passes through every point. But we care about **new** listings. A model that
follows the noise of its training set *overfits*: its training loss is small and its loss on new data is large.

So we hold data out:
* the **training set** fits the parameters $\theta$;
* the **validation set** chooses *hyperparameters* such as the degree (the model we pick is the one with the smallest
  validation loss);
* the **test set** is touched once, at the very end, to report how well the chosen model does on unseen data.
  Using it to choose anything would make that report optimistic.

### Task 6: a random split

Implement `train_val_test_split(X, y, val_fraction, test_fraction, seed)`. Shuffle the sample indices with a generator
seeded by `seed` (e.g. `np.random.default_rng(seed).permutation(N)`), then give about `val_fraction * N` rows to validation,
about `test_fraction * N` to test and the rest to training. Every row must land in exactly one set, each `X` row
must stay with its own `y`, the same seed must give the same split, and `X` and `y` must not be modified.
""")
solution("train_val_test_split")
test("train_val_test_split", """
X_rows = np.arange(20.0).reshape(10, 2)   # row i is [2i, 2i + 1]
y_rows = np.arange(10.0)                  # y[i] = i
parts = train_val_test_split(X_rows, y_rows, 0.2, 0.3, seed=0)
assert len(parts) == 6, "return (X_train, y_train, X_val, y_val, X_test, y_test)"
X_tr, y_tr, X_va, y_va, X_te, y_te = parts
assert (len(X_tr), len(X_va), len(X_te)) == (5, 2, 3), f"expected 5/2/3 rows, got {len(X_tr)}/{len(X_va)}/{len(X_te)}"
for X_part, y_part in [(X_tr, y_tr), (X_va, y_va), (X_te, y_te)]:
    assert np.array_equal(X_part[:, 0], 2 * y_part), "each row of X must stay paired with its y"
assert sorted(np.concatenate([y_tr, y_va, y_te])) == list(range(10)), "every row must be used exactly once"
again = train_val_test_split(X_rows, y_rows, 0.2, 0.3, seed=0)
assert all(np.array_equal(a, b) for a, b in zip(parts, again)), "the same seed must give the same split"
assert np.array_equal(X_rows, np.arange(20.0).reshape(10, 2)), "X must not be modified"
""", """
X_h = np.column_stack([np.arange(53.0), np.ones(53)])
y_h = np.arange(53.0) * 3
p_h = train_val_test_split(X_h, y_h, 0.15, 0.25, 7)
assert abs(len(p_h[2]) - 7.95) <= 1 and abs(len(p_h[4]) - 13.25) <= 1
assert sorted(np.concatenate([p_h[0][:, 0], p_h[2][:, 0], p_h[4][:, 0]])) == list(range(53))
for a_h, b_h in [(p_h[0], p_h[1]), (p_h[2], p_h[3]), (p_h[4], p_h[5])]:
    assert np.array_equal(a_h[:, 0] * 3, b_h)
q_h = train_val_test_split(X_h, y_h, 0.15, 0.25, 8)
r_h = train_val_test_split(X_h, y_h, 0.15, 0.25, 9)
assert not (np.array_equal(p_h[1], q_h[1]) and np.array_equal(p_h[1], r_h[1]))
""")

md(r"""
### Task 7: choosing the degree

For each candidate degree $d$: build the features of degree $d$, fit $\theta_d$ by least squares **on the training set**,
and compute $\mathcal{L}_{\text{train}}(\theta_d)$ and $\mathcal{L}_{\text{val}}(\theta_d)$ (the same loss, on the training and the
validation samples). Choose
$$d^\star = \arg\min_d \mathcal{L}_{\text{val}}(\theta_d)$$
(the first such degree in the list on ties).

Implement `select_degree(x_train, y_train, x_val, y_val, degrees)` using your `polynomial_features`,
`fit_least_squares` and `squared_error_loss`. Return `(best_degree, train_losses, val_losses)`, the losses in the
order of `degrees`.
""")
solution("select_degree")
test("select_degree", """
x_tr_small = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
y_tr_small = x_tr_small ** 2 + np.array([0.05, -0.05, 0.02, -0.04, 0.03])
x_va_small = np.array([-0.75, 0.25, 0.8])
y_va_small = x_va_small ** 2
best_small, train_small, val_small = select_degree(x_tr_small, y_tr_small, x_va_small, y_va_small, [1, 2, 4])
assert len(train_small) == 3 and len(val_small) == 3, "one training and one validation loss per degree"
assert train_small[2] < 1e-12, "a degree-4 polynomial passes through 5 training points exactly"
assert best_small == 2, f"the data is quadratic: expected best degree 2, got {best_small}"
""", """
rng_h = np.random.default_rng(4)
x_h = rng_h.uniform(-1, 1, 30)
y_h = 1.5 * x_h ** 3 - x_h + rng_h.normal(0, 0.3, 30)
xv_h = rng_h.uniform(-1, 1, 20)
yv_h = 1.5 * xv_h ** 3 - xv_h + rng_h.normal(0, 0.3, 20)
b_h, tr_h, va_h = select_degree(x_h, y_h, xv_h, yv_h, [0, 1, 2, 3, 4, 5, 6])
assert np.all(np.diff(tr_h) <= 1e-12)
assert b_h == [0, 1, 2, 3, 4, 5, 6][int(np.argmin(va_h))]
th_h = np.polyfit(x_h, y_h, 3)
assert np.isclose(tr_h[3], np.mean((np.polyval(th_h, x_h) - y_h) ** 2) / 2)
assert np.isclose(va_h[3], np.mean((np.polyval(th_h, xv_h) - yv_h) ** 2) / 2)
""")

instructor("demo_model_selection", """
X_train, y_train, X_val, y_val, X_test, y_test = train_val_test_split(x_rent[:, None], rent, 0.2, 0.2, seed=147)
x_train, x_val, x_test = X_train[:, 0], X_val[:, 0], X_test[:, 0]
degrees = list(range(0, 11))
best_degree, train_losses, val_losses = select_degree(x_train, y_train, x_val, y_val, degrees)
plt.semilogy(degrees, train_losses, "o-", label="training loss")
plt.semilogy(degrees, val_losses, "o-", label="validation loss")
plt.axvline(best_degree, color="gray", linestyle=":")
plt.xlabel("degree")
plt.ylabel("loss")
plt.legend()
plt.show()

theta_best = fit_least_squares(polynomial_features(x_train, best_degree), y_train)
test_loss = squared_error_loss(theta_best, polynomial_features(x_test, best_degree), y_test)
print(f"{len(x_train)} training / {len(x_val)} validation / {len(x_test)} test listings")
print(f"best degree by validation loss: {best_degree}; its test loss: {test_loss:.4f}")

grid_sqft = np.linspace(400, 2600, 200)
grid_x = (grid_sqft - 1500) / 1000
plt.scatter(1500 + 1000 * x_train, 1000 * y_train, s=15, label="training")
plt.scatter(1500 + 1000 * x_val, 1000 * y_val, s=15, marker="s", label="validation")
for degree in (best_degree, 10):
    theta_d = fit_least_squares(polynomial_features(x_train, degree), y_train)
    plt.plot(grid_sqft, 1000 * polynomial_features(grid_x, degree) @ theta_d, label=f"degree {degree}")
plt.ylim(0, 7000)
plt.xlabel("size (square feet)")
plt.ylabel("monthly rent ($)")
plt.legend()
plt.show()
""", skip=True)

# ---------------------------------------------------------------- derivatives
md(r"""
## Part 3: Vector and matrix derivatives

If $y = f(x)$ is a scalar and $x \in \mathbb{R}^n$, the gradient $\nabla_x y$ is the vector of the same size as $x$ with
entries $\frac{\partial y}{\partial x_i}$. It tells us how $y$ changes for a small change of $x$:
$\Delta y \approx \sum_i \frac{\partial y}{\partial x_i} \Delta x_i = (\nabla_x y)^T \Delta x$.
For example $\nabla_x (\theta^T x) = \theta$ and $\nabla_\theta (\theta^T x) = x$.

### Task 8: the quadratic form $x^T A x$

Let $f(x) = x^T A x = \sum_{i=1}^n \sum_{j=1}^n x_i\, a_{ij}\, x_j$ with $A \in \mathbb{R}^{n\times n}$ **not necessarily symmetric**.
As in the lecture, $x_k$ appears in the terms with $i = k$ and in those with $j = k$:
$$\frac{\partial f}{\partial x_k} = \sum_{j=1}^n a_{kj} x_j + \sum_{i=1}^n a_{ik} x_i = (Ax)_k + (A^T x)_k,
\qquad\text{so}\qquad \nabla_x\, x^T A x = (A + A^T)\, x .$$
Only when $A$ is symmetric does this reduce to $2Ax$ (and for $n = 1$ to the familiar $\frac{d}{dx} a x^2 = 2ax$).

Implement `grad_quadratic_form(A, x)`.
""")
solution("grad_quadratic_form")
test("grad_quadratic_form", """
A_small = np.array([[1.0, 2.0], [0.0, 3.0]])   # not symmetric
g_small = grad_quadratic_form(A_small, np.array([1.0, 1.0]))
assert np.shape(g_small) == (2,), f"expected shape (2,), got {np.shape(g_small)}"
assert np.allclose(g_small, [4.0, 8.0]), f"(A + A^T) x = [4, 8]; got {g_small} (is it 2 A x = [6, 6]?)"
assert np.allclose(grad_quadratic_form(np.array([[2.5]]), np.array([-1.5])), [-7.5]), "n = 1: d/dx a x^2 = 2 a x"
""", """
rng_h = np.random.default_rng(5)
A_h, x_h = rng_h.normal(size=(4, 4)), rng_h.normal(size=4)
fd_h = np.array([((x_h + e) @ A_h @ (x_h + e) - (x_h - e) @ A_h @ (x_h - e)) / 2e-6 for e in 1e-6 * np.eye(4)])
assert np.allclose(grad_quadratic_form(A_h, x_h), fd_h, rtol=1e-5, atol=1e-6)
""")

md(r"""
### Task 9: the bilinear form $z^T A x$ and a matrix derivative

Now let $y = z^T A x$ with $z \in \mathbb{R}^m$, $A \in \mathbb{R}^{m \times n}$ and $x \in \mathbb{R}^n$, and differentiate with
respect to the **matrix** $A$. Since $y = \sum_{i=1}^m \sum_{j=1}^n z_i\, a_{ij}\, x_j$, each entry appears exactly once:
$$\frac{\partial y}{\partial a_{ij}} = z_i\, x_j
\qquad\Longrightarrow\qquad \nabla_A\, y = z\, x^T \in \mathbb{R}^{m \times n}.$$
We use the **denominator layout** of the lecture: the derivative of a scalar with respect to a matrix has the **shape of
the matrix**, so that entry $(i, j)$ tells how $y$ changes with $a_{ij}$ and we can take gradient steps
$A \leftarrow A - \varepsilon \nabla_A y$. (The numerator layout would give the $n \times m$ transpose.)

Implement `grad_bilinear_form(z, A, x)`.
""")
solution("grad_bilinear_form")
test("grad_bilinear_form", """
z_small = np.array([1.0, -2.0])
A_small = np.arange(6.0).reshape(2, 3)
x_small = np.array([3.0, 0.5, -1.0])
G_small = grad_bilinear_form(z_small, A_small, x_small)
assert np.shape(G_small) == (2, 3), f"the gradient has the shape of A, (2, 3); got {np.shape(G_small)}"
assert np.allclose(G_small, [[3.0, 0.5, -1.0], [-6.0, -1.0, 2.0]]), "entry (i, j) should be z_i x_j"
""", """
rng_h = np.random.default_rng(6)
z_h, A_h, x_h = rng_h.normal(size=4), rng_h.normal(size=(4, 2)), rng_h.normal(size=2)
G_h = grad_bilinear_form(z_h, A_h, x_h)
assert G_h.shape == (4, 2)
E_h = np.zeros((4, 2))
E_h[3, 1] = 1e-6
assert np.isclose(G_h[3, 1], (z_h @ (A_h + E_h) @ x_h - z_h @ (A_h - E_h) @ x_h) / 2e-6, rtol=1e-5)
""")

md(r"""
### Task 10: checking derivatives numerically

Analytic gradients are easy to get wrong, so we check them against **finite differences**. By Taylor's theorem, for a
small step $h$ along the unit vector $e_i$,
$$f(x \pm h e_i) = f(x) \pm h \frac{\partial f}{\partial x_i} + \frac{h^2}{2} \frac{\partial^2 f}{\partial x_i^2} \pm O(h^3).$$
The one-sided difference $\frac{f(x + h e_i) - f(x)}{h}$ is off by about $\frac{h}{2} \frac{\partial^2 f}{\partial x_i^2}$,
which is large where $f$ curves sharply. Subtracting the two expansions cancels the $h^2$ term, so the **centred
difference**
$$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}$$
is accurate to $O(h^2)$. We compare an analytic gradient $g_a$ with a numerical one $g_n$ by their relative error
$\max_i \frac{|g_a - g_n|_i}{|g_a|_i + |g_n|_i}$; around $10^{-7}$ or below means they agree.

Implement `numerical_gradient(f, x, h=1e-5)` for an `x` of **any shape** (a vector, a matrix...): loop over every index
of `x` (`np.ndindex(*x.shape)` or `np.nditer` with `flags=["multi_index"]` visit them all), nudge that one entry,
evaluate `f`, and **put the entry back**: when your function returns, `x` must hold exactly the values it held before.
""")
solution("numerical_gradient")
test("numerical_gradient", """
x_check = np.array([1.0, -2.0, 0.5])
g_check = numerical_gradient(lambda v: np.sum(v ** 2), x_check)
assert np.shape(g_check) == (3,), f"expected shape (3,), got {np.shape(g_check)}"
assert np.allclose(g_check, 2 * x_check, rtol=1e-6), "the gradient of sum(x^2) is 2x"
assert np.array_equal(x_check, [1.0, -2.0, 0.5]), "numerical_gradient must leave x as it found it"
M_check = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
assert np.allclose(numerical_gradient(lambda M: np.sum(M[0] * M[1]), M_check), [[4, 5, 6], [1, 2, 3]]), \\
    "x can be a matrix: the gradient has its shape"
""", """
x_h = np.array([0.05, -0.02, 0.08])
assert np.allclose(numerical_gradient(lambda v: np.sum(np.exp(40 * v)), x_h), 40 * np.exp(40 * x_h), rtol=1e-6)
assert np.array_equal(x_h, [0.05, -0.02, 0.08])
x_h = np.array([0.5, -1.0])
assert np.allclose(numerical_gradient(lambda v: np.sum(v ** 3), x_h, h=0.01), 3 * x_h ** 2 + 1e-4, rtol=1e-9)
""")

instructor("demo_gradient_checks", """
def relative_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))

rng_demo = np.random.default_rng(0)
A_demo, x_demo, z_demo = rng_demo.normal(size=(4, 4)), rng_demo.normal(size=4), rng_demo.normal(size=4)
print("x^T A x  :", relative_error(grad_quadratic_form(A_demo, x_demo),
                                  numerical_gradient(lambda v: v @ A_demo @ v, x_demo)))
print("z^T A x  :", relative_error(grad_bilinear_form(z_demo, A_demo, x_demo),
                                  numerical_gradient(lambda M: z_demo @ M @ x_demo, A_demo.copy())))
X_demo = polynomial_features(x_rent, 2)
theta_demo = rng_demo.normal(size=3)
print("loss     :", relative_error(squared_error_gradient(theta_demo, X_demo, rent),
                                  numerical_gradient(lambda t: squared_error_loss(t, X_demo, rent), theta_demo)))
""", skip=True)

# ---------------------------------------------------------------- Gaussian classifier
md(r"""
## Part 4: Maximum-likelihood classification

So far the cost function was chosen by hand. A probabilistic model gives one for free: choose the parameters that make
the observed data **most likely**. Here we classify listings into $K$ classes with a **generative** model:
$$p(y = k) = \pi_k, \qquad p(x \mid y = k) = \mathcal{N}(x;\ \mu_k, \Sigma_k)
= \frac{1}{(2\pi)^{D/2} \lvert\Sigma_k\rvert^{1/2}} \exp\!\left(-\tfrac12 (x - \mu_k)^T \Sigma_k^{-1} (x - \mu_k)\right).$$

### The data: what kind of listing is it?

Each (synthetic) Westwood listing is an *apartment* (class 0), a *condo* (class 1) or a *house* (class 2), described by
$D = 2$ features: its size (thousands of sq ft) and its rent (thousands of dollars). Apartments are far more common than
houses, so the classes have very **unequal priors**.
""")

instructor("listings_data", """
def make_listings(num_listings, seed):
    \"\"\"
    Synthetic Westwood listings of three types (made-up data).

    Returns a tuple of:
    - X: A numpy array of shape (N, 2): size (thousands of sq ft) and rent (thousands of $).
    - y: A numpy array of shape (N,) of labels: 0 apartment, 1 condo, 2 house.
    \"\"\"
    g = np.random.default_rng(seed)
    y = g.choice(3, size=num_listings, p=[0.7, 0.2, 0.1])
    centres = np.array([[0.9, 2.8], [1.3, 3.6], [1.9, 4.4]])
    scales = np.array([[[0.25, 0.0], [0.45, 0.35]],
                       [[0.3, 0.0], [0.4, 0.45]],
                       [[0.45, 0.0], [0.5, 0.6]]])
    X = centres[y] + np.einsum("nij,nj->ni", scales[y], g.normal(size=(num_listings, 2)))
    return X, y


listing_names = ["apartment", "condo", "house"]
X_listings, y_listings = make_listings(600, seed=247)
X_fit, y_fit = X_listings[:400], y_listings[:400]
X_holdout, y_holdout = X_listings[400:], y_listings[400:]
print("listings per class:", np.bincount(y_fit, minlength=3))
""")

instructor("plot_listings", """
for k, name in enumerate(listing_names):
    plt.scatter(*X_fit[y_fit == k].T, s=10, label=name)
plt.xlabel("size (thousands of sq ft)")
plt.ylabel("rent (thousands of $)")
plt.legend()
plt.show()
""", skip=True)

md(r"""
### Task 11: maximum-likelihood estimates

Given labelled samples $(x^{(i)}, y^{(i)})$, the log-likelihood of the parameters is
$$\log \prod_{i=1}^N p\big(x^{(i)}, y^{(i)}\big) = \sum_{i=1}^N \Big[\log \pi_{y^{(i)}} + \log \mathcal{N}\big(x^{(i)};\ \mu_{y^{(i)}}, \Sigma_{y^{(i)}}\big)\Big].$$
Setting its derivatives to zero (with the constraint $\sum_k \pi_k = 1$ for the priors) gives the estimates, where
$N_k$ is the number of samples of class $k$:
$$\pi_k = \frac{N_k}{N}, \qquad \mu_k = \frac{1}{N_k} \sum_{i:\, y^{(i)} = k} x^{(i)}, \qquad
\Sigma_k = \frac{1}{N_k} \sum_{i:\, y^{(i)} = k} \big(x^{(i)} - \mu_k\big)\big(x^{(i)} - \mu_k\big)^T .$$
Note the maximum-likelihood covariance divides by $N_k$, **not** $N_k - 1$ (the unbiased estimator, which is what
`np.cov` computes by default).

Implement `fit_gaussian_classes(X, y, num_classes)` returning `(priors, means, covs)` of shapes `(K,)`, `(K, D)` and
`(K, D, D)`. It must work for $D = 1$ too.
""")
solution("fit_gaussian_classes")
test("fit_gaussian_classes", """
X_small = np.array([[0.0], [2.0], [10.0], [1.0], [12.0]])
y_small = np.array([0, 0, 1, 0, 1])
priors_small, means_small, covs_small = fit_gaussian_classes(X_small, y_small, 2)
assert np.shape(priors_small) == (2,) and np.shape(means_small) == (2, 1) and np.shape(covs_small) == (2, 1, 1), \\
    "shapes should be (K,), (K, D), (K, D, D)"
assert np.allclose(priors_small, [0.6, 0.4]), "priors are the class frequencies N_k / N"
assert np.allclose(means_small, [[1.0], [11.0]]), "means are the per-class averages of the rows"
assert np.allclose(covs_small, [[[2 / 3]], [[1.0]]]), "the ML covariance divides by N_k (not N_k - 1)"
""", """
rng_h = np.random.default_rng(7)
X_h = rng_h.normal(size=(60, 3)) @ rng_h.normal(size=(3, 3))
y_h = rng_h.choice(3, size=60, p=[0.6, 0.3, 0.1])
p_h, m_h, c_h = fit_gaussian_classes(X_h, y_h, 3)
for k in range(3):
    assert np.isclose(p_h[k], np.mean(y_h == k))
    assert np.allclose(m_h[k], X_h[y_h == k].mean(axis=0))
    assert np.allclose(c_h[k], np.cov(X_h[y_h == k], rowvar=False, bias=True))
""")

md(r"""
### Task 12: the log-density of a Gaussian

Densities of many-dimensional data are tiny numbers that underflow, so we work with logarithms:
$$\log \mathcal{N}(x;\ \mu, \Sigma) = -\frac12 \Big[ (x - \mu)^T \Sigma^{-1} (x - \mu) + \log \lvert\Sigma\rvert + D \log 2\pi \Big].$$
Numerically, prefer `np.linalg.solve(Sigma, ...)` to forming $\Sigma^{-1}$, and `np.linalg.slogdet` (or a Cholesky
factor $\Sigma = LL^T$, with $\log\lvert\Sigma\rvert = 2 \sum_i \log L_{ii}$) to `np.log(np.linalg.det(...))`, which can
overflow or underflow in high dimension.

Implement `gaussian_log_density(X, mean, cov)`, returning the log-density of every row of `X` as an array of shape `(N,)`.
Avoid a Python loop over the samples if you can.
""")
solution("gaussian_log_density")
test("gaussian_log_density", """
X_small = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, -2.0]])
logp_small = gaussian_log_density(X_small, np.zeros(2), np.eye(2))
assert np.shape(logp_small) == (3,), f"expected shape (3,), got {np.shape(logp_small)}"
assert np.allclose(logp_small, -np.log(2 * np.pi) - 0.5 * np.array([0.0, 1.0, 5.0])), \\
    "standard normal in 2-D: -log(2 pi) - |x|^2 / 2"
assert np.allclose(gaussian_log_density(np.array([[3.0]]), np.array([1.0]), np.array([[4.0]])),
                   -0.5 * (1.0 + np.log(4.0) + np.log(2 * np.pi))), "1-D: variance 4, one standard deviation away"
""", """
rng_h = np.random.default_rng(8)
B_h = rng_h.normal(size=(3, 3))
S_h = B_h @ B_h.T + 0.5 * np.eye(3)
mu_h = rng_h.normal(size=3)
X_h = rng_h.normal(size=(10, 3))
expected_h = [-0.5 * ((x - mu_h) @ np.linalg.inv(S_h) @ (x - mu_h) + np.log(np.linalg.det(S_h)) + 3 * np.log(2 * np.pi))
              for x in X_h]
assert np.allclose(gaussian_log_density(X_h, mu_h, S_h), expected_h)
""")

md(r"""
### Task 13: predicting the most likely class

By Bayes' rule, $p(y = k \mid x) = \frac{p(x \mid y = k)\, p(y = k)}{p(x)}$, and $p(x)$ is the same for every class. So the
most probable class of a sample is
$$\hat{y} = \arg\max_k \Big[\log \pi_k + \log \mathcal{N}(x;\ \mu_k, \Sigma_k)\Big].$$
Do not drop the prior: when the classes overlap, a rare class needs stronger evidence. (Adding the same constant to
every class's score, such as $-\frac{D}{2}\log 2\pi$, changes nothing.)

Implement `predict_max_likelihood(X, priors, means, covs)`, returning integer labels of shape `(N,)`. You may use your
`gaussian_log_density`.
""")
solution("predict_max_likelihood")
test("predict_max_likelihood", """
means_small = np.array([[-2.0], [3.0]])
covs_small = np.array([[[1.0]], [[1.0]]])
X_small = np.array([[-3.0], [-1.0], [0.0], [2.0], [5.0]])
labels_small = predict_max_likelihood(X_small, np.array([0.5, 0.5]), means_small, covs_small)
assert np.shape(labels_small) == (5,), f"expected shape (5,), got {np.shape(labels_small)}"
assert np.array_equal(labels_small, [0, 0, 0, 1, 1]), "equal priors: the boundary is half-way, at x = 0.5"
labels_small = predict_max_likelihood(X_small, np.array([0.01, 0.99]), means_small, covs_small)
assert np.array_equal(labels_small, [0, 0, 1, 1, 1]), \\
    "with a prior of 0.99 on class 1 the boundary moves left of 0 (did you include log prior?)"
""", """
means_h = np.array([[0.0, 0.0], [1.0, 0.0]])
covs_h = np.array([np.eye(2), 4 * np.eye(2)])
X_h = np.array([[0.5, 0.0], [5.0, 0.0], [0.0, 3.0], [1.0, 0.0]])
assert np.array_equal(predict_max_likelihood(X_h, np.array([0.5, 0.5]), means_h, covs_h), [0, 1, 1, 0])
assert np.array_equal(predict_max_likelihood(X_h, np.array([0.05, 0.95]), means_h, covs_h), [1, 1, 1, 1])
""")

instructor("demo_classifier", """
priors_fit, means_fit, covs_fit = fit_gaussian_classes(X_fit, y_fit, 3)
print("priors:", priors_fit)
uniform = np.full(3, 1 / 3)
for name, pri in [("with priors", priors_fit), ("uniform priors", uniform)]:
    accuracy = np.mean(predict_max_likelihood(X_holdout, pri, means_fit, covs_fit) == y_holdout)
    print(f"held-out accuracy {name}: {accuracy:.3f}")

grid_a, grid_b = np.meshgrid(np.linspace(0, 3.3, 150), np.linspace(1, 6.5, 150))
grid = np.column_stack([grid_a.ravel(), grid_b.ravel()])
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, (name, pri) in zip(axes, [("with priors", priors_fit), ("uniform priors", uniform)]):
    regions = predict_max_likelihood(grid, pri, means_fit, covs_fit).reshape(grid_a.shape)
    ax.contourf(grid_a, grid_b, regions, levels=[-0.5, 0.5, 1.5, 2.5], alpha=0.2, colors=["C0", "C1", "C2"])
    for k, label in enumerate(listing_names):
        ax.scatter(*X_holdout[y_holdout == k].T, s=10, color=f"C{k}", label=label)
    ax.set_title(name)
    ax.set_xlabel("size (thousands of sq ft)")
axes[0].set_ylabel("rent (thousands of $)")
axes[0].legend()
plt.show()
""", skip=True)

md(r"""
## Done

Before you submit: restart the kernel and **run all cells** (Kernel → Restart & Run All), check that every test cell
prints its "all visible tests passed" line, then submit the notebook `hw1.ipynb` to Gradescope.
""")


def build() -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    graded = {c.metadata["nbgrader"]["grade_id"][5:]: c.metadata["nbgrader"]["points"]
              for c in cells if c.metadata.get("nbgrader", {}).get("grade")}
    assert graded == dict(POINTS), (graded, dict(POINTS))
    assert sum(graded.values()) == 100, sum(graded.values())
    assert set(graded) == {c.metadata["nbgrader"]["grade_id"] for c in cells
                           if c.metadata.get("nbgrader", {}).get("solution")}
    nbformat.validate(nb)
    return nb


if __name__ == "__main__":
    notebook = build()
    nbformat.write(notebook, OUT)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(cells)} cells, {sum(POINTS.values())} points")
