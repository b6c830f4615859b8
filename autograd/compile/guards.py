"""What a program assumes of the objects it was traced with, and the check a replay
makes of them before it runs (docs/compile.md, "What it guards").

``Guards`` is taken when two traces agree, at the end of the second tracing call (the
arrays in the tensors, the gradients, the modules' and optimizers' tables and
structure, the plain values the function reads), so that whatever changes between that
call and the next is seen by ``Guards.hold``. What ``World`` reads of the user's objects
(``world.py``) is compared here; the cache key (shapes, modes, flags) has selected the
program before.
"""
from .. import edits
from ..tensor import stored_grad


class Guards:
    """The guards of one program (see the module docstring)."""

    def __init__(self, rec, seams, world, start):
        self.tables = world.tables()
        self.structure = world.structure()
        self.plain = world.plain_values()   # the constants the trace read, as it left them
        self._checked = None        # (world, edits.COUNT, its attributes): see below
        inputs = {id(t) for t, _, _ in rec.input_tensors}
        self.tensors = []          # (tensor, array, requires_grad) it must still have
        self.grads = []            # (tensor, .grad object) it must still have
        self.grad_kinds = []       # (tensor, .grad is None) as when traced
        for tensor, _original, _traced in seams.touched.values():
            if tensor._index < start and id(tensor) not in inputs:
                self.tensors.append((tensor, tensor.data, tensor.requires_grad))
        for tensor, initial in seams.grads.values():
            final = stored_grad(tensor)     # the Tensor (a Value's .grad is a number)
            if initial is not None and id(initial) in seams.touched:
                # the call read the gradient it found (it accumulates): a replay reads
                # the one the last replay left, which must still be there
                self.grads.append((tensor, final))
                if final is not None:
                    self.tensors.append((final, final.data, final.requires_grad))
            else:
                self.grad_kinds.append((tensor, initial is None))

    def hold(self, world):
        """Whether the program may replay in ``world``: every guard holds."""
        for t, data, rg in self.tensors:
            if t.data is not data or t.requires_grad != rg:
                return False
        for t, grad in self.grads:         # (t._grad: what stored_grad(t) reads outside
            if t._grad is not grad:        # a trace, and none runs now; a call less each)
                return False
        for t, none in self.grad_kinds:
            if (t._grad is None) != none:
                return False
        if not self._tables_hold(world) or world.parameter_hooks():
            return False
        if world.structure() != self.structure:
            return False
        return world.plain_hold(self.plain)

    def plain_changes(self, world):
        """Descriptions of the plain values that are no longer as traced."""
        return world.plain_changes(self.plain)

    def _tables_hold(self, world):
        """The modules' and optimizers' tables as traced, and no module with hooks.
        Read in full (~10 us of cache misses in a W4 step) unless nothing was edited
        since the last time they held: ``edits.COUNT`` where it was, and every module's
        and optimizer's attributes the same objects (a table replaced, however it was
        set, is seen)."""
        checked = self._checked
        if checked is not None and checked[0] is world and checked[1] == edits.COUNT[0] \
                and world.same_attributes(checked[2]):
            return True
        self._checked = None
        if world.module_hooks() or world.tables() != self.tables:
            return False
        attributes = world.attributes()
        if attributes is not None:
            self._checked = (world, edits.COUNT[0], attributes)
        return True
