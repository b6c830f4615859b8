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
