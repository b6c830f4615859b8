"""Issue 21's layers against PyTorch (float64): same weights (a PyTorch state_dict loaded
as is), same inputs; outputs, input gradients and every parameter's gradient. Also
RNN.flatten_parameters()/all_weights and the padding modes of the convolutions."""
import numpy as np
import pytest
import torch

import autograd as ag
import nn
from nn_oracle import load_from_torch, run_both

pytestmark = pytest.mark.usefixtures("float64")   # conftest: float64, seeded
RNG = np.random.default_rng(1221)


def _pair(spec, **kw):
    """The same layer built by glassgrad's nn and torch.nn from the spec string."""
    ours = eval(spec, {name: getattr(nn, name) for name in dir(nn)})
    theirs = eval(spec, {name: getattr(torch.nn, name) for name in dir(torch.nn)}).double()
    load_from_torch(ours, theirs)
    return ours, theirs


LAYERS = [
    ("ZeroPad2d((1, 2, 0, 1))", [(2, 3, 4, 5)]),
    ("ConstantPad1d(2, 0.5)", [(2, 3, 4)]),
    ("ConstantPad3d((1, 0, 0, 1, 2, 0), -1.0)", [(1, 2, 3, 4, 2)]),
    ("ReflectionPad1d((2, 1))", [(2, 3, 5)]),
    ("ReflectionPad2d(2)", [(2, 3, 4, 5)]),
    ("ReflectionPad3d(1)", [(1, 2, 3, 4, 3)]),
    ("ReplicationPad1d(3)", [(3, 4)]),
    ("ReplicationPad2d((1, 3, 2, 0))", [(2, 3, 4, 5)]),
    ("ReplicationPad3d(1)", [(1, 2, 3, 4, 3)]),
    ("CircularPad1d(2)", [(2, 3, 5)]),
    ("CircularPad2d((1, 2, 2, 1))", [(2, 3, 4, 5)]),
    ("CircularPad3d(1)", [(1, 2, 3, 4, 3)]),
    ("CosineSimilarity(dim=1)", [(4, 5), (4, 5)]),
    ("PairwiseDistance(p=1.5, keepdim=True)", [(4, 5), (4, 5)]),
    ("PixelShuffle(2)", [(2, 8, 3, 3)]),
    ("PixelUnshuffle(2)", [(2, 2, 4, 6)]),
    ("ChannelShuffle(3)", [(2, 6, 2, 2)]),
    ("RMSNorm(5)", [(3, 4, 5)]),
    ("RMSNorm((4, 5), eps=1e-3, elementwise_affine=False)", [(3, 4, 5)]),
    ("AdaptiveMaxPool1d(4)", [(2, 3, 9)]),
    ("LPPool1d(2, 3, stride=2)", [(2, 3, 9)]),
    ("LPPool2d(2.0, (2, 3))", [(2, 3, 6, 6)]),
    ("Hardshrink(0.3)", [(4, 5)]),
    ("Softshrink(0.3)", [(4, 5)]),
    ("RReLU(0.1, 0.4).eval()", [(4, 5)]),
    ("Softmax2d()", [(2, 3, 4, 4)]),
    ("FeatureAlphaDropout(0.5).eval()", [(2, 3, 4)]),
    ("Conv1d(2, 3, 3, padding=2, padding_mode='reflect')", [(2, 2, 7)]),
    ("Conv2d(2, 3, (3, 2), padding='same', padding_mode='replicate', dilation=(1, 2))",
     [(2, 2, 6, 7)]),
    ("Conv2d(2, 4, 3, stride=2, padding=(1, 2), padding_mode='circular', groups=2)",
     [(2, 2, 6, 7)]),
    ("Conv3d(2, 3, 2, padding=1, padding_mode='reflect', bias=False)", [(1, 2, 4, 4, 3)]),
]


@pytest.mark.parametrize("spec,shapes", LAYERS, ids=[s for s, _ in LAYERS])
def test_layer_matches_pytorch(spec, shapes):
    ours, theirs = _pair(spec)
    run_both(torch, ours, theirs, [RNG.normal(size=s) for s in shapes])
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("spec", ["LPPool2d(3.0, (2, 3), ceil_mode=True)", "LPPool3d(2.5, 2)"])
def test_lp_pool_fractional_powers_of_positive_inputs(spec):
    ours, theirs = _pair(spec)
    shape = (2, 3, 7, 6) if "2d" in spec else (1, 2, 4, 4, 4)
    run_both(torch, ours, theirs, [np.abs(RNG.normal(size=shape)) + 0.1])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_layer(mode):
    ours, theirs = _pair(f"EmbeddingBag(10, 4, mode='{mode}', padding_idx=2)")
    idx, offsets = np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 3, 6])
    run_both(torch, ours, theirs, [idx, offsets])
    run_both(torch, ours, theirs, [np.array([[1, 2, 3], [4, 4, 2]])])
    if mode == "sum":
        run_both(torch, ours, theirs, [idx, offsets, RNG.normal(size=8)])
    frozen = nn.EmbeddingBag.from_pretrained(RNG.normal(size=(5, 3)), mode=mode)
    assert not frozen.weight.requires_grad and frozen(np.array([[0, 1]])).shape == (1, 3)


