"""The tables a Module keeps its sub-modules and Parameters in, counting their changes.

``Module.__call__`` names the module tree (graph scopes, parameter names) on an
outermost call and keeps that naming while the same root is called again and
``changes`` has not moved: any edit of any module's ``_modules`` or ``_parameters``
(assignment, ``add_module``, ``del``, a container's ``append``/``insert``, or a direct
``_modules.clear()``) counts. Each edit counts in ``autograd.edits.COUNT`` too (what
``ag.compile``'s guards read).
"""
from autograd import edits

changes = [0]


class Table(dict):
    """A module's ``_modules`` or ``_parameters``: a dict that counts its changes.

    Containers and users may edit these tables directly (``_modules.clear()``); any
    change anywhere makes the next outermost call name its tree again.
    """

    __slots__ = ()
    counts_edits = True

    def __setitem__(self, key, value):
        changes[0] += 1
        edits.COUNT[0] += 1
        dict.__setitem__(self, key, value)

    def __delitem__(self, key):
        changes[0] += 1
        edits.COUNT[0] += 1
        dict.__delitem__(self, key)

    def __ior__(self, other):
        changes[0] += 1
        edits.COUNT[0] += 1
        return dict.__ior__(self, other)

    def _changing(method):   # noqa: N805 - wraps a dict method below
        def changed(self, *args, **kwargs):
            changes[0] += 1
            edits.COUNT[0] += 1
            return method(self, *args, **kwargs)
        changed.__name__ = method.__name__
        return changed

    pop = _changing(dict.pop)
    popitem = _changing(dict.popitem)
    clear = _changing(dict.clear)
    update = _changing(dict.update)
    setdefault = _changing(dict.setdefault)
    del _changing
