"""The demo's run: set up, train with a progress bar, evaluate, write the outputs."""
import math
import os
import sys
import time

import nn
import optim
from nn.data import DataLoader, TensorDataset

from ..training import EarlyStopping, History, evaluate, fit, plot_history
from .checkpoint import (Saver, default_out_dir, interrupt_advice, model_text, new_run_id,
                         paths, read_checkpoint, restore, same_file)
from .cli import N_CLASSES, DemoError, build_parser, resolve_config
from .distributed import only_root_prints, setup, strip_module_prefix
from .extras import check_optional
from .models import _reseed, build_model, load_splits
from .pictures import write_graph


def limit_blas_threads(n):
    """Limit NumPy's BLAS to ``n`` threads (0: leave it); True if it was done.

    NumPy is already imported when this runs, so the environment variable would come
    too late; threadpoolctl (in the ``train`` extra) tells the loaded library directly.
    An ``OPENBLAS_NUM_THREADS`` setting wins.
    """
    if n <= 0 or os.environ.get("OPENBLAS_NUM_THREADS"):
        return False
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(limits=n, user_api="blas")
    return True


def _build(cfg, ckpt, resume, dist):
    """Model (and the DDP wrapper that trains it in a --distributed run), optimizer,
    loss, history, early stopping and the first epoch to train."""
    _reseed(cfg["seed"], 0)
    model = build_model(cfg)
    trained_model = model if dist is None else dist.wrap(model)     # DDP shares weights
    optimizer = optim.Adam(model.parameters(), lr=cfg["lr"] or 1e-3,
                           weight_decay=cfg["weight_decay"])
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg["label_smoothing"])
    history = History()
    stopper = EarlyStopping(cfg["patience"]) if cfg["patience"] else None
    start = 0
    if ckpt is not None:
        start = restore(ckpt, resume, model, optimizer, history, stopper)
        if cfg["lr"] is not None:
            for group in optimizer.param_groups:
                group["lr"] = cfg["lr"]
        if stopper is not None and stopper.should_stop:
            stopper.counter, stopper.should_stop = 0, False      # asked to go on
    cfg["lr"] = optimizer.param_groups[0]["lr"]
    return model, trained_model, optimizer, loss_fn, history, stopper, start


def run(args, dist=None):
    """The demo; ``dist`` (``distributed.setup(args)``) for a --distributed run."""
    if args.compile and args.distributed:
        raise DemoError("--compile with --distributed: DistributedDataParallel averages "
                        "gradients in hooks during backward, which a replay would skip; "
                        "use one of the two")
    ckpt = read_checkpoint(args.resume) if args.resume else None
    cfg = resolve_config(args, ckpt)
    root = dist is None or dist.is_root
    for note in check_optional(args) if root else ():
        print(f"note: {note}", file=sys.stderr)
    limit_blas_threads(args.blas_threads)
    out_dir = default_out_dir(args)
    out = paths(cfg, out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise DemoError(f"--out-dir {out_dir}: cannot create it ({exc})") from None
    run_id = (ckpt or {}).get("run_id") or new_run_id()   # a resumed run keeps its id
    try:
        _train_and_report(args, cfg, ckpt, out, run_id, dist)
    except KeyboardInterrupt:
        resume_epoch = int(ckpt["epoch"]) if ckpt is not None else 0
        if root:                             # rank 0 writes the checkpoint: it knows
            advice = interrupt_advice(out["checkpoint"], run_id, args.resume, resume_epoch)
            print(f"\n{advice}", file=sys.stderr, flush=True)
        return 130
    return 0


def _train_and_report(args, cfg, ckpt, out, run_id, dist):
    root = dist is None or dist.is_root
    (X_tr, y_tr), val, test_set, norm = load_splits(cfg)
    model, trained_model, optimizer, loss_fn, history, stopper, start = _build(
        cfg, ckpt, args.resume, dist)
    if dist is None:
        train_loader = DataLoader(TensorDataset(X_tr, y_tr), batch_size=cfg["batch_size"],
                                  shuffle=True, seed=cfg["seed"])
    else:
        train_loader = dist.train_loader(X_tr, y_tr, cfg)
    val_loader = None if val is None else DataLoader(TensorDataset(*val), batch_size=512)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"digits: {len(y_tr)} train / {0 if val is None else len(val[1])} val / "
          f"{len(test_set[1])} test | {model_text(cfg)}: {n_params:,} parameters | Adam "
          f"lr {cfg['lr']:g}, batch {cfg['batch_size']}, seed {cfg['seed']}"
          + ("" if dist is None else f" | {dist.describe(cfg['batch_size'])}"), flush=True)
    if start >= cfg["epochs"]:
        print(f"the checkpoint is already at epoch {start} of --epochs {cfg['epochs']}; "
              f"pass a larger --epochs to train more")
    elif start:
        print(f"resuming {args.resume} at epoch {start + 1} of {cfg['epochs']}", flush=True)

    saver = Saver(cfg, out["checkpoint"], model, optimizer, stopper, norm, run_id)

    def on_epoch_end(epoch, hist):
        if dist is not None:                 # global metrics, plain keys, rank 0 writes
            dist.average_last(hist)
            if stopper is not None:
                stopper.best_state = strip_module_prefix(stopper.best_state)
            if not dist.is_root:
                return
        saver(epoch, hist)

    t0 = time.perf_counter()
    fit(trained_model, optimizer, loss_fn, train_loader, cfg["epochs"], val_loader,
        history=history, early_stopping=stopper, start_epoch=start,
        progress=not args.no_progress and root,
        on_epoch_start=lambda epoch: _reseed(cfg["seed"], epoch,
                                             0 if dist is None else dist.rank),
        on_epoch_end=on_epoch_end, compile=args.compile)
    seconds = time.perf_counter() - t0
    if root and len(history) == start and not same_file(args.resume, out["checkpoint"]):
        saver(start, history)                # nothing trained: still leave the checkpoint
    _finish(args, cfg, model, loss_fn, history, stopper, test_set, out,
            len(history) - start, seconds, root)


