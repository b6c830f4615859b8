"""The α–β model of data-parallel training, fitted to the measurements in results.json.

Communication (ring allreduce of n bytes over p processes): a reduce-scatter then an
allgather, each p-1 steps that move n/p bytes,

    T_ar(p, n) = 2 (p - 1) α + 2 ((p - 1) / p) n β,

with α the latency of one message and β the seconds per byte (the sum of the arrays
folded in). On 2 processes this is 2α + nβ, which is what is fitted to the measured
allreduce times (so α and β include the MPI library's and DDP's wait overheads); the
ping-pong fit t = α + nβ is reported beside it as a check.

Compute (one process, the demo's step: forward, loss, backward, Adam):

    T_c(b) = c0 + c1 b,

fitted to the CPU time per step at batch sizes 4..128 (CPU time, because the wall
clock of a shared machine also counts other processes). c0 is the per-step cost that
does not shrink with the batch (Python and per-op overhead), c1 the cost per sample.

A step on p machines, the gradient reduced after backward (as DDP does now):
    T(p) = T_c(b) + T_ar(p, n),
and with the reduction overlapped with backward (the post-accumulate-grad hook):
    T(p) >= max(T_c(b), T_fwd(b) + T_ar(p, n)),   T_fwd ~ T_c / 3.
Weak scaling keeps b = 32 per machine; strong scaling splits a global batch B.
"""
import numpy as np

PROCESSES = [1, 2, 4, 8, 16, 32, 64]
# Typical published figures for two interconnects, for a sensitivity check only (not
# measured here): MPI latency and bandwidth between two machines.
NETWORKS = {"10 GbE (TCP)": (25e-6, 1 / 1.1e9), "100 Gb/s InfiniBand": (2e-6, 1 / 11e9)}


def fit_line(x, y):
    """Least squares y = a + b x on the given points; returns (a, b)."""
    b, a = np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)
    return float(a), float(b)


def fit_alpha_beta(sizes_to_seconds, messages=1.0):
    """(α, β) of t(n) = messages·α + n·β, least squares on the relative error (each
    size counts alike, from 8 bytes to 16 MiB; an absolute fit would be all large
    sizes, and their noise)."""
    sizes = np.array(sorted(int(n) for n in sizes_to_seconds), dtype=float)
    t = np.array([sizes_to_seconds[str(int(n))] for n in sizes])
    design = np.stack([np.full_like(sizes, messages), sizes], axis=1) / t[:, None]
    (alpha, beta), *_ = np.linalg.lstsq(design, np.ones_like(t), rcond=None)
    return max(float(alpha), 0.0), max(float(beta), 0.0)


def fit_compute(by_batch, key="cpu_per_step"):
    """(c0, c1) of T_c(b) = c0 + c1 b from ``{batch: row}``."""
    batches = sorted(int(b) for b in by_batch)
    return fit_line(batches, [by_batch[str(b)][key] for b in batches])


def ring_allreduce(p, nbytes, alpha, beta):
    if p == 1:
        return 0.0
    return 2 * (p - 1) * alpha + 2 * (p - 1) / p * nbytes * beta


def step_time(p, batch, nbytes, compute, alpha, beta, overlap=False):
    c0, c1 = compute
    t_c = c0 + c1 * batch
    t_ar = ring_allreduce(p, nbytes, alpha, beta)
    if overlap:
        return max(t_c, t_c / 3 + t_ar)
    return t_c + t_ar


def weak_scaling(nbytes, compute, alpha, beta, batch=32, overlap=False):
    """Speed-up in samples/s over one process, every machine keeping ``batch``."""
    t1 = step_time(1, batch, nbytes, compute, alpha, beta)
    return {p: p * t1 / step_time(p, batch, nbytes, compute, alpha, beta, overlap)
            for p in PROCESSES}


def strong_scaling(nbytes, compute, alpha, beta, global_batch=512):
    """Speed-up over one process when ``global_batch`` is split over p machines."""
    t1 = step_time(1, global_batch, nbytes, compute, alpha, beta)
    return {p: t1 / step_time(p, global_batch / p, nbytes, compute, alpha, beta)
            for p in PROCESSES}


def crossover(nbytes, compute, alpha, beta, batch=32):
    """The smallest p (2..4096) at which communication takes as long as the compute of
    a step of ``batch`` samples (weak-scaling efficiency 50%), or None."""
    c0, c1 = compute
    t_c = c0 + c1 * batch
    for p in range(2, 4097):
        if ring_allreduce(p, nbytes, alpha, beta) >= t_c:
            return p
    return None


def best_strong(nbytes, compute, alpha, beta, global_batch=512):
    """(p, speed-up) where strong scaling peaks, p up to the global batch."""
    t1 = step_time(1, global_batch, nbytes, compute, alpha, beta)
    speedups = {p: t1 / step_time(p, global_batch / p, nbytes, compute, alpha, beta)
                for p in range(1, global_batch + 1)}
    p = max(speedups, key=speedups.get)
    return p, speedups[p]
