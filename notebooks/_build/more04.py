"""Notebook 04, second half: exercises and the course's problems on activations,
initialisation, parameter counts and regularisation."""
from nbtools import check, code, exercise, md


def cells(name):
    return [
        md("""
        ## 4. Exercises and the course's problems

        ### Initialisation by the numbers (I2DL endterm 11 August 2020, Problems 2 and 8f)

        Problem 2a feeds $i = (2, -4, 1)$ through one neuron with weights drawn once with
        $\\operatorname{Var}(w) = 0.02$, $w = (0.05, 0.025, -0.03)$, and once with
        $\\operatorname{Var}(w) = 1$, $w = (1, 0.5, 1.5)$: $s = -0.03$ and $s = 1.5$. Through tanh
        the first sits in the linear region (slope $\\approx 1$, but a signal that shrinks
        layer after layer), the second already in the flat part (slope $0.18$): the two
        ways gradients vanish. Problem 8f asks for the uniform initialisation
        $U(-\\alpha, \\alpha)$ with $\\operatorname{Var}(s) = \\operatorname{Var}(x)$:
        $\\operatorname{Var}(w) = \\alpha^2/3$ and $n\\operatorname{Var}(w) = 1$ give
        $\\alpha = \\sqrt{3/n}$.
        """),
        code("""
        from autograd import exercises as ex

        i_ = ag.tensor([2.0, -4.0, 1.0])
        for w_ in ([0.05, 0.025, -0.03], [1.0, 0.5, 1.5]):
            s_ = ag.tensor(w_, requires_grad=True)
            out = ag.tanh((i_ * s_).sum())
            out.backward()
            pre = (i_.numpy() * np.array(w_)).sum()
            print(f"w = {w_}: s = {pre:+.3f}, tanh(s) = {out.item():+.3f}, tanh'(s) = {1 - out.item() ** 2:.3f}")
        assert np.isclose((i_.numpy() * [0.05, 0.025, -0.03]).sum(), -0.03)
        assert np.isclose((i_.numpy() * [1.0, 0.5, 1.5]).sum(), 1.5)

        rng = np.random.default_rng(0)
        n_in = 256
        alpha = np.sqrt(3 / n_in)
        W = rng.uniform(-alpha, alpha, size=(n_in, 512)); x_in = rng.normal(size=(2000, n_in))
        print(f"alpha = sqrt(3/{n_in}) = {alpha:.4f}: Var(w) = {W.var():.5f} (1/n = {1 / n_in:.5f}), "
              f"Var(x) = {x_in.var():.3f}, Var(s) = {(x_in @ W).var():.3f}")
        assert abs(W.var() * n_in - 1) < 0.02 and abs((x_in @ W).var() / x_in.var() - 1) < 0.05
        """),
        *exercise("04.1", "predict", "the Xavier and Kaiming standard deviations", """
            For a layer with $n = 64$ inputs, predict the standard deviation of Gaussian
            weights with $\\operatorname{Var}(w) = 1/n$ (Xavier, for tanh) and
            $\\operatorname{Var}(w) = 2/n$ (Kaiming, for ReLU). The check measures the weights
            `nn.init.kaiming_normal_` draws with the matching gains.
            """, 'answer = {"xavier": ..., "kaiming": ...}', name),
        check("04.1", """
        ag.manual_seed(0)
        w_lin, w_relu = ag.zeros((4000, 64)), ag.zeros((4000, 64))
        nn.init.kaiming_normal_(w_lin, nonlinearity="linear")      # gain 1: Var = 1/n
        nn.init.kaiming_normal_(w_relu, nonlinearity="relu")       # gain sqrt(2): Var = 2/n
        ex.check_value(answer, {"xavier": w_lin.numpy().std(), "kaiming": w_relu.numpy().std()},
                       rtol=0.01, exercise="04.1")
        """),
        md("""
        ### Counting parameters (I2DL Lecture 4 and endterm 13 July 2021, Problem 2.8)

        The lecture's 3 → 4 → 2 network has $4\\cdot 3 + 4 = 16$ and $2 \\cdot 4 + 2 = 10$
        parameters ("#neurons · #inputs + #biases"). The exam: 8×8 grey images, hidden
        layers of 10 and 5 units, 3 classes, dropout 0.5 in both: weights
        $64\\cdot10 + 10\\cdot5 + 5\\cdot3 = 705$, biases $18$, **723** — dropout adds none.
        """),
        *exercise("04.2", "predict", "the parameters of the exam's network", """
            How many trainable parameters does
            `nn.Sequential(nn.Linear(64, 10), nn.ReLU(), nn.Dropout(0.5), nn.Linear(10, 5),
            nn.ReLU(), nn.Dropout(0.5), nn.Linear(5, 3))` have?
            """, "answer = ...", name),
        check("04.2", """
        exam_net = nn.Sequential(nn.Linear(64, 10), nn.ReLU(), nn.Dropout(0.5), nn.Linear(10, 5), nn.ReLU(),
                                 nn.Dropout(0.5), nn.Linear(5, 3))
        assert sum(p.numel() for p in nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)).parameters()) == 16 + 10
        ex.check_value(answer, sum(p.numel() for p in exam_net.parameters()), name="parameter count",
                       exercise="04.2")
        """),
        md("""
        ### The whole MLP backward, by hand

        The network of section 1 on a batch: $H = \\operatorname{relu}(XW_1 + b_1)$,
        $S = HW_2 + b_2$, $L = \\frac1N\\sum_i -\\log\\operatorname{softmax}(S_i)_{y_i}$. Backward,
        layer by layer: $dS = (P - Y)/N$, $dW_2 = H^\\top dS$, $db_2 = \\sum_i dS_i$,
        $dH = dS\\,W_2^\\top$, $dZ = dH \\odot [Z > 0]$, $dW_1 = X^\\top dZ$, $db_1 = \\sum_i dZ_i$.
        """),
        *exercise("04.3", "write", "the gradients of a two-layer MLP", """
            `mlp_grads(W1, b1, W2, b2)` for the batch `Xm`, `ym` below: return
            `(dW1, db1, dW2, db2)` of the mean cross-entropy.
            """, '''
            Xm = X_tr[:16]
            ym = y_tr[:16]

            def mlp_grads(W1, b1, W2, b2):
                ...
            ''', name),
        check("04.3", """
        def mlp_loss(W1, b1, W2, b2):
            S = ag.relu(ag.tensor(Xm) @ W1 + b1) @ W2 + b2
            return -ag.log_softmax(S, axis=1)[np.arange(len(ym)), ym].mean()

        rng = np.random.default_rng(2)
        ex.check_grad(mlp_grads, mlp_loss, 0.3 * rng.normal(size=(64, 12)), 0.1 * rng.normal(size=12),
                      0.3 * rng.normal(size=(12, 10)), np.zeros(10), names=["W1", "b1", "W2", "b2"],
                      exercise="04.3")
        """),
        md("""
        ### Dying ReLU, leaky ReLU (I2DL Lecture 7; endterm 2022SS, Problem 2.9)

        A ReLU unit whose pre-activation is negative for every input outputs 0 and gets a
        gradient of exactly 0 for its weights and bias: gradient descent can never revive
        it. Leaky ReLU, $\\max(0.01x, x)$, keeps a small slope, so the same unit still
        learns. Below, one unit with a large negative bias is trained to fit a positive
        target:
        """),
        code("""
        def train_unit(act, steps=1500):
            ag.manual_seed(0)
            xu = ag.randn(64, 5); target = ag.ones(64)
            w = ag.tensor(np.full(5, 0.1), requires_grad=True); b = ag.tensor(-5.0, requires_grad=True)
            for _ in range(steps):
                w.grad = b.grad = None
                loss = ((act(xu @ w + b) - target) ** 2).mean()
                loss.backward()
                with ag.no_grad():
                    w.data -= 0.5 * w.grad.data; b.data -= 0.5 * b.grad.data
            return loss.item(), b.item(), float(np.abs(w.grad.numpy()).sum() + abs(b.grad.item()))

        dead = train_unit(ag.relu)
        leaky = train_unit(lambda z: F.leaky_relu(z, 0.01))
        print(f"ReLU:       loss {dead[0]:.3f}, bias {dead[1]:+.3f}, |gradient| {dead[2]:.1e}  (dead: nothing moves)")
        print(f"leaky ReLU: loss {leaky[0]:.3f}, bias {leaky[1]:+.3f}  (revived)")
        assert dead[2] == 0.0 and dead[1] == -5.0 and dead[0] == 1.0
        assert leaky[0] < 0.1 and leaky[1] > 0
        """),
        *exercise("04.4", "write", "the VJP of leaky ReLU", """
            `leaky_vjp(g, x)` for $\\max(0.01x, x)$: the slope is 1 where $x > 0$ and 0.01
            elsewhere.
            """, '''
            def leaky_vjp(g, x):
                ...
            ''', name),
        check("04.4", """
        ex.check_vjp(leaky_vjp, lambda x: F.leaky_relu(x, 0.01), np.array([[-3.0, -0.5, 0.7], [2.0, -1.2, 4.0]]),
                     exercise="04.4")
        """),
        md("""
        ### Non-zero-centred activations (I2DL Lecture 7, "Sigmoid output not zero-centered")

        If every input of a neuron is positive (e.g. sigmoid outputs of the previous layer),
        $\\partial L/\\partial w_i = \\frac{\\partial L}{\\partial s} x_i$ has the same sign for all
        $i$: the weights can only all grow or all shrink together, so reaching a weight
        vector with mixed signs takes a zig-zag. Zero-centred inputs do not have this
        constraint:
        """),
        code("""
        ag.manual_seed(1)
        w_ = ag.randn(6, requires_grad=True)
        signs = []
        for k in range(20):
            x_pos = ag.sigmoid(ag.randn(6))                       # all positive inputs
            w_.grad = None
            ((x_pos * w_).sum() - ag.randn(1)[0]).__pow__(2).backward()
            signs.append(np.sign(w_.grad.numpy()))
        assert all(len(set(s)) == 1 for s in signs)               # one sign per step, every step
        print("signs of dL/dw over 5 steps:\\n", np.array(signs[:5]))
        """),
        md("""
        ### Which functions make a network nonlinear? (I2DL endterm 2021, Problem 1.6; endterm 8 February 2022, Problem 2.2)

        $\\operatorname{ReLU}(x) - \\operatorname{ReLU}(-x) = x$ is the identity (a network of
        them collapses to one linear map), and $\\log(\\operatorname{ReLU}(x + 1))$ is
        $-\\infty$ for $x \\le -1$; $\\sin x$ and $\\log(\\operatorname{ReLU}(x) + 1)$ are usable.
        Softplus $\\log(1 + e^x)$ is the smooth cousin of ReLU: it differs from it by at
        most $\\log 2$ (at 0), its slope $\\sigma(x)$ is never exactly 0 (no dead units), and
        it is differentiable everywhere.
        """),
        code("""
        xg = ag.linspace(-6, 6, 121)
        assert np.allclose((ag.relu(xg) - ag.relu(-xg)).numpy(), xg.numpy())
        with np.errstate(divide="ignore"):
            assert np.isneginf(ag.log(ag.relu(xg + 1)).numpy()[xg.numpy() <= -1]).all()
        gap = (ag.softplus(xg) - ag.relu(xg)).numpy()
        assert np.isclose(gap.max(), np.log(2)) and gap.min() > 0
        xs_ = ag.tensor(xg.numpy(), requires_grad=True)
        ag.softplus(xs_).sum().backward()
        assert np.allclose(xs_.grad.numpy(), ag.sigmoid(xg).numpy()) and xs_.grad.numpy().min() > 0
        """),
        md("""
        ### L1 vs L2 regularisation (I2DL Lecture 4 and Lecture 7, "Regularization: example")

        Lecture 4: for $x = (1, 2, 1)$ the classifiers $\\theta_1 = (0, 0.75, 0)$ and
        $\\theta_2 = (0.25, 0.5, 0.25)$ give the same output $1.5$; L2 prefers $\\theta_2$
        ($0.375 < 0.5625$), L1 prefers $\\theta_1$ ($0.75 < 1$) — L1 favours sparse weights,
        L2 spread-out ones. Lecture 7: $x = (1, 1, 1, 1)$, $w_1 = (1, 0, 0, 0)$ and
        $w_2 = (0.25, 0.25, 0.25, 0.25)$ both give $x^\\top w = 1$, with $R^2(w_1) = 1$,
        $R^2(w_2) = 0.25$ (the slide's "$R^2(W) = 1.25$" is their sum).
        """),
        code("""
        x3 = ag.tensor([1.0, 2.0, 1.0])
        t1, t2 = ag.tensor([0.0, 0.75, 0.0]), ag.tensor([0.25, 0.5, 0.25])
        assert (x3 @ t1).item() == (x3 @ t2).item() == 1.5
        assert [(t ** 2).sum().item() for t in (t1, t2)] == [0.5625, 0.375]
        assert [t.abs().sum().item() for t in (t1, t2)] == [0.75, 1.0]
        w1_, w2_ = ag.tensor([1.0, 0, 0, 0]), ag.full((4,), 0.25)
        assert (ag.ones(4) @ w1_).item() == (ag.ones(4) @ w2_).item() == 1.0
        assert [(w ** 2).sum().item() for w in (w1_, w2_)] == [1.0, 0.25]
        """),
    ]