@pytest.mark.parametrize("nsp", [1, 2, 3])
def test_max_unpool_layers(nsp):
    pool = getattr(torch.nn, f"MaxPool{nsp}d")(2, return_indices=True)
    ours, theirs = _pair(f"MaxUnpool{nsp}d(2)")
    values, idx = pool(torch.tensor(RNG.normal(size=(2, 3) + (6, 4, 4)[:nsp])))
    run_both(torch, ours, theirs, [values.numpy(), idx.numpy()])
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_decoder_layer_and_decoder(norm_first, batch_first):
    kw = f"8, 2, dim_feedforward=16, dropout=0.0, batch_first={batch_first}, " \
         f"norm_first={norm_first}"
    tgt = RNG.normal(size=(3, 4, 8) if batch_first else (4, 3, 8))
    memory = RNG.normal(size=(3, 5, 8) if batch_first else (5, 3, 8))
    causal = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    pad = np.zeros((3, 5), dtype=bool)
    pad[0, 3:] = True
    ours, theirs = _pair(f"TransformerDecoderLayer({kw})")
    run_both(torch, ours, theirs, [tgt, memory], tgt_mask=causal,
             memory_key_padding_mask=pad, rtol=1e-7, atol=1e-9)
    ours, theirs = _pair(f"TransformerDecoder(TransformerDecoderLayer({kw}), 2, "
                         f"norm=LayerNorm(8))")
    run_both(torch, ours, theirs, [tgt, memory], tgt_mask=causal, rtol=1e-7, atol=1e-9)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer(batch_first):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")           # PyTorch's nested-tensor notice
        ours, theirs = _pair(f"Transformer(8, 2, 2, 2, 16, 0.0, batch_first={batch_first})")
    src = RNG.normal(size=(3, 5, 8) if batch_first else (5, 3, 8))
    tgt = RNG.normal(size=(3, 4, 8) if batch_first else (4, 3, 8))
    causal = nn.Transformer.generate_square_subsequent_mask(4)
    assert causal.dtype == np.float64 and np.isneginf(causal.data[0, 1])
    pad = np.zeros((3, 5), dtype=bool)
    pad[1, 4:] = True
    run_both(torch, ours, theirs, [src, tgt], tgt_mask=causal.data, src_key_padding_mask=pad,
             memory_key_padding_mask=pad, rtol=1e-7, atol=1e-9)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with pytest.raises(ValueError, match="batch number of src and tgt"):
        ours(ag.tensor(src), ag.tensor(tgt[:, :2] if not batch_first else tgt[:2]))


LOSSES = [
    ("TripletMarginLoss(margin=0.5, p=1.0, swap=True)", [(4, 3)] * 3),
    ("TripletMarginWithDistanceLoss(margin=2.0)", [(4, 3)] * 3),
    ("MultiLabelSoftMarginLoss(weight=torch_tensor([1.0, 2.0, 0.5]))", [(4, 3), "multi-hot"]),
    ("MultiLabelMarginLoss(reduction='sum')", [(4, 3), "labels"]),
]


@pytest.mark.parametrize("spec,shapes", LOSSES, ids=[s for s, _ in LOSSES])
def test_loss_modules(spec, shapes):
    ours = eval(spec, dict({n: getattr(nn, n) for n in dir(nn)}, torch_tensor=np.array))
    theirs = eval(spec, dict({n: getattr(torch.nn, n) for n in dir(torch.nn)},
                             torch_tensor=lambda v: torch.tensor(v, dtype=torch.float64)))
    arrays = []
    for s in shapes:
        if s == "multi-hot":
            arrays.append(RNG.integers(0, 2, size=(4, 3)).astype(float))
        elif s == "labels":
            arrays.append(np.array([[2, -1, 0], [0, 1, -1], [1, 1, 2], [-1, 0, 0]]))
        else:
            arrays.append(RNG.normal(size=s))
    grads = [None] + [False] * (len(arrays) - 1) if "MultiLabel" in spec else None
    run_both(torch, ours, theirs, arrays, grads=grads)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_ctc_loss_module():
    ours, theirs = nn.CTCLoss(blank=1, zero_infinity=True), torch.nn.CTCLoss(
        blank=1, zero_infinity=True)
    lp = np.log(RNG.dirichlet(np.ones(4), size=(8, 2)))
    targets, in_len, tgt_len = np.array([[2, 3, 0], [3, 3, 2]]), [8, 6], [3, 2]
    out = ours(ag.tensor(lp), targets, in_len, tgt_len)
    tout = theirs(torch.tensor(lp), torch.tensor(targets), torch.tensor(in_len),
                  torch.tensor(tgt_len))
    np.testing.assert_allclose(out.data, tout.numpy())
    assert repr(ours) == repr(theirs) == "CTCLoss()"


