"""BatchNorm/LayerNorm/GroupNorm/InstanceNorm against PyTorch (float64): outputs, input
and parameter grads, and the running statistics over several train steps, then eval."""
import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from nn_oracle import assert_close, load_from_torch, run_both

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.usefixtures("float64")


def _randomize_affine(tm, seed=3):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype))


def _assert_states_equal(m, tm):
    ours, theirs = m.state_dict(), tm.state_dict()
    assert list(ours) == list(theirs)
    for k in ours:
        assert_close(ours[k], theirs[k], f"state {k}")
        assert ours[k].dtype == theirs[k].numpy().dtype, k


BN_CASES = [
    ("bn1d-2d", "BatchNorm1d", dict(num_features=3), (6, 3)),
    ("bn1d-3d", "BatchNorm1d", dict(num_features=3), (4, 3, 5)),
    ("bn2d", "BatchNorm2d", dict(num_features=3), (4, 3, 2, 5)),
    ("bn3d", "BatchNorm3d", dict(num_features=2), (2, 2, 3, 2, 2)),
    ("bn2d-mom-none", "BatchNorm2d", dict(num_features=3, momentum=None), (4, 3, 2, 2)),
    ("bn2d-mom-0.3-eps", "BatchNorm2d", dict(num_features=3, momentum=0.3, eps=1e-3),
     (4, 3, 2, 2)),
    ("bn2d-no-affine", "BatchNorm2d", dict(num_features=3, affine=False), (4, 3, 2, 2)),
    ("bn1d-no-track", "BatchNorm1d", dict(num_features=3, track_running_stats=False),
     (5, 3)),
    ("in1d", "InstanceNorm1d", dict(num_features=3), (2, 3, 5)),
    ("in2d-affine-track", "InstanceNorm2d",
     dict(num_features=3, affine=True, track_running_stats=True), (2, 3, 4, 3)),
]


@pytest.mark.parametrize("cls,kw,shape", [c[1:] for c in BN_CASES], ids=[c[0] for c in BN_CASES])
def test_batchnorm_like_train_then_eval(cls, kw, shape, rng):
    m, tm = getattr(nn, cls)(**kw), getattr(tnn, cls)(**kw).double()
    _randomize_affine(tm)
    load_from_torch(m, tm)
    for step in range(3):                    # running stats accumulate over steps
        for p, tp in zip(m.parameters(), tm.parameters()):
            p.grad, tp.grad = None, None
        x = rng.standard_normal(shape) * 2 + step
        run_both(torch, m, tm, [x], seed=step)
        _assert_states_equal(m, tm)
    m.eval(), tm.eval()
    for p, tp in zip(m.parameters(), tm.parameters()):
        p.grad, tp.grad = None, None
    run_both(torch, m, tm, [rng.standard_normal(shape)], seed=9)
    _assert_states_equal(m, tm)


def test_batchnorm_state_dict_layout_matches_torch():
    sd = nn.BatchNorm2d(4).state_dict()
    tsd = tnn.BatchNorm2d(4).state_dict()
    assert list(sd) == list(tsd)
    assert sd["num_batches_tracked"].shape == () and sd["num_batches_tracked"].dtype == np.int64
    assert list(nn.BatchNorm1d(4, track_running_stats=False).state_dict()) == ["weight", "bias"]


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="expected 4D input \\(got 2D"):
        nn.BatchNorm2d(3)(ag.ones((2, 3)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(ag.ones((1, 3)))
    m = nn.BatchNorm1d(3).eval()
    assert m(ag.ones((1, 3))).shape == (1, 3)     # eval needs no batch statistics


def test_functional_batch_norm_updates_given_buffers(rng):
    x = rng.standard_normal((8, 3))
    rm, rv = ag.zeros(3), ag.ones(3)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    y = F.batch_norm(ag.tensor(x), rm, rv, training=True, momentum=0.2)
    ty = tnn.functional.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.2)
    assert_close(y, ty, "output")
    assert_close(rm, trm, "running_mean")
    assert_close(rv, trv, "running_var (unbiased)")


LN_CASES = [
    ("ln-last", "LayerNorm", dict(normalized_shape=5), (3, 5)),
    ("ln-two", "LayerNorm", dict(normalized_shape=(4, 5), eps=1e-3), (2, 3, 4, 5)),
    ("ln-no-affine", "LayerNorm", dict(normalized_shape=5, elementwise_affine=False),
     (2, 3, 5)),
    ("ln-no-bias", "LayerNorm", dict(normalized_shape=5, bias=False), (2, 5)),
    ("gn", "GroupNorm", dict(num_groups=2, num_channels=4), (3, 4, 2, 3)),
    ("gn-1", "GroupNorm", dict(num_groups=1, num_channels=4, eps=1e-3), (3, 4, 5)),
    ("gn-c", "GroupNorm", dict(num_groups=4, num_channels=4, affine=False), (2, 4, 3)),
    ("lrn", "LocalResponseNorm", dict(size=3), (2, 5, 3)),
]


@pytest.mark.parametrize("cls,kw,shape", [c[1:] for c in LN_CASES], ids=[c[0] for c in LN_CASES])
def test_layer_and_group_norm(cls, kw, shape, rng):
    m, tm = getattr(nn, cls)(**kw), getattr(tnn, cls)(**kw).double()
    _randomize_affine(tm)
    load_from_torch(m, tm)
    run_both(torch, m, tm, [rng.standard_normal(shape) * 3 + 1])


def test_norm_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match="normalized_shape=\\[4\\].*\\(2, 5\\)"):
        nn.LayerNorm(4)(ag.ones((2, 5)))
    with pytest.raises(ValueError, match="divisible"):
        F.group_norm(ag.ones((2, 5, 3)), 2)
