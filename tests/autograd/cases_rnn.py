"""Gradcheck cases for the LSTM cell primitive (autograd/ops/rnn.py)."""
import autograd as ag
from casekit import Case

P = ag.ops

CASES = {
    "lstm_cell": [Case(lambda acts, s: P.lstm_cell(acts, s), (12, 2), (6, 2), domain="unit"),
                  Case(lambda acts, s: P.lstm_cell(acts, s), (8,), (4,), label="1-d"),
                  Case(lambda a, s: P.lstm_cell(P.sigmoid(a * 3), s), (8, 2, 1), (4, 2, 1),
                       label="saturated sigmoid gates")],
}
