"""Solutions to the exercises of notebook 07 (optimizers).

Blocks: ``# %% [id] solution`` and ``# %% [id] wrong: <what is wrong>``.
"""
# flake8: noqa
# %% [07.1] solution
def adam_step(theta, g, m, v, k, lr=0.1, b1=0.9, b2=0.999, eps=1e-8):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g ** 2
    m_hat, v_hat = m / (1 - b1 ** k), v / (1 - b2 ** k)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), m, v

# %% [07.1] wrong: "this is not the update rule of Adam" (no bias correction)
def adam_step(theta, g, m, v, k, lr=0.1, b1=0.9, b2=0.999, eps=1e-8):
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g ** 2
    return theta - lr * m / (np.sqrt(v) + eps), m, v

# %% [07.2] solution
answer = {"gd": [-5.0, 5.0, -5.0], "newton": 0.0}     # x <- x - 2x = -x; Newton: x - 2x/2 = 0

# %% [07.2] wrong: assumes gradient descent converges to 0
answer = {"gd": [-5.0, 0.0, 0.0], "newton": 0.0}

# %% [07.3] solution
def inverse_time(epoch):
    return 1 / (1 + 0.5 * epoch)

# %% [07.3] wrong: exponential decay with the same rate
def inverse_time(epoch):
    return 0.5 ** epoch

# %% [07.4] solution
def decay_step(theta, grad, lr, lam):
    return (1 - lr * lam) * theta - lr * grad

# %% [07.4] wrong: decays by lam alone, without the learning rate
def decay_step(theta, grad, lr, lam):
    return (1 - lam) * theta - lr * grad

# %% [07.5] solution
answer = {"same_optimum": True, "same_after_10_steps": False}

# %% [07.5] wrong: thinks a constant factor changes nothing
answer = {"same_optimum": True, "same_after_10_steps": True}
