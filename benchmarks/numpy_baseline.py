"""Hand-written NumPy forward and backward passes: the baseline every ratio is taken to.

cs231n-style layer functions: each ``*_forward`` returns ``(out, cache)`` and each
``*_backward`` maps the upstream gradient ``dout`` and the cache to the input
gradients. No autodiff, no graph: this is what a careful person writes by hand, so
its time is the floor that an engine's overhead is measured against.

Weight layouts follow PyTorch: ``Linear.weight`` is (out, in), conv weights are
(F, C, kh, kw), the LSTM gates are stacked i, f, g, o.
"""
import numpy as np

from case import Case


# ----------------------------------------------------------------- layers
def affine_forward(x, w, b):
    """out = x wᵀ + b."""
    return x @ w.T + b, (x, w)


def affine_backward(dout, cache, need_dx=True):
    """dx = dout w, dw = doutᵀ x, db = Σ_rows dout."""
    x, w = cache
    dx = dout @ w if need_dx else None
    return dx, dout.T @ x, dout.sum(axis=0)


def relu_forward(x):
    out = np.maximum(x, 0)
    return out, out


def relu_backward(dout, out):
    """Gradient passes where the output is positive."""
    return dout * (out > 0)


def softmax_loss(logits, y):
    """Mean cross-entropy of softmax(logits) and its gradient (softmax - onehot) / N."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = logits.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    return loss, dlogits


def im2col(x, kh, kw):
    """(N, C, H, W) -> (N*OH*OW, C*kh*kw) columns, stride 1, no padding."""
    n, c, h, w = x.shape
    oh, ow = h - kh + 1, w - kw + 1
    s = x.strides
    windows = np.lib.stride_tricks.as_strided(
        x, shape=(n, oh, ow, c, kh, kw), strides=(s[0], s[2], s[3], s[1], s[2], s[3]))
    return windows.reshape(n * oh * ow, c * kh * kw), (oh, ow)


def col2im(dcols, x_shape, kh, kw):
    """Adjoint of im2col: add every window's gradient back (one slice-add per offset)."""
    n, c, h, w = x_shape
    oh, ow = h - kh + 1, w - kw + 1
    d = dcols.reshape(n, oh, ow, c, kh, kw)
    dx = np.zeros(x_shape, dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i:i + oh, j:j + ow] += d[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dx


def conv_forward(x, w, b):
    """Convolution (cross-correlation) by im2col and one matmul."""
    f, _, kh, kw = w.shape
    cols, (oh, ow) = im2col(x, kh, kw)
    out = cols @ w.reshape(f, -1).T + b                    # (N*OH*OW, F)
    out = out.reshape(x.shape[0], oh, ow, f).transpose(0, 3, 1, 2)
    return out, (x.shape, cols, w)


def conv_backward(dout, cache, need_dx=True):
    x_shape, cols, w = cache
    f, _, kh, kw = w.shape
    dmat = dout.transpose(0, 2, 3, 1).reshape(-1, f)       # (N*OH*OW, F)
    dw = (dmat.T @ cols).reshape(w.shape)
    db = dmat.sum(axis=0)
    dx = col2im(dmat @ w.reshape(f, -1), x_shape, kh, kw) if need_dx else None
    return dx, dw, db


def maxpool2_forward(x):
    """2x2 max pooling with stride 2 by reshaping into windows."""
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = win.max(axis=(3, 5))
    return out, (win, out)


def maxpool2_backward(dout, cache):
    """The gradient goes to the maximum of each window."""
    win, out = cache
    mask = win == out[:, :, :, None, :, None]
    dx = mask * dout[:, :, :, None, :, None]
    return dx.reshape(win.shape[0], win.shape[1], win.shape[2] * 2, win.shape[4] * 2)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def lstm_forward(X, W_ih, W_hh, b_ih, b_hh):
    """PyTorch's LSTM equations over the whole sequence; returns the last h and a cache."""
    T, B, _ = X.shape
    H = W_hh.shape[1]
    xproj = (X.reshape(T * B, -1) @ W_ih.T + (b_ih + b_hh)).reshape(T, B, 4 * H)
    h = np.zeros((B, H), X.dtype)
    c = np.zeros((B, H), X.dtype)
    steps = []
    for t in range(T):
        a = xproj[t] + h @ W_hh.T
        i, f = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H])
        g, o = np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
        c_prev, h_prev = c, h
        c = f * c + i * g
        tc = np.tanh(c)
        h = o * tc
        steps.append((i, f, g, o, c_prev, h_prev, tc))
    return h, (X, W_ih, W_hh, steps)


