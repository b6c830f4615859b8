"""Random draws a trace cannot repeat.

A program replays the NumPy calls its trace recorded. Draws from glassgrad's own
generator (``ag.get_rng()``: dropout, ``ag.randn``) are recorded and drawn anew at every
replay (``seams.py``). Draws from any other generator are not: NumPy's global one
(``np.random.randn``), a ``np.random.Generator`` or ``RandomState`` the function holds,
Python's ``random`` module. A program would repeat the traced call's numbers at every
replay, so a traced call that draws from one makes the function run eagerly, with a
warning that names the generator and says what to do.

Two ways to see a draw:
- the states of the generators before and after the call: NumPy's and Python's global
  ones, and each generator discovery found (``Discovery.generators``);
- an array ``np.empty`` made that the traced code read before a recorded call wrote it.
  NumPy's random functions make their result with ``np.empty`` (patched while tracing)
  and fill it in C, so a draw from a generator no walk could find shows too (as does
  code that reads ``np.empty``'s uninitialised memory).
"""
import random

import numpy as np

from .. import factories
from .sites import LIBRARY_DIRS, format_frame, frames

GENERATORS = (np.random.Generator, np.random.RandomState, np.random.BitGenerator,
              random.Random)
EMPTY = ("empty", "empty_like")

_DO = ("draw with ag.get_rng() (its draws are recorded and drawn anew at every replay), "
       "or draw outside the function and pass the numbers in as an argument")


def _global_generators():
    found = []
    legacy = getattr(np.random.mtrand, "_rand", None)
    if legacy is not None:
        found.append(("NumPy's global random generator (np.random.*)", legacy))
    inst = getattr(random, "_inst", None)
    if inst is not None:
        found.append(("Python's random module", inst))
    return found


def _frozen(state):
    """A generator's state as something ``==`` compares (arrays as their bytes)."""
    if isinstance(state, dict):
        return tuple((k, _frozen(v)) for k, v in state.items())
    if isinstance(state, (tuple, list)):
        return tuple(_frozen(v) for v in state)
    if isinstance(state, np.ndarray):
        return (state.dtype.str, state.shape, state.tobytes())
    return state


def _state(gen):
    if isinstance(gen, random.Random):
        return gen.getstate()
    if isinstance(gen, np.random.RandomState):
        return _frozen(gen.get_state(legacy=False))
    bits = gen if isinstance(gen, np.random.BitGenerator) else gen.bit_generator
    return _frozen(bits.state)


class Draws:
    """The generators' states before one traced call (a snapshot), and afterwards what
    the call drew that a replay would not draw again.

    ``states=False`` skips the states (~60 us: NumPy's global state is 2.5 KB) for a
    function's first trace, which is never built into a program: a program is built
    from a later trace, which is checked (and which draws too if the first did, or the
    two would differ)."""

    def __init__(self, found=(), states=True):
        own = factories._rng                 # recorded (seams.RecordingGenerator)
        seen, self.generators = {id(own)}, []
        for label, gen in (_global_generators() + list(found) if states else ()):
            if id(gen) not in seen:
                seen.add(id(gen))
                self.generators.append((label, gen))
        self.before = [_state(gen) for _, gen in self.generators]

    def problems(self, rec, empties):
        """What the call drew unrecorded, as (message, site text or None) pairs
        (``empties``: (Value, ``sites._site``) of each array ``np.empty`` or
        ``np.empty_like`` made in the call, noted by ``Seams``)."""
        out = [(f"the function draws from {label}, which a replay would not draw from "
                f"again (it would repeat this call's numbers): {_DO}", None)
               for (label, gen), before in zip(self.generators, self.before)
               if _state(gen) != before]
        for value, site in empties:
            op = _read_unwritten(rec, value.root)
            if op is not None:
                user = [f for f in frames(site) if not f[0].startswith(LIBRARY_DIRS)]
                name = getattr(op.fn, "__name__", op.fn)
                out.append((f"an array np.empty made was read ({name}) before a traced "
                            "call wrote it: something the trace cannot see filled it, such as "
                            "a NumPy random function (np.random.randn, a Generator's "
                            f"method), which a replay would not run again: {_DO}",
                            format_frame(user[0]) if user else None))
                break
        return out


def _read_unwritten(rec, root):
    """The first recorded call reading ``root``'s array before any call wrote it, or
    None (views of it read nothing; a call that writes it fills it)."""
    for op in rec.ops[root.created + 1:]:
        if not any(getattr(v, "root", None) is root for v in op.values):
            continue
        if any(v.root is root for v in op.writes):
            return None
        if any(v.root is root for v in op.outs):
            continue                         # a view of it (a reshape, a slice)
        return op
    return None
