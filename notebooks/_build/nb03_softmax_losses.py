"""03 — softmax and the classification losses, on the course's own numbers."""
from more03 import cells as more_cells
from nbtools import code, md, setup

NAME = "03_softmax_losses"


def cells():
    return [
        md("""
        # 03 · Softmax, cross-entropy, BCE and hinge

        A classifier outputs scores (logits) $s \\in \\mathbb R^K$. Softmax turns them into
        probabilities $p_k = e^{s_k} / \\sum_j e^{s_j}$, and cross-entropy
        $L = -\\log p_y$ penalises a low probability for the true class $y$. The payoff of
        pairing them is the simplest gradient in deep learning:

        $$\\frac{\\partial L}{\\partial s} = p - \\mathbf 1_y .$$

        This notebook derives it from the softmax Jacobian, checks it with glassgrad, then
        recomputes the course's worked examples (three images, three models), contrasts
        cross-entropy with the hinge loss, shows why the *with-logits* forms exist, and what
        label smoothing does to the optimum.
        """),
        setup("""
        import autograd as ag
        import nn
        from autograd.functional import jacobian

        ag.set_default_dtype(np.float64)
        """),
        md("""
        ## 1. The softmax Jacobian

        $\\dfrac{\\partial p_i}{\\partial s_j} = p_i\\,(\\delta_{ij} - p_j)$, i.e.
        $J = \\operatorname{diag}(p) - p p^\\top$. (The lecture notes print this as
        "$\\partial p_j/\\partial x_j = p_i(\\mathbb 1(i = j) - p_j)$": the left-hand side must be
        $\\partial p_i/\\partial x_j$, otherwise the right-hand side has a free index $i$.)
        Each column of $J$ sums to zero because the probabilities always sum to one.
        """),
        code("""
        s = ag.tensor([2.0, 1.0, 0.1])
        p = ag.softmax(s).numpy()
        J = jacobian(ag.softmax, s).numpy()
        print("p =", p, "\\nJ =\\n", J)
        assert np.allclose(J, np.diag(p) - np.outer(p, p))
        assert np.allclose(J.sum(axis=0), 0)
        """),
        md("""
        Chain rule with $\\partial L/\\partial p = -\\mathbf 1_y / p_y$:
        $\\partial L/\\partial s_j = -\\frac{1}{p_y} p_y(\\delta_{yj} - p_j) = p_j - \\delta_{yj}$.
        The autograd graph of `-log_softmax(s)[y]` gives exactly that, for a batch too
        (with the mean over the batch, each row is divided by $N$):
        """),
        code("""
        ag.manual_seed(0)
        logits = ag.randn(5, 4, requires_grad=True)
        y = np.array([0, 3, 1, 1, 2])
        loss = -ag.log_softmax(logits, axis=1)[np.arange(5), y].mean()
        loss.backward()
        onehot = np.eye(4)[y]
        expected = (ag.softmax(logits.detach(), axis=1).numpy() - onehot) / 5
        print("dL/ds =\\n", logits.grad.numpy())
        assert np.allclose(logits.grad.numpy(), expected)
        assert np.allclose(logits.grad.numpy().sum(axis=1), 0)
        """),
        md("""
        ### Stability: the log-sum-exp trick

        Computing $\\log(e^{s_y} / \\sum e^{s_k})$ literally overflows for large scores.
        `log_softmax` computes $s_y - c - \\log\\sum_k e^{s_k - c}$ with $c = \\max_k s_k$.

        One claim in the lecture notes needs correcting: "when $x_i = \\max_j x_j$ and
        $c = x_i$, $f_i(x) = 0 - 0 = 0$". The first term is $0$, but the second is
        $\\log\\sum_j e^{x_j - c} = \\log(1 + \\sum_{j\\ne i} e^{x_j - x_i}) > 0$, so the
        log-probability of the top class is **negative** (it is $0$ only if every other
        class has score $-\\infty$). The trick only guarantees the sum is in $[1, K]$, so
        nothing overflows.
        """),
        code("""
        big = np.array([1000.0, 0.0])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            naive = np.log(np.exp(big) / np.exp(big).sum())
        stable = ag.log_softmax(ag.tensor(big)).numpy()
        print("naive:", naive, "  log_softmax:", stable)
        assert np.isnan(naive[0]) and np.allclose(stable, [0.0, -1000.0])

        x = np.array([2.0, 1.0, 0.0])
        top = ag.log_softmax(ag.tensor(x)).numpy()[0]
        print(f"log_softmax of the top class for {x}: {top:.4f} (not 0)")
        assert abs(top + np.log(1 + np.exp(-1) + np.exp(-2))) < 1e-12 and top < -0.4
        """),
        md("""
        ## 2. The course's three-image example

        Scores for three images (columns) and three classes (rows); image 1 is a cat,
        image 2 a chair, image 3 a car:

        | scores | image 1 (cat) | image 2 (chair) | image 3 (car) |
        |---|---|---|---|
        | cat   | **3.2** | 1.3 | 2.2 |
        | chair | 5.1 | **4.9** | 2.5 |
        | car   | −1.7 | 2.0 | **−3.1** |

        The course gives cross-entropy losses 2.04, 0.079, 6.156 (mean 2.76) and hinge losses
        $L_i = \\sum_{k\\ne y_i}\\max(0, s_k - s_{y_i} + 1)$ = 2.9, 0, 12.9 (mean "5.3").
        One slide prints the table transposed under the same "cat chair car" header; the
        numbers above are the orientation the worked sums use. In code a batch has one row
        per image, so we transpose.
        """),
        code("""
        S = np.array([[3.2, 1.3, 2.2],
                      [5.1, 4.9, 2.5],
                      [-1.7, 2.0, -3.1]])       # classes x images, as on the slides
        scores = ag.tensor(S.T.copy(), requires_grad=True)   # images x classes
        labels = np.array([0, 1, 2])            # cat, chair, car
        rows = np.arange(3)

        ce_each = -ag.log_softmax(scores, axis=1)[rows, labels]
        correct = scores[rows, labels].reshape(3, 1)
        margins = ag.relu(scores - correct + 1.0)          # max(0, s_k - s_y + 1)
        hinge_each = margins.sum(axis=1) - 1.0             # drop the k = y term (it is exactly 1)

        print("cross-entropy per image:", ce_each.numpy().round(3), " mean", round(ce_each.mean().item(), 4))
        print("hinge per image:        ", hinge_each.numpy().round(3), " mean", round(hinge_each.mean().item(), 4))
        assert np.allclose(ce_each.numpy(), [2.040, 0.079, 6.156], atol=1e-3)
        assert abs(ce_each.mean().item() - 2.76) < 5e-3
        assert np.allclose(hinge_each.numpy(), [2.9, 0.0, 12.9])
        assert abs(hinge_each.mean().item() - 15.8 / 3) < 1e-12
        """),
        md("""
        The same numbers from the library's losses. One trap when moving between the course
        and PyTorch-style code: `nn.MultiMarginLoss` (PyTorch's multiclass hinge) **divides
        each sample's sum by the number of classes**, so it reports $L_i / C$ — here
        $2.9/3,\\ 0,\\ 12.9/3$.
        """),
        code("""
        y_t = ag.tensor(labels)
        ce_lib = nn.CrossEntropyLoss()(scores, y_t)
        hinge_lib = nn.MultiMarginLoss(reduction="none")(scores, y_t)
        print("nn.CrossEntropyLoss:", round(ce_lib.item(), 4), "  nn.MultiMarginLoss per image:", hinge_lib.numpy().round(4))
        assert abs(ce_lib.item() - ce_each.mean().item()) < 1e-12
        assert np.allclose(hinge_lib.numpy() * 3, [2.9, 0.0, 12.9])
        """),
        md("""
        The course's hinge mean "5.3" is $15.8/3 = 5.2\\overline{6}$ rounded to one decimal; the
        cross-entropy numbers are right to the digits shown.

        **Where the two losses push.** The gradients with respect to the scores differ in
        kind: cross-entropy pushes on *every* image, even the well-classified chair
        (image 2), while the hinge loss is exactly zero there, and for images 1 and 3 it
        only moves the classes inside the margin, by $\\pm 1$ regardless of how far off they are.
        """),
        code("""
        ce_grad = ag.grad(ce_each.mean(), scores, retain_graph=True)[0].numpy()
        hinge_grad = ag.grad(hinge_each.mean(), scores)[0].numpy()
        fig, axes = plt.subplots(1, 2, figsize=(9, 2.8), sharey=True)
        for ax, G, title in [(axes[0], ce_grad, "cross-entropy: (p - y) / N"),
                             (axes[1], hinge_grad, "hinge: ±1/N inside the margin")]:
            for k, cls in enumerate(["cat", "chair", "car"]):
                ax.bar(np.arange(3) + 0.25 * (k - 1), G[:, k], width=0.25, label=cls)
            ax.axhline(0, color="k", lw=0.5); ax.set_title(title)
            ax.set_xticks(range(3), ["image 1", "image 2", "image 3"])
        axes[0].set_ylabel("dL / d score"); axes[1].legend(); plt.tight_layout(); plt.show()

        p = ag.softmax(ag.tensor(S.T), axis=1).numpy()
        assert np.allclose(ce_grad, (p - np.eye(3)) / 3)
        assert np.all(hinge_grad[1] == 0)                    # image 2 is past the margin
        assert np.allclose(hinge_grad * 3, [[-1, 1, 0], [0, 0, 0], [1, 1, -2]])
        """),
        md("""
        The cross-entropy graph: `log_softmax` is one node (a stable primitive), then the
        fancy index picks the true class of each image and `mean` divides by 3.
        """),
        code("""
        scores.name = "scores"
        loss = -ag.log_softmax(scores, axis=1)[rows, labels].mean(); loss.name = "loss"
        loss.backward()
        assert np.allclose(scores.grad.numpy(), ce_grad)
        ag.draw_graph(loss)
        """),
        md("""
        ## 3. Hinge vs cross-entropy: three models, one image

        For one image of class 0, three models score $[5, -3, 2]$, $[5, 10, 10]$ and
        $[5, -20, -20]$. The course's table: hinge 0, 12, 0; cross-entropy 0.05, 5.70,
        $2\\cdot 10^{-11}$. Hinge cannot tell model 1 from model 3; cross-entropy "always
        wants to improve".

        Two corrections. One version of the slide writes the model-1 denominator as
        $e^5 + e^{3} + e^2$; with $e^{3}$ the loss would be $\\log(1 + e^{-2} + e^{-3}) = 0.170$,
        so the printed 0.05 belongs to the correct $e^5 + e^{-3} + e^2$ (it is $0.0489$; model 2's
        5.70 is $\\log(1 + 2e^5) = 5.6965$). And
        model 3's loss is $\\log(1 + 2e^{-25}) \\approx 2e^{-25} = 2.78\\cdot 10^{-11}$
        ("$2\\cdot 10^{-11}$" is truncated). That number is also a lesson in precision: in
        float32, $1 + 2.78\\cdot 10^{-11}$ rounds to exactly 1 and the loss *does* become 0.
        """),
        code("""
        models = np.array([[5.0, -3.0, 2.0], [5.0, 10.0, 10.0], [5.0, -20.0, -20.0]])
        s = ag.tensor(models)
        ce = -ag.log_softmax(s, axis=1)[:, 0]
        hinge = ag.relu(s[:, 1:] - s[:, :1] + 1).sum(axis=1)
        print("hinge:", hinge.numpy(), "  cross-entropy:", [f"{v:.3g}" for v in ce.numpy()])
        assert np.allclose(hinge.numpy(), [0, 12, 0])
        assert np.allclose(ce.numpy()[:2], [0.0489, 5.6965], atol=1e-4)
        assert abs(ce.numpy()[2] - 2 * np.exp(-25)) < 1e-15
        wrong_denominator = np.log(1 + np.exp(-2) + np.exp(-3))
        print(f"with e^3 in the denominator: {wrong_denominator:.3f}")
        assert abs(wrong_denominator - 0.170) < 1e-3

        ce32 = -ag.log_softmax(ag.tensor(models, dtype=np.float32), axis=1)[:, 0]
        print("float32 cross-entropy:", ce32.numpy())
        assert ce32.numpy()[2] == 0.0
        """),
        md("""
        ## 4. Binary cross-entropy, and why `with_logits`

        For one output $\\hat y = \\sigma(z)$, $z = w^\\top x$:
        $C = -(y\\log\\hat y + (1 - y)\\log(1 - \\hat y))$. The chain rule (TDT4265 Computer Vision,
        Assignment 1, task 1a) gives
        $\\frac{\\partial C}{\\partial \\hat y}\\cdot\\sigma'(z)\\cdot x
          = \\frac{\\hat y - y}{\\hat y(1 - \\hat y)}\\cdot \\hat y(1 - \\hat y)\\cdot x = (\\hat y - y)\\,x$,
        the binary twin of $p - y$. Checked on a small logistic regression:
        """),
        code("""
        ag.manual_seed(2)
        Xb = ag.randn(8, 3); yb = (ag.rand(8).numpy() > 0.5).astype(float)
        w = ag.randn(3, requires_grad=True)
        yhat = ag.sigmoid(Xb @ w)
        bce = -(yb * ag.log(yhat) + (1 - yb) * ag.log(1 - yhat)).mean()
        bce.backward()
        expected = Xb.numpy().T @ (yhat.numpy() - yb) / 8
        print("dC/dw =", w.grad.numpy(), " X^T (yhat - y) / N =", expected)
        assert np.allclose(w.grad.numpy(), expected)
        """),
        md("""
        Composing `log(sigmoid(z))` breaks when the sigmoid saturates: in float32,
        $\\sigma(20) = 1 - 2\\cdot 10^{-9}$ rounds to exactly $1$, so for a negative example
        $\\log(1 - \\hat y) = \\log 0 = -\\infty$ and the gradient is NaN. Writing the loss in terms
        of the logit, $C = \\operatorname{softplus}(z) - y z$ (with
        $\\operatorname{softplus}(z) = \\log(1 + e^{z})$ computed stably), gives the exact
        value $\\approx z$ and the gradient $\\sigma(z) - y$ for every $z$. This is what
        BCE-with-logits does.
        """),
        code("""
        z = ag.tensor(np.array([-30.0, -5.0, 0.0, 5.0, 20.0, 30.0], dtype=np.float32), requires_grad=True)
        y0 = np.zeros(6, dtype=np.float32)               # all negative examples
        with np.errstate(divide="ignore", invalid="ignore"):
            naive = -(y0 * ag.log(ag.sigmoid(z)) + (1 - y0) * ag.log(1 - ag.sigmoid(z)))
            naive.sum().backward()
        naive_grad, z.grad = z.grad.numpy().copy(), None
        logits_form = ag.softplus(z) - y0 * z
        logits_form.sum().backward()
        print("naive BCE:      ", naive.numpy(), "\\n  its gradient:  ", naive_grad)
        print("with logits:    ", logits_form.numpy(), "\\n  its gradient:  ", z.grad.numpy())
        assert np.isinf(naive.numpy()[-1]) and not np.isfinite(naive_grad[-1])
        assert np.allclose(logits_form.numpy(), np.logaddexp(0, z.numpy()), rtol=1e-6)
        assert np.allclose(z.grad.numpy(), 1 / (1 + np.exp(-z.numpy().astype(float))), atol=1e-6)
        """),
        md(r"""
        `nn.BCEWithLogitsLoss` is that stable form. `nn.BCELoss`, which takes probabilities, follows
        PyTorch: it clamps the logarithms at −100 (the loss stays finite, 100) and keeps a finite
        gradient in p, $(p - y)/\max(p(1-p), 10^{-12})$. But for the saturated examples
        $\sigma'(z)$ is exactly 0, so the gradient that reaches $z$ is 0 instead of 1 — a
        confidently wrong prediction stops being corrected. Prefer the logits form.
        """),
        code("""
        for loss_fn, inp in [(nn.BCELoss(reduction="none"), lambda: ag.sigmoid(z)),
                             (nn.BCEWithLogitsLoss(reduction="none"), lambda: z)]:
            z.grad = None
            value = loss_fn(inp(), ag.tensor(y0))
            value.sum().backward()
            print(f"{type(loss_fn).__name__:18s} loss {value.numpy().round(3)}  grad {z.grad.numpy().round(3)}")
            if isinstance(loss_fn, nn.BCELoss):
                assert value.numpy()[-1] == 100 and z.grad.numpy()[-1] == 0
            else:
                assert np.allclose(value.numpy(), logits_form.numpy()) and z.grad.numpy()[-1] == 1
        """),
        md("""
        ## 5. Label smoothing

        Replace the one-hot target by $p' = (1 - \\varepsilon)\\,\\mathbf 1_y + \\varepsilon/K$.
        The loss splits into $(1 - \\varepsilon) H(p, q) + \\varepsilon H(u, q)$ with $u$ uniform,
        as the graded homework derives correctly (Deep Learning for Visual Recognition,
        Assignment 5, theoretical part (b)), and the gradient becomes
        $q - p'$. Without smoothing the optimum is at infinity: the gap between the true
        logit and the others grows forever (like $\\log t$ under gradient descent). With
        smoothing, $q = p'$ is reachable and the gap stops at
        $\\log\\frac{1 - \\varepsilon + \\varepsilon/K}{\\varepsilon/K}$; for $K = 4$,
        $\\varepsilon = 0.1$ that is $\\log 37 = 3.61$.
        """),
        code("""
        K, eps, target = 4, 0.1, 0

        def smoothed_ce(s, eps):
            p_smooth = (1 - eps) * np.eye(K)[target] + eps / K
            return -(ag.tensor(p_smooth) * ag.log_softmax(s)).sum()

        s_test = ag.tensor([0.3, -1.0, 2.0, 0.5])
        split = (1 - eps) * -ag.log_softmax(s_test)[target] + eps * -ag.log_softmax(s_test).mean()
        assert abs(smoothed_ce(s_test, eps).item() - split.item()) < 1e-12
        lib = nn.CrossEntropyLoss(label_smoothing=eps)(s_test.reshape(1, K), ag.tensor(np.array([target])))
        assert abs(lib.item() - split.item()) < 1e-12      # same convention as the library (PyTorch)

        gaps = {}
        for e in (0.0, eps):
            s = ag.zeros(K, requires_grad=True)
            history = []
            for step in range(3000):
                loss = smoothed_ce(s, e)
                (g,) = ag.grad(loss, s)
                with ag.no_grad():
                    s.data -= 1.0 * g.data
                history.append(s.data[target] - s.data[1])
            gaps[e] = history
        plt.plot(gaps[0.0], label="no smoothing")
        plt.plot(gaps[eps], label=f"label smoothing ε = {eps}")
        plt.axhline(np.log(37), ls="--", c="gray", label="log 37")
        plt.xscale("log"); plt.xlabel("gradient step"); plt.ylabel("logit gap  s_y - s_k")
        plt.legend(); plt.show()
        print(f"gap after 3000 steps: {gaps[0.0][-1]:.2f} (still growing) vs {gaps[eps][-1]:.4f}")
        assert abs(gaps[eps][-1] - np.log(37)) < 1e-3
        assert gaps[0.0][-1] > 6 and gaps[0.0][-1] > gaps[0.0][300] + 1
        """),
    ] + more_cells(NAME)
