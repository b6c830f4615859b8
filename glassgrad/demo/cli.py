"""The demo's command line: flags, per-model defaults and their validation."""
import argparse

PROG = "python -m glassgrad.demo"
N_CLASSES = 10
# per-model defaults of the flags whose default depends on --model
DEFAULTS = {
    "mlp": {"epochs": 30, "lr": 1e-3, "dropout": 0.0},
    "cnn": {"epochs": 20, "lr": 2e-3, "dropout": 0.3},
}
# flags that define the model and the data split: a resumed run takes them from the
# checkpoint, and giving a different value with --resume is refused (it would not
# continue the same run)
RUN_KEYS = ("model", "hidden", "channels", "fc", "dropout", "seed", "test_size",
            "val_size", "batch_size", "weight_decay", "label_smoothing")


class DemoError(Exception):
    """A problem the user can fix (bad flag value, unreadable checkpoint): exit 2."""


# --------------------------------------------------------------------- arguments
def _int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def build_parser():
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Train an MLP or a small CNN on the shipped 8x8 handwritten digits\n"
                    "(1,797 images, 10 classes) with a progress bar; print the test\n"
                    "accuracy and write a learning-curve PNG, the model's graph as SVG\n"
                    "(with an HTML walk-through of its backward pass that plays in any\n"
                    "browser) and a checkpoint that --resume continues. Defaults reach about 99%\n"
                    "test accuracy in seconds.",
        epilog="examples:\n  python -m glassgrad.demo\n  python -m glassgrad.demo --model cnn\n"
               "  python -m glassgrad.demo --epochs 5 && python -m glassgrad.demo --resume "
               "runs/mlp_checkpoint.npz --epochs 10",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    m = p.add_argument_group("model")
    m.add_argument("--model", choices=("mlp", "cnn"), default=None,
                   help="mlp: 64 -> hidden -> 10 fully connected with ReLU; cnn: two 3x3 "
                        "conv + ReLU + 2x2 max-pool blocks, then a hidden layer "
                        "(default: mlp)")
    m.add_argument("--hidden", type=_int_list, default=None, metavar="N[,N...]",
                   help="MLP hidden layer sizes, comma-separated (default: 256)")
    m.add_argument("--channels", type=_int_list, default=None, metavar="C1,C2",
                   help="CNN output channels of the two conv layers (default: 32,64)")
    m.add_argument("--fc", type=int, default=None, metavar="N",
                   help="CNN hidden fully connected size (default: 128)")
    m.add_argument("--dropout", type=float, default=None, metavar="P",
                   help="dropout probability before the last layer (default: 0 for mlp, "
                        "0.3 for cnn)")
    t = p.add_argument_group("training")
    t.add_argument("--epochs", type=int, default=None, metavar="N",
                   help="total number of epochs, counting those of a resumed run "
                        "(default: 30 for mlp, 20 for cnn)")
    t.add_argument("--batch-size", type=int, default=None, metavar="B",
                   help="mini-batch size (default: 32)")
    t.add_argument("--lr", type=float, default=None,
                   help="Adam learning rate (default: 0.001 for mlp, 0.002 for cnn; with "
                        "--resume it replaces the checkpoint's)")
    t.add_argument("--label-smoothing", type=float, default=None, metavar="EPS",
                   help="cross-entropy label smoothing: the target puts 1-EPS on the true "
                        "class and EPS spread over all classes; the losses shown include "
                        "it (default: 0.1)")
    t.add_argument("--weight-decay", type=float, default=None, metavar="WD",
                   help="Adam L2 weight decay (default: 0)")
    t.add_argument("--patience", type=int, default=None, metavar="K",
                   help="early stopping (the course's rule): stop after K consecutive "
                        "epochs in which the validation loss increased, then go back to "
                        "the weights of the lowest validation loss; 0 turns it off "
                        "(default: 3)")
    t.add_argument("--seed", type=int, default=None,
                   help="seed of the split, the initialisation, the shuffles and dropout "
                        "(default: 0)")
    d = p.add_argument_group("data")
    d.add_argument("--test-size", type=float, default=None, metavar="F",
                   help="fraction of the digits held out for the final test (default: 0.2)")
    d.add_argument("--val-size", type=float, default=None, metavar="F",
                   help="fraction of the remaining digits used for validation curves and "
                        "early stopping (default: 0.1)")
    o = p.add_argument_group("output")
    o.add_argument("--out-dir", default=None, metavar="DIR",
                   help="where the PNG, SVG and checkpoint go (default: runs/; with "
                        "--resume, the folder of that checkpoint)")
    o.add_argument("--resume", default=None, metavar="PATH",
                   help="continue the run saved in this checkpoint up to --epochs (the "
                        "model, split and batch size come from the checkpoint; a "
                        "different value for one of them is refused)")
    o.add_argument("--no-plot", action="store_true", help="do not write the learning-curve PNG")
    o.add_argument("--no-graph", action="store_true", help="do not draw the graph SVG and its HTML walk-through")
    o.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    o.add_argument("--distributed", action="store_true",
                   help="data-parallel training over MPI, started as `mpiexec -n K python "
                        "-m glassgrad.demo --distributed` (needs glassgrad[distributed]); "
                        "--batch-size stays the global batch, split over the K ranks; rank "
                        "0 prints and writes the outputs")
    o.add_argument("--compile", action="store_true",
                   help="capture one training step with ag.compile and replay it as flat "
                        "NumPy (the same numbers; see docs/compile.md)")
    o.add_argument("--blas-threads", type=int, default=1, metavar="N",
                   help="threads for NumPy's BLAS; these matrices are tiny, and one thread "
                        "avoids thread wake-up stalls on a busy machine (0: leave as is; "
                        "an OPENBLAS_NUM_THREADS setting wins; default: 1)")
    return p


