"""Train an MLP or a small CNN on the shipped 8x8 digits: ``python -m nn.demo --help``.

The run: load the 1,797 digits (no download), split them into train / validation /
test sets (stratified, seeded), standardise every pixel with the training set's
mean and std, then train with Adam on mini-batches of the label-smoothed
cross-entropy

    L = -(1/B) sum_i sum_c q_ic log softmax(f(x_i))_c,   q_ic = (1 - eps)[c = y_i] + eps/10,

showing a tqdm bar with the running loss and accuracy. After every epoch a
checkpoint is written (model, optimizer, epoch, history, early-stopping state);
``--resume`` continues from it exactly where it stopped. At the end it prints the
test accuracy and writes into ``--out-dir``:

* ``<model>_curves.png``: train/val loss and accuracy per epoch (matplotlib, Agg);
* ``<model>_graph.svg``: the computational graph of one forward pass and loss on a
  few test images, with a cluster per layer (``autograd.draw_graph``; without the
  Graphviz ``dot`` program the DOT text goes to ``<model>_graph.dot``);
* ``<model>_checkpoint.npz``: ``nn.save`` of the state above (``nn.load`` reads it).

Everything random (split, init, shuffles, dropout) follows ``--seed``.
"""
import argparse
import collections
import ctypes
import os
import shutil
import sys
import time

import numpy as np

import autograd as ag
import nn
import optim
from nn.data import DataLoader, TensorDataset, load_digits, train_test_split
from nn.training import EarlyStopping, History, evaluate, fit, plot_history

N_CLASSES = 10
# per-model defaults of the flags whose default depends on --model
DEFAULTS = {
    "mlp": {"epochs": 30, "lr": 1e-3, "dropout": 0.0},
    "cnn": {"epochs": 20, "lr": 2e-3, "dropout": 0.3},
}
# flags that define the model and the data split: a resumed run takes them from the
# checkpoint (changing them would not continue the same run)
RUN_KEYS = ("model", "hidden", "channels", "fc", "dropout", "seed", "test_size",
            "val_size", "batch_size", "weight_decay", "label_smoothing")
FORMAT = "glassgrad-digits-demo/1"


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
        prog="python -m nn.demo",
        description="Train an MLP or a small CNN on the shipped 8x8 handwritten digits\n"
                    "(1,797 images, 10 classes) with a progress bar; print the test\n"
                    "accuracy and write a learning-curve PNG, the model's graph as SVG\n"
                    "and a checkpoint that --resume continues. Defaults reach about 99%\n"
                    "test accuracy in seconds.",
        epilog="examples:\n  python -m nn.demo\n  python -m nn.demo --model cnn\n"
               "  python -m nn.demo --epochs 5 && python -m nn.demo --resume "
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
    o.add_argument("--out-dir", default="runs", metavar="DIR",
                   help="where the PNG, SVG and checkpoint go (default: runs/)")
    o.add_argument("--resume", default=None, metavar="PATH",
                   help="continue the run saved in this checkpoint up to --epochs (the "
                        "model, split and batch size come from the checkpoint)")
    o.add_argument("--no-plot", action="store_true", help="do not write the learning-curve PNG")
    o.add_argument("--no-graph", action="store_true", help="do not draw the graph SVG")
    o.add_argument("--no-progress", action="store_true", help="hide the progress bar")
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


def resolve_config(args, checkpoint=None):
    """Flag values, per-model defaults, and (when resuming) the checkpoint's run keys."""
    given = {k: v for k, v in vars(args).items() if v is not None}
    notes = []
    if checkpoint is not None:
        saved = checkpoint["config"]
        for key in RUN_KEYS:
            if key in given and given[key] != saved[key]:
                notes.append(f"--{key.replace('_', '-')} {given[key]} ignored: the "
                             f"checkpoint's run uses {saved[key]}")
            given[key] = saved[key]
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
    return cfg, notes


def limit_blas_threads(n):
    """Best effort: set OpenBLAS's thread count at run time; True if it worked.

    NumPy is already imported when this runs (so the environment variable would come
    too late); the library is found among the loaded ones and told directly.
    """
    if n <= 0 or os.environ.get("OPENBLAS_NUM_THREADS") or not sys.platform.startswith(
            "linux"):
        return False
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f
                    if "openblas" in line.lower() and ".so" in line}
    except OSError:
        return False
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
                     "openblas_set_num_threads64_", "scipy_openblas_set_num_threads"):
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(ctypes.c_int(n))
                return True
    return False


# ------------------------------------------------------------------- model, data
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


def _reseed(seed, epoch):
    """Seed the shared generator (dropout masks) from (seed, epoch): resumable runs."""
    state = np.random.SeedSequence([seed, epoch]).generate_state(1)[0]
    ag.manual_seed(int(state))


