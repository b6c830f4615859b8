"""The lecture's circuit, f = (x + y)·z at x = 1, y = -3, z = 4, shared by the tests.

Its gradients: df/dz = x + y = -2, df/dd = z = 4 for d = x + y, and df/dx = df/dy = 4.
"""
import autograd as ag


def circuit():
    """(x, y, z, d, f) with every tensor named."""
    x = ag.Tensor(1.0, requires_grad=True, name="x")
    y = ag.Tensor(-3.0, requires_grad=True, name="y")
    z = ag.Tensor(4.0, requires_grad=True, name="z")
    d = x + y
    d.name = "d"
    f = d * z
    f.name = "f"
    return x, y, z, d, f
