"""Every loss against PyTorch (float64): all reductions and options, value and the
gradients of the input (and of float targets where torch has them)."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import assert_close, load_from_torch, run_both

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.usefixtures("float64")

R = np.random.default_rng(7)
W3 = np.array([0.5, 2.0, 1.5])
W4 = np.array([1.0, 0.2, 3.0, 0.7])


def _reg():
    x, y = R.standard_normal((4, 3)), R.standard_normal((4, 3))
    y[0, 0] = x[0, 0]                  # |d| = 0: l1's subgradient must be 0 as in torch
    y[1, 1] = x[1, 1] - 1.0            # |d| exactly at delta/beta = 1
    return x, y


def _probs():
    x = 1 / (1 + np.exp(-R.standard_normal((4, 3))))
    return x, R.random((4, 3))


def _logits():
    x = R.standard_normal((4, 3)) * 3
    x[0, :2] = [50.0, -50.0]
    return x, (R.random((4, 3)) > 0.5).astype(float)


def _ce(shape=(5, 4), ignore=None):
    x = R.standard_normal(shape) * 2
    if len(shape) == 1:
        return x, np.array(R.integers(0, shape[0]))
    t = R.integers(0, shape[1], size=shape[:1] + shape[2:])
    if ignore is not None:
        t.flat[1] = ignore
    return x, t


def _ce_probs(shape=(5, 4)):
    x = R.standard_normal(shape)
    p = R.random(shape)
    return x, p / p.sum(axis=1, keepdims=True)


def _nll():
    x, t = _ce(ignore=-100)
    return x - np.log(np.exp(x).sum(1, keepdims=True)), t


def _kl(zero=True):
    x = np.log(R.dirichlet(np.ones(3), size=4))
    y = R.dirichlet(np.ones(3), size=4)
    if zero:
        y[0, 1] = 0.0                  # 0 log 0 = 0
    return x, y


def _kl_log():
    x, y = _kl()
    return x, np.log(R.dirichlet(np.ones(3), size=4))


def _mm():
    return R.standard_normal((5, 4)), R.integers(0, 4, size=5)


def _case(id_, cls, kw, data, tkw=None, grads=None):
    tkw = dict(kw if tkw is None else tkw)
    for k, v in tkw.items():
        if isinstance(v, np.ndarray):
            tkw[k] = torch.tensor(v)
    return pytest.param(cls, kw, tkw, data, grads, id=id_)


CASES = []
for red in ("mean", "sum", "none"):
    CASES += [
        _case(f"MSE-{red}", "MSELoss", dict(reduction=red), _reg()),
        _case(f"L1-{red}", "L1Loss", dict(reduction=red), _reg()),
        _case(f"Huber-{red}", "HuberLoss", dict(reduction=red), _reg()),
        _case(f"Huber-d0.5-{red}", "HuberLoss", dict(reduction=red, delta=0.5), _reg()),
        _case(f"SmoothL1-{red}", "SmoothL1Loss", dict(reduction=red), _reg()),
        _case(f"SmoothL1-b0.3-{red}", "SmoothL1Loss", dict(reduction=red, beta=0.3), _reg()),
        _case(f"SmoothL1-b0-{red}", "SmoothL1Loss", dict(reduction=red, beta=0.0), _reg()),
        _case(f"BCE-{red}", "BCELoss", dict(reduction=red), _probs()),
        _case(f"BCE-w-{red}", "BCELoss", dict(reduction=red, weight=W3), _probs()),
        _case(f"BCEL-{red}", "BCEWithLogitsLoss", dict(reduction=red), _logits()),
        _case(f"BCEL-pw-{red}", "BCEWithLogitsLoss",
              dict(reduction=red, pos_weight=W3, weight=W3[::-1].copy()), _logits()),
        _case(f"CE-{red}", "CrossEntropyLoss", dict(reduction=red), _ce()),
        _case(f"CE-w-ign-{red}", "CrossEntropyLoss",
              dict(reduction=red, weight=W4, ignore_index=2), _ce(ignore=2)),
        _case(f"CE-ls-{red}", "CrossEntropyLoss", dict(reduction=red, label_smoothing=0.2),
              _ce(ignore=-100)),
        _case(f"CE-ls-w-ign-{red}", "CrossEntropyLoss",
              dict(reduction=red, weight=W4, label_smoothing=0.1, ignore_index=1),
              _ce(ignore=1)),
        _case(f"CE-spatial-w-{red}", "CrossEntropyLoss",
              dict(reduction=red, weight=W4, label_smoothing=0.1), _ce((2, 4, 3, 2))),
        _case(f"CE-spatial-w-ls-ign-{red}", "CrossEntropyLoss",
              dict(reduction=red, weight=W4, label_smoothing=0.2, ignore_index=3),
              _ce((2, 4, 3, 2), ignore=3)),
        _case(f"NLL-spatial-w-ign-{red}", "NLLLoss", dict(reduction=red, weight=W4,
                                                        ignore_index=0), _ce((2, 4, 5), 0)),
        _case(f"CE-unbatched-{red}", "CrossEntropyLoss", dict(reduction=red), _ce((4,))),
        _case(f"CE-unbatched-ls-w-{red}", "CrossEntropyLoss",
              dict(reduction=red, weight=W4, label_smoothing=0.3), _ce((4,))),
        _case(f"CE-probs-{red}", "CrossEntropyLoss", dict(reduction=red), _ce_probs()),
        _case(f"CE-probs-w-ls-{red}", "CrossEntropyLoss",
              dict(reduction=red, weight=W4, label_smoothing=0.3), _ce_probs((2, 4, 3))),
        _case(f"NLL-{red}", "NLLLoss", dict(reduction=red), _nll()),
        _case(f"NLL-w-{red}", "NLLLoss", dict(reduction=red, weight=W4), _nll()),
        _case(f"KL-{red}", "KLDivLoss", dict(reduction=red), _kl(zero=False)),
        # torch's target gradient at y = 0 is nan (log 0); ours is finite: no target grad
        _case(f"KL-zero-{red}", "KLDivLoss", dict(reduction=red), _kl(), grads=(True, False)),
        _case(f"KL-log-{red}", "KLDivLoss", dict(reduction=red, log_target=True), _kl_log()),
        _case(f"MultiMargin-{red}", "MultiMarginLoss", dict(reduction=red), _mm()),
        _case(f"MultiMargin-p2-w-{red}", "MultiMarginLoss",
              dict(reduction=red, p=2, margin=0.7, weight=W4), _mm()),
        _case(f"SoftMargin-{red}", "SoftMarginLoss", dict(reduction=red),
              (R.standard_normal(6), np.sign(R.standard_normal(6))), grads=(True, False)),
    ]
CASES += [
    _case("KL-batchmean", "KLDivLoss", dict(reduction="batchmean"), _kl(zero=False)),
    _case("KL-log-batchmean", "KLDivLoss", dict(reduction="batchmean", log_target=True),
          _kl_log()),
    _case("MultiMargin-1d", "MultiMarginLoss", {}, (R.standard_normal(4), np.array(2))),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("cls,kw,tkw,data,grads", CASES)
def test_loss_matches_torch(cls, kw, tkw, data, grads):
    m, tm = getattr(nn, cls)(**kw), getattr(tnn, cls)(**tkw).double()
    load_from_torch(m, tm)
    run_both(torch, m, tm, list(data), grads=grads)


def test_weights_are_buffers_in_state_dict():
    assert list(nn.CrossEntropyLoss(weight=W4).state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=W3).state_dict()) == ["pos_weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


def test_bce_clamps_log_at_minus_100():
    x = ag.tensor([0.0, 1.0, 0.5])
    y = ag.tensor([1.0, 0.0, 1.0])
    got = F.binary_cross_entropy(x, y, reduction="none")
    want = tnn.functional.binary_cross_entropy(torch.tensor(x.data), torch.tensor(y.data),
                                               reduction="none")
    assert_close(got, want, "bce clamp")


def test_bce_with_logits_is_stable_for_huge_logits():
    z = ag.tensor([1e4, -1e4, 0.0], requires_grad=True)
    y = ag.tensor([0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(z, y, reduction="sum")
    loss.backward()
    assert np.isclose(loss.item(), 2e4 + np.log(2))
    assert np.all(np.isfinite(z.grad.data))


def test_cross_entropy_all_ignored_is_nan_like_torch():
    x = R.standard_normal((2, 3))
    t = np.array([-100, -100])
    with np.errstate(invalid="ignore", divide="ignore"):
        got = F.cross_entropy(ag.tensor(x), t)
    want = tnn.functional.cross_entropy(torch.tensor(x), torch.tensor(t))
    assert np.isnan(got.item()) and torch.isnan(want)


def test_class_target_errors_are_clear():
    x = ag.tensor(R.standard_normal((3, 4)))
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(x, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="expected target of shape \\(3,\\)"):
        F.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(TypeError, match="integers"):
        F.nll_loss(x, np.array([0.5, 1.0, 2.0]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(x, x)


@pytest.mark.parametrize("dt", ["i1", "u1", "i2", ">i4", "i8", "u8"])
def test_class_targets_are_range_checked_in_every_integer_dtype(dt):
    """The range check is one maximum over the targets viewed as unsigned (``_all_below``);
    a negative target must still be out of range in every width, also next to an
    ignore_index, and for more classes than a signed byte holds."""
    from nn.functional.loss import _all_below
    for n in (3, 127, 128, 129, 300):
        for values in ([0, n - 1], [0, n], [-1, 0], [-128, 1], [127, 0], [255, 0]):
            info = np.iinfo(np.dtype(dt))
            if not info.min <= min(values) <= max(values) <= info.max:
                continue                        # does not fit the dtype
            t = np.array(values).astype(dt)
            want = min(values) >= 0 and max(values) < n
            assert _all_below(t, n) == want, (dt, n, values)
    x = ag.tensor(R.standard_normal((3, 4)))
    if dt[-2] == "i":
        with pytest.raises(IndexError, match="Target -1 is out of bounds"):
            F.cross_entropy(x, np.array([0, -1, 1]).astype(dt))
        assert np.isfinite(F.cross_entropy(x, np.array([0, -1, 1]).astype(dt),
                                           ignore_index=-1).item())


def test_mse_warns_on_broadcasting_target():
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(ag.ones((4, 1)), ag.ones((4,)))


def test_legacy_size_average_maps_to_reduction():
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.L1Loss(reduce=False).reduction == "none"


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("red", ["mean", "sum", "none"])
def test_elementwise_weighted_regression_losses(name, red):
    x, y = _reg()
    w = R.random(x.shape)
    xs, txs = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    got = getattr(F, name)(xs, ag.tensor(y), reduction=red, weight=ag.tensor(w))
    want = getattr(tnn.functional, name)(txs, torch.tensor(y), reduction=red,
                                          weight=torch.tensor(w))
    assert_close(got, want, name)
    got.sum().backward()
    want.sum().backward()
    assert_close(xs.grad, txs.grad, name + " grad")


def test_functional_legacy_flags_and_positional_torch_calls():
    x, t = _ce()
    got = F.nll_loss(ag.tensor(x), t, None, None, -100, None, "sum")
    want = tnn.functional.nll_loss(torch.tensor(x), torch.tensor(t), None, None, -100,
                                   None, "sum")
    assert_close(got, want, "positional nll_loss")
    assert F.mse_loss(ag.ones(3), ag.zeros(3), size_average=False).item() == 3.0


def test_whole_valued_float_targets_are_class_indices():
    """ag.tensor([0, 2, 1]) is float (lists become the default dtype): accept it."""
    x = ag.tensor(R.standard_normal((3, 4)))
    want = F.cross_entropy(x, np.array([0, 2, 1])).item()
    assert F.cross_entropy(x, ag.tensor([0, 2, 1])).item() == want
    assert nn.CrossEntropyLoss(label_smoothing=0.1)(x, [0, 2, 1]).item() > 0
    assert F.multi_margin_loss(x, ag.tensor([0, 2, 1])).item() > 0


def test_class_weights_are_constants():
    x, t = ag.tensor(np.ones((2, 3)), requires_grad=True), np.array([0, 2])
    w = ag.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="class weights are constants.*detach"):
        F.cross_entropy(x, t, weight=w)
    with ag.no_grad():
        assert F.nll_loss(x, t, weight=w).item() == -1.0
    F.cross_entropy(x, t, weight=w.detach()).backward()
    assert x.grad is not None
