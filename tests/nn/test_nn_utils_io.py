"""nn.utils against PyTorch, and nn.save / nn.load (round trips, atomicity, bad files)."""
import os

import numpy as np
import pytest

import autograd as ag
import nn
from nn_oracle import assert_close

torch = pytest.importorskip("torch")
tnn = torch.nn
pytestmark = pytest.mark.usefixtures("float64")


def _grads_pair(rng, scale=1.0):
    shapes = [(3, 4), (4,), (2, 2, 2)]
    grads = [rng.standard_normal(s) * scale for s in shapes]
    ours = [nn.Parameter(ag.zeros(s)) for s in shapes]
    theirs = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for p, tp, g in zip(ours, theirs, grads):
        p.grad, tp.grad = ag.tensor(g.copy()), torch.tensor(g.copy())
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, rng):
    ours, theirs = _grads_pair(rng)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ttotal = tnn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, ag.Tensor) and total.shape == ()
    assert_close(total, ttotal, "total norm")
    for p, tp in zip(ours, theirs):
        assert_close(p.grad, tp.grad, "clipped grad")


def test_clip_grad_norm_edge_cases():
    p = nn.Parameter(ag.ones(2))
    assert float(nn.utils.clip_grad_norm_([p], 1.0)) == 0.0      # no grads at all
    p.grad = ag.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch(rng):
    ours, theirs = _grads_pair(rng)
    nn.utils.clip_grad_value_(ours, 0.3)
    tnn.utils.clip_grad_value_(theirs, 0.3)
    for p, tp in zip(ours, theirs):
        assert_close(p.grad, tp.grad, "value-clipped grad")


def test_parameters_vector_round_trip_matches_torch():
    m, tm = nn.Linear(3, 2), tnn.Linear(3, 2).double()
    m.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    v = nn.utils.parameters_to_vector(m.parameters())
    assert_close(v, tnn.utils.parameters_to_vector(tm.parameters()), "vector")
    (v * ag.arange(8.0)).sum().backward()                  # differentiable
    np.testing.assert_array_equal(m.weight.grad.data.ravel(), np.arange(6.0))
    w = m.weight
    nn.utils.vector_to_parameters(ag.arange(8.0), m.parameters())
    assert m.weight is w
    np.testing.assert_array_equal(m.weight.data, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.bias.data, [6.0, 7.0])
    with pytest.raises(ValueError, match="7 elements but the parameters have 8"):
        nn.utils.vector_to_parameters(ag.zeros(7), m.parameters())


# -------------------------------------------------------------------- save / load
def test_save_load_round_trip_types(tmp_path):
    obj = {
        "w": np.arange(6, dtype=np.float32).reshape(2, 3),
        "t": ag.tensor([1.0, 2.0], requires_grad=True),
        "i": 3, "f": 0.1, "b": True, "n": None, "s": "adam",
        "empty": {}, "nested": {"deep": {"x": np.int64(7), "e": {}}},
        "lst": [1, 2.5, np.zeros(2)], "tup": (0.9, 0.999),
        "state": {0: {"step": 4, "buf": np.ones(3)}, 1: {}},
        "scalar0d": np.array(5, dtype=np.int64),
    }
    path = tmp_path / "ckpt.npz"
    nn.save(obj, path)
    back = nn.load(path)
    assert set(back) == set(obj)
    assert back["w"].dtype == np.float32 and np.array_equal(back["w"], obj["w"])
    assert isinstance(back["t"], np.ndarray) and np.array_equal(back["t"], [1.0, 2.0])
    assert type(back["i"]) is int and back["i"] == 3
    assert type(back["f"]) is float and back["f"] == 0.1
    assert back["b"] is True and back["n"] is None and back["s"] == "adam"
    assert back["empty"] == {} and back["nested"]["deep"]["e"] == {}
    assert back["nested"]["deep"]["x"] == 7 and isinstance(back["nested"]["deep"]["x"],
                                                           np.integer)
    assert back["lst"][:2] == [1, 2.5] and isinstance(back["lst"], list)
    assert back["tup"] == (0.9, 0.999)
    assert back["state"][0]["step"] == 4 and back["state"][1] == {}
    assert back["scalar0d"].shape == () and back["scalar0d"].dtype == np.int64


def test_state_dict_round_trip_restores_model(tmp_path):
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    m(ag.randn(5, 3))                            # moves running stats
    nn.save(m.state_dict(), tmp_path / "m.npz")
    m2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    m2.load_state_dict(nn.load(tmp_path / "m.npz"))
    for (k, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=k)


def test_save_writes_exactly_the_given_path(tmp_path):
    path = tmp_path / "weights.bin"
    nn.save({"a": np.ones(2)}, str(path))
    assert sorted(os.listdir(tmp_path)) == ["weights.bin"]       # no .npz, no temp left
    assert np.array_equal(nn.load(str(path))["a"], np.ones(2))


def test_unsupported_value_leaves_existing_file_untouched(tmp_path):
    path = tmp_path / "keep.npz"
    nn.save({"a": np.ones(2)}, path)
    before = path.read_bytes()
    for bad in ({"a": object()}, {"a": np.array([object()])}, {(1, 2): 1}, {"f": len}):
        with pytest.raises((TypeError, ValueError)):
            nn.save(bad, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.npz"]


def test_corrupted_truncated_and_foreign_files_give_value_error(tmp_path):
    path = tmp_path / "c.npz"
    nn.save({"a": np.arange(1000.0)}, path)
    data = path.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "text.npz").write_text("hello, I am not a checkpoint")
    np.savez(tmp_path / "plain.npz", a=np.ones(2))
    np.save(tmp_path / "single.npy", np.ones(2))
    (tmp_path / "empty.npz").write_bytes(b"")
    for name in ("trunc.npz", "text.npz", "plain.npz", "single.npy", "empty.npz"):
        with pytest.raises(ValueError, match="nn.load"):
            nn.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "missing.npz")


def test_load_never_unpickles(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, __glassgrad__=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ValueError, match="nn.load"):
        nn.load(path)


def test_nn_exports_save_and_load():
    assert nn.save is nn.io.save and nn.load is nn.io.load


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    nn.save({"a": np.ones(2)}, path)
    before = path.read_bytes()

    def broken_savez(f, **members):
        f.write(b"partial")
        raise OSError("disk full")
    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"a": np.zeros(2)}, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]


def test_overwrite_keeps_permissions(tmp_path):
    path = tmp_path / "ckpt.npz"
    nn.save({"a": 1}, path)
    os.chmod(path, 0o640)
    nn.save({"a": 2}, path)
    assert (os.stat(path).st_mode & 0o777) == 0o640 and nn.load(path)["a"] == 2
