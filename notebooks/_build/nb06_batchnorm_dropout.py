"""06 — batch normalisation and dropout: the course's table, train vs eval, MC dropout."""
from more06 import cells as more_cells
from nbtools import code, md, setup

NAME = "06_batchnorm_dropout"


def cells():
    return [
        md("""
        # 06 · Batch normalisation and dropout

        Two layers that behave differently in training and in evaluation. Batch norm
        normalises each feature with the statistics of the current minibatch,
        $\\hat x = (x - \\mu_B)/\\sqrt{\\sigma_B^2 + \\epsilon}$, $y = \\gamma \\hat x + \\beta$, and
        keeps running averages for evaluation. Dropout zeroes units at random while training.
        We redo a graded homework (Deep Learning for Visual Recognition, Assignment 5,
        theoretical part (c), whose batch-norm answer was wrong), derive
        and check the batch-norm backward pass, and look at dropout's expectation and at
        Monte-Carlo dropout as a cheap uncertainty estimate.
        """),
        setup("""
        import autograd as ag
        import nn
        import nn.functional as F
        import optim

        ag.set_default_dtype(np.float64)
        """),
        md("""
        ## 1. The course's table

        The homework's pre-activations $H$ (5 samples × 2 units). Two corrections from the
        grader's margin notes, made concrete:

        * **softmax needs the exponential**: the homework used $S_1 = o_1/(o_1 + o_2)$; the
          softmax is $S_1 = e^{o_1}/(e^{o_1} + e^{o_2})$, which for these close scores is much
          nearer ½;
        * **batch statistics are per feature, over the batch**: the homework took the mean
          per sample, got $\\mu = H$, hence $H - \\mu = 0$, $\\sigma = \\sqrt{\\delta}$ and
          $H' = 0$ ("This should not be 0"). The mean and variance are taken down each
          column: $\\mu_B = (0.492, 0.526)$.
        """),
        code("""
        H = np.array([[0.43, 0.41], [0.44, 0.58], [0.51, 0.58], [0.60, 0.57], [0.48, 0.49]])
        ratio = H[:, 0] / H.sum(axis=1)                        # the homework's S1
        S = ag.softmax(ag.tensor(H), axis=1).numpy()           # the softmax
        print("homework S1:", ratio.round(3), "\\nsoftmax  S1:", S[:, 0].round(3))
        assert np.allclose(ratio.round(3), [0.512, 0.431, 0.468, 0.513, 0.495])
        assert np.allclose(S[:, 0], 1 / (1 + np.exp(H[:, 1] - H[:, 0])))

        mu = H.mean(axis=0); var = H.var(axis=0)               # per feature, biased (1/m)
        H_hat = (H - mu) / np.sqrt(var + 1e-5)
        print("mu_B =", mu, " sigma_B^2 =", var.round(5))
        print("normalised H =\\n", H_hat.round(3))
        assert np.allclose(mu, [0.492, 0.526])
        assert np.allclose(H_hat.mean(axis=0), 0) and np.allclose(H_hat.std(axis=0), 1, atol=5e-3)  # eps shrinks it a bit
        """),
        code("""
        bn = nn.BatchNorm1d(2)                                 # gamma = 1, beta = 0, eps = 1e-5
        out = bn(ag.tensor(H))                                 # training mode: batch statistics
        assert np.allclose(out.numpy(), H_hat)
        print(bn)
        """),
        md("""
        ## 2. Batch norm backward

        With $g = \\partial L/\\partial y$ for a batch of $m$ samples (per feature):

        $$\\frac{\\partial L}{\\partial \\beta} = \\sum_i g_i,\\qquad
          \\frac{\\partial L}{\\partial \\gamma} = \\sum_i g_i\\,\\hat x_i,\\qquad
          \\frac{\\partial L}{\\partial x_i} = \\frac{\\gamma}{\\sqrt{\\sigma_B^2 + \\epsilon}}
          \\Big(g_i - \\frac1m \\sum_j g_j - \\hat x_i\\, \\frac1m \\sum_j g_j \\hat x_j\\Big).$$

        The input gradient has three paths (through $\\hat x$ directly, through $\\mu_B$, and
        through $\\sigma_B^2$); the last two remove the components of $g$ along $\\mathbf 1$ and along
        $\\hat x$, so $\\sum_i \\partial L/\\partial x_i = 0$ and
        $\\sum_i \\hat x_i\\, \\partial L/\\partial x_i = 0$: shifting or scaling a feature of the
        batch cannot change the output (the second identity is exact for $\\epsilon = 0$). Deep
        Learning HW2, Problem 3.1, writes
        $\\partial L/\\partial \\gamma = x^\\top \\partial L/\\partial y$; it must be $\\hat x$, not $x$ —
        $\\gamma$ multiplies the normalised input.
        """),
        code("""
        ag.manual_seed(0)
        x = ag.tensor(H, requires_grad=True)
        bn = nn.BatchNorm1d(2)
        with ag.no_grad():
            bn.weight.data[...] = [1.5, -0.7]; bn.bias.data[...] = [0.1, 0.2]
        y = bn(x)
        g = ag.randn(5, 2)
        y.backward(g)

        gv, m = g.numpy(), 5
        gamma = bn.weight.numpy()
        dx = gamma / np.sqrt(var + 1e-5) * (gv - gv.mean(0) - H_hat * (gv * H_hat).mean(0))
        print("dL/dgamma autograd:", bn.weight.grad.numpy(), " sum g*x_hat:", (gv * H_hat).sum(0),
              " x^T g (homework):", (H * gv).sum(0))
        assert np.allclose(x.grad.numpy(), dx)
        assert np.allclose(bn.weight.grad.numpy(), (gv * H_hat).sum(0))
        assert not np.allclose(bn.weight.grad.numpy(), (H * gv).sum(0))
        assert np.allclose(bn.bias.grad.numpy(), gv.sum(0))
        assert np.allclose(x.grad.numpy().sum(0), 0)
        along_xhat = (x.grad.numpy() * H_hat).sum(0)        # 0 up to a factor eps / (var + eps)
        assert np.all(np.abs(along_xhat) < 0.01 * np.abs(x.grad.numpy() * H_hat).sum(0))
        """),
        md("""
        The same computation written out with primitives, drawn: the mean and the variance
        both feed back into every input, which is where the two extra terms come from.
        """),
        code("""
        xs = ag.tensor(H, requires_grad=True); xs.name = "x"
        mu_t = xs.mean(axis=0); mu_t.name = "mu"
        var_t = ((xs - mu_t) ** 2).mean(axis=0); var_t.name = "var"
        xhat = (xs - mu_t) / ag.sqrt(var_t + 1e-5); xhat.name = "x_hat"
        loss = (xhat * g).sum(); loss.name = "loss"
        loss.backward()
        assert np.allclose(xs.grad.numpy(), (gv - gv.mean(0) - H_hat * (gv * H_hat).mean(0)) / np.sqrt(var + 1e-5))
        ag.draw_graph(loss)
        """),
        md("""
        ## 3. Train vs eval

        In training, every forward pass updates running statistics,
        $\\text{running} \\leftarrow (1 - m)\\,\\text{running} + m\\,\\text{batch}$ with PyTorch's
        `momentum` $m = 0.1$ (the course writes the same rule with $\\beta_m = 1 - m = 0.9$ on the
        old value); the running variance uses the unbiased batch variance ($1/(m-1)$). In
        `eval()` mode these running values replace the batch statistics, so a single sample
        is normalised the same way whatever else is in its batch.
        """),
        code("""
        bn = nn.BatchNorm1d(2)
        bn(ag.tensor(H))
        print("running mean", bn.running_mean.numpy(), " running var", bn.running_var.numpy())
        assert np.allclose(bn.running_mean.numpy(), 0.9 * 0 + 0.1 * mu)
        assert np.allclose(bn.running_var.numpy(), 0.9 * 1 + 0.1 * H.var(axis=0, ddof=1))

        for _ in range(200):                                   # many batches later ...
            bn(ag.tensor(H))
        bn.eval()
        one = bn(ag.tensor(H[:1])).numpy()
        print("eval, first sample alone:", one, " (train-mode value in its batch:", H_hat[0].round(3), ")")
        assert np.allclose(one, (H[:1] - mu) / np.sqrt(H.var(0, ddof=1) + 1e-5), atol=1e-6)
        """),
        md("""
        **When batches are not shuffled** (Deep Learning HW2, Problem 3.4): if every batch holds one class,
        training-mode batch norm removes exactly the feature that tells the classes apart —
        each batch is centred on its own mean — while in evaluation the running mean sits
        between the classes (closest to the most recent batches). Train and test then see
        different inputs. Two classes whose feature is centred at −2 and +2:
        """),
        code("""
        ag.manual_seed(1)
        rng = ag.get_rng()                                     # the generator behind ag.manual_seed
        class_a = rng.normal(-2, 0.5, (32, 1)); class_b = rng.normal(2, 0.5, (32, 1))
        bn = nn.BatchNorm1d(1)
        for _ in range(30):
            out_a = bn(ag.tensor(class_a)).numpy(); out_b = bn(ag.tensor(class_b)).numpy()
        print(f"train mode: class A mean {out_a.mean():+.3f}, class B mean {out_b.mean():+.3f}  (indistinguishable)")
        bn.eval()
        ev_a, ev_b = bn(ag.tensor(class_a)).numpy(), bn(ag.tensor(class_b)).numpy()
        print(f"eval mode:  class A mean {ev_a.mean():+.3f}, class B mean {ev_b.mean():+.3f}")
        assert abs(out_a.mean()) < 1e-6 and abs(out_b.mean()) < 1e-6
        assert ev_a.mean() < -0.5 and ev_b.mean() > 0.5
        mixed = nn.BatchNorm1d(1)
        both = ag.tensor(np.concatenate([class_a, class_b]))
        mixed_out = mixed(both).numpy()
        assert mixed_out[:32].mean() < -0.9 and mixed_out[32:].mean() > 0.9   # shuffled: preserved
        """),
        md("""
        ## 4. Dropout's expectation

        glassgrad (like PyTorch) uses *inverted* dropout: `nn.Dropout(p)` zeroes each unit with
        probability $p$ and scales the survivors by $1/(1 - p)$, so $\\mathbb E[\\text{out}] = x$
        in training and evaluation is the identity. Deep Learning HW2, Problem 1.1, uses the
        other convention — $p$ is the *keep* probability and nothing is rescaled — so there
        $\\mathbb E_D[D \\odot X] = pX$ and the test-time weights must be multiplied by $p$. Both,
        by Monte Carlo:
        """),
        code("""
        ag.manual_seed(0)
        xd = ag.tensor(np.linspace(1, 2, 6).reshape(1, 6))
        drop = nn.Dropout(p=0.3)
        samples = np.stack([drop(xd).numpy()[0] for _ in range(20000)])
        print("x            ", xd.numpy()[0], "\\nmean of 20000", samples.mean(0).round(3))
        print("fraction zeroed:", (samples == 0).mean().round(4))
        assert np.allclose(samples.mean(0), xd.numpy()[0], rtol=0.02)
        assert abs((samples == 0).mean() - 0.3) < 0.01
        drop.eval()
        assert np.array_equal(drop(xd).numpy(), xd.numpy())

        keep = 0.7                                          # the homework's convention
        masks = rng.random((20000, 6)) < keep
        assert np.allclose((masks * xd.numpy()).mean(0), keep * xd.numpy()[0], rtol=0.02)
        """),
        md("""
        The homework's next result (Problem 1.2, correct): for linear regression with dropout on
        the inputs, $P = D \\odot X$ with keep probability $p$,
        $\\mathbb E_D\\lVert y - P\\hat w\\rVert^2 = \\lVert y - pX\\hat w\\rVert^2 + p(1-p)\\lVert\\hat\\Gamma\\hat w\\rVert^2$
        with $\\hat\\Gamma = \\operatorname{diag}(X^\\top X)^{1/2}$: dropout acts as a ridge penalty
        scaled by each feature's norm. Monte Carlo agrees:
        """),
        code("""
        Xl = rng.normal(size=(20, 4)); w_hat = rng.normal(size=4); yl = rng.normal(size=20)
        p = 0.7
        D = rng.random((40000, 20, 4)) < p
        mc = np.mean(np.sum((yl - np.einsum("tij,j->ti", D * Xl, w_hat)) ** 2, axis=1))
        Gamma = np.sqrt(np.diag(Xl.T @ Xl))
        closed = np.sum((yl - p * Xl @ w_hat) ** 2) + p * (1 - p) * np.sum((Gamma * w_hat) ** 2)
        print(f"Monte Carlo {mc:.3f}   closed form {closed:.3f}")
        assert abs(mc - closed) / closed < 0.01
        """),
        md("""
        ## 5. Monte-Carlo dropout

        Keep dropout *on* at prediction time and average $T$ stochastic forward passes: the
        mean is the prediction, the spread a (rough) measure of the model's uncertainty. A
        small ReLU network fitted to noisy $\\sin$ data with a gap in $[-1, 1]$: the spread is
        clearly larger in the gap than where there are points. It is also a reminder of how
        rough the approximation is: far outside the data, where the network extrapolates
        linearly, the spread is no larger than on the data here, although the predictions are
        wrong there.
        """),
        code("""
        ag.set_default_dtype(np.float32)
        ag.manual_seed(0)
        rng = ag.get_rng()
        xt = np.concatenate([np.linspace(-3, -1, 20), np.linspace(1, 3, 20)]).reshape(-1, 1)
        yt = np.sin(xt) + 0.05 * rng.normal(size=xt.shape)
        net = nn.Sequential(nn.Linear(1, 64), nn.ReLU(), nn.Dropout(0.2),
                            nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 1))
        opt = optim.Adam(net.parameters(), lr=1e-2)
        X_t, Y_t = ag.tensor(xt), ag.tensor(yt)
        for step in range(1000):
            opt.zero_grad()
            loss = ((net(X_t) - Y_t) ** 2).mean()
            loss.backward(); opt.step()

        grid = np.linspace(-6, 6, 241).reshape(-1, 1)
        net.train()                                             # dropout stays on
        with ag.no_grad():
            draws = np.stack([net(ag.tensor(grid)).numpy()[:, 0] for _ in range(100)])
        mean, std = draws.mean(0), draws.std(0)
        net.eval()
        with ag.no_grad():
            deterministic = net(ag.tensor(grid)).numpy()[:, 0]

        plt.fill_between(grid[:, 0], mean - 2 * std, mean + 2 * std, alpha=0.3, label="MC mean ± 2 std")
        plt.plot(grid, mean, label="MC mean (T = 100)")
        plt.plot(grid, deterministic, "--", label="eval mode")
        plt.plot(xt, yt, "k.", ms=4, label="data"); plt.legend(fontsize=8); plt.ylim(-3, 3)
        plt.show()
        g0 = grid[:, 0]
        on_data = (np.abs(g0) > 1.2) & (np.abs(g0) < 2.8)
        gap = np.abs(g0) < 0.5
        far = np.abs(g0) > 5
        print(f"mean std on the data {std[on_data].mean():.3f}, in the gap {std[gap].mean():.3f}, "
              f"beyond |x| > 5 {std[far].mean():.3f}")
        assert std[gap].mean() > 1.3 * std[on_data].mean()
        assert np.abs(mean[on_data] - np.sin(g0[on_data])).mean() < 0.1
        """),
    ] + more_cells(NAME)
