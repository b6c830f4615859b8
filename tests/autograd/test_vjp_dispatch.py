"""matmul's and transpose's VJPs call NumPy themselves in a plain backward (arrays), and
the primitives under ``create_graph`` (Tensors, so that the graph is recorded): the same
calls, so the same bits either way."""
import numpy as np
import pytest

import autograd as ag
from autograd.ops.registry import Primitive


def _counting(monkeypatch):
    """Record the matmul and transpose primitives' calls made through ``Primitive()``
    (what a VJP calls; a forward applies them without it)."""
    calls = []
    call = Primitive.__call__

    def counted(self, *args, **params):
        if self.name in ("matmul", "transpose"):
            calls.append(self.name)
        return call(self, *args, **params)
    monkeypatch.setattr(Primitive, "__call__", counted)
    return calls


def _rnn_like(a_shape, dtype):
    """``h @ W.T`` and ``x @ W.T`` with x batched: the column-major operand, the batch of
    rows folded into one product, and the transpose node of ``W.T``."""
    rng = np.random.default_rng(0)
    W = ag.Tensor(rng.standard_normal((5, a_shape[-1])).astype(dtype), requires_grad=True)
    x = ag.Tensor(rng.standard_normal(a_shape).astype(dtype), requires_grad=True)
    B = ag.Tensor(rng.standard_normal((5, 3)).astype(dtype), requires_grad=True)
    y = ((x @ W.T) @ B).sum()
    return y, (W, x, B)


@pytest.mark.parametrize("a_shape", [(4, 6), (3, 4, 6)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_plain_backward_calls_numpy_and_create_graph_the_primitives(monkeypatch, a_shape,
                                                                      dtype):
    calls = _counting(monkeypatch)
    y, leaves = _rnn_like(a_shape, dtype)
    del calls[:]
    plain = ag.grad(y, leaves)
    assert calls == []
    y, leaves = _rnn_like(a_shape, dtype)
    del calls[:]
    recorded = ag.grad(y, leaves, create_graph=True)
    assert "matmul" in calls and "transpose" in calls
    assert all(g.grad_fn is not None for g in recorded)
    for p, r in zip(plain, recorded):
        assert p.data.dtype == r.data.dtype and p.data.tobytes() == r.data.tobytes()
        assert p.data.flags.c_contiguous == r.data.flags.c_contiguous
