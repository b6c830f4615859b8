"""Issue 21's functional ops against PyTorch (float64): values, gradients and second
order (Hessian-vector products) where PyTorch has them, plus finite differences."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn.functional as F
from parity_kit import check_against_torch

TF = torch.nn.functional
RNG = np.random.default_rng(21)


def _normal(*shape):
    return RNG.normal(size=shape)


PAD_CASES = [
    ("constant", (1, 2), (2, 3, 5)), ("constant", (2, 0, 1, 3), (2, 3, 4, 5)),
    ("constant", (-1, 2, 1, -2), (2, 3, 4, 5)),
    ("constant", (1, 1, 1, 1, 1, 1, 1, 1), (2, 3, 4, 5)),
    ("reflect", (2, 1), (2, 3, 5)), ("reflect", (3, 1), (3, 5)),
    ("reflect", (2, 0, 1, 3), (2, 3, 4, 5)), ("reflect", (1, 1, 2, 0, 1, 1), (1, 2, 3, 4, 5)),
    ("reflect", (-1, 2, 1, -2), (2, 3, 4, 5)),
    ("replicate", (4, 1), (2, 3, 3)), ("replicate", (2, 5, 1, 3), (3, 4, 5)),
    ("replicate", (1, 2, 3, 0, 1, 1), (2, 2, 3, 4, 2)),
    ("circular", (2, 1), (2, 3, 5)), ("circular", (2, 3, 1, 4), (2, 3, 4, 5)),
    ("circular", (-1, 2, 1, -2), (2, 3, 4, 5)), ("circular", (1, 1, 1, 1, 2, 2), (1, 2, 3, 4, 5)),
]


@pytest.mark.parametrize("mode,pad,shape", PAD_CASES,
                         ids=[f"{m}-{p}-{len(s)}d" for m, p, s in PAD_CASES])
def test_pad(mode, pad, shape):
    value = 0.5 if mode == "constant" else None
    check_against_torch(lambda x: F.pad(x, pad, mode, value),
                        lambda x: TF.pad(x, pad, mode, value), [_normal(*shape)])


@pytest.mark.parametrize("call,match", [
    (lambda x: F.pad(x, (1,)), "divisible by 2"),
    (lambda x: F.pad(x, (1, 1) * 5), "two times the input dimension"),
    (lambda x: F.pad(x, (1, 1), mode="reflect"), "last 1, 2 or 3 dimensions"),
    (lambda x: F.pad(x, (5, 0, 0, 0), mode="reflect"), "less than the size 5"),
    (lambda x: F.pad(x, (6, 0, 0, 0), mode="circular"), "more than once"),
    (lambda x: F.pad(x, (0, 0, 3, -2), mode="circular"), "more than once"),  # 3 > 4 - 2
    (lambda x: F.pad(x, (1, 1), mode="reflect", value=0.0), "does not take a value"),
    (lambda x: F.pad(x, (1, 1), mode="wrap"), "mode must be one of"),
])
def test_pad_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(ag.tensor(_normal(2, 3, 4, 5)))


@pytest.mark.parametrize("dim,eps,shapes", [(1, 1e-8, [(4, 5), (4, 5)]),
                                            (-1, 1e-3, [(3, 1, 5), (1, 4, 5)]),
                                            (0, 1e-8, [(6,), (6,)])])
def test_cosine_similarity(dim, eps, shapes):
    check_against_torch(lambda a, b: F.cosine_similarity(a, b, dim, eps),
                        lambda a, b: TF.cosine_similarity(a, b, dim, eps),
                        [_normal(*s) for s in shapes])


def test_cosine_similarity_of_tiny_and_zero_vectors_like_pytorch():
    a = np.array([[3e-9, 4e-9], [0.0, 0.0], [1.0, 2.0]])
    b = np.array([[1.0, 2.0], [1.0, 1.0], [3.0, -1.0]])
    check_against_torch(F.cosine_similarity, TF.cosine_similarity, [a, b],
                        second_order=False, rtol=1e-7)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, 0.5, float("inf"), 0.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(p, keepdim):
    check_against_torch(lambda a, b: F.pairwise_distance(a, b, p, 1e-6, keepdim),
                        lambda a, b: TF.pairwise_distance(a, b, p, 1e-6, keepdim),
                        [_normal(5, 4), _normal(5, 4)], second_order=p not in (0.5,))


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_pdist(p):
    # PyTorch has no second derivative for pdist: finite differences check ours
    check_against_torch(lambda x: F.pdist(x, p), lambda x: TF.pdist(x, p), [_normal(5, 3)],
                        second_order=False)
    assert ag.gradgradcheck(lambda x: F.pdist(x, p), [ag.tensor(_normal(4, 3),
                                                                requires_grad=True)])


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 5), 2), ((9, 2, 2), 3), ((2, 3, 4, 2, 2), 1)])
def test_pixel_shuffle_and_unshuffle(shape, r):
    check_against_torch(lambda x: F.pixel_shuffle(x, r), lambda x: TF.pixel_shuffle(x, r),
                        [_normal(*shape)])
    up = TF.pixel_shuffle(torch.tensor(_normal(*shape)), r).shape
    check_against_torch(lambda x: F.pixel_unshuffle(x, r), lambda x: TF.pixel_unshuffle(x, r),
                        [_normal(*up)])


def test_channel_shuffle():
    x = _normal(2, 6, 3, 2)
    check_against_torch(lambda t: F.channel_shuffle(t, 3), lambda t: TF.channel_shuffle(t, 3),
                        [x])


@pytest.mark.parametrize("nsp", [2, 3])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample(nsp, mode, padding_mode, align):
    x = _normal(*((2, 3) + (5, 6, 4)[:nsp]))
    grid = RNG.uniform(-1.3, 1.3, size=(2,) + (4, 3, 2)[:nsp] + (nsp,))
    arrays = [x, grid] if mode == "bilinear" else [x]
    if mode == "bilinear":
        ours, theirs = (lambda a, g: F.grid_sample(a, g, mode, padding_mode, align),
                        lambda a, g: TF.grid_sample(a, g, mode, padding_mode, align))
    else:                        # no gradient reaches the grid: it is a constant here
        def ours(a):
            return F.grid_sample(a, ag.tensor(grid), mode, padding_mode, align)

        def theirs(a):
            return TF.grid_sample(a, torch.tensor(grid), mode, padding_mode, align)
    check_against_torch(ours, theirs, arrays, second_order=False)


def test_grid_sample_is_twice_differentiable():
    x = ag.tensor(_normal(1, 2, 4, 5), requires_grad=True)
    grid = ag.tensor(RNG.uniform(-0.9, 0.9, size=(1, 3, 2, 2)), requires_grad=True)
    assert ag.gradgradcheck(lambda a, g: F.grid_sample(a, g, "bilinear", "border", False),
                            [x, grid])


@pytest.mark.parametrize("nsp", [2, 3])
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid(nsp, align):
    size = (2, 3) + (5, 6, 4)[:nsp]
    check_against_torch(lambda t: F.affine_grid(t, size, align),
                        lambda t: TF.affine_grid(t, size, align), [_normal(2, nsp, nsp + 1)])


def test_affine_grid_then_grid_sample_identity_and_default_warning():
    img = _normal(1, 2, 4, 5)
    theta = ag.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    with pytest.warns(UserWarning, match="align_corners=False"):
        grid = F.affine_grid(theta, (1, 2, 4, 5))
    out = F.grid_sample(ag.tensor(img), grid, align_corners=False)
    np.testing.assert_allclose(out.data, img, atol=1e-12)
    with pytest.raises(ValueError, match=r"theta of shape \(N, 2, 3\)"):
        F.affine_grid(ag.ones((1, 3, 3)), (1, 2, 4, 5), align_corners=False)
    with pytest.raises(ValueError, match="'bicubic' is not supported"):
        F.grid_sample(ag.tensor(img), grid, mode="bicubic", align_corners=False)


@pytest.mark.parametrize("fn,tfn", [
    (lambda x: F.hardshrink(x, 0.7), lambda x: TF.hardshrink(x, 0.7)),
    (lambda x: F.softshrink(x, 0.4), lambda x: TF.softshrink(x, 0.4)),
    (lambda x: F.rrelu(x, 0.1, 0.3), lambda x: TF.rrelu(x, 0.1, 0.3)),
    (lambda x: F.relu6(x * 4), lambda x: TF.relu6(x * 4)),
], ids=["hardshrink", "softshrink", "rrelu-eval", "relu6"])
def test_new_activations(fn, tfn):
    check_against_torch(fn, tfn, [_normal(4, 5) * 2])


def test_rrelu_training_draws_slopes_in_range_and_backprops_them():
    ag.manual_seed(0)
    x = ag.tensor(_normal(200) * 2, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    y.sum().backward()
    neg = x.data < 0
    slopes = y.data[neg] / x.data[neg]
    assert ((slopes >= 0.1) & (slopes <= 0.3)).all() and slopes.std() > 0.02
    np.testing.assert_allclose(x.grad.data[neg], slopes)
    np.testing.assert_array_equal(x.grad.data[~neg], 1.0)
    ag.manual_seed(0)
    np.testing.assert_array_equal(F.rrelu(x.detach(), 0.1, 0.3, training=True).data, y.data)


@pytest.mark.parametrize("eps", [None, 1e-3])
@pytest.mark.parametrize("shape,normalized", [((3, 4), (4,)), ((2, 3, 4), (3, 4))])
def test_rms_norm(eps, shape, normalized):
    check_against_torch(lambda x, w: F.rms_norm(x, normalized, w, eps),
                        lambda x, w: TF.rms_norm(x, normalized, w, eps),
                        [_normal(*shape), _normal(*normalized)])


BAGS = [dict(input=np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0]), offsets=np.array([0, 4, 4, 7])),
        dict(input=np.array([[1, 2, 0], [3, 3, 3], [0, 0, 0]])),
        dict(input=np.array([1, 2, 4, 5, 4, 3, 2, 9]), offsets=np.array([0, 3, 8]),
             include_last_offset=True)]


@pytest.mark.parametrize("bag", range(len(BAGS)))
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 0, 3])
def test_embedding_bag(bag, mode, padding_idx):
    kw = dict(BAGS[bag])
    idx, offsets = kw.pop("input"), kw.pop("offsets", None)
    toff = None if offsets is None else torch.tensor(offsets)
    check_against_torch(
        lambda w: F.embedding_bag(idx, w, offsets, mode=mode, padding_idx=padding_idx, **kw),
        lambda w: TF.embedding_bag(torch.tensor(idx), w, toff, mode=mode,
                                   padding_idx=padding_idx, **kw),
        [_normal(10, 4)])


def test_embedding_bag_per_sample_weights_get_gradients():
    idx, offsets = BAGS[0]["input"], BAGS[0]["offsets"]
    check_against_torch(
        lambda w, p: F.embedding_bag(idx, w, offsets, mode="sum", per_sample_weights=p),
        lambda w, p: TF.embedding_bag(torch.tensor(idx), w, torch.tensor(offsets),
                                      mode="sum", per_sample_weights=p),
        [_normal(10, 4), _normal(10)], second_order=False)    # PyTorch has none
    w, p = ag.tensor(_normal(10, 4), requires_grad=True), ag.tensor(_normal(10),
                                                                     requires_grad=True)
    assert ag.gradgradcheck(lambda a, b: F.embedding_bag(idx, a, offsets, mode="sum",
                                                         per_sample_weights=b), [w, p])


@pytest.mark.parametrize("call,match", [
    (lambda w: F.embedding_bag(np.array([1, 2]), w, np.array([1])), "offsets\\[0\\] has to be 0"),
    (lambda w: F.embedding_bag(np.array([1, 2]), w, np.array([0, 2, 1])), "non-decreasing"),
    (lambda w: F.embedding_bag(np.array([[1, 2]]), w, np.array([0])), "has to be None"),
    (lambda w: F.embedding_bag(np.array([1, 2]), w, np.array([0]), mode="mean",
                               per_sample_weights=np.ones(2)), "only supported for mode='sum'"),
    (lambda w: F.embedding_bag(np.array([1, 2]), w, np.array([0]), mode="median"),
     "mode must be"),
])
def test_embedding_bag_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call(ag.tensor(_normal(10, 4)))


@pytest.mark.parametrize("nsp", [1, 2, 3])
def test_max_unpool(nsp):
    pool, tpool = ((F.max_pool1d, TF.max_pool1d), (F.max_pool2d, TF.max_pool2d),
                   (F.max_pool3d, TF.max_pool3d))[nsp - 1]
    unpool, tunpool = ((F.max_unpool1d, TF.max_unpool1d), (F.max_unpool2d, TF.max_unpool2d),
                       (F.max_unpool3d, TF.max_unpool3d))[nsp - 1]
    x = _normal(*((2, 3) + (7, 6, 5)[:nsp]))
    values, idx = tpool(torch.tensor(x), 2, 2, 1, return_indices=True)
    ours_values, ours_idx = pool(ag.tensor(x), 2, 2, 1, return_indices=True)
    np.testing.assert_array_equal(ours_idx.data, idx.numpy())
    size = x.shape[2:]
    check_against_torch(lambda v: unpool(v, idx.numpy(), 2, 2, 1, output_size=size),
                        lambda v: tunpool(v, idx, 2, 2, 1, output_size=size),
                        [values.numpy()])
    with pytest.raises(ValueError, match="output_size"):
        unpool(ag.tensor(values.numpy()), idx.numpy(), 2, 2, 1, output_size=(99,) * nsp)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.5])
def test_lp_pool(p):
    x = np.abs(_normal(2, 3, 7, 6)) + 0.1
    check_against_torch(lambda t: F.lp_pool2d(t, p, (2, 3), (1, 2), True),
                        lambda t: TF.lp_pool2d(t, p, (2, 3), (1, 2), True), [x])
    check_against_torch(lambda t: F.lp_pool1d(t, p, 3), lambda t: TF.lp_pool1d(t, p, 3),
                        [x[0]])
    check_against_torch(lambda t: F.lp_pool3d(t, p, 2), lambda t: TF.lp_pool3d(t, p, 2),
                        [np.abs(_normal(1, 2, 4, 4, 5)) + 0.1], second_order=False)


@pytest.mark.parametrize("size", [1, 3, 4, 11])
def test_adaptive_max_pool1d(size):
    x = _normal(2, 3, 11)
    check_against_torch(lambda t: F.adaptive_max_pool1d(t, size),
                        lambda t: TF.adaptive_max_pool1d(t, size), [x])
    out, idx = F.adaptive_max_pool1d(ag.tensor(x), size, return_indices=True)
    np.testing.assert_array_equal(idx.data, TF.adaptive_max_pool1d(torch.tensor(x), size,
                                                                   True)[1].numpy())


def test_gumbel_softmax_samples_and_straight_through_gradient():
    logits = np.log(np.array([[0.7, 0.2, 0.1]]))
    ag.manual_seed(0)
    draws = F.gumbel_softmax(ag.tensor(np.repeat(logits, 4000, axis=0)), tau=0.1, hard=True)
    np.testing.assert_array_equal(draws.data.sum(axis=1), 1.0)
    np.testing.assert_allclose(draws.data.mean(axis=0), [0.7, 0.2, 0.1], atol=0.03)
    x = ag.tensor(_normal(3, 4), requires_grad=True)
    ag.manual_seed(1)
    soft = F.gumbel_softmax(x, tau=0.5, dim=1)
    ag.manual_seed(1)
    hard = F.gumbel_softmax(x, tau=0.5, hard=True, dim=1)
    assert set(np.unique(hard.data)) <= {0.0, 1.0}
    np.testing.assert_array_equal(hard.data.argmax(axis=1), soft.data.argmax(axis=1))
    w = ag.tensor(_normal(3, 4))
    (g_soft,) = ag.grad((soft * w).sum(), x)
    (g_hard,) = ag.grad((hard * w).sum(), x)
    np.testing.assert_allclose(g_hard.data, g_soft.data)


def test_adaptive_3d_pools_and_with_indices_names():
    x = _normal(2, 3, 5, 7, 6)
    for size in [2, (3, 1, 4), (5, 7, 6)]:
        check_against_torch(lambda t: F.adaptive_avg_pool3d(t, size),
                            lambda t: TF.adaptive_avg_pool3d(t, size), [x])
        check_against_torch(lambda t: F.adaptive_max_pool3d(t, size),
                            lambda t: TF.adaptive_max_pool3d(t, size), [x])
        ours = F.adaptive_max_pool3d_with_indices(ag.tensor(x), size)[1].data
        np.testing.assert_array_equal(ours, TF.adaptive_max_pool3d_with_indices(
            torch.tensor(x), size)[1].numpy())
    y, idx = F.max_pool2d_with_indices(ag.tensor(x[0]), 2)
    ty, tidx = TF.max_pool2d_with_indices(torch.tensor(x[0]), 2)
    np.testing.assert_array_equal(idx.data, tidx.numpy())
