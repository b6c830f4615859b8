"""Solutions to the exercises of notebook 05 (convolutional networks).

Blocks: ``# %% [id] solution`` and ``# %% [id] wrong: <what is wrong>``.
"""
# flake8: noqa
# %% [05.1] solution
def conv1d_vjp(g, x, w):
    n, k = x.shape[-1], w.shape[-1]
    gv, xv, wv = g[0, 0], x[0, 0], w[0, 0]
    dw = np.array([gv @ xv[j:j + n - k + 1] for j in range(k)])
    dx = np.zeros(n)
    for j in range(k):
        dx[j:j + n - k + 1] += gv * wv[j]            # a full convolution with the kernel
    return dx.reshape(x.shape), dw.reshape(w.shape)

# %% [05.1] wrong: dx correlates g with the kernel without flipping (the forward again)
def conv1d_vjp(g, x, w):
    n, k = x.shape[-1], w.shape[-1]
    gv, xv, wv = g[0, 0], x[0, 0], w[0, 0]
    dw = np.array([gv @ xv[j:j + n - k + 1] for j in range(k)])
    dx = np.zeros(n)
    for j in range(k):
        dx[j:j + n - k + 1] += gv * wv[k - 1 - j]
    return dx.reshape(x.shape), dw.reshape(w.shape)

# %% [05.2] solution
def maxpool_vjp(g, x):
    N, C, H, W = x.shape
    win = x.reshape(N, C, H // 2, 2, W // 2, 2)
    is_max = win == win.max(axis=(3, 5), keepdims=True)
    return (is_max * g[:, :, :, None, :, None]).reshape(x.shape)

# %% [05.2] wrong: spreads the gradient evenly like an average pool
def maxpool_vjp(g, x):
    return np.repeat(np.repeat(g, 2, axis=2), 2, axis=3) / 4

# %% [05.3] solution
def im2col(x, k):
    N, C, H, W = x.shape
    cols = [x[:, :, i:i + k, j:j + k].reshape(N, C * k * k)
            for i in range(H - k + 1) for j in range(W - k + 1)]
    return np.stack(cols, axis=2)

# %% [05.3] wrong: walks the output grid column by column instead of row by row
def im2col(x, k):
    N, C, H, W = x.shape
    cols = [x[:, :, i:i + k, j:j + k].reshape(N, C * k * k)
            for j in range(W - k + 1) for i in range(H - k + 1)]
    return np.stack(cols, axis=2)

# %% [05.4] solution
answer = {"a": (32 + 2 * 1 - 6) // 2 + 1,      # 15
          "b": (26 + 2 * 1 - 7) // 3 + 1,      # 8
          "c": (28 + 2 * 2 - 5) // 3 + 1,      # 10
          "d": 3 * 4 * 4 * 5 + 5,              # 245
          "e": 32 + 1}                         # one 1x1 filter sees all 32 channels, plus a bias

# %% [05.4] wrong: forgets the padding and the bias, and counts the batch in (e)
answer = {"a": (32 - 6) // 2 + 1, "b": (26 - 7) // 3 + 1, "c": (28 - 5) // 3 + 1,
          "d": 3 * 4 * 4 * 5, "e": 16 + 1}

# %% [05.5] solution
answer = {"a": 1 + 4 * 2,                      # 9: each 3x3 conv adds 2
          "b": 1 + 2 + 1 + 2 * 2 + 1 * 2 + 2 * 4}   # conv +2, pool +1, conv +4, pool +2, conv +8 = 18

# %% [05.5] wrong: ignores that a pool doubles the step of everything after it
answer = {"a": 9, "b": 1 + 2 + 1 + 2 + 1 + 2}
