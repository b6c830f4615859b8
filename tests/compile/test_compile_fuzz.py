"""A fuzz of ``ag.compile``: random training steps, replayed bit for bit as eager.

Each seed writes a small random step the way users write them: leaves of shapes (),
(3,) and (2, 3) in one dtype, an input that changes every call, a chain of ops drawn
from the public API (with Python constants such as -0.0, inf and NaN), a loss and its
backward, then some of: a hand-written SGD update (``p.data -= lr * p.grad.data``),
raw NumPy on ``.data``, in-place writes, gradients kept across calls. It returns one of
the shapes a step's result takes (the loss, a gradient, ``ag.tensor`` of raw math, a
tuple, nothing).

Two copies of the step, built from the same seed, run side by side: one eagerly, one
through ``ag.compile``, on the same inputs. After every call the results, every leaf
and every gradient must be the same bytes (a NaN's sign aside), and the compiled one
must have replayed. Its first 150 seeds found five bugs, each now a plain test: a
result made by copying raw math (``ag.tensor(x.data * 2)``) was pruned; a 0-d input
read by a scalar block and by a step kept its first value in the block; a returned
``p.grad`` left ``p.grad`` with the second trace's numbers; the gradient of ``a[0]``
on a 1-d ``a`` was placed at a garbage offset (the build raised); and, found while
writing it, the constants 0.0 and -0.0 shared a register. Half the seeds read their
constants from a list changed before a random call: a trace bakes them in, so that call
must trace again (before the guard on plain values, it replayed the old constant). A
quarter of the seeds multiply in noise: from glassgrad's generator the program must
replay fresh draws; from NumPy's global one, a Generator or Python's random module it
must run eagerly with a warning (before the check on draws, it replayed one draw). A
quarter take a second argument: the input again at some calls, a tensor sharing its
array, or a tensor of its own (before arguments were keyed by which are the same
array, a program traced on ``f(x, x)`` read one argument for both). An eighth keep
their loss (appended to a list, under a new dict key, in an attribute): such a step
must run eagerly (before sizes and identities were compared, replays stopped
appending).

    GLASSGRAD_COMPILE_FUZZ=2000 python -m pytest tests/compile/test_compile_fuzz.py -q

runs a longer campaign (CI runs the first 150 seeds).
"""
import os
import random
import warnings

import numpy as np
import pytest

import autograd as ag

SEEDS = int(os.environ.get("GLASSGRAD_COMPILE_FUZZ", "150"))
CALLS = 6
SHAPES = [(), (3,), (2, 3)]
CONSTANTS = [0.0, -0.0, 1.0, -1.5, 2.5, 1e-300, 1e300, np.inf, -np.inf, np.nan]

UNARY = {
    "tanh": ag.tanh, "exp": ag.exp, "sigmoid": ag.sigmoid, "relu": ag.relu,
    "abs": ag.abs, "neg": lambda a: -a, "square": ag.square, "softplus": ag.softplus,
    "log_abs": lambda a: ag.log(ag.abs(a) + 1e-3), "sqrt_abs": lambda a: ag.sqrt(ag.abs(a)),
    "clip": lambda a: ag.clip(a, -1.0, 0.5), "pow3": lambda a: a ** 3,
    "softmax": lambda a: ag.softmax(a, axis=-1) if a.ndim else a,
    "log_softmax": lambda a: ag.log_softmax(a, axis=-1) if a.ndim else a,
    "cat": lambda a: ag.concatenate([a, a * 2.0]) if a.ndim else a,
    "gather": lambda a: a[[0, 0, -1]] if a.ndim else a,   # repeated: a scatter-add
    "gram": lambda a: a @ a.T if a.ndim == 2 else a * a,
    "reshape": lambda a: a.reshape(-1),
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "maximum": ag.maximum, "minimum": ag.minimum,
    "where": lambda a, b: ag.where(a > b, a, b * 0.5),
}
REDUCE = {
    "sum": lambda a: a.sum(), "mean": lambda a: a.mean(), "max": lambda a: ag.amax(a),
    "sum0": lambda a: a.sum(axis=0) if a.ndim else a,
    "keep": lambda a: a.sum(axis=-1, keepdims=True) if a.ndim else a,
    "var": lambda a: a.var(), "std": lambda a: a.std() if a.size > 1 else a.sum(),
    "logsumexp": lambda a: ag.logsumexp(a, axis=-1) if a.ndim else a,
}


