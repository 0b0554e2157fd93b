"""HW2's data loader on CIFAR-10 batches written here in the real format, and its offline fallback.

The real "python version" batches are pickled dicts with bytes keys: b'data', a
uint8 array (N, 3072) whose row is one image as 1024 red, 1024 green, 1024 blue
values, each channel 32 x 32 in row-major order; b'labels', a list of N ints;
plus b'batch_label' and b'filenames', which the loader ignores. The files are
data_batch_1 ... data_batch_5 and test_batch in one folder.
"""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest

HW2 = Path(__file__).resolve().parent.parent / "assignments" / "hw2"


@pytest.fixture(scope="module")
def data_utils():
    spec = importlib.util.spec_from_file_location("hw2_data_utils", HW2 / "data_utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_images(seed: int, n: int) -> np.ndarray:
    """n random images (n, 32, 32, 3) uint8, channels last."""
    return np.random.default_rng(seed).integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)


def write_batch(path: Path, images: np.ndarray, labels: list[int], protocol: int = 2) -> None:
    """One batch in CIFAR-10's format: rows are R plane, G plane, B plane."""
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), 3072)  # (N, 3, 32, 32) -> (N, 3072)
    batch = {
        b"batch_label": path.name.encode(),
        b"labels": list(labels),
        b"data": np.ascontiguousarray(rows, dtype=np.uint8),
        b"filenames": [f"img_{i}.png".encode() for i in range(len(images))],
    }
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=protocol)


@pytest.fixture
def cifar_dir(tmp_path):
    """Five training batches of 3 images and a test batch of 4, with known pixels and labels."""
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    train_images, train_labels = [], []
    for i in range(1, 6):
        images = make_images(i, 3)
        labels = [(3 * i + j) % 10 for j in range(3)]
        write_batch(root / f"data_batch_{i}", images, labels, protocol=2 if i % 2 else 4)
        train_images.append(images)
        train_labels += labels
    test_images = make_images(99, 4)
    write_batch(root / "test_batch", test_images, [9, 0, 4, 7])
    return root, np.concatenate(train_images), np.array(train_labels), test_images, np.array([9, 0, 4, 7])


def test_load_cifar10_reads_every_batch_in_order(data_utils, cifar_dir):
    root, train_images, train_labels, test_images, test_labels = cifar_dir
    X_train, y_train, X_test, y_test = data_utils.load_cifar10(root)
    assert X_train.shape == (15, 32, 32, 3) and X_test.shape == (4, 32, 32, 3)
    assert X_train.dtype.kind == "f" and X_test.dtype.kind == "f"
    np.testing.assert_array_equal(X_train, train_images.astype(float))
    np.testing.assert_array_equal(X_test, test_images.astype(float))
    np.testing.assert_array_equal(y_train, train_labels)
    np.testing.assert_array_equal(y_test, test_labels)


def test_load_cifar_batch_puts_channels_last(data_utils, tmp_path):
    """A red image stays red: the first 1024 values of a row are the red channel."""
    image = np.zeros((1, 32, 32, 3), dtype=np.uint8)
    image[0, :, :, 0] = 200            # red everywhere
    image[0, 0, 1, 2] = 7              # one blue pixel at row 0, column 1
    write_batch(tmp_path / "b", image, [3])
    X, y = data_utils.load_cifar_batch(tmp_path / "b")
    assert X.shape == (1, 32, 32, 3) and y.tolist() == [3]
    assert np.all(X[0, :, :, 0] == 200) and np.all(X[0, :, :, 1] == 0)
    assert X[0, 0, 1, 2] == 7 and X[0, 1, 0, 2] == 0


def test_load_dataset_uses_cifar_when_the_batches_are_there(data_utils, cifar_dir, capsys):
    root = cifar_dir[0]
    X_train, y_train, X_test, y_test, names = data_utils.load_dataset(root, with_class_names=True)
    assert X_train.shape == (15, 32, 32, 3) and y_test.shape == (4,)
    assert names[0] == "plane" and len(names) == 10
    assert "CIFAR-10" in capsys.readouterr().out


def test_load_dataset_reads_the_environment_variable(data_utils, cifar_dir, monkeypatch):
    monkeypatch.setenv("CIFAR10_DIR", str(cifar_dir[0]))
    X_train, _, _, _ = data_utils.load_dataset()
    assert X_train.shape == (15, 32, 32, 3)


def test_load_dataset_falls_back_to_digits_offline(data_utils, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    X_train, y_train, X_test, y_test = data_utils.load_dataset(tmp_path / "nowhere")
    out = capsys.readouterr().out
    assert "not found" in out and "digits" in out
    assert X_train.shape == (1500, 8, 8) and X_test.shape == (297, 8, 8)
    assert y_train.shape == (1500,) and y_test.shape == (297,)
    assert X_train.dtype.kind == "f" and 0 <= X_train.min() and X_train.max() <= 16
    assert set(np.unique(y_train)) == set(range(10))
    # the same split every time
    again = data_utils.load_dataset(tmp_path / "nowhere")
    np.testing.assert_array_equal(again[1], y_train)


def test_load_dataset_names_missing_batches(data_utils, cifar_dir, capsys):
    root = cifar_dir[0]
    (root / "data_batch_3").unlink()
    X_train, *_ = data_utils.load_dataset(root)
    assert X_train.shape[1:] == (8, 8)
    assert "data_batch_3" in capsys.readouterr().out


def test_a_batch_that_runs_code_is_refused(data_utils, tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this should never run",))

    with open(tmp_path / "data_batch_1", "wb") as f:
        pickle.dump({b"data": Evil(), b"labels": []}, f)
    with pytest.raises(pickle.UnpicklingError):
        data_utils.load_cifar_batch(tmp_path / "data_batch_1")


def test_a_malformed_batch_says_what_is_wrong(data_utils, tmp_path):
    with open(tmp_path / "b", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 100), dtype=np.uint8), b"labels": [0, 1]}, f)
    with pytest.raises(ValueError, match="3072"):
        data_utils.load_cifar_batch(tmp_path / "b")