def lstm_backward(dh, cache):
    """Backpropagation through time for ``lstm_forward``; returns dW_ih, dW_hh, db."""
    X, W_ih, W_hh, steps = cache
    T, B, _ = X.shape
    H = W_hh.shape[1]
    da_all = np.empty((T, B, 4 * H), X.dtype)
    dW_hh = np.zeros_like(W_hh)
    dc = np.zeros((B, H), X.dtype)
    for t in reversed(range(T)):
        i, f, g, o, c_prev, h_prev, tc = steps[t]
        do = dh * tc
        dc = dc + dh * o * (1 - tc * tc)
        da = da_all[t]
        da[:, :H] = dc * g * i * (1 - i)
        da[:, H:2 * H] = dc * c_prev * f * (1 - f)
        da[:, 2 * H:3 * H] = dc * i * (1 - g * g)
        da[:, 3 * H:] = do * o * (1 - o)
        dc = dc * f
        dW_hh += da.T @ h_prev
        dh = da @ W_hh
    da2 = da_all.reshape(T * B, 4 * H)
    dW_ih = da2.T @ X.reshape(T * B, -1)
    db = da2.sum(axis=0)
    return dW_ih, dW_hh, db


# -------------------------------------------------------------- workloads
class MLPScalarCase(Case):
    """W1 vectorised: the same 2-16-16-1 MLP, hinge loss + 1e-4 L2, over all 100 points."""

    def __init__(self, d, lr):
        self.X, self.y, self.lr = d["X"], d["y"], lr
        self.params = {k: d[k].copy() for k in ("W0", "b0", "W1", "b1", "W2", "b2")}

    def loss_and_grads(self):
        p, X, y = self.params, self.X, self.y
        h1, c1 = affine_forward(X, p["W0"], p["b0"])
        r1, m1 = relu_forward(h1)
        h2, c2 = affine_forward(r1, p["W1"], p["b1"])
        r2, m2 = relu_forward(h2)
        s, c3 = affine_forward(r2, p["W2"], p["b2"])
        margins = 1 - y * s[:, 0]
        alpha = 1e-4
        loss = np.maximum(margins, 0).mean() + alpha * sum((v * v).sum() for v in p.values())
        ds = (-y * (margins > 0) / len(y))[:, None]
        g = {}
        dr2, g["W2"], g["b2"] = affine_backward(ds, c3)
        dr1, g["W1"], g["b1"] = affine_backward(relu_backward(dr2, m2), c2)
        _, g["W0"], g["b0"] = affine_backward(relu_backward(dr1, m1), c1, need_dx=False)
        for k, v in p.items():
            g[k] += 2 * alpha * v
        return loss, g

    def first(self):
        loss, g = self.loss_and_grads()
        return {"loss": loss, **g}

    def step(self):
        _, g = self.loss_and_grads()
        for k in self.params:
            self.params[k] -= self.lr * g[k]


class ChainCase(Case):
    """W2/W3: y = relu((y*w + 1e-4) * 0.9999) repeated; loss = sum(y); grads of x, w."""

    def __init__(self, d, scalar):
        self.n = int(d["n_ops"]) // 4
        if scalar:   # W3: plain Python floats, the fastest honest hand-written version
            self.x, self.w = float(d["x"]), float(d["w"])
        else:
            self.x, self.w = d["x"], d["w"]
        self.scalar = scalar

    def run(self):
        w = self.w
        y = self.x
        saved = []
        for _ in range(self.n):
            a = y * w
            saved.append(y)
            y = (a + 1e-4) * 0.9999
            y = np.maximum(y, 0) if not self.scalar else (y if y > 0 else 0.0)
            saved.append(y)
        loss = y if self.scalar else y.sum()
        gy = 1.0 if self.scalar else np.ones_like(y)
        gw = 0.0 if self.scalar else np.zeros_like(w)
        for k in reversed(range(self.n)):
            out = saved[2 * k + 1]
            gy = gy * (out > 0) * 0.9999
            gw = gw + gy * saved[2 * k]
            gy = gy * w
        return loss, gy, gw

    def first(self):
        loss, gx, gw = self.run()
        return {"loss": loss, "x": gx, "w": gw}

    def step(self):
        self.run()


