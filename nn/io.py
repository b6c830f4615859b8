"""``nn.save(obj, path)`` / ``nn.load(path)``: checkpoints as NumPy ``.npz``, never pickle.

``obj`` is a nested structure of dicts (str or int keys), lists, tuples, arrays,
Tensors, numbers, bools, strings and None -- a ``state_dict`` or an optimizer's
state. Arrays (and Tensors, which come back as arrays) are stored as npz members;
the structure is a JSON document in the member ``__glassgrad__``. Python ints come
back as ints and floats as floats; empty dicts survive.

The write is atomic: everything is encoded first (an unsupported value raises
TypeError before any file is touched), written to a temporary file next to the
target, then moved over it with ``os.replace``. The file is written at exactly
``path`` (no ``.npz`` is appended).

>>> import os, tempfile, nn
>>> model = nn.Linear(3, 2)
>>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
>>> nn.save(model.state_dict(), path)
>>> model.load_state_dict(nn.load(path))
<All keys matched successfully>
>>> import shutil; shutil.rmtree(os.path.dirname(path))
"""
import json
import numbers
import os
import tempfile
import zipfile
import zlib

import numpy as np

from autograd import Tensor

__all__ = ["save", "load"]

_META = "__glassgrad__"
_FORMAT = "glassgrad-checkpoint"
_VERSION = 1


class _Encoder:
    """Turns a nested object into a JSON-able description plus a dict of arrays."""

    def __init__(self):
        self.arrays = {}

    def _array(self, arr, kind):
        arr = np.asarray(arr)
        if arr.dtype.hasobject:
            raise TypeError("nn.save: arrays of Python objects cannot be saved without "
                            "pickle; convert them to a numeric dtype")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return {"t": kind, "k": key}

    def encode(self, obj, where="obj"):
        if obj is None:
            return {"t": "none"}
        if isinstance(obj, bool):
            return {"t": "bool", "v": obj}
        if isinstance(obj, Tensor):
            return self._array(obj.data, "array")
        if isinstance(obj, np.ndarray):
            return self._array(obj, "array")
        if isinstance(obj, np.generic):
            return self._array(obj, "npscalar")
        if isinstance(obj, numbers.Integral):
            return {"t": "int", "v": int(obj)}
        if isinstance(obj, numbers.Real):
            return {"t": "float", "v": repr(float(obj))}
        if isinstance(obj, str):
            return {"t": "str", "v": obj}
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if isinstance(k, bool) or not isinstance(k, (str, numbers.Integral)):
                    raise TypeError(f"nn.save: dict keys must be str or int, got "
                                    f"{type(k).__name__} key {k!r} in {where}")
                key = {"t": "str", "v": k} if isinstance(k, str) else {"t": "int",
                                                                        "v": int(k)}
                items.append([key, self.encode(v, f"{where}[{k!r}]")])
            return {"t": "dict", "v": items}
        if isinstance(obj, (list, tuple)):
            kind = "list" if isinstance(obj, list) else "tuple"
            return {"t": kind, "v": [self.encode(v, f"{where}[{i}]")
                                     for i, v in enumerate(obj)]}
        raise TypeError(
            f"nn.save: cannot save a value of type {type(obj).__name__} at {where}; "
            "supported: dict, list, tuple, numpy arrays, Tensors, numbers, bools, str, None")


def _decode(node, arrays):
    kind = node["t"]
    if kind == "none":
        return None
    if kind in ("bool", "str"):
        return node["v"]
    if kind == "int":
        return int(node["v"])
    if kind == "float":
        return float(node["v"])
    if kind == "array":
        return arrays[node["k"]]
    if kind == "npscalar":
        return arrays[node["k"]][()]
    if kind == "dict":
        return {(k["v"] if k["t"] == "str" else int(k["v"])): _decode(v, arrays)
                for k, v in node["v"]}
    if kind == "list":
        return [_decode(v, arrays) for v in node["v"]]
    if kind == "tuple":
        return tuple(_decode(v, arrays) for v in node["v"])
    raise ValueError(f"unknown entry kind {kind!r}")


def save(obj, path):
    """Write ``obj`` to exactly ``path`` as an npz checkpoint, atomically."""
    encoder = _Encoder()
    tree = encoder.encode(obj)          # raises before any file is touched
    meta = json.dumps({"format": _FORMAT, "version": _VERSION, "tree": tree})
    members = dict(encoder.arrays)
    members[_META] = np.array(meta)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp", dir=directory)
    try:
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600; use what open() would
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **members)      # a file object: numpy appends no ".npz"
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _file_mode(path):
    """Keep an existing file's permissions, else the umask default of a new file."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def load(path):
    """Read a checkpoint written by ``nn.save`` (arrays come back as numpy arrays)."""
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not hasattr(archive, "files"):
                raise ValueError("it holds a single .npy array, not an nn.save archive")
            if _META not in archive.files:
                raise ValueError(f"it has no {_META!r} entry (a plain .npz? read it with "
                                 "np.load)")
            arrays = {k: archive[k] for k in archive.files}
        meta = json.loads(str(arrays.pop(_META)))
        if meta.get("format") != _FORMAT:
            raise ValueError("its header is not a glassgrad checkpoint header")
        return _decode(meta["tree"], arrays)
    except FileNotFoundError:
        raise
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile, zlib.error,
            json.JSONDecodeError, TypeError, AttributeError, RecursionError) as err:
        raise ValueError(
            f"nn.load: {path!r} is not a readable checkpoint written by nn.save "
            f"({type(err).__name__}: {err}); the file may be truncated or of another "
            "format") from err
