"""Writes hw2.ipynb, the HW2 source notebook (nbgrader schema v3), from the cells below.

Run from anywhere: ``python assignments/hw2/make_notebook.py``. Edit the cells
here, not the .ipynb, so that the notebook stays reviewable as a diff.

Cell kinds (see the platform contract):
- ``solution(grade_id, source)``: a student's task, solution between BEGIN/END SOLUTION;
- ``tests(grade_id, points, source)``: the visible test cell after each task;
- ``instructor(grade_id, source, skip=False)``: locked helper cells; ``skip=True``
  tags cells that only load data, train, time or plot ("skip-grading").
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def md(source: str):
    return new_markdown_cell(source.strip("\n"))


def instructor(grade_id: str, source: str, skip: bool = False):
    cell = new_code_cell(source.strip("\n"))
    cell.metadata["nbgrader"] = _meta(grade_id, grade=False, solution=False, locked=True)
    if skip:
        cell.metadata["tags"] = ["skip-grading"]
    return cell


def solution(grade_id: str, source: str):
    cell = new_code_cell(source.strip("\n"))
    cell.metadata["nbgrader"] = _meta(grade_id, grade=False, solution=True, locked=False)
    return cell


def tests(grade_id: str, points: float, source: str):
    cell = new_code_cell(source.strip("\n"))
    cell.metadata["nbgrader"] = _meta(grade_id, grade=True, solution=False, locked=True, points=points)
    return cell


# Points per task: each equals the sum of the hidden pytest points of that task.
POINTS = {
    "KNN": 20,
    "cross_validate_knn": 8,
    "svm_loss_naive": 12,
    "svm_loss_vectorized": 14,
    "softmax_loss_naive": 12,
    "softmax_loss_vectorized": 14,
    "predict_linear": 5,
    "sgd_train": 15,
}
assert sum(POINTS.values()) == 100

CELLS = [
    md(r"""
# Homework 2: classifiers — k-nearest neighbours, the multiclass SVM and softmax

*Lectures 3–4, "Supervised classification & gradient descent".*

In this homework you will

1. build a **k-nearest-neighbour** (kNN) classifier and choose its $k$ by **cross-validation**;
2. write the **multiclass SVM (hinge) loss** and the **softmax (cross-entropy) loss** with their gradients, first with loops and then vectorized, and check the gradients numerically;
3. train both linear classifiers with **minibatch stochastic gradient descent**, tune the learning rate and the regularisation strength on a validation set, and look at the learned weights as images.

### Conventions (used by every function below)

* $X \in \mathbb{R}^{N \times D}$ holds one sample per **row**. For the linear classifiers the caller has already applied the **bias trick**: the last column of `X` is all ones, so row $i$ is $\hat{x}^{(i)\top} = [x^{(i)\top}, 1]$ and the bias is the last column of `W`.
* $W \in \mathbb{R}^{C \times D}$ holds one row $w_c^\top$ per class $c$. Class $c$'s score for sample $i$ is $s^{(i)}_c = w_c^\top \hat{x}^{(i)}$ — the lecture's $\hat{y} = \theta^\top \hat{x}$ with one $\theta = w_c$ per class. All scores at once: `S = X @ W.T`, shape (N, C).
* `y` holds integer labels in $[0, C)$, shape (N,).
* A loss averages over the $N$ samples and adds $\tfrac{1}{2}\lambda \lVert W \rVert_F^2$ with $\lambda$ = `reg`:
  $$L(W) = \frac{1}{N} \sum_{i=1}^{N} L_i(W) + \frac{\lambda}{2} \sum_{c,d} W_{cd}^2, \qquad \nabla_W \Big(\frac{\lambda}{2}\lVert W\rVert_F^2\Big) = \lambda W.$$
* A loss function returns `(loss, dW)`: a float and the gradient $\nabla_W L$, same shape as `W`.

### How this notebook is graded

Each cell marked `# YOUR CODE HERE` is one task. Hidden tests call your function on inputs you do not see and compare with a reference solution; the cell after each task has quick checks you can run yourself (passing them is a good sign, not a guarantee). So:

* keep the function names and signatures as given; return exactly what the docstring says;
* do not change the arguments you are given in place (work on a copy);
* a graded function must not use global variables from other cells (the data below is **not** loaded when grading: cells that load data, train, time or plot are skipped by the grader).

Loops or vectorized, any correct implementation earns full marks, except where a task asks for no loops — there the tests are the same, but you will want the speed.
"""),
    instructor("imports_and_helpers", r'''
import time

import numpy as np

np.set_printoptions(precision=5, suppress=True)


def rel_error(a, b):
    """The course's relative error: max |a - b| / max(1e-8, |a| + |b|), elementwise."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f, x, h=1e-5):
    """Centred-difference estimate of the gradient of a scalar function (your HW1 idea).

    Inputs:
    - f: function taking one array shaped like x and returning a float.
    - x: array of any shape, the point at which to differentiate (not modified).
    - h: step size.

    Returns:
    - grad: array shaped like x, grad[idx] ~ (f(x + h e_idx) - f(x - h e_idx)) / (2h).
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=0):
    """Compare analytic_grad with centred differences of f at num_checks random entries of x.

    Inputs: f (array -> float), x (any shape), analytic_grad (shaped like x).
    Prints one line per entry and returns the largest relative error.
    """
    rng = np.random.default_rng(seed)
    x = np.array(x, dtype=np.float64)
    worst = 0.0
    for _ in range(num_checks):
        idx = tuple(int(rng.integers(n)) for n in x.shape)
        old = x[idx]
        x[idx] = old + h
        f_plus = f(x)
        x[idx] = old - h
        f_minus = f(x)
        x[idx] = old
        numeric = (f_plus - f_minus) / (2 * h)
        err = rel_error(numeric, analytic_grad[idx])
        worst = max(worst, err)
        print(f"entry {idx}: numerical {numeric: .6e}  analytic {analytic_grad[idx]: .6e}  rel. error {err:.2e}")
    return worst
'''),
    md(r"""
## The data

The course uses **CIFAR-10**: 60,000 colour images of 32×32 pixels in 10 classes. If you have its *python version* batches (`data_batch_1` … `data_batch_5`, `test_batch`), put the folder `cifar-10-batches-py` in `datasets/` next to this notebook, or set `CIFAR10_DIR` below (or the environment variable of the same name). Without them — on the course machines there is no internet — `data_utils.load_dataset` falls back to **scikit-learn's 8×8 handwritten digits** (1,797 images, 10 classes), which ship inside scikit-learn. Every cell below works with either; the numbers you get (accuracies, good learning rates) differ.

