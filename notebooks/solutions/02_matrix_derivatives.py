"""Solutions to the exercises of notebook 02 (matrix derivatives).

Blocks: ``# %% [id] solution`` and ``# %% [id] wrong: <what is wrong>``.
"""
# flake8: noqa
# %% [02.1] solution
def affine_vjp(g, X, W, b):
    return g @ W.T, X.T @ g, g.sum(axis=0)

# %% [02.1] wrong: dW with the factors in the wrong order (g^T X is the transpose)
def affine_vjp(g, X, W, b):
    return g @ W.T, (g.T @ X).T.T, g.sum(axis=0)

# %% [02.2] solution
def affine_backward(dout, x, w, b):
    n = x.shape[0]
    dw = x.reshape(n, -1).T.dot(dout)
    db = np.sum(dout, axis=0)
    dx = dout.dot(w.T).reshape(x.shape)
    return dx, dw, db

# %% [02.2] wrong: the lecture summary's code (averages dW and db over the batch)

# %% [02.3] solution
def broadcast_vjp(g, b):
    return g.sum(axis=1, keepdims=True)       # b was copied along axis 1

# %% [02.3] wrong: sums over the wrong axis (the one that was not broadcast)
def broadcast_vjp(g, b):
    return g.sum(axis=0, keepdims=True).T[:4]

# %% [02.4] solution
answer = {"b": (1, 2), "dout": (4, 2), "dX": (4, 3)}

# %% [02.4] wrong: dL/dX given the shape of W
answer = {"b": (1, 2), "dout": (4, 2), "dX": (3, 2)}

# %% [02.5] solution
y = 1 / (1 + np.exp(-np.array([5.0, 0.0])))
dout = y * (1 - y)
answer = {"dW": np.array([[1.0, 0.0], [1.0, -1.0]]) @ dout, "db": dout.sum()}   # (0.0066, -0.2434), 0.2566

# %% [02.5] wrong: the printed solution (sigma(5) rounded to 1 first)
answer = {"dW": [0.0, -0.25], "db": 0.25}