@pytest.mark.parametrize("mode,kw", [("LSTM", "proj_size=2, num_layers=2, bidirectional=True"),
                                     ("GRU", "num_layers=3"), ("RNN", "bias=False")])
def test_rnn_flatten_parameters_and_all_weights(mode, kw):
    ours, theirs = _pair(f"{mode}(3, 4, {kw})")
    assert ours.flatten_parameters() is None
    theirs.flatten_parameters()
    assert len(ours.all_weights) == len(theirs.all_weights)
    for layer, tlayer in zip(ours.all_weights, theirs.all_weights):
        assert [tuple(w.shape) for w in layer] == [tuple(t.shape) for t in tlayer]
        for w, t in zip(layer, tlayer):
            np.testing.assert_array_equal(w.data, t.detach().numpy())
    assert [p for layer in ours.all_weights for p in layer] == list(ours.parameters())
    x = RNG.normal(size=(5, 2, 3))
    out = ours(ag.tensor(x))
    tout = theirs(torch.tensor(x))
    np.testing.assert_allclose(out[0].data, tout[0].detach().numpy(), atol=1e-12)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("spec,shapes", [
    ("InstanceNorm3d(3, affine=True)", [(2, 3, 4, 3, 5)]),
    ("InstanceNorm3d(3)", [(3, 4, 3, 5)]),
    ("AdaptiveAvgPool3d((2, 3, 1))", [(2, 3, 5, 6, 4)]),
    ("AdaptiveMaxPool3d(2)", [(2, 3, 5, 6, 4)]),
])
def test_3d_layers(spec, shapes):
    ours, theirs = _pair(spec)
    run_both(torch, ours, theirs, [RNG.normal(size=s) for s in shapes])
    assert repr(ours) == repr(theirs)


def test_nll_loss_2d_is_nll_loss_and_warns_like_pytorch():
    x, t = RNG.normal(size=(2, 3, 4, 4)), RNG.integers(0, 3, size=(2, 4, 4))
    with pytest.warns(FutureWarning, match="NLLLoss2d has been deprecated"):
        ours = nn.NLLLoss2d()
    with pytest.warns(FutureWarning):
        theirs = torch.nn.NLLLoss2d()
    run_both(torch, ours, theirs, [x, t], grads=[None, False])


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((2, 4, 1, 3, 3), 1)])
def test_dirac_init(shape, groups):
    ours, theirs = ag.zeros(shape), torch.zeros(shape)
    nn.init.dirac_(ours, groups)
    torch.nn.init.dirac_(theirs, groups)
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_sparse_init_zeros_the_same_count_per_column():
    w = ag.zeros((10, 6))
    nn.init.sparse_(w, 0.3, std=0.5)
    assert ((w.data == 0).sum(axis=0) == 3).all() and 0.2 < w.data[w.data != 0].std() < 1.0
    with pytest.raises(ValueError, match="2-d"):
        nn.init.sparse_(ag.zeros((2, 3, 4)), 0.1)


@pytest.mark.parametrize("build,match", [
    (lambda: nn.PixelShuffle(0), "upscale_factor must be a positive integer"),
    (lambda: nn.PixelUnshuffle(1.5), "downscale_factor must be a positive integer"),
    (lambda: nn.ChannelShuffle(-2), "groups must be a positive integer"),
    (lambda: nn.EmbeddingBag(0, 3), "num_embeddings must be a positive integer"),
    (lambda: nn.EmbeddingBag(4, 3, mode="median"), "mode must be"),
    (lambda: nn.EmbeddingBag(4, 3, padding_idx=4), "padding_idx"),
    (lambda: nn.RMSNorm((3, 0)), "normalized_shape"),
    (lambda: nn.LPPool2d(0, 2), "norm_type must be positive"),
    (lambda: nn.RReLU(0.5, 0.2), "lower <= upper"),
    (lambda: nn.TripletMarginLoss(margin=0), "margin must be greater than 0"),
    (lambda: nn.CTCLoss(blank=-1), "blank must be a class index"),
    (lambda: nn.ReflectionPad2d((1, 2, 3)), "padding must be an int or 4 ints"),
    (lambda: nn.Conv2d(1, 2, 3, padding_mode="mirror"), "padding_mode must be one of"),
    (lambda: nn.ConvTranspose2d(1, 2, 3, padding_mode="reflect"), 'only "zeros"'),
    (lambda: nn.TransformerDecoderLayer(8, 3), "multiple of num_heads"),
    (lambda: nn.Hardtanh(1.0, -1.0), "max_val"),
])
def test_new_layers_check_their_arguments(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_device_is_accepted_for_the_cpu_and_refused_otherwise():
    nn.Conv2d(1, 2, 3, device="cpu")
    nn.LSTM(2, 3, device=None)
    for build in (lambda: nn.Conv1d(1, 2, 3, device="cuda"),
                  lambda: nn.GRUCell(2, 3, device="cuda:0"),
                  lambda: nn.MultiheadAttention(4, 2, device="mps"),
                  lambda: nn.RMSNorm(3, device="cuda")):
        with pytest.raises(RuntimeError, match="CPU only"):
            build()
