"""Solutions to the exercises of notebook 01 (backprop on scalars).

Blocks: ``# %% [id] solution`` and ``# %% [id] wrong: <what is wrong>`` (the notebook
tests check that each wrong answer is rejected and each solution passes).
"""
# flake8: noqa
# %% [01.1] solution
x, y, z = -2.0, 5.0, -4.0
answer = {"x": z, "y": z, "z": x + y}            # add copies, mul swaps: -4, -4, 3

# %% [01.1] wrong: uses the inputs' own values instead of the other factor
answer = {"x": -2.0, "y": 5.0, "z": -4.0}

# %% [01.2] solution
def sigmoid_vjp(g, s):
    sig = 1 / (1 + np.exp(-s))
    return g * sig * (1 - sig)

# %% [01.2] wrong: forgets the upstream gradient g
def sigmoid_vjp(g, s):
    sig = 1 / (1 + np.exp(-s))
    return sig * (1 - sig)

# %% [01.3] solution
def relu_backward(dout, x):
    return np.where(x > 0, dout, 0.0)             # a new array: dout stays intact

# %% [01.3] wrong: the lecture summary's code, which zeroes entries of dout itself

# %% [01.4] solution
h = [1.0 * -0.5 + -2.0 * -1.0 + 0.5, 1.0 * 1.0 + -2.0 * 0.5 + 0.0, 1.0 * 2.0 + -2.0 * 1.5 - 1.0]
a = [max(0.5 * v, v) for v in h]                                  # 2, 0, -1
y1 = a[0] * 1.0 + a[1] * -0.5 + a[2] * -1.0 + 2.0                 # 5
y2 = a[0] * -0.5 + a[1] * 2.0 + a[2] * 1.0 + 1.0                  # -1
mse = ((y1 - 1) ** 2 + (y2 - 1) ** 2) / 2                         # 10
dw11 = ((y1 - 1) * 1.0 + (y2 - 1) * -0.5) * 1.0 * 1.0             # leaky slope 1 (h1 > 0), x1 = 1
answer = {"y1": y1, "y2": y2, "mse": mse, "dw11": dw11}

# %% [01.4] wrong: the exam's printed solution (output biases -1 and 2 instead of 2 and 1)
answer = {"y1": 2.0, "y2": 0.0, "mse": 1.0, "dw11": 1.5}

# %% [01.5] solution
answer = ["mul", "tanh", "add", "mul"]   # s = tanh(r) * q first; q (used twice) waits for both

# %% [01.5] wrong: the forward order (backprop runs it reversed)
answer = ["mul", "add", "tanh", "mul"]

# %% [01.6] solution
class Softplus(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + np.exp(-x))

# %% [01.6] wrong: backward returns the softplus itself instead of its derivative
class Softplus(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.logaddexp(0, x)

# %% [01.7] solution
answer = {"vjps_scores": 10, "jvps_scores": 784, "vjps_loss": 1, "jvps_loss": 784}

# %% [01.7] wrong: swaps forward and reverse mode
answer = {"vjps_scores": 784, "jvps_scores": 10, "vjps_loss": 784, "jvps_loss": 1}
