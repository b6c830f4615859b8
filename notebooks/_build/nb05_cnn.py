"""05 — convolutions: by hand vs the layers, sizes and parameter counts, pooling, a small CNN."""
from more05 import cells as more_cells
from nbtools import code, md, setup

NAME = "05_cnn"


def cells():
    return [
        md("""
        # 05 · Convolutional networks

        A convolution layer slides a small kernel over its input and takes a dot product at
        every position (deep-learning "convolution" is cross-correlation: the kernel is not
        flipped; the course's kernels are symmetric, so the distinction does not show).
        This notebook recomputes the course's examples with `nn.Conv1d`/`nn.Conv2d`, checks
        the output-size and parameter-count formulas against the layers (LeNet: 61,706
        parameters), shows where pooling sends gradients, and trains a small CNN on the
        8×8 digits.
        """),
        setup("""
        import autograd as ag
        import nn
        import nn.functional as F
        import optim
        from nn.data import DataLoader, TensorDataset, load_digits, train_test_split
        from glassgrad.training import fit

        ag.set_default_dtype(np.float64)   # exact arithmetic for the worked examples
        """),
        md("""
        ## 1. The box filter (1-d)

        Signal $[4, 3, 2, -5, 3, 5, 2, 5, 5, 6]$, kernel $[\\tfrac13, \\tfrac13, \\tfrac13]$.
        "Shrink" (no padding) gives 8 outputs $[3, 0, 0, 1, \\tfrac{10}{3}, 4, 4, \\tfrac{16}{3}]$;
        zero padding of 1 keeps 10, adding $\\tfrac73$ and $\\tfrac{11}{3}$ at the ends. By hand with
        a sliding window, then with the layer (weights set to the kernel, no bias):
        """),
        code("""
        signal = np.array([4, 3, 2, -5, 3, 5, 2, 5, 5, 6], dtype=float)
        box = np.full(3, 1 / 3)
        by_hand = np.array([signal[i:i + 3] @ box for i in range(len(signal) - 2)])

        conv = nn.Conv1d(1, 1, kernel_size=3, bias=False)
        conv.weight.data[...] = box.reshape(1, 1, 3)            # (out, in, k)
        shrink = conv(ag.tensor(signal.reshape(1, 1, -1))).numpy().ravel()
        conv_pad = nn.Conv1d(1, 1, kernel_size=3, padding=1, bias=False)
        conv_pad.weight.data[...] = box.reshape(1, 1, 3)
        padded = conv_pad(ag.tensor(signal.reshape(1, 1, -1))).numpy().ravel()
        print("by hand:", by_hand, "\\nshrink: ", shrink, "\\npadded: ", padded)
        assert np.allclose(by_hand, [3, 0, 0, 1, 10 / 3, 4, 4, 16 / 3])
        assert np.allclose(shrink, by_hand)
        assert np.allclose(padded, [7 / 3, 3, 0, 0, 1, 10 / 3, 4, 4, 16 / 3, 11 / 3])
        """),
        md("""
        ## 2. The sharpen kernel on the course's 5×5 image

        The slides work out two entries, $1 = 5\\cdot 2 - 2 - 3 - 1 - 3$ and
        $9 = 5\\cdot 3 - 2 - 0 - 3 - 1$, and show $6, 1, 8, -7, 9$; here is the whole 3×3 output.
        """),
        code("""
        image = np.array([[-5, 3, 2, -5, 3],
                          [4, 3, 2, 1, -3],
                          [1, 0, 3, 3, 5],
                          [-2, 0, 1, 4, 4],
                          [5, 6, 7, 9, -1]], dtype=float)
        sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float)
        by_hand = np.array([[np.sum(image[i:i + 3, j:j + 3] * sharpen) for j in range(3)]
                            for i in range(3)])
        conv2 = nn.Conv2d(1, 1, kernel_size=3, bias=False)
        conv2.weight.data[...] = sharpen.reshape(1, 1, 3, 3)     # (out, in, kh, kw)
        out = conv2(ag.tensor(image.reshape(1, 1, 5, 5))).numpy()[0, 0]
        print(out)
        assert np.array_equal(by_hand, out)
        assert np.array_equal(out, [[6, 1, 8], [-7, 9, 2], [-5, -9, 3]])
        """),
        md("""
        ### The gradient of a convolution is a convolution

        For $z_i = \\sum_j w_j x_{i+j}$ with $N$ inputs and a kernel of size $K$ there are
        $N - K + 1$ outputs, $i = 0, \\dots, N-K$, and
        $\\partial L/\\partial w_j = \\sum_{i=0}^{N-K} \\frac{\\partial L}{\\partial z_i}\\, x_{i+j}$:
        the input correlated with the upstream gradient. (Deep Learning HW2, Problem 2, writes the
        upper limit as $N - K + 1$, one term too many: $z_{N-K+1}$ does not exist.)
        """),
        code("""
        ag.manual_seed(0)
        x = ag.randn(1, 1, 10)
        c = nn.Conv1d(1, 1, kernel_size=3, bias=False)
        z = c(x)
        gz = ag.randn(*z.shape)
        z.backward(gz)
        N, K = 10, 3
        xv, gv = x.numpy().ravel(), gz.numpy().ravel()
        manual = np.array([sum(gv[i] * xv[i + j] for i in range(N - K + 1)) for j in range(K)])
        print("autograd:", c.weight.grad.numpy().ravel(), " formula:", manual)
        assert z.shape[-1] == N - K + 1
        assert np.allclose(c.weight.grad.numpy().ravel(), manual)
        """),
        md("""
        ## 3. Output sizes and parameter counts

        $H_{out} = \\left\\lfloor \\frac{H_{in} + 2p - d(k - 1) - 1}{s} \\right\\rfloor + 1$ (with
        dilation $d = 1$ this is the course's $\\frac{N - F}{S} + 1$ plus padding), and a
        convolution has $C_{out}\\,(C_{in}/g)\\,k_h k_w$ weights plus $C_{out}$ biases. Checked
        against the layers for a few settings:
        """),
        code("""
        def out_size(h, k, s=1, p=0, d=1):
            return (h + 2 * p - d * (k - 1) - 1) // s + 1

        rows = []
        for h, k, s, p, d in [(32, 5, 1, 0, 1), (28, 2, 2, 0, 1), (32, 3, 1, 1, 1), (7, 3, 2, 1, 1),
                              (9, 3, 1, 0, 2), (8, 3, 3, 0, 1)]:
            layer = nn.Conv2d(2, 4, kernel_size=k, stride=s, padding=p, dilation=d)
            got = layer(ag.zeros((1, 2, h, h))).shape[-1]
            rows.append((h, k, s, p, d, out_size(h, k, s, p, d), got))
            assert got == out_size(h, k, s, p, d)
            assert sum(q.numel() for q in layer.parameters()) == 4 * 2 * k * k + 4
        print(" H  k  s  p  d | formula layer")
        for r in rows:
            print("{:2d} {:2d} {:2d} {:2d} {:2d} | {:5d} {:5d}".format(*r))
        """),
        md("""
        **LeNet** as written in the lecture notes (ECE 544NA, Lecture 11) (conv 1→6 5×5, max-pool 2, conv 6→16 5×5,
        max-pool 2, then 400→120→84→10) on a 32×32 input: 156 + 2,416 + 48,120 + 10,164 + 850 =
        **61,706** parameters — the "60k parameters" of the slides.
        """),
        code("""
        lenet = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),       # 32 -> 28 -> 14
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),      # 14 -> 10 -> 5
            nn.Flatten(),                                         # 16 * 5 * 5 = 400
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
        counts = {name: p.numel() for name, p in lenet.named_parameters()}
        print(counts)
        total = sum(counts.values())
        print("total", total, "| output shape", lenet(ag.zeros((2, 1, 32, 32))).shape)
        assert total == 61706
        """),
        md("""
        **Depthwise-separable vs standard convolutions** (the MobileNet question of
        Deep Learning HW2, Problem 5.2): three layers 3→64→128→256 with 4×4 kernels and no biases. Separable:
        a depthwise 4×4 conv (`groups = C_in`) then a 1×1 pointwise conv, 44,272 parameters;
        standard: 658,432 — the homework's numbers, about 15× fewer.
        """),
        code("""
        def separable(cin, cout):
            return [nn.Conv2d(cin, cin, 4, groups=cin, bias=False), nn.Conv2d(cin, cout, 1, bias=False)]

        chans = [3, 64, 128, 256]
        sep = nn.Sequential(*[m for a, b in zip(chans, chans[1:]) for m in separable(a, b)])
        std = nn.Sequential(*[nn.Conv2d(a, b, 4, bias=False) for a, b in zip(chans, chans[1:])])
        n_sep = sum(p.numel() for p in sep.parameters())
        n_std = sum(p.numel() for p in std.parameters())
        print(f"separable {n_sep:,}  standard {n_std:,}  ratio {n_std / n_sep:.1f}")
        assert (n_sep, n_std) == (44272, 658432)
        """),
        md("""
        ## 4. Pooling routes gradients

        Max pooling passes each upstream gradient to the single input that won its window
        (the others get 0); average pooling spreads it evenly ($\\tfrac14$ each for 2×2).
        Neither has parameters: pooling shrinks the *activations* (the ECE 544NA lecture
        notes say it "reduces the number of parameters" — only indirectly, by making the
        following fully connected layer smaller).
        """),
        code("""
        ag.manual_seed(3)
        xp = ag.tensor(np.array([[1, 5, 2, 0], [3, 2, 8, 1], [0, 1, 4, 6], [7, 2, 3, 5]],
                                dtype=float).reshape(1, 1, 4, 4), requires_grad=True)
        nn.MaxPool2d(2)(xp).sum().backward()
        max_grad = xp.grad.numpy()[0, 0].copy(); xp.grad = None
        nn.AvgPool2d(2)(xp).sum().backward()
        avg_grad = xp.grad.numpy()[0, 0]

        fig, axes = plt.subplots(1, 3, figsize=(8, 2.8))
        for ax, m, title in [(axes[0], xp.numpy()[0, 0], "input (2x2 windows)"),
                             (axes[1], max_grad, "grad through max pool"),
                             (axes[2], avg_grad, "grad through avg pool")]:
            ax.imshow(m, cmap="Blues"); ax.set_title(title, fontsize=9)
            for (i, j), v in np.ndenumerate(m):
                ax.text(j, i, f"{v:g}", ha="center", va="center")
            ax.axhline(1.5, c="k"); ax.axvline(1.5, c="k"); ax.set_xticks([]); ax.set_yticks([])
        plt.tight_layout(); plt.show()
        assert np.array_equal(max_grad, [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]])
        assert np.allclose(avg_grad, 0.25)
        assert not list(nn.MaxPool2d(2).parameters())
        """),
        md("""
        ## 5. A small CNN on the digits

        Two conv–ReLU–max-pool blocks (1→8→16 channels, 3×3 kernels, padding 1) and one linear
        layer: 8×8 → 4×4 → 2×2 → 64 features → 10 classes: 80 + 1,168 + 650 = 1,898 parameters.
        """),
        code("""
        ag.set_default_dtype(np.float32)                       # speed for training
        X, y = load_digits(images=True)                         # (N, 1, 8, 8)
        X = X / 16.0
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=0, stratify=y)
        ag.manual_seed(0)
        cnn = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # (8, 4, 4)
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # (16, 2, 2)
            nn.Flatten(), nn.Linear(64, 10))
        print("parameters:", sum(p.numel() for p in cnn.parameters()))
        train_loader = DataLoader(TensorDataset(X_tr, y_tr), batch_size=64, shuffle=True, seed=0)
        test_loader = DataLoader(TensorDataset(X_te, y_te), batch_size=450)
        hist = fit(cnn, optim.Adam(cnn.parameters(), lr=1e-2), nn.CrossEntropyLoss(), train_loader,
                   epochs=12, val_loader=test_loader, progress=False)
        print(f"test accuracy {hist.last('val_acc'):.3f}")
        assert sum(p.numel() for p in cnn.parameters()) == 1898
        assert hist.last("val_acc") > 0.93
        """),
        code("""
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 2.8))
        a1.plot(hist["epoch"], hist["train_loss"], label="train"); a1.plot(hist["epoch"], hist["val_loss"], label="test")
        a1.set_yscale("log"); a1.set_title("loss"); a1.legend(); a1.set_xlabel("epoch")
        a2.plot(hist["epoch"], hist["train_acc"], label="train"); a2.plot(hist["epoch"], hist["val_acc"], label="test")
        a2.set_title("accuracy"); a2.legend(); a2.set_xlabel("epoch")
        plt.tight_layout(); plt.show()
        """),
        md("""
        The learned first-layer filters, and what each one makes of a test digit (feature maps
        after ReLU). They are only 3×3 on an 8×8 image; several are oriented differences (one
        side positive, the other negative) like the edge detectors of the course's "image
        filters" slide, and their maps light up on strokes of matching orientation.
        """),
        code("""
        filters = cnn[0].weight.numpy()[:, 0]                   # (8, 3, 3)
        with ag.no_grad():
            maps = cnn[1](cnn[0](ag.tensor(X_te[:1]))).numpy()[0]   # (8, 8, 8)
        fig, axes = plt.subplots(2, 9, figsize=(10, 2.6))
        axes[0, 0].imshow(X_te[0, 0], cmap="gray_r"); axes[0, 0].set_title(f"digit {y_te[0]}", fontsize=8)
        axes[1, 0].axis("off")
        for k in range(8):
            lim = np.abs(filters[k]).max()
            axes[0, k + 1].imshow(filters[k], cmap="seismic", vmin=-lim, vmax=lim)
            axes[0, k + 1].set_title(f"filter {k}", fontsize=8)
            axes[1, k + 1].imshow(maps[k], cmap="gray_r")
        for ax in axes.ravel():
            ax.set_xticks([]); ax.set_yticks([])
        plt.tight_layout(); plt.show()
        """),
        md("""
        Finally the graph of one forward/backward pass with every layer of the `Sequential`
        drawn as one box (`collapse=0`). Inside, the convolutions are built from `unfold` (a
        strided view of the sliding windows) and `einsum`, so their backward needs no code of
        its own; the input does not require a gradient, so its unfolded windows enter the
        graph as a constant.
        """),
        code("""
        loss = nn.CrossEntropyLoss()(cnn(ag.tensor(X_te[:2])), ag.tensor(y_te[:2]))
        loss.backward()
        ag.draw_graph(loss, collapse=0)
        """),
    ] + more_cells(NAME)
