"""The Python objects a compiled function depends on, and the checks that keep a
program from outliving them.

``discover`` walks what the function can reach (its closure, the globals it names,
``self`` of a bound method, its arguments, and the attributes of plain objects found
there) and collects the modules (anything with ``_modules``, ``training`` and
``named_parameters``) and optimizers (anything with ``param_groups`` and ``state``).
duck-typed, so that autograd imports neither nn nor optim.

``World`` turns them into (what a program took of them is compared in ``guards.py``):
- a cache key: each module's train/eval flag and each parameter's ``requires_grad``
  (a program per combination, so ``model.eval()`` for validation gets its own);
- guards: the same objects under the same names, the same parameters in each module
  and optimizer group, the same state entries, no hooks (the modules' and optimizers'
  tables are read again only after an edit counted in ``autograd.edits``, or when an
  attribute of theirs is another object: ``attributes``);
- a snapshot of the attributes of the objects found (plain ones by value, others by
  identity) and of the sizes of the lists, dicts and sets found, compared after a
  trace: a function that changes Python state (``self.steps += 1``,
  ``losses.append(loss)``, ``self.last = y``) cannot be replayed;
- the plain values the function can read (``plain``: numbers, strings, None and tuples
  of them, and which array or tensor, in the globals it names, its closure, lists and
  dicts found, plain objects' attributes and modules' public ones): a trace bakes them
  in as constants, so a call that changes one (``global n; n += 1``, ``counts[0] += 1``)
  runs eagerly, and one changed between calls (``K = 4``, ``model.drop.p = 0.2``,
  ``mask = np.ones(3)``, a global batch rebound) sends the next call back to tracing.
"""
import dis
import math
import operator
import sys
import types

import numpy as np

from .. import hooks as tensor_hooks
from ..edits import counts_edits
from ..tensor import Tensor
from .draws import GENERATORS

_SKIP = (types.ModuleType, type, np.ndarray, Tensor, str, bytes, int, float, complex,
         bool, type(None), np.generic, np.dtype)
_LIMIT = 2000            # objects visited at most (a guard against walking a dataset)
_FOREIGN = {"numpy", "builtins", "torch", "graphviz", "matplotlib", "functools", "abc"}


def is_module(obj):
    return hasattr(obj, "_modules") and hasattr(obj, "training") and hasattr(
        obj, "named_parameters")


def is_optimizer(obj):
    return isinstance(getattr(obj, "param_groups", None), list) and isinstance(
        getattr(obj, "state", None), dict)


