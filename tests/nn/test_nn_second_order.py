"""Layers and losses are composed of differentiable ops, so second derivatives work:
finite-difference checks of first and second order, and a Hessian against torch."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import assert_close

pytestmark = pytest.mark.usefixtures("float64")

R = np.random.default_rng(11)
T = np.array([0, 2, 1])


def _x(*shape, scale=1.0):
    return ag.tensor(R.standard_normal(shape) * scale, requires_grad=True)


CASES = [
    ("cross_entropy-ls-w", lambda x: F.cross_entropy(x, T, weight=np.array([1.0, 2.0, 0.5]),
                                                      label_smoothing=0.1), (3, 3)),
    ("bce_with_logits-pw", lambda x: F.binary_cross_entropy_with_logits(
        x, np.eye(3), pos_weight=np.array([2.0, 1.0, 0.5])), (3, 3)),
    ("kl_div", lambda x: F.kl_div(F.log_softmax(x, 1), np.full((3, 3), 1 / 3),
                                  reduction="batchmean"), (3, 3)),
    ("multi_margin-p2", lambda x: F.multi_margin_loss(x, T, p=2), (3, 3)),
    ("huber", lambda x: F.huber_loss(x, np.zeros((3, 3)), delta=0.5), (3, 3)),
    ("gelu", F.gelu, (4,)),
    ("gelu-tanh", lambda x: F.gelu(x, approximate="tanh"), (4,)),
    ("silu", F.silu, (4,)),
    ("elu", F.elu, (4,)),
    ("softplus-beta", lambda x: F.softplus(x, beta=2.0), (4,)),
    ("batch_norm-train", lambda x: F.batch_norm(x, None, None, training=True), (4, 3)),
    ("layer_norm", lambda x: F.layer_norm(x, (3,)), (2, 3)),
    ("group_norm", lambda x: F.group_norm(x, 2), (2, 4, 3)),
]


def _grad_of_weighted_sum(fn, x_data, r, create_graph=False):
    x = ag.tensor(x_data, requires_grad=True)
    (g,) = ag.grad((fn(x) * r).sum(), [x], create_graph=create_graph)
    return x, g


@pytest.mark.parametrize("fn,shape", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_first_and_second_order_finite_differences(fn, shape):
    x = _x(*shape)
    assert ag.gradcheck(fn, [x])
    # second order: d/dx <v, grad s(x)> by double backprop vs central differences of
    # the (first-order) gradient along a random direction u
    r = R.standard_normal(np.shape(fn(x).data))
    v, u = R.standard_normal(shape), R.standard_normal(shape)
    xt, g = _grad_of_weighted_sum(fn, x.data, r, create_graph=True)
    (hv,) = ag.grad((g * v).sum(), [xt], allow_unused=True)
    analytic = 0.0 if hv is None else float((hv.data * u).sum())
    eps = 1e-5
    gp = _grad_of_weighted_sum(fn, x.data + eps * u, r)[1].data
    gm = _grad_of_weighted_sum(fn, x.data - eps * u, r)[1].data
    numeric = float(((gp - gm) / (2 * eps) * v).sum())
    assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-7)


def test_mlp_loss_hessian_matches_torch():
    torch = pytest.importorskip("torch")
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, 3)).double()
    model.load_state_dict({k: v.detach().numpy() for k, v in tmodel.state_dict().items()})
    x = R.standard_normal((5, 3))
    t = R.integers(0, 3, size=5)
    w0 = model[0].weight

    def loss_of(w):
        h = F.linear(ag.tensor(x), w, model[0].bias).tanh()
        return F.cross_entropy(model[2](h), t)

    H = ag.functional.hessian(loss_of, w0)

    def tloss(w):
        h = torch.tanh(torch.nn.functional.linear(torch.tensor(x), w, tmodel[0].bias))
        return torch.nn.functional.cross_entropy(tmodel[2](h), torch.tensor(t))
    tH = torch.autograd.functional.hessian(tloss, tmodel[0].weight.detach())
    assert_close(H, tH, "Hessian", rtol=1e-8, atol=1e-10)
