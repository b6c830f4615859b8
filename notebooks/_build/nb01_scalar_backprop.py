"""01 — backprop on scalars: the chain rule, one node at a time."""
from more01 import cells as more_cells
from nbtools import code, md, setup

NAME = "01_scalar_backprop"


def cells():
    return [
        md("""
        # 01 · Backprop on scalars, one node at a time

        Backpropagation is the chain rule applied to a graph: every operation knows its
        *local* derivative, and the engine visits the nodes from the output back to the
        inputs, multiplying the gradient that arrives from above (the *upstream* gradient)
        by the local derivative. This notebook builds three small graphs with glassgrad,
        draws them, steps through backprop node by node, and checks every gradient
        against finite differences:

        1. the course's first example, $f = (x + y)\\,z$ at $x = 1,\\ y = -3,\\ z = 4$;
        2. a sigmoid neuron, written out of primitives and with `sigmoid`;
        3. a two-layer ReLU network fitted to a 1-d regression problem.
        """),
        setup("""
        import autograd as ag
        from autograd import Tensor

        ag.set_default_dtype(np.float64)   # float64: gradients exact to ~1e-15
        """),
        md("""
        ## 1. $f = (x + y)\\,z$

        Forward: $q = x + y = -2$, $f = q\\,z = -8$. Backward, from the top:

        | node | local rule | gradient |
        |---|---|---|
        | $f$ | seed | $\\partial f/\\partial f = 1$ |
        | $z$ | $\\partial (qz)/\\partial z = q$ | $1 \\cdot q = -2$ |
        | $q$ | $\\partial (qz)/\\partial q = z$ | $1 \\cdot z = 4$ |
        | $x$ | $\\partial (x+y)/\\partial x = 1$ | $4 \\cdot 1 = 4$ |
        | $y$ | $\\partial (x+y)/\\partial y = 1$ | $4 \\cdot 1 = 4$ |

        An addition *copies* its upstream gradient to both inputs; a multiplication
        *swaps* its inputs' values.
        """),
        code("""
        x = Tensor(1.0, requires_grad=True, name="x")
        y = Tensor(-3.0, requires_grad=True, name="y")
        z = Tensor(4.0, requires_grad=True, name="z")
        q = x + y; q.name = "q"
        f = q * z; f.name = "f"
        ag.draw_graph(f)          # the forward graph: leaves in blue, each box = one tensor
        """),
        md("""
        ### Stepping through backprop

        `ag.backprop_steps(f)` runs the engine's own backward walk one node per step. Each
        step says which node is pushing its gradient back, the upstream gradient it received,
        the local rule, and what it sends to each input. Exhausting it leaves exactly the
        gradients `f.backward()` would. (`retain_graph=True` keeps the graph for the views
        below.)
        """),
        code("""
        steps = list(ag.backprop_steps(f, retain_graph=True))
        for st in steps:
            print(f"step {st.index}: {st.op:4s} upstream {float(st.grad_output):+g}   rule: {st.rule}")
            for inp, g in zip(st.inputs, st.input_grads):
                print(f"          -> d f / d {inp.name} += {float(g):+g}")
        print(f"df/dx = {x.grad.item()},  df/dy = {y.grad.item()},  df/dz = {z.grad.item()}")
        assert [st.op for st in steps] == ["mul", "add"]
        assert abs(x.grad.item() - 4) < 1e-12 and abs(y.grad.item() - 4) < 1e-12
        assert abs(z.grad.item() + 2) < 1e-12
        """),
        md("""
        The picture of step 1: `mul` is done, the `add` node (highlighted) is pushing its
        upstream gradient 4 to $x$ and $y$; gradients known so far are in red.
        """),
        code("""
        steps[1].draw()
        """),
        md("""
        `ag.explain` puts the whole walk in one table (HTML in Jupyter, text when printed),
        and `ag.viz.play` is the interactive player: a slider and prev/next buttons over
        the same pictures. Both only *watch*: they leave `.grad` as it was. (The player
        needs a live kernel; on a static page it shows as a widget placeholder.)
        """),
        code("""
        ag.explain(f)
        """),
        code("""
        ag.viz.play(f)
        """),
        md("""
        Finally the usual way, `f.backward()`, after zeroing the gradients the stepper left.
        `retain_grad()` also keeps the gradient of the intermediate $q$, and the drawing now
        shows every gradient in red under its value.
        """),
        code("""
        for leaf in (x, y, z):
            leaf.grad = None
        q.retain_grad()
        f.backward()
        print(f"f = {f.item()},  df/dx = {x.grad.item()},  df/dy = {y.grad.item()},  "
              f"df/dz = {z.grad.item()},  df/dq = {q.grad.item()}")
        assert f.item() == -8
        assert abs(x.grad.item() - 4) < 1e-12 and abs(y.grad.item() - 4) < 1e-12
        assert abs(z.grad.item() + 2) < 1e-12 and abs(q.grad.item() - 4) < 1e-12
        ag.draw_graph(f)
        """),
        md("""
        ### Checking with finite differences

        A gradient can always be checked numerically with the central difference
        $\\frac{\\partial f}{\\partial x} \\approx \\frac{f(x + h) - f(x - h)}{2h}$,
        whose error is $O(h^2)$ from truncation plus $O(\\varepsilon/h)$ from rounding.
        It costs two evaluations *per input*, whereas backprop gets all of them in one
        backward pass, which is why it is only used to test.
        """),
        code("""
        def numerical_grad(fn, args, h=1e-6):
            \"\"\"Central differences of a scalar function of several floats.\"\"\"
            grads = []
            for i in range(len(args)):
                up = list(args); up[i] += h
                down = list(args); down[i] -= h
                grads.append((fn(*up) - fn(*down)) / (2 * h))
            return np.array(grads)

        def f_plain(x, y, z):
            return (x + y) * z

        num = numerical_grad(f_plain, [1.0, -3.0, 4.0])
        exact = np.array([x.grad.item(), y.grad.item(), z.grad.item()])
        print("finite differences:", num, "\\nbackprop:          ", exact)
        assert np.allclose(num, exact, atol=1e-8)
        """),
        md("""
        How small should $h$ be? Too large and truncation dominates, too small and the
        subtraction cancels most significant digits. For a curved function such as
        $g(x) = e^{\\sin x}$ the error is smallest around $h \\approx 10^{-5}$ in float64:
        """),
        code("""
        def g(x):
            return np.exp(np.sin(x))

        x0 = Tensor(0.7, requires_grad=True)
        ag.exp(ag.sin(x0)).backward()
        hs = np.logspace(-14, -1, 40)
        err = [abs((g(0.7 + h) - g(0.7 - h)) / (2 * h) - x0.grad.item()) for h in hs]
        plt.loglog(hs, err, ".-")
        plt.xlabel("step h"); plt.ylabel("|central difference - backprop|")
        plt.title("finite-difference error: rounding (left) vs truncation (right)")
        plt.show()
        best = hs[int(np.argmin(err))]
        print(f"best h ≈ {best:.1e}, error {min(err):.1e}")
        assert 1e-8 < best < 1e-3 and min(err) < 1e-9
        """),
        md("""
        ## 2. A sigmoid neuron

        $f(\\mathbf w, \\mathbf x) = \\sigma(w_0 x_0 + w_1 x_1 + w_2)$ with
        $\\sigma(s) = 1/(1 + e^{-s})$, at $\\mathbf w = (2, -3, -3)$,
        $\\mathbf x = (-1, -2)$. The pre-activation is $s = -2 + 6 - 3 = 1$ and
        $f = \\sigma(1) = 0.7311$.

        Written with primitives only (`neg`, `exp`, `add`, `div`), the graph is long, and
        backprop walks each little node. Since
        $\\sigma'(s) = \\sigma(s)\\,(1 - \\sigma(s)) = 0.7311 \\cdot 0.2689 = 0.1966$,
        the whole tail collapses into one node with one local rule: that is what the
        `sigmoid` primitive does. Both give the same gradients.
        """),
        code("""
        def neuron_graph(sig):
            w = [Tensor(v, requires_grad=True, name=f"w{i}") for i, v in enumerate([2.0, -3.0, -3.0])]
            xs = [Tensor(v, requires_grad=True, name=f"x{i}") for i, v in enumerate([-1.0, -2.0])]
            s = w[0] * xs[0] + w[1] * xs[1] + w[2]; s.name = "s"
            out = sig(s); out.name = "f"
            return out, w, xs

        def neuron(sig):
            out, w, xs = neuron_graph(sig)
            out.backward(retain_graph=True)    # keep the graph to draw it below
            return out, w, xs

        def sigmoid_by_hand(s):
            return 1.0 / (1.0 + ag.exp(-s))

        out_a, w_a, x_a = neuron(sigmoid_by_hand)
        out_b, w_b, x_b = neuron(ag.sigmoid)
        ds = out_b.item() * (1 - out_b.item())
        print(f"f = {out_b.item():.4f},  sigma'(1) = {ds:.4f}")
        for v_a, v_b in zip(w_a + x_a, w_b + x_b):
            print(f"  d f / d {v_b.name} = {v_b.grad.item(): .4f}   (by hand: {v_a.grad.item(): .4f})")
            assert abs(v_a.grad.item() - v_b.grad.item()) < 1e-12
        assert abs(out_b.item() - 0.7310585786) < 1e-9
        # dF/dw = x * sigma', dF/dx = w * sigma', dF/dw2 = sigma'
        assert np.allclose([v.grad.item() for v in w_b], [-ds, -2 * ds, ds])
        assert np.allclose([v.grad.item() for v in x_b], [2 * ds, -3 * ds])
        """),
        md("""
        The two graphs side by side: five nodes after the weighted sum for the hand-written
        sigmoid, one for the primitive. The explanation table of the long one shows each
        local rule, e.g. $d(1/u)/du = -1/u^2$ and $d(e^u)/du = e^u$, whose product is
        $\\sigma(1 - \\sigma)$.
        """),
        code("""
        ag.draw_graph(out_a)
        """),
        code("""
        ag.draw_graph(out_b)
        """),
        code("""
        ag.explain(neuron_graph(sigmoid_by_hand)[0])
        """),
        code("""
        def neuron_value(w0, w1, w2, x0, x1):
            return 1 / (1 + np.exp(-(w0 * x0 + w1 * x1 + w2)))

        num = numerical_grad(neuron_value, [2.0, -3.0, -3.0, -1.0, -2.0])
        exact = np.array([v.grad.item() for v in w_b + x_b])
        print("max |finite differences - backprop| =", np.abs(num - exact).max())
        assert np.allclose(num, exact, atol=1e-8)
        """),
        md("""
        ## 3. A two-layer ReLU network for regression

        The same engine works on arrays: a batch of $N = 40$ points $x \\in [-3, 3]$, targets
        $y = \\sin x$ plus noise, a network
        $\\hat y = \\mathrm{relu}(x W_1 + b_1)\\, W_2 + b_2$ with 16 hidden units, and the
        mean squared error. We write plain gradient descent ourselves: after `backward()`
        each parameter's `.grad` has exactly the parameter's shape.
        """),
        code("""
        ag.manual_seed(0)
        rng = ag.get_rng()
        X = np.linspace(-3, 3, 40).reshape(-1, 1)
        Y = np.sin(X) + 0.1 * rng.standard_normal(X.shape)
        X_t, Y_t = ag.tensor(X), ag.tensor(Y)

        H = 16
        W1 = ag.tensor(rng.standard_normal((1, H)), requires_grad=True)
        b1 = ag.tensor(rng.uniform(-3, 3, H), requires_grad=True)   # kinks spread over [-3, 3]
        W2 = ag.tensor(rng.standard_normal((H, 1)) / np.sqrt(H), requires_grad=True)
        b2 = ag.zeros(1, requires_grad=True)
        params = [W1, b1, W2, b2]

        def model(inp):
            return ag.relu(inp @ W1 + b1) @ W2 + b2

        def mse(pred, target):
            return ((pred - target) ** 2).mean()

        losses = []
        for step in range(1000):
            loss = mse(model(X_t), Y_t)
            for p in params:
                p.grad = None
            loss.backward()
            with ag.no_grad():
                for p in params:
                    p.data -= 0.02 * p.grad.data
            losses.append(loss.item())
        print(f"loss: {losses[0]:.3f} -> {losses[-1]:.4f}")
        assert [p.grad.shape for p in params] == [p.shape for p in params]
        assert losses[-1] < 0.05 and losses[-1] < losses[0] / 5
        """),
        code("""
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3))
        a1.semilogy(losses); a1.set_xlabel("step"); a1.set_ylabel("MSE"); a1.set_title("training loss")
        grid = np.linspace(-3.5, 3.5, 200).reshape(-1, 1)
        with ag.no_grad():
            pred = model(ag.tensor(grid)).numpy()
        a2.plot(X, Y, "k.", label="data"); a2.plot(grid, pred, label="relu net")
        a2.plot(grid, np.sin(grid), "--", alpha=0.6, label="sin x"); a2.legend(); a2.set_title("fit")
        plt.tight_layout(); plt.show()
        """),
        md("""
        The graph of one training step. Naming the parameters makes the picture readable;
        each box shows a shape and a summary of the value and of the gradient.
        """),
        code("""
        for p, label in zip(params, ["W1", "b1", "W2", "b2"]):
            p.name, p.grad = label, None
        loss = mse(model(X_t), Y_t); loss.name = "loss"
        loss.backward(retain_graph=True)
        ag.draw_graph(loss)
        """),
        md("""
        The fit is piecewise linear: each hidden unit contributes one kink. To trust the
        gradients of the whole network, `ag.gradcheck` compares backprop with finite
        differences along a random direction for every parameter (float64).
        """),
        code("""
        def loss_of(w1, c1, w2, c2):
            return ((ag.relu(X_t @ w1 + c1) @ w2 + c2 - Y_t) ** 2).mean()

        ok = ag.gradcheck(loss_of, [p.detach().requires_grad_() for p in params])
        print("gradcheck:", ok)
        assert ok
        """),
    ] + more_cells(NAME)