def _finish(args, cfg, model, loss_fn, history, stopper, test_set, out, trained, seconds,
            root=True):
    """Best weights back (early stopping), the test score, the plot and the graph."""
    if stopper is not None and stopper.should_stop and stopper.best_state is not None:
        stopper.restore(model)
        print(f"early stopping: restored the weights of epoch {stopper.best_epoch} "
              f"(lowest validation loss {stopper.best:.4f})")
    X_te, y_te = test_set
    test = evaluate(model, DataLoader(TensorDataset(X_te, y_te), batch_size=512), loss_fn)
    n_right = int(round(test["acc"] * len(y_te)))
    smoothing = cfg["label_smoothing"]
    why = (f" (label smoothing {smoothing:g}: even a perfect model scores "
           f"{_smoothed_floor(smoothing):.2f})" if smoothing else "")
    took = f"{trained} epoch(s) in {seconds:.1f} s" if trained > 0 else "no epoch trained"
    print(f"test accuracy: {100 * test['acc']:.2f}% ({n_right}/{len(y_te)}), test loss "
          f"{test['loss']:.4f}{why} | {took}")
    print(f"checkpoint: {out['checkpoint']}")
    if not root:
        return
    if not args.no_plot and len(history):
        plot_history(history, out["curves"],
                     title=f"{cfg['model'].upper()} on 8x8 digits (test accuracy "
                           f"{100 * test['acc']:.2f}%)")
        print(f"curves:     {out['curves']}")
    if not args.no_graph:
        print(write_graph(model, loss_fn, X_te[:4], y_te[:4], out["graph"],
                          label=cfg["model"].upper()))


def _smoothed_floor(eps, n_classes=N_CLASSES):
    """The least label-smoothed cross-entropy: the entropy of the smoothed target."""
    hi, lo = 1 - eps + eps / n_classes, eps / n_classes
    return -(hi * math.log(hi) + (n_classes - 1) * lo * math.log(lo))


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)            # bad flags: usage + message, exit 2
    dist = None
    try:
        dist = setup(args)
        with only_root_prints(dist):
            return run(args, dist)
    except DemoError as exc:
        # a distributed run: every rank meets a flag error, so rank 0 tells it; an
        # error once training started may be one rank's alone: it ends the whole job
        if dist is None or dist.is_root or dist.wrapped:
            parser.print_usage(sys.stderr)
            print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        if dist is not None and dist.wrapped and dist.size > 1:
            dist.abort(2)
        return 2