def draw(seed):
    """The random program of ``seed``, as data (``build`` makes it a step)."""
    rng = np.random.default_rng(seed)
    pick = lambda seq: seq[rng.integers(len(seq))]          # noqa: E731
    spec = {"seed": seed, "dtype": [np.float64, np.float32][rng.integers(2)],
            "leaves": [pick(SHAPES) for _ in range(rng.integers(1, 4))],
            "x": pick(SHAPES), "ops": []}
    for _ in range(rng.integers(2, 10)):
        kind = pick(["unary", "binary", "binary", "const", "reduce", "view"])
        a, b = int(rng.integers(1 << 30)), int(rng.integers(1 << 30))
        name = pick({"unary": list(UNARY), "binary": list(BINARY), "reduce": list(REDUCE),
                     "const": ["add", "mul", "sub", "rsub", "div", "maximum"],
                     "view": ["first", "flip", "T"]}[kind])
        spec["ops"].append((kind, name, a, pick(CONSTANTS) if kind == "const" else b))
    spec.update(zero_grads=bool(rng.integers(2)),       # else gradients add up
                update=pick(["none", "sgd", "sgd_inplace"]), lr=pick([0.1, 0.5, -0.0]),
                raw=bool(rng.integers(2)),              # raw NumPy on .data, under no_grad
                raw_const=pick(CONSTANTS),
                returns=pick(["loss", "grad", "raw", "tuple", "none", "value"]))
    if rng.integers(2):     # the constants are read from a list changed before call k
        spec["knob"] = (int(rng.integers(1, CALLS)), pick(CONSTANTS))
    if rng.integers(4) == 0:    # noise drawn in the step (NOISE), seeded before each call
        spec["noise"] = pick(list(NOISE))
    if rng.integers(4) == 0:    # a second argument: the input again, or another (TWIN)
        spec["twin"] = pick(list(TWIN))
    if rng.integers(8) == 0:    # the step keeps its loss: a list, a dict key, an attribute
        spec["log"] = pick(["append", "key", "attribute"])
    return spec


# the second argument at call k (of 2 * CALLS): x itself, then a tensor of its own; a
# tensor sharing x's array, then its own; its own
TWIN = {"same": lambda x, k, other: x if k < CALLS else other(),
        "shares": lambda x, k, other: x.detach() if k < CALLS else other(),
        "own": lambda x, k, other: other()}


# where a step's noise comes from: glassgrad's generator is recorded and replays fresh
# draws; from any other the program would repeat one draw, so the step must run eagerly
NOISE = {"ag": lambda seed: ag.manual_seed(seed),
         "np.random": lambda seed: np.random.seed(seed),
         "generator": None,                           # its own, made with the step
         "random": lambda seed: random.seed(seed)}