`data_utils.py` sits next to this notebook; read its `load_cifar_batch` to see how a batch's rows become images.
"""),
    instructor("load_data", r'''
import matplotlib.pyplot as plt

from data_utils import load_dataset

CIFAR10_DIR = None  # e.g. "datasets/cifar-10-batches-py"; None: $CIFAR10_DIR or datasets/ next to data_utils.py

X_train_raw, y_train_raw, X_test_raw, y_test_raw, class_names = load_dataset(CIFAR10_DIR, with_class_names=True)
image_shape = X_train_raw.shape[1:]
num_classes = len(class_names)
print("training images:", X_train_raw.shape, " labels:", y_train_raw.shape)
print("test images:    ", X_test_raw.shape, " labels:", y_test_raw.shape)
''', skip=True),
    instructor("show_examples", r'''
def show_image(ax, image):
    """Draw one image (H, W) in grey or (H, W, 3) in colour, pixel values rescaled to [0, 1]."""
    image = np.asarray(image, dtype=float)
    image = (image - image.min()) / max(image.max() - image.min(), 1e-12)
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, interpolation="nearest")
    ax.axis("off")


samples_per_class = 6
fig, axes = plt.subplots(samples_per_class, num_classes, figsize=(num_classes, samples_per_class))
for c in range(num_classes):
    for row, i in enumerate(np.flatnonzero(y_train_raw == c)[:samples_per_class]):
        show_image(axes[row, c], X_train_raw[i])
    axes[0, c].set_title(class_names[c])
plt.show()
''', skip=True),
    md(r"""
### Splits and preprocessing

We keep a **validation** set apart from the training set (for choosing $k$, the learning rate and `reg`) and touch the **test** set only once per model, at the end. A small **dev** set (a random subset of the training set) makes the loss checks quick.

Then every image becomes a row vector. kNN works on the raw pixels. For the linear classifiers we subtract the mean training image (so the scores start near zero) and append the column of ones (the bias trick).
"""),
    instructor("preprocess", r'''
num_val = min(1000, len(X_train_raw) // 5)
num_train = min(5000, len(X_train_raw) - num_val)
num_test = min(500, len(X_test_raw))
num_dev = 200

X_train_img, y_train = X_train_raw[:num_train], y_train_raw[:num_train]
X_val_img, y_val = X_train_raw[num_train:num_train + num_val], y_train_raw[num_train:num_train + num_val]
X_test_img, y_test = X_test_raw[:num_test], y_test_raw[:num_test]
dev_rows = np.random.default_rng(0).choice(num_train, num_dev, replace=False)

# kNN: raw pixels as rows, shape (N, D_pixels)
X_train_flat = X_train_img.reshape(num_train, -1)
X_val_flat = X_val_img.reshape(len(X_val_img), -1)
X_test_flat = X_test_img.reshape(num_test, -1)

# linear classifiers: mean-subtracted pixels plus a last column of ones, shape (N, D_pixels + 1)
mean_image = X_train_flat.mean(axis=0)


def with_bias(X_flat):
    return np.hstack([X_flat - mean_image, np.ones((len(X_flat), 1))])


X_train, X_val, X_test = with_bias(X_train_flat), with_bias(X_val_flat), with_bias(X_test_flat)
X_dev, y_dev = X_train[dev_rows], y_train[dev_rows]
print("train", X_train.shape, " val", X_val.shape, " test", X_test.shape, " dev", X_dev.shape)
''', skip=True),
    md(r"""
---
## Part 1: k-nearest neighbours

A kNN classifier "trains" by memorising the training set. To classify a test sample it finds the $k$ training samples closest to it and lets them vote.

**Distances.** With the Euclidean (L2) distance, for test row $a = X^{\text{test}}_i$ and training row $b = X^{\text{train}}_j$,
$$d_{ij} = \lVert a - b \rVert_2 = \sqrt{\sum_{d=1}^{D} (a_d - b_d)^2}.$$
`compute_distances` returns the whole matrix $(d_{ij})$, shape (N_test, N_train). Note: the **distance**, not its square.

Two loops over $i$ and $j$ work but are slow. To remove the loops, expand the square:
$$\lVert a - b \rVert_2^2 = \lVert a \rVert_2^2 - 2\, a^\top b + \lVert b \rVert_2^2,$$
where the middle term for all pairs is one matrix product, `X @ X_train.T`. (Rounding can make this slightly negative when $a \approx b$: clip at 0 before the square root.)

**Voting.** `predict_labels` takes the distance matrix, finds the $k$ smallest distances in each row and returns the most common label among them. **A tie in the vote goes to the smallest label** (e.g. two votes for 3 and two for 1 gives 1). `np.argsort` and `np.bincount` help.
"""),
    solution("KNN", r'''
class KNN:
    """A k-nearest-neighbour classifier with the Euclidean (L2) distance."""

    def train(self, X, y):
        """Memorise the training data.

        Inputs:
        - X: A numpy array of shape (N_train, D), one training sample per row.
        - y: A numpy array of shape (N_train,), integer labels; y[j] is the label of X[j].
        """
        self.X_train = X
        self.y_train = y

    def compute_distances(self, X):
        """Euclidean distance between every test sample and every training sample.

        Inputs:
        - X: A numpy array of shape (N_test, D), one test sample per row.

        Returns:
        - dists: A numpy array of shape (N_test, N_train); dists[i, j] is the L2
          distance between X[i] and the j-th training sample.
        """
        ### BEGIN SOLUTION
        X = np.asarray(X, dtype=np.float64)
        X_train = np.asarray(self.X_train, dtype=np.float64)
        squared = (np.sum(X ** 2, axis=1)[:, None]
                   - 2.0 * X @ X_train.T
                   + np.sum(X_train ** 2, axis=1)[None, :])
        dists = np.sqrt(np.maximum(squared, 0.0))
        ### END SOLUTION
        return dists

    def predict_labels(self, dists, k=1):
        """Majority vote among the k nearest training samples.

        Inputs:
        - dists: A numpy array of shape (N_test, N_train), as from compute_distances.
        - k: The number of nearest neighbours that vote.

        Returns:
        - y_pred: A numpy array of shape (N_test,) of integer labels; y_pred[i] is
          the most common label among the k training samples nearest to test
          sample i, a tie going to the smallest label.
        """
        ### BEGIN SOLUTION
        num_test = dists.shape[0]
        y_pred = np.zeros(num_test, dtype=np.int64)
        for i in range(num_test):
            closest_y = np.asarray(self.y_train)[np.argsort(dists[i])[:k]].astype(np.int64)
            y_pred[i] = np.argmax(np.bincount(closest_y))  # argmax picks the first, smallest, of tied counts
        ### END SOLUTION
        return y_pred

    def predict(self, X, k=1):
        """Predict labels for test samples.

        Inputs:
        - X: A numpy array of shape (N_test, D).
        - k: The number of nearest neighbours that vote.

        Returns:
        - y_pred: A numpy array of shape (N_test,) of integer labels.
        """
        ### BEGIN SOLUTION
        return self.predict_labels(self.compute_distances(X), k=k)
        ### END SOLUTION
'''),
    tests("test_KNN", POINTS["KNN"], r'''
# Three training points and two test points whose distances you can check by hand.
X_tr = np.array([[0.0, 0.0], [3.0, 4.0], [1.0, 0.0]])
y_tr = np.array([2, 0, 1])
X_te = np.array([[0.0, 0.0], [3.0, 0.0]])
knn = KNN()
knn.train(X_tr, y_tr)
d = knn.compute_distances(X_te)
assert np.shape(d) == (2, 3), f"compute_distances should return shape (2, 3), got {np.shape(d)}"
assert np.allclose(d, [[0.0, 5.0, 1.0], [3.0, 4.0, 2.0]]), "distances (not squared distances) expected"
assert list(knn.predict_labels(d, k=1)) == [2, 1], "k=1 should return the label of the nearest point"
assert list(knn.predict_labels(d, k=2)) == [1, 1], "a 1-1 vote between labels 1 and 2 goes to the smaller label, 1"
assert list(knn.predict_labels(d, k=3)) == [0, 0], "a three-way tie goes to the smallest label, 0"
assert list(knn.predict(X_te, k=1)) == [2, 1], "predict(X, k) = predict_labels(compute_distances(X), k)"
print("KNN: the visible checks pass.")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(7)
_A, _B = _rng.standard_normal((6, 4)), _rng.standard_normal((9, 4))
_y = _rng.integers(0, 3, 9)
_knn = KNN()
_knn.train(_B, _y)
_expected = np.array([[np.sqrt(np.sum((a - b) ** 2)) for b in _B] for a in _A])
assert np.allclose(_knn.compute_distances(_A), _expected, rtol=1e-6, atol=1e-8)
_votes = np.array([np.argmax(np.bincount(_y[np.argsort(row)[:5]], minlength=3)) for row in _expected])
assert np.array_equal(np.asarray(_knn.predict(_A, k=5)), _votes)
_knn.train(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([4, 1, 4, 1]))
assert list(_knn.predict(np.array([[0.1]]), k=4)) == [1]
### END HIDDEN TESTS
'''),
    md(r"""
