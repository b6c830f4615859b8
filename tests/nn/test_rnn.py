"""RNN/LSTM/GRU and their cells against PyTorch (float64): outputs, final states and
the gradients of the input, the initial states and every parameter."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import load_from_torch, run_both


pytestmark = pytest.mark.usefixtures("float64")   # conftest: float64, seeded


def check(ours, theirs, inputs):
    """Run both on the same arrays (a nested tuple for LSTM states); compare all."""
    load_from_torch(ours, theirs)
    run_both(torch, ours, theirs, inputs, rtol=1e-9, atol=1e-10)


CONFIGS = [
    dict(num_layers=2, batch_first=True, bidirectional=True),
    dict(num_layers=1, bias=False),
    dict(num_layers=3, batch_first=False, bidirectional=False),
]
T, B, I, H = 5, 3, 4, 6


def _initial(rng, layers, directions, lstm):
    h0 = rng.standard_normal((layers * directions, B, H))
    return (h0, rng.standard_normal(h0.shape)) if lstm else h0


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("with_state", [True, False])
def test_recurrent_layers_match_torch(cls, cfg, with_state):
    rng = np.random.default_rng(1)
    ours, theirs = getattr(nn, cls)(I, H, **cfg), getattr(torch.nn, cls)(I, H, **cfg).double()
    shape = (B, T, I) if cfg.get("batch_first") else (T, B, I)
    inputs = [rng.standard_normal(shape)]
    if with_state:
        d = 2 if cfg.get("bidirectional") else 1
        inputs.append(_initial(rng, cfg["num_layers"], d, cls == "LSTM"))
    check(ours, theirs, inputs)


def test_rnn_relu_and_unbatched_input():
    rng = np.random.default_rng(2)
    kw = dict(nonlinearity="relu", num_layers=2, bidirectional=True)
    check(nn.RNN(I, H, **kw), torch.nn.RNN(I, H, **kw).double(),
          [rng.standard_normal((T, I)), rng.standard_normal((4, H))])
    check(nn.LSTM(I, H), torch.nn.LSTM(I, H).double(),
          [rng.standard_normal((T, I)), (rng.standard_normal((1, H)),
                                         rng.standard_normal((1, H)))])


def test_dropout_between_layers_only_in_training():
    rng = np.random.default_rng(3)
    gru = nn.GRU(I, H, num_layers=2, dropout=0.5)
    x = ag.Tensor(rng.standard_normal((T, B, I)))
    gru.eval()
    out_eval, _ = gru(x)
    np.testing.assert_array_equal(out_eval.data, gru(x)[0].data)
    theirs = torch.nn.GRU(I, H, num_layers=2, dropout=0.5).double()
    theirs.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in gru.state_dict().items()})
    theirs.eval()
    np.testing.assert_allclose(out_eval.data, theirs(torch.tensor(x.data))[0].detach().numpy(),
                               atol=1e-10)
    gru.train()
    ag.manual_seed(1)
    out_a = gru(x)[0].data
    ag.manual_seed(1)
    out_b = gru(x)[0].data
    np.testing.assert_array_equal(out_a, out_b)             # reproducible masks
    assert np.abs(out_a - out_eval.data).max() > 1e-3       # dropout changed something
    one_layer = nn.GRU(I, H, num_layers=1, dropout=0.5)     # no layer after the first
    one_layer.train()
    np.testing.assert_array_equal(one_layer(x)[0].data, one_layer.eval()(x)[0].data)


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("with_state", [True, False])
def test_cells_match_torch(cls, with_state):
    rng = np.random.default_rng(4)
    ours, theirs = getattr(nn, cls)(I, H), getattr(torch.nn, cls)(I, H).double()
    inputs = [rng.standard_normal((B, I))]
    if with_state:
        h = rng.standard_normal((B, H))
        inputs.append((h, rng.standard_normal((B, H))) if cls == "LSTMCell" else h)
    check(ours, theirs, inputs)


def test_cells_relu_no_bias_unbatched():
    rng = np.random.default_rng(5)
    check(nn.RNNCell(I, H, bias=False, nonlinearity="relu"),
          torch.nn.RNNCell(I, H, bias=False, nonlinearity="relu").double(),
          [rng.standard_normal(I), rng.standard_normal(H)])
    check(nn.LSTMCell(I, H), torch.nn.LSTMCell(I, H).double(), [rng.standard_normal(I)])


def test_parameter_names_shapes_and_init_range():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    theirs = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    assert {k: v.shape for k, v in lstm.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    bound = 1 / np.sqrt(5)
    values = np.concatenate([p.data.ravel() for p in lstm.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound


def test_functional_cells_and_errors():
    rng = np.random.default_rng(6)
    x, h = rng.standard_normal((B, I)), rng.standard_normal((B, H))
    w_ih, w_hh = rng.standard_normal((3 * H, I)), rng.standard_normal((3 * H, H))
    ours = F.gru_cell(x, h, w_ih, w_hh)
    theirs = torch.gru_cell(*(torch.tensor(a) for a in (x, h, w_ih, w_hh)), None, None)
    np.testing.assert_allclose(ours.data, theirs.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="lstm_cell"):
        F.lstm_cell(x, (h, h), w_ih, w_hh)
    with pytest.raises(ValueError, match="LSTM.*h_0"):
        nn.LSTM(I, H)(ag.zeros((T, B, I)), (ag.zeros((2, B, H)), ag.zeros((1, B, H))))
    with pytest.raises(ValueError, match="GRU.*input"):
        nn.GRU(I, H)(ag.zeros((T, B, I + 1)))


@pytest.mark.parametrize("with_state", [True, False])
def test_lstm_proj_size(with_state):
    rng = np.random.default_rng(7)
    kw = dict(num_layers=2, bidirectional=True, batch_first=True, proj_size=3)
    inputs = [rng.standard_normal((B, T, I))]
    if with_state:
        inputs.append((rng.standard_normal((4, B, 3)), rng.standard_normal((4, B, H))))
    check(nn.LSTM(I, H, **kw), torch.nn.LSTM(I, H, **kw).double(), inputs)
