"""What an op declaration says about testing it: gradcheck cases and a fuzz spec.

These are plain data (no test framework is imported here): the registry-driven tests
in ``tests/`` read them from every declared op, so an op's checks live in its block.

>>> import numpy as np
>>> Case((2, 3), domain="positive").arrays(np.random.default_rng(0))[0].shape
(2, 3)
"""
import importlib

import numpy as np

DOMAINS = ("normal", "positive", "unit", "distinct")


class Case:
    """A gradcheck case: ``fn(*tensors)`` on float64 inputs of ``shapes`` from ``domain``.

    ``fn`` may be left out (``Case((2, 3))``): the declared op itself is applied. The
    domains: "normal" (any real), "positive" (0.5..2), "unit" (-0.9..0.9),
    "distinct" (well-separated values, for max/argmax-like ops).
    """

    def __init__(self, fn, *shapes, domain="normal", label=""):
        if not callable(fn):            # Case(shape, ...): the op itself
            fn, shapes = None, (fn,) + shapes
        if domain not in DOMAINS:
            raise ValueError(f"Case: domain must be one of {DOMAINS}, got {domain!r}")
        self.fn = fn
        self.shapes = shapes
        self.domain = domain
        self.label = label

    def bound_to(self, op):
        """This case with ``fn`` filled in by ``op`` where it was left out."""
        if self.fn is not None:
            return self
        return Case(op, *self.shapes, domain=self.domain, label=self.label)

    def arrays(self, rng):
        out = []
        for shape in self.shapes:
            if self.domain == "positive":
                a = rng.uniform(0.5, 2.0, size=shape)
            elif self.domain == "unit":
                a = rng.uniform(-0.9, 0.9, size=shape)
            elif self.domain == "distinct":
                n = int(np.prod(shape))
                a = (rng.permutation(n) * 0.37 + rng.uniform(0, 0.1, n)).reshape(shape) - n / 5
            else:
                a = rng.standard_normal(size=shape)
            out.append(np.asarray(a, dtype=np.float64))
        return out

    def __repr__(self):
        return self.label or f"shapes={self.shapes}"


def unary_cases(domain="normal"):
    """The usual cases of an elementwise function of one input: 0-d and (2, 3)."""
    return (Case((), domain=domain), Case((2, 3), domain=domain))


class Fuzz:
    """How the fuzz campaign checks an op's public function against a NumPy reference.

    ``reference`` is a callable on arrays, or "module:name" (imported when the fuzz
    runs, so SciPy stays optional here). ``args`` names an argument drawer of the fuzz
    kit ("one": one array, "two": two broadcastable operands or an array and a Python
    scalar, "reduce", "one_axis"...). ``floats_in``: integer inputs compute in the
    default float dtype (the reference is given float arrays then). ``zero_d_axis``:
    axis 0 or -1 of a 0-d tensor means the whole tensor (PyTorch's rule; the reference
    is called with ``axis=None`` then). References that are more than one NumPy
    function live in ``ops.references``.
    """

    def __init__(self, reference, args="one", floats_in=False, zero_d_axis=False):
        self._reference = reference
        self.args = args
        self.floats_in = floats_in
        self.zero_d_axis = zero_d_axis

    @property
    def reference(self):
        ref = self._reference
        if isinstance(ref, str):
            module, _, name = ref.partition(":")
            ref = getattr(importlib.import_module(module), name)
        return ref
