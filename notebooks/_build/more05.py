"""Notebook 05, second half: max-pool routing and conv-as-im2col stepped, exercises, and the
course's CNN problems (sizes, parameters, receptive fields, compute, ResNet's 1 + r)."""
from nbtools import check, code, exercise, md


def cells(name):
    return [
        md("""
        ## 6. Stepping through pooling and convolution

        ### Max-pool routing (the lecture's example, I2DL Lecture 9 "Pooling layer")

        The slide pools $\\begin{pmatrix}3&1&3&5\\\\6&0&7&9\\\\3&2&1&4\\\\0&2&4&3\\end{pmatrix}$ to
        $\\begin{pmatrix}6&9\\\\3&4\\end{pmatrix}$ (max) and to
        $\\begin{pmatrix}2.5&6\\\\1.75&3\\end{pmatrix}$ (average). Backward, the max-pool node
        sends each upstream number to the one position that won its window (it must
        remember *where* from the forward pass), the average pool a quarter to each.
        """),
        code("""
        from autograd import exercises as ex

        ag.set_default_dtype(np.float64)          # exact arithmetic again after the training above
        slide = np.array([[3, 1, 3, 5], [6, 0, 7, 9], [3, 2, 1, 4], [0, 2, 4, 3]], dtype=float)
        xm = ag.tensor(slide.reshape(1, 1, 4, 4), requires_grad=True); xm.name = "x"
        pooled = F.max_pool2d(xm, 2); pooled.name = "max pool"
        weights = ag.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2))
        out = (pooled * weights).sum(); out.name = "out"
        assert np.array_equal(pooled.numpy()[0, 0], [[6, 9], [3, 4]])
        assert np.array_equal(F.avg_pool2d(ag.tensor(slide.reshape(1, 1, 4, 4)), 2).numpy()[0, 0], [[2.5, 6], [1.75, 3]])
        steps = list(ag.backprop_steps(out, retain_graph=True))
        print([st.op for st in steps])
        print("gradient at the input (upstream 1, 2, 3, 4 routed to the winners):\\n", xm.grad.numpy()[0, 0])
        assert np.array_equal(xm.grad.numpy()[0, 0], [[0, 0, 0, 0], [1, 0, 0, 2], [3, 0, 0, 4], [0, 0, 0, 0]])
        next(st for st in steps if st.node is pooled).draw()
        """),
        md("""
        With unique values, 3 of every 4 inputs of a 2×2 max-pool get a zero derivative: only
        25% differ from zero (I2DL endterm 2022SS, Problem 1.7: "75% of the derivatives
        differ from zero" is false), and the positions of the maxima must be passed from
        the forward pass to the backward.

        ### Convolution as im2col + matrix product

        A convolution is a matrix product in disguise: `unfold` (im2col) copies every
        $k \\times k$ window of the input into a column, and the kernel, flattened to a row
        per output channel, multiplies those columns. Backward, the matmul node sends
        $dW = G\\,\\text{cols}^\\top$ and $d\\text{cols} = W^\\top G$, and the `unfold` node
        scatters each column's gradient back to the pixels it copied (col2im) — a pixel in
        several windows *sums* their contributions.
        """),
        code("""
        ag.manual_seed(0)
        xc = ag.randn(1, 1, 4, 4, requires_grad=True); xc.name = "x"
        wc = ag.randn(2, 1, 3, 3, requires_grad=True); wc.name = "w"
        cols = F.unfold(xc, 3); cols.name = "cols (im2col)"               # (1, 9, 4)
        wrow = wc.reshape(2, 9); wrow.name = "w as rows"                   # (2, 9)
        yc = (wrow @ cols).reshape(1, 2, 2, 2); yc.name = "y"              # (1, 2, 2, 2)
        assert np.allclose(yc.numpy(), F.conv2d(xc.detach(), wc.detach()).numpy())
        gy = ag.randn(1, 2, 2, 2)
        lossc = (yc * gy).sum(); lossc.name = "loss"
        print(ag.explain(lossc))
        lossc.backward(retain_graph=True)                                  # kept for the player below
        xr, wr = xc.detach().requires_grad_(), wc.detach().requires_grad_()
        (F.conv2d(xr, wr) * gy).sum().backward()
        assert np.allclose(xc.grad.numpy(), xr.grad.numpy()) and np.allclose(wc.grad.numpy(), wr.grad.numpy())
        counts = F.fold(F.unfold(ag.ones((1, 1, 4, 4)), 3), (4, 4), 3).numpy()[0, 0]
        print("windows each pixel belongs to (its gradient is a sum of that many terms):\\n", counts)
        """),
        code("""
        ag.viz.play(lossc)
        """),
        md("""
        ## 7. Exercises
        """),
        *exercise("05.1", "write", "the VJP of a 1-d convolution", """
            $y_i = \\sum_j w_j x_{i+j}$ (one channel, no padding). Return `(dx, dw)` for
            `x` of shape $(1, 1, 8)$ and `w` of shape $(1, 1, 3)$: $dw_j = \\sum_i g_i x_{i+j}$,
            and each $x_m$ collects $g_i w_j$ from every $(i, j)$ with $i + j = m$.
            """, '''
            def conv1d_vjp(g, x, w):
                ...
            ''', name),
        check("05.1", """
        rng = np.random.default_rng(0)
        ex.check_vjp(conv1d_vjp, F.conv1d, rng.normal(size=(1, 1, 8)), rng.normal(size=(1, 1, 3)),
                     names=["x", "w"], exercise="05.1")
        """),
        *exercise("05.2", "write", "the VJP of 2×2 max-pooling", """
            `maxpool_vjp(g, x)` for `F.max_pool2d(x, 2)` on `x` of shape $(N, C, H, W)$ with
            even $H, W$: route each upstream value to the position of its window's maximum.
            """, '''
            def maxpool_vjp(g, x):
                ...
            ''', name),
        check("05.2", """
        xp5 = np.random.default_rng(1).permutation(2 * 3 * 4 * 6).reshape(2, 3, 4, 6).astype(float)   # no ties
        ex.check_vjp(maxpool_vjp, lambda x: F.max_pool2d(x, 2), xp5, exercise="05.2")
        """),
        *exercise("05.3", "write", "im2col", """
            `im2col(x, k)` for `x` of shape $(N, C, H, W)$: return the $(N, Ck^2, L)$ array
            whose column $l$ is the $C \\times k \\times k$ window at output position $l$
            (row-major over the output grid, stride 1, no padding), flattened in the order
            channel, row, column — what `F.unfold` returns.
            """, '''
            def im2col(x, k):
                ...
            ''', name),
        check("05.3", """
        x53 = np.arange(2 * 2 * 4 * 5, dtype=float).reshape(2, 2, 4, 5)
        ex.check_function(lambda: im2col(x53, 3), F.unfold(ag.tensor(x53), 3).numpy(), name="im2col",
                          exercise="05.3")
        """),
        md("""
        ## 8. The course's CNN problems

        ### Output sizes and parameters

        $\\lfloor (N + 2P - F)/S \\rfloor + 1$ (I2DL Lecture 9): $N = 7$, $F = 3$ gives 5 with
        stride 1, 3 with stride 2, and $2.\\overline3$ with stride 3 ("fractions are illegal";
        frameworks floor it to 2 and ignore the leftover column); $32 \\times 32 \\times 3$ with
        ten $5\\times5$ filters, padding 2: $32 \\times 32 \\times 10$ and $10(5\\cdot5\\cdot3 + 1) = 760$
        parameters; the lecture summary's $64 \\times 64$, $F = 3$, $P = 1$, $S = 2$:
        $\\lfloor 31.5 \\rfloor + 1 = 32$; a $1\\times1$ kernel with weight 2 doubles the image.
        The weight tensor of 4 filters of size 5 on RGB: the slides answer $(3, 4, 5, 5)$,
        PyTorch and glassgrad store $(4, 3, 5, 5)$ = (out, in, height, width) (the 2020 endterm,
        Problem 4c, accepts both orders). Likewise the 2021 endterm's (Problem 3.1) fully
        connected layer from $100\\cdot4\\cdot4$ to $40\\cdot4\\cdot4$ features is "$1600 \\times 640$";
        `nn.Linear` stores it as $(640, 1600)$.
        """),
        code("""
        def out_hw(layer, n):
            return layer(ag.zeros((1, layer.in_channels, n, n))).shape[-1]

        assert [out_hw(nn.Conv2d(1, 1, 3, stride=s), 7) for s in (1, 2, 3)] == [5, 3, 2]
        c760 = nn.Conv2d(3, 10, 5, padding=2)
        assert out_hw(c760, 32) == 32 and sum(p.numel() for p in c760.parameters()) == 760
        assert out_hw(nn.Conv2d(3, 1, 3, stride=2, padding=1), 64) == 32
        assert nn.Conv2d(3, 4, 5).weight.shape == (4, 3, 5, 5)
        assert nn.Linear(100 * 4 * 4, 40 * 4 * 4).weight.shape == (640, 1600)   # endterm 2021, 3.1: 1600 x 640
        one = nn.Conv2d(1, 1, 1, bias=False); one.weight.data[...] = 2.0
        img = ag.tensor(np.array([[-5, 3, 2, -5, 3], [4, 3, 2, 1, -3], [1, 0, 3, 3, 5], [-2, 0, 1, 4, 4],
                                  [5, 6, 7, 9, -1]], dtype=float).reshape(1, 1, 5, 5))
        assert np.array_equal(one(img).numpy(), 2 * img.numpy())
        """),
        *exercise("05.4", "predict", "five exam questions on sizes", """
            (a) I2DL Mock Exam 2020, Part II.7: 8 filters of size 6, stride 2, padding 1, on
            $32\\times32\\times32$: output $H = W = $ ? (b) Endterm 11 Aug 2020, 4b: 5 filters of
            size 7, stride 3, padding 1 on $26\\times26\\times26$: $H$? (c) Endterm 13 July 2021,
            2.6: 6 filters of size 5, stride 3, padding 2 on $28\\times28\\times28$: $H$?
            (d) 2021, 2.7: parameters of a conv with 3 input channels, 5 filters, kernel 4
            (with bias)? (e) Endterm 2022SS, 1.3: parameters of one $1\\times1$ filter, with
            bias, on a $16\\times32\\times64\\times64$ batch?
            """, 'answer = {"a": ..., "b": ..., "c": ..., "d": ..., "e": ...}', name),
        check("05.4", """
        def out_size(c_in, k, s, p, n):
            return nn.Conv2d(c_in, 1, k, stride=s, padding=p)(ag.zeros((1, c_in, n, n))).shape[-1]

        ex.check_value(answer, {"a": out_size(32, 6, 2, 1, 32), "b": out_size(26, 7, 3, 1, 26),
                                "c": out_size(28, 5, 3, 2, 28),
                                "d": sum(p.numel() for p in nn.Conv2d(3, 5, 4, stride=2, padding=1).parameters()),
                                "e": sum(p.numel() for p in nn.Conv2d(32, 1, 1).parameters())}, exercise="05.4")
        """),
        md("""
        All five printed answers are right: $15 \\times 15 \\times 8$, $8 \\times 8 \\times 5$,
        $6 \\times 10 \\times 10$, 245 and 33.

        ### Receptive fields

        The receptive field of an output is the set of input pixels it depends on — the
        support of its gradient, which backprop computes exactly. With all-ones kernels,
        average pools in place of max-pools (same windows, but a max routes its gradient to
        one winner) and no nonlinearity nothing cancels, so the non-zero gradient of one
        output pixel *is* its receptive field. The recursion of the lecture summary,
        $r_k = r_{k-1} + (\\prod_{i<k} s_i)(f_k - 1)$, predicts the same numbers:
        """),
        code("""
        def receptive_field(layers, n=64):
            \"\"\"Side of the input region one central output pixel depends on (via its gradient).\"\"\"
            x = ag.zeros((1, 1, n, n), requires_grad=True)
            h = x
            for kind, k, s in layers:
                if kind == "conv":
                    h = F.conv2d(h, ag.ones((1, 1, k, k)), stride=s)
                else:
                    h = F.avg_pool2d(h, k, stride=s)    # same window as a max-pool, but every input counts
            c = h.shape[-1] // 2
            h[0, 0, c, c].backward()
            rows = np.nonzero(np.abs(x.grad.numpy()[0, 0]).sum(1))[0]
            return rows.max() - rows.min() + 1

        def recursion(layers):
            r, jump = 1, 1
            for _, k, s in layers:
                r, jump = r + jump * (k - 1), jump * s
            return r

        cases = {"two 3x3 convs (lecture)": [("conv", 3, 1)] * 2,
                 "three 3x3 convs (endterm 2020, 4d)": [("conv", 3, 1)] * 3,
                 "5x5 conv + 2x2 pool (endterm 2022SS, 4.7)": [("conv", 5, 1), ("pool", 2, 2)],
                 "4x4 conv stride 2 + 2x2 pool (endterm 2021, 3.2)": [("conv", 4, 2), ("pool", 2, 2)]}
        for label, layers in cases.items():
            print(f"{label:48s} receptive field {receptive_field(layers)} (recursion {recursion(layers)})")
            assert receptive_field(layers) == recursion(layers)
        assert [receptive_field(l) for l in cases.values()] == [5, 7, 6, 6]
        """),
        md("""
        The printed answers 5×5, 7×7, 6×6 and 6×6 are right (the 2022SS solution's steps
        read "$r_1 = 3 \\to r_2 = r_1 + s_1 s_2 (f_2 - 1) = 5 + 1\\cdot(2 - 1) = 6$": $r_1$ is the
        kernel size 5, and the product runs over the strides *before* layer 2, i.e. just
        $s_1$; the result 6 stands). *Deep Learning HW2, Problem 4.6* answers 21 with
        $2(2(2(1\\times2 - 1) + 3) - 1) + 3$: its steps grow a receptive field by 3 for a
        $3\\times3$ convolution (it is 2: $f - 1$) and by "$\\times 2 - 1$" for a $2\\times2$ pool
        (it is $+1$ times the jump, then the jump doubles). The figure of that problem is
        not reproduced here, but any stack of $3\\times3$ stride-1 convolutions and
        $2\\times2$ stride-2 pools with at least one pool has an **even** receptive field
        (before the first pool every step adds 2, the first pool adds 1, after it every
        step adds a multiple of 2), so 21 cannot be right for such a network:
        """),
        code("""
        from itertools import product

        odd = []
        for depth in range(1, 7):
            for kinds in product(["conv", "pool"], repeat=depth):
                layers = [("conv", 3, 1) if k == "conv" else ("pool", 2, 2) for k in kinds]
                if "pool" in kinds and recursion(layers) % 2 == 1:
                    odd.append(kinds)
        print("stacks with a pool and an odd receptive field:", odd)
        assert odd == []
        assert receptive_field([("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1), ("pool", 2, 2)]) == 10
        """),
        *exercise("05.5", "predict", "receptive fields", """
            Predict the receptive field (side, in input pixels) of one output of (a) four
            $3\\times3$ convolutions, stride 1; (b) conv $3\\times3$ → pool $2\\times2$ →
            conv $3\\times3$ → pool $2\\times2$ → conv $3\\times3$.
            """, 'answer = {"a": ..., "b": ...}', name),
        check("05.5", """
        c3, p2 = ("conv", 3, 1), ("pool", 2, 2)
        ex.check_value(answer, {"a": receptive_field([c3] * 4), "b": receptive_field([c3, p2, c3, p2, c3])},
                       exercise="05.5")
        """),
        md("""
        ### The MNIST-sums network (I2DL endterm 2022SS, Problem 4)

        Two stacked digit images ($2 \\times 28 \\times 28$) → Conv2d(2, 8) → MaxPool(2) → BN →
        ReLU → Conv2d(8, 16) → MaxPool(2) → BN → ReLU → Flatten → Linear($k$, $n$) with
        size-preserving convolutions ($k = 3$, $s = 1$, $p = 1$): $n = 19$ possible sums,
        $k = 16 \\cdot 7 \\cdot 7 = 784$. The printed 4.5 ("kernel size 28, padding 0, stride 0")
        has an impossible stride 0 (the size formula divides by it); with stride 1 a
        $28\\times28$ kernel sees the whole image once and *is* a fully connected layer. And
        4.10's imbalance in numbers: of the 100 digit pairs, 7 sum to 12 but only one to 18.
        """),
        code("""
        sums_net = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.MaxPool2d(2), nn.BatchNorm2d(8), nn.ReLU(),
                                 nn.Conv2d(8, 16, 3, padding=1), nn.MaxPool2d(2), nn.BatchNorm2d(16), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(16 * 7 * 7, 19))
        assert sums_net(ag.zeros((3, 2, 28, 28))).shape == (3, 19)
        conv_fc = nn.Conv2d(2, 100, 28)                              # stride 1 (any stride: one position)
        lin = nn.Linear(2 * 28 * 28, 100)
        lin.weight.data[...] = conv_fc.weight.numpy().reshape(100, -1); lin.bias.data[...] = conv_fc.bias.numpy()
        pair = ag.randn(4, 2, 28, 28)
        assert np.allclose(conv_fc(pair).numpy().reshape(4, 100), lin(pair.reshape(4, -1)).numpy())
        counts = np.bincount(np.add.outer(np.arange(10), np.arange(10)).ravel(), minlength=19)
        print("pairs per sum 0..18:", counts)
        assert counts[12] == 7 and counts[18] == 1 and counts.sum() == 100
        """),
        md("""
        ### The RGB classifier (I2DL endterm 8 February 2022, Problem 4)

        Conv2d(3, 8) → MaxPool(2) → BN → ReLU, twice more with 16 and 32 channels, Flatten,
        Linear($x$, 4), on $80 \\times 80$ images: the printed answers $4x + 4$, $x = 32 \\cdot 10 \\cdot 10 = 3200$,
        $3\\cdot3\\cdot3\\cdot8 + 8 = 224$ and $2(8 + 16 + 32) = 112$ BatchNorm parameters are right.
        (And 2022 Feb, Problem 1.3: a fully convolutional network has the same parameters
        for any input size.)
        """),
        code("""
        rgb_net = nn.Sequential(*[m for a, b in [(3, 8), (8, 16), (16, 32)] for m in
                                  (nn.Conv2d(a, b, 3, padding=1), nn.MaxPool2d(2), nn.BatchNorm2d(b), nn.ReLU())],
                                nn.Flatten())
        x_feat = rgb_net(ag.zeros((2, 3, 80, 80))).shape[1]
        assert x_feat == 3200 and sum(p.numel() for p in nn.Linear(x_feat, 4).parameters()) == 4 * 3200 + 4
        assert sum(p.numel() for p in rgb_net[0].parameters()) == 224
        assert sum(p.numel() for m in rgb_net if isinstance(m, nn.BatchNorm2d) for p in m.parameters()) == 112
        fcn = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 5, 1))
        assert fcn(ag.zeros((1, 3, 16, 16))).shape[-1] == 16 and fcn(ag.zeros((1, 3, 32, 32))).shape[-1] == 32
        """),
        md("""
        ### Computation: multiply-adds, not only parameters

        A convolution costs (output elements) × (inputs per output) =
        $H_{out} W_{out} C_{out} \\cdot (C_{in}/g) k^2$ multiply-adds — exactly the size of the
        im2col matrix product of section 6. For a depthwise-separable block (depthwise
        $k\\times k$, then $1\\times1$) over a standard convolution the ratio is
        $\\frac{k^2 C_{in} + C_{in} C_{out}}{k^2 C_{in} C_{out}} = \\frac1{C_{out}} + \\frac1{k^2}$,
        the $\\frac1N + \\frac1{D_K^2}$ of the MobileNet paper (Deep Learning HW2, Problem 5.5).

        * I2DL Lecture 10 ("Depth-wise separable convolutions: but why?"): 256 filters
          $5\\times5\\times3$ on $8\\times8$ positions cost $1{,}228{,}800$; depthwise $4{,}800$ plus
          $1\\times1$ $49{,}152$ — ratio $0.0439 = \\frac1{256} + \\frac1{25}$.
        * Lecture 10 (Inception): a $5\\times5$ conv from 200 to 92 channels on $32\\times32$:
          ~470 million; with a $1\\times1$ reduction to 16 channels first: ~40 million.
        * Deep Learning HW2, Problem 5.3 (three layers 3 → 64 → 128 → 256, $4\\times4$ kernels,
          outputs $256^2$, $128^2$, $64^2$): separable $309{,}329{,}920$, standard
          $4{,}496{,}293{,}888$ multiply-adds, 14.5× (and 15× fewer parameters, section 3) — the
          homework's numbers are right.
        """),
        code("""
        def macs(c_in, c_out, k, out_hw, groups=1):
            return out_hw ** 2 * c_out * (c_in // groups) * k * k

        # the formula is the size of the im2col product of a real layer
        conv_t = nn.Conv2d(6, 4, 3, groups=2, bias=False)
        y_t = conv_t(ag.zeros((1, 6, 9, 9)))
        assert macs(6, 4, 3, y_t.shape[-1], groups=2) == y_t.numpy().size * (6 // 2) * 9

        std = macs(3, 256, 5, 8); sep = macs(3, 3, 5, 8, groups=3) + macs(3, 256, 1, 8)
        assert (std, macs(3, 3, 5, 8, groups=3), macs(3, 256, 1, 8)) == (1_228_800, 4_800, 49_152)
        assert np.isclose(sep / std, 1 / 256 + 1 / 25)
        inception = (macs(200, 92, 5, 32), macs(200, 16, 1, 32) + macs(16, 92, 5, 32))
        print(f"inception: {inception[0]:,} vs {inception[1]:,} multiply-adds")
        assert round(inception[0] / 1e6) == 471 and round(inception[1] / 1e6) == 41

        chans, sizes = [3, 64, 128, 256], [256, 128, 64]
        sep_hw = sum(macs(a, a, 4, n, groups=a) + macs(a, b, 1, n) for a, b, n in zip(chans, chans[1:], sizes))
        std_hw = sum(macs(a, b, 4, n) for a, b, n in zip(chans, chans[1:], sizes))
        print(f"HW2 5.3: separable {sep_hw:,}, standard {std_hw:,}, ratio {std_hw / sep_hw:.2f}")
        assert (sep_hw, std_hw) == (309_329_920, 4_496_293_888)
        for a, b, n in zip(chans, chans[1:], sizes):        # each layer: 1/N + 1/D_K^2
            assert np.isclose((macs(a, a, 4, n, groups=a) + macs(a, b, 1, n)) / macs(a, b, 4, n), 1 / b + 1 / 16)
        """),
        md("""
        ### VGG-16 and ResNet-18 (I2DL Lecture 10; endterm 11 August 2020, Problem 1a)

        VGG-16 has 138 million parameters (the lecture's table: 138M for configuration D),
        ResNet-18 11.7 million — so "ResNet18 has 11 million parameters more than VGG16" is
        false by a factor of 12 the other way. Counted layer by layer with the same
        formulas the layers use (checked on one layer of each kind):
        """),
        code("""
        def conv_params(a, b, k, bias=True):
            return b * a * k * k + (b if bias else 0)

        assert conv_params(64, 128, 3) == sum(p.numel() for p in nn.Conv2d(64, 128, 3).parameters())
        assert conv_params(64, 128, 1, bias=False) == nn.Conv2d(64, 128, 1, bias=False).weight.numel()
        vgg_convs = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
                     (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
        vgg16 = sum(conv_params(a, b, 3) for a, b in vgg_convs) + \\
            (512 * 7 * 7 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
        bn = lambda c: 2 * c                                              # noqa: E731
        block = lambda a, b: conv_params(a, b, 3, False) + bn(b) + conv_params(b, b, 3, False) + bn(b) + (
            conv_params(a, b, 1, False) + bn(b) if a != b else 0)          # noqa: E731
        resnet18 = conv_params(3, 64, 7, False) + bn(64) + sum(
            block(a, b) + block(b, b) for a, b in [(64, 64), (64, 128), (128, 256), (256, 512)]) + 512 * 1000 + 1000
        print(f"VGG-16 {vgg16:,}   ResNet-18 {resnet18:,}")
        assert (vgg16, resnet18) == (138_357_544, 11_689_512)
        """),
        md("""
        ### The lecture notes' LeNet code (ECE 544NA, Lecture 11)

        The notes' `Net` calls `self.num_flat_features(x)`, a method they never define (it
        comes from PyTorch's tutorial). With only the imports changed it runs in glassgrad
        up to that line; adding the method makes it work, with LeNet's 61,706 parameters:
        """),
        code("""
        class Net(nn.Module):
            def __init__(self):
                super(Net, self).__init__()
                self.conv1 = nn.Conv2d(1, 6, 5)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 84)
                self.fc3 = nn.Linear(84, 10)

            def forward(self, x):
                x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
                x = F.max_pool2d(F.relu(self.conv2(x)), 2)
                x = x.view(-1, self.num_flat_features(x))
                x = F.relu(self.fc1(x))
                x = F.relu(self.fc2(x))
                x = self.fc3(x)
                return x

        try:
            Net()(ag.zeros((1, 1, 32, 32)))
        except AttributeError as e:
            print("as printed:", e)

        class TutorialNet(Net):
            def num_flat_features(self, x):
                return int(np.prod(x.shape[1:]))

        net = TutorialNet()
        assert net(ag.zeros((2, 1, 32, 32))).shape == (2, 10)
        assert sum(p.numel() for p in net.parameters()) == 61706
        """),
        md("""
        ### Why residual blocks help: $1 + \\partial r/\\partial x$ (endterm 11 August 2020, Problem 4g; endterm 2021, Problem 4.4)

        $H(x) = x + R(x)$ with $R = l_2 \\circ l_1$: $\\partial H/\\partial x = 1 + r$ where
        $r = \\partial R/\\partial x$. Through a stack of blocks the gradient is a product of
        factors $(1 + r_i)$ instead of $r_i$: with small $r_i$ the plain product vanishes,
        the residual one stays near 1. (The 2021 solution's final line
        "$(w_3 w_2 + 1)w_1 x$" mixes up the indices of its own definitions — its figure is
        not reproduced here — but the structure it shows, a "+1" path past each block, is
        exactly this.)
        """),
        code("""
        ag.manual_seed(0)
        l1, l2 = ag.randn(4, 4) * 0.1, ag.randn(4, 4) * 0.1
        xr5 = ag.randn(4, requires_grad=True)
        R = l2 @ ag.tanh(l1 @ xr5)
        from autograd.functional import jacobian
        r = jacobian(lambda v: l2 @ ag.tanh(l1 @ v), xr5.detach()).numpy()
        Hj = jacobian(lambda v: v + l2 @ ag.tanh(l1 @ v), xr5.detach()).numpy()
        assert np.allclose(Hj, np.eye(4) + r)                           # dH/dx = 1 + r

        def depth_gradient(residual, depth=30):
            x0 = ag.ones(4, requires_grad=True)
            h = x0
            for _ in range(depth):
                h = (h if residual else 0) + l2 @ ag.tanh(l1 @ h)
            h.sum().backward()
            return np.abs(x0.grad.numpy()).mean()

        plain, res = depth_gradient(False), depth_gradient(True)
        print(f"|dh_30/dx| through 30 blocks: plain {plain:.1e}, residual {res:.2f}")
        assert plain < 1e-20 and 0.1 < res < 10
        """),
    ]
