"""The workloads: their sizes and their data, generated with NumPy only.

Every library builds its version of a workload from the same ``make_data(name)``
dict of arrays, so the first losses and gradients can be compared exactly. This
module is imported by the worker processes too, including the peers' virtualenvs,
so it must import nothing but NumPy.

Weight layouts follow PyTorch (``Linear.weight`` is (out, in), LSTM gates are
stacked i, f, g, o) so that a library's own layers can load them.
"""
import numpy as np

SEED = 1234


class Spec:
    """What a workload is: a title, its float dtype, its family (which case class every
    library builds for it, e.g. ``W4`` for both W4 dtypes) and how to report it."""

    def __init__(self, name, title, dtype, family=None, n_ops=None, lr=0.05):
        self.name = name            # e.g. "W4-f32"
        self.title = title
        self.dtype = dtype          # "float32" or "float64"
        self.family = family or name.split("-")[0]
        self.n_ops = n_ops          # W2/W3: ops per iteration, to report µs per op
        self.lr = lr


def chain_ops(n_ops):
    """W2/W3's op cycle: x*w, x+1e-4, x*0.9999, relu(x) (each counts as one op)."""
    return n_ops // 4


def _both(name, title):
    """The float32 and float64 versions of a training workload."""
    return {f"{name}-{tag}": Spec(f"{name}-{tag}", f"{title} ({dt})", dt, family=name)
            for tag, dt in (("f32", "float32"), ("f64", "float64"))}


SPECS = {
    "W1": Spec("W1", "micrograd MLP 2-16-16-1, 100 points, scalar ops, hinge+L2, SGD",
               "float64"),
    "W2": Spec("W2", "1,000-op elementwise chain on 16 elements, fwd+bwd", "float64",
               n_ops=1000),
    "W3": Spec("W3", "100,000-op scalar chain, fwd+bwd", "float64", n_ops=100_000),
    **_both("W4", "MLP 784-256-256-10, batch 128, softmax CE, SGD"),
    **_both("W5", "LeNet-5 on batch 64 of 1x28x28, softmax CE, SGD"),
    **_both("W6", "nn.LSTM T=50 B=32 D=32 H=128, last step -> Linear(10), CE, SGD"),
    **_both("W6m", "LSTM cell loop written from ops, T=50 B=32 D=32 H=128, Linear(10), "
            "CE, SGD"),
    "W7": Spec("W7", "Hessian-vector product of sum(tanh(Wx)^2), x in R^500 (float64)",
               "float64"),
}

QUICK_OPS = {"W2": 1000, "W3": 20_000}


def make_moons(n, noise, rng):
    """Two interleaving half circles (like sklearn's make_moons); labels -1 / +1."""
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)])
    X += rng.normal(scale=noise, size=X.shape)
    y = np.concatenate([-np.ones(n_out), np.ones(n_in)])
    return X, y


def _linear(rng, n_in, n_out, dtype):
    """PyTorch's default Linear init: U(-1/sqrt(in), 1/sqrt(in)); weight is (out, in)."""
    bound = 1 / np.sqrt(n_in)
    W = rng.uniform(-bound, bound, size=(n_out, n_in)).astype(dtype)
    b = rng.uniform(-bound, bound, size=(n_out,)).astype(dtype)
    return W, b


def make_data(name, quick=False):
    """The arrays of workload ``name`` (params, inputs, targets), seeded."""
    spec = SPECS[name]
    dt = np.dtype(spec.dtype)
    rng = np.random.default_rng(SEED)
    if name == "W1":
        X, y = make_moons(100, 0.1, rng)
        # micrograd's Neuron: w ~ U(-1, 1), b = 0; a layer's weights as rows (out, in).
        sizes = [2, 16, 16, 1]
        d = {"X": X, "y": y}
        for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:])):
            d[f"W{k}"] = rng.uniform(-1, 1, size=(o, i))
            d[f"b{k}"] = np.zeros(o)
        return d
    if name in ("W2", "W3"):
        n_ops = QUICK_OPS[name] if quick else spec.n_ops
        shape = (16,) if name == "W2" else ()
        return {"x": (0.5 + 0.1 * rng.standard_normal(shape)).astype(dt),
                "w": (1.0 + 1e-4 * rng.standard_normal(shape)).astype(dt),
                "n_ops": np.array(n_ops)}
    if name.startswith("W4"):
        d = {"X": rng.standard_normal((128, 784)).astype(dt),
             "y": rng.integers(0, 10, size=128)}
        for k, (i, o) in enumerate([(784, 256), (256, 256), (256, 10)]):
            d[f"W{k}"], d[f"b{k}"] = _linear(rng, i, o, dt)
        return d
    if name.startswith("W5"):
        d = {"X": rng.standard_normal((64, 1, 28, 28)).astype(dt),
             "y": rng.integers(0, 10, size=64)}
        for k, (cin, cout) in enumerate([(1, 6), (6, 16)]):
            W, b = _linear(rng, cin * 25, cout, dt)
            d[f"C{k}"], d[f"c{k}"] = W.reshape(cout, cin, 5, 5), b
        for k, (i, o) in enumerate([(256, 120), (120, 84), (84, 10)]):
            d[f"W{k}"], d[f"b{k}"] = _linear(rng, i, o, dt)
        return d
    if name.startswith("W6"):
        T, B, D, H = 50, 32, 32, 128
        bound = 1 / np.sqrt(H)
        d = {"X": rng.standard_normal((T, B, D)).astype(dt),
             "y": rng.integers(0, 10, size=B),
             "W_ih": rng.uniform(-bound, bound, (4 * H, D)).astype(dt),
             "W_hh": rng.uniform(-bound, bound, (4 * H, H)).astype(dt),
             "b_ih": rng.uniform(-bound, bound, 4 * H).astype(dt),
             "b_hh": rng.uniform(-bound, bound, 4 * H).astype(dt)}
        d["W"], d["b"] = _linear(rng, H, 10, dt)
        return d
    if name == "W7":
        n = 500
        return {"W": (rng.standard_normal((n, n)) / np.sqrt(n)).astype(dt),
                "x": rng.standard_normal(n).astype(dt),
                "v": rng.standard_normal(n).astype(dt)}
    raise KeyError(name)
