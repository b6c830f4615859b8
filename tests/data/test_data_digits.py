"""The shipped digits file: shape, range, class counts, content hash, dtypes."""
import hashlib
import os

import numpy as np

import autograd as ag
from nn.data import DIGITS_PATH, load_digits

# sha256 of the uint8 arrays as converted from scikit-learn 1.9.1's digits.csv.gz
X_SHA256 = "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"
Y_SHA256 = "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0"
CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]   # as documented by UCI


def test_file_is_small_and_exact():
    assert os.path.getsize(DIGITS_PATH) < 100_000
    with np.load(DIGITS_PATH, allow_pickle=False) as f:
        X, y = f["X"], f["y"]
    assert X.dtype == np.uint8 and y.dtype == np.uint8
    assert hashlib.sha256(X.tobytes()).hexdigest() == X_SHA256
    assert hashlib.sha256(y.tobytes()).hexdigest() == Y_SHA256


def test_load_digits_contents():
    X, y = load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == ag.get_default_dtype() and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))
    assert np.bincount(y).tolist() == CLASS_COUNTS
    # the first image is a zero: a ring of ink around an empty centre
    first = X[0].reshape(8, 8)
    assert y[0] == 0 and first[3:5, 3:5].sum() == 0 and first[0].sum() > 0
    assert len({row.tobytes() for row in X}) > 1700        # real, mostly distinct images


def test_load_digits_options():
    X, _ = load_digits(dtype=np.float64, images=True)
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float64
    flat, _ = load_digits()
    assert np.array_equal(X.reshape(1797, 64), flat)
