"""The demo's checkpoints: where they go, reading one back, restoring a run from it."""
import os

import nn

from .cli import PROG, RUN_KEYS, DemoError

FORMAT = "glassgrad-digits-demo/1"


def paths(cfg, out_dir):
    base = os.path.join(out_dir, cfg["model"])
    return {"checkpoint": base + "_checkpoint.npz", "curves": base + "_curves.png",
            "graph": base + "_graph"}


def read_checkpoint(path):
    """``nn.load`` the checkpoint and check it is one of ours, else DemoError."""
    if not os.path.isfile(path):
        raise DemoError(f"--resume {path}: no such file")
    try:
        ckpt = nn.load(path)
    except Exception as exc:                      # any reader error means unreadable
        raise DemoError(f"--resume {path}: cannot read it as an nn.save checkpoint "
                        f"({type(exc).__name__}: {exc})") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise DemoError(f"--resume {path}: not a checkpoint written by {PROG} "
                        f"(expected format {FORMAT!r})")
    missing = [k for k in ("config", "model", "optimizer", "epoch", "history")
               if k not in ckpt]
    if not missing and isinstance(ckpt["config"], dict):
        missing = [f"config[{k!r}]" for k in RUN_KEYS + ("epochs", "patience")
                   if k not in ckpt["config"]]
    if missing:
        raise DemoError(f"--resume {path}: the checkpoint lacks {', '.join(missing)}")
    return ckpt


def restore(ckpt, path, model, optimizer, history, stopper):
    try:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        history.load_state_dict(ckpt["history"])
        if stopper is not None and ckpt.get("early_stopping"):
            stopper.load_state_dict(ckpt["early_stopping"])
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise DemoError(f"--resume {path}: the checkpoint does not fit this model "
                        f"({type(exc).__name__}: {exc})") from None
    return int(ckpt["epoch"])
