"""Optimizer numbers as Syms: hyper-parameters and step counters the program reads anew.

For the length of a trace every number in an optimizer's ``param_groups`` (``lr``,
``betas``, ``weight_decay``, ...) and ``state`` (``step``) is replaced by a Sym. What
the optimizer computes from them in Python (``lr / (1 - beta1 ** t)``) is recorded, so
a replay reads the current ``lr`` (a scheduler's) and step, computes the same Python
arithmetic and writes ``state["step"]`` back, as the eager step would. Afterwards the
containers hold plain numbers again (their new values).
"""
from ..edits import counts_edits
from .recorder import Uncapturable
from .traced import Sym

_NUMBER_TYPES = (int, float)


def _is_number(v):
    return type(v) in _NUMBER_TYPES


class LeafSlot:
    """``container[key]`` (or item ``item`` of the tuple there) as Sym ``sym_index``;
    ``result`` is the Sym index of the value the call leaves there (None: unchanged)."""

    __slots__ = ("container", "key", "item", "original", "sym", "sym_index", "result",
                 "where")

    def __init__(self, container, key, item, original, where):
        self.container = container
        self.key = key
        self.item = item
        self.original = original
        self.where = where
        self.sym = None
        self.sym_index = None
        self.result = None

    def read(self):
        v = self.container[self.key]
        return v if self.item is None else v[self.item]

    def write(self, value):
        """(At the end of a replay. A number, or a tuple of numbers, is not what the
        guards compare: a dict's own ``__setitem__``, which counts an edit for them in
        ``autograd.edits``, is passed by, so that a step counter written back at every
        replay does not make the next one read every table again.)"""
        container = self.container
        if self.item is not None:
            items = list(container[self.key])
            items[self.item] = value
            value = type(container[self.key])(items)
        if isinstance(container, dict) and counts_edits(container):
            dict.__setitem__(container, self.key, value)
        else:
            container[self.key] = value

    def __repr__(self):
        return self.where


def _slots_of(container, where):
    for key, v in list(container.items()):
        if key == "params":
            continue
        if _is_number(v):
            yield LeafSlot(container, key, None, v, f"{where}[{key!r}]")
        elif type(v) is tuple and v and all(_is_number(x) for x in v):
            for i, x in enumerate(v):
                yield LeafSlot(container, key, i, x, f"{where}[{key!r}][{i}]")


class Lifted:
    """The Syms put into the optimizers found for one trace (a context manager)."""

    def __init__(self, recorder, optimizers):
        self.rec = recorder
        self.optimizers = optimizers
        self.slots = []
        self.tuples = []        # (container, key, original tuple, tuple of Syms)

    def __enter__(self):
        for k, opt in enumerate(self.optimizers):
            name = f"{type(opt).__name__}"
            for g, group in enumerate(opt.param_groups):
                self._lift(group, f"{name}.param_groups[{g}]")
            for p, st in opt.state.items():
                if isinstance(st, dict):
                    self._lift(st, f"{name}.state[<tensor {tuple(p.shape)}>]")
        return self

    def _lift(self, container, where):
        slots = list(_slots_of(container, where))
        tuples = {}
        for slot in slots:
            sym = self.rec.new_sym(slot.original, leaf=len(self.rec.leaves))
            slot.sym, slot.sym_index = sym, sym.ref.index
            self.rec.leaves.append(slot)
            self.slots.append(slot)
            if slot.item is None:
                container[slot.key] = sym
            else:
                tuples.setdefault(slot.key, []).append(slot)
        for key, items in tuples.items():
            original = container[key]
            syms = list(original)
            for slot in items:
                syms[slot.item] = slot.sym
            lifted = type(original)(syms)
            container[key] = lifted
            self.tuples.append((container, key, original, lifted))

    def __exit__(self, *exc):
        """Plain numbers again; each slot's new value noted (or the trace refused)."""
        self._settle_new_numbers()
        for container, key, original, lifted in self.tuples:
            if container.get(key) is lifted:
                container[key] = original
            else:
                self._check_tuple(container, key, lifted)
        for slot in self.slots:
            if slot.item is not None:
                continue
            if slot.key not in slot.container:
                self.rec.uncapturable(f"{slot.where} was deleted by the function")
                continue
            now = slot.container[slot.key]
            if now is slot.sym:
                slot.container[slot.key] = slot.original
            elif type(now) is Sym and now.ref in self.rec.syms:
                slot.container[slot.key] = now.value
                slot.result = now.ref.index
            elif not (type(now) is type(slot.original) and now == slot.original):
                slot.container[slot.key] = now.value if type(now) is Sym else now
                self.rec.uncapturable(
                    f"{slot.where} was set to {now!r} inside the compiled function from a "
                    "value the trace cannot follow (a scheduler stepping inside the "
                    "function?); change it outside, between calls")
        return False

    def _settle_new_numbers(self):
        """Numbers the call put where no slot was (state made in this call: NAdam's
        ``mu_product``, ASGD's ``eta``, computed from lifted ones) are plain numbers
        again: a Sym left there would outlive the trace, and the next trace would not
        lift it, so the traces never agreed."""
        lifted = {(id(slot.container), slot.key) for slot in self.slots}
        for opt in self.optimizers:
            containers = list(opt.param_groups) + [st for st in opt.state.values()
                                                   if isinstance(st, dict)]
            for container in containers:
                for key, v in list(container.items()):
                    if (id(container), key) in lifted:
                        continue
                    if type(v) is Sym:
                        container[key] = v.value
                    elif type(v) is tuple and any(type(x) is Sym for x in v):
                        container[key] = tuple(x.value if type(x) is Sym else x for x in v)

    def _check_tuple(self, container, key, lifted):
        now = container.get(key)
        if type(now) is not tuple:
            container[key] = tuple(s.value for s in lifted)
            return
        values = []
        for slot_sym, x in zip(lifted, now):
            values.append(x.value if type(x) is Sym else x)
            if x is not slot_sym:
                raise Uncapturable(f"{key!r} was changed inside the compiled function", "")
        container[key] = tuple(values)
