"""Checkpoints and state dicts: atomic writes, no code from files, clear reports.

``nn.save`` writes to a temporary file next to the target and renames it, so a crash
at any moment (an exception, Ctrl-C, a failed rename) leaves the old file as it was
and no temporary behind. ``nn.load`` reads with ``allow_pickle=False``: a pickle inside
a file is refused before it can run. ``load_state_dict`` checks everything first and
reports missing / unexpected / mis-shaped / non-numeric entries like PyTorch.
"""
import os
import pickle

import numpy as np
import pytest
import torch

import autograd as ag
import nn
from nn import io as nnio


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model.npz"
    nn.save({"w": np.arange(3.0), "step": 7}, path)
    return path, path.read_bytes()


def assert_untouched(path, before):
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == [path.name], "a temporary file was left"
    np.testing.assert_array_equal(nn.load(path)["w"], np.arange(3.0))


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_crash_mid_write_keeps_the_old_file(saved, monkeypatch, exc):
    path, before = saved
    real_savez = np.savez

    def crashing_savez(f, **members):
        real_savez(f, **members)           # the whole payload is in the temp file...
        f.truncate(f.tell() // 2)          # ...half of it reaches the disk, then: crash
        raise exc
    monkeypatch.setattr(np, "savez", crashing_savez)
    with pytest.raises(type(exc)):
        nn.save({"w": np.zeros(3), "step": 8}, path)
    monkeypatch.undo()
    assert_untouched(path, before)


def test_crash_at_the_rename_keeps_the_old_file(saved, monkeypatch):
    path, before = saved

    def failing_replace(src, dst):
        raise OSError("rename failed")
    monkeypatch.setattr(nnio.os, "replace", failing_replace)
    with pytest.raises(OSError, match="rename failed"):
        nn.save({"w": np.zeros(3)}, path)
    monkeypatch.undo()
    assert_untouched(path, before)


def test_unsaveable_value_fails_before_touching_anything(saved):
    path, before = saved
    with pytest.raises(TypeError, match=r"nn.save: .*object|nn.save: .*type"):
        nn.save({"w": np.zeros(3), "bad": object()}, path)
    with pytest.raises(TypeError, match="pickle"):
        nn.save({"w": np.array([{"a": 1}], dtype=object)}, path)
    assert_untouched(path, before)


class Payload:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_load_never_runs_code_from_a_file(tmp_path):
    marker = str(tmp_path / "pwned")
    npz = tmp_path / "evil.npz"
    meta = '{"format": "glassgrad-checkpoint", "version": 1, "tree": {"t": "array", "k": "a0"}}'
    np.savez(npz, __glassgrad__=np.array(meta),
             a0=np.array([Payload(marker)], dtype=object))
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps(Payload(marker)))
    npy = tmp_path / "evil.npy"
    np.save(npy, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    assert not os.path.exists(marker)
    for path in (npz, raw, npy):
        with pytest.raises(ValueError, match=r"nn.load: .*not a readable checkpoint"):
            nn.load(path)
    assert not os.path.exists(marker)


def _npz_with_meta(path, meta, **arrays):
    np.savez(path, __glassgrad__=np.array(meta), **arrays)
    return path


FOREIGN = {
    "truncated": lambda p, good: p.write_bytes(good[: len(good) // 2]),
    "empty": lambda p, good: p.write_bytes(b""),
    "text": lambda p, good: p.write_text("hello, not a checkpoint"),
    "plain npz": lambda p, good: np.savez(p, x=np.ones(2)),
    "npy": lambda p, good: np.save(p, np.ones(2)),
    "meta not json": lambda p, good: _npz_with_meta(p, "{oops"),
    "meta not a dict": lambda p, good: _npz_with_meta(p, "[1, 2]"),
    "wrong format": lambda p, good: _npz_with_meta(p, '{"format": "other", "tree": 1}'),
    "unknown kind": lambda p, good: _npz_with_meta(
        p, '{"format": "glassgrad-checkpoint", "tree": {"t": "eval", "v": "1+1"}}'),
    "missing member": lambda p, good: _npz_with_meta(
        p, '{"format": "glassgrad-checkpoint", "tree": {"t": "array", "k": "a9"}}'),
    "deeply nested": lambda p, good: _npz_with_meta(
        p, '{"format": "glassgrad-checkpoint", "tree": '
        + '{"t": "list", "v": [' * 50_000 + "]}" * 50_000 + "}"),
}


@pytest.mark.parametrize("kind", sorted(FOREIGN))
def test_foreign_or_damaged_files_give_one_clear_error(tmp_path, saved, kind):
    _, good = saved
    path = tmp_path / f"bad-{kind.replace(' ', '_')}.npz"
    FOREIGN[kind](path, good)
    target = path if path.exists() else path.with_suffix(path.suffix + ".npy")
    with pytest.raises(ValueError) as info:
        nn.load(target)
    msg = str(info.value)
    assert msg.startswith("nn.load: ") and str(target) in msg and "checkpoint" in msg, msg


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.npz")


# ---------------------------------------------------------------- state dicts
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        self.norm = nn.BatchNorm1d(2)


def torch_net():
    body = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    net = torch.nn.Module()
    net.body, net.norm = body, torch.nn.BatchNorm1d(2)
    return net


def snapshot(model):
    return {k: np.array(v, copy=True) for k, v in model.state_dict().items()}


def edited(sd, drop=(), add=None, reshape=None):
    out = {k: v for k, v in sd.items() if k not in drop}
    out.update(add or {})
    for k, shape in (reshape or {}).items():
        out[k] = np.zeros(shape)
    return out


def test_state_dict_keys_are_pytorchs():
    assert list(Net().state_dict()) == list(torch_net().state_dict())


def test_strict_load_reports_missing_and_unexpected_and_loads_nothing():
    model = Net()
    before = snapshot(model)
    bad = edited({k: v + 1 for k, v in before.items()}, drop=["body.2.bias"],
                 add={"body.9.weight": np.zeros(2), "head": 1.0})
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    msg = str(info.value)
    assert 'Missing key(s) in state_dict: "body.2.bias"' in msg, msg
    assert 'Unexpected key(s) in state_dict: "body.9.weight", "head"' in msg, msg
    assert "Net" in msg and "nothing was loaded" in msg
    for k, v in snapshot(model).items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_non_strict_load_reports_like_pytorch_and_loads_the_rest():
    model, tmodel = Net(), torch_net()
    sd = edited(snapshot(model), drop=["body.0.bias", "norm.running_mean"],
                add={"extra.weight": np.ones(3)})
    sd = {k: v + 1 if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
          for k, v in sd.items()}
    ours = model.load_state_dict(sd, strict=False)
    theirs = tmodel.load_state_dict({k: torch.as_tensor(np.asarray(v)) for k, v in sd.items()},
                                    strict=False)
    assert ours.missing_keys == theirs.missing_keys
    assert ours.unexpected_keys == theirs.unexpected_keys
    np.testing.assert_array_equal(model.body[0].weight.data, sd["body.0.weight"].astype(
        model.body[0].weight.dtype))


@pytest.mark.parametrize("strict", [True, False])
def test_shape_mismatch_always_raises_and_names_key_and_shapes(strict):
    model = Net()
    before = snapshot(model)
    bad = edited(before, reshape={"body.2.weight": (4, 2)})
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad, strict=strict)
    msg = str(info.value)
    assert "size mismatch for body.2.weight" in msg and "(4, 2)" in msg and "(2, 4)" in msg
    np.testing.assert_array_equal(model.body[0].weight.data, before["body.0.weight"])


@pytest.mark.parametrize("value", [np.full((4, 3), "a"), np.ones((4, 3)) * 1j,
                                   np.array([[None] * 3] * 4)])
def test_non_numeric_values_are_refused_before_anything_is_written(value):
    model = Net()
    before = snapshot(model)
    sd = {k: v + 1 if v.dtype.kind == "f" else v for k, v in before.items()}
    sd["body.0.weight"] = value
    with pytest.raises(RuntimeError, match=r"dtype mismatch for body.0.weight"):
        model.load_state_dict(sd)
    for k, v in snapshot(model).items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_load_state_dict_rejects_non_mappings_and_survives_a_round_trip(tmp_path):
    model = Net()
    with pytest.raises(TypeError, match="dict-like"):
        model.load_state_dict([("body.0.weight", np.zeros((4, 3)))])
    path = tmp_path / "net.npz"
    nn.save(model.state_dict(), path)
    fresh = Net()
    fresh.load_state_dict(nn.load(path))
    x = ag.tensor(np.random.default_rng(0).standard_normal((5, 3)))
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(model.body(x).data, fresh.body(x).data)