Let us classify some validation images with $k = 1$ and look at the distance matrix: rows are validation images, columns training images. Bright rows are images far from every training image; bright columns are training images far from every validation image.
"""),
    instructor("knn_on_data", r'''
knn = KNN()
knn.train(X_train_flat, y_train)
dists = knn.compute_distances(X_val_flat)
plt.imshow(dists, aspect="auto", interpolation="none")
plt.xlabel("training image"); plt.ylabel("validation image"); plt.colorbar()
plt.show()
for k in (1, 5):
    y_val_pred = knn.predict_labels(dists, k=k)
    print(f"k = {k}: validation accuracy {np.mean(y_val_pred == y_val):.3f}")
''', skip=True),
    md(r"""
### Choosing $k$ by cross-validation

Instead of one validation split, **$F$-fold cross-validation** splits the training rows into $F$ folds, and for each fold $f$ trains a kNN on the other $F-1$ folds and measures its accuracy on fold $f$. Averaging over folds gives a less noisy estimate of how well each $k$ generalises.

Implement `cross_validate_knn` exactly this way, so that your numbers are reproducible:

* the folds are `np.array_split(X, num_folds)` and `np.array_split(y, num_folds)`: rows **in their given order**, no shuffling (the caller shuffles if they want to);
* for fold $f$, train a fresh `KNN` on the other folds concatenated in order (`np.concatenate`), and score it on fold $f$ with accuracy $= \frac{1}{N_f}\sum_i \mathbb{1}[\hat{y}_i = y_i]$;
* return a dict `{k: [accuracy on fold 0, ..., accuracy on fold F-1]}` with one entry per `k` in `k_choices`.
"""),
    solution("cross_validate_knn", r'''
def cross_validate_knn(X, y, k_choices, num_folds):
    """F-fold cross-validation of the KNN classifier for several k.

    Inputs:
    - X: A numpy array of shape (N, D) of samples.
    - y: A numpy array of shape (N,) of integer labels.
    - k_choices: A list of the k values to try.
    - num_folds: F, the number of folds; fold f is np.array_split(X, F)[f].

    Returns:
    - k_to_accuracies: A dict mapping each k in k_choices to a list of F floats,
      the accuracy on fold f of a KNN trained on the other folds.
    """
    k_to_accuracies = {}
    ### BEGIN SOLUTION
    X_folds = np.array_split(X, num_folds)
    y_folds = np.array_split(y, num_folds)
    for k in k_choices:
        k_to_accuracies[k] = []
        for f in range(num_folds):
            knn = KNN()
            knn.train(np.concatenate(X_folds[:f] + X_folds[f + 1:]),
                      np.concatenate(y_folds[:f] + y_folds[f + 1:]))
            y_pred = knn.predict(X_folds[f], k=k)
            k_to_accuracies[k].append(float(np.mean(y_pred == y_folds[f])))
    ### END SOLUTION
    return k_to_accuracies
'''),
    tests("test_cross_validate_knn", POINTS["cross_validate_knn"], r'''
# Two well separated clusters of 3 points each, alternating labels 0, 1, 0, 1, ...
X_cv = np.array([[0.0], [10.0], [0.1], [10.1], [0.2], [10.2]])
y_cv = np.array([0, 1, 0, 1, 0, 1])
acc = cross_validate_knn(X_cv, y_cv, [1, 3], 3)
assert sorted(acc) == [1, 3], "one entry per k in k_choices"
assert all(len(acc[k]) == 3 for k in acc), "one accuracy per fold"
assert np.allclose(acc[1], [1.0, 1.0, 1.0]), "k=1 finds the right cluster for every held-out point"
# With k=3, a held-out point has 2 neighbours of its own cluster left and 2 of the other: 3 votes, 2 right.
assert np.allclose(acc[3], [1.0, 1.0, 1.0])
# 5 rows in 2 folds: np.array_split gives folds of rows 0-2 and rows 3-4.
# Fold 0 (labels 0, 0, 1) scored by a 1-NN trained on rows 3-4 (labels 1, 1): 1/3 right.
# Fold 1 (labels 1, 1) scored by a 1-NN trained on rows 0-2: the nearest is row 2 (label 1): all right.
y_odd = np.array([0, 0, 1, 1, 1])
acc_odd = cross_validate_knn(np.arange(5.0)[:, None], y_odd, [1], 2)
assert np.allclose(acc_odd[1], [1 / 3, 1.0]), "folds must be np.array_split of the rows, in order"
print("cross_validate_knn: the visible checks pass.")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(3)
_X = _rng.standard_normal((23, 2))
_y = (_X[:, 0] + 0.5 * _rng.standard_normal(23) > 0).astype(int)
_acc = cross_validate_knn(_X, _y, [1, 3, 5], 4)
for _k in (1, 3, 5):
    _expected = []
    for _f, (_Xf, _yf) in enumerate(zip(np.array_split(_X, 4), np.array_split(_y, 4))):
        _rest = [i for i in range(4) if i != _f]
        _knn = KNN()
        _knn.train(np.concatenate([np.array_split(_X, 4)[i] for i in _rest]),
                   np.concatenate([np.array_split(_y, 4)[i] for i in _rest]))
        _expected.append(np.mean(_knn.predict(_Xf, k=_k) == _yf))
    assert np.allclose(_acc[_k], _expected)
### END HIDDEN TESTS
'''),
    md(r"""
