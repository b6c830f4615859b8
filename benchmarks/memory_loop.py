"""Peak memory of the usual training loop, as a ratio to one graph's.

    for xb, yb in loader:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(); loss.backward(); opt.step()

While the next batch's forward runs, ``loss`` still names the previous step's graph.
If that graph kept its activations after its backward, the loop would hold two graphs
at its peak where PyTorch holds one. This script measures it with ``tracemalloc`` on an
MLP and a CNN (float32, as people train):

* ``one graph``: the peak of a single isolated step (forward and backward, nothing
  from an earlier step alive) above the memory the model, optimizer state and data
  take on their own;
* ``loop``: the peak of ``--steps`` steps of the loop above that same baseline;
* ``ratio`` = loop / one graph (1.0 is ideal; 2.0 is "two graphs").

Run: ``python -m benchmarks.memory_loop`` (``--steps``, ``--json``).
"""
import argparse
import gc
import json
import tracemalloc

import numpy as np

import autograd as ag
import nn
import nn.functional as F
import optim

MODELS = ("mlp", "cnn")


def build(kind, seed=0):
    """(model, batches) for ``kind``: an MLP on 784 features or a small CNN on 28x28."""
    ag.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10))
        shape = (256, 784)
    elif kind == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
        shape = (64, 1, 28, 28)
    else:
        raise ValueError(f"memory_loop: unknown model {kind!r}; choose from {MODELS}")
    batches = [(ag.tensor(rng.standard_normal(shape).astype(np.float32)),
                ag.tensor(rng.integers(0, 10, size=shape[0]))) for _ in range(4)]
    return model, batches


def _step(model, opt, xb, yb):
    loss = F.cross_entropy(model(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def measure(kind, steps=6):
    """{'one_graph': bytes, 'loop': bytes, 'ratio': loop / one_graph} for ``kind``."""
    tracemalloc.start()         # before anything is built: frees of untraced memory
    try:                        # would not count
        model, batches = build(kind)
        opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        for xb, yb in batches[:2]:          # optimizer state, grads, caches exist from here
            _step(model, opt, xb, yb)
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        loss = _step(model, opt, *batches[2])          # one step, nothing else alive
        one = tracemalloc.get_traced_memory()[1] - base
        del loss
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        loss = None
        for k in range(steps):                          # the usual loop
            xb, yb = batches[k % len(batches)]
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        loop = tracemalloc.get_traced_memory()[1] - base
        del loss
    finally:
        tracemalloc.stop()
    return {"one_graph": one, "loop": loop, "ratio": loop / one}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory_loop",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    results = {kind: measure(kind, args.steps) for kind in MODELS}
    if args.json:
        print(json.dumps(results, indent=2))
        return results
    print(f"{'model':6} {'one graph (MB)':>15} {'loop peak (MB)':>15} {'ratio':>6}")
    for kind, r in results.items():
        print(f"{kind:6} {r['one_graph'] / 1e6:15.2f} {r['loop'] / 1e6:15.2f} "
              f"{r['ratio']:6.2f}")
    return results


if __name__ == "__main__":
    main()
