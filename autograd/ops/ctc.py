"""CTC (connectionist temporal classification) as one primitive: ``ctc_nll``.

For log-probabilities ``lp`` (T, N, C) and, per sample n, a target l of length L
extended with blanks to l' = (b, l_1, b, l_2, ..., l_L, b) of length S = 2L + 1, the
loss is -log Z_n with Z_n the total probability of the alignments of l' to the first
T_n frames. The forward variables, in log space (so no underflow, however long T)::

    α_0(0) = lp[0, b],   α_0(1) = lp[0, l'_1]
    α_t(s) = logsumexp(α_{t-1}(s), α_{t-1}(s-1), α_{t-1}(s-2) [if l'_s ≠ b, l'_s ≠ l'_{s-2}])
             + lp[t, l'_s]
    log Z  = logsumexp(α_{T-1}(S-1), α_{T-1}(S-2))

and the backward variables β likewise from the end. The gradient is the posterior
occupancy of each class, γ_t(c) = Σ_{s: l'_s = c} exp(α_t(s) + β_t(s) - lp[t, c] - log Z)::

    d nll_n / d lp[t, n, c] = -γ_t(c)          (0 for t >= T_n)

That is the true gradient with respect to ``lp``: PyTorch's ``ctc_loss`` returns
exp(lp) - γ instead, which agrees only once it has gone back through a log_softmax.

Why a primitive: composed of logsumexp/getitem/where, the recursion is about a dozen
graph nodes per frame (and as many VJPs); as one node it is one NumPy loop over the
frames each way (measured in docs/pytorch_parity.md). It stays twice differentiable:
the VJP is ``-g * ctc_posterior(lp)``, and ``ctc_posterior``'s VJP (the Hessian of
log Z times a vector, by forward-mode tangents of the same recursions) is
``ctc_posterior_jvp``. A third derivative is refused with an error.

``targets`` arrive as (N, S_max) extended label arrays with the lengths; checking and
reducing them is ``nn.functional.ctc_loss``'s job. With ``zero_infinity`` an
impossible alignment (Z = 0) gives loss 0 and gradient 0; without it, inf and NaN
(as in PyTorch).
"""
import weakref

import numpy as np

from .registry import Primitive, defprimitive
from .spec import Case

__all__ = ["ctc_nll", "ctc_extend"]

_NEG_INF = -np.inf


def ctc_extend(targets, target_lengths, blank):
    """(N, S_max) extended labels (b, l_1, b, ..., l_L, b) padded with blanks, and the
    extended lengths 2L + 1, from padded targets (N, L_max)."""
    n, width = len(target_lengths), max(int(np.max(target_lengths, initial=0)), 0)
    ext = np.full((n, 2 * width + 1), blank, dtype=np.int64)
    ext[:, 1::2] = targets[:, :width]
    return ext, 2 * np.asarray(target_lengths, dtype=np.int64) + 1