Now cross-validate on the training set and plot the accuracy of every fold for every $k$, with the mean and standard deviation across folds. (The rows are already in random order, so taking folds in order is fine here.)
"""),
    instructor("knn_cross_validation_on_data", r'''
k_choices = [1, 3, 5, 8, 10, 12, 15, 20, 50]
num_folds = 5
k_to_accuracies = cross_validate_knn(X_train_flat, y_train, k_choices, num_folds)

for k in k_choices:
    plt.scatter([k] * num_folds, k_to_accuracies[k], color="gray", s=10)
means = np.array([np.mean(k_to_accuracies[k]) for k in k_choices])
stds = np.array([np.std(k_to_accuracies[k]) for k in k_choices])
plt.errorbar(k_choices, means, yerr=stds)
plt.title("Cross-validation on k"); plt.xlabel("k"); plt.ylabel("cross-validation accuracy")
plt.show()

best_k = k_choices[int(np.argmax(means))]
knn = KNN()
knn.train(X_train_flat, y_train)
test_accuracy = np.mean(knn.predict(X_test_flat, k=best_k) == y_test)
print(f"best k = {best_k}; test accuracy {test_accuracy:.3f}")
''', skip=True),
    md(r"""
---
## Part 2: the multiclass SVM loss

For sample $i$ with scores $s = W \hat{x}^{(i)}$ (so $s_j = w_j^\top \hat{x}^{(i)}$), the multiclass SVM wants the correct class's score to beat every other class's score by a **margin of 1**:
$$L_i = \sum_{j \neq y_i} \max\big(0,\; s_j - s_{y_i} + 1\big).$$
The sum runs over the **wrong** classes only. (Counting $j = y_i$ would add $\max(0, 1) = 1$ to every $L_i$.)

**Gradient.** Write $\mathbb{1}_{ij} = \mathbb{1}[s_j - s_{y_i} + 1 > 0]$ for $j \ne y_i$: the wrong classes whose margin is violated. Each violated term adds $\hat{x}^{(i)}$ to the gradient of its own row $w_j$ and subtracts it from the correct row:
$$\nabla_{w_j} L_i = \mathbb{1}_{ij}\, \hat{x}^{(i)} \quad (j \ne y_i), \qquad \nabla_{w_{y_i}} L_i = -\Big(\sum_{j \ne y_i} \mathbb{1}_{ij}\Big)\, \hat{x}^{(i)}.$$
Then $\nabla_W L = \frac{1}{N}\sum_i \nabla_W L_i + \lambda W$ — the **average**, not the sum, and the regulariser's gradient exactly once.

(The hinge has a kink where a margin is exactly 0; the gradient there is a *subgradient*, and a numerical gradient straddling the kink can disagree. This is rare with real data.)

First, the version with loops over the samples and the classes.
"""),
    solution("svm_loss_naive", r'''
def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM loss with margin 1, computed with loops.

    Inputs:
    - W: A numpy array of shape (C, D) of weights, one row per class.
    - X: A numpy array of shape (N, D) of samples, one per row (bias column included).
    - y: A numpy array of shape (N,) of integer labels in [0, C).
    - reg: (float) regularisation strength lambda.

    Returns a tuple of:
    - loss: (float) (1/N) sum_i L_i + 0.5 * reg * sum(W**2).
    - dW: A numpy array of shape (C, D), the gradient of loss with respect to W.
    """
    loss = 0.0
    dW = np.zeros(W.shape)
    ### BEGIN SOLUTION
    num_classes = W.shape[0]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = W.dot(X[i])
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[j] += X[i]
                dW[y[i]] -= X[i]
    loss = loss / num_train + 0.5 * reg * np.sum(W * W)
    dW = dW / num_train + reg * W
    ### END SOLUTION
    return loss, dW
'''),
    tests("test_svm_loss_naive", POINTS["svm_loss_naive"], r'''
# A case small enough to do by hand: C=3 classes, D=2, N=2.
W_s = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
X_s = np.array([[1.0, 2.0], [2.0, -1.0]])
y_s = np.array([0, 2])
# sample 0: scores (1, 2, 3), correct 1: margins 2 and 3 -> 5; sample 1: scores (2, -1, 1), correct 1: margin 2 -> 2
loss, dW = svm_loss_naive(W_s, X_s, y_s, 0.0)
assert np.isclose(loss, 3.5), f"loss should be (5 + 2) / 2 = 3.5, got {loss}"
assert np.shape(dW) == (3, 2), f"dW should have the shape of W, (3, 2), got {np.shape(dW)}"
assert np.allclose(dW, [[0.0, -2.5], [0.5, 1.0], [-0.5, 1.5]]), "dW is not the averaged hinge gradient"
loss_r, dW_r = svm_loss_naive(W_s, X_s, y_s, 0.1)
assert np.isclose(loss_r, 3.5 + 0.5 * 0.1 * 4), "add 0.5 * reg * sum(W**2) to the loss"
assert np.allclose(dW_r, dW + 0.1 * W_s), "add reg * W to the gradient, once"
# A numerical gradient check on random data
rng_check = np.random.default_rng(0)
W_c, X_c, y_c = rng_check.standard_normal((4, 5)), rng_check.standard_normal((6, 5)), rng_check.integers(0, 4, 6)
_, dW_c = svm_loss_naive(W_c, X_c, y_c, 0.3)
dW_num = numerical_gradient(lambda W_: svm_loss_naive(W_, X_c, y_c, 0.3)[0], W_c)
assert rel_error(dW_c, dW_num) < 1e-6, f"gradient check failed: relative error {rel_error(dW_c, dW_num):.2e}"
print("svm_loss_naive: the visible checks pass.")
### BEGIN HIDDEN TESTS
# CS231n's sanity figure: scores 0.001 * randn(50, 10) (here W = scores.T and X = the identity)
np.random.seed(231)
_scores = 0.001 * np.random.randn(50, 10)
_y = np.random.randint(10, size=50)
_loss, _ = svm_loss_naive(_scores.T.copy(), np.eye(50), _y, 0.0)
assert abs(_loss - 8.9996027) < 1e-6
_W, _X, _yy = rng_check.standard_normal((10, 3)), rng_check.standard_normal((1, 3)), np.array([7])
_l, _d = svm_loss_naive(_W, _X, _yy, 0.0)
assert rel_error(_d, numerical_gradient(lambda W_: svm_loss_naive(W_, _X, _yy, 0.0)[0], _W)) < 1e-6
### END HIDDEN TESTS
'''),
    md(r"""
Check the gradient on real data as well. With tiny random weights all scores are about 0, so every margin is about 1: the loss should be close to $C - 1$. Why?
"""),
    instructor("svm_gradient_check_on_data", r'''
