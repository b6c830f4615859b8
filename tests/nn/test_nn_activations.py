"""Every activation module against PyTorch (float64): output, input grad, PReLU's weight grad."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import load_from_torch, run_both

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.usefixtures("float64")

CASES = [
    ("ReLU", lambda: nn.ReLU(), lambda: tnn.ReLU()),
    ("ReLU6", lambda: nn.ReLU6(), lambda: tnn.ReLU6()),
    ("LeakyReLU", lambda: nn.LeakyReLU(), lambda: tnn.LeakyReLU()),
    ("LeakyReLU-0.2", lambda: nn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2)),
    ("PReLU-1", lambda: nn.PReLU(), lambda: tnn.PReLU()),
    ("PReLU-C", lambda: nn.PReLU(3, init=0.1), lambda: tnn.PReLU(3, init=0.1)),
    ("ELU", lambda: nn.ELU(), lambda: tnn.ELU()),
    ("ELU-0.5", lambda: nn.ELU(alpha=0.5), lambda: tnn.ELU(alpha=0.5)),
    ("SELU", lambda: nn.SELU(), lambda: tnn.SELU()),
    ("CELU", lambda: nn.CELU(0.5), lambda: tnn.CELU(0.5)),
    ("GELU", lambda: nn.GELU(), lambda: tnn.GELU()),
    ("GELU-tanh", lambda: nn.GELU("tanh"), lambda: tnn.GELU(approximate="tanh")),
    ("SiLU", lambda: nn.SiLU(), lambda: tnn.SiLU()),
    ("Mish", lambda: nn.Mish(), lambda: tnn.Mish()),
    ("Sigmoid", lambda: nn.Sigmoid(), lambda: tnn.Sigmoid()),
    ("Tanh", lambda: nn.Tanh(), lambda: tnn.Tanh()),
    ("Softplus", lambda: nn.Softplus(), lambda: tnn.Softplus()),
    ("Softplus-beta", lambda: nn.Softplus(beta=2.0, threshold=5.0),
     lambda: tnn.Softplus(beta=2.0, threshold=5.0)),
    ("Softsign", lambda: nn.Softsign(), lambda: tnn.Softsign()),
    ("LogSigmoid", lambda: nn.LogSigmoid(), lambda: tnn.LogSigmoid()),
    ("Hardtanh", lambda: nn.Hardtanh(-0.5, 0.5), lambda: tnn.Hardtanh(-0.5, 0.5)),
    ("Hardsigmoid", lambda: nn.Hardsigmoid(), lambda: tnn.Hardsigmoid()),
    ("Hardswish", lambda: nn.Hardswish(), lambda: tnn.Hardswish()),
    ("Tanhshrink", lambda: nn.Tanhshrink(), lambda: tnn.Tanhshrink()),
    ("Threshold", lambda: nn.Threshold(0.1, -2.0), lambda: tnn.Threshold(0.1, -2.0)),
    ("GLU", lambda: nn.GLU(dim=2), lambda: tnn.GLU(dim=2)),
    ("Softmax-1", lambda: nn.Softmax(dim=1), lambda: tnn.Softmax(dim=1)),
    ("Softmax-last", lambda: nn.Softmax(dim=-1), lambda: tnn.Softmax(dim=-1)),
    ("Softmin", lambda: nn.Softmin(dim=1), lambda: tnn.Softmin(dim=1)),
    ("LogSoftmax", lambda: nn.LogSoftmax(dim=1), lambda: tnn.LogSoftmax(dim=1)),
]

# torch's hardsigmoid backward multiplies by a float32 1/6 even in float64
TORCH_FLOAT32_CONSTANTS = {"Hardsigmoid": 1e-7}


def _input(rng):
    """(N, C, L) values around the kinks (exact 0, +-3) and far out (+-30)."""
    x = rng.standard_normal((2, 3, 4)) * 2
    x[0, 0, :4] = [0.0, 30.0, -30.0, 3.0]
    x[1, 2, :2] = [-3.0, 0.5]
    return x


@pytest.mark.parametrize("name,ours,theirs", CASES, ids=[c[0] for c in CASES])
def test_activation_matches_torch(name, ours, theirs, rng):
    m, tm = ours(), theirs().double()
    load_from_torch(m, tm)
    rtol = TORCH_FLOAT32_CONSTANTS.get(name, 1e-9)
    out, _ = run_both(torch, m, tm, [_input(rng)], rtol=rtol)
    assert np.all(np.isfinite(out.data))


def test_activation_grads_are_finite_far_out():
    """The unused branch of a where() must not leak inf/nan into the gradient."""
    x = ag.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    for fn in (F.elu, F.selu, F.celu, F.softplus, F.logsigmoid, F.silu, F.mish):
        x.grad = None
        fn(x).sum().backward()
        assert np.all(np.isfinite(x.grad.data)), fn.__name__


def test_functional_forms_match_modules(rng):
    x = ag.tensor(_input(rng))
    np.testing.assert_allclose(F.leaky_relu(x, 0.2).data, nn.LeakyReLU(0.2)(x).data)
    np.testing.assert_allclose(F.gelu(x, approximate="tanh").data, nn.GELU("tanh")(x).data)
    np.testing.assert_allclose(F.softmax(x, dim=2).data.sum(2), 1.0)
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(x, approximate="fast")


def test_prelu_channel_mismatch_names_shapes():
    with pytest.raises(ValueError, match="prelu.*3 slopes.*\\(2, 4\\)"):
        nn.PReLU(3)(ag.ones((2, 4)))


def test_reprs():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
