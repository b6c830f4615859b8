"""Issue 21's losses against PyTorch (float64): triplet margin (with distance),
multi-label margin and soft margin, and CTC on random alignments (every reduction, the
blank index, zero_infinity, padded and concatenated targets), plus CTC's gradient
against finite differences and against the same recursion composed of graph ops."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
import nn.functional as F
from ctc_reference import composed_ctc_nll
from parity_kit import check_against_torch

TF = torch.nn.functional
RNG = np.random.default_rng(2121)


def _normal(*shape):
    return RNG.normal(size=shape)


TRIPLET = [dict(), dict(margin=2.0, p=1, swap=True), dict(p=3, eps=0.1, reduction="sum"),
           dict(swap=True, reduction="none")]


@pytest.mark.parametrize("kw", TRIPLET)
@pytest.mark.parametrize("shape", [(5, 3), (4,)])
def test_triplet_margin_loss(kw, shape):
    check_against_torch(lambda a, p, n: F.triplet_margin_loss(a, p, n, **kw),
                        lambda a, p, n: TF.triplet_margin_loss(a, p, n, **kw),
                        [_normal(*shape) for _ in range(3)])


@pytest.mark.parametrize("kw", [dict(), dict(margin=0.5, swap=True, reduction="sum")])
def test_triplet_margin_with_distance_loss(kw):
    arrays = [_normal(6, 4) for _ in range(3)]
    check_against_torch(lambda a, p, n: F.triplet_margin_with_distance_loss(a, p, n, **kw),
                        lambda a, p, n: TF.triplet_margin_with_distance_loss(a, p, n, **kw),
                        arrays)
    check_against_torch(
        lambda a, p, n: F.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda x, y: 1.0 - F.cosine_similarity(x, y), **kw),
        lambda a, p, n: TF.triplet_margin_with_distance_loss(
            a, p, n, distance_function=lambda x, y: 1.0 - TF.cosine_similarity(x, y), **kw),
        arrays)


TARGETS = np.array([[3, 0, -1, 1, 2], [1, 2, 3, 0, 4], [-1, 1, 2, 0, 0], [4, 4, -1, 0, 0]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss(reduction):
    # (a duplicated label counts twice, as in PyTorch; it has no second derivative)
    check_against_torch(lambda x: F.multilabel_margin_loss(x, TARGETS, reduction=reduction),
                        lambda x: TF.multilabel_margin_loss(x, torch.tensor(TARGETS),
                                                            reduction=reduction),
                        [_normal(4, 5)], second_order=False)
    check_against_torch(lambda x: F.multilabel_margin_loss(x, TARGETS[0]),
                        lambda x: TF.multilabel_margin_loss(x, torch.tensor(TARGETS[0])),
                        [_normal(5)], second_order=False)
    x = ag.tensor(_normal(4, 5), requires_grad=True)
    assert ag.gradgradcheck(lambda t: F.multilabel_margin_loss(t, TARGETS), [x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss(reduction, weighted):
    y = RNG.integers(0, 2, size=(4, 5)).astype(float)
    w = RNG.uniform(size=5) if weighted else None
    tw = None if w is None else torch.tensor(w)
    check_against_torch(
        lambda x: F.multilabel_soft_margin_loss(x, y, weight=w, reduction=reduction),
        lambda x: TF.multilabel_soft_margin_loss(x, torch.tensor(y), weight=tw,
                                                 reduction=reduction), [_normal(4, 5)])


def _alignment_case(seed, t_max=12, n=4, c=5, max_len=5):
    """Random logits, blank, input lengths and targets (with repeats; some impossible)."""
    rng = np.random.default_rng(seed)
    blank = int(rng.integers(0, c))
    labels = np.array([k for k in range(c) if k != blank])
    targets = labels[rng.integers(0, c - 1, size=(n, max_len))]
    if seed % 3 == 0:
        targets[:, 1] = targets[:, 0]                       # repeated labels
    return (rng.normal(size=(t_max, n, c)), targets, rng.integers(1, t_max + 1, size=n),
            rng.integers(0, max_len + 1, size=n), blank)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_on_random_alignments(seed, reduction, zero_infinity):
    logits, targets, in_len, tgt_len, blank = _alignment_case(seed)

    def ours(x):
        return F.ctc_loss(F.log_softmax(x, dim=2), targets, in_len, tgt_len, blank,
                          reduction, zero_infinity)

    def theirs(x):
        return TF.ctc_loss(TF.log_softmax(x, dim=2), torch.tensor(targets),
                           torch.tensor(in_len), torch.tensor(tgt_len), blank, reduction,
                           zero_infinity)
    loss = TF.ctc_loss(TF.log_softmax(torch.tensor(logits), dim=2), torch.tensor(targets),
                       torch.tensor(in_len), torch.tensor(tgt_len), blank, "none")
    if not zero_infinity and torch.isinf(loss).any():
        x, tx = ag.tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
        out, tout = ours(x), theirs(tx)
        np.testing.assert_allclose(out.data, tout.detach().numpy())      # inf where torch's
        out.sum().backward()
        tout.sum().backward()
        np.testing.assert_array_equal(np.isnan(x.grad.data), np.isnan(tx.grad.numpy()))
        return
    # PyTorch has no second derivative for ctc_loss: ours is checked by finite differences
    check_against_torch(ours, theirs, [logits], second_order=False, atol=1e-10)


def test_ctc_blank_index_and_target_formats():
    logits, targets, in_len, tgt_len, _ = _alignment_case(5, t_max=15)
    targets = np.where(targets == 2, 1, targets)            # the blank below is 2
    lp = TF.log_softmax(torch.tensor(logits), dim=2)
    expected = TF.ctc_loss(lp, torch.tensor(targets), torch.tensor(in_len),
                           torch.tensor(tgt_len), blank=2, reduction="none").numpy()
    ours_lp = F.log_softmax(ag.tensor(logits), dim=2)
    padded = F.ctc_loss(ours_lp, targets, in_len, tgt_len, blank=2, reduction="none")
    flat = np.concatenate([row[:k] for row, k in zip(targets, tgt_len)])
    concatenated = F.ctc_loss(ours_lp, flat, in_len, tgt_len, blank=2, reduction="none")
    np.testing.assert_allclose(padded.data, expected)
    np.testing.assert_allclose(concatenated.data, expected)
    one = F.ctc_loss(ours_lp[:, 0], targets[0], in_len[:1], tgt_len[:1], blank=2,
                     reduction="none")
    assert one.shape == () and np.isclose(one.item(), expected[0])
    module = nn.CTCLoss(blank=2, reduction="sum")
    np.testing.assert_allclose(module(ours_lp, targets, in_len, tgt_len).data, expected.sum())


def test_ctc_gradient_is_the_exact_derivative_of_raw_log_probs():
    """PyTorch returns exp(lp) - γ for raw log_probs (right only after a log_softmax);
    glassgrad returns -γ, the true derivative: finite differences, first and second
    order, on unnormalised inputs."""
    logits, targets, in_len, tgt_len, blank = _alignment_case(7, t_max=6, n=3, c=4,
                                                              max_len=2)
    in_len = np.maximum(in_len, 5)

    def fn(lp):
        return F.ctc_loss(lp, targets, in_len, tgt_len, blank, reduction="sum",
                          zero_infinity=True)
    lp = ag.tensor(logits, requires_grad=True)
    assert ag.gradcheck(fn, [lp])
    assert ag.gradgradcheck(fn, [lp])
    fn(lp).backward()
    tlp = torch.tensor(logits, requires_grad=True)
    TF.ctc_loss(tlp, torch.tensor(targets), torch.tensor(in_len), torch.tensor(tgt_len),
                blank, "sum", True).backward()
    inside = np.arange(6)[:, None, None] < in_len[None, :, None]
    torch_true = tlp.grad.numpy() - np.where(inside, np.exp(logits), 0.0)
    np.testing.assert_allclose(lp.grad.data, torch_true, atol=1e-10)


@pytest.mark.parametrize("seed", range(4))
def test_ctc_primitive_equals_the_composed_recursion(seed):
    logits, targets, in_len, tgt_len, blank = _alignment_case(seed + 40)
    in_len = np.maximum(in_len, 11)                  # every target can be aligned
    x1, x2 = ag.tensor(logits, requires_grad=True), ag.tensor(logits, requires_grad=True)
    a = F.ctc_loss(F.log_softmax(x1, dim=2), targets, in_len, tgt_len, blank,
                   reduction="none", zero_infinity=True)
    b = composed_ctc_nll(F.log_softmax(x2, dim=2), targets, in_len, tgt_len, blank)
    np.testing.assert_allclose(a.data, b.data, rtol=1e-12)
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_allclose(x1.grad.data, x2.grad.data, atol=1e-12)


def test_ctc_long_sequence_stays_finite():
    """Log space: 400 frames of confident, peaked log-probabilities do not underflow."""
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(400, 2, 6)) * 15
    targets = rng.integers(1, 6, size=(2, 30))
    x = ag.tensor(logits, requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(x, dim=2), targets, [400, 350], [30, 25],
                      reduction="none")
    tl = TF.ctc_loss(TF.log_softmax(torch.tensor(logits), dim=2), torch.tensor(targets),
                     torch.tensor([400, 350]), torch.tensor([30, 25]), reduction="none")
    np.testing.assert_allclose(loss.data, tl.numpy(), rtol=1e-10)
    loss.sum().backward()
    assert np.isfinite(x.grad.data).all()


@pytest.mark.parametrize("call,match", [
    (lambda lp: F.ctc_loss(lp, [[1, 2]], [5], [2]), "expected 2 input lengths"),
    (lambda lp: F.ctc_loss(lp, [[1, 2], [1, 0]], [9, 5], [2, 1]), r"input lengths must be in"),
    (lambda lp: F.ctc_loss(lp, [[1, 0], [1, 0]], [5, 5], [2, 1]), "other than the blank 0"),
    (lambda lp: F.ctc_loss(lp, [[1, 7], [1, 0]], [5, 5], [2, 1]), r"classes in \[0, 4\)"),
    (lambda lp: F.ctc_loss(lp, [1, 2, 3], [5, 5], [2, 2]), "add up to 4"),
    (lambda lp: F.ctc_loss(lp, [[1, 2], [1, 0]], [5, 5], [3, 1]), "exceeds"),
    (lambda lp: F.ctc_loss(lp, [[1, 2], [1, 0]], [5, 5], [2, 1], blank=4), "blank 4"),
    (lambda lp: F.ctc_loss(lp, [[1, 2], [1, 0]], [5, 5], [2, 1], reduction="avg"),
     "reduction"),
])
def test_ctc_errors_say_what_is_wrong(call, match):
    with pytest.raises(ValueError, match=match):
        call(F.log_softmax(ag.randn(5, 2, 4), dim=2))


def test_ctc_third_derivative_is_refused():
    lp = ag.tensor(_normal(4, 1, 3), requires_grad=True)
    loss = F.ctc_loss(lp, [[1]], [4], [1], reduction="sum")
    (g,) = ag.grad(loss, lp, create_graph=True)
    (h,) = ag.grad((g * g).sum(), lp, create_graph=True)
    with pytest.raises(RuntimeError, match="third derivatives"):
        h.sum().backward()