W = 0.0001 * np.random.default_rng(1).standard_normal((num_classes, X_dev.shape[1]))
loss, grad = svm_loss_naive(W, X_dev, y_dev, 0.0)
print(f"loss {loss:.4f} (C - 1 = {num_classes - 1})")
print("without regularisation:")
grad_check_sparse(lambda W_: svm_loss_naive(W_, X_dev, y_dev, 0.0)[0], W, grad)
print("with regularisation:")
loss, grad = svm_loss_naive(W, X_dev, y_dev, 100.0)
grad_check_sparse(lambda W_: svm_loss_naive(W_, X_dev, y_dev, 100.0)[0], W, grad)
''', skip=True),
    md(r"""
### Vectorized SVM loss

Now compute the same loss and gradient **without loops** over samples or classes. Suggested steps:

1. `S = X @ W.T` (N, C); the correct scores are `S[np.arange(N), y]`.
2. Margins $M = \max(0, S - s_{y} + 1)$, with the correct class's entry set to 0.
3. Build a coefficient matrix $G$ (N, C): $G_{ij} = \mathbb{1}_{ij}$ for $j \ne y_i$, and $G_{i y_i} = -\sum_{j\ne y_i} \mathbb{1}_{ij}$. Then $\nabla_W = \frac{1}{N} G^\top X + \lambda W$.
"""),
    solution("svm_loss_vectorized", r'''
def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM loss with margin 1, without loops.

    Inputs and outputs are the same as svm_loss_naive:
    - W: (C, D) weights; X: (N, D) samples; y: (N,) labels in [0, C); reg: float.
    Returns (loss, dW): a float and a numpy array of shape (C, D).
    """
    loss = 0.0
    dW = np.zeros(W.shape)
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W.T)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss = np.sum(margins) / num_train + 0.5 * reg * np.sum(W * W)
    G = (margins > 0).astype(float)
    G[rows, y] = -np.sum(G, axis=1)
    dW = G.T.dot(X) / num_train + reg * W
    ### END SOLUTION
    return loss, dW
'''),
    tests("test_svm_loss_vectorized", POINTS["svm_loss_vectorized"], r'''
W_s = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
X_s = np.array([[1.0, 2.0], [2.0, -1.0]])
y_s = np.array([0, 2])
loss, dW = svm_loss_vectorized(W_s, X_s, y_s, 0.1)
assert np.isclose(loss, 3.7), f"loss should be 3.5 + 0.5 * 0.1 * 4 = 3.7, got {loss}"
assert np.allclose(dW, np.array([[0.0, -2.5], [0.5, 1.0], [-0.5, 1.5]]) + 0.1 * W_s)
# a numerical gradient check on random data (the timing cell below also compares with svm_loss_naive)
rng_check = np.random.default_rng(1)
W_c, X_c, y_c = rng_check.standard_normal((5, 7)), rng_check.standard_normal((20, 7)), rng_check.integers(0, 5, 20)
_, dW_c = svm_loss_vectorized(W_c, X_c, y_c, 0.5)
dW_num = numerical_gradient(lambda W_: svm_loss_vectorized(W_, X_c, y_c, 0.5)[0], W_c)
assert rel_error(dW_c, dW_num) < 1e-6, f"gradient check failed: relative error {rel_error(dW_c, dW_num):.2e}"
print("svm_loss_vectorized: the visible checks pass.")
### BEGIN HIDDEN TESTS
np.random.seed(231)
_scores = 0.001 * np.random.randn(50, 10)
_y = np.random.randint(10, size=50)
_loss, _ = svm_loss_vectorized(_scores.T.copy(), np.eye(50), _y, 0.0)
assert abs(_loss - 8.9996027) < 1e-6
_W, _X, _yy = rng_check.standard_normal((3, 4)), rng_check.standard_normal((9, 4)), rng_check.integers(0, 3, 9)
_l, _d = svm_loss_vectorized(_W, _X, _yy, 0.7)
assert rel_error(_d, numerical_gradient(lambda W_: svm_loss_vectorized(W_, _X, _yy, 0.7)[0], _W)) < 1e-6
### END HIDDEN TESTS
'''),
    md(r"""
How much faster is the vectorized version?
"""),
    instructor("svm_timing", r'''
W = 0.0001 * np.random.default_rng(2).standard_normal((num_classes, X_dev.shape[1]))
tic = time.perf_counter(); loss_naive, grad_naive = svm_loss_naive(W, X_dev, y_dev, 5.0); toc = time.perf_counter()
naive_seconds = toc - tic
tic = time.perf_counter(); loss_vec, grad_vec = svm_loss_vectorized(W, X_dev, y_dev, 5.0); toc = time.perf_counter()
vec_seconds = toc - tic
print(f"naive:      loss {loss_naive:.6f} in {naive_seconds * 1e3:.2f} ms")
print(f"vectorized: loss {loss_vec:.6f} in {vec_seconds * 1e3:.2f} ms  ({naive_seconds / max(vec_seconds, 1e-9):.0f}x faster)")
print(f"difference: loss {abs(loss_naive - loss_vec):.2e}, gradient {rel_error(grad_naive, grad_vec):.2e}")
''', skip=True),
    md(r"""
---
## Part 3: the softmax loss

The softmax classifier reads the scores as unnormalised log-probabilities:
$$p_{ij} = \frac{e^{s_j}}{\sum_{k} e^{s_k}}, \qquad L_i = -\log p_{i y_i} = -s_{y_i} + \log \sum_{k} e^{s_k},$$
the cross-entropy between the predicted distribution and the one-hot true label (its maximum-likelihood loss, as in lecture 2).

**Gradient.** $\dfrac{\partial L_i}{\partial s_j} = p_{ij} - \mathbb{1}[j = y_i]$, so
$$\nabla_{w_j} L_i = \big(p_{ij} - \mathbb{1}[j = y_i]\big)\, \hat{x}^{(i)}, \qquad \nabla_W L = \frac{1}{N}\sum_i \nabla_W L_i + \lambda W.$$

