"""L-BFGS: a quasi-Newton method that keeps the last few (s, y) pairs.

The algorithm, its stopping rules and the strong-Wolfe line search with cubic
interpolation follow PyTorch's ``torch.optim.LBFGS`` (itself after minFunc) step for
step, so trajectories agree with PyTorch to rounding.

All vectors (the flat gradient, the direction d, the pairs sᵢ, yᵢ) are 1-d Tensors and
every vector operation is a tensor op under ``no_grad``; only the scalars that steer
the algorithm (gᵀd, yᵀs, ρᵢ, γ, t, the loss) are Python floats, as the stopping and
line-search tests compare them.
"""
import math

import autograd as ag

from .optimizer import Optimizer, check_number, update_

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to bounds.

    d₁ = g₁ + g₂ − 3 (f₁ − f₂)/(x₁ − x₂),  d₂ = √(d₁² − g₁ g₂),
    x* = x₂ − (x₂ − x₁) (g₂ + d₂ − d₁)/(g₂ − g₁ + 2 d₂)   (for x₁ ≤ x₂);
    the midpoint of the bounds when d₂ is not real.
    """
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, lo), hi)
    return (lo + hi) / 2.0


def _zoom_bracket(ls, f, gtd, c1, c2, tolerance_change, d_norm):
    """Second phase of the strong-Wolfe search: shrink the bracket [a, b]."""
    bracket, bracket_f, bracket_g, bracket_gtd = ls["bracket"]
    obj_func, max_ls = ls["obj_func"], ls["max_ls"]
    done, ls_iter = ls["done"], ls["ls_iter"]
    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # Keep t away from the ends of the bracket unless progress stalls twice.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(t)
        ls["evals"] += 1
        gtd_new = _dot(g_new, ls["d"])
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new, gtd_new
    return bracket[low], bracket_f[low], bracket_g[low]


def _strong_wolfe(obj_func, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Find t with f(x + t d) ≤ f + c₁ t gᵀd and |∇f(x + t d)ᵀd| ≤ −c₂ gᵀd.

    ``obj_func(t)`` returns (loss, flat gradient Tensor) at x + t d. Returns
    (f_new, g_new, t, number of evaluations). Gradients are never changed in place,
    so they are kept without copies.
    """
    d_norm = _abs_max(d)
    f_new, g_new = obj_func(t)
    evals = 1
    gtd_new = _dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket = None
    # Phase 1: step forward (interpolating/extrapolating) until a bracket is found.
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = ([t_prev, t], [f_prev, f_new], [g_prev, g_new],
                       [gtd_prev, gtd_new])
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = ([t], [f_new], [g_new], None)
            done = True
            break
        if gtd_new >= 0:
            bracket = ([t_prev, t], [f_prev, f_new], [g_prev, g_new],
                       [gtd_prev, gtd_new])
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(t)
        evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = ([0, t], [f, f_new], [g, g_new], None)
    if done or bracket[3] is None:
        if len(bracket[0]) == 1:
            return bracket[1][0], bracket[2][0], bracket[0][0], evals
        low = 0 if bracket[1][0] <= bracket[1][-1] else 1
        return bracket[1][low], bracket[2][low], bracket[0][low], evals
    ls = dict(bracket=bracket, obj_func=obj_func, max_ls=max_ls, done=done,
              ls_iter=ls_iter, evals=evals, d=d)
    t, f_new, g_new = _zoom_bracket(ls, f, gtd, c1, c2, tolerance_change, d_norm)
    return f_new, g_new, t, ls["evals"]


def _dot(a, b):
    """aᵀb of two 1-d Tensors as a Python float."""
    return float(a.dot(b))


def _abs_max(v):
    """‖v‖∞ as a Python float."""
    return float(v.abs().max())


def _history(state):
    """``d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, prev_loss`` kept by the
    last ``step`` (None before the first one)."""
    d, t = state.get("d"), state.get("t")
    old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
    H_diag = state.get("H_diag")
    if ro is not None:          # a loaded (e.g. PyTorch) state may hold 0-d arrays
        ro, H_diag, t = [float(r) for r in ro], float(H_diag), float(t)
    return (d, t, old_dirs, old_stps, ro, H_diag, state.get("prev_flat_grad"),
            state.get("prev_loss"))


def _remember_pair(y, s, old_dirs, old_stps, ro, H_diag, history_size):
    """Add the curvature pair (y, s) to the history (in place, dropping the oldest beyond
    ``history_size``) if yᵀs > 1e-10; returns the new (or kept) H_diag = yᵀs / yᵀy."""
    ys = _dot(y, s)
    if ys <= 1e-10:
        return H_diag
    if len(old_dirs) == history_size:
        old_dirs.pop(0)
        old_stps.pop(0)
        ro.pop(0)
    old_dirs.append(y)
    old_stps.append(s)
    ro.append(1.0 / ys)
    return ys / _dot(y, y)


