"""Write ``digits.npz``, the offline data set of HW2-HW5 (run once by the course staff; needs scikit-learn).

The data: the UCI "Optical Recognition of Handwritten Digits" test set as scikit-learn
bundles it (``sklearn.datasets.load_digits``): 1,797 images of 8 x 8 pixels, each pixel
a count in [0, 16], labels 0-9. Source: E. Alpaydin and C. Kaynak, UCI Machine Learning
Repository, https://archive.ics.uci.edu/dataset/80 (licensed CC BY 4.0).

The file holds two arrays, in scikit-learn's order (``data_utils.load_digits_split``
shuffles them with a fixed seed):
- ``images``: (1797, 8, 8) uint8, pixel values in [0, 16];
- ``labels``: (1797,) uint8, in [0, 10).

It is written byte for byte the same every time (a zip with fixed dates, members in a
fixed order), so remaking it changes nothing in git or in the release's hashes::

    .venv/bin/python assignments/hw2/make_digits.py      # writes assignments/hw2/digits.npz

The ``make_`` prefix keeps this script out of the files students get.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import numpy as np

TARGET = Path(__file__).resolve().parent / "digits.npz"
ZIP_DATE = (2025, 1, 1, 0, 0, 0)


def digits_arrays() -> dict[str, np.ndarray]:
    """scikit-learn's digits as the two arrays of ``digits.npz`` (images (1797, 8, 8), labels (1797,))."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.asarray(digits.images)
    if images.shape != (1797, 8, 8) or images.min() < 0 or images.max() > 16 or np.any(images != np.round(images)):
        raise SystemExit(f"unexpected digits from scikit-learn: shape {images.shape}, values "
                         f"{images.min()}..{images.max()}")
    return {"images": images.astype(np.uint8), "labels": np.asarray(digits.target).astype(np.uint8)}


def write_npz(arrays: dict[str, np.ndarray], target: Path) -> Path:
    """An ``.npz`` that ``np.load`` reads (a zip of ``.npy`` files), deflated, with fixed dates."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue(), compresslevel=9)
    return target


def main() -> int:
    path = write_npz(digits_arrays(), Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
    print(f"wrote {path} ({path.stat().st_size / 1024:.1f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
