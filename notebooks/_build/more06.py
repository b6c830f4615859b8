"""Notebook 06, second half: batch norm's backward stepped (three paths to x), derived step by
step, exercises, and the course's batch-norm and dropout problems."""
from nbtools import check, code, exercise, md


def cells(name):
    return [
        md("""
        ## 6. Batch norm's backward, one node at a time

        I2DL endterm 11 August 2020, Problem 3d draws batch norm as a graph of $+$, $-$, $*$,
        $^2$, $\\sqrt\\cdot$ and $1/\\cdot$ nodes. Built that way — with the centred input
        computed twice, once for $\\hat x$ and once for the variance — $x$ has exactly three
        consumers, one per path of the chain rule: **(1)** directly through
        $\\hat x = (x - \\mu)\\,s$ with $s = 1/\\sqrt{\\sigma^2 + \\epsilon}$, **(2)** through the
        variance $\\sigma^2 = \\frac1m\\sum(x - \\mu)^2$, **(3)** through the mean $\\mu$.
        """),
        code("""
        from autograd import exercises as ex

        ag.set_default_dtype(np.float64)          # exact arithmetic again after section 5
        eps = 1e-5
        xb = ag.tensor(H, requires_grad=True); xb.name = "x"
        gamma_b = ag.tensor([1.5, -0.7], requires_grad=True); gamma_b.name = "gamma"
        beta_b = ag.tensor([0.1, 0.2], requires_grad=True); beta_b.name = "beta"
        mu_b = xb.mean(axis=0); mu_b.name = "mu"
        xc = xb - mu_b; xc.name = "x - mu (path 1)"
        xc2 = xb - mu_b; xc2.name = "x - mu (path 2)"
        var_b = (xc2 ** 2).mean(axis=0); var_b.name = "var"
        inv = 1.0 / ag.sqrt(var_b + eps); inv.name = "1/sqrt(var + eps)"
        xhat_b = xc * inv; xhat_b.name = "x_hat"
        yb = gamma_b * xhat_b + beta_b; yb.name = "y"
        gb = ag.tensor(np.random.default_rng(0).normal(size=(5, 2)))
        lossb = (yb * gb).sum(); lossb.name = "loss"
        table = ag.explain(lossb)
        paths = [row for row in table.rows if row["input"] == "x"]
        for row in paths:
            print(f"x receives from {row['node']!r:22} ({row['op']:>4s}) {row['contribution']}")
        assert len(paths) == 3
        """),
        md("""
        In formulas, with $g = \\partial L/\\partial y$, $s = 1/\\sqrt{\\sigma^2 + \\epsilon}$ (per feature):

        1. direct: $\\gamma g\\, s$;
        2. variance: $\\frac{\\partial L}{\\partial\\sigma^2} = -\\tfrac12 s^3 \\sum_j \\gamma g_j (x_j - \\mu)$,
           and $\\partial\\sigma^2/\\partial x_i = \\frac2m(x_i - \\mu)$ (the term through $\\mu$ inside
           $\\sigma^2$ vanishes, $\\sum_j (x_j - \\mu) = 0$);
        3. mean: $\\frac{\\partial L}{\\partial\\mu} = -s\\sum_j\\gamma g_j$ and
           $\\partial\\mu/\\partial x_i = \\frac1m$.

        Their sum is the compact formula of section 2. Each contribution the stepper shows
        equals its term:
        """),
        code("""
        steps_b = list(ag.backprop_steps(lossb, retain_graph=True))     # the backward pass, kept
        xv, gv, gam = H, gb.numpy(), gamma_b.numpy()
        m, mu_v = len(xv), xv.mean(0)
        s = 1 / np.sqrt(xv.var(0) + eps)
        direct = gam * gv * s
        dvar = -0.5 * s ** 3 * (gam * gv * (xv - mu_v)).sum(0)
        via_var = dvar * 2 / m * (xv - mu_v)
        via_mu = np.broadcast_to(-s * (gam * gv).sum(0) / m, xv.shape)
        steps_x = {st.node.name: st.input_grads[0] for st in steps_b
                   if st.node.name in ("x - mu (path 1)", "x - mu (path 2)", "mu")}
        assert np.allclose(steps_x["x - mu (path 1)"], direct)
        assert np.allclose(steps_x["x - mu (path 2)"], via_var)
        assert np.allclose(steps_x["mu"], via_mu)
        assert np.allclose(xb.grad.numpy(), direct + via_var + via_mu)
        print("the three paths add up to x.grad:\\n", xb.grad.numpy())
        """),
        code("""
        next(st for st in steps_b if st.node is var_b).draw()
        """),
        code("""
        ag.viz.play(lossb)
        """),
        md("""
        **Deep Learning HW2, Problem 3.1** writes
        $\\frac{\\partial L}{\\partial x} = \\frac1{\\sigma_B}\\gamma\\frac{\\partial L}{\\partial y}
        + \\frac2m (x - \\mu_B)^\\top \\frac1{\\sigma_B}\\gamma\\frac{\\partial L}{\\partial y}
        - \\frac1{m\\sigma_B}\\gamma\\big[1 + \\frac2m\\sum_i (x_i - \\mu_B)\\big]\\frac{\\partial L}{\\partial y}$.
        The first term is path 1. The second uses $\\frac1{\\sigma_B}$ where the derivative of
        $(\\sigma^2 + \\epsilon)^{-1/2}$ with respect to $\\sigma^2$, $-\\tfrac12(\\sigma^2 + \\epsilon)^{-3/2}(x - \\mu)$,
        belongs (a factor $-(x - \\mu)^2/(2\\sigma^2)$ off). The third is missing the sum over
        the batch: every $x_i$ moves $\\mu$, so it collects $\\frac1m\\sum_j g_j$, not its own
        $g_i$ (and $\\sum_i(x_i - \\mu_B) = 0$). Written out literally it is far from the true
        gradient — and its $\\partial L/\\partial\\gamma = x^\\top\\partial L/\\partial y$ must use
        $\\hat x$ (section 2):
        """),
        code("""
        sigma = np.sqrt(xv.var(0) + eps)
        hw_second = 2 / m * ((xv - mu_v) * gam * gv / sigma).sum(0)        # (x - mu)^T (...) : one number per feature
        hw = gam * gv / sigma + hw_second - gam / (m * sigma) * (1 + 2 / m * (xv - mu_v).sum(0)) * gv
        print("homework:\\n", hw.round(3), "\\nautograd:\\n", xb.grad.numpy().round(3))
        assert not np.allclose(hw, xb.grad.numpy(), atol=0.1)
        """),
        md("""
        ## 7. Exercises
        """),
        *exercise("06.1", "write", "the batch-norm backward", """
            `bn_vjp(g, x, gamma, beta)` for training-mode batch norm over the batch axis
            ($\\epsilon = 10^{-5}$, biased variance): return `(dx, dgamma, dbeta)`. The compact
            form: $dx = \\frac{\\gamma s}{m}\\big(m g - \\sum_j g_j - \\hat x \\sum_j g_j\\hat x_j\\big)$.
            """, '''
            def bn_vjp(g, x, gamma, beta):
                ...
            ''', name),
        check("06.1", """
        def bn_train(x, gamma, beta):
            return F.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5)

        rng = np.random.default_rng(6)
        ex.check_vjp(bn_vjp, bn_train, rng.normal(size=(6, 3)), rng.normal(size=3), rng.normal(size=3),
                     names=["x", "gamma", "beta"], exercise="06.1")
        """),
        *exercise("06.2", "bug", "the homework's batch-norm backward", """
            Deep Learning HW2's formula as code (with $\\hat x$ already used for
            $d\\gamma$). Fix the input gradient.
            """, '''
            def bn_backward(dout, x, gamma, beta):
                m = x.shape[0]
                mu, sigma = x.mean(0), np.sqrt(x.var(0) + 1e-5)
                xhat = (x - mu) / sigma
                dx = (gamma * dout / sigma
                      + 2 / m * ((x - mu) * gamma * dout / sigma).sum(0)
                      - gamma / (m * sigma) * (1 + 2 / m * (x - mu).sum(0)) * dout)
                return dx, (dout * xhat).sum(0), dout.sum(0)
            ''', name),
        check("06.2", """
        rng = np.random.default_rng(7)
        ex.check_vjp(bn_backward, bn_train, rng.normal(size=(5, 2)), rng.normal(size=2), rng.normal(size=2),
                     names=["x", "gamma", "beta"], exercise="06.2")
        """),
        md("""
        ## 8. The course's batch-norm problems

        **Parameters** (I2DL endterm 2022SS, Problem 7.3; endterm 2021, Problem 2.13):
        `BatchNorm2d` on $8\\times3\\times32\\times64$ keeps one mean and one variance per
        channel: 6 running statistics (the printed $2 \\cdot 3 = 6$ is right), and has 6
        learnable parameters. After a convolution with 16 filters: $2 \\cdot 16 = 32$ (right).
        After a fully connected layer with $M$ outputs: $2M$ — the printed "2 for a
        fully-connected layer" holds only for $M = 1$. (2022SS Problem 1.2: after $XW$ with
        $W$ of $D\\times M$, $\\gamma$ and $\\beta$ have length $M$, not $D$.)
        """),
        *exercise("06.3", "predict", "batch-norm sizes", """
            Predict the number of running statistics and of learnable parameters of
            `BatchNorm2d(3)`, and the learnable parameters of `BatchNorm1d` after
            `Linear(100, 40)`.
            """, 'answer = {"running_2d": ..., "learnable_2d": ..., "learnable_1d": ...}', name),
        check("06.3", """
        bn2 = nn.BatchNorm2d(3); bn2(ag.randn(8, 3, 32, 64))
        bn1 = nn.BatchNorm1d(40)
        ex.check_value(answer, {"running_2d": bn2.running_mean.numel() + bn2.running_var.numel(),
                                "learnable_2d": sum(p.numel() for p in bn2.parameters()),
                                "learnable_1d": sum(p.numel() for p in bn1.parameters())}, exercise="06.3")
        """),
        md("""
        **A bias before batch norm is useless** (Deep Learning HW2, Problems 4.1–4.2):
        training-mode BN subtracts the batch mean, which removes any constant the
        convolution adds — the output is the same with or without the bias, and the bias's
        gradient is exactly 0. Scaling the weights by $a > 0$ is removed by the division by
        the standard deviation (up to $\\epsilon$). And with $\\gamma = \\sqrt{\\sigma^2 + \\epsilon}$,
        $\\beta = \\mu$ batch norm gives back its input (I2DL Lecture 8: "the network can learn
        to undo the normalization").
        """),
        code("""
        ag.manual_seed(0)
        conv = nn.Conv2d(3, 4, 3)
        bnc = nn.BatchNorm2d(4)
        xi = ag.randn(8, 3, 6, 6)
        with_bias = bnc(conv(xi))
        (with_bias * ag.randn(*with_bias.shape)).sum().backward()
        print("|dL/d(conv bias)| =", np.abs(conv.bias.grad.numpy()).max())
        assert np.abs(conv.bias.grad.numpy()).max() < 1e-12
        no_bias = bnc(F.conv2d(xi, conv.weight))
        assert np.allclose(with_bias.numpy(), no_bias.numpy(), atol=1e-10)
        scaled = bnc(F.conv2d(xi, 7.0 * conv.weight))
        assert np.allclose(scaled.numpy(), no_bias.numpy(), atol=1e-4)
        xu = ag.randn(16, 3) * 3 + 2
        undo = F.batch_norm(xu, None, None, ag.sqrt(xu.var(axis=0) + 1e-5), xu.mean(axis=0), training=True)
        assert np.allclose(undo.numpy(), xu.numpy())
        """),
        md("""
        The running averages: the lecture writes
        $\\mu_{running} \\leftarrow \\beta_m\\,\\mu_{running} + (1 - \\beta_m)\\,\\mu_{batch}$, and
        the lecture summary adds that $\\beta_m = 0.99$ "by default". That is Keras's default;
        in PyTorch (and glassgrad) `momentum=0.1` weighs the *new* batch, which is
        $\\beta_m = 0.9$ (section 3 checks the update).

        **Which layers commute with ReLU?** (I2DL endterm 8 February 2022, Problem 1.5).
        With the same mask, inverted dropout scales by a positive number, so
        $\\text{Dropout}(\\text{ReLU}(x)) = \\text{ReLU}(\\text{Dropout}(x))$; max-pooling and ReLU are
        both monotone, so they commute too; batch norm and ReLU do not, and neither do
        ReLU and sigmoid ($\\text{ReLU}(\\sigma(x)) = \\sigma(x)$ but $\\sigma(\\text{ReLU}(x)) \\ge 0.5$).
        """),
        code("""
        ag.manual_seed(3)
        xr = ag.randn(4, 2, 6, 6)
        mask = (ag.rand(4, 2, 6, 6).numpy() > 0.3) / 0.7
        assert np.allclose(F.relu(xr * mask).numpy(), (F.relu(xr) * mask).numpy())
        assert np.allclose(F.max_pool2d(F.relu(xr), 2).numpy(), F.relu(F.max_pool2d(xr, 2)).numpy())
        bn_ = nn.BatchNorm2d(2)
        assert not np.allclose(bn_(F.relu(xr)).numpy(), F.relu(bn_(xr)).numpy())
        assert not np.allclose(F.relu(ag.sigmoid(xr)).numpy(), ag.sigmoid(F.relu(xr)).numpy())
        """),
        md("""
        ## 9. The course's dropout problems

        **The weight-scaling rule** (I2DL Lecture 8, "Dropout: test time"): with two inputs
        and drop probability $\\tfrac12$ the four masks are equally likely and
        $\\mathbb E[z] = \\frac14\\big(0 + \\theta_1x_1 + \\theta_2x_2 + (\\theta_1x_1 + \\theta_2x_2)\\big)
        = \\frac12(\\theta_1x_1 + \\theta_2x_2)$: at test time multiply by the *keep* probability
        (the slide's "$\\cdot p$" with $p = 0.5$ works because keep and drop are both 0.5;
        PyTorch-style inverted dropout rescales during training instead).
        """),
        *exercise("06.4", "predict", "dropout in expectation, twice", """
            (a) For $\\theta = (2, -1)$, $x = (3, 4)$ and drop probability $\\tfrac12$ without
            rescaling, predict $\\mathbb E[z]$. (b) Two dropout layers in a row with drop
            probabilities $p = 0.5$ and $q = 0.2$ act like one: with what drop probability?
            (Endterm 8 February 2022, Problem 2.5.)
            """, 'answer = {"E_z": ..., "p_combined": ...}', name),
        check("06.4", """
        masks = np.array([[a, b] for a in (0, 1) for b in (0, 1)])          # the four equally likely masks
        E_z = np.mean(masks @ (np.array([2.0, -1.0]) * np.array([3.0, 4.0])))
        ag.manual_seed(0)
        d1, d2 = nn.Dropout(0.5), nn.Dropout(0.2)
        zeroed = (d2(d1(ag.ones(200_000))).numpy() == 0).mean()
        ex.check_value(answer, {"E_z": E_z, "p_combined": zeroed}, rtol=0.01, exercise="06.4")
        """),
        md("""
        A unit survives both layers with probability $(1 - p)(1 - q)$, so one dropout with
        $p' = 1 - (1 - p)(1 - q) = p + q - pq$ (here 0.6) replaces them, with the same
        rescaling $1/((1 - p)(1 - q))$. The printed solution gives both
        "$p + q - 2pq$" and "a dropping probability of $pq$" — neither is it.

        **Gaussian dropout as a regulariser** (Deep Learning HW2, Problems 1.6–1.7). For
        $J = \\tfrac12(y - \\sum_k \\tilde w_k x_k)^2$ with noisy weights:

        * with additive noise $\\tilde w_k = w_k + \\delta_k$, $\\frac{\\partial J}{\\partial w_j}
          = -(y - \\sum_k(w_k + \\delta_k)x_k)\\,x_j$ — the homework drops the minus sign — and
          its expectation is the noise-free gradient;
        * with Gaussian dropout, multiplicative noise $\\tilde w_k = w_k(1 + \\epsilon_k)$,
          $\\epsilon_k \\sim \\mathcal N(0, \\alpha)$:
          $\\mathbb E[J] = \\tfrac12(y - \\sum_k w_kx_k)^2 + \\tfrac\\alpha2\\sum_k w_k^2x_k^2$. The
          homework ends with $\\alpha\\sum_k w_k^2x_k^2$: it expands $\\tfrac12(\\sum\\delta x)^2$
          as $\\sum_i\\sum_j\\delta_i\\delta_jx_ix_j$, losing the $\\tfrac12$ (so its Tikhonov
          diagonal is $\\sqrt{\\alpha/2}\\,x_i$, not $\\sqrt\\alpha\\,x_i$).
        """),
        code("""
        rng = np.random.default_rng(8)
        w_, x_, y_, alpha = rng.normal(size=5), rng.normal(size=5), 0.7, 0.3
        eps_ = rng.normal(0, np.sqrt(alpha), size=(400_000, 5))
        J_mc = np.mean(0.5 * (y_ - (w_ * (1 + eps_)) @ x_) ** 2)
        J_right = 0.5 * (y_ - w_ @ x_) ** 2 + alpha / 2 * np.sum(w_ ** 2 * x_ ** 2)
        J_homework = 0.5 * (y_ - w_ @ x_) ** 2 + alpha * np.sum(w_ ** 2 * x_ ** 2)
        print(f"Monte Carlo {J_mc:.4f}, with alpha/2 {J_right:.4f}, homework's alpha {J_homework:.4f}")
        assert abs(J_mc - J_right) < 0.01 * J_right and abs(J_mc - J_homework) > 0.05 * J_homework

        wt = ag.tensor(w_ + rng.normal(0, 0.1, 5), requires_grad=True)
        (0.5 * (y_ - wt @ ag.tensor(x_)) ** 2).backward()
        assert np.allclose(wt.grad.numpy(), -(y_ - wt.numpy() @ x_) * x_)        # with the minus sign
        """),
        md("""
        Deep Learning HW2, Problem 1.3, rescales section 4's identity with $w = p\\hat w$:
        $\\lVert y - pX\\hat w\\rVert^2 + p(1 - p)\\lVert\\hat\\Gamma\\hat w\\rVert^2
        = \\lVert y - Xw\\rVert^2 + \\frac{1 - p}{p}\\lVert\\hat\\Gamma w\\rVert^2$, a ridge penalty with
        $\\Gamma = \\sqrt{(1 - p)/p}\\,\\hat\\Gamma$ (right):
        """),
        code("""
        rng = np.random.default_rng(11)
        Xd, yd, wh, pk = rng.normal(size=(20, 4)), rng.normal(size=20), rng.normal(size=4), 0.7
        Gh_ = np.sqrt(np.diag(Xd.T @ Xd))
        lhs = np.sum((yd - pk * Xd @ wh) ** 2) + pk * (1 - pk) * np.sum((Gh_ * wh) ** 2)
        w_scaled = pk * wh
        rhs = np.sum((yd - Xd @ w_scaled) ** 2) + np.sum((np.sqrt((1 - pk) / pk) * Gh_ * w_scaled) ** 2)
        assert np.isclose(lhs, rhs)
        """),
        md("""
        **Spatial dropout** (Deep Learning HW2, Problem 1.8): `nn.Dropout2d` drops whole
        feature maps (one decision per sample and channel), `nn.Dropout` single pixels. In a
        convolutional feature map neighbouring pixels are strongly correlated, so dropping
        single pixels barely removes information; dropping channels forces the network not
        to rely on any one filter.
        """),
        code("""
        ag.manual_seed(1)
        fmap = ag.ones((4, 8, 5, 5))
        spatial = nn.Dropout2d(0.5)(fmap).numpy()
        per_map = spatial.reshape(4, 8, 25)
        assert all(len(np.unique(m)) == 1 for m in per_map.reshape(32, 25))     # each map all kept or all zero
        pixel = nn.Dropout(0.5)(fmap).numpy().reshape(32, 25)
        assert sum(len(np.unique(m)) > 1 for m in pixel) > 25                   # mixed within maps
        print("maps kept by Dropout2d:", int((per_map[:, :, 0] > 0).sum()), "of 32")
        """),
        *exercise("06.5", "write", "the VJP of inverted dropout", """
            With a fixed keep-mask `keep` (booleans) and drop probability `p`, inverted dropout
            is $y = x \\odot \\text{keep}/(1 - p)$. Write `dropout_vjp(g, x)` for the mask and
            `p` below.
            """, '''
            p_drop = 0.25
            keep = np.array([[True, False, True], [True, True, False]])

            def dropout_vjp(g, x):
                ...
            ''', name),
        check("06.5", """
        ex.check_vjp(dropout_vjp, lambda x: x * ag.tensor(keep / (1 - p_drop)),
                     np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]]), exercise="06.5")
        """),
    ]
