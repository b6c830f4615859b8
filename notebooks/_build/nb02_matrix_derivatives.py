"""02 — matrix derivatives: the affine layer, the course exercise, broadcasting."""
from more02 import cells as more_cells
from nbtools import code, md, setup

NAME = "02_matrix_derivatives"


def cells():
    return [
        md("""
        # 02 · Matrix derivatives: the affine layer

        An affine layer maps a batch $X \\in \\mathbb R^{N\\times D}$ (one example per row)
        to $Y = XW + b$ with $W \\in \\mathbb R^{D\\times M}$, $b \\in \\mathbb R^{M}$.
        The loss $L$ is a scalar, so every gradient $\\partial L/\\partial(\\cdot)$ has the shape
        of the thing it differentiates, and each entry is a sum over the entries of $Y$ it
        influenced (the course's equation 9):

        $$\\frac{\\partial L}{\\partial w_{uv}} = \\sum_{i,j} \\frac{\\partial L}{\\partial y_{ij}}
          \\frac{\\partial y_{ij}}{\\partial w_{uv}} = \\sum_i x_{iu}\\,\\frac{\\partial L}{\\partial y_{iv}}
          \\quad\\Longrightarrow\\quad
          \\frac{\\partial L}{\\partial W} = X^\\top \\frac{\\partial L}{\\partial Y},\\qquad
          \\frac{\\partial L}{\\partial X} = \\frac{\\partial L}{\\partial Y} W^\\top,\\qquad
          \\frac{\\partial L}{\\partial b} = \\mathbf 1_N^\\top \\frac{\\partial L}{\\partial Y}
          = \\textstyle\\sum_i \\frac{\\partial L}{\\partial y_{i\\cdot}} .$$

        A quick way to remember them: they are the only products of $X$, $W$ and
        $\\partial L/\\partial Y$ with the right shapes. This notebook checks them against
        glassgrad, works the course's exercise, and makes the gradient of broadcasting
        visible.
        """),
        setup("""
        import autograd as ag
        from autograd.functional import jacobian

        ag.set_default_dtype(np.float64)
        """),
        md("""
        ## 1. The three formulas, checked

        `Y.backward(G)` pushes an arbitrary upstream gradient $G = \\partial L/\\partial Y$
        into the graph (as if $L = \\sum G \\odot Y$).
        """),
        code("""
        ag.manual_seed(0)
        N, D, M = 4, 3, 2
        X = ag.randn(N, D, requires_grad=True)
        W = ag.randn(D, M, requires_grad=True)
        b = ag.randn(M, requires_grad=True)
        Y = X @ W + b
        G = ag.randn(N, M)               # dL/dY, whatever the layers above made of Y
        Y.backward(G)

        x, w, g = X.numpy(), W.numpy(), G.numpy()
        print("dL/dW =\\n", W.grad.numpy(), "\\nX^T G =\\n", x.T @ g)
        assert np.allclose(W.grad.numpy(), x.T @ g)
        assert np.allclose(X.grad.numpy(), g @ w.T)
        assert np.allclose(b.grad.numpy(), g.sum(axis=0))
        assert W.grad.shape == W.shape and X.grad.shape == X.shape and b.grad.shape == b.shape
        """),
        md("""
        ### Why we never build the Jacobian

        $\\partial Y/\\partial W$ is a 4-d object of shape $(N, M, D, M)$, almost all zeros:
        $\\partial y_{ij}/\\partial w_{uv} = x_{iu}\\,[j = v]$. Contracting it with
        $G$ over $(i, j)$ gives the same $X^\\top G$, at the price of
        $N M D M$ numbers instead of $D M$. For a 1000×1000 layer and a batch of 64 that
        is 64 billion entries; backprop never forms it.
        """),
        code("""
        J = jacobian(lambda w_: X.detach() @ w_, W.detach())
        print("Jacobian dY/dW has shape", J.shape)
        contracted = np.einsum("ij,ijuv->uv", g, J.numpy())
        assert J.shape == (N, M, D, M)
        assert np.allclose(contracted, x.T @ g)
        # the single-entry view (equation 19 of the tutorial): dL/dw11 = sum_i G[i,0] * X[i,0]
        assert np.isclose(W.grad.numpy()[0, 0], (g[:, 0] * x[:, 0]).sum())
        """),
        md("""
        ## 2. The course exercise

        Network: Affine → $f(y) = y^2$ → $L = \\sum f$ (the sheet writes
        "$\\mathrm{Loss}(X) = \\sum_i x_i$": the loss is the sum of *all entries of $f$*),
        with no bias and

        $$X = \\begin{pmatrix}0 & 1\\\\ 2 & 3\\end{pmatrix},\\qquad
          W = \\begin{pmatrix}1 & 1\\\\ 1 & 1\\end{pmatrix}.$$

        By hand: $Y = XW = \\begin{pmatrix}1 & 1\\\\ 5 & 5\\end{pmatrix}$,
        $f = Y^{\\odot 2} = \\begin{pmatrix}1 & 1\\\\ 25 & 25\\end{pmatrix}$, so
        $L = 52$; $\\partial L/\\partial f = \\mathbf 1$;
        $\\partial L/\\partial Y = 2Y = \\begin{pmatrix}2 & 2\\\\ 10 & 10\\end{pmatrix}$;
        $\\partial L/\\partial X = (\\partial L/\\partial Y)\\,W^\\top = \\begin{pmatrix}4 & 4\\\\ 20 & 20\\end{pmatrix}$;
        $\\partial L/\\partial W = X^\\top (\\partial L/\\partial Y) = \\begin{pmatrix}20 & 20\\\\ 32 & 32\\end{pmatrix}$.

        `retain_grad()` keeps the gradients of the intermediate tensors $Y$ and $f$.
        """),
        code("""
        X = ag.tensor([[0.0, 1.0], [2.0, 3.0]], requires_grad=True)
        W = ag.ones((2, 2), requires_grad=True)
        Y = X @ W;   Y.retain_grad()
        f = Y ** 2;  f.retain_grad()
        L = f.sum()
        L.backward()
        for label, t in [("dL/df", f.grad), ("dL/dY", Y.grad), ("dL/dX", X.grad), ("dL/dW", W.grad)]:
            print(label, "=", t.numpy().tolist())
        print("L =", L.item())
        assert L.item() == 52
        assert np.array_equal(f.grad.numpy(), np.ones((2, 2)))
        assert np.array_equal(Y.grad.numpy(), [[2, 2], [10, 10]])
        assert np.array_equal(X.grad.numpy(), [[4, 4], [20, 20]])
        assert np.array_equal(W.grad.numpy(), [[20, 20], [32, 32]])
        """),
        md("""
        The graph with every gradient attached (red), from $L$ back to $X$ and $W$:
        """),
        code("""
        X.name, W.name, Y.name, f.name, L.name = "X", "W", "Y", "f", "L"
        ag.draw_graph(L)
        """),
        md("""
        The engine's own account of the same backward pass: each row is one node, its local
        rule, and what it sends to each input — the `matmul` row is exactly
        $G W^\\top$ for $X$ and $X^\\top G$ for $W$.
        """),
        code("""
        Xe = ag.Tensor(X.numpy(), requires_grad=True, name="X")
        We = ag.Tensor(W.numpy(), requires_grad=True, name="W")
        Ye = Xe @ We; Ye.name = "Y"
        fe = Ye ** 2; fe.name = "f"
        Le = fe.sum(); Le.name = "L"
        print(ag.explain(Le))
        """),
        md("""
        **Which matrix is which.** The sheet's answers (a) 52, (b) ones, (c) [[2, 2], [10, 10]],
        (d) [[4, 4], [20, 20]], (e) [[20, 20], [32, 32]] are all correct, but they are easy to
        mislabel when quoted without their letters: **[[4, 4], [20, 20]] is
        $\\partial L/\\partial X$, not $\\partial L/\\partial W$**, and
        $\\partial L/\\partial W$ is [[20, 20], [32, 32]]. Quoted as a triple
        "52, [[4, 4], [20, 20]], [[20, 20], [32, 32]]" they are $L$, $\\partial L/\\partial X$
        and $\\partial L/\\partial W$; the gradient at the affine output,
        $\\partial L/\\partial Y$, is [[2, 2], [10, 10]]. Shapes cannot tell them
        apart here (everything is 2×2); the formulas can:
        """),
        code("""
        xv, gY = X.numpy(), Y.grad.numpy()
        assert np.array_equal(gY @ W.numpy().T, X.grad.numpy())      # (d) = dL/dY W^T  -> dL/dX
        assert np.array_equal(xv.T @ gY, W.grad.numpy())             # (e) = X^T dL/dY  -> dL/dW
        assert not np.array_equal(X.grad.numpy(), W.grad.numpy())    # the two are different
        # part 1 of the exercise: with a sigmoid instead of the square, dL/dY = dout * s * (1 - s)
        Ys = X.detach() @ W.detach(); Ys.requires_grad_()
        s = ag.sigmoid(Ys); s.sum().backward()
        sv = 1 / (1 + np.exp(-(xv @ np.ones((2, 2)))))
        assert np.allclose(Ys.grad.numpy(), 1.0 * sv * (1 - sv))
        """),
        md("""
        ## 3. Broadcasting's gradient

        NumPy adds the row $b$ to every row of $XW$. Mathematically that is
        $Y = XW + \\mathbf 1_N b$: the bias is *copied* $N$ times. The gradient of a copy is a
        sum, so $\\partial L/\\partial b$ sums $\\partial L/\\partial Y$ over the copied axis.
        The same rule holds for every broadcast: a scalar sums everything, a column
        $(N, 1)$ sums over the columns, a $(1, M)$ row keeps its leading axis of size 1.
        Each gradient has exactly its input's shape.
        """),
        code("""
        ag.manual_seed(1)
        G = ag.randn(4, 3)
        g = G.numpy()
        cases = {"row (3,)": (3,), "row (1, 3)": (1, 3), "column (4, 1)": (4, 1), "scalar ()": ()}
        for label, shape in cases.items():
            bias = ag.zeros(shape, requires_grad=True)
            (ag.zeros((4, 3)) + bias).backward(G)
            print(f"{label:14s} grad shape {bias.grad.shape}:", bias.grad.numpy().ravel())
            expected = np.broadcast_to(g, (4, 3))
            axes = tuple(range(2 - len(shape))) + tuple(
                i + 2 - len(shape) for i, n in enumerate(shape) if n == 1)
            assert bias.grad.shape == shape
            assert np.allclose(bias.grad.numpy(), expected.sum(axis=axes).reshape(shape))
        """),
        md("""
        The copy can be written out as an explicit `broadcast_to` node, or as the matrix
        product $\\mathbf 1_N b$ of the tutorial. All three give the same gradient, and the
        explicit node states its local rule in words:
        """),
        code("""
        b1, b2, b3 = (ag.tensor([1.0, 2.0, 3.0], requires_grad=True) for _ in range(3))
        (ag.zeros((4, 3)) + b1).backward(G)                          # implicit broadcast
        B = ag.broadcast_to(b2, (4, 3)); B.backward(G)               # explicit node
        (ag.ones((4, 1)) @ b3.reshape(1, 3)).backward(G)             # 1_N b, a matmul
        print(B.grad_fn.name, "—", B.grad_fn.rule(0))
        print("dL/db =", b1.grad.numpy(), "= G.sum(axis=0) =", g.sum(axis=0))
        assert np.allclose(b1.grad.numpy(), g.sum(axis=0))
        assert np.allclose(b2.grad.numpy(), b1.grad.numpy())
        assert np.allclose(b3.grad.numpy(), b1.grad.numpy())
        """),
        md("""
        In a layer the broadcast is implicit: the `add` node receives $b$ of shape (3,) and
        the engine reduces the (4, 3) gradient to (3,) on its way to $b$. The drawing shows
        the shapes at both ends of that edge:
        """),
        code("""
        Xl = ag.randn(4, 2); Xl.name = "X"
        Wl = ag.randn(2, 3, requires_grad=True); Wl.name = "W"
        bl = ag.zeros(3, requires_grad=True); bl.name = "b"
        out = Xl @ Wl + bl; out.name = "Y"
        out.backward(G)
        assert np.allclose(bl.grad.numpy(), g.sum(axis=0))
        ag.draw_graph(out)
        """),
        code("""
        fig, axes = plt.subplots(1, 3, figsize=(8, 2.6), gridspec_kw={"width_ratios": [3, 0.4, 3]})
        lim = np.abs(g).max()
        axes[0].imshow(g, cmap="coolwarm", vmin=-lim, vmax=lim)
        axes[0].set_title("upstream dL/dY  (4 x 3)")
        axes[1].text(0.5, 0.5, "sum\\nrows\\n→", ha="center", va="center", fontsize=12)
        axes[1].axis("off")
        axes[2].imshow(g.sum(axis=0, keepdims=True), cmap="coolwarm", vmin=-2 * lim, vmax=2 * lim)
        axes[2].set_title("dL/db  (3,)")
        for i, v in enumerate(g.sum(axis=0)):
            axes[2].text(i, 0, f"{v:.2f}", ha="center", va="center")
        for a in (axes[0], axes[2]):
            a.set_xticks([]); a.set_yticks([])
        plt.tight_layout(); plt.show()
        """),
    ] + more_cells(NAME)