# ------------------------------------------------------------------- checkpoints
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
        raise DemoError(f"--resume {path}: not a checkpoint written by python -m nn.demo "
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


# ------------------------------------------------------------------- the picture
def write_graph(model, loss_fn, x, y, base, label="model"):
    """Draw one forward pass + loss (after backward, so gradients show); return a note."""
    draw = getattr(ag, "draw_graph", None)
    if draw is None:
        return "graph: autograd.draw_graph is not available in this version; skipped"
    model.zero_grad()
    images, labels = ag.tensor(x), ag.tensor(y)
    images.name, labels.name = "images", "labels"
    loss = loss_fn(model(images), labels)
    loss.name = "loss"
    loss.backward()
    graph = draw(loss, title=f"{label} on {len(y)} test digits: forward pass, loss and "
                             f"gradients (one box per tensor, a cluster per layer)")
    model.zero_grad()
    problem = "Graphviz's `dot` program is not installed"
    if shutil.which("dot") is not None:
        try:
            svg = graph.pipe(format="svg")
        except Exception as exc:                  # a broken Graphviz install
            problem = f"Graphviz failed ({type(exc).__name__}: {exc})"
        else:
            with open(base + ".svg", "wb") as f:
                f.write(svg)
            return f"graph:      {base}.svg"
    with open(base + ".dot", "w") as f:
        f.write(graph.source)
    return (f"graph: {problem}, so wrote the DOT text to {base}.dot (install graphviz, or "
            f"render it with `dot -Tsvg {base}.dot -o {base}.svg`)")


# -------------------------------------------------------------------------- run
def run(args):
    ckpt = read_checkpoint(args.resume) if args.resume else None
    cfg, notes = resolve_config(args, ckpt)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    limit_blas_threads(args.blas_threads)
    out = paths(cfg, args.out_dir)
    try:
        os.makedirs(args.out_dir, exist_ok=True)
    except OSError as exc:
        raise DemoError(f"--out-dir {args.out_dir}: cannot create it ({exc})") from None

    (X_tr, y_tr), val, (X_te, y_te), norm = load_splits(cfg)
    _reseed(cfg["seed"], 0)
    model = build_model(cfg)
    optimizer = optim.Adam(model.parameters(), lr=cfg["lr"] or 1e-3,
                           weight_decay=cfg["weight_decay"])
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg["label_smoothing"])
    history = History()
    stopper = EarlyStopping(cfg["patience"]) if cfg["patience"] else None
    start = 0
    if ckpt is not None:
        start = restore(ckpt, args.resume, model, optimizer, history, stopper)
        if cfg["lr"] is not None:
            for group in optimizer.param_groups:
                group["lr"] = cfg["lr"]
        if stopper is not None and stopper.should_stop:
            stopper.counter, stopper.should_stop = 0, False      # asked to go on
    cfg["lr"] = optimizer.param_groups[0]["lr"]

    train_loader = DataLoader(TensorDataset(X_tr, y_tr), batch_size=cfg["batch_size"],
                              shuffle=True, seed=cfg["seed"])
    val_loader = None if val is None else DataLoader(TensorDataset(*val), batch_size=512)
    test_loader = DataLoader(TensorDataset(X_te, y_te), batch_size=512)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"digits: {len(y_tr)} train / {0 if val is None else len(val[1])} val / "
          f"{len(y_te)} test | {cfg['model']}: {n_params:,} parameters | Adam lr "
          f"{cfg['lr']:g}, batch {cfg['batch_size']}, seed {cfg['seed']}")
    if start >= cfg["epochs"]:
        print(f"the checkpoint is already at epoch {start} of --epochs {cfg['epochs']}; "
              f"pass a larger --epochs to train more")
    elif start:
        print(f"resuming {args.resume} at epoch {start + 1} of {cfg['epochs']}")

    def save(epoch, hist):
        state = {"format": FORMAT, "config": {k: cfg[k] for k in RUN_KEYS + (
                     "epochs", "patience", "lr")},
                 "epoch": epoch, "model": model.state_dict(),
                 "optimizer": optimizer.state_dict(), "history": hist.state_dict(),
                 "normalization": norm,
                 "early_stopping": None if stopper is None else stopper.state_dict()}
        try:
            nn.save(state, out["checkpoint"])
        except OSError as exc:
            raise DemoError(f"cannot write the checkpoint {out['checkpoint']} ({exc}); "
                            f"choose another --out-dir") from None

    t0 = time.perf_counter()
    try:
        fit(model, optimizer, loss_fn, train_loader, cfg["epochs"], val_loader,
            history=history, early_stopping=stopper, start_epoch=start,
            progress=not args.no_progress,
            on_epoch_start=lambda epoch: _reseed(cfg["seed"], epoch), on_epoch_end=save)
    except KeyboardInterrupt:
        print(f"\ninterrupted; the last finished epoch is in {out['checkpoint']} "
              f"(continue with --resume {out['checkpoint']})", file=sys.stderr)
        return 130
    seconds = time.perf_counter() - t0
    if stopper is not None and stopper.should_stop and stopper.best_state is not None:
        stopper.restore(model)
        print(f"early stopping: restored the weights of epoch {stopper.best_epoch} "
              f"(lowest validation loss {stopper.best:.4f})")

    test = evaluate(model, test_loader, loss_fn)
    trained = len(history) - start if len(history) > start else 0
    n_right = int(round(test["acc"] * len(y_te)))
    print(f"test accuracy: {100 * test['acc']:.2f}% ({n_right}/{len(y_te)}), test loss "
          f"{test['loss']:.4f} | {trained} epoch(s) in {seconds:.1f} s")
    print(f"checkpoint: {out['checkpoint']}")
    if not args.no_plot and len(history):
        plot_history(history, out["curves"],
                     title=f"{cfg['model'].upper()} on 8x8 digits (test accuracy "
                           f"{100 * test['acc']:.2f}%)")
        print(f"curves:     {out['curves']}")
    if not args.no_graph:
        print(write_graph(model, loss_fn, X_te[:4], y_te[:4], out["graph"],
                          label=cfg["model"].upper()))
    return 0


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)            # bad flags: usage + message, exit 2
    try:
        return run(args)
    except DemoError as exc:
        parser.print_usage(sys.stderr)
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