class _Tables:
    """α, β (T, N, S) and log Z (N,) for one batch (α may be given: the forward's)."""

    def __init__(self, lp, ext, input_lengths, ext_lengths, beta=True, alpha=None):
        t_max, n = lp.shape[0], lp.shape[1]
        s_max = ext.shape[1]
        self.rows = np.arange(n)[:, None]
        self.ext, self.tn, self.sn = ext, np.asarray(input_lengths), np.asarray(ext_lengths)
        self.valid = np.arange(s_max)[None, :] < self.sn[:, None]           # (N, S)
        skip = np.zeros(ext.shape, dtype=bool)          # s-2 -> s allowed: l'_s is not
        skip[:, 2:] = (ext[:, 2:] != ext[:, :1]) & (ext[:, 2:] != ext[:, :-2])  # b (= l'_0)
        self.skip = skip                                 # nor a repeat of l'_{s-2}
        self.emit = lp[:, self.rows, ext].astype(np.float64)               # (T, N, S)
        self.emit[:, ~self.valid] = _NEG_INF
        self.alpha = self._forward(t_max) if alpha is None else alpha
        last = self.alpha[np.maximum(self.tn - 1, 0), np.arange(n)]         # (N, S)
        ends = np.stack([_pick(last, self.sn - 1), _pick(last, self.sn - 2)])
        with np.errstate(divide="ignore"):
            self.log_z = np.logaddexp(ends[0], ends[1])
        self.log_z = np.where(self.tn > 0, self.log_z, _NEG_INF)
        self.beta = self._backward(t_max) if beta else None

    def _forward(self, t_max):
        """α frame by frame; a sample's α stays at its last frame after T_n."""
        n, s_max = self.emit.shape[1:]
        alpha = np.full(self.emit.shape, _NEG_INF)
        buf = np.full((n, s_max + 2), _NEG_INF)      # two -inf columns, then α_t
        a = buf[:, 2:]
        a[:, :2] = self.emit[0, :, :2]
        alpha[0] = a
        skip = np.where(self.skip, 0.0, _NEG_INF)    # added to α(s-2): -inf where not allowed
        for t in range(1, t_max):
            new = _lse3(a, buf[:, 1:-1], buf[:, :-2] + skip)
            new += self.emit[t]
            np.copyto(a, new, where=(t < self.tn)[:, None])
            alpha[t] = a
        return alpha

    def _backward(self, t_max):
        """β from each sample's last frame T_n - 1 back to 0 (-inf after T_n - 1)."""
        n, s_max = self.emit.shape[1:]
        beta = np.full(self.emit.shape, _NEG_INF)
        buf = np.full((n, s_max + 2), _NEG_INF)      # β_{t+1}, then two -inf columns
        b = buf[:, :-2]
        cols = np.arange(s_max)[None, :]
        is_end = (cols == (self.sn - 1)[:, None]) | (cols == (self.sn - 2)[:, None])
        skip_next = np.full(self.skip.shape, _NEG_INF)                      # s+2 -> s
        skip_next[:, :-2] = np.where(self.skip[:, 2:], 0.0, _NEG_INF)
        for t in range(t_max - 1, -1, -1):
            rec = _lse3(b, buf[:, 1:-1], buf[:, 2:] + skip_next)
            rec += self.emit[t]
            start = np.where(is_end, self.emit[t], _NEG_INF)
            b[...] = np.where((t == self.tn - 1)[:, None], start,
                              np.where((t < self.tn - 1)[:, None], rec, _NEG_INF))
            beta[t] = b
        return beta

    def posterior(self):
        """p(frame t is at extended position s | the target): (T, N, S); 0 for a target
        that cannot be aligned (the callers mark those)."""
        log_z = np.where(np.isfinite(self.log_z), self.log_z, 0.0)[None, :, None]
        with np.errstate(invalid="ignore", over="ignore"):
            post = np.exp(self.alpha + self.beta - self.emit - log_z)
        return np.where(np.isfinite(self.log_z)[None, :, None] & (post == post), post, 0.0)

    def to_classes(self, per_position, shape):
        """Sum (T, N, S) values over the positions s of each class: (T, N, C)."""
        t_max, n, c = shape
        flat = (np.arange(t_max)[:, None, None] * n + self.rows[None]) * c + self.ext[None]
        weights = np.where(self.valid[None], per_position, 0.0)
        return np.bincount(flat.ravel(), weights.ravel(), minlength=t_max * n * c).reshape(shape)


def _pick(values, cols):
    """values[n, cols[n]] (−inf where cols[n] < 0)."""
    safe = np.maximum(cols, 0)
    got = values[np.arange(len(cols)), safe]
    return np.where(cols >= 0, got, _NEG_INF)


def _shift(a, k):
    """a moved k places along s (right for k > 0), filled with −inf."""
    out = np.full(a.shape, _NEG_INF)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def _lse3(a, b, c):
    """log(e^a + e^b + e^c), shifted by the max. 2.4x faster than two np.logaddexp on
    the recursion's arrays, where many entries are -inf (logaddexp's slow case)."""
    m = np.maximum(np.maximum(a, b), c)
    m[m == _NEG_INF] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.exp(a - m)
        total += np.exp(b - m)
        total += np.exp(c - m)
        out = np.log(total)
    out += m
    return out


def _losses(tables, zero_infinity):
    nll = -tables.log_z
    return np.where(np.isinf(nll), 0.0, nll) if zero_infinity else nll


# α of each live ctc_nll output, for its VJP (as PyTorch's ctc_loss keeps log_alpha for
# its backward): keyed by the output array's id, dropped when that array is freed. A
# miss (e.g. the output was replaced) just recomputes α. Saves one of the three passes.
_ALPHAS = {}