def _code_names(code, out):
    """The global names a code object (and the functions defined in it) reads."""
    names = _NAMES.get(code)
    if names is None:
        try:
            names = _global_loads(code)
        except IndexError:             # bytes this reader does not know: ask dis
            names = {ins.argval for ins in dis.get_instructions(code)
                     if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
        for c in code.co_consts:
            if isinstance(c, types.CodeType):
                _code_names(c, names)
        if len(_NAMES) > 4096:         # (a bound: code made at run time, exec'd)
            _NAMES.clear()
        names = _NAMES[code] = frozenset(names)
    out.update(names)
    return out


# code object -> the global names it reads: code is immutable, and disassembling it
# was most of a discovery's cost (W7: 0.15 ms of a 0.35 ms step, twice per tracing call)
_NAMES = {}
# LOAD_GLOBAL's argument is an index into co_names, shifted left by one from Python 3.11
# (the low bit says whether a NULL is pushed too); LOAD_NAME's is the index itself
_LOADS = {dis.opmap["LOAD_GLOBAL"]: 1 if sys.version_info >= (3, 11) else 0,
          dis.opmap["LOAD_NAME"]: 0}


def _global_loads(code):
    """The names of a code object's LOAD_GLOBAL and LOAD_NAME instructions, read from
    its bytes: what ``dis.get_instructions`` gives as their ``argval``, without making
    an Instruction per instruction (a process's first disassembly took ~0.24 ms, most
    of W7's first discovery; a test compares the two on every function of the package)."""
    raw, co_names, loads = code.co_code, code.co_names, _LOADS
    out, extended = set(), 0
    for i in range(0, len(raw), 2):
        op = raw[i]
        if op == _EXTENDED_ARG:
            extended = (extended | raw[i + 1]) << 8
            continue
        shift = loads.get(op)
        if shift is not None:
            out.add(co_names[(extended | raw[i + 1]) >> shift])
        extended = 0
    return out


_EXTENDED_ARG = dis.EXTENDED_ARG


class Discovery:
    """The walk (see the module docstring)."""

    def __init__(self):
        self.modules = []
        self.optimizers = []
        self.objects = []          # plain objects whose attributes were read
        self.refs = []             # (namespace dict, key, object) to guard by identity
        self.plain = []            # (namespace, key, label): where a plain value was read
        self.generators = []       # (label, generator): random generators found (draws.py)
        self.containers = []       # (label, list/dict/set): their sizes are compared
        self.seen = set()

    def walk(self, obj, depth=0, ref=None, label=None):
        if label is None:           # (what a warning calls it: a global's name, n[0])
            label = "" if ref is None else str(ref[1])
        if ref is not None and (isinstance(obj, _SKIP) and isinstance(obj, _GUARDED) or
                                type(obj) is tuple and _all_plain(obj)):
            self.plain.append(ref + (label,))
        if isinstance(obj, _SKIP) or id(obj) in self.seen or len(self.seen) > _LIMIT:
            return
        self.seen.add(id(obj))
        if ref is not None:
            self.refs.append(ref + (obj,))
        if isinstance(obj, GENERATORS):
            self.generators.append((label or type(obj).__name__, obj))
            return
        if is_module(obj):
            for m in obj.modules():
                if id(m) not in {id(x) for x in self.modules}:
                    self.modules.append(m)
                    self.seen.add(id(m))
                    self.generators += [(f"{type(m).__name__}.{k}", v)
                                        for k, v in vars(m).items()
                                        if isinstance(v, GENERATORS)]
            return
        if is_optimizer(obj):
            self.optimizers.append(obj)
            return
        if hasattr(obj, "optimizer") and is_optimizer(getattr(obj, "optimizer")):
            self.walk(obj.optimizer, depth + 1)       # a scheduler: its optimizer
            return
        if depth > 4:
            return
        if isinstance(obj, (list, dict, set)):
            self.containers.append((label or type(obj).__name__, obj))
        if isinstance(obj, (types.FunctionType, types.MethodType)):
            self._function(obj, depth)
        elif type(obj) is list:
            for i, v in enumerate(obj[:256]):
                self.walk(v, depth + 1, (obj, i), f"{label}[{i}]")
        elif isinstance(obj, (list, tuple, set, frozenset)):
            for v in list(obj)[:256]:
                self.walk(v, depth + 1)
        elif isinstance(obj, dict):
            for k, v in list(obj.items())[:256]:
                # (a key's repr only if plain: a tensor's is all its values)
                key = repr(k) if isinstance(k, _PLAIN) else f"<{type(k).__name__}>"
                self.walk(v, depth + 1, (obj, k), f"{label}[{key}]")
        elif hasattr(obj, "__dict__"):
            module = type(obj).__module__ or ""
            if module.split(".")[0] in _FOREIGN or module.startswith("autograd.compile"):
                return
            self.objects.append(obj)
            for k, v in list(vars(obj).items()):
                self.walk(v, depth + 1, (vars(obj), k), f"{type(obj).__name__}.{k}")

    def _function(self, fn, depth):
        if isinstance(fn, types.MethodType):
            self.walk(fn.__self__, depth + 1)
            fn = fn.__func__
        mod = getattr(fn, "__module__", "") or ""
        if mod.startswith(("numpy", "autograd")):
            return
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            try:
                self.walk(cell.cell_contents, depth + 1, (cell, "cell_contents"), name)
            except ValueError:          # an empty cell
                pass
        names = _code_names(fn.__code__, set())
        g = fn.__globals__
        for name in names:
            if name in g:
                self.walk(g[name], depth + 1, (g, name))
        for d in fn.__defaults__ or ():
            self.walk(d, depth + 1)


def discover(fn, args, kwargs):
    d = Discovery()
    d.walk(fn)
    for a in list(args) + list(kwargs.values()):
        d.walk(a)
    return d


def _read(ref):
    ns, key = ref
    if isinstance(ns, dict):
        return ns.get(key, _MISSING)
    if type(ns) is list:
        return ns[key] if key < len(ns) else _MISSING
    try:
        return getattr(ns, key)
    except ValueError:
        return _MISSING


_MISSING = object()
_PLAIN = (int, float, bool, str, type(None), tuple)


# plain values and the arrays a trace reads where they are: guarded as the same value
# (numbers) or the same object (arrays and tensors: a global batch rebound every call)
_GUARDED = _PLAIN + (np.generic, np.ndarray, Tensor)


def _all_plain(values):
    return all(isinstance(v, _PLAIN) and (type(v) is not tuple or _all_plain(v))
               for v in values)


def same_plain(a, b):
    """``a`` and ``b`` are the same constant to a trace: equal, of one type, with one sign
    of zero (0.0 == -0.0 but they are different constants), NaN equal to NaN."""
    if a is b:
        return True
    if type(a) is not type(b) or isinstance(a, (np.ndarray, Tensor)):
        return False                    # (an array or tensor: the same object only)
    if type(a) is tuple:
        return len(a) == len(b) and all(map(same_plain, a, b))
    if isinstance(a, (float, np.floating)):
        return bool(a == b) and math.copysign(1.0, a) == math.copysign(1.0, b) or \
            bool(a != a and b != b)
    return bool(a == b)


def _show(v):
    if v is _MISSING:
        return "(unset)"
    if isinstance(v, (np.ndarray, Tensor)):
        return f"a {type(v).__name__} of shape {tuple(v.shape)} at {id(v):#x}"
    return repr(v)


def _hooks(obj):
    return [k for k, v in vars(obj).items() if k.endswith("hooks") and v]


def _hook_names(obj):
    return tuple(k for k in vars(obj) if k.endswith("hooks"))


_NO_TABLE = {}


_COUNTED = ("_parameters", "_buffers", "_modules")


def _counted_optimizer(opt):
    """Whether every table of ``opt`` that ``World.tables`` reads counts its edits."""
    groups, state = opt.param_groups, opt.state
    return counts_edits(groups) and counts_edits(state) and \
        all(counts_edits(g) and counts_edits(g.get("params")) for g in groups) and \
        all(counts_edits(s) for s in state.values())


class World:
    """Key, guards and snapshot for one discovery (see the module docstring)."""

    def __init__(self, discovery):
        self.modules = discovery.modules
        self.optimizers = discovery.optimizers
        self.generators = discovery.generators
        self.containers = discovery.containers
        self.objects = discovery.objects
        self.refs = [(ns, key, obj) for ns, key, obj in discovery.refs
                     if is_module(obj) or is_optimizer(obj) or obj in self.objects]
        self.plain = discovery.plain + [
            (vars(m), k, f"{type(m).__name__}.{k}") for m in self.modules
            for k, v in vars(m).items() if not k.startswith("_") and isinstance(v, _GUARDED)]
        # per module: its attribute dict, the names of its hook tables, the dict's size
        # then (an attribute added since may be a new table: the names are looked again)
        self._tables = [(m, vars(m), _hook_names(m), len(vars(m))) for m in self.modules]
        self._owners = tuple(self.objects + self.modules)    # (see ``structure``)
        self.params = []
        seen = set()
        for m in self.modules:
            for p in m._parameters.values():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    self.params.append(p)
        for opt in self.optimizers:
            for g in opt.param_groups:
                for p in g["params"]:
                    if id(p) not in seen:
                        seen.add(id(p))
                        self.params.append(p)

    def key(self):
        """What selects a program: train/eval flags and which parameters train."""
        return (tuple([m.training for m in self.modules]),   # (lists: no generator
                tuple([p.requires_grad for p in self.params]))  # frames, every call)

    def hooks(self):
        """Modules with hooks: their Python would not run at a replay."""
        return self.module_hooks() + self.parameter_hooks()

    def module_hooks(self):
        found = []
        for m, attrs, names, size in self._tables:   # checked at every replay: the
            if len(attrs) != size:                   # known tables, not every attribute
                names = _hook_names(m)
            for k in names:                          # (a loop, not any(generator):
                if attrs.get(k):                     # this runs for every module)
                    found.append(f"{type(m).__name__} has {', '.join(_hooks(m))}")
                    break
        return found

    def parameter_hooks(self):
        """Parameters with Tensor.register_hook or post-accumulate-grad hooks."""
        if not tensor_hooks.ACTIVE.tensor_hooks:     # no tensor has a hook (the engine
            return []                                # trusts this count too)
        found = []
        for p in self.params:
            if getattr(p, "_hooks", None) or getattr(p, "_post_hooks", None):
                found.append(f"parameter {p.name or tuple(p.shape)} has gradient hooks")
        return found

    def tables(self):
        """What the modules' and optimizers' tables hold: each module's parameters,
        buffers and sub-modules (a table's size, then its values' ids, in one flat list:
        the cheapest form to compare), each optimizer's groups (their parameters, and
        entries other than the numbers a replay reads anew) and the Tensors in its
        state."""
        out = []
        append, extend = out.append, out.extend
        for m in self.modules:
            for table in (m._parameters, getattr(m, "_buffers", _NO_TABLE), m._modules):
                append(len(table))
                if table:
                    extend(map(id, table.values()))
        # (list comprehensions, not generators: this may run at every replay)
        for opt in self.optimizers:
            for g in opt.param_groups:
                append(tuple(map(id, g["params"])))
                append(tuple([(k, v) for k, v in g.items()
                              if k != "params" and not isinstance(v, (int, float, tuple))
                              or isinstance(v, bool)]))
            append(tuple([(id(p), tuple([(k, id(v)) for k, v in s.items()
                                         if isinstance(v, Tensor)]))
                          for p, s in opt.state.items()]))
        return out

    def attributes(self):
        """Every module's and optimizer's attribute values, if each table ``tables`` and
        ``module_hooks`` read counts its edits (``autograd.edits``); else None. While
        ``edits.COUNT`` stays and every attribute is the same object
        (``same_attributes``), those tables hold what they held."""
        out = []
        for m in self.modules:
            attrs = getattr(m, "__dict__", None)
            if attrs is None or not all(counts_edits(attrs.get(k)) for k in _COUNTED) or \
                    not all(counts_edits(attrs[k]) for k in _hook_names(m)):
                return None
            out.append((m, tuple(attrs.values())))
        for opt in self.optimizers:
            attrs = getattr(opt, "__dict__", None)
            if attrs is None or not _counted_optimizer(opt):
                return None
            out.append((opt, tuple(attrs.values())))
        return out

    @staticmethod
    def same_attributes(saved):
        is_ = operator.is_
        for obj, values in saved:          # (identities: an attribute may be an array)
            attrs = obj.__dict__
            if len(attrs) != len(values) or not all(map(is_, attrs.values(), values)):
                return False
        return True

    def plain_values(self):
        """The plain values the function can read, now (``plain``)."""
        return [_read((ns, key)) for ns, key, _ in self.plain]

    def plain_changes(self, values):
        """Descriptions of the plain values that are no longer ``values``."""
        return [f"{label}: {_show(old)} -> {_show(new)}"
                for (ns, key, label), old in zip(self.plain, values)
                if not same_plain(new := _read((ns, key)), old)]

    def plain_hold(self, values):
        """No plain value is other than ``values`` (``plain_changes``, at every replay)."""
        for (ns, key, _), value in zip(self.plain, values):
            now = ns.get(key, _MISSING) if type(ns) is dict else _read((ns, key))
            if now is not value and not same_plain(now, value):
                return False
        return True

    def structure(self):
        """Identities a program depends on besides the tables: the names it reads the
        modules and optimizers under, plain objects' tensors, the attribute dicts of the
        plain objects and modules."""
        out = [id(ns.get(k, _MISSING) if isinstance(ns, dict) else _read((ns, k)))
               for ns, k, _ in self.refs]
        for obj in self.objects:
            out.append(tuple([id(v) for v in vars(obj).values() if isinstance(v, Tensor)]))
        # the attribute dicts the plain values are read from (``plain`` holds them): one
        # assigned anew (``obj.__dict__ = {...}``) would leave the guards reading the old
        out += map(id, map(vars, self._owners))
        return out

    def snapshot(self):
        """The attributes of the objects found (modules included: their public ones),
        plain ones by value and others by identity, and the sizes of the lists, dicts
        and sets found: a call that appends a loss to a list, stores a tensor in an
        attribute or adds a key changes what a replay would leave unchanged."""
        snap = []
        for obj in self.objects + self.modules:
            items = []
            private = "_" if is_module(obj) else "__"
            for k, v in vars(obj).items():
                if k.startswith(private):
                    continue
                if isinstance(v, _PLAIN) and not isinstance(v, tuple):
                    items.append((k, type(v), v))
                elif isinstance(v, list):
                    items.append((k, list, _Size(len(v))))
                else:
                    items.append((k, object, _Same(v)))
            snap.append((f"{type(obj).__name__}.", tuple(items)))
        for label, c in self.containers:
            snap.append(("", ((label, object, _Size(len(c))),)))
        return snap

    @staticmethod
    def changes(before, after):
        """Descriptions of attributes the call changed."""
        found = []
        for (prefix, a), (_, b) in zip(before, after):
            if a != b:
                da, db = dict((k, v) for k, _, v in a), dict((k, v) for k, _, v in b)
                for k in sorted(set(da) | set(db)):
                    if da.get(k, _MISSING) != db.get(k, _MISSING):
                        found.append(f"{prefix}{k}: {da.get(k, '(unset)')!r}"
                                     f" -> {db.get(k, '(unset)')!r}")
        return found


class _Same:
    """An attribute's object in a snapshot: equal only to the same object."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return type(other) is _Same and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)

    def __repr__(self):
        obj = self.obj
        return _show(obj) if isinstance(obj, (np.ndarray, Tensor)) else \
            f"a {type(obj).__name__} at {id(obj):#x}"


class _Size(int):
    """A container's size in a snapshot."""

    def __repr__(self):
        return f"{int(self)} items"
