"""Printed models diff cleanly against PyTorch's (issue 21): ``repr`` of every layer,
loss and container built the same way in both libraries is the same text."""
import warnings

import pytest
import torch

import autograd as ag
import nn

SPECS = [
    'Linear(3, 4)',
    'Linear(3, 4, bias=False)',
    'Bilinear(3, 4, 5)',
    'Identity()',
    'Flatten()',
    'Flatten(0, 2)',
    'Unflatten(1, (2, 3))',
    'Conv1d(2, 4, 3)',
    'Conv2d(2, 4, 3, stride=2, padding=1)',
    'Conv2d(2, 4, (3, 5), dilation=2, groups=2, bias=False)',
    "Conv2d(2, 4, 3, padding='same')",
    "Conv2d(2, 4, 3, padding_mode='reflect', padding=1)",
    'Conv3d(2, 4, 3)',
    'ConvTranspose1d(2, 4, 3)',
    'ConvTranspose2d(2, 4, 3, stride=2, output_padding=1)',
    'ConvTranspose3d(2, 4, 3)',
    'Unfold(3)',
    'Fold((4, 4), 2)',
    'MaxPool1d(2)',
    'MaxPool2d(2)',
    'MaxPool2d((2, 3), stride=1, padding=1, ceil_mode=True)',
    'MaxPool3d(2)',
    'AvgPool1d(3)',
    'AvgPool2d(2)',
    'AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)',
    'AvgPool3d(2)',
    'AdaptiveAvgPool1d(3)',
    'AdaptiveAvgPool2d((3, 4))',
    'AdaptiveAvgPool2d(1)',
    'AdaptiveMaxPool2d(2)',
    'AdaptiveMaxPool2d(2, return_indices=True)',
    'Upsample(scale_factor=2)',
    "Upsample(size=(4, 5), mode='bilinear', align_corners=False)",
    'UpsamplingNearest2d(scale_factor=2)',
    'UpsamplingBilinear2d(scale_factor=2)',
    'BatchNorm1d(4)',
    'BatchNorm2d(4, affine=False)',
    'BatchNorm3d(4, momentum=None)',
    'LayerNorm(4)',
    'LayerNorm((3, 4), elementwise_affine=False)',
    'LayerNorm(4, bias=False)',
    'GroupNorm(2, 4)',
    'InstanceNorm1d(4)',
    'InstanceNorm2d(4, affine=True)',
    'LocalResponseNorm(3)',
    'Dropout()',
    'Dropout(0.2, inplace=True)',
    'Dropout1d(0.3)',
    'Dropout2d()',
    'Dropout3d()',
    'AlphaDropout(0.1)',
    'Embedding(10, 3)',
    'Embedding(10, 3, padding_idx=0, max_norm=1.0)',
    'Embedding(10, 3, scale_grad_by_freq=True, sparse=True, norm_type=1.0, max_norm=2.0)',
    'RNN(3, 4)',
    'LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)',
    'GRU(3, 4, bias=False, dropout=0.5, num_layers=2)',
    'RNNCell(3, 4)',
    'LSTMCell(3, 4)',
    'GRUCell(3, 4, bias=False)',
    'MultiheadAttention(8, 2)',
    'TransformerEncoderLayer(8, 2, dim_feedforward=16)',
    'ReLU()',
    'ReLU(inplace=True)',
    'ReLU6()',
    'LeakyReLU()',
    'LeakyReLU(0.2, inplace=True)',
    'PReLU()',
    'PReLU(3, init=0.1)',
    'ELU()',
    'ELU(alpha=0.5, inplace=True)',
    'SELU()',
    'CELU(0.5)',
    'GELU()',
    "GELU(approximate='tanh')",
    'SiLU()',
    'Mish()',
    'Sigmoid()',
    'Tanh()',
    'Softplus()',
    'Softplus(beta=2, threshold=10)',
    'Softsign()',
    'LogSigmoid()',
    'Hardtanh()',
    'Hardtanh(-2.0, 2.0)',
    'Hardsigmoid()',
    'Hardswish()',
    'Tanhshrink()',
    'Threshold(0.1, 20.0)',
    'GLU()',
    'Softmax(dim=1)',
    'Softmax()',
    'LogSoftmax(dim=-1)',
    'Softmin(dim=0)',
    'Softmax2d()',
    'L1Loss()',
    "MSELoss(reduction='sum')",
    'HuberLoss(delta=0.5)',
    'SmoothL1Loss(beta=0.5)',
    'BCELoss()',
    'BCEWithLogitsLoss()',
    'NLLLoss()',
    'CrossEntropyLoss(label_smoothing=0.1)',
    "KLDivLoss(reduction='batchmean')",
    'MultiMarginLoss()',
    'SoftMarginLoss()',
    'MarginRankingLoss(margin=0.5)',
    'HingeEmbeddingLoss()',
    'PoissonNLLLoss()',
    'GaussianNLLLoss()',
    'CosineEmbeddingLoss()',
    'Sequential(Linear(2, 3), ReLU(), Linear(3, 1))',
    'Sequential(ReLU(), ReLU(), ReLU(), Linear(2, 2), Linear(2, 2))',
    'ModuleList([ReLU(), ReLU(), Linear(2, 2)])',
    'ModuleList([Linear(2, 2) for _ in range(3)])',
    "ModuleDict({'a': ReLU(), 'b': Linear(2, 3)})",
    'ZeroPad2d(2)',
    'ZeroPad1d((1, 2))',
    'ZeroPad3d(1)',
    'ConstantPad1d((1, 2), 3.5)',
    'ConstantPad2d(1, 0.0)',
    'ConstantPad3d((1, 2, 0, 0, 1, 1), -1.0)',
    'ReflectionPad1d(2)',
    'ReflectionPad2d((1, 0, 2, 0))',
    'ReflectionPad3d(1)',
    'ReplicationPad1d(2)',
    'ReplicationPad2d((1, 1, 2, 2))',
    'ReplicationPad3d(1)',
    'CircularPad1d(1)',
    'CircularPad2d((1, 0, 0, 1))',
    'CircularPad3d(2)',
    'CosineSimilarity()',
    'CosineSimilarity(dim=0, eps=1e-6)',
    'PairwiseDistance()',
    'PairwiseDistance(p=1.0, keepdim=True)',
    'PixelShuffle(2)',
    'PixelUnshuffle(3)',
    'ChannelShuffle(2)',
    'EmbeddingBag(10, 3)',
    "EmbeddingBag(10, 3, mode='max', padding_idx=0, include_last_offset=True, max_norm=2.)",
    "EmbeddingBag(10, 3, mode='sum', norm_type=1.0, scale_grad_by_freq=True)",
    'RMSNorm(4)',
    'RMSNorm((3, 4), eps=1e-5, elementwise_affine=False)',
    'AdaptiveMaxPool1d(3)',
    'AdaptiveMaxPool1d(3, True)',
    'LPPool1d(2, 3)',
    'LPPool2d(2.5, (2, 3), 1, True)',
    'LPPool3d(1, 2)',
    'MaxUnpool1d(2)',
    'MaxUnpool2d((2, 3), 1, 1)',
    'MaxUnpool3d(2)',
    'Hardshrink()',
    'Softshrink(0.3)',
    'RReLU()',
    'RReLU(0.1, 0.3, inplace=True)',
    'ReLU6(inplace=True)',
    'Hardtanh(inplace=True)',
    'Threshold(0.1, 2., True)',
    'CELU(inplace=True)',
    'SELU(True)',
    'SiLU(True)',
    'Mish(True)',
    'Hardswish(True)',
    'Hardsigmoid(True)',
    'FeatureAlphaDropout(0.2)',
    "Conv1d(2, 4, 3, padding_mode='circular', padding=2)",
    "Conv3d(2, 4, 3, padding_mode='replicate', padding='same')",
    'TripletMarginLoss()',
    'TripletMarginLoss(margin=2.0, p=1, swap=True)',
    'TripletMarginWithDistanceLoss()',
    'TripletMarginWithDistanceLoss(distance_function=CosineSimilarity(), margin=0.5)',
    'MultiLabelSoftMarginLoss()',
    'MultiLabelMarginLoss()',
    'CTCLoss()',
    'CTCLoss(blank=3, zero_infinity=True)',
    'Transformer(8, 2, 1, 1, 16)',
    'TransformerDecoderLayer(8, 2, 16)',
    'TransformerDecoder(TransformerDecoderLayer(8, 2, 16), 2)',
]


