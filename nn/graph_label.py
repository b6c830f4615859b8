"""How a module names itself in graph pictures: its scope path, and a short repr.

``Module.__call__`` pushes the module's dotted path on the autograd scope stack, and
every graph node records it. The path is a :class:`ScopePath`, a ``str`` that also
knows the modules of its tree, so ``draw_graph`` can title a cluster
``features.0  Conv2d(1→8, 3×3)`` without autograd knowing anything about nn: it only
calls ``scope.describe(path)``. The descriptions are written when the outermost call
names the tree (once, not per call), so a picture drawn after the model is gone
still has them.

>>> import nn
>>> describe(nn.Conv2d(1, 8, 3, padding=1)), describe(nn.Linear(64, 128))
('Conv2d(1→8, 3×3)', 'Linear(64→128)')
>>> describe(nn.MaxPool2d(2)), describe(nn.Dropout(0.3)), describe(nn.ReLU())
('MaxPool2d(2×2)', 'Dropout(p=0.3)', 'ReLU')
"""
MAX_EXTRA = 30      # a generic extra_repr longer than this is left out


class ScopePath(str):
    """A module's dotted path (a plain ``str`` to everyone else) that can describe the
    modules of its tree: ``describe(path)`` gives e.g. ``"Linear(64→10)"``."""

    def __new__(cls, path, tree):
        self = super().__new__(cls, path)
        self.tree = tree            # path -> description, shared by the whole tree
        return self

    def describe(self, path=None):
        return self.tree.get(str(self) if path is None else path)

    def __reduce__(self):           # copies and pickles are plain strings
        return (str, (str(self),))


def scope_paths(root):
    """``{module: ScopePath}`` for every module under ``root`` (the root itself: None)."""
    tree, paths = {}, {}
    for name, module in root.named_modules():
        if name:
            tree[name] = describe(module)
            paths[module] = ScopePath(name, tree)
        else:
            paths[module] = None
    return paths


def lone_path(module):
    """The path of a layer called on its own: its class name, describing itself."""
    name = type(module).__name__
    return ScopePath(name, {name: describe(module)})


def _kernel(k):
    return "×".join(str(v) for v in k) if isinstance(k, (tuple, list)) else f"{k}×{k}" \
        if isinstance(k, int) else str(k)


def _flat(v):
    if isinstance(v, (tuple, list)) and len(set(v)) == 1:
        return v[0]
    return v


def _conv(m):
    text = f"{m.in_channels}→{m.out_channels}, {_kernel(m.kernel_size)}"
    for attr, default, word in (("stride", 1, "stride"), ("dilation", 1, "dilation"),
                                ("groups", 1, "groups")):
        v = _flat(getattr(m, attr, default))
        if v != default:
            text += f", {word} {v}"
    return text


def _pool(m):
    k = m.kernel_size
    dims = getattr(m, "_n", None)      # the pooling layer's number of spatial dimensions
    text = _kernel(k if isinstance(k, (tuple, list)) or dims is None else (k,) * dims)
    stride = getattr(m, "stride", k)
    if stride is not None and _flat(stride) != _flat(k):
        text += f", stride {_flat(stride)}"
    return text


def _rnn(m):
    text = f"{m.input_size}→{m.hidden_size}"
    layers = getattr(m, "num_layers", 1)
    if layers != 1:
        text += f", {layers} layers"
    if getattr(m, "bidirectional", False):
        text += ", bidirectional"
    return text


def _transformer(m):
    attn = m.self_attn
    return (f"{attn.embed_dim}, {attn.num_heads} heads, ff {m.linear1.out_features}")


_FORMATS = (   # (attributes that identify the kind, formatter of the part in brackets)
    (("in_features", "out_features"),
     lambda m: f"{m.in_features}→{m.out_features}"
               + ("" if getattr(m, "bias", True) is not None else ", no bias")),
    (("in_channels", "out_channels", "kernel_size"), _conv),
    (("num_embeddings", "embedding_dim"), lambda m: f"{m.num_embeddings}→{m.embedding_dim}"),
    (("num_groups", "num_channels"), lambda m: f"{m.num_groups} groups, {m.num_channels}"),
    (("num_features",), lambda m: f"{m.num_features}"),
    (("normalized_shape",), lambda m: ", ".join(str(v) for v in m.normalized_shape)),
    (("input_size", "hidden_size"), _rnn),
    (("embed_dim", "num_heads"), lambda m: f"{m.embed_dim}, {m.num_heads} heads"),
    (("self_attn", "linear1"), _transformer),
    (("kernel_size",), _pool),
    (("output_size",), lambda m: f"{m.output_size}"),
    (("p",), lambda m: f"p={m.p}"),
    (("start_dim", "end_dim"), lambda m: None if (m.start_dim, m.end_dim) == (1, -1)
     else f"{m.start_dim}, {m.end_dim}"),
)


def describe(module):
    """A short repr for a graph label: ``Linear(64→128)``, ``Conv2d(1→8, 3×3)``, or
    the class name with a short ``extra_repr``."""
    name = type(module).__name__
    for attrs, fmt in _FORMATS:
        if all(hasattr(module, a) for a in attrs):
            try:
                inside = fmt(module)
            except (AttributeError, TypeError, ValueError):
                break
            return name if inside is None else f"{name}({inside})"
    extra = module.extra_repr() if hasattr(module, "extra_repr") else ""
    if extra and len(extra) <= MAX_EXTRA and "\n" not in extra:
        return f"{name}({extra})"
    return name
