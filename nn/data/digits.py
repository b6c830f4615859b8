"""The 8x8 handwritten digits, shipped with the package (no download).

1,797 grey-scale images of the digits 0-9, 8x8 pixels with integer values 0..16:
the test set (``optdigits.tes``) of the UCI Machine Learning Repository's "Optical
Recognition of Handwritten Digits" (E. Alpaydin and C. Kaynak, 1998; licence CC BY
4.0), the same copy that scikit-learn bundles as ``sklearn.datasets.load_digits``.
Each pixel counts the "on" pixels of a 4x4 block of a 32x32 bitmap, so the values
are 0..16. See ``nn/data/README.md`` for the source, licence and conversion.

``digits.npz`` holds ``X`` (uint8, (1797, 64), row-major 8x8 images) and ``y`` (uint8,
(1797,)); about 45 KB.

>>> from nn.data import load_digits
>>> X, y = load_digits()
>>> X.shape, X.dtype, y.dtype, int(X.max())
((1797, 64), dtype('float32'), dtype('int64'), 16)
"""
import os

import numpy as np

import autograd as ag

__all__ = ["load_digits", "DIGITS_PATH"]

DIGITS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")
N_SAMPLES, N_FEATURES, N_CLASSES = 1797, 64, 10


def load_digits(dtype=None, images=False):
    """Return ``(X, y)``: the images and their labels as numpy arrays.

    ``X``: float (``dtype``, default ``autograd.get_default_dtype()``, i.e. float32)
    of shape (1797, 64) with raw pixel values 0..16 (divide by 16 to scale to [0, 1]),
    or (1797, 1, 8, 8) (N, C, H, W, ready for ``nn.Conv2d``) with ``images=True``.
    ``y``: int64 labels 0..9, shape (1797,).
    """
    dtype = ag.get_default_dtype() if dtype is None else np.dtype(dtype)
    try:
        with np.load(DIGITS_PATH, allow_pickle=False) as f:
            X, y = f["X"], f["y"]
    except (OSError, KeyError, ValueError) as exc:
        raise RuntimeError(f"load_digits: cannot read the shipped data file {DIGITS_PATH} "
                           f"({exc}); reinstall the package (pip install -e .)") from exc
    X = X.astype(dtype)
    if images:
        X = X.reshape(-1, 1, 8, 8)          # (N, C=1, H=8, W=8)
    return X, y.astype(np.int64)