class LBFGS(Optimizer):
    r"""Limited-memory BFGS, PyTorch's algorithm (one parameter group, full batch).

    Each ``step(closure)`` runs up to ``max_iter`` iterations. With the flat gradient
    g and the stored pairs sᵢ = θᵢ₊₁ − θᵢ, yᵢ = gᵢ₊₁ − gᵢ (kept when yᵀs > 1e-10,
    at most ``history_size``), the direction d = −H g comes from the two-loop recursion::

        q ← −g;  for i = k−1 … 0:  aᵢ = ρᵢ sᵢᵀq,  q ← q − aᵢ yᵢ       (ρᵢ = 1/yᵢᵀsᵢ)
        r ← γ q  with γ = sᵀy / yᵀy (latest pair)
        for i = 0 … k−1:  bᵢ = ρᵢ yᵢᵀr,  r ← r + (aᵢ − bᵢ) sᵢ;   d = r

    then θ ← θ + t d with t = lr (the first iteration uses min(1, 1/‖g‖₁)·lr), or t
    from a strong-Wolfe line search when ``line_search_fn="strong_wolfe"``. It stops on
    ‖g‖∞ ≤ tolerance_grad, |Δloss| or ‖t d‖∞ < tolerance_change, max_iter or max_eval.

    The closure must zero the gradients, compute the loss, call ``backward`` and return
    the loss; ``step`` returns the loss of its first evaluation.

    ``state`` (kept under the first parameter, as in PyTorch) holds the Tensors ``d``,
    ``prev_flat_grad`` and the lists ``old_dirs`` (yᵢ), ``old_stps`` (sᵢ), and the
    numbers ``t``, ``ro``, ``H_diag``, ``prev_loss``, ``func_evals``, ``n_iter``.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        check_number("LBFGS", "lr", lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _validate_group(self, group):
        check_number("LBFGS", "lr", group["lr"])
        for key in ("max_iter", "max_eval", "history_size"):
            check_number("LBFGS", key, group[key], low=0, low_open=True)
        check_number("LBFGS", "tolerance_grad", group["tolerance_grad"])
        check_number("LBFGS", "tolerance_change", group["tolerance_change"])
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{group['line_search_fn']!r}")

    def add_param_group(self, param_group):
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # ------------------------------------------------------- flat-vector helpers
    def _gather_flat_grad(self):
        """All gradients as one new 1-d Tensor (zeros for parameters without one)."""
        return ag.concatenate([ag.zeros((p.data.size,), dtype=p.dtype) if p.grad is None
                               else p.grad.reshape(-1) for p in self._params])

    def _add_grad(self, t, d):
        """θ ← θ + t d, d being the flat vector over all parameters."""
        offset = 0
        for p in self._params:
            n = p.data.size
            update_(p, d.data[offset:offset + n].reshape(p.shape), t)
            offset += n

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(self._eval_closure(closure))
        flat_grad = self._gather_flat_grad()
        for p, saved in zip(self._params, x):
            self._write(p, saved)
        return loss, flat_grad

    # ----------------------------------------------------------------- the step
    @ag.no_grad()
    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations; returns the initial loss."""
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that re-evaluates the loss: "
                               "def closure(): opt.zero_grad(); loss = f(); "
                               "loss.backward(); return loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = self._eval_closure(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if _abs_max(flat_grad) <= tol_grad:
            return orig_loss

        d, t, old_dirs, old_stps, ro, H_diag, prev_flat_grad, prev_loss = _history(state)
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                H_diag = _remember_pair(flat_grad - prev_flat_grad, d * t, old_dirs,
                                        old_stps, ro, H_diag, history_size)
                d = self._two_loop(flat_grad, old_dirs, old_stps, ro, H_diag)
            prev_flat_grad = flat_grad
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(flat_grad.abs().sum())) * lr
            else:
                t = lr
            gtd = _dot(flat_grad, d)
            if gtd > -tol_change:           # not a descent direction
                break

            loss, flat_grad, t, ls_func_evals = self._move(
                closure, group, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals,
                evaluate=n_iter != max_iter)
            # (the line search always evaluates; a fixed step on the last iteration not)
            opt_cond = ls_func_evals > 0 and _abs_max(flat_grad) <= tol_grad
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if _abs_max(d * t) <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    def _move(self, closure, group, t, d, loss, flat_grad, gtd, max_ls, evaluate):
        """Step the parameters along ``d``: by the strong-Wolfe line search's step, or by
        ``t`` (then the loss and gradient are re-evaluated if ``evaluate``). Returns the
        loss, the flat gradient, the step and how many closure calls it made."""
        if group["line_search_fn"] == "strong_wolfe":
            x_init = [self._clone(p) for p in self._params]

            def obj_func(step_t, x_init=x_init, d=d):
                return self._directional_evaluate(closure, x_init, step_t, d)

            loss, flat_grad, t, evals = _strong_wolfe(obj_func, t, d, loss, flat_grad, gtd,
                                                      max_ls=max_ls)
            t = float(t)
            self._add_grad(t, d)
            return loss, flat_grad, t, evals
        self._add_grad(t, d)
        if not evaluate:
            return loss, flat_grad, t, 0
        loss = float(self._eval_closure(closure))
        return loss, self._gather_flat_grad(), t, 1

    @staticmethod
    def _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag):
        """d = −H g from the stored pairs (see the class docstring); 4 tensor ops per
        pair, the coefficients aᵢ, bᵢ are Python floats."""
        k = len(old_dirs)
        al = [0.0] * k
        q = -flat_grad
        for i in range(k - 1, -1, -1):
            al[i] = _dot(old_stps[i], q) * ro[i]
            q = q - al[i] * old_dirs[i]
        r = q * H_diag
        for i in range(k):
            be_i = _dot(old_dirs[i], r) * ro[i]
            r = r + (al[i] - be_i) * old_stps[i]
        return r
