"""Solutions to the exercises of notebook 06 (batch norm and dropout).

Blocks: ``# %% [id] solution`` and ``# %% [id] wrong: <what is wrong>``.
"""
# flake8: noqa
# %% [06.1] solution
def bn_vjp(g, x, gamma, beta):
    m = x.shape[0]
    s = 1 / np.sqrt(x.var(0) + 1e-5)
    xhat = (x - x.mean(0)) * s
    dx = gamma * s / m * (m * g - g.sum(0) - xhat * (g * xhat).sum(0))
    return dx, (g * xhat).sum(0), g.sum(0)

# %% [06.1] wrong: only the direct path (forgets that the mean and variance depend on x)
def bn_vjp(g, x, gamma, beta):
    s = 1 / np.sqrt(x.var(0) + 1e-5)
    xhat = (x - x.mean(0)) * s
    return gamma * s * g, (g * xhat).sum(0), g.sum(0)

# %% [06.2] solution
def bn_backward(dout, x, gamma, beta):
    m = x.shape[0]
    mu, sigma = x.mean(0), np.sqrt(x.var(0) + 1e-5)
    xhat = (x - mu) / sigma
    dvar = -0.5 * sigma ** -3 * (gamma * dout * (x - mu)).sum(0)      # through the variance
    dmu = -(gamma * dout / sigma).sum(0)                               # through the mean
    dx = gamma * dout / sigma + dvar * 2 * (x - mu) / m + dmu / m
    return dx, (dout * xhat).sum(0), dout.sum(0)

# %% [06.2] wrong: the homework's formula as printed

# %% [06.3] solution
answer = {"running_2d": 2 * 3, "learnable_2d": 2 * 3, "learnable_1d": 2 * 40}

# %% [06.3] wrong: the 2021 exam's "2 for a fully-connected layer", and the input size 100
answer = {"running_2d": 6, "learnable_2d": 6, "learnable_1d": 2}

# %% [06.4] solution
answer = {"E_z": 0.5 * (2 * 3 + -1 * 4),          # 1
          "p_combined": 0.5 + 0.2 - 0.5 * 0.2}    # 0.6

# %% [06.4] wrong: the printed p + q - 2pq (and no factor 1/2 for the expectation)
answer = {"E_z": 2.0, "p_combined": 0.5 + 0.2 - 2 * 0.5 * 0.2}

# %% [06.5] solution
p_drop = 0.25
keep = np.array([[True, False, True], [True, True, False]])

def dropout_vjp(g, x):
    return g * keep / (1 - p_drop)

# %% [06.5] wrong: forgets the rescaling by 1/(1 - p)
p_drop = 0.25
keep = np.array([[True, False, True], [True, True, False]])

def dropout_vjp(g, x):
    return g * keep
