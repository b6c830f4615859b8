"""Write the PyTorch parity tables into docs/pytorch_parity.md (between its markers).

    python docs/make_parity_table.py            # rewrite the tables
    python docs/make_parity_table.py --check    # exit 1 if the file is out of date

The rows are PyTorch's actual public surface, read from the installed torch (2.13):
every ``torch.nn`` module class, ``torch.nn.functional``, ``torch.nn.init`` and
``torch.nn.utils`` function, optimizer and scheduler. Whether glassgrad has each name is
looked up in ``nn``/``optim``, never typed by hand, so the table cannot claim what is
not there (tests/nn/test_parity_table.py runs the check).
"""
import inspect
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "pytorch_parity.md")
START, END = "<!-- parity-table:start -->", "<!-- parity-table:end -->"

# torch.nn.functional's plumbing, not functions a model calls
INTERNAL = {"assert_int_or_pair", "boolean_dispatch", "handle_torch_function",
            "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic"}

NOTES = {
    # modules
    "ReLU": "`inplace=True` writes into the input, with PyTorch's checks (as every "
            "activation/dropout `inplace` flag)",
    "Conv2d": "`padding_mode` zeros/reflect/replicate/circular (through `F.pad`), as "
              "Conv1d/Conv3d",
    "CTCLoss": "log-space forward-backward primitive; its gradient w.r.t. `log_probs` is the "
               "exact derivative (PyTorch's adds `exp(log_probs)`, which cancels through "
               "`log_softmax`: gradients w.r.t. logits agree)",
    "EmbeddingBag": "sum/mean/max, offsets, per_sample_weights, padding_idx",
    "MultiheadAttention": "`add_bias_kv`/`add_zero_attn` refused",
    "ParameterList": "prints NumPy dtype names (`float32`, not `torch.float32`)",
    "ParameterDict": "prints NumPy dtype names",
    "LSTM": "`flatten_parameters()` is a no-op (as on the CPU), `all_weights` as PyTorch",
    "Transformer": "with TransformerEncoder/Decoder(Layer), causal-mask detection",
    "DataParallel": "single-GPU/multi-GPU wrapper: glassgrad runs on the CPU",
    "SyncBatchNorm": "synchronises batch statistics over MPI (see docs/distributed.md)",
    "AdaptiveLogSoftmaxWithLoss": "not yet",
    "FractionalMaxPool2d": "not yet (random pooling regions)",
    "FractionalMaxPool3d": "not yet (random pooling regions)",
    "CrossMapLRN2d": "legacy; use LocalResponseNorm",
    "Container": "deprecated in PyTorch; use Sequential/ModuleList/ModuleDict",
    "LinearCrossEntropyLoss": "not yet",
    "NLLLoss2d": "deprecated alias of NLLLoss",
    # functional
    "grid_sample": "bilinear and nearest (2-d and 3-d), zeros/border/reflection; no bicubic",
    "ctc_loss": "see CTCLoss",
    "pad": "constant (any dims, negative widths crop), reflect/replicate/circular (last 1-3 "
           "dims)",
    "gumbel_softmax": "draws from `ag.get_rng()`",
    "conv_tbc": "time-batch-channel convolution: not yet",
    "grouped_mm": "CUDA-oriented kernel",
    "scaled_grouped_mm": "CUDA-oriented kernel",
    "scaled_mm": "CUDA-oriented kernel (float8)",
    "native_channel_shuffle": "use `channel_shuffle`",
    "linear_cross_entropy": "not yet",
    "multi_head_attention_forward": "the functional core of MultiheadAttention",
    # utils
    "clip_grad_norm": "deprecated spelling of `clip_grad_norm_` (warns, as PyTorch)",
    "skip_init": "initialises anyway (PyTorch leaves memory as it was)",
    "weight_norm": "not yet (parametrizations)",
    "spectral_norm": "not yet (parametrizations)",
    "remove_weight_norm": "not yet (parametrizations)",
    "remove_spectral_norm": "not yet (parametrizations)",
    "fuse_conv_bn_eval": "not yet",
    "fuse_conv_bn_weights": "not yet",
    "fuse_linear_bn_eval": "not yet",
    "fuse_linear_bn_weights": "not yet",
    "convert_conv2d_weight_memory_format": "memory formats are a CUDA/channels-last matter",
    "convert_conv3d_weight_memory_format": "memory formats are a CUDA/channels-last matter",
    # optim
    "SparseAdam": "sparse gradients are not supported",
    "Adafactor": "not yet",
    "Muon": "not yet",
    "Optimizer": "frozen parameters accepted; every update in place, one version bump per "
                 "parameter per step; `foreach`/`fused`/`capturable` accepted (same math), "
                 "`differentiable=True` refused",
    "LBFGS": "also strong-Wolfe line search",
    "_LRScheduler": "PyTorch's old name of LRScheduler",
}
DEPRECATED_INIT = {"constant", "dirac", "eye", "kaiming_normal", "kaiming_uniform", "normal",
                   "orthogonal", "sparse", "uniform", "xavier_normal", "xavier_uniform"}