**Numerical stability.** `np.exp(1000.0)` is `inf`, and `inf / inf` is `nan`. Subtracting the same constant from every score of a sample does not change $p_{ij}$:
$$\frac{e^{s_j}}{\sum_k e^{s_k}} = \frac{e^{s_j - m}}{\sum_k e^{s_k - m}}, \qquad \log \sum_k e^{s_k} = m + \log \sum_k e^{s_k - m}.$$
With $m = \max_k s_k$ the largest exponent is 0, so nothing overflows (the "log-sum-exp" trick). Your loss must stay finite and correct when every score is around 1000.
"""),
    solution("softmax_loss_naive", r'''
def softmax_loss_naive(W, X, y, reg):
    """Softmax (cross-entropy) loss, computed with loops and numerically stable.

    Inputs:
    - W: A numpy array of shape (C, D) of weights, one row per class.
    - X: A numpy array of shape (N, D) of samples, one per row (bias column included).
    - y: A numpy array of shape (N,) of integer labels in [0, C).
    - reg: (float) regularisation strength lambda.

    Returns a tuple of:
    - loss: (float) (1/N) sum_i -log p_{i, y_i} + 0.5 * reg * sum(W**2).
    - dW: A numpy array of shape (C, D), the gradient of loss with respect to W.
    """
    loss = 0.0
    dW = np.zeros(W.shape)
    ### BEGIN SOLUTION
    num_classes = W.shape[0]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = W.dot(X[i])
        scores = scores - np.max(scores)
        exp_scores = np.exp(scores)
        sum_exp = np.sum(exp_scores)
        loss += np.log(sum_exp) - scores[y[i]]
        for j in range(num_classes):
            p = exp_scores[j] / sum_exp
            dW[j] += (p - (j == y[i])) * X[i]
    loss = loss / num_train + 0.5 * reg * np.sum(W * W)
    dW = dW / num_train + reg * W
    ### END SOLUTION
    return loss, dW
'''),
    tests("test_softmax_loss_naive", POINTS["softmax_loss_naive"], r'''
# With W = 0 every class is equally likely: p = 1/C, so the loss is log(C).
X_s = np.array([[1.0, 2.0], [2.0, -1.0]])
y_s = np.array([0, 2])
loss, dW = softmax_loss_naive(np.zeros((3, 2)), X_s, y_s, 0.0)
assert np.isclose(loss, np.log(3)), f"with W = 0 the loss should be log(3) = {np.log(3):.6f}, got {loss}"
assert np.shape(dW) == (3, 2), f"dW should have the shape of W, (3, 2), got {np.shape(dW)}"
# dW_j = mean_i (1/3 - [j == y_i]) x_i
expected = np.array([(1 / 3 - (j == y_s))[:, None] * X_s for j in range(3)]).mean(axis=1)
assert np.allclose(dW, expected), "dW is not the averaged softmax gradient"
# scores near 1000: the loss must stay finite (subtract the max score)
W_big = np.array([[0.0, 1000.0], [0.5, 1000.0], [-0.5, 1000.0]])
X_big = np.array([[1.0, 1.0], [-2.0, 1.0]])
loss_big, dW_big = softmax_loss_naive(W_big, X_big, np.array([1, 0]), 0.0)
assert np.isfinite(loss_big) and np.all(np.isfinite(dW_big)), "overflow: subtract each sample's largest score"
# a numerical gradient check with regularisation
rng_check = np.random.default_rng(0)
W_c, X_c, y_c = rng_check.standard_normal((4, 5)), rng_check.standard_normal((6, 5)), rng_check.integers(0, 4, 6)
_, dW_c = softmax_loss_naive(W_c, X_c, y_c, 0.3)
dW_num = numerical_gradient(lambda W_: softmax_loss_naive(W_, X_c, y_c, 0.3)[0], W_c)
assert rel_error(dW_c, dW_num) < 1e-6, f"gradient check failed: relative error {rel_error(dW_c, dW_num):.2e}"
print("softmax_loss_naive: the visible checks pass.")
### BEGIN HIDDEN TESTS
np.random.seed(231)
_scores = 0.001 * np.random.randn(50, 10)
_y = np.random.randint(10, size=50)
_loss, _ = softmax_loss_naive(_scores.T.copy(), np.eye(50), _y, 0.0)
assert abs(_loss - 2.3025458) < 1e-6
_s = W_big @ X_big.T  # (3, 2): scores of the two samples
_expected = np.mean([np.log(np.sum(np.exp(_s[:, i] - _s[:, i].max()))) - (_s[[1, 0][i], i] - _s[:, i].max()) for i in range(2)])
assert abs(loss_big - _expected) < 1e-8
### END HIDDEN TESTS
'''),
    md(r"""
Sanity check on real data: with tiny random weights the loss should be close to $\log C$ ($-\log 0.1 \approx 2.303$ for 10 classes). Why?
"""),
    instructor("softmax_gradient_check_on_data", r'''
W = 0.0001 * np.random.default_rng(3).standard_normal((num_classes, X_dev.shape[1]))
loss, grad = softmax_loss_naive(W, X_dev, y_dev, 0.0)
print(f"loss {loss:.4f} (log C = {np.log(num_classes):.4f})")
grad_check_sparse(lambda W_: softmax_loss_naive(W_, X_dev, y_dev, 0.0)[0], W, grad)
loss, grad = softmax_loss_naive(W, X_dev, y_dev, 100.0)
grad_check_sparse(lambda W_: softmax_loss_naive(W_, X_dev, y_dev, 100.0)[0], W, grad)
''', skip=True),
    md(r"""
### Vectorized softmax loss

Again without loops: compute `S = X @ W.T`, subtract each row's maximum, form the log-probabilities with log-sum-exp, pick the correct classes' entries with `[np.arange(N), y]`, and for the gradient use $P - Y$ where $Y$ is the one-hot matrix of the labels: $\nabla_W L = \frac{1}{N}(P - Y)^\top X + \lambda W$.
"""),
    solution("softmax_loss_vectorized", r'''
def softmax_loss_vectorized(W, X, y, reg):
    """Softmax (cross-entropy) loss without loops, numerically stable.

    Inputs and outputs are the same as softmax_loss_naive:
    - W: (C, D) weights; X: (N, D) samples; y: (N,) labels in [0, C); reg: float.
    Returns (loss, dW): a float and a numpy array of shape (C, D).
    """
    loss = 0.0
    dW = np.zeros(W.shape)
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W.T)
    scores = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.mean(log_probs[rows, y]) + 0.5 * reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    dW = dscores.T.dot(X) / num_train + reg * W
    ### END SOLUTION
    return loss, dW
'''),
    tests("test_softmax_loss_vectorized", POINTS["softmax_loss_vectorized"], r'''
X_s = np.array([[1.0, 2.0], [2.0, -1.0]])
y_s = np.array([0, 2])
loss, dW = softmax_loss_vectorized(np.zeros((3, 2)), X_s, y_s, 0.0)
assert np.isclose(loss, np.log(3)), f"with W = 0 the loss should be log(3) = {np.log(3):.6f}, got {loss}"
# Adding 1000 to every class's bias adds 1000 to every score: the probabilities, the loss
# (without regularisation) and dW must not change, and nothing may overflow.
rng_check = np.random.default_rng(1)
W_c, X_c, y_c = rng_check.standard_normal((5, 7)), rng_check.standard_normal((20, 7)), rng_check.integers(0, 5, 20)
X_c[:, -1] = 1.0  # the bias column
W_shift = W_c.copy(); W_shift[:, -1] += 1000.0
loss_0, dW_0 = softmax_loss_vectorized(W_c, X_c, y_c, 0.0)
loss_1000, dW_1000 = softmax_loss_vectorized(W_shift, X_c, y_c, 0.0)
assert np.isfinite(loss_1000) and np.all(np.isfinite(dW_1000)), "overflow: subtract each row's largest score"
assert abs(loss_0 - loss_1000) < 1e-8, f"shifting every score by 1000 changed the loss by {abs(loss_0 - loss_1000):.2e}"
assert rel_error(dW_0, dW_1000) < 1e-8, "shifting every score by 1000 changed dW"
# a numerical gradient check with regularisation (the timing cell below also compares with softmax_loss_naive)
_, dW_c = softmax_loss_vectorized(W_c, X_c, y_c, 0.5)
dW_num = numerical_gradient(lambda W_: softmax_loss_vectorized(W_, X_c, y_c, 0.5)[0], W_c)
assert rel_error(dW_c, dW_num) < 1e-6, f"gradient check failed: relative error {rel_error(dW_c, dW_num):.2e}"
print("softmax_loss_vectorized: the visible checks pass.")
### BEGIN HIDDEN TESTS
np.random.seed(231)
_scores = 0.001 * np.random.randn(50, 10)
_y = np.random.randint(10, size=50)
_loss, _ = softmax_loss_vectorized(_scores.T.copy(), np.eye(50), _y, 0.0)
assert abs(_loss - 2.3025458) < 1e-6
_W, _X, _yy = rng_check.standard_normal((3, 4)), rng_check.standard_normal((9, 4)), rng_check.integers(0, 3, 9)
_l, _d = softmax_loss_vectorized(_W, _X, _yy, 0.7)
assert rel_error(_d, numerical_gradient(lambda W_: softmax_loss_vectorized(W_, _X, _yy, 0.7)[0], _W)) < 1e-6
### END HIDDEN TESTS
'''),
    instructor("softmax_timing", r'''
W = 0.0001 * np.random.default_rng(4).standard_normal((num_classes, X_dev.shape[1]))
tic = time.perf_counter(); loss_naive, grad_naive = softmax_loss_naive(W, X_dev, y_dev, 5.0); toc = time.perf_counter()
naive_seconds = toc - tic
tic = time.perf_counter(); loss_vec, grad_vec = softmax_loss_vectorized(W, X_dev, y_dev, 5.0); toc = time.perf_counter()
vec_seconds = toc - tic
print(f"naive:      loss {loss_naive:.6f} in {naive_seconds * 1e3:.2f} ms")
print(f"vectorized: loss {loss_vec:.6f} in {vec_seconds * 1e3:.2f} ms  ({naive_seconds / max(vec_seconds, 1e-9):.0f}x faster)")
print(f"difference: loss {abs(loss_naive - loss_vec):.2e}, gradient {rel_error(grad_naive, grad_vec):.2e}")
''', skip=True),
    md(r"""