def _ctc_nll_forward(lp, ext, input_lengths, ext_lengths, zero_infinity=False):
    tables = _Tables(lp, ext, input_lengths, ext_lengths, beta=False)
    out = _losses(tables, zero_infinity).astype(lp.dtype)
    _ALPHAS[id(out)] = tables.alpha
    weakref.finalize(out, _ALPHAS.pop, id(out), None)
    return out


def _posterior_forward(lp, ext, input_lengths, ext_lengths, zero_infinity=False,
                       alpha=None):
    """γ (T, N, C); NaN for an impossible target, 0 with ``zero_infinity``."""
    tables = _Tables(lp, ext, input_lengths, ext_lengths, alpha=alpha)
    gamma = tables.to_classes(tables.posterior(), lp.shape)
    gamma = np.where(_impossible(tables, lp.shape[0]), 0.0 if zero_infinity else np.nan, gamma)
    return gamma.astype(lp.dtype)


def _impossible(tables, t_max):
    """(T, N, 1): frames t < T_n of samples whose target cannot be aligned (Z = 0)."""
    inside = np.arange(t_max)[:, None] < tables.tn[None, :]
    return (np.isinf(tables.log_z)[None, :] & inside)[:, :, None]


def _tangent_forward(tables, du):
    """d α along the direction ``du`` (T, N, S) (the tangents of log α)."""
    alpha, emit = tables.alpha, tables.emit
    d_alpha = np.zeros(alpha.shape)
    d = np.where(np.isfinite(alpha[0]), du[0], 0.0)
    d_alpha[0] = d
    for t in range(1, alpha.shape[0]):
        prev = alpha[t - 1]
        total = _minus(alpha[t], emit[t])                                 # the logsumexp
        terms = [(prev, d), (_shift(prev, 1), _shift_zero(d, 1)),
                 (np.where(tables.skip, _shift(prev, 2), _NEG_INF), _shift_zero(d, 2))]
        new = du[t] + _weighted(terms, total)
        d = np.where((t < tables.tn)[:, None], np.where(np.isfinite(alpha[t]), new, 0.0), d)
        d_alpha[t] = d
    return d_alpha


def _tangent_backward(tables, du):
    """d β along ``du``: the same recursion from the end of each sample."""
    beta, emit = tables.beta, tables.emit
    d_beta = np.zeros(beta.shape)
    skip_next = np.zeros(tables.skip.shape, dtype=bool)
    skip_next[:, :-2] = tables.skip[:, 2:]
    d = np.zeros(beta.shape[1:])
    for t in range(beta.shape[0] - 1, -1, -1):
        nxt = beta[t + 1] if t + 1 < beta.shape[0] else np.full(beta.shape[1:], _NEG_INF)
        total = _minus(beta[t], emit[t])
        terms = [(nxt, d), (_shift(nxt, -1), _shift_zero(d, -1)),
                 (np.where(skip_next, _shift(nxt, -2), _NEG_INF), _shift_zero(d, -2))]
        rec = du[t] + _weighted(terms, total)
        start = du[t]
        d = np.where((t == tables.tn - 1)[:, None], start,
                     np.where((t < tables.tn - 1)[:, None], rec, 0.0))
        d = np.where(np.isfinite(beta[t]), d, 0.0)
        d_beta[t] = d
    return d_beta


def _minus(a, b):
    """a - b, with -inf - -inf = NaN quietly (such entries are masked by the callers)."""
    with np.errstate(invalid="ignore"):
        return a - b


def _shift_zero(a, k):
    out = np.zeros(a.shape)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def _weighted(terms, total):
    """Σ_k exp(v_k - total) d_k: the tangent of logsumexp(v_k) (0 where total = −inf)."""
    out = 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        for value, tangent in terms:
            w = np.exp(value - total)
            out = out + np.where(np.isfinite(value) & np.isfinite(total), w * tangent, 0.0)
    return out


