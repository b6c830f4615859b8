"""Notebook 02, second half: exercises, the sigmoid-affine exam problem, linear regression as
MLE and as MAP."""
from nbtools import check, code, exercise, md


def cells(name):
    return [
        md("""
        ## 4. Exercises

        A VJP function receives the upstream gradient `g` ($= \\partial L/\\partial Y$) and
        the inputs, and returns one gradient per input, each with its input's shape.
        """),
        code("""
        from autograd import exercises as ex
        """),
        *exercise("02.1", "write", "the affine layer's backward", """
            `affine_vjp(g, X, W, b)` for $Y = XW + b$ ($X$: $N\\times D$, $W$: $D\\times M$,
            $b$: $M$): return `(dX, dW, db)`.
            """, '''
            def affine_vjp(g, X, W, b):
                ...
            ''', name),
        check("02.1", """
        rng = np.random.default_rng(0)
        ex.check_vjp(affine_vjp, lambda X, W, b: X @ W + b, rng.normal(size=(4, 3)),
                     rng.normal(size=(3, 2)), rng.normal(size=2), names=["X", "W", "b"], exercise="02.1")
        """),
        *exercise("02.2", "bug", "the affine backward of the lecture summary", """
            The lecture summary (I2DL, "Affine layer: backward") writes the backward as
            below. Run the check, read the hint, fix it. (Where *does* a $1/n$ belong?)
            """, '''
            def affine_backward(dout, x, w, b):
                n = x.shape[0]
                dw = x.reshape(n, -1).T.dot(dout) / n
                db = np.mean(dout, axis=0)
                dx = dout.dot(w.T).reshape(x.shape)
                return dx, dw, db
            ''', name),
        check("02.2", """
        rng = np.random.default_rng(1)
        ex.check_vjp(affine_backward, lambda X, W, b: X @ W + b, rng.normal(size=(5, 3)),
                     rng.normal(size=(3, 4)), rng.normal(size=4), names=["x", "w", "b"], exercise="02.2")
        """),
        md("""
        The $1/n$ belongs to the *loss*: for $L = \\frac1n\\sum_i \\ell_i$ the upstream gradient
        already carries it ($\\partial L/\\partial Y$ has a $1/n$ in every row). A layer's
        backward must not average again, or every parameter gradient is $n$ times too
        small while $dX$ is not — an inconsistency gradient checks catch at once.
        """),
        *exercise("02.3", "write", "the gradient of a broadcast", """
            $B = $ `broadcast_to(b, (4, 3))` copies a column $b$ of shape $(4, 1)$ into 3
            columns. Write `broadcast_vjp(g, b)`: the gradient for $b$, of shape $(4, 1)$.
            """, '''
            def broadcast_vjp(g, b):
                ...
            ''', name),
        check("02.3", """
        ex.check_vjp(broadcast_vjp, lambda b: ag.broadcast_to(b, (4, 3)), np.arange(4.0).reshape(4, 1),
                     exercise="02.3")
        """),
        *exercise("02.4", "predict", "the shapes in a fully connected layer", """
            I2DL endterm 2022SS, Problems 2.2–2.3: for $Y = XW + b$ with $X$ of $N \\times D$,
            $W$ of $D \\times M$ and $b$ of $1 \\times M$, give the shapes of $b$, of
            $dout = \\partial L/\\partial Y$ and of $\\partial L/\\partial X$ for $N = 4$, $D = 3$,
            $M = 2$ (as tuples).
            """, 'answer = {"b": ..., "dout": ..., "dX": ...}', name),
        check("02.4", """
        Xs, Ws, bs = (ag.randn(*s, requires_grad=True) for s in [(4, 3), (3, 2), (1, 2)])
        Ys = Xs @ Ws + bs
        Ys.retain_grad()
        (Ys ** 2).sum().backward()
        ex.check_value(answer, {"b": bs.shape, "dout": Ys.grad.shape, "dX": Xs.grad.shape}, exercise="02.4")
        """),
        md("""
        ## 5. The sigmoid–affine exam problem (I2DL endterm, 8 February 2022, Problem 6)

        $z = XW + b$ with $X = \\begin{pmatrix}1 & 1\\\\ 0 & -1\\end{pmatrix}$,
        $W = \\begin{pmatrix}1\\\\ 2\\end{pmatrix}$, $b = 2$; $y = \\sigma(z)$. Then
        $z = (5, 0)$ and the printed solution writes $\\sigma(z) = (1, 0.5)$ "(rounded up)", so
        $dy/dz = y(1 - y) = (0, 0.25)$, $dW = X^\\top dout = (0, -0.25)$, $db = 0.25$.
        """),
        *exercise("02.5", "predict", "the exact gradients", """
            Without rounding $\\sigma(5)$: predict $dW$ (two numbers) and $db$ for the upstream
            gradient $dout = y(1 - y)$, i.e. the gradient of $\\sum y$. Four digits are enough.
            """, 'answer = {"dW": ..., "db": ...}', name),
        check("02.5", """
        Xe = ag.tensor([[1.0, 1.0], [0.0, -1.0]])
        We = ag.tensor([[1.0], [2.0]], requires_grad=True)
        be = ag.tensor([2.0], requires_grad=True)
        ag.sigmoid(Xe @ We + be).sum().backward()
        ex.check_value(answer, {"dW": We.grad.numpy().ravel(), "db": be.grad.item()}, rtol=2e-3,
                       exercise="02.5")
        """),
        md("""
        The printed answer drops the first sample's term: $\\sigma(5) = 0.99331$, so its
        local derivative is $\\sigma(5)(1 - \\sigma(5)) = 0.00665$, not 0. Rounding $y$ to
        1 *before* forming $y(1 - y)$ turns a small number into an exact zero —
        the same cancellation that makes `log(1 - sigmoid(z))` fail in float32 (notebook
        03). The exact values: $dW = (0.0066, -0.2434)$, $db = 0.2566$.
        """),
        code("""
        z = np.array([5.0, 0.0]); y = 1 / (1 + np.exp(-z)); dout = y * (1 - y)
        X_np = np.array([[1.0, 1.0], [0.0, -1.0]])
        dW_exact, db_exact = X_np.T @ dout, dout.sum()
        y_printed = np.array([1.0, 0.5])                        # sigma(5) = 0.9933 written as 1
        dout_rounded = y_printed * (1 - y_printed)
        print("exact   dout", dout.round(5), " dW", dW_exact.round(4), " db", round(db_exact, 4))
        print("printed dout", dout_rounded, " dW", X_np.T @ dout_rounded, " db", dout_rounded.sum())
        assert np.allclose(dW_exact, [0.0066, -0.2434], atol=5e-5) and abs(db_exact - 0.2566) < 5e-5
        assert np.allclose(X_np.T @ dout_rounded, [0, -0.25]) and dout_rounded.sum() == 0.25
        # Problems 6.1-6.2: dσ/dx = e^{-x} / (1 + e^{-x})^2 = σ(x)(1 - σ(x))
        xs_ = np.linspace(-4, 4, 9)
        assert np.allclose(np.exp(-xs_) / (1 + np.exp(-xs_)) ** 2, ag.sigmoid(ag.tensor(xs_)).numpy() *
                           (1 - ag.sigmoid(ag.tensor(xs_)).numpy()))
        """),
        md("""
        ## 6. Linear regression: least squares, maximum likelihood, MAP

        The lectures (I2DL Lecture 2, "Linear regression" and "Maximum likelihood") fit
        $\\hat y = X\\theta$ by minimising $J(\\theta) = (X\\theta - y)^\\top(X\\theta - y)$:
        $\\nabla J = 2X^\\top X\\theta - 2X^\\top y = 0$ gives $\\theta = (X^\\top X)^{-1}X^\\top y$, and
        with Gaussian noise $y_i = x_i\\theta + \\mathcal N(0, \\sigma^2)$ the log-likelihood is
        $-\\frac n2\\log(2\\pi\\sigma^2) - \\frac1{2\\sigma^2}\\lVert y - X\\theta\\rVert^2$: the maximum
        likelihood estimate *is* the least-squares one. (The slides' toy model, with
        $\\theta = (0.2, 0.64, 0, 1, 0.14)$ and the rows $(1, -25, 50, 2, 50)$ and
        $(1, -10, 50, 0, 10)$, predicts $-6.8$ and $-4.8$; with $+25$ outside, $25.2$.)
        """),
        code("""
        theta_toy = np.array([0.2, 0.64, 0, 1, 0.14])
        print(np.array([[1, -25, 50, 2, 50], [1, -10, 50, 0, 10], [1, 25, 50, 2, 50]]) @ theta_toy)
        assert np.allclose(np.array([[1, -25, 50, 2, 50], [1, -10, 50, 0, 10], [1, 25, 50, 2, 50]]) @ theta_toy,
                           [-6.8, -4.8, 25.2])

        rng = np.random.default_rng(3)
        n, d, sigma = 30, 4, 0.5
        Xr = rng.normal(size=(n, d)); theta_true = rng.normal(size=d)
        yr = Xr @ theta_true + sigma * rng.normal(size=n)
        th = ag.zeros(d, requires_grad=True)
        J = ((ag.tensor(Xr) @ th - ag.tensor(yr)) ** 2).sum()
        J.backward()
        assert np.allclose(th.grad.numpy(), 2 * Xr.T @ Xr @ np.zeros(d) - 2 * Xr.T @ yr)   # the slide's gradient
        theta_ls = np.linalg.solve(Xr.T @ Xr, Xr.T @ yr)

        def neg_log_likelihood(t):
            r = ag.tensor(yr) - ag.tensor(Xr) @ t
            return n / 2 * np.log(2 * np.pi * sigma ** 2) + (r ** 2).sum() / (2 * sigma ** 2)

        t = ag.zeros(d, requires_grad=True)
        import optim
        opt = optim.LBFGS([t], max_iter=100, line_search_fn="strong_wolfe")
        def closure():
            opt.zero_grad(); loss = neg_log_likelihood(t); loss.backward(); return loss
        opt.step(closure)
        print("least squares:", theta_ls.round(4), "\\nmax likelihood:", t.numpy().round(4))
        assert np.allclose(t.numpy(), theta_ls, atol=1e-6)
        """),
        md("""
        **MAP with a Gaussian prior is ridge regression, and it is not the MLE.** With the
        prior $\\theta \\sim \\mathcal N(0, \\lambda^{-1} I)$ the negative log-posterior is
        $\\frac1{2\\sigma^2}\\lVert y - X\\theta\\rVert^2 + \\frac\\lambda2\\lVert\\theta\\rVert^2 + \\text{const}$,
        i.e. MSE + L2 with weight $\\lambda\\sigma^2$:
        $\\theta_{MAP} = (X^\\top X + \\lambda\\sigma^2 I)^{-1}X^\\top y$. The graded solution of
        *Deep Learning for Visual Recognition, Assignment 5, theoretical part (a)* ends with
        "$\\theta_{MAP} = \\theta_{MLE}$", after declaring the prior term $\\lambda\\theta^2$ a constant
        (its eqs. 17–19; the grader asks "Why/When is this term constant?"). It is not: it
        depends on $\\theta$. It also drops the factors of the prior (the grader's "be careful
        how to diagnose the prior for the factors to cancel"): the penalty's weight is
        $\\lambda\\sigma^2$, not $\\lambda$. The two estimates agree only as $\\lambda \\to 0$ (a flat
        prior) or as $n \\to \\infty$:
        """),
        code("""
        lam = 4.0

        def neg_log_posterior(t):
            r = ag.tensor(yr) - ag.tensor(Xr) @ t
            return (r ** 2).sum() / (2 * sigma ** 2) + lam / 2 * (t ** 2).sum()

        t = ag.zeros(d, requires_grad=True)
        opt = optim.LBFGS([t], max_iter=100, line_search_fn="strong_wolfe")
        def closure():
            opt.zero_grad(); loss = neg_log_posterior(t); loss.backward(); return loss
        opt.step(closure)
        theta_map = np.linalg.solve(Xr.T @ Xr + lam * sigma ** 2 * np.eye(d), Xr.T @ yr)
        print("MAP (minimised):", t.numpy().round(4), "\\nridge formula:  ", theta_map.round(4),
              "\\nMLE:            ", theta_ls.round(4))
        assert np.allclose(t.numpy(), theta_map, atol=1e-6)
        assert not np.allclose(theta_map, theta_ls, atol=1e-3)
        assert np.linalg.norm(theta_map) < np.linalg.norm(theta_ls)       # the prior shrinks
        """),
    ]
