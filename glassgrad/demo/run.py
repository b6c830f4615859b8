"""The demo's run: set up, train with a progress bar, evaluate, write the outputs."""
import os
import sys
import time

import autograd as ag
import nn
import optim
from nn.data import DataLoader, TensorDataset

from ..training import EarlyStopping, History, evaluate, fit, plot_history
from .checkpoint import FORMAT, paths, read_checkpoint, restore
from .cli import RUN_KEYS, DemoError, build_parser, resolve_config
from .distributed import only_root_prints, setup, strip_module_prefix
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


def run(args, dist=None):
    """The demo; ``dist`` (``distributed.setup(args)``) for a --distributed run."""
    if args.compile and args.distributed:
        raise DemoError("--compile with --distributed: DistributedDataParallel averages "
                        "gradients in hooks during backward, which a replay would skip; "
                        "use one of the two")
    ckpt = read_checkpoint(args.resume) if args.resume else None
    cfg, notes = resolve_config(args, ckpt)
    root = dist is None or dist.is_root
    for note in notes if root else ():
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
    trained_model = model if dist is None else dist.wrap(model)     # DDP shares weights
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

    if dist is None:
        train_loader = DataLoader(TensorDataset(X_tr, y_tr), batch_size=cfg["batch_size"],
                                  shuffle=True, seed=cfg["seed"])
    else:
        train_loader = dist.train_loader(X_tr, y_tr, cfg)
    val_loader = None if val is None else DataLoader(TensorDataset(*val), batch_size=512)
    test_loader = DataLoader(TensorDataset(X_te, y_te), batch_size=512)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"digits: {len(y_tr)} train / {0 if val is None else len(val[1])} val / "
          f"{len(y_te)} test | {cfg['model']}: {n_params:,} parameters | Adam lr "
          f"{cfg['lr']:g}, batch {cfg['batch_size']}, seed {cfg['seed']}"
          + ("" if dist is None else f" | {dist.describe(cfg['batch_size'])}"))
    if start >= cfg["epochs"]:
        print(f"the checkpoint is already at epoch {start} of --epochs {cfg['epochs']}; "
              f"pass a larger --epochs to train more")
    elif start:
        print(f"resuming {args.resume} at epoch {start + 1} of {cfg['epochs']}")

    def save(epoch, hist):
        if dist is not None:                 # global metrics, plain keys, rank 0 writes
            dist.average_last(hist)
            if stopper is not None:
                stopper.best_state = strip_module_prefix(stopper.best_state)
            if not dist.is_root:
                return
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
        fit(trained_model, optimizer, loss_fn, train_loader, cfg["epochs"], val_loader,
            history=history, early_stopping=stopper, start_epoch=start,
            progress=not args.no_progress and root,
            on_epoch_start=lambda epoch: _reseed(cfg["seed"], epoch,
                                                 0 if dist is None else dist.rank),
            on_epoch_end=save, compile=args.compile)
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
    if not root:
        return 0
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