def build(spec):
    """``(step, leaves, make_input)``: the program ``spec`` as a step, on new leaves."""
    seed, dtype, ops = spec["seed"], spec["dtype"], spec["ops"]
    rng = np.random.default_rng(seed)
    leaves = [ag.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
              for shape in spec["leaves"]]
    x_shape, zero_grads, update, lr = spec["x"], spec["zero_grads"], spec["update"], spec["lr"]
    raw, raw_const, returns = spec["raw"], spec["raw_const"], spec["returns"]
    knob, noise, twin = spec.get("knob"), spec.get("noise"), spec.get("twin")
    log, kept = spec.get("log"), _Kept()
    box = spec.setdefault("box", [None])    # (one list for both copies of the step)
    gen = np.random.default_rng([seed, 1])

    def make_input(k):
        if knob is not None:                # Python state changed between calls
            box[0] = knob[1] if k >= knob[0] else None
        if NOISE.get(noise) is not None:    # (each copy's call k draws the same numbers)
            NOISE[noise]([seed, k] if noise == "np.random" else seed * 10 + k)
        data = np.random.default_rng([seed, k]).standard_normal(x_shape) * (k + 1)
        if k % 3 == 2:
            data = data * 0.0 - 0.0           # zeros of both signs
        x = ag.tensor(np.asarray(data, dtype))
        if twin is None:
            return (x,)
        return x, TWIN[twin](x, k, lambda: ag.tensor(np.asarray(data * 0.5 + k, dtype)))

    def step(x, *second):
        if zero_grads:
            for p in leaves:
                p.grad = None
        pool = list(leaves) + [x] + list(second)
        for op in ops:
            a = pool[op[2] % len(pool)]
            if op[0] == "unary":
                y = UNARY[op[1]](a)
            elif op[0] == "binary":
                y = BINARY[op[1]](a, pool[op[3] % len(pool)])
            elif op[0] == "const":
                c = op[3] if box[0] is None else box[0]
                y = {"add": lambda: a + c, "mul": lambda: a * c, "sub": lambda: a - c,
                     "rsub": lambda: c - a, "div": lambda: a / c,
                     "maximum": lambda: ag.maximum(a, c)}[op[1]]()
            elif op[0] == "reduce":
                y = REDUCE[op[1]](a)
            else:
                y = a if a.ndim == 0 else {"first": lambda: a[0], "flip": lambda: a[::-1],
                                           "T": lambda: a.T}[op[1]]()
            pool.append(y)
        if noise is not None:
            y = pool[-1]
            pool.append(y * {"ag": lambda: ag.randn(*y.shape, dtype=dtype),
                             "np.random": lambda: ag.tensor(np.random.standard_normal(
                                 y.shape).astype(dtype)),
                             "generator": lambda: ag.tensor(gen.standard_normal(
                                 y.shape).astype(dtype)),
                             "random": lambda: random.gauss(0.0, 1.0)}[noise]())
        loss = sum((v.sum() for v in pool[len(leaves) + 1:]), leaves[0].sum() * 0.5)
        loss.backward()
        if log == "append":
            kept.losses.append(loss.detach())
        elif log == "key":
            kept.by_call[len(kept.by_call)] = loss.detach()
        elif log == "attribute":
            kept.last = loss.detach()
        with ag.no_grad():
            if raw:
                d = leaves[-1].data
                extra = d * raw_const + d * -0.0
            for p in leaves:
                if p.grad is None:                  # a leaf the loss does not reach
                    continue
                if update == "sgd":
                    p.data -= lr * p.grad.data
                elif update == "sgd_inplace":
                    p -= p.grad * lr
        if returns == "loss":
            return loss
        if returns == "grad":
            return leaves[0].grad
        if returns == "raw":
            return ag.tensor(np.stack([np.asarray(extra if raw else x.data * raw_const)]))
        if returns == "tuple":
            return loss, pool[-1], leaves[-1].grad
        if returns == "value":
            return pool[-1]
        return None

    step.kept = kept
    return step, leaves, make_input


class _Kept:
    """What a step keeps of its calls (``spec["log"]``)."""

    def __init__(self):
        self.losses, self.by_call, self.last = [], {}, None

    def seen(self):
        return [_bits(t.data) for t in self.losses + list(self.by_call.values()) +
                ([self.last] if self.last is not None else [])]


def _bits(a):
    """The bytes of ``a``, every NaN made one NaN: IEEE leaves a new NaN's sign open, and
    NumPy's scalar math and its array loops give x86's default NaN (negative) or not."""
    a = np.array(a, copy=True)
    if a.dtype.kind in "fc":
        a[np.isnan(a)] = np.nan
    return a.tobytes()


def _bytes(result):
    if result is None:
        return []
    parts = result if isinstance(result, tuple) else (result,)
    return [None if p is None else (p.shape, p.dtype.str, _bits(p.data)) for p in parts]


