"""The demo's networks and its data: the split, the standardisation, the seeds."""
import collections

import numpy as np

import autograd as ag
import nn
from nn.data import load_digits, train_test_split

from .cli import N_CLASSES


def build_model(cfg):
    """The network for ``cfg["model"]``, with named layers (they label the graph)."""
    layers = []
    if cfg["model"] == "mlp":
        sizes = [64] + list(cfg["hidden"])
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
            layers += [(f"fc{i}", nn.Linear(a, b)), (f"relu{i}", nn.ReLU())]
        last = sizes[-1]
    else:
        c1, c2 = cfg["channels"]
        layers = [("conv1", nn.Conv2d(1, c1, 3, padding=1)), ("relu1", nn.ReLU()),
                  ("pool1", nn.MaxPool2d(2)),                               # (N, c1, 4, 4)
                  ("conv2", nn.Conv2d(c1, c2, 3, padding=1)), ("relu2", nn.ReLU()),
                  ("pool2", nn.MaxPool2d(2)),                               # (N, c2, 2, 2)
                  ("flatten", nn.Flatten()),                                # (N, 4*c2)
                  ("fc", nn.Linear(4 * c2, cfg["fc"])), ("relu3", nn.ReLU())]
        last = cfg["fc"]
    if cfg["dropout"] > 0:
        layers.append(("dropout", nn.Dropout(cfg["dropout"])))
    layers.append(("out", nn.Linear(last, N_CLASSES)))
    return nn.Sequential(collections.OrderedDict(layers))


def load_splits(cfg):
    """Standardised (train, val, test) arrays; val is None when --val-size is 0."""
    X, y = load_digits()
    X = X / 16.0
    seed = cfg["seed"]
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=cfg["test_size"], seed=seed,
                                              stratify=y)
    val = None
    if cfg["val_size"] > 0:
        X_tr, X_va, y_tr, y_va = train_test_split(X_tr, y_tr, test_size=cfg["val_size"],
                                                  seed=seed, stratify=y_tr)
    # per-pixel standardisation with training statistics; +0.1 keeps always-blank
    # border pixels (std 0) from blowing up
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0) + 0.1
    shape = (-1, 1, 8, 8) if cfg["model"] == "cnn" else (-1, 64)       # NCHW for conv

    def prep(a):
        return ((a - mean) / std).astype(ag.get_default_dtype()).reshape(shape)

    train, test = (prep(X_tr), y_tr), (prep(X_te), y_te)
    if cfg["val_size"] > 0:
        val = (prep(X_va), y_va)
    return train, val, test, {"mean": mean, "std": std}


def _reseed(seed, epoch, rank=0):
    """Seed the shared generator (dropout masks) from (seed, epoch): resumable runs.
    Ranks other than 0 of a --distributed run add their rank: their own masks."""
    entropy = [seed, epoch] + ([rank] if rank else [])
    state = np.random.SeedSequence(entropy).generate_state(1)[0]
    ag.manual_seed(int(state))
