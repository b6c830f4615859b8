"""Run under ``mpiexec -n K``: training throughput of the demo's models with DDP.

The demo's networks (``glassgrad.demo.build_model``: the MLP 64-256-10 and the CNN
with 32 and 64 channels and a 128-unit hidden layer, dropout 0.3) on the demo's
standardised digits, Adam, label-smoothed cross-entropy, the training loop a user
writes (zero_grad, forward, loss, backward, step). Per configuration, after warm-up
steps, every rank times ``steps`` steps and records

* wall and CPU seconds per step;
* seconds per step inside DDP's reduction (``ddp.reducer.stats``): packing the
  buckets, the allreduce and the wait for the slowest rank;
* the gradient bytes reduced per step;
* the compute per step: wall minus reduction.

Each configuration is measured 3 times and the repeat whose slowest rank was fastest
is kept.

``argv[1]`` is the output JSON (rank 0 writes it), ``argv[2]`` the mode: ``ddp`` (wrap
in DistributedDataParallel, per-rank batch = global / K) or ``plain`` (one process, no
DDP: the baseline) or ``compute`` (one process, step time for several batch sizes,
the compute model's input).
"""
import json
import sys
import time

import numpy as np

import autograd as ag
import nn
import optim
from glassgrad.demo.cli import DEFAULTS
from glassgrad.demo.models import build_model, load_splits

from mpi4py import MPI

COMM = MPI.COMM_WORLD
RANK, K = COMM.Get_rank(), COMM.Get_size()
STEPS, WARMUP, REPEAT = 60, 5, 3


def config(kind):
    return {"model": kind, "hidden": [256], "channels": [32, 64], "fc": 128, "seed": 0,
            "test_size": 0.2, "val_size": 0.1, **DEFAULTS[kind]}


def batches(X, y, batch, steps):
    rng = np.random.default_rng(RANK)
    for _ in range(steps):
        idx = rng.integers(0, len(y), size=batch)
        yield ag.tensor(X[idx]), ag.tensor(y[idx])


def time_steps(model, trained, X, y, batch, steps):
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    model.train()
    for xb, yb in batches(X, y, batch, WARMUP):
        opt.zero_grad()
        loss_fn(trained(xb), yb).backward()
        opt.step()
    reducer = getattr(trained, "reducer", None)
    before = dict(reducer.stats) if reducer else None
    COMM.Barrier()
    wall, cpu = time.perf_counter(), time.process_time()
    for xb, yb in batches(X, y, batch, steps):
        opt.zero_grad()
        loss_fn(trained(xb), yb).backward()
        opt.step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    row = {"wall_per_step": wall / steps, "cpu_per_step": cpu / steps}
    if reducer:
        row["allreduce_per_step"] = (reducer.stats["allreduce_seconds"]
                                     - before["allreduce_seconds"]) / steps
        row["compute_per_step"] = row["wall_per_step"] - row["allreduce_per_step"]
        row["bytes_per_step"] = (reducer.stats["allreduce_bytes"]
                                 - before["allreduce_bytes"]) / steps
        row["buckets"] = len(reducer.buckets)
    return row


def best_of(repeat, measure):
    """The repeat with the lowest wall time of the slowest rank (the machine is shared:
    the minimum is the run least disturbed by other processes)."""
    best = None
    for _ in range(repeat):
        row = measure()
        slowest = COMM.allreduce(row["wall_per_step"], op=MPI.MAX)
        if best is None or slowest < best[0]:
            best = (slowest, row)
    return best[1]


def gather_rows(row):
    rows = COMM.gather(row)
    if RANK != 0:
        return None
    keys = rows[0].keys()
    return {"ranks": rows, **{f"max_{k}": max(r[k] for r in rows) for k in keys},
            **{f"mean_{k}": float(np.mean([r[k] for r in rows])) for k in keys}}


def main():
    out_path, mode = sys.argv[1], sys.argv[2]
    result = {"world_size": K, "mode": mode, "steps": STEPS}
    for kind in ("mlp", "cnn"):
        cfg = config(kind)
        (X, y), _, _, _ = load_splits(cfg)
        ag.manual_seed(RANK)
        model = build_model(cfg)
        n_params = sum(p.numel() for p in model.parameters())
        if mode == "compute":
            result[kind] = {"params": n_params, "by_batch": {}}
            for batch in (4, 8, 16, 32, 64, 128):
                result[kind]["by_batch"][batch] = best_of(
                    REPEAT, lambda: time_steps(model, model, X, y, batch, 30))
            continue
        global_batch = 32
        trained = model
        if mode == "ddp":
            trained = nn.parallel.DistributedDataParallel(model)
        per_rank = global_batch // K if mode == "ddp" else global_batch
        row = best_of(REPEAT, lambda: time_steps(model, trained, X, y, per_rank, STEPS))
        result[kind] = {"params": n_params, "global_batch": global_batch,
                        "per_rank_batch": per_rank, **(gather_rows(row) or {})}
        # weak scaling: every rank keeps the full batch of 32
        if mode == "ddp":
            weak = best_of(REPEAT, lambda: time_steps(model, trained, X, y, global_batch,
                                                      STEPS))
            result[kind]["weak"] = gather_rows(weak)
    if RANK == 0:
        with open(out_path, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
