"""The demo's checkpoints: where they go, writing one after each epoch, reading one
back, restoring a run from it, and what to tell the user after Ctrl-C.

A checkpoint (``nn.save``, written atomically) holds the run's configuration (the
model and data flags, ``RUN_KEYS``), a one-line model summary, a random ``run_id``
that tells this run's file from an older run's, the epoch, and the model, optimizer,
history and early-stopping states.
"""
import os

import nn

from .cli import PROG, RUN_KEYS, DemoError

FORMAT = "glassgrad-digits-demo/1"


def default_out_dir(args):
    """``--out-dir`` as given; else the resumed checkpoint's folder; else ``runs``."""
    if args.out_dir is not None:
        return args.out_dir
    if args.resume:
        return os.path.dirname(args.resume) or "."
    return "runs"


def model_text(cfg):
    """The network in one line, e.g. ``mlp 64-256-10`` or ``cnn conv 32,64 fc 128``."""
    if cfg["model"] == "mlp":
        return "mlp " + "-".join(str(n) for n in [64, *cfg["hidden"], 10])
    return f"cnn conv {','.join(str(c) for c in cfg['channels'])} fc {cfg['fc']}"


def same_file(a, b):
    """True when paths ``a`` and ``b`` name the same existing file."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def new_run_id():
    """A token that tells this run's checkpoints from an earlier run's (not seeded)."""
    return os.urandom(8).hex()


def saved_epoch(path, run_id):
    """The epoch in checkpoint ``path`` if it exists and belongs to run ``run_id``."""
    if not os.path.isfile(path):
        return None
    try:
        ckpt = nn.load(path)
    except Exception:                             # unreadable: not ours to name
        return None
    if not isinstance(ckpt, dict) or ckpt.get("run_id") != run_id:
        return None
    return int(ckpt["epoch"])


def interrupt_advice(checkpoint, run_id, resume=None, resume_epoch=0):
    """What to say after Ctrl-C: a file that exists and holds this run, or that none does.

    The checkpoint file is read back rather than trusted from memory, so a Ctrl-C
    during a save (which is atomic) still gets the epoch that is really on disk.
    ``resume``/``resume_epoch``: the checkpoint this run was resumed from, if any.
    """
    epoch = saved_epoch(checkpoint, run_id)
    if epoch is not None:
        return (f"interrupted; epoch {epoch} is saved in {checkpoint}: continue with "
                f"--resume {checkpoint}")
    if resume:
        return (f"interrupted before finishing an epoch; {resume} still holds epoch "
                f"{resume_epoch}: continue with --resume {resume}")
    text = ("interrupted before the first epoch finished: nothing was saved yet (a "
            "checkpoint is written after each epoch); run again to start over")
    if os.path.exists(checkpoint):
        text += f". {checkpoint} is from an earlier run, not this one"
    return text


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


class Saver:
    """``fit``'s ``on_epoch_end``: write the run's state to ``path`` (atomically);
    ``epoch`` is the last epoch written by this process (0: none yet)."""

    def __init__(self, cfg, path, model, optimizer, stopper, norm, run_id):
        self.cfg, self.path, self.norm, self.run_id = cfg, path, norm, run_id
        self.model, self.optimizer, self.stopper = model, optimizer, stopper
        self.epoch = 0

    def __call__(self, epoch, history):
        cfg, model = self.cfg, self.model
        n_params = sum(p.numel() for p in model.parameters())
        state = {"format": FORMAT, "run_id": self.run_id,
                 "config": {k: cfg[k] for k in RUN_KEYS + ("epochs", "patience", "lr")},
                 "model_summary": f"{model_text(cfg)}, {n_params} parameters",
                 "epoch": epoch, "model": model.state_dict(),
                 "optimizer": self.optimizer.state_dict(), "history": history.state_dict(),
                 "normalization": self.norm,
                 "early_stopping": None if self.stopper is None else self.stopper.state_dict()}
        try:
            nn.save(state, self.path)                 # atomic: a Ctrl-C leaves the old file
        except OSError as exc:
            raise DemoError(f"cannot write the checkpoint {self.path} ({exc}); "
                            f"choose another --out-dir") from None
        self.epoch = epoch