def _posterior_jvp_forward(lp, u, ext, input_lengths, ext_lengths, zero_infinity=False,
                          alpha=None):
    """d γ along the direction ``u`` (T, N, C): the Hessian of log Z times u."""
    tables = _Tables(lp, ext, input_lengths, ext_lengths, alpha=alpha)
    du = np.where(tables.valid[None], u[:, tables.rows, tables.ext], 0.0)   # (T, N, S)
    d_alpha, d_beta = _tangent_forward(tables, du), _tangent_backward(tables, du)
    n = lp.shape[1]
    last = np.maximum(tables.tn - 1, 0)
    d_log_z = 0.0
    for k in (1, 2):                                   # the two end positions of α
        col = tables.sn - k
        a_end = _pick(tables.alpha[last, np.arange(n)], col)
        d_end = np.where(col >= 0, d_alpha[last, np.arange(n), np.maximum(col, 0)], 0.0)
        with np.errstate(invalid="ignore"):
            d_log_z = d_log_z + np.where(np.isfinite(a_end), np.exp(a_end - tables.log_z)
                                         * d_end, 0.0)
    post = tables.posterior()
    with np.errstate(invalid="ignore"):
        change = post * (d_alpha + d_beta - du - d_log_z[None, :, None])
    out = tables.to_classes(np.where(post > 0, change, 0.0), lp.shape)
    impossible = _impossible(tables, lp.shape[0])
    return np.where(impossible, 0.0 if zero_infinity else np.nan, out).astype(lp.dtype)


def _no_third_derivative(*args, **params):
    raise RuntimeError("ctc_loss: third derivatives are not supported (the loss is "
                       "differentiable twice)")


# Helpers of ctc_nll's VJP (not registered: they are tested through ctc_nll's first and
# second derivatives; the JVP has no derivative of its own).
ctc_posterior_jvp = Primitive(
    "ctc_posterior_jvp", _posterior_jvp_forward,
    vjps=(_no_third_derivative, _no_third_derivative),
    rules=("(no third derivative)",))


def _posterior_vjp(g, out, lp, ext, input_lengths, ext_lengths, zero_infinity=False,
                   alpha=None):
    # the Jacobian of γ = ∂log Z/∂lp is the (symmetric) Hessian: its VJP is its JVP
    return ctc_posterior_jvp(lp, g, ext=ext, input_lengths=input_lengths,
                             ext_lengths=ext_lengths, zero_infinity=zero_infinity,
                             alpha=alpha)


ctc_posterior = Primitive(
    "ctc_posterior", _posterior_forward,
    vjps=(_posterior_vjp,),
    rules=("d γ/d lp = the Hessian of log Z (forward tangents of α and β)",))


def _ctc_nll_vjp(g, out, lp, ext, input_lengths, ext_lengths, zero_infinity=False):
    alpha = _ALPHAS.get(id(getattr(out, "data", out)))
    gamma = ctc_posterior(lp, ext=ext, input_lengths=input_lengths, ext_lengths=ext_lengths,
                          zero_infinity=zero_infinity, alpha=alpha)
    return -(gamma * g[None, :, None])


def _ctc_case(targets, target_lengths, input_lengths, blank=0, zero_infinity=False):
    """A gradcheck case: the losses of a batch, weighted 1, 2, ... per sequence."""
    ext, ext_len = ctc_extend(np.asarray(targets), np.asarray(target_lengths), blank)
    w = np.arange(1.0, len(target_lengths) + 1)

    def fn(lp):
        return ctc_nll(lp, ext=ext, input_lengths=np.asarray(input_lengths),
                       ext_lengths=ext_len, zero_infinity=zero_infinity) * w
    return fn


# raw (unnormalised) log-probabilities, with repeats, a blank that is not class 0,
# unequal input lengths, an empty target and, with zero_infinity, an impossible one
_ctc_cases = [
    Case(_ctc_case([[1, 2, 2], [3, 1, 0]], [3, 2], [6, 5]), (6, 2, 4),
         label="repeats, unequal lengths"),
    Case(_ctc_case([[0, 2], [1, 1]], [2, 1], [5, 3], blank=3), (5, 2, 4),
         label="blank 3, a one-label target"),
    Case(_ctc_case([[1, 2], [2, 0]], [2, 0], [4, 4]), (4, 2, 3), label="an empty target"),
    Case(_ctc_case([[1, 1, 1], [1, 2, 0]], [3, 2], [3, 4], zero_infinity=True), (4, 2, 3),
         label="zero_infinity with an impossible target"),
]


ctc_nll = defprimitive(
    "ctc_nll", _ctc_nll_forward,
    vjps=(_ctc_nll_vjp,),
    rules=("d ctc_nll/d lp[t, c] = -γ_t(c), the posterior occupancy of class c at frame t",),
    cases=_ctc_cases)
