"""``ag.compile``: capture a whole training step once, replay it as flat NumPy.

>>> import numpy as np, autograd as ag
>>> w = ag.tensor([1.0, -2.0], requires_grad=True)
>>> @ag.compile
... def step(x):
...     w.grad = None
...     loss = ((w * x).sum() - 1) ** 2
...     loss.backward()
...     with ag.no_grad():
...         w.sub_(0.1 * w.grad)
...     return loss
>>> for _ in range(4):
...     loss = step(ag.tensor([0.5, 0.25]))
>>> step.stats()["replays"]
2

The first calls run the function while recording every NumPy call it makes (forward,
``backward()``, the optimizer's update); once two calls recorded the same program, the
next calls replay it: no Tensor or graph node is made, the engine does not walk, every
result goes into a buffer allocated once. The results are the eager ones, bit for bit.
Guards send a call back to tracing when what the program assumed changed (argument
shapes and dtypes, grad mode, train/eval, parameters, hooks, the plain Python values
it can read); what a trace cannot capture (a number read from the data, Python state
the function changes, a draw from a generator other than glassgrad's) makes the
function run eagerly, with a ``CompileWarning`` naming the line (``strict=True``
raises ``CompileError`` there instead). See docs/compile.md.
"""
from .function import CompiledFunction, CompileError, CompileWarning

__all__ = ["compile", "CompiledFunction", "CompileError", "CompileWarning"]


def compile(fn=None, *, strict=False, kernels=None):  # noqa: A001 - PyTorch's name
    """Capture ``fn`` (a training step, or any function of tensors) and replay it.

    Usable as ``ag.compile(fn)``, ``@ag.compile`` or ``@ag.compile(strict=True)``. The
    result is called like ``fn`` and returns what ``fn`` returns (tensors it makes are
    returned as new tensors holding the values, without a graph).

    ``kernels="numba"`` (opt-in; needs the optional ``kernels`` extra, numba) fuses runs
    of elementwise calls of the program into generated numba loops, bit-identical to
    the NumPy calls (``fuse.py``); the default, None, replays NumPy calls only.
    """
    if fn is None:
        return lambda f: CompiledFunction(f, strict=strict, kernels=kernels)
    return CompiledFunction(fn, strict=strict, kernels=kernels)