def _check(cfg):
    """Validate flag values; raise DemoError naming the flag."""
    def need(ok, flag, value, what):
        if not ok:
            raise DemoError(f"{flag} {value}: {what}")
    need(cfg["epochs"] >= 1, "--epochs", cfg["epochs"], "must be at least 1")
    need(cfg["batch_size"] >= 1, "--batch-size", cfg["batch_size"], "must be at least 1")
    need(cfg["lr"] > 0, "--lr", cfg["lr"], "must be positive")
    need(cfg["weight_decay"] >= 0, "--weight-decay", cfg["weight_decay"], "must be >= 0")
    need(0 <= cfg["dropout"] < 1, "--dropout", cfg["dropout"], "must be in [0, 1)")
    need(0 <= cfg["label_smoothing"] < 1, "--label-smoothing", cfg["label_smoothing"],
         "must be in [0, 1)")
    need(cfg["patience"] >= 0, "--patience", cfg["patience"], "must be >= 0 (0: off)")
    need(0 < cfg["test_size"] < 1, "--test-size", cfg["test_size"], "must be in (0, 1)")
    need(0 <= cfg["val_size"] < 1, "--val-size", cfg["val_size"], "must be in [0, 1)")
    need(cfg["seed"] >= 0, "--seed", cfg["seed"], "must be >= 0")
    need(cfg["fc"] >= 1, "--fc", cfg["fc"], "must be at least 1")
    need(len(cfg["channels"]) == 2, "--channels", ",".join(map(str, cfg["channels"])),
         "needs exactly two numbers, e.g. 32,64")
    if cfg["patience"] and not cfg["val_size"]:
        raise DemoError("--patience needs a validation set; give --val-size > 0")


def flag_text(key, value):
    """``--hidden 256,128`` for ``("hidden", [256, 128])``: a run key as a flag."""
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return f"--{key.replace('_', '-')} {value}"


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else value


def _refuse_changed_run_keys(given, saved, path):
    """A flag that would change the checkpoint's model or data is an error, not a note."""
    changed = [key for key in RUN_KEYS
               if key in given and _as_list(given[key]) != _as_list(saved[key])]
    if changed:
        theirs = ", ".join(flag_text(k, saved[k]) for k in changed)
        yours = ", ".join(flag_text(k, given[k]) for k in changed)
        raise DemoError(
            f"--resume {path}: that checkpoint's run uses {theirs}, not {yours}; a "
            f"resumed run keeps its model, data split and batch size. Drop "
            f"{'that flag' if len(changed) == 1 else 'those flags'} to continue it, or "
            f"start a new run without --resume (with another --out-dir to keep the old one)")


def resolve_config(args, checkpoint=None):
    """Flag values, per-model defaults, and (when resuming) the checkpoint's run keys.

    A run flag (``RUN_KEYS``) given with ``--resume`` must equal the checkpoint's,
    else DemoError; ``--epochs``, ``--patience`` and ``--lr`` may change.
    """
    given = {k: v for k, v in vars(args).items() if v is not None}
    if checkpoint is not None:
        saved = checkpoint["config"]
        _refuse_changed_run_keys(given, saved, args.resume)
        given.update({key: saved[key] for key in RUN_KEYS})
        given.setdefault("epochs", saved["epochs"])
        given.setdefault("patience", saved["patience"])
    kind = given.get("model", "mlp")
    cfg = {"model": kind, "hidden": [256], "channels": [32, 64], "fc": 128,
           "batch_size": 32, "weight_decay": 0.0, "label_smoothing": 0.1, "patience": 3,
           "seed": 0,
           "test_size": 0.2, "val_size": 0.1, **DEFAULTS[kind]}
    cfg.update(given)
    if "patience" not in given and not cfg["val_size"]:
        cfg["patience"] = 0                 # nothing to monitor without a val set
    if checkpoint is not None and args.lr is None:
        cfg["lr"] = None                    # keep the optimizer's saved learning rate
    else:
        cfg["lr"] = float(cfg["lr"])
    _check({**cfg, "lr": cfg["lr"] or 1.0})
    return cfg