def _state(leaves):
    return [(_bits(p.data), None if p.grad is None else _bits(p.grad.data)) for p in leaves]


# programs a longer campaign found, kept as they were drawn (a change to ``draw`` would
# give their seeds other programs): summed gradients of slices whose accumulator starts
# from a copy (203, 375: the build raised KeyError), the gradient of ``a[0]`` (65)
FOUND = [
    {"seed": 65, "dtype": np.float64, "leaves": [(3,)], "x": (3,), "ops": [
        ("binary", "where", 999540287, 245541694), ("view", "first", 439347185, 638341175),
        ("binary", "minimum", 667763444, 46297042), ("unary", "tanh", 614763567, 11437464)],
     "zero_grads": False, "update": "sgd_inplace", "lr": 0.1, "raw": False,
     "raw_const": np.nan, "returns": "value"},
    {"seed": 203, "dtype": np.float64, "leaves": [(2, 3), (3,), (2, 3)], "x": (), "ops": [
        ("binary", "add", 665971175, 340383668), ("view", "T", 902168844, 663840280),
        ("binary", "minimum", 144158035, 767205189), ("view", "flip", 1015017680, 201285669),
        ("unary", "log_abs", 355845749, 791886254)],
     "zero_grads": True, "update": "sgd", "lr": 0.1, "raw": False, "raw_const": np.nan,
     "returns": "grad"},
    {"seed": 375, "dtype": np.float64, "leaves": [(2, 3), (2, 3), (2, 3)], "x": (3,), "ops": [
        ("binary", "sub", 619230088, 731955111), ("view", "T", 973157946, 216334666),
        ("view", "first", 966474695, 356764182), ("view", "first", 11092919, 96231645),
        ("view", "T", 285564312, 578282878), ("reduce", "mean", 98791092, 415656560),
        ("unary", "relu", 435778595, 444320044)],
     "zero_grads": True, "update": "sgd", "lr": 0.1, "raw": False, "raw_const": 2.5,
     "returns": "value"},
]


@pytest.mark.parametrize("seed", range(SEEDS))
def test_a_random_step_replays_as_eager(seed):
    check(draw(seed))


@pytest.mark.parametrize("spec", FOUND, ids=[f"found-{s['seed']}" for s in FOUND])
def test_a_program_the_fuzz_found_replays_as_eager(spec):
    check(spec)


def check(spec):
    """Eager and compiled copies of ``spec``'s step, call by call (module docstring)."""
    seed = spec["seed"]
    eager_step, eager_leaves, make_input = build(spec)
    step, leaves, _ = build(spec)
    compiled = ag.compile(step)
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)     # 1/0 and the like, both ways
        warnings.simplefilter("always", UserWarning)
        for k in range(CALLS * 2 if spec.get("twin") else CALLS):
            try:
                want = eager_step(*make_input(k))
            except ValueError as error:             # shapes that do not broadcast
                with pytest.raises(type(error)):
                    compiled(*make_input(k))
                return
            got = compiled(*make_input(k))
            assert _bytes(got) == _bytes(want), f"seed {seed}, call {k}: the result"
            assert _state(leaves) == _state(eager_leaves), f"seed {seed}, call {k}: leaves"
            assert step.kept.seen() == eager_step.kept.seen(), f"seed {seed}, call {k}: kept"
    # the one fallback allowed: a decision the library takes on the data (finite logits,
    # say) that the inputs' infs and NaNs change, so a guard fails (and, three times in
    # a row, a warning says so); anything else must replay
    others = [str(w.message) for w in caught if "a decision of the traced call" not in
              str(w.message)]
    stats = compiled.stats()
    if spec.get("noise", "ag") != "ag" or spec.get("log"):     # what a replay would not do
        assert others and all("which a replay would not" in m or "np.empty made" in m or
                              "changed Python state" in m for m in others), others
        assert stats["replays"] == 0, stats
        return
    assert not others, others
    if not stats["guard_failures"]:          # (3 traces if grads add up; a changed
        assert stats["replays"] >= (1 if spec.get("knob") else 2), stats   # knob: 2 more)
