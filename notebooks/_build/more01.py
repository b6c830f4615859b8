"""Notebook 01, second half: exercises, the course's backprop problems, order, accumulation,
custom ops, forward vs reverse mode."""
from nbtools import check, code, exercise, md


def cells(name):
    return [
        md("""
        ## 4. Exercises: predict, write, fix

        From here on you do the backprop. Each check compares your answer with glassgrad
        (and your gradient code also with finite differences) and explains a mismatch.
        """),
        code("""
        from autograd import exercises as ex
        """),
        *exercise("01.1", "predict", "the gradients of (x + y)·z", """
            At $x = -2$, $y = 5$, $z = -4$, predict $\\partial f/\\partial x$,
            $\\partial f/\\partial y$ and $\\partial f/\\partial z$ for $f = (x + y)z$.
            """, 'answer = {"x": ..., "y": ..., "z": ...}', name),
        check("01.1", """
        tx, ty, tz = (Tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
        ((tx + ty) * tz).backward()
        ex.check_value(answer, {"x": tx.grad, "y": ty.grad, "z": tz.grad}, exercise="01.1")
        """),
        *exercise("01.2", "write", "the VJP of the sigmoid", """
            `sigmoid_vjp(g, s)` receives the upstream gradient `g` = $\\partial L/\\partial \\sigma$
            and the input `s` (NumPy arrays); return $\\partial L/\\partial s$. Use
            $\\sigma'(s) = \\sigma(s)(1 - \\sigma(s))$.
            """, '''
            def sigmoid_vjp(g, s):
                ...
            ''', name),
        check("01.2", """
        ex.check_vjp(sigmoid_vjp, ag.sigmoid, np.array([-2.0, -0.3, 0.0, 1.0, 4.0]), exercise="01.2")
        """),
        *exercise("01.3", "bug", "the ReLU backward of the lecture summary", """
            The lecture summary (I2DL, "Forward and backward passes") implements ReLU's
            backward as below. Its values are right, yet it is a bug in a real network: run
            the check to see why, then fix it.
            """, '''
            def relu_backward(dout, x):
                dx = dout
                dx[x < 0] = 0
                return dx
            ''', name),
        check("01.3", """
        ex.check_vjp(relu_backward, ag.relu, np.array([[1.5, -2.0], [-0.5, 3.0]]), exercise="01.3")
        """),
        md("""
        ## 5. The course's backprop problems

        ### The two-layer ReLU regression of the lecture (I2DL Lecture 4, "Gradient descent for neural networks")

        $\\hat y = w_2 \\max(0, w_1 x)$, $L = (\\hat y - y)^2$ at $x = 1$, $y = 0$,
        $w_1 = \\tfrac13$, $w_2 = 2$. The slides multiply the local derivatives:
        $\\partial L/\\partial w_2 = 2 \\cdot \\tfrac23 \\cdot \\tfrac13 = \\tfrac49$ and
        $\\partial L/\\partial w_1 = 2 \\cdot \\tfrac23 \\cdot 2 \\cdot 1 \\cdot 1 = \\tfrac83$, so one
        step of gradient descent is $(w_1, w_2) \\leftarrow (\\tfrac13, 2) - \\alpha(\\tfrac83, \\tfrac49)$.
        """),
        code("""
        w1 = Tensor(1 / 3, requires_grad=True, name="w1"); w2 = Tensor(2.0, requires_grad=True, name="w2")
        z = w1 * 1.0; z.name = "z"
        sig = ag.relu(z); sig.name = "relu"
        yhat = w2 * sig; yhat.name = "y_hat"
        L = (yhat - 0.0) ** 2; L.name = "L"
        L.backward(retain_graph=True)
        print(f"L = {L.item():.4f}, dL/dw1 = {w1.grad.item():.4f} (8/3), dL/dw2 = {w2.grad.item():.4f} (4/9)")
        assert np.isclose(w1.grad.item(), 8 / 3) and np.isclose(w2.grad.item(), 4 / 9)
        alpha = 0.1
        print("after one step with alpha = 0.1:", 1 / 3 - alpha * 8 / 3, 2 - alpha * 4 / 9)
        print(ag.explain(L))
        """),
        md("""
        ### The sigmoid circuit (I2DL Lecture 4, "NNs as computational graphs")

        The slides run backprop through $f = 1/(1 + e^{-(w_0 x_0 + w_1 x_1 + b)})$ node by
        node with the values of section 2 ($w = (2, -3)$, $x = (-1, -2)$, $b = -3$):
        forward $e^{-1} = 0.37$, $1.37$, $1/1.37 = 0.73$; backward through $1/u$:
        $-1/1.37^2 = -0.53$, through $e^u$: $-0.53 \\cdot e^{-1} = -0.20$. The numbers on the
        slides are these, rounded to two digits:
        """),
        code("""
        w0_, w1_, b_ = (Tensor(v, requires_grad=True) for v in (2.0, -3.0, -3.0))
        s_ = w0_ * -1.0 + w1_ * -2.0 + b_
        e_ = ag.exp(-s_); e_.retain_grad()
        u_ = 1.0 + e_; u_.retain_grad()
        f_ = 1.0 / u_
        f_.backward()
        print(f"e^-s = {e_.item():.2f}, 1 + e^-s = {u_.item():.2f}, f = {f_.item():.2f}; "
              f"df/du = {u_.grad.item():.2f}, df/d(e^-s) = {e_.grad.item():.2f}")
        assert [round(v, 2) for v in (e_.item(), u_.item(), f_.item(), u_.grad.item())] == [0.37, 1.37, 0.73, -0.53]
        assert round(e_.grad.item(), 2) == -0.53                     # through the "+1": unchanged
        assert round(u_.grad.item() * e_.item(), 2) == -0.20      # through e^u: -0.53 * e^-1
        """),
        md("""
        ### I2DL Mock Exam (SoSe 2020), Part III: one weight update

        Inputs $i = (2, -1)$, a hidden layer $h_1, h_2$ with ReLU ($h_3, h_4$), outputs
        $o_1, o_2$, targets $t = (1, 0.5)$, the weights and biases of the exam's table,
        $\\text{MSE} = \\tfrac12\\sum_k (t_k - o_k)^2$. The printed solution: $o = (0, -1.5)$,
        MSE $= 2.5$, $\\partial\\,\\text{MSE}/\\partial w_{21} = -1.5$, $w_{21}^+ = 0.65$ — all correct:
        """),
        code("""
        def mock_exam():
            p = {k: Tensor(v, requires_grad=True, name=k) for k, v in dict(
                w11=1.0, w12=-0.5, w21=0.5, w22=-1.0, w31=0.5, w32=-1.0, w41=-0.5, w42=1.0,
                b1=0.5, b2=-0.5, b3=-1.0, b4=0.5).items()}
            i1, i2 = 2.0, -1.0
            h1 = i1 * p["w11"] + i2 * p["w21"] + p["b1"]
            h2 = i1 * p["w12"] + i2 * p["w22"] + p["b2"]
            h3, h4 = ag.relu(h1), ag.relu(h2)
            o1 = h3 * p["w31"] + h4 * p["w41"] + p["b3"]
            o2 = h3 * p["w32"] + h4 * p["w42"] + p["b4"]
            mse = ((1.0 - o1) ** 2 + (0.5 - o2) ** 2) / 2
            return p, (h1, h2, o1, o2), mse

        p, (h1, h2, o1, o2), mse = mock_exam()
        mse.backward()
        print(f"h1 = {h1.item()}, h2 = {h2.item()}, o1 = {o1.item()}, o2 = {o2.item()}, MSE = {mse.item()}")
        print(f"dMSE/dw21 = {p['w21'].grad.item()}, w21 after one step (lr 0.1) = {0.5 - 0.1 * p['w21'].grad.item():.2f}")
        assert (h1.item(), h2.item(), o1.item(), o2.item(), mse.item()) == (2.0, -0.5, 0.0, -1.5, 2.5)
        assert np.isclose(p["w21"].grad.item(), -1.5) and np.isclose(0.5 - 0.1 * p["w21"].grad.item(), 0.65)
        """),
        md("""
        ### I2DL endterm 2022SS, Problem 6 (backpropagation)

        Two inputs, three hidden units with Leaky ReLU ($\\alpha = 0.5$), two outputs, MSE
        (the mean over the two outputs), one SGD step on $w_{11}$ with learning rate 0.1.
        The exam's table gives the output biases $b_4 = 2.0$, $b_5 = 1.0$.
        """),
        *exercise("01.4", "predict", "the exam's forward pass and gradient", """
            With the table's values ($x = (1, -2)$; $w_{11..23} = -0.5, 1, 2, -1, 0.5, 1.5$;
            $b_{1..3} = 0.5, 0, -1$; $v_{11}, v_{12}, v_{21}, v_{22}, v_{31}, v_{32} =
            1, -0.5, -0.5, 2, -1, 1$; $b_4 = 2$, $b_5 = 1$; $y = (1, 1)$) predict $\\hat y_1$,
            $\\hat y_2$, the MSE and $\\partial L/\\partial w_{11}$.
            """, 'answer = {"y1": ..., "y2": ..., "mse": ..., "dw11": ...}', name),
        check("01.4", """
        def endterm_2022(b4=2.0, b5=1.0):
            w = {k: Tensor(v, requires_grad=True, name=k) for k, v in dict(
                w11=-0.5, w12=1.0, w13=2.0, w21=-1.0, w22=0.5, w23=1.5, b1=0.5, b2=0.0, b3=-1.0,
                v11=1.0, v12=-0.5, v21=-0.5, v22=2.0, v31=-1.0, v32=1.0, b4=b4, b5=b5).items()}
            x1, x2 = 1.0, -2.0
            h = [x1 * w[f"w1{j}"] + x2 * w[f"w2{j}"] + w[f"b{j}"] for j in (1, 2, 3)]
            a = [ag.maximum(0.5 * hj, hj) for hj in h]                     # Leaky ReLU, alpha 0.5
            y1 = a[0] * w["v11"] + a[1] * w["v21"] + a[2] * w["v31"] + w["b4"]
            y2 = a[0] * w["v12"] + a[1] * w["v22"] + a[2] * w["v32"] + w["b5"]
            mse = ((y1 - 1.0) ** 2 + (y2 - 1.0) ** 2) / 2
            mse.backward()
            return y1.item(), y2.item(), mse.item(), w["w11"].grad.item()

        y1v, y2v, msev, dw11 = endterm_2022()
        ex.check_value(answer, {"y1": y1v, "y2": y2v, "mse": msev, "dw11": dw11}, exercise="01.4")
        """),
        md("""
        **The printed solution is not consistent with the table.** It computes
        $\\hat y_1 = 2 + 0 + 1 - 1 = 2$ and $\\hat y_2 = -1 + 0 - 1 + 2 = 0$: it adds
        $b_4 = -1$ and $b_5 = 2$, not the table's $2.0$ and $1.0$. With the table, $\\hat y = (5, -1)$,
        MSE $= \\tfrac12(4^2 + 2^2) = 10$, $\\partial L/\\partial w_{11} = ((5 - 1)\\cdot 1 + (-1 - 1)\\cdot(-0.5))\\cdot 1 \\cdot 1 = 5$
        and $w_{11} \\leftarrow -0.5 - 0.1 \\cdot 5 = -1.0$ (not $-0.65$). The solution's method
        is right: with *its* biases glassgrad reproduces every printed number.
        """),
        code("""
        table = endterm_2022()
        printed = endterm_2022(b4=-1.0, b5=2.0)
        for label, (y1v, y2v, msev, dw11) in [("table's biases (2, 1)", table), ("printed biases (-1, 2)", printed)]:
            print(f"{label:24s} y = ({y1v:g}, {y2v:g}), MSE = {msev:g}, dL/dw11 = {dw11:g}, "
                  f"w11 -> {-0.5 - 0.1 * dw11:g}")
        assert table == (5.0, -1.0, 10.0, 5.0) and np.isclose(-0.5 - 0.1 * table[3], -1.0)
        assert printed == (2.0, 0.0, 1.0, 1.5) and np.isclose(-0.5 - 0.1 * printed[3], -0.65)
        """),
        md("""
        ## 6. Order, accumulation, custom ops, and forward vs reverse mode

        **Topological order.** glassgrad numbers every tensor when it is created, and a node
        is always created after its inputs, so *reverse creation order* is a valid backward
        order; the engine walks it without recursion. `backprop_steps` shows the order.
        """),
        *exercise("01.5", "predict", "the order of backprop", """
            For `q = x * y; r = q + z; s = ag.tanh(r) * q` (scalars that require grad), list
            the op names (`"mul"`, `"add"`, `"tanh"`) in the order backprop visits the nodes.
            """, "answer = [...]", name),
        check("01.5", """
        xo, yo, zo = (Tensor(v, requires_grad=True) for v in (0.5, -1.0, 2.0))
        qo = xo * yo; ro = qo + zo; so = ag.tanh(ro) * qo
        ex.check_value(answer, [st.op for st in ag.backprop_steps(so)], name="order", exercise="01.5")
        """),
        md("""
        **Gradient accumulation and `zero_grad`** (I2DL Lecture 6, "Common mistakes in
        practice: forgot to call `.zero_grad()`"). `.grad` *accumulates* over backward calls:
        that is what lets a node used twice get both contributions, and it is also a tool —
        four micro-batches of 8 with the loss divided by 4 give exactly the gradient of one
        batch of 32 — and a trap: without zeroing, the next step uses the sum of every
        gradient so far.
        """),
        code("""
        ag.manual_seed(0)
        Xa, ya = ag.randn(32, 3), ag.randn(32)
        wa = ag.zeros(3, requires_grad=True)

        def batch_loss(X, y):
            return ((X @ wa - y) ** 2).mean()

        batch_loss(Xa, ya).backward()
        full = wa.grad.numpy().copy()
        wa.grad = None
        for k in range(4):                                # accumulate 4 micro-batches
            (batch_loss(Xa[8 * k:8 * k + 8], ya[8 * k:8 * k + 8]) / 4).backward()
        print("one batch of 32:", full, "\\n4 micro-batches:", wa.grad.numpy())
        assert np.allclose(wa.grad.numpy(), full)
        batch_loss(Xa, ya).backward()                     # forgot zero_grad: the sum of both
        assert np.allclose(wa.grad.numpy(), 2 * full)
        """),
        md("""
        **A custom op.** When a function has a simple derivative that the graph of its
        pieces would compute slowly or unstably, write it as an `ag.Function`: a `forward`
        on NumPy arrays that saves what the backward needs, and a `backward` that turns the
        upstream gradient into one gradient per input. glassgrad then treats it like any
        primitive (drawn, stepped, checked).
        """),
        *exercise("01.6", "write", "softplus as a custom Function", """
            Complete `Softplus`: forward $\\log(1 + e^x)$ computed stably as
            `np.logaddexp(0, x)`, backward $g \\cdot \\sigma(x)$. The check compares its value
            and gradient with `ag.softplus`.
            """, '''
            class Softplus(ag.Function):
                @staticmethod
                def forward(ctx, x):
                    ...

                @staticmethod
                def backward(ctx, g):
                    ...
            ''', name),
        check("01.6", """
        ex.check_op(Softplus.apply, ag.softplus, np.array([-30.0, -1.0, 0.0, 2.0, 40.0]), exercise="01.6")
        """),
        md("""
        **Forward vs reverse mode.** For $f: \\mathbb R^n \\to \\mathbb R^m$ a *VJP* (one
        backward pass) gives one row-combination $v^\\top J$ of the $m \\times n$ Jacobian, a
        *JVP* (forward mode) one column-combination $J u$. The full Jacobian costs $m$
        backward passes or $n$ forward passes, so a loss ($m = 1$) with a million
        parameters needs **one** backward pass — the reason deep learning uses reverse mode —
        whereas a function with one input and many outputs is cheaper in forward mode.
        `autograd.functional` has both (glassgrad computes a JVP with the transpose trick,
        as two backward passes).
        """),
        code("""
        from autograd.functional import jacobian, jvp, vjp

        A = ag.randn(3, 5)

        def fmat(v):
            return ag.tanh(A @ v)                         # R^5 -> R^3

        v0 = ag.randn(5)
        J = jacobian(fmat, v0).numpy()
        rows = np.stack([vjp(fmat, v0, ag.tensor(np.eye(3)[i]))[1].numpy() for i in range(3)])
        cols = np.stack([jvp(fmat, v0, ag.tensor(np.eye(5)[j]))[1].numpy() for j in range(5)], 1)
        print(f"Jacobian {J.shape}: {len(rows)} VJPs (one per output) or {cols.shape[1]} JVPs (one per input)")
        assert np.allclose(rows, J) and np.allclose(cols, J)
        """),
        *exercise("01.7", "predict", "how many passes for a whole Jacobian?", """
            A network maps an image of $784$ pixels to $10$ class scores. How many backward
            passes (VJPs) and how many forward-mode passes (JVPs) give the full $10 \\times 784$
            Jacobian? And for the scalar loss after it?
            """, 'answer = {"vjps_scores": ..., "jvps_scores": ..., "vjps_loss": ..., "jvps_loss": ...}',
            name),
        check("01.7", """
        ex.check_value(answer, {"vjps_scores": 10, "jvps_scores": 784, "vjps_loss": 1, "jvps_loss": 784},
                       exercise="01.7")
        """),
    ]
