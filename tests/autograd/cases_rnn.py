"""Gradcheck cases for the fused LSTM cell primitive (autograd/ops/rnn.py)."""
import autograd as ag
from casekit import Case

P = ag.ops

CASES = {
    "lstm_cell": [Case(lambda gates, s: P.lstm_cell(gates, s), (12, 2), (6, 2)),
                  Case(lambda gates, s: P.lstm_cell(gates, s), (8,), (4,), label="1-d"),
                  Case(lambda gates, s: P.lstm_cell(gates * 4, s), (8, 2, 1), (4, 2, 1),
                       label="saturated gates")],
}
