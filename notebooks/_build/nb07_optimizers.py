"""07 — optimizers: first order, quasi-Newton and second order on Rosenbrock and a curve fit."""
from more07 import cells as more_cells
from nbtools import code, md, setup

NAME = "07_optimizers"


def cells():
    return [
        md("""
        # 07 · Optimizers on Rosenbrock and on a curve fit

        Every optimizer reads the gradients that backprop leaves in `.grad` (or, for the
        second-order methods, asks the engine for Hessians and Jacobians through double
        backprop) and updates the parameters under `no_grad`. We race them on two problems:

        * the **Rosenbrock** function $f(x, y) = (1 - x)^2 + 100\\,(y - x^2)^2$, a curved
          narrow valley with its minimum at $(1, 1)$, from the classic start $(-1.2, 1)$;
        * a **curve fit** $y \\approx a\\,e^{-b t} + c$ to noisy data, a small nonlinear least
          squares problem, the home ground of Gauss-Newton and Levenberg-Marquardt.

        The update rules are PyTorch's (and the course's):
        momentum $v \\leftarrow \\mu v + g,\\ \\theta \\leftarrow \\theta - \\alpha v$;
        RMSProp $s \\leftarrow \\rho s + (1 - \\rho) g^2,\\ \\theta \\leftarrow \\theta - \\alpha g / (\\sqrt s + \\epsilon)$;
        Adam with bias-corrected moments $\\hat m = m / (1 - \\beta_1^k)$,
        $\\hat v = v / (1 - \\beta_2^k)$, $\\theta \\leftarrow \\theta - \\alpha\\,\\hat m / (\\sqrt{\\hat v} + \\epsilon)$;
        Newton $\\theta \\leftarrow \\theta - H^{-1} \\nabla L$.
        """),
        setup("""
        import autograd as ag
        import optim

        ag.set_default_dtype(np.float64)
        START = [-1.2, 1.0]

        def rosenbrock(p):
            return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

        def rosen_residuals(p):
            \"\"\"F with ½‖F‖² = ½ f: F = (1 - x, 10 (y - x²)).\"\"\"
            return ag.stack([1 - p[0], 10 * (p[1] - p[0] ** 2)])
        """),
        md("""
        ## 1. First-order methods on Rosenbrock

        1000 steps each. The learning rates are hand-picked (about the largest that do not
        blow up): plain gradient descent is limited by the steep walls of the valley
        (curvature ~1000 across, ~1 along), so it crawls along the valley floor;
        momentum accumulates speed along the floor; RMSProp and Adam rescale each
        coordinate by its recent gradient size.
        """),
        code("""
        def run_first_order(make, steps=1000):
            p = ag.tensor(START, requires_grad=True)
            opt = make([p])
            path, losses = [p.numpy().copy()], []
            for _ in range(steps):
                opt.zero_grad()
                loss = rosenbrock(p)
                loss.backward()
                opt.step()
                losses.append(loss.item())
                path.append(p.numpy().copy())
            return np.array(path), np.array(losses)

        first_order = {
            "GD (SGD, lr 1e-3)": lambda ps: optim.SGD(ps, lr=1e-3),
            "momentum 0.9": lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9),
            "Nesterov 0.9": lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True),
            "RMSProp (lr 1e-2)": lambda ps: optim.RMSprop(ps, lr=1e-2),
            "Adam (lr 0.1)": lambda ps: optim.Adam(ps, lr=0.1),
        }
        results = {name: run_first_order(make) for name, make in first_order.items()}
        for name, (path, losses) in results.items():
            print(f"{name:20s} final loss {losses[-1]:.2e} at ({path[-1][0]:.4f}, {path[-1][1]:.4f})")
        final = {name: losses[-1] for name, (path, losses) in results.items()}
        assert final["GD (SGD, lr 1e-3)"] > 0.1                      # still crawling
        assert final["momentum 0.9"] < 1e-3 and final["Nesterov 0.9"] < 1e-3
        assert final["Adam (lr 0.1)"] < 1e-3
        assert final["RMSProp (lr 1e-2)"] < final["GD (SGD, lr 1e-3)"]
        """),
        md("""
        A check of Adam's first step against the course's formulas: with $m_1 = (1-\\beta_1)g$
        and $v_1 = (1 - \\beta_2) g^2$ the bias corrections give $\\hat m_1 = g$,
        $\\hat v_1 = g^2$, so the first step is $\\alpha\\,\\mathrm{sign}(g)$ whatever the
        gradient's size. Without the correction ("this is not the update rule of Adam")
        it would be $\\alpha\\,(1 - \\beta_1)/\\sqrt{1 - \\beta_2}\\,\\mathrm{sign}(g) \\approx 3.16\\,\\alpha$.
        """),
        code("""
        p = ag.tensor(START, requires_grad=True)
        opt = optim.Adam([p], lr=0.1)
        rosenbrock(p).backward()
        g = p.grad.numpy().copy()
        opt.step()
        step = p.numpy() - np.array(START)
        print("gradient", g, " first Adam step", step)
        assert np.allclose(step, -0.1 * np.sign(g), rtol=1e-6)
        """),
        code("""
        xs, ys = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-1, 3, 300))
        zs = (1 - xs) ** 2 + 100 * (ys - xs ** 2) ** 2

        def contour(ax, title):
            ax.contour(xs, ys, np.log10(zs + 1e-3), levels=20, cmap="Greys", linewidths=0.6)
            ax.plot(1, 1, "k*", ms=12); ax.plot(*START, "ko")
            ax.set_title(title); ax.set_xlim(-2, 2); ax.set_ylim(-1, 3)

        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        contour(a1, "first-order methods, 1000 steps")
        for name, (path, _) in results.items():
            a1.plot(path[:, 0], path[:, 1], lw=1.2, label=name)
        a1.legend(fontsize=8, loc="lower left")
        for name, (_, losses) in results.items():
            a2.semilogy(losses, label=name)
        a2.set_xlabel("step"); a2.set_ylabel("f"); a2.set_title("loss vs iteration"); a2.legend(fontsize=8)
        plt.tight_layout(); plt.show()
        """),
        md("""
        ## 2. Newton, L-BFGS, Gauss-Newton and Levenberg-Marquardt

        * **Newton** solves $H\\delta = \\nabla f$ with the exact Hessian (double backprop):
          no learning rate, quadratic convergence near the minimum — but nothing stops it from
          going uphill on the way (its second step below *increases* $f$ to over 1000).
        * **L-BFGS** builds an inverse-Hessian estimate from the last gradient differences
          and uses a strong-Wolfe line search; one `step(closure)` runs the whole
          optimisation here, and we record every evaluation of the closure.
        * **Gauss-Newton** writes $f = \\lVert F\\rVert^2$ with residuals
          $F = (1 - x,\\ 10(y - x^2))$ and solves $J^\\top J\\,\\delta = J^\\top F$. Here it
          needs 2 steps: the first fixes $x = 1$ exactly (the first residual is linear),
          jumping far outside the valley ($f > 1000$); the second lands on $(1, 1)$.
        * **Levenberg-Marquardt** damps that system, $(J^\\top J + \\lambda D)\\delta = J^\\top F$,
          and only accepts steps that decrease the loss (raising $\\lambda$ otherwise). It
          therefore follows the valley and takes ~20 steps, but it never goes uphill.

        glassgrad's closures return the loss (Newton) or the residual vector (GN, LM) and
        do not call `backward`; GN's and LM's `step` returns $\\tfrac12\\lVert F\\rVert^2 = f/2$, and the
        curves below plot $f$ itself for every method.
        """),
        md("""
        Where Newton's Hessian comes from: `ag.grad(..., create_graph=True)` records the
        backward pass itself as a graph (drawn below: the gradient of $f$ as a function of
        $p$), and differentiating that graph again gives the second derivatives. At the start
        $(-1.2, 1)$: $\\nabla f = (-215.6, -88)$ and
        $H = \\begin{pmatrix} 2 - 400(y - 3x^2) & -400x \\\\ -400x & 200\\end{pmatrix}
          = \\begin{pmatrix}1330 & 480\\\\ 480 & 200\\end{pmatrix}$.
        """),
        code("""
        from autograd.functional import hessian

        p = ag.tensor(START, requires_grad=True); p.name = "p"
        f = rosenbrock(p); f.name = "f"
        (g,) = ag.grad(f, p, create_graph=True); g.name = "grad f"
        rows = [ag.grad(g[i], p, retain_graph=True)[0].numpy() for i in range(2)]
        print("grad f =", g.numpy(), "\\nHessian =\\n", np.array(rows))
        assert np.allclose(g.numpy(), [-215.6, -88.0])
        assert np.allclose(rows, [[1330.0, 480.0], [480.0, 200.0]])
        assert np.allclose(hessian(rosenbrock, ag.tensor(START)).numpy(), rows)
        ag.draw_graph(g)
        """),
        code("""
        def run_closure(opt_class, closure_kind, steps, **kw):
            p = ag.tensor(START, requires_grad=True)
            opt = opt_class([p], **kw)
            path, losses = [p.numpy().copy()], []
            for _ in range(steps):
                fn = rosenbrock if closure_kind == "loss" else rosen_residuals
                opt.step(lambda: fn(p))
                path.append(p.numpy().copy())
                losses.append(rosenbrock(p.detach()).item())
            return np.array(path), np.array(losses)

        second = {
            "Newton": run_closure(optim.Newton, "loss", 8),
            "Gauss-Newton": run_closure(optim.GaussNewton, "residuals", 4),
            "Levenberg-Marquardt": run_closure(optim.LevenbergMarquardt, "residuals", 30, lambda_=1e-3),
        }

        p = ag.tensor(START, requires_grad=True)
        lbfgs = optim.LBFGS([p], lr=1, max_iter=200, line_search_fn="strong_wolfe",
                    tolerance_grad=1e-10, tolerance_change=1e-14)
        lb_path, lb_losses = [p.numpy().copy()], []

        def closure():
            lbfgs.zero_grad()
            loss = rosenbrock(p)
            loss.backward()
            lb_path.append(p.numpy().copy()); lb_losses.append(loss.item())
            return loss

        lbfgs.step(closure)
        second["L-BFGS (per evaluation)"] = (np.array(lb_path), np.array(lb_losses))

        for name, (path, losses) in second.items():
            k = int(np.argmax(losses < 1e-10)) if (losses < 1e-10).any() else None
            print(f"{name:24s} f < 1e-10 after {k + 1 if k is not None else '—'} steps; "
                  f"end ({path[-1][0]:.6f}, {path[-1][1]:.6f})")
        nl, gl, ll = (second[k][1] for k in ("Newton", "Gauss-Newton", "Levenberg-Marquardt"))
        assert nl[-1] < 1e-15 and nl.max() > 1000             # converges, but went uphill first
        assert gl[1] < 1e-20 and gl[0] > 1000                 # 2 steps, via x = 1
        assert ll[-1] < 1e-15 and np.all(np.diff(ll) <= 1e-12) # LM is monotone
        assert lb_losses[-1] < 1e-10 and len(lb_losses) < 100
        """),
        code("""
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
        contour(a1, "second-order and quasi-Newton")
        for name, (path, _) in second.items():
            a1.plot(path[:, 0], path[:, 1], ".-", lw=1, ms=4, label=name)
        a1.set_xlim(-2, 2); a1.set_ylim(-1, 3); a1.legend(fontsize=8, loc="lower left")
        for name, (_, losses) in second.items():
            a2.semilogy(np.maximum(losses, 1e-30), ".-", label=name)
        a2.set_xlabel("step (L-BFGS: closure evaluation)"); a2.set_ylabel("f")
        a2.set_title("loss vs iteration"); a2.legend(fontsize=8)
        plt.tight_layout(); plt.show()
        """),
        md("""
        ### Newton on linear regression, and a factor of 2 in the slides

        The course asks: "Can you apply Newton's method for linear regression? What do you
        get?" $J(\\theta) = (y - X\\theta)^\\top (y - X\\theta)$ is quadratic, its Hessian
        $2X^\\top X$ is constant, so one Newton step from anywhere lands on the normal
        equations' solution $\\theta^* = (X^\\top X)^{-1} X^\\top y$.

        The slides define Gauss-Newton for $f = \\lVert F\\rVert^2$, with
        $\\nabla f = 2J^\\top F$ and $2J^\\top J\\,\\delta = \\nabla f$ — consistent. The Levenberg
        slide then writes $(J^\\top J + \\lambda I)\\,\\delta = \\nabla f(x_k)$, dropping the 2 on the
        left only: as $\\lambda \\to 0$ that is **twice** the Gauss-Newton step. On a linear
        problem the Gauss-Newton step is exact, so the doubled step overshoots to the mirror
        image of the start, with exactly the starting loss. The consistent forms are
        $(J^\\top J + \\lambda I)\\,\\delta = J^\\top F$ (what `optim.LevenbergMarquardt` solves, with
        $L = \\tfrac12\\lVert F\\rVert^2$) or $(2J^\\top J + \\lambda I)\\,\\delta = \\nabla f$.
        """),
        code("""
        ag.manual_seed(0)
        Xr = ag.randn(50, 3); yr = Xr @ ag.tensor([1.0, -2.0, 0.5]) + 0.1 * ag.randn(50)
        theta = ag.zeros(3, requires_grad=True)
        optim.Newton([theta]).step(lambda: ((yr - Xr @ theta) ** 2).sum())
        normal_eq = np.linalg.solve(Xr.numpy().T @ Xr.numpy(), Xr.numpy().T @ yr.numpy())
        print("one Newton step:", theta.numpy(), "\\nnormal equations:", normal_eq)
        assert np.allclose(theta.numpy(), normal_eq, atol=1e-10)

        # the slide's Levenberg system with lambda -> 0 on the same (linear) problem
        theta0 = np.zeros(3)
        J = -Xr.numpy(); F = yr.numpy() - Xr.numpy() @ theta0      # F = y - X theta, J = dF/dtheta
        grad_f = 2 * J.T @ F
        slide_step = np.linalg.solve(J.T @ J + 1e-12 * np.eye(3), grad_f)
        right_step = np.linalg.solve(J.T @ J + 1e-12 * np.eye(3), J.T @ F)
        sse = lambda t: float(((yr.numpy() - Xr.numpy() @ t) ** 2).sum())
        print(f"loss at start {sse(theta0):.4f}, after the correct step {sse(theta0 - right_step):.4f}, "
              f"after the slide's step {sse(theta0 - slide_step):.4f}")
        assert np.allclose(theta0 - right_step, normal_eq)
        assert np.isclose(sse(theta0 - slide_step), sse(theta0))    # mirror image of the start
        """),
        md("""
        ## 3. A curve fit: $y \\approx a\\,e^{-b t} + c$

        30 noisy samples of $2.5\\,e^{-1.3 t} + 0.5$, fitted from $(a, b, c) = (1, 0.2, 0)$.
        The residuals are $F_i = a e^{-b t_i} + c - y_i$; first-order methods minimise
        $\\tfrac12\\lVert F\\rVert^2$ through its gradient. SciPy's `least_squares` is the
        reference for the optimum.
        """),
        code("""
        from scipy.optimize import least_squares

        rng = np.random.default_rng(0)
        t = np.linspace(0, 4, 30)
        y_obs = 2.5 * np.exp(-1.3 * t) + 0.5 + 0.05 * rng.standard_normal(t.size)
        T, Yobs = ag.tensor(t), ag.tensor(y_obs)
        START_FIT = [1.0, 0.2, 0.0]

        def residuals(th):
            return th[0] * ag.exp(-th[1] * T) + th[2] - Yobs

        ref = least_squares(lambda v: v[0] * np.exp(-v[1] * t) + v[2] - y_obs, START_FIT).x
        ref_loss = 0.5 * float(((ref[0] * np.exp(-ref[1] * t) + ref[2] - y_obs) ** 2).sum())

        def fit_first_order(make, steps):
            th = ag.tensor(START_FIT, requires_grad=True); opt = make([th]); losses = []
            for _ in range(steps):
                opt.zero_grad(); loss = 0.5 * (residuals(th) ** 2).sum(); loss.backward(); opt.step()
                losses.append(loss.item())
            return th.numpy(), np.array(losses)

        def fit_closure(opt_class, steps, start=START_FIT, **kw):
            th = ag.tensor(start, requires_grad=True); opt = opt_class([th], **kw); losses = []
            for _ in range(steps):
                losses.append(opt.step(lambda: residuals(th)).item())
            losses.append(0.5 * float((residuals(th.detach()).numpy() ** 2).sum()))
            return th.numpy(), np.array(losses[1:])

        fits = {
            "GD (lr 0.02)": fit_first_order(lambda ps: optim.SGD(ps, lr=0.02), 1500),
            "Adam (lr 0.05)": fit_first_order(lambda ps: optim.Adam(ps, lr=0.05), 1500),
            "Gauss-Newton": fit_closure(optim.GaussNewton, 10),
            "Gauss-Newton from (2, 1, 0.4)": fit_closure(optim.GaussNewton, 10, start=[2.0, 1.0, 0.4]),
            "Levenberg-Marquardt": fit_closure(optim.LevenbergMarquardt, 15),
        }
        th = ag.tensor(START_FIT, requires_grad=True)
        lb = optim.LBFGS([th], lr=1, max_iter=100, line_search_fn="strong_wolfe")
        lb_losses = []
        def lb_closure():
            lb.zero_grad(); loss = 0.5 * (residuals(th) ** 2).sum(); loss.backward()
            lb_losses.append(loss.item()); return loss
        lb.step(lb_closure)
        fits["L-BFGS (per evaluation)"] = (th.numpy(), np.array(lb_losses))

        print(f"scipy least_squares: a, b, c = {ref}, loss {ref_loss:.6f}")
        for name, (params, losses) in fits.items():
            if losses[-1] > 1e6:   # diverged: its last digits are chaotic, say what happened
                print(f"{name:30s} diverged: b = {params[1]:.0f}, a -> 0, loss > 1e6"
                      f"  ({len(losses)} iterations)")
            else:
                print(f"{name:30s} {params}  loss {losses[-1]:.6f}  ({len(losses)} iterations)")
        for name in ("Gauss-Newton from (2, 1, 0.4)", "Levenberg-Marquardt",
                     "L-BFGS (per evaluation)", "Adam (lr 0.05)"):
            assert np.allclose(fits[name][0], ref, atol=1e-4), name
        assert fits["Gauss-Newton"][1][-1] > 100 * ref_loss       # undamped GN lost its way
        assert np.all(np.diff(fits["Levenberg-Marquardt"][1]) <= 1e-15)
        """),
        code("""
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
        for name, (_, losses) in fits.items():
            a1.loglog(np.arange(1, len(losses) + 1), np.maximum(losses - ref_loss, 1e-16), label=name)
        a1.set_ylim(1e-16, 1e4); a1.set_xlabel("iteration"); a1.set_ylabel("loss - optimum")
        a1.legend(fontsize=8)
        a1.set_title("curve fit: loss vs iteration")
        tt = np.linspace(0, 4, 200)
        a2.plot(t, y_obs, "k.", label="data")
        for name in ("GD (lr 0.02)", "Levenberg-Marquardt"):
            a_, b_, c_ = fits[name][0]
            a2.plot(tt, a_ * np.exp(-b_ * tt) + c_, label=name)
        a2.legend(); a2.set_title("fitted curves")
        plt.tight_layout(); plt.show()
        """),
        md("""
        Note the failure: from $(1, 0.2, 0)$ **undamped Gauss-Newton diverges** — its first
        linearisation is poor and the full step sends $b$ far negative, where $e^{-bt}$
        explodes and $a$ collapses to 0. From a start closer to the answer it converges in
        a few steps, quadratically, as the theory promises for small residuals.
        Levenberg-Marquardt is Gauss-Newton with a safety net: rejected steps raise
        $\\lambda$ (shorter, gradient-like steps), accepted ones lower it (back towards
        Gauss-Newton), so it converges from both starts and never increases the loss.
        """),
        md("""
        **Which, what, when** (the course's summary, now with numbers): on small, smooth,
        full-batch problems the second-order methods win by orders of magnitude in
        iterations — Gauss-Newton and LM need a handful of steps where gradient descent needs
        thousands. They need the full batch and an $n \\times n$ solve, so for networks with
        millions of parameters and minibatches the default stays Adam, or SGD with momentum.
        """),
    ] + more_cells(NAME)
