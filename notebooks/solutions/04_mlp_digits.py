"""Solutions to the exercises of notebook 04 (an MLP on the digits).

Blocks: ``# %% [id] solution`` and ``# %% [id] wrong: <what is wrong>``.
"""
# flake8: noqa
# %% [04.1] solution
answer = {"xavier": np.sqrt(1 / 64), "kaiming": np.sqrt(2 / 64)}     # 0.125, 0.177

# %% [04.1] wrong: the variances instead of the standard deviations
answer = {"xavier": 1 / 64, "kaiming": 2 / 64}

# %% [04.2] solution
answer = 64 * 10 + 10 + 10 * 5 + 5 + 5 * 3 + 3        # 723; dropout has no parameters

# %% [04.2] wrong: the weights only (biases forgotten)
answer = 64 * 10 + 10 * 5 + 5 * 3

# %% [04.3] solution
Xm = X_tr[:16]
ym = y_tr[:16]

def mlp_grads(W1, b1, W2, b2):
    N = len(ym)
    Z = Xm @ W1 + b1
    H = np.maximum(Z, 0)
    S = H @ W2 + b2
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    dS = (P - np.eye(10)[ym]) / N
    dH = dS @ W2.T
    dZ = dH * (Z > 0)
    return Xm.T @ dZ, dZ.sum(0), H.T @ dS, dS.sum(0)

# %% [04.3] wrong: forgets the ReLU's mask on the way back (dZ = dH)
Xm = X_tr[:16]
ym = y_tr[:16]

def mlp_grads(W1, b1, W2, b2):
    N = len(ym)
    Z = Xm @ W1 + b1
    H = np.maximum(Z, 0)
    S = H @ W2 + b2
    P = np.exp(S - S.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    dS = (P - np.eye(10)[ym]) / N
    dZ = dS @ W2.T
    return Xm.T @ dZ, dZ.sum(0), H.T @ dS, dS.sum(0)

# %% [04.4] solution
def leaky_vjp(g, x):
    return g * np.where(x > 0, 1.0, 0.01)

# %% [04.4] wrong: the slope 0.01 applied to the value (0.01 x) instead of the derivative
def leaky_vjp(g, x):
    return g * np.where(x > 0, 1.0, 0.01 * x)
