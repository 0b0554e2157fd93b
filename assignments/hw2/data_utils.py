"""Data for HW2-HW5: CIFAR-10 when its python batches are on disk, the 8 x 8 digits otherwise.

CIFAR-10 ("python version") is a folder ``cifar-10-batches-py`` holding the
pickled batches ``data_batch_1`` ... ``data_batch_5`` and ``test_batch``. Each
is a dict with bytes keys: ``b'data'``, a uint8 array (10000, 3072) whose rows
are one image each (1024 red, then 1024 green, then 1024 blue values, each
channel a 32 x 32 image in row-major order), and ``b'labels'``, a list of
10000 integers in [0, 10).

Where to put it: pass its folder to ``load_dataset``, or set the environment
variable ``CIFAR10_DIR``, or unpack it as ``datasets/cifar-10-batches-py`` next
to this file. When none of these holds the six batches, ``load_dataset`` says
so and uses the 8 x 8 handwritten digits (1,797 images, 10 classes) of
``digits.npz``, which the release puts beside this file (44 kB, read with numpy
alone), so the notebook always runs offline and needs nothing but numpy.

``digits.npz`` is the UCI "Optical Recognition of Handwritten Digits" test set
(E. Alpaydin, C. Kaynak; https://archive.ics.uci.edu/dataset/80, CC BY 4.0) as
scikit-learn bundles it (``sklearn.datasets.load_digits``), written once by
``make_digits.py`` in the course's assignments/hw2 folder.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

__all__ = ["CIFAR10_CLASSES", "load_cifar_batch", "load_cifar10", "load_digits_split", "load_dataset"]

CIFAR10_CLASSES = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
DEFAULT_CIFAR10_DIR = Path(__file__).resolve().parent / "datasets" / "cifar-10-batches-py"
DIGITS_FILE = Path(__file__).resolve().parent / "digits.npz"


class _BatchUnpickler(pickle.Unpickler):
    """Unpickles a CIFAR batch and nothing else: only numpy's array rebuilding is allowed.

    A pickle can run arbitrary code when loaded; this refuses any global that
    a CIFAR batch does not need.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a CIFAR-10 batch should not contain {module}.{name}")


def load_cifar_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 batch file.

    Inputs:
    - path: the batch file (e.g. ``.../data_batch_1``).

    Returns:
    - X: (N, 32, 32, 3) float64 pixel values in [0, 255], channels last.
    - y: (N,) int64 labels in [0, 10).
    """
    with open(path, "rb") as f:
        batch = _BatchUnpickler(f, encoding="bytes").load()
    data = np.asarray(batch[b"data"], dtype=np.uint8)
    labels = np.asarray(batch[b"labels"], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3072 or data.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{path}: expected b'data' of shape (N, 3072) and N labels, "
            f"got {data.shape} and {labels.shape[0]} labels"
        )
    X = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float64)
    return X, labels


def load_cifar10(root) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All of CIFAR-10 from its python batches.

    Inputs:
    - root: the folder holding data_batch_1 ... data_batch_5 and test_batch.

    Returns (X_train, y_train, X_test, y_test):
    - X_train: (50000, 32, 32, 3) float64; y_train: (50000,) int64.
    - X_test: (10000, 32, 32, 3) float64; y_test: (10000,) int64.
    (Fewer rows if the batches are smaller; the training batches are
    concatenated in order 1..5.)
    """
    root = Path(root)
    parts = [load_cifar_batch(root / f"data_batch_{i}") for i in range(1, 6)]
    X_train = np.concatenate([X for X, _ in parts])
    y_train = np.concatenate([y for _, y in parts])
    X_test, y_test = load_cifar_batch(root / "test_batch")
    return X_train, y_train, X_test, y_test


def load_digits_split(num_test: int = 297, seed: int = 0, path=None):
    """The 8 x 8 digits of ``digits.npz``, shuffled once with a fixed seed and split.

    Inputs:
    - num_test: how many images go to the test split.
    - seed: the seed of the shuffle (the same split every time).
    - path: the ``.npz`` file (default: ``digits.npz`` next to this file), holding
      ``images`` (1797, 8, 8) and ``labels`` (1797,), both uint8.

    Returns (X_train, y_train, X_test, y_test): X (N, 8, 8) float64 pixel values
    in [0, 16], y (N,) int64 labels in [0, 10); 1,500 training and 297 test images.
    """
    path = Path(path) if path is not None else DIGITS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path.name} is not in {path.parent}: it holds the digits this notebook uses when CIFAR-10 is "
            "not on disk. Copy it back from the homework's release (it sits beside data_utils.py).")
    with np.load(path, allow_pickle=False) as digits:
        images, labels = digits["images"], digits["labels"]
    order = np.random.default_rng(seed).permutation(len(labels))
    X = images[order].astype(np.float64)
    y = labels[order].astype(np.int64)
    return X[:-num_test], y[:-num_test], X[-num_test:], y[-num_test:]


def _cifar_dir(cifar_root) -> Path:
    if cifar_root is not None:
        return Path(cifar_root)
    if os.environ.get("CIFAR10_DIR"):
        return Path(os.environ["CIFAR10_DIR"])
    return DEFAULT_CIFAR10_DIR


def load_dataset(cifar_root=None, with_class_names: bool = False):
    """The HW2 data: CIFAR-10 if its batches are at the configured path, else the digits.

    Inputs:
    - cifar_root: folder of the CIFAR-10 python batches; None means the
      ``CIFAR10_DIR`` environment variable, or else ``datasets/cifar-10-batches-py``
      next to this file.
    - with_class_names: also return the list of class names.

    Returns (X_train, y_train, X_test, y_test[, class_names]): images as float64
    arrays (N, H, W, 3) for CIFAR-10 or (N, 8, 8) for the digits, labels as
    int64 arrays (N,).
    """
    root = _cifar_dir(cifar_root)
    missing = [name for name in CIFAR10_FILES if not (root / name).is_file()]
    if not missing:
        data = load_cifar10(root)
        names = list(CIFAR10_CLASSES)
        print(f"Loaded CIFAR-10 from {root}.")
    else:
        what = "not found" if len(missing) == len(CIFAR10_FILES) else f"incomplete (missing {', '.join(missing)})"
        print(
            f"Note: CIFAR-10 batches {what} at {root}; using the 8x8 digits of {DIGITS_FILE.name} "
            "(1,797 images, 10 classes) instead. Everything below works with either."
        )
        data = load_digits_split()
        names = [str(d) for d in range(10)]
    return (*data, names) if with_class_names else data
