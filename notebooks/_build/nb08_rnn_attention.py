"""08 — recurrent networks, backprop through time, gradient clipping, attention."""
from more08 import cells as more_cells
from nbtools import code, md, setup

NAME = "08_rnn_attention"


def cells():
    return [
        md("""
        # 08 · RNNs, backprop through time, and attention

        A recurrent network applies the same cell at every time step,
        $h_t = \\tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})$. Unrolled, it is just a deep
        graph whose layers share weights, and backprop through it — *backprop through time*
        (BPTT) — multiplies one Jacobian $\\partial h_t/\\partial h_{t-1}$ per step, which is why
        gradients vanish or explode over long sequences. We draw BPTT, measure the vanishing,
        train an RNN and an LSTM on a memory task, clip exploding gradients, and end with the
        alternative that has no recurrence at all: scaled dot-product attention and a tiny
        transformer block.
        """),
        setup("""
        import autograd as ag
        import nn
        import nn.functional as F
        import optim

        ag.set_default_dtype(np.float64)
        """),
        md("""
        ## 1. BPTT, drawn

        Three steps of a vanilla RNN written with explicit weights, each step in its own
        `ag.scope` so the drawing clusters the nodes by time step. The same $W_{hh}$ enters
        every step, so its gradient is the *sum* of one contribution per step,
        $\\partial L/\\partial W_{hh} = \\sum_t h_{t-1}^\\top\\, \\delta_t$ with $\\delta_t$ the gradient at the
        pre-activation of step $t$ (the first term is 0 here, since $h_0 = 0$).
        """),
        code("""
        ag.manual_seed(0)
        W_ih = ag.randn(1, 3, requires_grad=True); W_ih.name = "W_ih"
        W_hh = (0.5 * ag.randn(3, 3)).requires_grad_(); W_hh.name = "W_hh"
        w_out = ag.randn(3, 1, requires_grad=True); w_out.name = "w_out"
        xs = [ag.tensor([[v]]) for v in (1.0, -0.5, 2.0)]
        h = ag.zeros((1, 3)); h.name = "h0"
        for t, x_t in enumerate(xs, start=1):
            with ag.scope(f"t{t}"):
                h = ag.tanh(x_t @ W_ih + h @ W_hh); h.name = f"h{t}"
        loss = (h @ w_out).sum(); loss.name = "loss"
        loss.backward(retain_graph=True)
        ag.draw_graph(loss)
        """),
        code("""
        # W_hh's gradient is the sum of the three per-step contributions: recompute each one
        # by letting W_hh require a gradient in one step only.
        def loss_with_grad_at(step):
            Wc = W_hh.detach().requires_grad_()
            hh = ag.zeros((1, 3))
            for t, x_t in enumerate(xs, start=1):
                hh = ag.tanh(x_t @ W_ih.detach() + hh @ (Wc if t == step else W_hh.detach()))
            (hh @ w_out.detach()).sum().backward()
            return Wc.grad.numpy()

        parts = [loss_with_grad_at(s) for s in (1, 2, 3)]
        print("norm of each step's contribution:", [round(float(np.linalg.norm(p)), 4) for p in parts])
        assert np.allclose(sum(parts), W_hh.grad.numpy())
        assert np.all(parts[0] == 0)     # step 1 multiplies W_hh by h0 = 0: dL/dW_hh = h0^T (...) = 0
        """),
        md("""
        ## 2. Vanishing gradients, measured

        How much does the last output of a 40-step sequence depend on each input? The norm
        of $\\partial h_{40}/\\partial x_t$ (summed over a batch) for freshly initialised
        networks: for the vanilla RNN it decays geometrically with the distance $40 - t$
        (ten orders of magnitude over 40 steps); the LSTM's additive cell state
        $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$ carries it — *if* the forget gate starts open.
        With PyTorch's default initialisation the forget gate sits at $\\sigma(0) = 0.5$ and the
        LSTM vanishes almost as fast; a forget-gate bias of 1 (Gers et al., Jozefowicz et al.)
        keeps the gradient alive over the whole sequence.
        """),
        code("""
        def open_forget_gate(lstm, value=1.0):
            H = lstm.hidden_size                      # PyTorch gate order: input, forget, cell, output
            with ag.no_grad():
                lstm.bias_ih_l0.data[H:2 * H] = value
                lstm.bias_hh_l0.data[H:2 * H] = value
            return lstm

        def input_sensitivity(model, T=40):
            ag.manual_seed(1)
            x = ag.randn(32, T, 1, requires_grad=True)
            out, _ = model(x)
            out[:, -1].sum().backward()
            return np.linalg.norm(x.grad.numpy()[:, :, 0], axis=0)

        ag.manual_seed(0)
        sens = {"RNN (tanh)": input_sensitivity(nn.RNN(1, 16, batch_first=True)),
                "LSTM, default init": input_sensitivity(nn.LSTM(1, 16, batch_first=True)),
                "LSTM, forget bias 1": input_sensitivity(open_forget_gate(nn.LSTM(1, 16, batch_first=True)))}
        for name, s in sens.items():
            plt.semilogy(np.arange(1, 41), s, ".-", label=name)
        plt.xlabel("input time step t"); plt.ylabel("‖∂h_40 / ∂x_t‖"); plt.legend(); plt.show()
        r, l0, l1 = sens.values()
        print(f"‖∂h_40/∂x_1‖: RNN {r[0]:.1e}, LSTM {l0[0]:.1e}, LSTM with forget bias 1 {l1[0]:.1e}")
        assert r[0] < 1e-6 * r[-1]
        assert l1[0] > 1e-2 * l1[-1]
        """),
        md("""
        ## 3. A memory task: RNN vs LSTM

        Sequences of 20 numbers: the first is ±1, the rest are standard normal noise; the
        label is the sign of the first. The network must carry one bit across 19 noisy steps
        to its last output. We train a vanilla RNN (three seeds) and an LSTM with the forget
        bias at 1 (16 hidden units, Adam, 300 minibatches of 32), and test on 1000 fresh
        sequences.
        """),
        code("""
        ag.set_default_dtype(np.float32)
        T = 20

        def memory_batch(rng, n):
            x = rng.normal(0, 1, (n, T, 1)); first = rng.choice([-1.0, 1.0], n); x[:, 0, 0] = first
            return x.astype(np.float32), (first > 0).astype(np.int64)

        class SequenceClassifier(nn.Module):
            def __init__(self, kind, hidden=16):
                super().__init__()
                if kind == "rnn":
                    self.rnn = nn.RNN(1, hidden, batch_first=True)
                else:
                    self.rnn = open_forget_gate(nn.LSTM(1, hidden, batch_first=True))
                self.head = nn.Linear(hidden, 2)

            def forward(self, x):
                out, _ = self.rnn(x)               # (N, T, hidden)
                return self.head(out[:, -1])       # classify from the last step

        x_test, y_test = memory_batch(np.random.default_rng(123), 1000)

        def train(kind, seed, steps=300):
            ag.manual_seed(seed)
            rng = ag.get_rng()
            model = SequenceClassifier(kind)
            opt = optim.Adam(model.parameters(), lr=1e-2)
            losses = []
            for _ in range(steps):
                xb, yb = memory_batch(rng, 32)
                opt.zero_grad()
                loss = nn.CrossEntropyLoss()(model(ag.tensor(xb)), ag.tensor(yb))
                loss.backward(); opt.step()
                losses.append(loss.item())
            with ag.no_grad():
                acc = (model(ag.tensor(x_test)).numpy().argmax(1) == y_test).mean()
            return losses, acc

        runs = {f"RNN, seed {s}": train("rnn", s) for s in (0, 1, 2)}
        runs["LSTM (forget bias 1), seed 0"] = train("lstm", 0)
        for name, (losses, acc) in runs.items():
            plt.plot(np.convolve(losses, np.ones(20) / 20, "valid"), label=f"{name}: test acc {acc:.2f}")
        plt.axhline(np.log(2), c="gray", ls=":"); plt.xlabel("step"); plt.ylabel("loss (running mean)")
        plt.legend(fontsize=8); plt.show()
        accs = {name: acc for name, (_, acc) in runs.items()}
        print({name: round(float(acc), 3) for name, acc in accs.items()})
        assert accs["LSTM (forget bias 1), seed 0"] > 0.95
        rnn_accs = [accs[f"RNN, seed {s}"] for s in (0, 1, 2)]
        assert np.mean(rnn_accs) <= accs["LSTM (forget bias 1), seed 0"]
        """),
        md("""
        At 20 steps the vanilla RNN *can* learn the task, but whether it does depends on the
        seed (compare the three runs): the learning signal from step 1 reaches the weights
        through a product of 19 Jacobians. The LSTM with an open forget gate learns it
        reliably; at 40 steps (try `T = 40`) the RNN's chances fall further.

        ## 4. Exploding gradients and clipping

        The opposite failure: with large recurrent weights the product of Jacobians grows.
        `nn.utils.clip_grad_norm_(params, max_norm)` rescales all gradients together so that
        their joint norm is at most `max_norm`; it returns the norm before clipping and keeps
        the direction.
        """),
        code("""
        ag.set_default_dtype(np.float64)
        ag.manual_seed(0)
        rnn = nn.RNN(1, 16, nonlinearity="relu", batch_first=True)
        with ag.no_grad():
            rnn.weight_hh_l0.data[...] = 1.2 * np.eye(16) + 0.05 * ag.randn(16, 16).numpy()
        out, _ = rnn(ag.randn(8, 40, 1))
        (out[:, -1] ** 2).sum().backward()
        params = list(rnn.parameters())
        before = np.concatenate([p.grad.numpy().ravel() for p in params])
        total = nn.utils.clip_grad_norm_(params, max_norm=1.0)
        after = np.concatenate([p.grad.numpy().ravel() for p in params])
        print(f"gradient norm before clipping {float(total):.3e}, after {np.linalg.norm(after):.6f}")
        assert float(total) > 1e3 and np.isclose(float(total), np.linalg.norm(before))
        assert np.isclose(np.linalg.norm(after), 1.0, rtol=1e-6)
        assert np.allclose(after / np.linalg.norm(after), before / np.linalg.norm(before))
        """),
        md("""
        ## 5. Scaled dot-product attention

        Attention replaces the chain of steps by one weighted average over all positions:
        $\\operatorname{Attention}(Q, K, V) = \\operatorname{softmax}\\!\\big(QK^\\top/\\sqrt{d}\\big)\\,V$.
        Every output can reach every input in one step, so no gradient has to survive a long
        product. The $1/\\sqrt d$ keeps the scores at unit variance: for random $q, k$ with unit
        entries $q\\cdot k$ has variance $d$, and without the scaling the softmax saturates into
        a near one-hot choice as $d$ grows (tiny gradients again).
        """),
        code("""
        ag.manual_seed(0)
        L, d = 5, 8
        Q, K, V = ag.randn(L, d), ag.randn(L, d), ag.randn(L, d)
        weights = ag.softmax(Q @ K.T / np.sqrt(d), axis=-1)
        by_hand = weights @ V
        assert np.allclose(by_hand.numpy(), F.scaled_dot_product_attention(Q, K, V).numpy())
        assert np.allclose(weights.numpy().sum(-1), 1)

        causal = F.scaled_dot_product_attention(Q, K, V, is_causal=True).numpy()
        mask = np.tril(np.ones((L, L)))
        w_c = np.exp(Q.numpy() @ K.numpy().T / np.sqrt(d)) * mask
        assert np.allclose(causal, (w_c / w_c.sum(-1, keepdims=True)) @ V.numpy())

        def max_weight(dim, scaled, n=200):
            rng = np.random.default_rng(0)
            q, k = rng.normal(size=(n, dim)), rng.normal(size=(n, 16, dim))
            s = np.einsum("nd,nkd->nk", q, k) / (np.sqrt(dim) if scaled else 1.0)
            return ag.softmax(ag.tensor(s), axis=-1).numpy().max(-1).mean()

        dims = [4, 16, 64, 256, 1024]
        plt.semilogx(dims, [max_weight(k, False) for k in dims], "o-", label="q·k")
        plt.semilogx(dims, [max_weight(k, True) for k in dims], "o-", label="q·k / √d")
        plt.xlabel("d"); plt.ylabel("mean largest weight (16 keys)"); plt.legend(); plt.show()
        assert max_weight(1024, False) > 0.9 and max_weight(1024, True) < 0.5
        """),
        md("""
        `nn.MultiheadAttention` projects the inputs with one stacked `in_proj_weight`
        ($W_Q; W_K; W_V$, PyTorch's layout), splits the features into heads, attends per head
        and projects back. Recomputed by hand (sequence-first layout, as PyTorch's default):
        """),
        code("""
        E, heads, Lq, N = 8, 2, 5, 1
        mha = nn.MultiheadAttention(E, heads)
        x = ag.randn(Lq, N, E)                                   # (L, N, E)
        out, attn = mha(x, x, x)
        Wq, Wk, Wv = np.split(mha.in_proj_weight.numpy(), 3)
        bq, bk, bv = np.split(mha.in_proj_bias.numpy(), 3)
        xv = x.numpy()[:, 0]                                      # (L, E)
        q, k, v = xv @ Wq.T + bq, xv @ Wk.T + bk, xv @ Wv.T + bv
        hd = E // heads
        outs, ws = [], []
        for h_ in range(heads):
            sl = slice(h_ * hd, (h_ + 1) * hd)
            s = q[:, sl] @ k[:, sl].T / np.sqrt(hd)
            w = np.exp(s - s.max(-1, keepdims=True)); w /= w.sum(-1, keepdims=True)
            outs.append(w @ v[:, sl]); ws.append(w)
        manual = np.concatenate(outs, -1) @ mha.out_proj.weight.numpy().T + mha.out_proj.bias.numpy()
        assert np.allclose(out.numpy()[:, 0], manual)
        assert np.allclose(attn.numpy()[0], np.mean(ws, axis=0))   # weights averaged over heads
        print("output", out.shape, " attention weights", attn.shape)
        """),
        md("""
        ## 6. A tiny transformer block

        `nn.TransformerEncoderLayer` = self-attention + residual + LayerNorm, then a two-layer
        feed-forward network + residual + LayerNorm. Its parameter count is
        $4E^2 + 4E$ (attention) $+\\ 2EF + F + E$ (feed-forward) $+\\ 4E$ (two LayerNorms). Without
        positional information it is *permutation-equivariant*: shuffling the tokens shuffles
        the outputs the same way. The drawing collapses each sub-module to one box (`collapse=0`).
        """),
        code("""
        E, F_ = 16, 32
        block = nn.TransformerEncoderLayer(d_model=E, nhead=2, dim_feedforward=F_, dropout=0.0,
                                           batch_first=True)
        n_params = sum(p.numel() for p in block.parameters())
        print(block)
        print("parameters:", n_params)
        assert n_params == (4 * E * E + 4 * E) + (2 * E * F_ + F_ + E) + 4 * E

        tokens = ag.randn(2, 6, E, requires_grad=True)
        y = block(tokens)
        perm = np.array([3, 0, 5, 1, 4, 2])
        y_perm = block(tokens.detach()[:, perm])
        assert np.allclose(y_perm.numpy(), y.numpy()[:, perm], atol=1e-10)

        loss = (y * ag.randn(*y.shape)).sum(); loss.name = "loss"   # (mean(y²) would be ≈ 1 after LayerNorm)
        loss.backward()
        assert tokens.grad.shape == tokens.shape and block.self_attn.in_proj_weight.grad is not None
        ag.draw_graph(loss, collapse=0)
        """),
    ] + more_cells(NAME)