def _build(lib, spec):
    names = {name: getattr(lib, name) for name in dir(lib) if name[:1].isupper()}
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(spec, names)


@pytest.mark.parametrize("spec", SPECS)
def test_repr_is_pytorchs(spec):
    assert repr(_build(nn, spec)) == repr(_build(torch.nn, spec))


def test_module_list_collapses_runs_like_pytorch():
    def build(lib):
        block = lib.Sequential(lib.Linear(2, 2), lib.ReLU())
        return lib.ModuleList([lib.ReLU(), lib.ReLU(), block, lib.Sequential(
            lib.Linear(2, 2), lib.ReLU()), lib.Tanh(), lib.ModuleList([lib.ReLU()] * 3)])
    ours, theirs = build(nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    assert "(2-3): 2 x Sequential(" in repr(ours) and "(0-2): 3 x ReLU()" in repr(ours)
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"


def test_parameter_containers_print_pytorchs_layout_with_numpy_dtype_names():
    ours = nn.ParameterList([nn.Parameter(ag.zeros((2, 3))), nn.Parameter(ag.zeros(4))])
    assert repr(ours) == ("ParameterList(\n    (0): Parameter containing: [float32 of size "
                          "2x3]\n    (1): Parameter containing: [float32 of size 4]\n)")
    theirs = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2, 3)),
                                     torch.nn.Parameter(torch.zeros(4))])
    assert repr(ours).replace("float32", "torch.float32") == repr(theirs)
    d = nn.ParameterDict({"w": nn.Parameter(ag.zeros(2))})
    assert repr(d) == "ParameterDict(  (w): Parameter containing: [float32 of size 2])"
