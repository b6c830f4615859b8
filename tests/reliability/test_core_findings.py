"""Regression tests for issue 13's core findings, each checked against PyTorch (float64).

One test (or one parametrized test) per item of the issue, named after it. The fuzz
kit's findings live in ``test_fuzz_findings.py``.
"""
import warnings

import numpy as np
import pytest

import autograd as ag
import autograd.functional as AF
import nn
import optim

torch = pytest.importorskip("torch")


def leaf(a):
    return ag.Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def tleaf(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def close(mine, ref):
    ref = ref.detach().numpy() if isinstance(ref, torch.Tensor) else ref
    np.testing.assert_allclose(np.asarray(mine.data if isinstance(mine, ag.Tensor) else mine),
                               ref, rtol=1e-12, atol=1e-12)


MODIFIED = r"modified by an in-place operation"


# ------------------------------------------------- 1. views share the version counter
VIEWS = {
    "basic slice": lambda t: t[0:2],
    "slice with a step": lambda t: t[::2],
    "reshape (a view)": lambda t: t.reshape(3, 1),
    "view": lambda t: t.view(1, 3),
    "unsqueeze": lambda t: t.unsqueeze(0),
    "transpose of a 2-d view": lambda t: t.reshape(1, 3).transpose(),
    ".T": lambda t: t.reshape(3, 1).T,
    "detach": lambda t: t.detach(),
    "view of a view": lambda t: t[0:3][1:],
}


@pytest.mark.parametrize("kind", sorted(VIEWS))
def test_1_write_through_a_view_bumps_the_shared_version_counter(kind):
    # the case: a write through a view of a tensor a node saved
    x = leaf([1.0, 2.0, 3.0])
    loss = (x * x).sum()
    with ag.no_grad():
        v = VIEWS[kind](x)
        v.mul_(10.0)
    assert x._version == v._version == 1
    with pytest.raises(RuntimeError, match=rf"input 0 of 'mul'.*{MODIFIED}"):
        loss.backward()
    # PyTorch raises too
    tx = tleaf([1.0, 2.0, 3.0])
    tloss = (tx * tx).sum()
    with torch.no_grad():
        tv = {"transpose of a 2-d view": lambda t: t.reshape(1, 3).t(),
              ".T": lambda t: t.reshape(3, 1).T}.get(kind, VIEWS[kind])(tx)
        tv.mul_(10.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        tloss.backward()


def test_1_saved_constant_written_through_a_view_and_saved_view_of_a_written_base():
    x = leaf([1.0, 2.0, 3.0])
    c = ag.tensor([1.0, 2.0, 3.0], dtype=np.float64)
    loss = (x * c).sum()
    c[0:2].add_(10.0)                      # the second case
    with pytest.raises(RuntimeError, match=rf"input 1 of 'mul'.*{MODIFIED}"):
        loss.backward()
    # the other direction: a node saved a view (or an expand), the base is written
    for make in (lambda t: t.reshape(3, 1), lambda t: t.expand(2, 3), lambda t: t[1:]):
        x = leaf([1.0, 2.0, 3.0])
        v = make(x)
        loss = (v * v).sum()
        with ag.no_grad():
            x.add_(1.0)
        with pytest.raises(RuntimeError, match=MODIFIED):
            loss.backward()


def test_1_copies_and_unrelated_views_do_not_trip_the_check():
    x = leaf([1.0, 2.0, 3.0])
    loss = (x * x).sum()
    with ag.no_grad():
        x[[0, 1]].mul_(10.0)               # advanced indexing copies (as in NumPy/PyTorch)
        y = x.reshape(3, 1) * 1.0          # a new tensor, not a view
        y.mul_(2.0)
    loss.backward()
    close(x.grad, [2.0, 4.0, 6.0])


# ----------------------------- 2. autograd.functional with create_graph stays connected
FUNCTIONAL = {
    "jacobian": (lambda m, x: m.jacobian(lambda a: a ** 3, x, create_graph=True)),
    "hessian": (lambda m, x: m.hessian(lambda a: (a ** 3).sum(), x, create_graph=True)),
    "vjp": (lambda m, x: m.vjp(lambda a: a ** 3, x, v=_like(m, [1.0, 0.5]),
                               create_graph=True)[1]),
    "jvp": (lambda m, x: m.jvp(lambda a: a ** 3, x, v=_like(m, [1.0, 0.5]),
                               create_graph=True)[1]),
    "hvp": (lambda m, x: m.hvp(lambda a: (a ** 3).sum(), x, v=_like(m, [1.0, 0.5]),
                               create_graph=True)[1]),
    "vhp": (lambda m, x: m.vhp(lambda a: (a ** 3).sum(), x, v=_like(m, [1.0, 0.5]),
                               create_graph=True)[1]),
}


def _like(module, values):
    if module is AF:
        return ag.tensor(values, dtype=np.float64)
    return torch.tensor(values, dtype=torch.float64)


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_2_functional_create_graph_results_are_connected_to_the_inputs(name):
    x = leaf([1.0, 2.0])
    FUNCTIONAL[name](AF, x).sum().backward()
    tx = tleaf([1.0, 2.0])
    FUNCTIONAL[name](torch.autograd.functional, tx).sum().backward()
    assert x.grad is not None
    close(x.grad, tx.grad)
    if name == "jacobian":
        close(x.grad, [6.0, 12.0])          # the numbers


def test_2_functional_without_create_graph_stays_detached():
    x = leaf([1.0, 2.0])
    J = AF.jacobian(lambda a: a ** 3, x)
    assert not J.requires_grad and x.grad is None


# ----------------------------------- 5. writing a value that requires grad into a buffer
def test_5_setitem_into_a_tensor_without_grad_records_the_copy():
    w = leaf([1.0, 2.0])
    buf = ag.zeros(3, dtype=np.float64)
    buf[1:] = w * 2
    assert buf.requires_grad and not buf.is_leaf
    (buf * ag.tensor([1.0, 2.0, 3.0], dtype=np.float64)).sum().backward()
    tw = tleaf([1.0, 2.0])
    tbuf = torch.zeros(3, dtype=torch.float64)
    tbuf[1:] = tw * 2
    (tbuf * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    close(buf, tbuf)
    close(w.grad, tw.grad)                  # [4, 6], not None


def test_5_other_recorded_writes_into_buffers_and_graph_tensors():
    # in-place methods with a value that requires grad, and setitem into a tensor made
    # by an op (boolean mask, integer arrays, broadcasting), all as PyTorch
    def run(lib, make):
        w, x = make([0.5, -1.0, 2.0]), make([3.0, 1.0, -2.0])
        buf = lib.zeros(3, dtype=lib.float64) if lib is torch else ag.zeros(3, dtype=np.float64)
        buf.add_(w)
        buf.mul_(x)
        h = x * 1.0
        h[h.detach() > 0] = w[0]
        h[[0, 2]] = w[1:] * 3
        return (buf * h).sum(), w, x, buf, h
    loss, w, x, buf, h = run(np, leaf)
    tloss, tw, tx, tbuf, th = run(torch, tleaf)
    loss.backward()
    tloss.backward()
    close(buf, tbuf)
    close(h, th)
    close(w.grad, tw.grad)
    close(x.grad, tx.grad)


def test_5_unrecordable_writes_are_refused_clearly():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w[0] = 3.0
    base = ag.zeros((2, 3), dtype=np.float64)
    with ag.no_grad():
        row = base[0]
    with pytest.raises(RuntimeError, match=r"view of another tensor.*base\[i\] = v"):
        row[1:] = w
    y = w * 2                               # a view of a tensor in the graph: refused
    with pytest.raises(RuntimeError, match=r"view of another tensor"):
        y[0:1].mul_(3.0)
    with pytest.raises(RuntimeError, match=r"view of another tensor"):
        y.reshape(2, 1)[0] = 5.0
    assert y.tolist() == [2.0, 4.0]
    h = w * 1.0
    with pytest.raises(IndexError, match=r"more than once"):
        h[[0, 0]] = w


# ------------------------- 6. create_graph gradients never alias each other or the caller's
def test_6_create_graph_grads_are_distinct_tensors():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (x + w).sum().backward(create_graph=True)
    assert x.grad is not w.grad and not np.shares_memory(x.grad.data, w.grad.data)
    before = w.grad.data.copy()
    (x * 5).sum().backward(create_graph=True)      # a later backward into x only
    close(w.grad, before)
    tx, tw = tleaf([1.0, 2.0]), tleaf([3.0, 4.0])
    (tx + tw).sum().backward(create_graph=True)
    (tx * 5).sum().backward(create_graph=True)
    close(x.grad, tx.grad)
    close(w.grad, tw.grad)


@pytest.mark.parametrize("create_graph", [False, True])
def test_6_the_callers_gradient_tensor_is_neither_adopted_nor_mutated(create_graph):
    x = leaf([1.0, 2.0])
    seed = ag.tensor([1.0, 1.0], dtype=np.float64)
    x.backward(gradient=seed, create_graph=create_graph)        # x is the root
    (x * 1.0).backward(gradient=seed, create_graph=create_graph)
    (x * 2.0).backward(gradient=seed, create_graph=create_graph)
    assert x.grad is not seed and not np.shares_memory(x.grad.data, seed.data)
    close(seed, [1.0, 1.0])
    close(x.grad, [4.0, 4.0])


def test_6_grad_of_an_output_with_respect_to_itself_is_one():
    # found by the notebooks work: ag.grad(y, [y]) gave 2
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    (g,) = ag.grad(y, [y], retain_graph=True)
    tx = tleaf([1.0, 2.0])
    ty = (tx * tx).sum()
    (tg,) = torch.autograd.grad(ty, [ty], retain_graph=True)
    close(g, tg)
    h = x * 3
    gh, gx = ag.grad(h, [h, x], grad_outputs=ag.tensor([1.0, 2.0], dtype=np.float64))
    close(gh, [1.0, 2.0])
    close(gx, [3.0, 6.0])
    (g2,) = ag.grad([y, y], [y])                 # two roots: the seeds add up (PyTorch)
    (tg2,) = torch.autograd.grad([ty, ty], [ty])
    close(g2, tg2)


# --------------------------------------- 8. .grad is always writable after create_graph
def _create_graph_grads(lib):
    if lib is torch:
        lin = torch.nn.Linear(3, 2).double()
        x = torch.tensor(np.arange(6.0).reshape(2, 3), dtype=torch.float64)
    else:
        lin = nn.Linear(3, 2, dtype=np.float64)
        x = ag.tensor(np.arange(6.0).reshape(2, 3), dtype=np.float64)
    with (torch.no_grad() if lib is torch else ag.no_grad()):
        lin.weight.copy_(lin.weight * 0 + torch.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
                         if lib is torch else np.linspace(-1, 1, 6).reshape(2, 3))
        lin.bias.copy_(lin.bias * 0 + 0.5 if lib is torch else np.full(2, 0.5))
    (lin(x) ** 2).sum().backward(create_graph=True)
    return lin


@pytest.mark.parametrize("action", ["zero_grad", "optimizer zero_grad", "clip_grad_norm_",
                                    "clip_grad_value_", "grad.zero_()"])
def test_8_grads_after_create_graph_backward_are_writable(action):
    results = []
    for lib in (np, torch):
        lin = _create_graph_grads(lib)
        utils = torch.nn.utils if lib is torch else nn.utils
        if action == "zero_grad":
            lin.zero_grad(set_to_none=False)
        elif action == "optimizer zero_grad":
            (torch.optim.SGD if lib is torch else optim.SGD)(
                lin.parameters(), lr=0.1).zero_grad(set_to_none=False)
        elif action == "clip_grad_norm_":
            utils.clip_grad_norm_(lin.parameters(), 1.0)
        elif action == "clip_grad_value_":
            utils.clip_grad_value_(lin.parameters(), 0.5)
        else:
            lin.bias.grad.zero_()
        results.append([p.grad for p in (lin.weight, lin.bias)])
    for mine, ref in zip(*results):
        close(mine, ref)
        assert mine.data.flags.writeable and isinstance(mine.data, np.ndarray)


def test_8_a_broadcast_gradient_is_stored_as_its_own_writable_array():
    b = leaf(np.zeros(3))
    (b + ag.tensor(np.ones((4, 3)), dtype=np.float64)).sum().backward(create_graph=True)
    assert b.grad.data.flags.writeable and b.grad.data.strides != (0,)
    s = leaf(2.0)                              # 0-d: an array, not a NumPy scalar
    (s * s).backward()
    (s * s).backward()
    s.grad.zero_()
    assert isinstance(s.grad.data, np.ndarray) and float(s.grad) == 0.0


# ------------------------------------------ 9. BatchNorm checkpoints without the counter
@pytest.mark.parametrize("cls", ["BatchNorm1d", "BatchNorm2d", "InstanceNorm1d"])
def test_9_batchnorm_loads_old_checkpoints_without_num_batches_tracked(cls):
    # PyTorch 2.13 accepts them under strict=True and keeps the module's counter (0 for
    # a new module); the other entries are loaded
    kw = {"track_running_stats": True} if cls.startswith("Instance") else {}
    tm = getattr(torch.nn, cls)(3, **kw).double()
    state = {k: v.numpy() for k, v in tm.state_dict().items()
             if k != "num_batches_tracked"}
    state["running_mean"] = np.array([0.1, 0.2, 0.3])
    for tracked in (0, 7):
        mine = getattr(nn, cls)(3, dtype=np.float64, **kw)
        mine.num_batches_tracked.data[...] = tracked
        with torch.no_grad():
            tm.num_batches_tracked.fill_(tracked)
        result = mine.load_state_dict(state)                      # strict=True
        tresult = tm.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        assert int(mine.num_batches_tracked) == int(tm.num_batches_tracked) == tracked
        assert list(result.missing_keys) == list(tresult.missing_keys) == []
        close(mine.running_mean, tm.running_mean)
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU())   # other missing keys still fail
    with pytest.raises(RuntimeError, match=r"Missing key\(s\).*0\.bias"):
        model.load_state_dict({"0.weight": np.zeros((3, 3))})


# --------------------------------------------- 13. grad-mode decorators on generators
def _mode_probe(decorator, state):
    @decorator
    def gen():
        for _ in range(2):
            yield state()
        return "done"
    return gen


MODES = {   # name: (ours, PyTorch's (None: not a decorator there), state, inside)
    "no_grad": (lambda: ag.no_grad(), lambda: torch.no_grad(), "grad", False),
    "enable_grad": (lambda: ag.enable_grad(), lambda: torch.enable_grad(), "grad", True),
    "set_grad_enabled(False)": (lambda: ag.set_grad_enabled(False),
                                lambda: torch.set_grad_enabled(False), "grad", False),
    "detect_anomaly": (lambda: ag.detect_anomaly(), None, "anomaly", True),
}


@pytest.mark.parametrize("name", sorted(MODES))
def test_13_mode_decorators_cover_a_generator_body(name):
    mine, ref, which, inside = MODES[name]
    outside = not inside
    libs = [(mine, ag.set_grad_enabled, ag.is_grad_enabled) if which == "grad" else
            (mine, ag.detect_anomaly, ag.is_anomaly_enabled)]
    if ref is not None:
        libs.append((ref, torch.set_grad_enabled, torch.is_grad_enabled))
    for make, switch, state in libs:
        with switch(outside):
            gen = _mode_probe(make(), state)()       # decorating switches nothing
            assert state() is outside
            assert next(gen) is inside
            assert state() is outside                # the caller's mode between yields
            assert gen.send(None) is inside
            with pytest.raises(StopIteration) as stop:
                next(gen)
            assert stop.value.value == "done"
        assert state() is (which == "grad")


def test_13_set_grad_enabled_called_as_a_function_switches_now():
    try:
        ag.set_grad_enabled(False)
        assert not ag.is_grad_enabled()
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled()


def test_13_exceptions_thrown_into_a_decorated_generator_reach_its_body():
    seen = []

    @ag.no_grad()
    def gen():
        try:
            yield 1
        except KeyError:
            seen.append(ag.is_grad_enabled())
            yield 2

    g = gen()
    next(g)
    assert g.throw(KeyError("k")) == 2 and seen == [False]
    g.close()
    assert ag.is_grad_enabled()


# --------------------------------------------------- 14. .grad of a non-leaf warns
def test_14_reading_grad_of_a_non_leaf_warns_with_pytorchs_advice():
    x = leaf([1.0, 2.0])
    h = x * 2
    h.sum().backward()
    with pytest.warns(UserWarning, match=r"not a leaf.*retain_grad\(\)") as got:
        assert h.grad is None
    tx = tleaf([1.0, 2.0])
    th = tx * 2
    th.sum().backward()
    with pytest.warns(UserWarning, match=r"not a leaf.*retain_grad\(\)") as ref:
        assert th.grad is None
    assert len(got) == len(ref) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None                   # leaves: no warning
        k = x * 3
        k.retain_grad()
        k.sum().backward()
        assert k.grad is not None                   # retained: no warning


def test_14_the_library_never_triggers_the_non_leaf_warning():
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    x = ag.tensor(np.linspace(-1, 1, 8).reshape(2, 4))
    loss = nn.functional.cross_entropy(model(x), ag.tensor(np.array([0, 2])))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.to_dot(loss)
        ag.to_dot(loss, grads="all")
        str(ag.explain(loss))
        for step in ag.backprop_steps(loss, retain_graph=True):
            step.rule
            step.input_grads
        ag.to_dot(loss)
        loss.backward()
        ag.to_dot(loss)
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.SGD(model.parameters(), lr=0.1).step()
        model.zero_grad()


# ------------------------------------- 11. every layer validates its constructor arguments
BAD_ARGUMENTS = [   # (layer, args, kwargs, what the message must name)
    ("Conv2d", (3, 4, 3), {"stride": 0}, "stride"),            # the case
    ("Conv2d", (3, 4, 3), {"stride": -1}, "stride"),
    ("Conv2d", (3, 4, 3), {"padding": -1}, "padding"),
    ("Conv2d", (3, 4, 3), {"dilation": 0}, "dilation"),
    ("Conv2d", (3, 4, 0), {}, "kernel_size"),
    ("Conv2d", (3, 4, 2.5), {}, "kernel_size"),
    ("Conv2d", (3, 4, 3), {"groups": 0}, "groups"),
    ("Conv2d", (3, 4, 3), {"groups": 2}, "groups"),
    ("Conv2d", (0, 4, 3), {}, "in_channels"),
    ("Conv2d", (3, -4, 3), {}, "out_channels"),
    ("Conv2d", (3.0, 4, 3), {}, "in_channels"),
    ("Conv2d", (3, 4, 3), {"padding_mode": "mirror"}, "padding_mode"),
    ("Conv1d", (3, 4, 3), {"stride": (1, 1)}, "stride"),
    ("Conv1d", (3, 4, 3), {"stride": 0}, "stride"),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 0}, "stride"),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 2, "output_padding": 2}, "output_padding"),
    ("ConvTranspose1d", (3, 4, 3), {"dilation": 0}, "dilation"),
    ("MaxPool2d", (0,), {}, "kernel_size"),
    ("MaxPool2d", (2,), {"stride": 0}, "stride"),
    ("MaxPool2d", (2,), {"padding": 2}, "padding"),
    ("MaxPool2d", (2,), {"dilation": 0}, "dilation"),
    ("MaxPool1d", (2,), {"stride": 0}, "stride"),
    ("AvgPool2d", (2,), {"stride": 0}, "stride"),
    ("AvgPool2d", (2,), {"padding": -1}, "padding"),
    ("AvgPool2d", (2,), {"divisor_override": 0}, "divisor_override"),
    ("AvgPool1d", (0,), {}, "kernel_size"),
    ("AdaptiveAvgPool2d", (-1,), {}, "output_size"),
    ("AdaptiveMaxPool1d", (-2,), {}, "output_size"),
    ("LPPool2d", (2, 0), {}, "kernel_size"),
    ("MaxUnpool2d", (2,), {"stride": 0}, "stride"),
    ("Unfold", (2,), {"stride": 0}, "stride"),
    ("Fold", ((4, 4), 0), {}, "kernel_size"),
    ("Linear", (-1, 3), {}, "in_features"),
    ("Linear", (3, 2.5), {}, "out_features"),
    ("Bilinear", (2, -1, 3), {}, "in2_features"),
    ("Dropout", (1.5,), {}, "probability"),
    ("Dropout2d", (-0.1,), {}, "probability"),
    ("Embedding", (-1, 3), {}, "num_embeddings"),
    ("Embedding", (5, 3), {"padding_idx": 5}, "adding_idx"),
    ("EmbeddingBag", (5, 3), {"mode": "median"}, "mode"),
    ("BatchNorm1d", (0,), {}, "num_features"),
    ("BatchNorm2d", (3,), {"momentum": 2.0}, "momentum"),
    ("BatchNorm2d", (3,), {"eps": -1.0}, "eps"),
    ("InstanceNorm2d", (-3,), {}, "num_features"),
    ("LayerNorm", ((3, 0),), {}, "normalized_shape"),
    ("GroupNorm", (2, 3), {}, "divisible"),
    ("GroupNorm", (0, 4), {}, "num_groups"),
    ("LocalResponseNorm", (0,), {}, "size"),
    ("RNN", (3, 0), {}, "hidden_size"),
    ("RNN", (-3, 4), {}, "input_size"),
    ("RNN", (3, 4), {"num_layers": 0}, "num_layers"),
    ("RNN", (3, 4), {"dropout": 1.5}, "dropout"),
    ("RNN", (3, 4), {"nonlinearity": "sigmoid"}, "nonlinearity"),
    ("LSTM", (3, 4), {"proj_size": 4}, "proj_size"),
    ("GRU", (3, 4), {"dropout": -0.5}, "dropout"),
    ("RNNCell", (3, 0), {}, "hidden_size"),
    ("LSTMCell", (3, -1), {}, "hidden_size"),
    ("MultiheadAttention", (6, 4), {}, "num_heads"),
    ("MultiheadAttention", (6, 2), {"dropout": 1.5}, "dropout"),
    ("TransformerEncoderLayer", (6, 2), {"dim_feedforward": 0}, "dim_feedforward"),
    ("TransformerEncoderLayer", (6, 2), {"activation": "swish"}, "activation"),
    ("Upsample", (), {"scale_factor": 0}, "scale_factor"),
    ("Upsample", (), {"size": 0}, "size"),
    ("Upsample", (), {"size": 4, "mode": "cubic"}, "mode"),
    ("Upsample", (), {}, "size"),
    ("PixelShuffle", (0,), {}, "upscale_factor"),
    ("ChannelShuffle", (0,), {}, "groups"),
    ("Softmax", (1.5,), {}, "dim"),
    ("Flatten", (1.5,), {}, "start_dim"),
    ("Unflatten", (1, (2, -2)), {}, "unflattened_size"),
    ("PReLU", (0,), {}, "num_parameters"),
    ("Hardtanh", (1.0, -1.0), {}, "max_val"),
    ("ELU", (), {"alpha": "a"}, "alpha"),
    ("CELU", (), {"alpha": 0.0}, "alpha"),
    ("GELU", (), {"approximate": "fast"}, "approximate"),
    ("Softplus", (), {"beta": 0}, "beta"),
    ("MSELoss", (), {"reduction": "avg"}, "reduction"),
    ("CrossEntropyLoss", (), {"label_smoothing": 1.5}, "label_smoothing"),
    ("HuberLoss", (), {"delta": 0}, "delta"),
    ("SmoothL1Loss", (), {"beta": -1.0}, "beta"),
    ("KLDivLoss", (), {"reduction": "bad"}, "reduction"),
    ("MultiMarginLoss", (), {"p": 3}, "p"),
    ("CosineSimilarity", (), {"eps": -1.0}, "eps"),
    ("PairwiseDistance", (), {"p": -1.0}, "p"),
]


