"""The walk's in-place sums of slice gradients (autograd/slice_sums.py) and in-place leaf
accumulation give the same bits as the plain path (an ``index_add`` zeros array per
slice, added in turn; a new array per leaf sum), signed zeros included."""
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import engine, leaf_grads


def _signed(rng, shape):
    """Random values with many exact -0.0 and +0.0 (where the two paths could differ)."""
    v = rng.standard_normal(shape)
    pick = rng.random(shape)
    v[pick < 0.3] = -0.0
    v[(pick >= 0.3) & (pick < 0.4)] = 0.0
    return ag.tensor(v)


def _time_steps(x, rng):
    y = x * 1.0
    total = 0.0
    for t in rng.permutation(x.shape[0]):
        total = total + (y[int(t)] * _signed(rng, x.shape[1:])).sum()
    return total


def _overlapping(x, rng):
    y = x * -0.0
    return ((y[1:3] * 2).sum() + (y[2:5] * _signed(rng, (3,) + x.shape[1:])).sum()
            + y[:, 1].sum() + (y * _signed(rng, x.shape)).sum() + (y[..., 0] * -1.0).sum())


def _one_slice_after_a_full_gradient(x, rng):
    y = x + 0.0
    return (y * _signed(rng, x.shape)).sum() + (y[0] * _signed(rng, x.shape[1:])).sum()


def _strided_gate_slices(x, rng):
    y = x * _signed(rng, x.shape)
    n = x.shape[-1] // 2
    return sum((y[:, :, k * n:(k + 1) * n] * _signed(rng, y.shape[:2] + (n,))).sum()
               for k in (1, 0))


def _negative_index_and_newaxis(x, rng):
    y = x - 0.0
    return ((y[-1] * -0.0).sum() + (y[None, 2, :, 1:3] * _signed(rng, (1, 4, 2))).sum()
            + (y[np.int64(0)] * _signed(rng, x.shape[1:])).sum())


def _one_row_named_two_ways(x, rng):
    # visited last-made first: y[4:] is written, then y[5] and y[-1] (the same row)
    # are added in place: their overlap must be seen, or row 5 loses its -0.0
    y = x - 0.0
    return (y[-1] * -0.0).sum() + (y[np.int64(5)] * -0.0).sum() + (y[4:] * -0.0).sum()


def _overlapping_chain(x, rng):
    # visited y[0:2], y[1:3], y[2:4]: row 1 is -0.0 + -0.0 until y[2:4]'s zeros add +0.0
    y = x - 0.0
    return sum((y[k:k + 2] * -0.0).sum() for k in (2, 1, 0))


def _single_elements(x, rng):
    y = x * _signed(rng, x.shape)
    return y[0, 1, 2] * -0.0 + y[0, 1, 2] * 2.0 + y[1, 0, np.int64(3)] + (y[0, 1] * -0.0).sum()


def _fancy_and_basic(x, rng):
    y = x * 2.0
    return (y[[0, 0, 3]] * _signed(rng, (3,) + x.shape[1:])).sum() + (y[0] * -0.0).sum()


def _column_blocks_some_overlapping(x, rng):
    # disjoint blocks of axis 1 (told apart without shares_memory), then one that
    # overlaps two of them, one of axis 2, and a whole-row one: each must settle
    y = x * -1.0
    parts = [y[:, 0:2], y[:, 2:3], y[:, 3], y[:, 1:3], y[:, :, 2], y[1]]
    return sum((p * -0.0).sum() + (p * _signed(rng, p.shape)).sum() for p in parts)


BUILDS = [_time_steps, _overlapping, _one_slice_after_a_full_gradient,
          _strided_gate_slices, _negative_index_and_newaxis, _one_row_named_two_ways,
          _overlapping_chain, _single_elements, _fancy_and_basic,
          _column_blocks_some_overlapping]


def _grads(build, seed, fast, monkeypatch, dtype):
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(engine, "_slice_sent", lambda *args: False)
            m.setattr(leaf_grads, "_add_into_grad", _add_as_new_array)
        rng = np.random.default_rng(seed)
        x = ag.tensor(rng.standard_normal((6, 4, 6)).astype(dtype), requires_grad=True)
        for _ in range(2):                     # the second backward accumulates
            build(x, np.random.default_rng(seed)).backward()
        return x.grad.data.copy()


def _add_as_new_array(grad, g):
    grad.data = grad.data + g


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("build", BUILDS, ids=[b.__name__ for b in BUILDS])
def test_fast_and_plain_paths_agree_bit_for_bit(build, dtype, monkeypatch):
    for seed in range(4):
        fast = _grads(build, seed, True, monkeypatch, dtype)
        plain = _grads(build, seed, False, monkeypatch, dtype)
        assert fast.dtype == plain.dtype
        assert fast.tobytes() == plain.tobytes(), (build.__name__, seed)


def test_the_slice_path_is_taken_and_makes_no_zeros_array_per_slice(monkeypatch):
    made = []
    real = np.zeros

    def counting_zeros(shape, *args, **kwargs):
        made.append(shape)
        return real(shape, *args, **kwargs)

    x = ag.tensor(np.ones((10, 3)), requires_grad=True)
    y = x * 2.0
    loss = sum((y[t] * float(t)).sum() for t in range(10))
    monkeypatch.setattr(np, "zeros", counting_zeros)
    loss.backward()
    assert made.count((10, 3)) == 1          # one accumulator, not one per slice
    np.testing.assert_array_equal(x.grad.data, 2.0 * np.arange(10.0)[:, None] * np.ones(3))


