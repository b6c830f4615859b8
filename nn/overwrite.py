"""Writing new values into a tensor's array outside the graph, as every nn helper does.

Initialisers, running statistics, state-dict loading, gradient clipping and embedding
renormalisation all replace values in place, without recording a node. The engine
must still learn of the write (a graph that saved the old values has to refuse its
backward), so every such write goes through ``overwrite_``, which bumps the version
counter once.

>>> import autograd as ag
>>> w = ag.zeros((2, 2))
>>> overwrite_(w, 1.0, index=(0,))
tensor([[1., 1.],
       [0., 0.]])
>>> w._version
1
"""
import autograd as ag


def overwrite_(target, values, index=Ellipsis):
    """``target[index] = values`` on the array itself, then one version bump.

    ``target`` is a Tensor or a plain NumPy array (then only the write happens); the
    values are cast to its dtype. Returns ``target``.
    """
    if isinstance(target, ag.Tensor):
        target.data[index] = values
        target._version += 1
    else:
        target[index] = values
    return target
