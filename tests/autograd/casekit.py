"""Building blocks for primitive gradcheck cases (see README.md)."""
import numpy as np


class Case:
    """``fn(*tensors)`` applied to float64 inputs of ``shapes`` drawn from ``domain``.

    domain: "normal" (any real), "positive" (0.5..2), "unit" (-0.9..0.9),
    "distinct" (well-separated values, for max/argmax-like ops).
    """

    def __init__(self, fn, *shapes, domain="normal", label=""):
        self.fn = fn
        self.shapes = shapes
        self.domain = domain
        self.label = label

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
