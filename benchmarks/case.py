"""The interface every library's version of a workload implements (worker side).

``first()`` computes the loss and the gradients on the initial parameters (no update)
and returns ``{"loss": float, name: gradient array, ...}``, names as in
``workloads.make_data``; ``step()`` is one timed iteration (forward, backward and,
for training workloads, the SGD update).
"""


class Case:
    def first(self):
        raise NotImplementedError

    def step(self):
        raise NotImplementedError


def build(cases, name, d, spec):
    """The case for workload ``name`` from a library's ``CASES`` (workload family ->
    class), or None if the library does not run it. Chains are told whether they are
    W3's 0-d chain, the HVP takes the data only, training cases take the learning rate.
    """
    cls = cases.get(name[:2])
    if cls is None:
        return None
    if name in ("W2", "W3"):
        return cls(d, scalar=name == "W3")
    if name == "W7":
        return cls(d)
    return cls(d, spec.lr)
