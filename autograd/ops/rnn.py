"""The LSTM cell's pointwise combination as one primitive: ``lstm_cell(acts, state)``.

The state stacks ``[h; c]`` along the first axis (2H, ...). ``acts`` (4H, ...) stacks
the gate activations ``[i; f; s_g; o]``, all four from ONE sigmoid of the
pre-activations, the cell candidate's doubled: ``s_g = σ(2 a_g)``, since
``tanh(a) = 2 σ(2a) - 1``. Then::

    g = 2 s_g - 1             c' = f c + i g            h' = o tanh(c')
    lstm_cell(acts, state) = [h'; c']

(the h rows of the input state are not read: h enters through the gates). The VJPs,
with upstream ``[G_h; G_c]`` and ``δ = G_c + G_h o (1 - tanh²(c'))`` (the total
gradient at ``c'``)::

    d acts = [δ g; δ c; 2 δ i; G_h tanh(c')]          d state = [0; δ f]

Why a primitive: composed of split/sigmoid/tanh/mul/add, the cell is 13 graph nodes
per time step, and with T steps that node count, not the arithmetic, is what a
recurrent network's training step costs (an LSTM over 50 steps ran 2.4x slower than
hand-written NumPy composed, see nn/functional/rnn.py). Taking the activations
rather than the pre-activations keeps the sigmoid a node of its own, whose VJP
reuses its output: a primitive saves nothing but its output, so a cell taking the
pre-activations recomputes four exponentials in its VJPs (measured 3-5% slower per
training step). State in, state out needs no slice for c. The VJPs are registry
ops, so the cell is twice differentiable.
"""
import numpy as np

from .elementwise import sigmoid, tanh
from .index import concatenate
from .registry import defprimitive
from .spec import Case

__all__ = ["lstm_cell"]


def _check(acts, state):
    n = state.shape[0] // 2 if state.ndim else 0
    if n == 0 or state.shape[0] != 2 * n or acts.shape != (4 * n,) + state.shape[1:]:
        raise ValueError(f"lstm_cell: expected a state [h; c] of shape (2H, ...) and gate "
                         f"activations [i; f; s_g; o] of shape (4H, ...) with the same "
                         f"trailing axes; got acts {acts.shape} and state {state.shape}")


def _lstm_cell_forward(acts, state):
    _check(acts, state)
    n = state.shape[0] // 2
    out = np.empty(state.shape, dtype=np.result_type(acts, state))
    h_new, c_new = out[:n], out[n:]
    np.multiply(acts[n:2 * n], state[n:], out=c_new)                  # f c
    c_new += acts[:n] * (2 * acts[2 * n:3 * n] - 1)                   # + i g
    np.tanh(c_new, out=h_new)
    h_new *= acts[3 * n:]                                             # o tanh(c')
    return out


def _delta(g, out, acts, n):
    """δ = G_c + G_h o (1 - tanh²(c')) and tanh(c') (both VJPs need them)."""
    tc = tanh(out[n:])
    return g[n:] + g[:n] * acts[3 * n:] * (1 - tc * tc), tc


def _vjp_acts(g, out, acts, state):
    n = state.shape[0] // 2
    delta, tc = _delta(g, out, acts, n)
    return concatenate(delta * (2 * acts[2 * n:3 * n] - 1),           # d i = δ g
                       delta * state[n:],                             # d f = δ c
                       2 * delta * acts[:n],                          # d s_g = 2 δ i
                       g[:n] * tc, axis=0)                            # d o = G_h tanh(c')


def _vjp_state(g, out, acts, state):
    n = state.shape[0] // 2
    dc = _delta(g, out, acts, n)[0] * acts[n:2 * n]                   # δ f
    return concatenate(dc * 0, dc, axis=0)                            # h is not read


lstm_cell = defprimitive(
    "lstm_cell", _lstm_cell_forward,
    vjps=(_vjp_acts, _vjp_state),
    rules=("d state'/d acts: δ=G_c+G_h o(1-tanh²c'); [δ g; δ c; 2δ i; G_h tanh(c')]",
           "d state'/d state: [0; δ f]"),
    cases=[Case(lambda acts, s: lstm_cell(acts, s), (12, 2), (6, 2), domain="unit"),
           Case(lambda acts, s: lstm_cell(acts, s), (8,), (4,), label="1-d"),
           Case(lambda a, s: lstm_cell(sigmoid(a * 3), s), (8, 2, 1), (4, 2, 1),
                label="saturated sigmoid gates")])