@pytest.mark.parametrize("layer, args, kwargs, what", BAD_ARGUMENTS,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(BAD_ARGUMENTS)])
def test_11_layer_constructors_validate_their_arguments(layer, args, kwargs, what):
    with pytest.raises((ValueError, TypeError)) as err:
        getattr(nn, layer)(*args, **kwargs)
    assert what in str(err.value), str(err.value)     # names the argument


def test_11_good_arguments_still_build_every_layer():
    for layer, args, kwargs in [("Conv2d", (3, 4, (1, 3)), {"stride": (2, 1), "padding": 0}),
                                ("ConvTranspose2d", (3, 4, 3), {"stride": 2,
                                                                "output_padding": 1}),
                                ("MaxPool2d", (3,), {"padding": 1, "stride": 1}),
                                ("Linear", (0, 3), {}), ("Upsample", (), {"size": (2, 3)}),
                                ("BatchNorm1d", (3,), {"momentum": None}),
                                ("AdaptiveAvgPool2d", ((None, 2),), {}),
                                ("Unflatten", (1, (2, -1)), {}),
                                ("KLDivLoss", (), {"reduction": "batchmean"})]:
        getattr(nn, layer)(*args, **kwargs)
        getattr(torch.nn, layer)(*args, **kwargs)
    with pytest.raises(ValueError, match=r"conv2d: stride must be positive"):
        nn.functional.conv2d(ag.zeros((1, 1, 4, 4)), ag.zeros((1, 1, 2, 2)), stride=0)