---
## Part 4: training with stochastic gradient descent

**Prediction.** A linear classifier predicts the class with the **highest** score: $\hat{y}_i = \arg\max_c\, s^{(i)}_c$.
"""),
    solution("predict_linear", r'''
def predict_linear(W, X):
    """Predicted labels of a linear classifier.

    Inputs:
    - W: A numpy array of shape (C, D) of weights.
    - X: A numpy array of shape (N, D) of samples (bias column included).

    Returns:
    - y_pred: A numpy array of shape (N,) of integer labels, the highest-scoring class of each sample.
    """
    ### BEGIN SOLUTION
    y_pred = np.argmax(X.dot(W.T), axis=1)
    ### END SOLUTION
    return y_pred
'''),
    tests("test_predict_linear", POINTS["predict_linear"], r'''
W_p = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
X_p = np.array([[2.0, 1.0], [0.0, 3.0], [-1.0, -2.0]])
# scores: (2, 1, -3), (0, 3, -3), (-1, -2, 3)
pred = predict_linear(W_p, X_p)
assert np.shape(pred) == (3,), f"predict_linear should return shape (3,), got {np.shape(pred)}"
assert list(pred) == [0, 1, 2], f"expected the highest-scoring classes [0, 1, 2], got {list(pred)}"
print("predict_linear: the visible checks pass.")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(5)
_W, _X = _rng.standard_normal((4, 3)), _rng.standard_normal((11, 3))
assert np.array_equal(predict_linear(_W, _X), np.argmax(_X @ _W.T, axis=1))
assert np.array_equal(predict_linear(_W, _X[:1]), np.argmax(_X[:1] @ _W.T, axis=1))
### END HIDDEN TESTS
'''),
    md(r"""
**Minibatch SGD.** Each iteration estimates the gradient on a random **minibatch** of `batch_size` samples and takes a step against it:
$$W \leftarrow W - \eta\, \nabla_W L_{\text{batch}}(W), \qquad \eta = \texttt{learning\_rate}.$$

So that every correct implementation gives the same numbers, follow this rule exactly, using **one** generator for everything:

```python
rng = np.random.default_rng(seed)
W = 0.001 * rng.standard_normal((num_classes, D))         # small random start
for it in range(num_iters):
    idx = rng.choice(N, batch_size, replace=True)         # sample rows WITH replacement
    loss, dW = loss_fn(W, X[idx], y[idx], reg)
    loss_history.append(loss)                             # the batch's loss before the step
    W = W - learning_rate * dW
```