def test_disjoint_gate_slices_need_no_overlap_check(monkeypatch):
    # an LSTM's four gates a[:, k*H:(k+1)*H] are disjoint blocks of axis 1, as its
    # xp[t] are of axis 0: told apart by their bounds, with no shares_memory call
    from autograd import slice_sums
    checked = []
    monkeypatch.setattr(slice_sums, "_may_overlap",
                        lambda a, b: checked.append(1) or True)
    x = ag.tensor(np.ones((3, 8)), requires_grad=True)
    a = x * 2.0
    loss = sum((a[:, 2 * k:2 * k + 2] * float(k + 1)).sum() for k in range(4))
    loss.backward()
    assert checked == []
    np.testing.assert_array_equal(x.grad.data,
                                  2.0 * np.repeat(np.arange(1.0, 5.0), 2) * np.ones((3, 1)))


def test_leaf_accumulation_never_changes_an_array_someone_holds():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    held = w.grad.numpy()                     # a user's reference to the array
    v = ag.tensor([3.0, 4.0], requires_grad=True)
    z = (v * w.grad).sum()                    # a graph that saved the gradient's array
    (w * 3.0).sum().backward()
    np.testing.assert_array_equal(held, [2.0, 4.0])
    np.testing.assert_array_equal(w.grad.data, [5.0, 7.0])
    z.backward()
    np.testing.assert_array_equal(v.grad.data, [2.0, 4.0])
    before = weakref.ref(w.grad.data)         # (a weak reference does not count)
    del held, z
    (w * 1.0).sum().backward()                # nothing else holds it now: in place
    assert w.grad.data is before()
    np.testing.assert_array_equal(w.grad.data, [6.0, 8.0])


def _rows_graph():
    x = ag.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    y = x * x
    s = y[0]
    s.retain_grad()
    return x, s, (s * 2.0).sum() + (y[1] * 3.0).sum() + y[2].sum()


def test_create_graph_and_retained_slices_keep_the_plain_path():
    expect = 2 * np.arange(6.0).reshape(3, 2) * np.array([[2.0], [3.0], [1.0]])
    x, _, loss = _rows_graph()
    (gx,) = ag.grad(loss, x, create_graph=True)
    np.testing.assert_array_equal(gx.data, expect)
    (ggx,) = ag.grad(gx.sum(), x)
    np.testing.assert_array_equal(ggx.data, [[4.0, 4.0], [6.0, 6.0], [2.0, 2.0]])
    x, s, loss = _rows_graph()
    loss.backward()
    np.testing.assert_array_equal(s.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.data, expect)


def test_a_hook_on_a_slice_or_its_base_still_runs():
    x = ag.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    y = x * 1.0
    rows = [y[t] for t in range(3)]
    rows[1].register_hook(lambda g: g * 10.0)
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    sum((r * float(t + 1)).sum() for t, r in enumerate(rows)).backward()
    expect = np.array([[1.0, 1.0], [20.0, 20.0], [3.0, 3.0]])
    np.testing.assert_array_equal(x.grad.data, expect)
    np.testing.assert_array_equal(seen[0], expect)


def _big_rows(retain=False):
    """A (64, 256) float64 tensor (128 KB: its accumulator is kept) read row by row."""
    x = ag.tensor(np.ones((64, 256)), requires_grad=True)
    y = x + 0.0                 # add passes the accumulator itself on to x
    if retain:
        y.retain_grad()
    loss = sum((y[t] * float(t)).sum() for t in range(64))
    return x, y, loss


EXPECT = np.arange(64.0)[:, None] * np.ones(256)


def test_a_kept_accumulator_is_reused_and_never_seen():
    from autograd import slice_sums
    held, kept = [], []
    for _ in range(3):
        x, y, loss = _big_rows(retain=True)
        loss.backward()
        spare = slice_sums._SPARE[((64, 256), np.dtype(np.float64))]
        for g in (x.grad.data, y.grad.data):      # copies, never the kept buffer
            assert not np.shares_memory(g, spare)
            np.testing.assert_array_equal(g, EXPECT)
        held.append((x.grad.data, y.grad.data))
        kept.append(weakref.ref(spare))            # (a weak reference does not count)
        del spare
    assert kept[0]() is kept[1]() is kept[2]() is not None
    for gx, gy in held:                            # later walks left them alone
        np.testing.assert_array_equal(gx, EXPECT)
        np.testing.assert_array_equal(gy, EXPECT)


def test_a_kept_accumulator_someone_holds_is_not_reused():
    from autograd import slice_sums
    _big_rows()[2].backward()
    key = ((64, 256), np.dtype(np.float64))
    first = slice_sums._SPARE[key]
    view = first[3:5]                              # a view keeps its base referenced
    del first
    values = view.copy()
    x, _, loss = _big_rows()
    loss.backward()
    np.testing.assert_array_equal(view, values)
    np.testing.assert_array_equal(x.grad.data, EXPECT)
    assert slice_sums._SPARE[key] is not view.base
    del view
    again = weakref.ref(slice_sums._SPARE[key])
    _big_rows()[2].backward()
    assert slice_sums._SPARE[key] is again()       # alone again: reused
