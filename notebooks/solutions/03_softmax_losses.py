"""Solutions to the exercises of notebook 03 (softmax and losses).

Blocks: ``# %% [id] solution`` and ``# %% [id] wrong: <what is wrong>``.
"""
# flake8: noqa
# %% [03.1] solution
def softmax_vjp(g, s):
    p = np.exp(s - s.max())
    p /= p.sum()
    return p * (g - p @ g)             # J^T g with J = diag(p) - p p^T (J is symmetric)

# %% [03.1] wrong: only the diagonal of the Jacobian, p (1 - p) g
def softmax_vjp(g, s):
    p = np.exp(s - s.max())
    p /= p.sum()
    return p * (1 - p) * g

# %% [03.2] solution
p = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
answer = p - np.array([0.0, 0.0, 1.0])          # (0.0900, 0.2447, -0.3348)

# %% [03.2] wrong: y - p (the sign of the descent direction, not the gradient)
p = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
answer = np.array([0.0, 0.0, 1.0]) - p

# %% [03.3] solution
def ce_backward(g, logits, y):
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = logits.shape[0]
    p[np.arange(n), y] -= 1            # p[y] would select whole rows
    return g * p / n                   # the mean over the batch

# %% [03.3] wrong: the code as given (p[y] picks rows; no 1/N)

# %% [03.4] solution
y_c = np.array([0, 2, 0, 1, 0])

def center_vjp(g, X, C):
    diff = X - C[y_c]
    dC = np.zeros_like(C)
    np.add.at(dC, y_c, -diff)          # each sample of class j adds c_j - x_i: n_j c_j - sum x_i
    return g * diff, g * dC

# %% [03.4] wrong: the homework's dL/dC_j = C_j - sum x_i (drops the factor n_j)
y_c = np.array([0, 2, 0, 1, 0])

def center_vjp(g, X, C):
    diff = X - C[y_c]
    sums = np.zeros_like(C)
    np.add.at(sums, y_c, X)
    return g * diff, g * (C - sums)

# %% [03.5] solution
answer = {"bce": np.log(2), "ce10": np.log(10)}

# %% [03.5] wrong: log of the number of samples in the batch
answer = {"bce": np.log(64), "ce10": np.log(64)}