`loss_fn` is any function with the signature of the losses above, e.g. `svm_loss_vectorized`. Sampling with replacement is faster than without and makes no difference in practice.
"""),
    solution("sgd_train", r'''
def sgd_train(loss_fn, X, y, num_classes, learning_rate=1e-3, reg=1e-5, num_iters=100,
              batch_size=200, seed=0):
    """Train a linear classifier with minibatch stochastic gradient descent.

    Inputs:
    - loss_fn: A function (W, X_batch, y_batch, reg) -> (loss, dW), e.g. svm_loss_vectorized.
    - X: A numpy array of shape (N, D) of training samples (bias column included).
    - y: A numpy array of shape (N,) of integer labels in [0, num_classes).
    - num_classes: (int) C.
    - learning_rate: (float) the step size.
    - reg: (float) regularisation strength, passed on to loss_fn.
    - num_iters: (int) the number of steps.
    - batch_size: (int) the number of samples in each minibatch.
    - seed: (int) the seed of np.random.default_rng, the only source of randomness.

    Returns a tuple of:
    - W: A numpy array of shape (C, D), the final weights.
    - loss_history: A list of num_iters floats, the minibatch loss at each iteration
      (computed before that iteration's update).
    """
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    num_train, dim = X.shape
    W = 0.001 * rng.standard_normal((num_classes, dim))
    loss_history = []
    for it in range(num_iters):
        idx = rng.choice(num_train, batch_size, replace=True)
        loss, dW = loss_fn(W, X[idx], y[idx], reg)
        loss_history.append(float(loss))
        W = W - learning_rate * dW
    ### END SOLUTION
    return W, loss_history
'''),
    tests("test_sgd_train", POINTS["sgd_train"], r'''
# A loss with gradient 0 leaves W at its random start: 0.001 * standard normal draws from the seed.
zero_loss = lambda W, X, y, reg: (0.0, np.zeros_like(W))
X_g = np.hstack([np.random.default_rng(0).standard_normal((30, 3)), np.ones((30, 1))])
y_g = np.argmax(X_g[:, :3], axis=1)  # label = the largest feature: a linear classifier can fit it
W0, hist0 = sgd_train(zero_loss, X_g, y_g, 3, learning_rate=0.1, reg=0.0, num_iters=5, batch_size=4, seed=11)
assert np.shape(W0) == (3, 4), f"W should have shape (num_classes, D) = (3, 4), got {np.shape(W0)}"
assert len(hist0) == 5, "one loss per iteration"
assert np.allclose(W0, 0.001 * np.random.default_rng(11).standard_normal((3, 4))), "start from W = 0.001 * rng.standard_normal((C, D))"
# A quadratic loss 0.5 * ||W||^2 (gradient W): each step multiplies W by (1 - learning_rate).
quad_loss = lambda W, X, y, reg: (0.5 * np.sum(W ** 2), W.copy())
W1, hist1 = sgd_train(quad_loss, X_g, y_g, 3, learning_rate=0.1, reg=0.0, num_iters=10, batch_size=4, seed=11)
assert np.allclose(W1, 0.9 ** 10 * W0), "each step is W = W - learning_rate * dW"
assert np.isclose(hist1[0], 0.5 * np.sum(W0 ** 2)), "record each loss before its update"
# Training drives a least-squares loss (to one-hot targets) down on points a linear classifier can fit.
def ls_loss(W, X, y, reg):
    R = X @ W.T - np.eye(W.shape[0])[y]
    return np.sum(R ** 2) / (2 * len(y)) + 0.5 * reg * np.sum(W * W), R.T @ X / len(y) + reg * W
W2, hist2 = sgd_train(ls_loss, X_g, y_g, 3, learning_rate=0.1, reg=1e-3, num_iters=100, batch_size=10, seed=0)
print(f"least-squares loss: first {hist2[0]:.3f}, last {hist2[-1]:.3f}")
assert hist2[-1] < 0.5 * hist2[0], "training should reduce the loss"
print("sgd_train: the visible checks pass.")
### BEGIN HIDDEN TESTS
# the batches follow the stated rule: record which rows each call sees
_seen = []
def _spy(W, X, y, reg):
    _seen.append(np.array(y))
    return 0.0, np.zeros_like(W)
_Xs = np.hstack([np.zeros((13, 1)), np.ones((13, 1))])
_ys = np.arange(13)
sgd_train(_spy, _Xs, _ys, 13, learning_rate=0.1, reg=0.0, num_iters=4, batch_size=6, seed=5)
_r = np.random.default_rng(5)
_r.standard_normal((13, 2))
for _b in _seen:
    assert np.array_equal(_b, _r.choice(13, 6, replace=True))
_lin = lambda W, X, y, reg: (float(np.sum(W)) + reg, np.ones_like(W) * reg)
_W, _h = sgd_train(_lin, X_g, y_g, 3, learning_rate=0.5, reg=2.0, num_iters=3, batch_size=2, seed=1)
assert np.allclose(_W, 0.001 * np.random.default_rng(1).standard_normal((3, 4)) - 3 * 0.5 * 2.0)
### END HIDDEN TESTS
'''),
    md(r"""
### Train, tune, test

Train the SVM on the training set and watch the minibatch loss fall. Then search the learning rate and `reg` on the **validation** set, for both the SVM and softmax, and evaluate the best of each once on the test set.

The grids below suit the data that was loaded (feature scales differ a lot between the 8×8 digits, values 0–16, and CIFAR-10, values 0–255, in $D$ = 65 versus 3,073 dimensions). Widen them and see where the validation accuracy peaks.
"""),
    instructor("train_svm", r'''
is_cifar = X_train.shape[1] == 32 * 32 * 3 + 1
lr_svm, reg_svm = (1e-7, 5e4) if is_cifar else (1e-4, 1e-1)
tic = time.perf_counter()
W_svm, loss_history = sgd_train(svm_loss_vectorized, X_train, y_train, num_classes,
                                learning_rate=lr_svm, reg=reg_svm, num_iters=1500, batch_size=200, seed=0)
print(f"trained in {time.perf_counter() - tic:.2f} s")
plt.plot(loss_history)
plt.xlabel("iteration"); plt.ylabel("minibatch loss"); plt.title("SVM training")
plt.show()
print(f"training accuracy {np.mean(predict_linear(W_svm, X_train) == y_train):.3f}, "
      f"validation accuracy {np.mean(predict_linear(W_svm, X_val) == y_val):.3f}")
''', skip=True),
    instructor("tune_linear_classifiers", r'''
if is_cifar:
    learning_rates, regs = [1e-7, 5e-7], [2.5e4, 5e4]
else:
    learning_rates, regs = [1e-4, 1e-3, 1e-2], [1e-1, 1e0, 1e1]

best = {}
for name, loss_fn in [("svm", svm_loss_vectorized), ("softmax", softmax_loss_vectorized)]:
    results = {}
    for lr in learning_rates:
        for reg in regs:
            W, _ = sgd_train(loss_fn, X_train, y_train, num_classes, learning_rate=lr, reg=reg,
                             num_iters=800, batch_size=200, seed=0)
            results[(lr, reg)] = (np.mean(predict_linear(W, X_train) == y_train),
                                  np.mean(predict_linear(W, X_val) == y_val), W)
    for (lr, reg), (train_acc, val_acc, _) in sorted(results.items()):
        print(f"{name:8s} lr {lr:g} reg {reg:g}: train {train_acc:.3f}  val {val_acc:.3f}")
    (lr, reg), (_, val_acc, W) = max(results.items(), key=lambda item: item[1][1])
    best[name] = W
    print(f"best {name}: lr {lr:g}, reg {reg:g}, validation {val_acc:.3f}, "
          f"test {np.mean(predict_linear(W, X_test) == y_test):.3f}\n")
''', skip=True),
    md(r"""
### What did the classifiers learn?

Each row of $W$ (without its bias) has one weight per pixel, so it can be shown as an image: a **template** that the class's score matches against the input.
"""),
    instructor("visualize_weights", r'''
for name, W in best.items():
    fig, axes = plt.subplots(1, num_classes, figsize=(num_classes * 1.2, 1.6))
    for c in range(num_classes):
        show_image(axes[c], W[c, :-1].reshape(image_shape))
        axes[c].set_title(class_names[c])
    fig.suptitle(f"{name} weights")
    plt.show()
''', skip=True),
    md(r"""
### Questions to think about (not graded; bring them to discussion section)

1. Why is the SVM loss about $C - 1$ and the softmax loss about $\log C$ when $W$ is tiny?
2. How does the kNN's accuracy change with $k$, and why does it eventually fall as $k$ grows?
3. kNN takes no time to train; what does it cost at test time, and how does that scale with the training set?
4. Suppose every training sample's SVM margins are all satisfied. What is its SVM loss, and would its softmax loss also be 0?
5. Describe the weight images: what does a class template look like, and why?
"""),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook(cells=CELLS)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"hw2-{i:02d}"
    return nb


def main() -> None:
    nb = build()
    nbformat.validate(nb)
    nbformat.write(nb, HERE / "hw2.ipynb")
    print(f"wrote {HERE / 'hw2.ipynb'} ({len(nb.cells)} cells)")


if __name__ == "__main__":
    main()
