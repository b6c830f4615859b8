"""A 100,000-node chain: trace and DOT are iterative and fast enough to be usable.

The time is printed (run with -s to see it), never asserted.
"""
import re
import sys
import time

import autograd as ag

N = 100_000


def test_100k_chain_trace_and_dot():
    x = ag.Tensor(0.5, requires_grad=True, name="x")
    y = x
    for _ in range(N - 1):
        y = ag.sin(y)
    assert sys.getrecursionlimit() < N              # a recursive walk could not do this
    t0 = time.perf_counter()
    g = ag.viz.trace(y)
    t1 = time.perf_counter()
    text = ag.to_dot(y, max_nodes=None)
    t2 = time.perf_counter()
    assert len(g.tensors) == N and len(g.edges) == N - 1
    assert len(re.findall(r'^\t"t\d+" \[', text, flags=re.M)) == N
    assert text.count(" -> ") == N - 1
    assert f'"t{x._index}" [' in text and "<b>x</b>" in text
    capped = ag.to_dot(y)                             # default max_nodes keeps it drawable
    assert f"{N - ag.viz.dot.DEFAULT_MAX_NODES} more nodes not drawn" in capped
    print(f"\n100k-node chain: trace {t1 - t0:.2f} s, to_dot {t2 - t1:.2f} s, "
          f"{len(text) / 1e6:.1f} MB of DOT")