def _public(module, keep):
    return sorted(name for name in dir(module) if not name.startswith("__")
                  and keep(name, getattr(module, name)))


def surfaces():
    """[(title, torch prefix, glassgrad prefix, glassgrad namespace, names)]."""
    import torch
    import torch.nn.functional as TF
    import torch.nn.init as TI
    import torch.nn.utils as TU
    import torch.optim.lr_scheduler as TS

    import nn
    import optim

    def is_module(name, obj):
        return not name.startswith("_") and inspect.isclass(obj) and issubclass(
            obj, torch.nn.Module)

    def is_function(owner):
        def keep(name, obj):
            return (not name.startswith("_") and name not in INTERNAL
                    and inspect.isroutine(obj)
                    and (getattr(obj, "__module__", "") or "").startswith(owner))
        return keep

    def is_optimizer(name, obj):
        return inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer)

    def is_scheduler(name, obj):
        return inspect.isclass(obj) and (issubclass(obj, TS.LRScheduler)
                                         or name == "ReduceLROnPlateau")
    return [
        ("Layers, losses and containers", "torch.nn.", "nn.", nn,
         _public(torch.nn, is_module)),
        ("Functions", "torch.nn.functional.", "F.", nn.functional,
         _public(TF, is_function("torch"))),
        ("Initialisation", "torch.nn.init.", "nn.init.", nn.init,
         _public(TI, is_function("torch.nn.init"))),
        ("Utilities", "torch.nn.utils.", "nn.utils.", nn.utils,
         _public(TU, is_function("torch.nn.utils"))),
        ("Optimizers", "torch.optim.", "optim.", optim, _public(torch.optim, is_optimizer)),
        ("Learning-rate schedulers", "torch.optim.lr_scheduler.", "optim.lr_scheduler.",
         optim.lr_scheduler, _public(TS, is_scheduler)),
    ]


def _note(prefix, name):
    if prefix == "nn.init." and name in DEPRECATED_INIT:
        return f"deprecated spelling of `{name}_` (warns, as PyTorch)"
    if name.startswith("Lazy"):
        return "not yet: give the input size (in_features, in_channels, num_features)"
    if name.startswith("fractional_max_pool"):
        return "not yet (random pooling regions)"
    return NOTES.get(name, "")


def tables():
    """The Markdown tables and a one-line count per section."""
    lines = []
    for title, torch_prefix, ours_prefix, namespace, names in surfaces():
        have = [n for n in names if hasattr(namespace, n)]
        lines += [f"### {title}: {len(have)} of {len(names)}", "",
                  f"| `{torch_prefix}` | glassgrad | notes |", "|---|---|---|"]
        for name in names:
            status = f"`{ours_prefix}{name}`" if hasattr(namespace, name) else "—"
            lines.append(f"| `{name}` | {status} | {_note(ours_prefix, name)} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render(text):
    """``text`` (the doc) with the part between the markers replaced by the tables."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + START + "\n" + tables() + END + tail


def main(argv):
    sys.path.insert(0, os.path.dirname(HERE))
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    new = render(text)
    if "--check" in argv:
        if new != text:
            print(f"{DOC} is out of date: run python docs/make_parity_table.py")
            return 1
        return 0
    tmp = DOC + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(tmp, DOC)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
