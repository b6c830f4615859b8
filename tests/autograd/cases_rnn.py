"""Gradcheck cases for the fused LSTM cell primitive (autograd/ops/rnn.py)."""
import autograd as ag
from casekit import Case

P = ag.ops

CASES = {
    "lstm_cell": [Case(lambda gates, c: P.lstm_cell(gates, c), (12, 2), (3, 2)),
                  Case(lambda gates, c: P.lstm_cell(gates, c), (8,), (2,), label="1-d"),
                  Case(lambda gates, c: P.lstm_cell(gates * 4, c), (8, 2, 1), (2, 2, 1),
                       label="saturated gates")],
}
