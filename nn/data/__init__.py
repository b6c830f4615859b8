"""Data for training: datasets, a shuffling mini-batch loader, splits, shipped digits.

>>> import nn.data as data
>>> X, y = data.load_digits()
>>> X_tr, X_te, y_tr, y_te = data.train_test_split(X / 16, y, test_size=0.2, seed=0,
...                                                stratify=y)
>>> loader = data.DataLoader(data.TensorDataset(X_tr, y_tr), batch_size=64,
...                          shuffle=True, seed=0)
>>> xb, yb = next(iter(loader))
>>> xb.shape, yb.shape
((64, 64), (64,))
"""
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .digits import DIGITS_PATH, load_digits
from .distributed import DistributedSampler
from .loader import DataLoader, default_collate
from .split import train_test_split

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
           "DataLoader", "default_collate", "load_digits", "DIGITS_PATH",
           "train_test_split", "DistributedSampler"]
