"""A count of edits to the tables modules keep their parameters, buffers, sub-modules
and hooks in, and optimizers their groups and state, for ``ag.compile``'s guards.

A compiled call must not replay a program made for other parameters, sub-modules,
hooks, groups or state. Reading all of those at every call cost ~10 us of a W4 step
(cache misses on objects the step itself never touches); so they are dicts and lists
that count their edits in ``COUNT``, and a replay that finds the count where it was at
its last full check, and every module's and optimizer's attributes the same objects,
skips reading them (``guards.Guards._tables_hold``). Each mutating method counts (``[k] = v``,
``del``, ``pop``, ``clear``, ``update``, ``append``, ...); a write made around them
with the base class's own method (``dict.__setitem__(m._parameters, k, p)``) is not
seen.
"""
import collections

COUNT = [0]


def _counting(base, name, methods):
    """A subclass of ``base`` whose ``methods`` each count an edit first."""
    def wrap(method):
        def edit(self, *args, **kwargs):
            COUNT[0] += 1
            return method(self, *args, **kwargs)
        edit.__name__ = edit.__qualname__ = method.__name__
        return edit
    namespace = {name: wrap(getattr(base, name)) for name in methods}
    namespace.update(__slots__=(), __module__=__name__, __qualname__=name,
                     counts_edits=True)
    return type(name, (base,), namespace)


_DICT_EDITS = ("__setitem__", "__delitem__", "__ior__", "pop", "popitem", "clear",
               "update", "setdefault")

_LIST_EDITS = ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend",
               "insert", "pop", "remove", "clear", "sort", "reverse")

# a module's buffers (``_buffers``), an optimizer's groups and per-parameter states
CountedDict = _counting(dict, "CountedDict", _DICT_EDITS)
# an optimizer's ``param_groups`` and each group's ``params``
CountedList = _counting(list, "CountedList", _LIST_EDITS)
# an optimizer's ``state`` (a new parameter's entry is a CountedDict made on first use)
CountedDefaultDict = _counting(collections.defaultdict, "CountedDefaultDict", _DICT_EDITS)
# a table of hooks (``hooks.hook_dict``): a module's, or a tensor's
CountedOrderedDict = _counting(collections.OrderedDict, "CountedOrderedDict",
                               _DICT_EDITS + ("move_to_end",))


def counts_edits(table):
    """Whether ``table`` counts its edits here (a plain dict does not: a guard that
    relies on the count must read it instead)."""
    return getattr(type(table), "counts_edits", False) is True


def _defaultdict_repr(self):
    # printed as the table it stands for (``print(opt.state)`` as in PyTorch)
    factory = dict if self.default_factory is CountedDict else self.default_factory
    return repr(collections.defaultdict(factory, self))


CountedDefaultDict.__repr__ = _defaultdict_repr
CountedOrderedDict.__repr__ = lambda self: repr(collections.OrderedDict(self))
