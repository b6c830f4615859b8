"""04 — an MLP on the shipped digits: training curves, initialisation, L2 regularisation."""
from more04 import cells as more_cells
from nbtools import code, md, setup

NAME = "04_mlp_digits"


def cells():
    return [
        md("""
        # 04 · An MLP on the 8×8 digits: curves, initialisation, L2

        glassgrad ships the 1797 handwritten 8×8 digits (`nn.data.load_digits`), so this runs
        offline. We train a small multilayer perceptron, then use the same data for two
        course experiments: how weight initialisation shapes the activations of a deep
        network (zeros, tiny and huge Gaussians, Xavier, Kaiming), and what L2
        regularisation does to the weights of a linear classifier — seen as images.
        """),
        setup("""
        import autograd as ag
        import nn
        import nn.functional as F
        import optim
        from nn.data import DataLoader, TensorDataset, load_digits, train_test_split
        from glassgrad.training import accuracy, fit
        """),
        code("""
        X, y = load_digits()
        X = X / 16.0                                         # pixels 0..16 -> [0, 1]
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, seed=0, stratify=y)
        print("train", X_tr.shape, " test", X_te.shape, " classes", np.bincount(y_tr))
        fig, axes = plt.subplots(1, 10, figsize=(8, 1))
        for d, ax in enumerate(axes):
            ax.imshow(X_tr[y_tr == d][0].reshape(8, 8), cmap="gray_r"); ax.set_title(d); ax.axis("off")
        plt.show()
        assert X.shape == (1797, 64) and X.min() == 0 and X.max() == 1
        """),
        md("""
        ## 1. Train a 64 → 64 → 10 MLP

        `nn.Sequential(Linear, ReLU, Linear)` with PyTorch's default initialisation,
        cross-entropy, Adam, minibatches of 64 from a seeded `DataLoader`;
        `glassgrad.training.fit` runs the usual loop (zero_grad, forward, loss, backward, step)
        and records a `History` per epoch.
        """),
        code("""
        ag.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
        train_loader = DataLoader(TensorDataset(X_tr, y_tr), batch_size=64, shuffle=True, seed=0)
        test_loader = DataLoader(TensorDataset(X_te, y_te), batch_size=500)
        opt = optim.Adam(model.parameters(), lr=3e-3)
        history = fit(model, opt, nn.CrossEntropyLoss(), train_loader, epochs=25,
                      val_loader=test_loader, progress=False)
        print(model)
        print(f"after {len(history)} epochs: train acc {history.last('train_acc'):.3f}, "
              f"test acc {history.last('val_acc'):.3f}")
        assert history.last("val_acc") > 0.95
        assert history["train_loss"][-1] < history["train_loss"][0] / 10
        """),
        code("""
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3))
        a1.plot(history["epoch"], history["train_loss"], label="train")
        a1.plot(history["epoch"], history["val_loss"], label="test")
        a1.set_yscale("log"); a1.set_xlabel("epoch"); a1.set_title("cross-entropy"); a1.legend()
        a2.plot(history["epoch"], history["train_acc"], label="train")
        a2.plot(history["epoch"], history["val_acc"], label="test")
        a2.set_xlabel("epoch"); a2.set_title("accuracy"); a2.legend()
        plt.tight_layout(); plt.show()
        """),
        md("""
        The graph of one sample's forward and backward pass: the tensors created inside each
        module are grouped in a cluster named by the module's path (`0`, `1`, `2` in the
        `Sequential`), parameters in green with their gradients in red.
        """),
        code("""
        loss = nn.CrossEntropyLoss()(model(ag.tensor(X_te[:1])), ag.tensor(y_te[:1]))
        loss.backward()
        ag.draw_graph(loss)
        """),
        md("""
        ## 2. Initialisation: activations layer by layer

        The course's experiment: a deep net (here 6 layers of 100 units) and one batch of
        500 digits, standardised. We look at the distribution of each layer's activations
        for different weight initialisations (biases zero):

        * **zeros**: every unit computes the same thing, forever — the symmetry is never
          broken (and with tanh, every activation and weight gradient is 0);
        * **tiny** $\\mathcal N(0, 0.01^2)$: the signal shrinks by ~10× per layer and vanishes;
        * **huge** $\\mathcal N(0, 1)$: tanh saturates at ±1, where its gradient is 0;
        * **Xavier** $\\operatorname{Var}(w) = 1/n_{in}$ (here `xavier_normal_`,
          $2/(n_{in} + n_{out})$, the same for square layers): keeps tanh's spread;
        * with ReLU, Xavier loses half the variance per layer (ReLU zeroes half the
          inputs), and **Kaiming** $\\operatorname{Var}(w) = 2/n_{in}$ compensates.
        """),
        code("""
        Xs = (X_tr[:500] - X_tr.mean(0)) / (X_tr.std(0) + 1e-3)     # standardised inputs
        WIDTH, DEPTH = 100, 6

        def activations(init, act):
            ag.manual_seed(0)
            layers = [nn.Linear(64 if i == 0 else WIDTH, WIDTH) for i in range(DEPTH)]
            for layer in layers:
                init(layer.weight); nn.init.zeros_(layer.bias)
            h, out = ag.tensor(Xs), []
            with ag.no_grad():
                for layer in layers:
                    h = act(layer(h)); out.append(h.numpy())
            return out

        inits = {
            "zeros": nn.init.zeros_,
            "tiny N(0, 0.01²)": lambda w: nn.init.normal_(w, 0.0, 0.01),
            "huge N(0, 1)": lambda w: nn.init.normal_(w, 0.0, 1.0),
            "Xavier": nn.init.xavier_normal_,
        }
        runs = {f"{name} + tanh": activations(fn, ag.tanh) for name, fn in inits.items()}
        runs["Xavier + ReLU"] = activations(nn.init.xavier_normal_, ag.relu)
        runs["Kaiming + ReLU"] = activations(
            lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), ag.relu)

        fig, axes = plt.subplots(len(runs), DEPTH, figsize=(12, 1.4 * len(runs)), sharey="row")
        for r, (name, acts) in enumerate(runs.items()):
            for l, a in enumerate(acts):
                ax = axes[r, l]
                if "tanh" in name:
                    ax.hist(a.ravel(), bins=40, range=(-1.05, 1.05))
                else:                            # ReLU: half the units are 0; plot the rest
                    ax.hist(a[a > 0], bins=40, range=(0, 4 * a.std()))
                ax.set_yticks([]); ax.tick_params(labelsize=7)
                ax.set_title(f"layer {l + 1}: std {a.std():.2g}", fontsize=8)
            axes[r, 0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
        plt.tight_layout(); plt.show()
        """),
        code("""
        stds = {name: np.array([a.std() for a in acts]) for name, acts in runs.items()}
        for name, s in stds.items():
            print(f"{name:22s}", " ".join(f"{v:8.2g}" for v in s))
        assert stds["zeros + tanh"].max() == 0
        assert stds["tiny N(0, 0.01²) + tanh"][-1] < 1e-6                      # vanished
        saturated = np.mean(np.abs(runs["huge N(0, 1) + tanh"][-1]) > 0.99)
        print(f"huge init: {saturated:.0%} of last-layer tanh units are saturated (|a| > 0.99)")
        assert saturated > 0.5
        assert 0.2 < stds["Xavier + tanh"][-1] < 0.8                           # kept alive
        ratio_x = stds["Xavier + ReLU"][-1] / stds["Xavier + ReLU"][0]
        ratio_k = stds["Kaiming + ReLU"][-1] / stds["Kaiming + ReLU"][0]
        print(f"ReLU, std(layer 6) / std(layer 1): Xavier {ratio_x:.2f} (≈ 2^-2.5 = 0.18), Kaiming {ratio_k:.2f}")
        assert ratio_x < 0.35 and 0.5 < ratio_k < 2
        """),
        md("""
        What this does to training: the same 3-layer tanh network trained for a few epochs
        from each initialisation (SGD with momentum). Zeros never leave the starting loss
        ($\\approx\\log 10$: only the last bias learns, the class frequencies), tiny weights
        sit on that plateau for a few epochs before the signal grows, huge weights start from
        a high loss with saturated units, and Xavier trains fastest.
        """),
        code("""
        def train_with(init, epochs=8):
            ag.manual_seed(0)
            net = nn.Sequential(nn.Linear(64, 100), nn.Tanh(), nn.Linear(100, 100), nn.Tanh(),
                                nn.Linear(100, 10))
            for m in net.modules():
                if isinstance(m, nn.Linear):
                    init(m.weight); nn.init.zeros_(m.bias)
            loader = DataLoader(TensorDataset(X_tr, y_tr), batch_size=64, shuffle=True, seed=0)
            h = fit(net, optim.SGD(net.parameters(), lr=0.1, momentum=0.9), nn.CrossEntropyLoss(),
                    loader, epochs=epochs, val_loader=test_loader, progress=False)
            return h, net

        curves = {name: train_with(fn) for name, fn in inits.items()}
        for name, (h, _) in curves.items():
            plt.plot(h["epoch"], h["train_loss"], ".-", label=name)
        plt.axhline(np.log(10), color="gray", ls=":", label="log 10")
        plt.yscale("log"); plt.xlabel("epoch"); plt.ylabel("train loss"); plt.legend(fontsize=8)
        plt.show()
        final = {name: h.last("val_acc") for name, (h, _) in curves.items()}
        print({k: round(v, 3) for k, v in final.items()})
        w0 = curves["zeros"][1][0].weight.numpy()
        assert np.all(w0 == 0)                                  # zero init: first layer never moved
        assert final["zeros"] < 0.2 and final["Xavier"] > 0.95
        """),
        md("""
        ## 3. L2 regularisation, seen in the weights

        A linear softmax classifier (one `Linear(64, 10)`) has one 8×8 weight template per
        class. With the penalty $J = C + \\tfrac{\\lambda}{2}\\lVert W\\rVert^2$ the gradient gains a
        $\\lambda W$ term: $\\partial J/\\partial w_{kj} = -x_j (y_k - \\hat y_k) + \\lambda w_{kj}$ (TDT4265
        Computer Vision, Assignment 1, task 4a, whose handwritten last term is garbled; it is
        $\\lambda w_{kj}$).
        Autograd confirms it:
        """),
        code("""
        ag.manual_seed(0)
        lin = nn.Linear(64, 10)
        lam = 0.1
        xb, yb = ag.tensor(X_tr[:32]), ag.tensor(y_tr[:32])
        nn.CrossEntropyLoss()(lin(xb), yb).backward()
        g_plain = lin.weight.grad.numpy().copy(); lin.zero_grad()
        (nn.CrossEntropyLoss()(lin(xb), yb) + lam / 2 * (lin.weight ** 2).sum()).backward()
        assert np.allclose(lin.weight.grad.numpy(), g_plain + lam * lin.weight.numpy(), atol=1e-6)
        # and the data term is the course's -x (y - yhat), averaged over the batch
        p = ag.softmax(lin(xb), axis=1).numpy(); Y1 = np.eye(10)[y_tr[:32]]
        assert np.allclose(g_plain, -(Y1 - p).T @ X_tr[:32] / 32, atol=1e-6)
        """),
        code("""
        def train_linear(lam, steps=500):
            ag.manual_seed(0)
            lin = nn.Linear(64, 10)
            opt = optim.SGD(lin.parameters(), lr=0.5)
            xb, yb = ag.tensor(X_tr), ag.tensor(y_tr)
            for _ in range(steps):
                opt.zero_grad()
                loss = nn.CrossEntropyLoss()(lin(xb), yb) + lam / 2 * (lin.weight ** 2).sum()
                loss.backward(); opt.step()
            with ag.no_grad():
                acc = accuracy(lin(ag.tensor(X_te)).numpy(), y_te)
            return lin.weight.numpy().copy(), acc

        lams = [0.0, 0.001, 0.01, 0.1]
        trained = {lam: train_linear(lam) for lam in lams}
        fig, axes = plt.subplots(len(lams), 10, figsize=(9, 1.05 * len(lams)))
        for r, lam in enumerate(lams):
            W, acc = trained[lam]
            for k in range(10):
                ax = axes[r, k]; lim = np.abs(W[k]).max()
                ax.imshow(W[k].reshape(8, 8), cmap="seismic", vmin=-lim, vmax=lim)
                ax.set_xticks([]); ax.set_yticks([])
                if r == 0: ax.set_title(k)
            axes[r, 0].set_ylabel(f"λ={lam}\\n‖W‖²={np.sum(W ** 2):.0f}\\nacc {acc:.2f}",
                                  fontsize=7, rotation=0, ha="right", va="center")
        plt.show()
        norms = [np.sum(trained[lam][0] ** 2) for lam in lams]
        print("‖W‖² by λ:", np.round(norms, 1), " test accuracy:", [round(trained[l][1], 3) for l in lams])
        assert all(a > b for a, b in zip(norms, norms[1:]))          # more penalty, smaller weights
        assert trained[0.001][1] > 0.9
        """),
        md("""
        Larger $\\lambda$ gives smaller, smoother templates (each looks more like a blurred
        average digit) and, past a point, lower accuracy: a linear model on 64 pixels has
        little capacity to spare, which is that assignment's observation (task 4d) too.
        """),
    ] + more_cells(NAME)