class MLPCase(Case):
    """W4: 784-256-256-10 MLP, ReLU, softmax cross-entropy, one SGD step."""

    def __init__(self, d, lr):
        self.X, self.y, self.lr = d["X"], d["y"], np.asarray(lr, d["X"].dtype)
        self.params = {k: d[k].copy() for k in ("W0", "b0", "W1", "b1", "W2", "b2")}

    def loss_and_grads(self):
        p = self.params
        h, c0 = affine_forward(self.X, p["W0"], p["b0"])
        h, m0 = relu_forward(h)
        h, c1 = affine_forward(h, p["W1"], p["b1"])
        h, m1 = relu_forward(h)
        logits, c2 = affine_forward(h, p["W2"], p["b2"])
        loss, d = softmax_loss(logits, self.y)
        g = {}
        d, g["W2"], g["b2"] = affine_backward(d, c2)
        d, g["W1"], g["b1"] = affine_backward(relu_backward(d, m1), c1)
        _, g["W0"], g["b0"] = affine_backward(relu_backward(d, m0), c0, need_dx=False)
        return loss, g

    def first(self):
        loss, g = self.loss_and_grads()
        return {"loss": loss, **g}

    def step(self):
        _, g = self.loss_and_grads()
        for k, v in self.params.items():
            v -= self.lr * g[k]


class LeNetCase(MLPCase):
    """W5: conv-relu-pool x2 by im2col, then 256-120-84-10 with ReLU, softmax CE, SGD."""

    def __init__(self, d, lr):
        self.X, self.y, self.lr = d["X"], d["y"], np.asarray(lr, d["X"].dtype)
        self.params = {k: d[k].copy() for k in
                       ("C0", "c0", "C1", "c1", "W0", "b0", "W1", "b1", "W2", "b2")}

    def loss_and_grads(self):
        p = self.params
        h, k0 = conv_forward(self.X, p["C0"], p["c0"])
        h, r0 = relu_forward(h)
        h, q0 = maxpool2_forward(h)
        h, k1 = conv_forward(h, p["C1"], p["c1"])
        h, r1 = relu_forward(h)
        h, q1 = maxpool2_forward(h)
        flat = h.reshape(h.shape[0], -1)                    # (N, 256)
        h, a0 = affine_forward(flat, p["W0"], p["b0"])
        h, s0 = relu_forward(h)
        h, a1 = affine_forward(h, p["W1"], p["b1"])
        h, s1 = relu_forward(h)
        logits, a2 = affine_forward(h, p["W2"], p["b2"])
        loss, d = softmax_loss(logits, self.y)
        g = {}
        d, g["W2"], g["b2"] = affine_backward(d, a2)
        d, g["W1"], g["b1"] = affine_backward(relu_backward(d, s1), a1)
        d, g["W0"], g["b0"] = affine_backward(relu_backward(d, s0), a0)
        d = maxpool2_backward(d.reshape(h.shape[0], 16, 4, 4), q1)
        d, g["C1"], g["c1"] = conv_backward(relu_backward(d, r1), k1)
        d = maxpool2_backward(d, q0)
        _, g["C0"], g["c0"] = conv_backward(relu_backward(d, r0), k0, need_dx=False)
        return loss, g


class LSTMCase(MLPCase):
    """W6: LSTM over 50 steps, Linear(10) on the last hidden state, softmax CE, SGD."""

    def __init__(self, d, lr):
        self.X, self.y, self.lr = d["X"], d["y"], np.asarray(lr, d["X"].dtype)
        self.params = {k: d[k].copy() for k in ("W_ih", "W_hh", "b_ih", "b_hh", "W", "b")}

    def loss_and_grads(self):
        p = self.params
        h, cache = lstm_forward(self.X, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
        logits, ca = affine_forward(h, p["W"], p["b"])
        loss, d = softmax_loss(logits, self.y)
        g = {}
        dh, g["W"], g["b"] = affine_backward(d, ca)
        g["W_ih"], g["W_hh"], db = lstm_backward(dh, cache)
        g["b_ih"], g["b_hh"] = db, db.copy()
        return loss, g


class HVPCase(Case):
    """W7: f(x) = Σ tanh(Wx)²; Hv = Wᵀ [(2 - 6t²)(1 - t²) ⊙ (W v)] with t = tanh(Wx)."""

    def __init__(self, d):
        self.W, self.x, self.v = d["W"], d["x"], d["v"]

    def run(self):
        t = np.tanh(self.W @ self.x)
        t2 = t * t
        hv = self.W.T @ ((2 - 6 * t2) * (1 - t2) * (self.W @ self.v))
        return t2.sum(), hv

    def first(self):
        loss, hv = self.run()
        return {"loss": loss, "hvp": hv}

    def step(self):
        self.run()


CASES = {
    "W1": MLPScalarCase,
    "W2": ChainCase,
    "W3": ChainCase,
    "W4": MLPCase,
    "W5": LeNetCase,
    "W6": LSTMCase,
    "W6m": LSTMCase,
    "W7": HVPCase,
}   # see case.build


VERSION = np.__version__
