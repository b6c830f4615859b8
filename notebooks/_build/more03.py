"""Notebook 03, second half: softmax + cross-entropy stepped, exercises, the course's loss
problems (center loss, initial losses, L1 vs L2, exam questions)."""
from nbtools import check, code, exercise, md


def cells(name):
    return [
        md("""
        ## 6. Softmax + cross-entropy, one node at a time

        Written with primitives — shift by the max, `exp`, `sum`, divide, `log`, pick the true
        class — the graph has six nodes. Stepping through it shows the upstream gradient
        $-1/p_y$ entering the `log`, the division spreading it over every class, and at the
        end the logits receiving exactly $p - \\mathbf 1_y$. The fused `log_softmax` node gets
        the same result in one step.
        """),
        code("""
        from autograd import exercises as ex

        s = ag.tensor([2.0, 1.0, 0.1], requires_grad=True); s.name = "s"
        y_true = 0
        shifted = s - s.max().detach(); shifted.name = "s - max"
        e = ag.exp(shifted); e.name = "exp"
        Z = e.sum(); Z.name = "Z"
        p = e / Z; p.name = "p"
        logp = ag.log(p); logp.name = "log p"
        loss = -logp[y_true]; loss.name = "loss"
        steps = list(ag.backprop_steps(loss, retain_graph=True))
        for st in steps:
            print(f"step {st.index}: {st.node.name or '':8s} {st.op:8s} upstream {ag.viz.summarize(st.grad_output)}")
        pv = ag.softmax(s.detach()).numpy()
        print("\\ngradient at the logits:", s.grad.numpy(), "  p - y:", pv - np.eye(3)[y_true])
        assert np.allclose(s.grad.numpy(), pv - np.eye(3)[y_true])
        """),
        md("""
        The step where the division node sends its gradients back: to `exp` it sends
        $g/Z$, to `Z` the sum $-\\sum_k g_k e_k/Z^2$ — the second path through which every
        class depends on every other:
        """),
        code("""
        next(st for st in steps if st.op == "div").draw()
        """),
        code("""
        ag.explain(loss)
        """),
        code("""
        ag.viz.play(loss)
        """),
        md("""
        With the fused primitive the whole softmax + log is one node whose rule is the
        result: $\\partial L/\\partial s = p - \\mathbf 1_y$ (here times the upstream $-1$ of the
        negation).
        """),
        code("""
        s2 = ag.tensor([2.0, 1.0, 0.1], requires_grad=True); s2.name = "s"
        loss2 = -ag.log_softmax(s2)[y_true]; loss2.name = "loss"
        print(ag.explain(loss2))
        loss2.backward()
        assert np.allclose(s2.grad.numpy(), s.grad.numpy())
        """),
        md("""
        ## 7. Exercises
        """),
        *exercise("03.1", "write", "the VJP of softmax", """
            `softmax_vjp(g, s)`: for $p = \\operatorname{softmax}(s)$ (a vector) and upstream
            $g = \\partial L/\\partial p$, return $\\partial L/\\partial s = J^\\top g$ with
            $J = \\operatorname{diag}(p) - pp^\\top$ — without building $J$:
            $p \\odot (g - p^\\top g)$.
            """, '''
            def softmax_vjp(g, s):
                ...
            ''', name),
        check("03.1", """
        ex.check_vjp(softmax_vjp, ag.softmax, np.array([0.5, -1.0, 2.0, 0.0]), exercise="03.1")
        """),
        *exercise("03.2", "predict", "the gradient of cross-entropy", """
            For scores $s = (1, 2, 3)$ and true class $y = 2$, predict
            $\\partial L/\\partial s$ for $L = -\\log\\operatorname{softmax}(s)_y$ (three numbers;
            $e = 2.71828$).
            """, "answer = ...", name),
        check("03.2", """
        s3 = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (-ag.log_softmax(s3)[2]).backward()
        ex.check_value(answer, s3.grad, name="dL/ds", exercise="03.2")
        """),
        *exercise("03.3", "bug", "a batched cross-entropy backward", """
            `ce_backward(g, logits, y)` should return the gradient of the *mean*
            cross-entropy over the batch (times the upstream `g`, a scalar). It has two
            bugs, a classic NumPy one and a missing factor.
            """, '''
            def ce_backward(g, logits, y):
                p = np.exp(logits - logits.max(axis=1, keepdims=True))
                p /= p.sum(axis=1, keepdims=True)
                p[y] -= 1
                return g * p
            ''', name),
        check("03.3", """
        labels3 = np.array([2, 0, 1, 2])
        logits3 = np.random.default_rng(0).normal(size=(4, 3))

        def batch_ce(logits):
            return -ag.log_softmax(logits, axis=1)[np.arange(4), labels3].mean()

        def ce_vjp(g, logits):
            return ce_backward(g, logits, labels3)

        ex.check_vjp(ce_vjp, batch_ce, logits3, exercise="03.3")
        """),
        md("""
        ## 8. The course's loss problems

        ### Center loss (Deep Learning HW2, Problem 6.2)

        $L_C = \\tfrac12\\sum_i \\lVert x_i - c_{y_i}\\rVert^2$ pulls each deep feature $x_i$ to the
        centre $c_j$ of its class. The homework's solution gives
        $\\partial L/\\partial x_i = x_i - c_{y_i}$ (right) and
        $\\partial L/\\partial c_j = c_j - \\sum_{i: y_i = j} x_i$ — which drops a factor: each of
        the $n_j$ samples of class $j$ contributes $c_j - x_i$, so
        $\\partial L/\\partial c_j = n_j c_j - \\sum_{i: y_i = j} x_i = \\sum_{i:y_i = j}(c_j - x_i)$.
        The printed form is right only when a class has exactly one sample in the batch.
        """),
        *exercise("03.4", "write", "the center loss gradient for the centres", """
            `center_vjp(g, X, C)` for $L = \\tfrac12\\sum_i\\lVert x_i - c_{y_i}\\rVert^2$ with
            the labels `y_c` below: return `(dX, dC)` times the scalar upstream `g`.
            """, '''
            y_c = np.array([0, 2, 0, 1, 0])          # labels of the 5 samples (3 classes)

            def center_vjp(g, X, C):
                ...
            ''', name),
        check("03.4", """
        rng = np.random.default_rng(4)
        Xc, Cc = rng.normal(size=(5, 2)), rng.normal(size=(3, 2))

        def center_loss(X, C):
            return ((X - C[y_c]) ** 2).sum() / 2

        ex.check_vjp(center_vjp, center_loss, Xc, Cc, names=["X", "C"], exercise="03.4")
        """),
        code("""
        Xt, Ct = ag.tensor(Xc), ag.tensor(Cc, requires_grad=True)
        ((Xt - Ct[y_c]) ** 2).sum().__truediv__(2).backward()
        n_j = np.bincount(y_c, minlength=3)[:, None]
        sums = np.stack([Xc[y_c == j].sum(0) for j in range(3)])
        printed = Cc - sums
        print("n_j =", n_j.ravel(), "\\nautograd dL/dC:\\n", Ct.grad.numpy(), "\\nhomework's C_j - sum x_i:\\n", printed)
        assert np.allclose(Ct.grad.numpy(), n_j * Cc - sums)
        assert np.allclose(Ct.grad.numpy()[n_j.ravel() == 1], printed[n_j.ravel() == 1])   # equal only where n_j = 1
        assert not np.allclose(Ct.grad.numpy()[0], printed[0])                            # class 0 has 3 samples
        """),
        md("""
        ### The loss of an untrained network (I2DL Lecture 6 and endterm 13 July 2021, Problem 2.2)

        Before training, a sanity check: with small random weights the predictions are
        near uniform, so the cross-entropy over $C$ classes starts at $\\log C$ ($2.303$ for
        10 classes) and the binary cross-entropy at $\\log 2 = 0.693$ (the exam's answer
        "$-\\log 0.5$ or $\\log 2$" is right; it does not depend on the batch size 64).
        """),
        *exercise("03.5", "predict", "the first losses", """
            Predict the expected first-batch loss of an untrained classifier: binary
            cross-entropy (one sigmoid output) and cross-entropy with 10 classes.
            """, 'answer = {"bce": ..., "ce10": ...}', name),
        check("03.5", """
        ag.manual_seed(0)
        head_b, head_c = nn.Linear(20, 1), nn.Linear(20, 10)
        for m in (head_b, head_c):
            nn.init.normal_(m.weight, 0.0, 1e-3); nn.init.zeros_(m.bias)
        xb = ag.randn(64, 20)
        bce0 = nn.BCEWithLogitsLoss()(head_b(xb)[:, 0], ag.tensor((ag.rand(64).numpy() > 0.5).astype(float)))
        ce0 = nn.CrossEntropyLoss()(head_c(xb), ag.randint(0, 10, (64,)))
        ex.check_value(answer, {"bce": bce0.item(), "ce10": ce0.item()}, rtol=5e-3, exercise="03.5")
        """),
        md("""
        ### L2 vs L1 (I2DL Lecture 7, "Regression losses")

        For residuals $(3, 4, 2, 2, 0, \\dots)$ the slides get $L^2 = 9 + 16 + 4 + 4 = 33$ and
        $L^1 = 11$, and state "the optimum is the mean" (L2) and "the median" (L1). Fitting
        one constant $c$ to data with an outlier by gradient descent shows both: the L2
        gradient $\\sum 2(c - y_i)$ vanishes at the mean, the L1 gradient
        $\\sum \\operatorname{sign}(c - y_i)$ where as many points lie above as below.
        """),
        code("""
        r = ag.tensor([3.0, 4.0, 2.0, 2.0, 0.0, 0.0])
        assert (r ** 2).sum().item() == 33 and r.abs().sum().item() == 11
        data = ag.tensor([1.0, 2.0, 2.5, 3.0, 40.0])             # one outlier
        fits = {}
        for name_, loss_fn, lr in [("L2", lambda c: ((c - data) ** 2).sum(), 0.05),
                                   ("L1", lambda c: (c - data).abs().sum(), 0.01)]:
            c = ag.zeros(1, requires_grad=True)
            for step in range(3000):
                c.grad = None
                loss_fn(c).backward()
                with ag.no_grad():
                    c.data -= lr * c.grad.data
            fits[name_] = c.item()
        print(f"L2 fit {fits['L2']:.3f} (mean {data.numpy().mean():.3f}), L1 fit {fits['L1']:.3f} "
              f"(median {np.median(data.numpy()):.3f})")
        assert abs(fits["L2"] - data.numpy().mean()) < 1e-6 and abs(fits["L1"] - 2.5) < 0.02
        """),
        md("""
        ### Two exam questions on outputs and losses

        **I2DL endterm 2021, Problem 5.7**: a 2-layer network, softmax, cross-entropy, true
        class 3; the gradient for the weight $w_{3,1}$ of the last layer (row = hidden
        unit 3, column = class 1) is $\\hat y_1 h_3$: the class-1 entry of $p - \\mathbf 1_y$
        (which is $\\hat y_1$, since class 1 is wrong) times the hidden activation it
        multiplies. (The printed chain writes $\\partial z_1/\\partial w_{3,1} = \\sum_k h_k w_{k,1}$
        before correcting it to $h_3$, and names the result $\\partial L/\\partial w_{1,3}$: the
        value $\\hat y_1 h_3$ is right.)

        **I2DL endterm 11 August 2020, Problem 8b**: $\\hat y = \\sigma(\\operatorname{ReLU}(z))$ with
        threshold 0.5 can only ever say "car": $\\operatorname{ReLU}(z) \\ge 0$, so
        $\\hat y \\ge \\sigma(0) = 0.5$. **ECE 544NA, Lecture 11** (softmax): with scores
        $F = (11, 7, 3, -2)$, $P(y = 4 \\mid x) = e^{-2}/(e^{11} + e^{7} + e^{3} + e^{-2}) = 2.2\\cdot10^{-6}$;
        the notes write the denominator as $\\exp(F_1 + F_2 + F_3 + F_4)$ — the exponential of
        the sum, $e^{19}$, instead of the sum of exponentials — which would give $e^{-21}$.
        """),
        code("""
        ag.manual_seed(5)
        h = ag.relu(ag.randn(1, 4)); W2 = ag.randn(4, 10, requires_grad=True)
        yhat = ag.softmax(h @ W2, axis=1)
        (-ag.log_softmax(h @ W2, axis=1)[0, 2]).backward()      # true class 3 (index 2)
        assert np.isclose(W2.grad.numpy()[2, 0], yhat.numpy()[0, 0] * h.numpy()[0, 2])   # w_{3,1}: y1 * h3

        z = ag.linspace(-10, 10, 101)
        assert (ag.sigmoid(ag.relu(z)).numpy() >= 0.5).all()

        F_ = np.array([11.0, 7.0, 3.0, -2.0])
        p4 = ag.softmax(ag.tensor(F_)).numpy()[3]
        print(f"P(y = 4) = {p4:.3g}; with exp of the sum: {np.exp(-2 - F_.sum()):.3g}")
        assert np.isclose(p4, np.exp(-2) / np.exp(F_).sum()) and abs(p4 - 2.22e-6) < 1e-8
        """),
    ]
