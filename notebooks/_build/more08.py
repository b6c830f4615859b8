"""Notebook 08, second half: BPTT and one attention head stepped, exercises, and the course's
RNN, LSTM and attention problems."""
from nbtools import check, code, exercise, md

LSTM_FORWARD = '''
def lstm_step(x, prev_h, prev_c, Wx, Wh, b):
    """The lecture's lstm_step_forward (gates in the order i, f, o, g), with glassgrad ops."""
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b                                    # (N, 4H)
    i, f, o = ag.sigmoid(a[:, :H]), ag.sigmoid(a[:, H:2 * H]), ag.sigmoid(a[:, 2 * H:3 * H])
    g = ag.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * ag.tanh(next_c)
    return ag.concatenate([next_h, next_c], axis=1)                  # (N, 2H): both outputs
'''


def cells(name):
    return [
        md("""
        ## 7. Backprop through time, step by step

        Back to the 3-step RNN of section 1. Backprop visits the steps from the last to the
        first, and $W_{hh}$ — used once per step — receives one contribution at each
        `matmul` node; its gradient is their sum. The stepper lists them:
        """),
        code("""
        from autograd import exercises as ex

        ag.set_default_dtype(np.float64)
        h = ag.zeros((1, 3)); h.name = "h0"
        for t, x_t in enumerate(xs, start=1):
            with ag.scope(f"t{t}"):
                h = ag.tanh(x_t @ W_ih + h @ W_hh); h.name = f"h{t}"
        loss = (h @ w_out).sum(); loss.name = "loss"
        W_hh.grad = None
        bptt = list(ag.backprop_steps(loss, retain_graph=True))
        to_whh = [(st.index, st.input_grads[1]) for st in bptt
                  if st.op == "matmul" and st.inputs[1] is W_hh]
        for k, contribution in to_whh:
            print(f"step {k}: contribution to W_hh with norm {np.linalg.norm(contribution):.4f}")
        assert len(to_whh) == 3 and np.allclose(sum(c for _, c in to_whh), W_hh.grad.numpy())
        assert np.allclose(sorted(np.linalg.norm(c) for _, c in to_whh),
                           sorted(np.linalg.norm(p) for p in parts))     # the per-step parts of section 1
        """),
        code("""
        next(st for st in bptt if st.op == "matmul" and st.inputs[1] is W_hh and st.node.name is None
             and st.index > 5).draw()
        """),
        code("""
        ag.viz.play(loss)
        """),
        md("""
        ## 8. One attention head, step by step

        $Q = XW_Q$, $K = XW_K$, $V = XW_V$, $S = QK^\\top/\\sqrt d$, $P = \\operatorname{softmax}(S)$
        (rows), $O = PV$. Backward, with $G = \\partial L/\\partial O$:
        $dV = P^\\top G$, $dP = GV^\\top$, $dS = P \\odot (dP - \\operatorname{rowsum}(dP \\odot P))$
        (the softmax VJP, row by row), $dQ = dS\\,K/\\sqrt d$, $dK = dS^\\top Q/\\sqrt d$, and the
        projections collect $X^\\top dQ$ etc. — $X$ receives three contributions, one per
        projection.
        """),
        code("""
        ag.manual_seed(2)
        Lh, Eh, dh = 4, 6, 3
        Xh = ag.randn(Lh, Eh, requires_grad=True); Xh.name = "X"
        Wq, Wk, Wv = (ag.randn(Eh, dh, requires_grad=True) for _ in range(3))
        Wq.name, Wk.name, Wv.name = "W_Q", "W_K", "W_V"
        Qh = Xh @ Wq; Qh.name = "Q"
        Kh = Xh @ Wk; Kh.name = "K"
        Vh = Xh @ Wv; Vh.name = "V"
        Sh = Qh @ Kh.T / np.sqrt(dh); Sh.name = "S"
        Ph = ag.softmax(Sh, axis=-1); Ph.name = "P"
        Oh = Ph @ Vh; Oh.name = "O"
        Gh = ag.randn(Lh, dh)
        lossh = (Oh * Gh).sum(); lossh.name = "loss"
        steps_h = {st.node.name: st for st in ag.backprop_steps(lossh, retain_graph=True) if st.node.name}
        P_, G_, V_, Q_, K_ = Ph.numpy(), Gh.numpy(), Vh.numpy(), Qh.numpy(), Kh.numpy()
        dP = G_ @ V_.T
        dS = P_ * (dP - (dP * P_).sum(-1, keepdims=True))
        assert np.allclose(steps_h["O"].input_grads[1], P_.T @ G_)             # dV
        assert np.allclose(steps_h["O"].input_grads[0], dP)                    # dP
        assert np.allclose(steps_h["S"].grad_output, dS)                       # dS (the softmax VJP)
        assert np.allclose(steps_h["Q"].grad_output, dS @ K_ / np.sqrt(dh))    # dQ
        print(ag.explain(lossh))
        """),
        code("""
        steps_h["S"].draw()
        """),
        md("""
        ## 9. Exercises and the course's RNN problems

        ### The ReLU-RNN of the I2DL endterm (11 August 2020, Problem 6)

        $h_t = \\operatorname{ReLU}(V h_{t-1} + W x_t)$ with scalars and no bias.
        """),
        *exercise("08.1", "predict", "the forward pass of 6c", """
            With $V = -3$, $W = 3$, $h_0 = 0$ and $x = (2, 3, 1)$ predict $h_1$, $h_2$, $h_3$.
            """, 'answer = {"h1": ..., "h2": ..., "h3": ...}', name),
        check("08.1", """
        def relu_rnn(V, W, h0, xs_):
            hs, h_ = [], h0
            for x_ in xs_:
                h_ = ag.relu(V * h_ + W * x_)
                hs.append(h_)
            return hs

        hs6c = relu_rnn(ag.tensor(-3.0), ag.tensor(3.0), ag.tensor(0.0), [2.0, 3.0, 1.0])
        ex.check_value(answer, {"h1": hs6c[0], "h2": hs6c[1], "h3": hs6c[2]}, exercise="08.1")
        """),
        md("""
        Problem 6d gives $V = -2$, $W = 1$, $h_0 = 2$, $x = (2, \\tfrac32, 4)$ "for the forward
        outputs $h_1 = 0$, $h_2 = \\tfrac23$, $h_3 = 1$" and asks for $\\partial h_3/\\partial V$,
        $\\partial h_3/\\partial W$, $\\partial h_3/\\partial x_1$ (with $\\operatorname{ReLU}'(0) = 0$).
        """),
        *exercise("08.2", "predict", "the derivatives of 6d", """
            Run the forward pass yourself first (is $h_2$ really $\\tfrac23$?), then predict
            the three derivatives.
            """, 'answer = {"h2": ..., "dV": ..., "dW": ..., "dx1": ...}', name),
        check("08.2", """
        V6, W6 = ag.tensor(-2.0, requires_grad=True), ag.tensor(1.0, requires_grad=True)
        x6 = [ag.tensor(v, requires_grad=True) for v in (2.0, 1.5, 4.0)]
        hs6d = relu_rnn(V6, W6, ag.tensor(2.0), x6)
        dV, dW, dx1 = ag.grad(hs6d[2], [V6, W6, x6[0]])
        ex.check_value(answer, {"h2": hs6d[1], "dV": dV, "dW": dW, "dx1": dx1}, exercise="08.2")
        """),
        md("""
        **The printed forward pass is wrong at $h_2$**: $h_1 = \\operatorname{ReLU}(-2\\cdot2 + 2) = 0$,
        so $h_2 = \\operatorname{ReLU}(0 + \\tfrac32) = \\tfrac32$ (not $\\tfrac23$), and
        $h_3 = \\operatorname{ReLU}(-2\\cdot\\tfrac32 + 4) = 1$. Hence
        $\\partial h_3/\\partial V = h_2 + V\\,\\partial h_2/\\partial V = \\tfrac32 + 0 = 1.5$ — the
        printed $\\tfrac23$ just copies the wrong $h_2$ (its grading note accepts $\\tfrac32$
        "if the student identified that $h_2$ should have been flipped"). The other two
        printed answers are right: $\\partial h_3/\\partial W = x_3 + V x_2 = 1$ and
        $\\partial h_3/\\partial x_1 = 0$ (the ReLU at step 1 is dead). Two slips in its
        general formulas: $\\partial h_t/\\partial V$ lacks the factor $\\operatorname{ReLU}'(z_t)$
        that the $W$ formula has, and $\\partial h_t/\\partial x_\\tau$ has $\\partial h_t$ on
        both sides (the right one must be $\\partial h_{t-1}/\\partial x_\\tau$). The stepper's
        account of $\\partial h_3/\\partial V$:
        """),
        code("""
        V6b = ag.Tensor(-2.0, requires_grad=True, name="V")
        hs6b = relu_rnn(V6b, ag.tensor(1.0), ag.tensor(2.0), [2.0, 1.5, 4.0])
        for k, hk in enumerate(hs6b, start=1):
            hk.name = f"h{k}"
        print("h =", [round(hk.item(), 4) for hk in hs6b])
        assert [hk.item() for hk in hs6b] == [0.0, 1.5, 1.0]
        print(ag.explain(hs6b[2]))
        hs6b[2].backward()
        assert V6b.grad.item() == 1.5
        """),
        md("""
        **6a and 6b.** A vanilla cell $h_t = \\tanh(Vh_{t-1} + Wx_t + b)$ with
        $x_t \\in \\mathbb R^3$, $h_t \\in \\mathbb R^5$ has $15 + 25 + 5 = 45$ parameters (right);
        `nn.RNNCell(3, 5)` has **50**, because PyTorch's layout keeps two bias vectors
        (`bias_ih` and `bias_hh`, whose sum is the $b$ of the formula). And with
        $x_t = 0$, $b = 0$ the state does not stay put: $h_t = \\tanh(Vh_{t-1}) \\ne h_{t-1}$ in
        general (the printed "False" is right).
        """),
        *exercise("08.3", "predict", "parameters of an RNN cell", """
            Predict the parameter count of the exam's cell (one bias) and of
            `nn.RNNCell(3, 5)`.
            """, 'answer = {"exam_cell": ..., "nn_RNNCell": ...}', name),
        check("08.3", """
        cell = nn.RNNCell(3, 5)
        ex.check_value(answer, {"exam_cell": 3 * 5 + 5 * 5 + 5,
                                "nn_RNNCell": sum(p.numel() for p in cell.parameters())}, exercise="08.3")
        """),
        code("""
        Vr = ag.randn(5, 5); h_prev = ag.randn(5)
        assert not np.allclose(ag.tanh(Vr @ h_prev).numpy(), h_prev.numpy())
        assert [n for n, _ in cell.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
        """),
        md("""
        ### The lecture's LSTM step, and which gate is which

        The lecture ("LSTM in code") gives `lstm_step_forward` and a hand-written
        `lstm_step_backward`. Backward, the cell state gets two contributions — from
        `next_c` directly and from `next_h` through $o \\odot \\tanh(c)$ — before the four
        gates and the two matrix products. (The endterm 2020, Problem 6e, writes an LSTM as
        $g_1 \\dots g_3$: $g_1$ multiplies $c_t$ into $h_t$, so it is the output gate; $g_2$
        multiplies $c_{t-1}$: forget; $g_3$ multiplies $\\tilde c_t$: input/update — as printed.
        The lecture summary calls the output gate "$o_t = \\tanh(\\dots)$": it is a sigmoid,
        as on the slides and in `nn.LSTM`.)
        """),
        code(LSTM_FORWARD.strip("\n")),
        *exercise("08.4", "write", "the LSTM step's backward", """
            `lstm_vjp(g, x, prev_h, prev_c, Wx, Wh, b)`: `g` is the upstream gradient of
            `lstm_step`'s output, i.e. `dnext_h = g[:, :H]`, `dnext_c = g[:, H:]`. Return the
            six gradients `(dx, dprev_h, dprev_c, dWx, dWh, db)` (the lecture's
            `lstm_step_backward`, written without mutating its inputs).
            """, '''
            def lstm_vjp(g, x, prev_h, prev_c, Wx, Wh, b):
                ...
            ''', name),
        check("08.4", """
        rng = np.random.default_rng(8)
        N_, D_, H_ = 3, 4, 2
        ex.check_vjp(lstm_vjp, lstm_step, rng.normal(size=(N_, D_)), rng.normal(size=(N_, H_)),
                     rng.normal(size=(N_, H_)), 0.5 * rng.normal(size=(D_, 4 * H_)),
                     0.5 * rng.normal(size=(H_, 4 * H_)), rng.normal(size=4 * H_),
                     names=["x", "prev_h", "prev_c", "Wx", "Wh", "b"], exercise="08.4")
        """),
        code("""
        lstm = nn.LSTMCell(4, 2)
        xq, hq, cq = ag.randn(3, 4), ag.randn(3, 2), ag.randn(3, 2)
        h_lib, c_lib = lstm(xq, (hq, cq))
        Wih, Whh = lstm.weight_ih.numpy(), lstm.weight_hh.numpy()                 # PyTorch order i, f, g, o
        a_ = xq.numpy() @ Wih.T + hq.numpy() @ Whh.T + lstm.bias_ih.numpy() + lstm.bias_hh.numpy()
        sig = lambda z: 1 / (1 + np.exp(-z))                                      # noqa: E731
        i_, f_, g_, o_ = sig(a_[:, :2]), sig(a_[:, 2:4]), np.tanh(a_[:, 4:6]), sig(a_[:, 6:])
        c_ref = f_ * cq.numpy() + i_ * g_
        assert np.allclose(c_lib.numpy(), c_ref) and np.allclose(h_lib.numpy(), o_ * np.tanh(c_ref))
        """),
        md("""
        ### Powers of the recurrent matrix (I2DL Lecture 11, "Long-term dependencies")

        Without input, $A_t = \\theta^t A_0$: eigenvalues below 1 in magnitude vanish, above 1
        explode. The slides (and the summary) write "$\\theta = Q\\Lambda Q^\\top$ — orthogonal
        $\\theta$ allows us to simplify to $A_t = Q\\Lambda^tQ^\\top A_0$": a decomposition with
        an orthogonal $Q$ and real $\\Lambda$ exists for a **symmetric** $\\theta$; an
        *orthogonal* $\\theta$ is the case where every $|\\lambda| = 1$ (a rotation: complex
        eigenvalues), which preserves norms for any $t$ — the "eigenvalues = 1" cure:
        """),
        code("""
        rng = np.random.default_rng(0)
        Qm, _ = np.linalg.qr(rng.normal(size=(4, 4)))
        A0 = rng.normal(size=4)
        for label, lam in [("|lambda| = 0.9", 0.9), ("|lambda| = 1.1", 1.1)]:
            theta = Qm @ np.diag([lam] * 4) @ Qm.T                   # symmetric: Q Lambda Q^T
            print(f"{label}: |A_50| / |A_0| = {np.linalg.norm(np.linalg.matrix_power(theta, 50) @ A0) / np.linalg.norm(A0):.3g}")
        rot = Qm                                                    # orthogonal, not symmetric
        eig = np.linalg.eigvals(rot)
        assert np.allclose(np.abs(eig), 1) and np.iscomplexobj(eig)
        assert np.isclose(np.linalg.norm(np.linalg.matrix_power(rot, 50) @ A0), np.linalg.norm(A0))
        """),
        md("""
        ### Attention: its backward, its cost, any length

        Self-attention over $n$ tokens of dimension $d$ costs $O(n^2 d)$ (every pair), a
        recurrent layer $O(n d^2)$ (Lecture 11, "Self-attention: complexity"), so attention
        is cheaper while $n < d$. The positional encoding
        $PE_{(pos, 2i)} = \\sin(pos/10000^{2i/d})$, $PE_{(pos, 2i+1)} = \\cos(\\dots)$ gives
        each position a unique code. And — against the printed answer to endterm 2022SS,
        Problem 9.5 ("No, because the attention layer with fixed sized K, Q, V takes a fixed
        input") — the projections are $d \\times d$ whatever the sequence length, so the same
        attention layer takes any length; what limits it in practice is a learned positional
        table or memory ($n^2$ scores).
        """),
        *exercise("08.5", "write", "the backward of one attention head", """
            `attention_vjp(g, Q, K, V)` for $O = \\operatorname{softmax}(QK^\\top/\\sqrt d)\\,V$
            (softmax over each row): return `(dQ, dK, dV)`.
            """, '''
            def attention_vjp(g, Q, K, V):
                ...
            ''', name),
        check("08.5", """
        rng = np.random.default_rng(9)
        ex.check_vjp(attention_vjp, lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
                     rng.normal(size=(4, 3)), rng.normal(size=(5, 3)), rng.normal(size=(5, 2)),
                     names=["Q", "K", "V"], exercise="08.5")
        """),
        code("""
        n_, d_ = 50, 512
        print(f"n = {n_}, d = {d_}: attention {n_ * n_ * d_:,} vs recurrence {n_ * d_ * d_:,} multiply-adds")
        pos, i2 = np.arange(20)[:, None], np.arange(0, 16, 2)[None, :]
        PE = np.zeros((20, 16)); PE[:, 0::2] = np.sin(pos / 10000 ** (i2 / 16)); PE[:, 1::2] = np.cos(pos / 10000 ** (i2 / 16))
        assert len({tuple(row.round(6)) for row in PE}) == 20                     # unique per position
        mha = nn.MultiheadAttention(8, 2, batch_first=True)
        for length in (5, 50):
            tokens_ = ag.randn(1, length, 8)
            assert mha(tokens_, tokens_, tokens_)[0].shape == (1, length, 8)      # one layer, any length
        """),
    ]
