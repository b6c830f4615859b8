"""Solutions to the exercises of notebook 08 (RNNs and attention).

Blocks: ``# %% [id] solution`` and ``# %% [id] wrong: <what is wrong>``.
"""
# flake8: noqa
# %% [08.1] solution
h1 = max(0.0, -3 * 0 + 3 * 2)          # 6
h2 = max(0.0, -3 * h1 + 3 * 3)         # relu(-9) = 0
h3 = max(0.0, -3 * h2 + 3 * 1)         # 3
answer = {"h1": h1, "h2": h2, "h3": h3}

# %% [08.1] wrong: forgets the ReLU (h2 = -9)
answer = {"h1": 6.0, "h2": -9.0, "h3": 30.0}

# %% [08.2] solution
h1 = max(0.0, -2 * 2 + 1 * 2)          # 0: dead, so nothing flows back to x1 or h0
h2 = max(0.0, -2 * h1 + 1 * 1.5)       # 1.5
answer = {"h2": h2,
          "dV": h2 + -2 * h1,          # h2 + V dh2/dV with dh2/dV = h1 = 0
          "dW": 4 + -2 * 1.5,          # x3 + V dh2/dW, dh2/dW = x2 = 1.5
          "dx1": 0.0}

# %% [08.2] wrong: the printed solution (h2 = 2/3, so dh3/dV = 2/3)
answer = {"h2": 2 / 3, "dV": 2 / 3, "dW": 1.0, "dx1": 0.0}

# %% [08.3] solution
answer = {"exam_cell": 3 * 5 + 5 * 5 + 5, "nn_RNNCell": 3 * 5 + 5 * 5 + 5 + 5}   # 45, 50

# %% [08.3] wrong: counts the recurrent matrix as 3 x 5 too
answer = {"exam_cell": 3 * 5 + 3 * 5 + 5, "nn_RNNCell": 3 * 5 + 3 * 5 + 5 + 5}

# %% [08.4] solution
def lstm_vjp(g, x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    sig = lambda z: 1 / (1 + np.exp(-z))
    a = x @ Wx + prev_h @ Wh + b
    i, f, o, gg = sig(a[:, :H]), sig(a[:, H:2 * H]), sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * gg
    dnext_h, dnext_c = g[:, :H], g[:, H:]
    do = np.tanh(next_c) * dnext_h
    dc = dnext_c + o * (1 - np.tanh(next_c) ** 2) * dnext_h     # both paths into the cell state
    df, dprev_c, di, dg = prev_c * dc, f * dc, gg * dc, i * dc
    da = np.hstack((i * (1 - i) * di, f * (1 - f) * df, o * (1 - o) * do, (1 - gg ** 2) * dg))
    return da @ Wx.T, da @ Wh.T, dprev_c, x.T @ da, prev_h.T @ da, da.sum(axis=0)

# %% [08.4] wrong: forgets that next_h also depends on the cell state (dc = dnext_c only)
def lstm_vjp(g, x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    sig = lambda z: 1 / (1 + np.exp(-z))
    a = x @ Wx + prev_h @ Wh + b
    i, f, o, gg = sig(a[:, :H]), sig(a[:, H:2 * H]), sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * gg
    dnext_h, dnext_c = g[:, :H], g[:, H:]
    do = np.tanh(next_c) * dnext_h
    dc = dnext_c
    df, dprev_c, di, dg = prev_c * dc, f * dc, gg * dc, i * dc
    da = np.hstack((i * (1 - i) * di, f * (1 - f) * df, o * (1 - o) * do, (1 - gg ** 2) * dg))
    return da @ Wx.T, da @ Wh.T, dprev_c, x.T @ da, prev_h.T @ da, da.sum(axis=0)

# %% [08.5] solution
def attention_vjp(g, Q, K, V):
    d = Q.shape[-1]
    S = Q @ K.T / np.sqrt(d)
    P = np.exp(S - S.max(-1, keepdims=True))
    P /= P.sum(-1, keepdims=True)
    dV = P.T @ g
    dP = g @ V.T
    dS = P * (dP - (dP * P).sum(-1, keepdims=True))
    return dS @ K / np.sqrt(d), dS.T @ Q / np.sqrt(d), dV

# %% [08.5] wrong: treats the attention weights P as constants (no gradient through the softmax)
def attention_vjp(g, Q, K, V):
    d = Q.shape[-1]
    S = Q @ K.T / np.sqrt(d)
    P = np.exp(S - S.max(-1, keepdims=True))
    P /= P.sum(-1, keepdims=True)
    return np.zeros_like(Q), np.zeros_like(K), P.T @ g
