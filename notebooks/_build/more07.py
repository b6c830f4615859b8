"""Notebook 07, second half: exercises, learning-rate schedules, momentum's two forms, weight
decay vs L2, and the course's optimisation problems."""
from nbtools import check, code, exercise, md


def cells(name):
    return [
        md("""
        ## 4. Exercises
        """),
        code("""
        from autograd import exercises as ex
        """),
        *exercise("07.1", "write", "one Adam step", """
            `adam_step(theta, g, m, v, k)` with the lecture's update (I2DL Lecture 5, "Adam:
            bias corrected"): $m \\leftarrow \\beta_1 m + (1 - \\beta_1)g$,
            $v \\leftarrow \\beta_2 v + (1 - \\beta_2)g^2$, $\\hat m = m/(1 - \\beta_1^k)$,
            $\\hat v = v/(1 - \\beta_2^k)$, $\\theta \\leftarrow \\theta - \\alpha\\hat m/(\\sqrt{\\hat v} + \\epsilon)$
            for step $k = 1, 2, \\dots$, with $\\alpha = 0.1$, $\\beta = (0.9, 0.999)$,
            $\\epsilon = 10^{-8}$. Return `(theta, m, v)`. The check runs three steps on
            Rosenbrock against `optim.Adam`.
            """, '''
            def adam_step(theta, g, m, v, k, lr=0.1, b1=0.9, b2=0.999, eps=1e-8):
                ...
            ''', name),
        check("07.1", """
        def three_adam_steps():
            theta, m, v = np.array(START), np.zeros(2), np.zeros(2)
            for k in (1, 2, 3):
                t = ag.tensor(theta, requires_grad=True)
                rosenbrock(t).backward()
                theta, m, v = adam_step(theta, t.grad.numpy(), m, v, k)
            return theta

        p_ref = ag.tensor(START, requires_grad=True)
        adam = optim.Adam([p_ref], lr=0.1)
        for _ in range(3):
            adam.zero_grad(); rosenbrock(p_ref).backward(); adam.step()
        ex.check_function(three_adam_steps, p_ref.numpy(), name="theta after 3 Adam steps", exercise="07.1")
        """),
        md("""
        ### Gradient descent vs Newton on $x^2$ (I2DL endterm 8 February 2022, Problems 5.5–5.9)

        Minimise $x^2$ from $x_0 = 5$ with learning rate 1: $x \\leftarrow x - 1 \\cdot 2x = -x$.
        """),
        *exercise("07.2", "predict", "three steps of each", """
            Predict $x$ after 1, 2 and 3 steps of gradient descent (learning rate 1), and
            after one Newton step, from $x_0 = 5$.
            """, 'answer = {"gd": [..., ..., ...], "newton": ...}', name),
        check("07.2", """
        xg = ag.tensor([5.0], requires_grad=True)
        sgd = optim.SGD([xg], lr=1.0)
        gd_path = []
        for _ in range(3):
            sgd.zero_grad(); (xg ** 2).sum().backward(); sgd.step(); gd_path.append(xg.item())
        xn = ag.tensor([5.0], requires_grad=True)
        optim.Newton([xn]).step(lambda: (xn ** 2).sum())
        ex.check_value(answer, {"gd": gd_path, "newton": xn.item()}, exercise="07.2")
        """),
        md("""
        Gradient descent bounces between $\\pm5$ forever (the printed "won't converge" is
        right: any learning rate in $(0, 1)$ would converge), while Newton's quadratic model
        of a quadratic is exact and lands on 0 in one step. Problem 8.7 of the 2022SS endterm
        asks for Newton's update on $f(x, w) = wx$: "$w - f'/f''$" — but $f$ is linear in $w$,
        $f'' = 0$, and the step is undefined (a linear function has no minimum to jump to);
        only damping ($H + dI$) makes it a step at all:
        """),
        code("""
        from autograd.functional import hessian
        wx = ag.tensor([0.5])
        print("Hessian of f(w) = 3w at w = 0.5:", hessian(lambda w: (3.0 * w).sum(), wx).numpy())
        assert np.all(hessian(lambda w: (3.0 * w).sum(), wx).numpy() == 0)
        wd = ag.tensor([0.5], requires_grad=True)
        optim.Newton([wd], damping=1.0).step(lambda: (3.0 * wd).sum())
        assert np.isclose(wd.item(), 0.5 - 3.0)            # with damping d: a gradient step of size 1/d
        """),
        md("""
        ## 5. Learning-rate schedules (I2DL Lecture 6, "Learning rate decay")

        The slide: $\\alpha = \\frac{1}{1 + \\text{decay\\_rate}\\cdot\\text{epoch}}\\,\\alpha_0$ with
        $\\alpha_0 = 0.1$, decay rate 1 gives 0.1, 0.05, 0.033, 0.025; step decay
        $\\alpha \\leftarrow \\alpha - t\\alpha$ every $n$ epochs; exponential $t^{\\text{epoch}}\\alpha_0$;
        $\\frac{t}{\\sqrt{\\text{epoch}}}\\alpha_0$ (undefined at epoch 0: start it at epoch 1). ResNet
        divides by 10 on a plateau; the Transformer warms up,
        $d^{-1/2}\\min(\\text{step}^{-1/2}, \\text{step}\\cdot\\text{warmup}^{-3/2})$. All are
        `optim.lr_scheduler` one-liners; a scheduler only changes `group["lr"]`:
        """),
        code("""
        from optim import lr_scheduler as sched

        def lrs(make, epochs=12, metric=None):
            p = ag.zeros(1, requires_grad=True)
            opt = optim.SGD([p], lr=0.1)
            s = make(opt)
            out = []
            for epoch in range(epochs):
                out.append(opt.param_groups[0]["lr"])
                opt.step()
                s.step(metric(epoch)) if metric else s.step()
            return np.array(out)

        schedules = {
            "1/(1 + epoch)": lrs(lambda o: sched.InverseTimeLR(o, decay=1.0)),
            "step: -50% every 4": lrs(lambda o: sched.StepLR(o, step_size=4, gamma=0.5)),
            "exponential 0.8^epoch": lrs(lambda o: sched.ExponentialLR(o, gamma=0.8)),
            "1/sqrt(epoch + 1)": lrs(lambda o: sched.LambdaLR(o, lambda e: 1 / np.sqrt(e + 1))),
            "/10 on plateau": lrs(lambda o: sched.ReduceLROnPlateau(o, factor=0.1, patience=2),
                                  metric=lambda e: max(1.0, 5 - e)),
        }
        for label, values in schedules.items():
            plt.step(range(12), values, where="post", label=label)
        plt.yscale("log"); plt.xlabel("epoch"); plt.ylabel("learning rate"); plt.legend(fontsize=8); plt.show()
        print("1/(1 + epoch):", schedules["1/(1 + epoch)"][:4].round(4))
        assert np.allclose(schedules["1/(1 + epoch)"][:4], [0.1, 0.05, 0.1 / 3, 0.025])
        assert np.allclose(schedules["step: -50% every 4"][[0, 4, 8]], [0.1, 0.05, 0.025])
        assert np.allclose(schedules["exponential 0.8^epoch"], 0.1 * 0.8 ** np.arange(12))
        """),
        code("""
        d_model, warmup = 512, 4000
        p = ag.zeros(1, requires_grad=True)
        opt = optim.Adam([p], lr=1.0)
        noam = sched.LambdaLR(opt, lambda step: d_model ** -0.5 * min((step + 1) ** -0.5, (step + 1) * warmup ** -1.5))
        trace_lr = []
        for step in range(6000):
            trace_lr.append(opt.param_groups[0]["lr"]); opt.step(); noam.step()
        trace_lr = np.array(trace_lr)
        print(f"Transformer schedule: peak {trace_lr.max():.3g} at step {trace_lr.argmax() + 1}")
        assert trace_lr.argmax() + 1 == warmup and np.isclose(trace_lr.max(), (d_model * warmup) ** -0.5)
        """),
        *exercise("07.3", "write", "the decay of the slide as a LambdaLR", """
            Write `inverse_time(epoch)`, the factor that multiplies $\\alpha_0$ in the slide's
            $\\alpha = \\alpha_0/(1 + \\text{decay\\_rate}\\cdot\\text{epoch})$ with decay rate 0.5,
            so that `LambdaLR(opt, inverse_time)` gives the same learning rates as
            `InverseTimeLR(opt, decay=0.5)`.
            """, '''
            def inverse_time(epoch):
                ...
            ''', name),
        check("07.3", """
        def lambda_lrs():
            return lrs(lambda o: sched.LambdaLR(o, inverse_time), epochs=6)

        ex.check_function(lambda_lrs, lrs(lambda o: sched.InverseTimeLR(o, decay=0.5), epochs=6),
                          name="learning rates", exercise="07.3")
        """),
        md("""
        **Why decay at all?** (I2DL Lecture 5, "Convergence of SGD"). With noisy gradients a
        constant step keeps jumping around the minimum at a noise floor; Robbins and Monro's
        conditions $\\sum\\alpha_n = \\infty$, $\\sum\\alpha_n^2 < \\infty$ — met by $\\alpha_n \\propto 1/n$ —
        make the iterates converge. On $\\tfrac12(x - 3)^2$ with gradient noise of
        standard deviation 1:
        """),
        code("""
        def noisy_sgd(step_size, n=2000, seed=0):
            rng_ = np.random.default_rng(seed)
            x = ag.tensor([0.0], requires_grad=True)
            opt = optim.SGD([x], lr=step_size(1))
            s = sched.LambdaLR(opt, lambda k: step_size(k + 1) / step_size(1))
            errs = []
            for k in range(n):
                opt.zero_grad()
                (0.5 * (x - 3.0) ** 2).sum().backward()
                x.grad.data += rng_.normal()                      # a noisy gradient
                opt.step(); s.step()
                errs.append(abs(x.item() - 3.0))
            return np.array(errs)

        const = np.mean([noisy_sgd(lambda k: 0.1, seed=s)[-500:].mean() for s in range(2)])
        rm = np.mean([noisy_sgd(lambda k: 1.0 / k, seed=s)[-500:].mean() for s in range(2)])
        print(f"mean |x - 3| over the last 500 steps: constant 0.1 -> {const:.3f}, 1/k -> {rm:.3f}")
        assert rm < const / 3
        """),
        md("""
        ## 6. Momentum's two forms, Nesterov's look-ahead, weight decay

        The lectures write momentum twice: Lecture 5 as $v \\leftarrow \\beta v - \\alpha\\nabla L$,
        $\\theta \\leftarrow \\theta + v$, the recap of Lecture 6 (and PyTorch) as
        $v \\leftarrow \\beta v + \\nabla L$, $\\theta \\leftarrow \\theta - \\alpha v$. With a constant
        $\\alpha$ they give identical iterates ($v_{\\text{lecture 5}} = -\\alpha v_{\\text{PyTorch}}$);
        when a schedule changes $\\alpha$ they differ: PyTorch's velocity is rescaled at once,
        Lecture 5's keeps the old step size. Nesterov (Lecture 5: look ahead to
        $\\tilde\\theta = \\theta + \\beta v$, take the gradient there) is what `nesterov=True`
        computes, up to a change of variables: PyTorch stores the look-ahead point itself.
        """),
        code("""
        def quad_grad(t):
            return np.array([2 * t[0], 20 * t[1]])

        def lecture5(alphas, beta=0.9, nesterov=False):
            th, v, path = np.array([1.0, 1.0]), np.zeros(2), []
            for a in alphas:
                g = quad_grad(th + beta * v) if nesterov else quad_grad(th)
                v = beta * v - a * g
                th = th + v
                path.append(th + beta * v if nesterov else th.copy())
            return np.array(path)

        def torch_form(alphas, nesterov=False):
            p = ag.tensor([1.0, 1.0], requires_grad=True)
            opt = optim.SGD([p], lr=alphas[0], momentum=0.9, nesterov=nesterov)
            path = []
            for a in alphas:
                opt.param_groups[0]["lr"] = a
                opt.zero_grad(); (p[0] ** 2 + 10 * p[1] ** 2).backward(); opt.step()
                path.append(p.numpy().copy())
            return np.array(path)

        constant, changed = [0.01] * 20, [0.01] * 10 + [0.002] * 10
        assert np.allclose(lecture5(constant), torch_form(constant))
        assert np.allclose(lecture5(constant, nesterov=True), torch_form(constant, nesterov=True))
        gap = np.abs(lecture5(changed) - torch_form(changed)).max()
        print(f"after the learning rate drops at step 10 the two forms differ by up to {gap:.3f}")
        assert np.allclose(lecture5(changed)[:10], torch_form(changed)[:10]) and gap > 1e-2
        """),
        md("""
        **Weight decay vs L2** (I2DL Lecture 8, "L2 regularization, also (wrongly) called
        weight decay"; endterm 2022SS, 2.4; endterm 2021, 2.5; endterm 2020, 8d). For plain
        gradient descent adding $\\frac\\lambda2\\lVert\\theta\\rVert^2$ to the loss gives
        $\\theta \\leftarrow \\theta - \\alpha(\\nabla L + \\lambda\\theta) = (1 - \\alpha\\lambda)\\theta - \\alpha\\nabla L$:
        the weights *decay* by a factor each step — the exams' answer, and exactly
        `optim.SGD(weight_decay=λ)`. In Adam the L2 gradient is divided by
        $\\sqrt{\\hat v}$ like the rest, so large-gradient weights are decayed less: "equivalent
        in GD, but not in Adam" — hence AdamW, which decays separately.
        """),
        *exercise("07.4", "write", "gradient descent with weight decay", """
            `decay_step(theta, grad, lr, lam)`: one step of gradient descent on
            $L + \\frac\\lambda2\\lVert\\theta\\rVert^2$ written as a decay. The check compares with
            `optim.SGD(..., weight_decay=lam)`.
            """, '''
            def decay_step(theta, grad, lr, lam):
                ...
            ''', name),
        check("07.4", """
        p = ag.tensor([2.0, -1.0, 0.5], requires_grad=True)
        optw = optim.SGD([p], lr=0.1, weight_decay=0.3)
        target_ = ag.tensor([1.0, 1.0, 1.0])
        ((p - target_) ** 2).sum().backward()
        g0 = p.grad.numpy().copy()
        optw.step()
        ex.check_function(lambda: decay_step(np.array([2.0, -1.0, 0.5]), g0, 0.1, 0.3), p.numpy(),
                          name="theta after one step", exercise="07.4")
        """),
        code("""
        def run(opt_class, **kw):
            p = ag.tensor([3.0, -2.0], requires_grad=True)
            opt = opt_class([p], lr=0.05, **kw)
            for _ in range(50):
                opt.zero_grad(); ((p * ag.tensor([10.0, 0.1])) ** 2).sum().backward(); opt.step()
            return p.numpy()

        lam = 0.1
        sgd_l2 = run(optim.SGD); pl = ag.tensor([3.0, -2.0], requires_grad=True)
        opt_l2 = optim.SGD([pl], lr=0.05)
        for _ in range(50):
            opt_l2.zero_grad(); (((pl * ag.tensor([10.0, 0.1])) ** 2).sum() + lam / 2 * (pl ** 2).sum()).backward(); opt_l2.step()
        assert np.allclose(run(optim.SGD, weight_decay=lam), pl.numpy())          # GD: L2 == weight decay
        adam_l2, adamw = run(optim.Adam, weight_decay=lam), run(optim.AdamW, weight_decay=lam)
        print("Adam with L2:", adam_l2, "  AdamW (decoupled decay):", adamw)
        assert not np.allclose(adam_l2, adamw, atol=1e-3)
        """),
        md("""
        ## 7. Minibatches, and scaling the loss

        **The minibatch gradient is an unbiased estimate** (endterm 8 February 2022, Problem
        1.7): averaged over the minibatches of an epoch (equal sizes) it is exactly the
        full-batch gradient, and with batch size $N$ they coincide. (Lecture 5's
        arithmetic: $2^{20}$ images in batches of 64 are 16,384 iterations per epoch.)

        **Multiplying the loss by a constant** (endterm 2021, Problem 1.5; 2022 Feb, 7.4):
        normalising the loss by $1/N$ or not changes neither the minimiser nor the memory,
        but it scales every gradient and so every SGD step: after 10 steps with the same
        learning rate the two runs are at different parameters; with the learning rate
        scaled by $N$ they coincide. (Adam would not care: it divides by the gradient's
        scale.)
        """),
        code("""
        ag.manual_seed(0)
        Xm_, ym_ = ag.randn(64, 3), ag.randn(64)
        w0_ = ag.zeros(3, requires_grad=True)
        ((Xm_ @ w0_ - ym_) ** 2).mean().backward()
        full = w0_.grad.numpy().copy()
        parts = []
        for k in range(8):
            w0_.grad = None
            ((Xm_[8 * k:8 * k + 8] @ w0_ - ym_[8 * k:8 * k + 8]) ** 2).mean().backward()
            parts.append(w0_.grad.numpy().copy())
        assert np.allclose(np.mean(parts, axis=0), full) and 2 ** 20 // 64 == 16384

        def ten_steps(scale, lr):
            w = ag.zeros(3, requires_grad=True)
            opt = optim.SGD([w], lr=lr)
            for _ in range(10):
                opt.zero_grad(); (scale * ((Xm_ @ w - ym_) ** 2).sum()).backward(); opt.step()
            return w.numpy()

        mean_run, sum_run, sum_scaled = ten_steps(1 / 64, 0.1), ten_steps(1.0, 0.1), ten_steps(1.0, 0.1 / 64)
        assert not np.allclose(mean_run, sum_run) and np.allclose(mean_run, sum_scaled)
        """),
        *exercise("07.5", "predict", "normalising the loss by 1/N", """
            Max normalises his loss by $1/N$, Erika does not; same network, initial weights,
            SGD (no momentum), batches and learning rate. True or false: (a) they have the
            same optimal weights; (b) they have the same weights after 10 steps.
            """, 'answer = {"same_optimum": ..., "same_after_10_steps": ...}', name),
        check("07.5", """
        ex.check_value(answer, {"same_optimum": True,
                                "same_after_10_steps": bool(np.allclose(mean_run, sum_run))}, exercise="07.5")
        """),
            md("""
        ## 8. Static vs dynamic graph: one training step, captured

        Every graph so far was **dynamic**: rebuilt by each forward pass (that is what lets
        you print, branch and draw it), and walked by `backward()` at every step. A
        **static** graph is fixed once: TensorFlow 1 built it before running anything;
        `torch.compile`, JAX's `jit` and `ag.compile` *trace* one step and keep what it did.
        Below, the same step (forward, backward and a momentum-SGD update) twice: first the
        dynamic graph that one eager step builds (only the forward ops have nodes; the
        backward and the update are code the engine and the optimizer run), then the static
        program `ag.compile` captured: forward (blue), backward (yellow) and update (green)
        NumPy calls, all in one graph, reading and writing buffers allocated once (boxes;
        one box written by several calls is a buffer reused once its first value is dead).
        Replaying it makes no Tensor and no node, and gives the eager step's numbers bit
        for bit.
        """),
        code("""
        import nn, nn.functional as F

        def make_net():
            ag.manual_seed(0)
            return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))

        def make_step(net, opt):
            def step(x, y):
                opt.zero_grad()
                loss = F.mse_loss(net(x), y)
                loss.backward()
                opt.step()
                return loss
            return step

        import gc
        gc.collect()   # what a trace records does not depend on when Python collects, but
                       # which of its arrays are still alive does; start from a clean heap
        xs_, ys_ = ag.randn(8, 3), ag.randn(8, 1)
        eager_net = make_net(); eager_opt = optim.SGD(eager_net.parameters(), lr=0.1, momentum=0.9)
        eager_step = make_step(eager_net, eager_opt)
        static_net = make_net(); static_opt = optim.SGD(static_net.parameters(), lr=0.1, momentum=0.9)
        static_step = ag.compile(make_step(static_net, static_opt))
        for _ in range(5):
            eager_loss, static_loss = eager_step(xs_, ys_), static_step(xs_, ys_)
            assert eager_loss.item() == static_loss.item()
        for p_e, p_s in zip(eager_net.parameters(), static_net.parameters()):
            assert p_e.numpy().tobytes() == p_s.numpy().tobytes()      # bit for bit
        stats = static_step.stats()
        assert stats["replays"] == 5 - stats["traces"] and stats["eager"] == 0
        summary = static_step.summary()
        assert "program:" in summary and "buffers:" in summary
        print(summary.splitlines()[0])   # summary() also lists the calls, buffers and reuse
        """),
        md("The dynamic graph of one eager step (rebuilt at every step):"),
        code("""
        eager_opt.zero_grad()
        loss_ = F.mse_loss(eager_net(xs_), ys_)
        ag.draw_graph(loss_)
        """),
        md("The static program of the whole step (traced once, then replayed):"),
        code("""
        static_step.draw(rankdir="LR")
        """),
]
