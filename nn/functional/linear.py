"""``F.linear`` (the fused ``linear`` primitive) and friends (einsum); no backward here."""
import autograd as ag

__all__ = ["linear", "bilinear", "identity"]


def linear(input, weight, bias=None):  # noqa: A002 - PyTorch's name
    """y = x Wᵀ + b, with x of shape (*, in), W (out, in), b (out,) -> y (*, out).

    >>> import autograd as ag, nn.functional as F
    >>> F.linear(ag.ones((2, 3)), ag.ones((4, 3))).shape
    (2, 4)
    """
    input, weight = ag.as_tensor(input), ag.as_tensor(weight)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be 2-d (out_features, in_features), got "
                         f"shape {weight.shape}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: input of shape {input.shape} does not match weight of shape "
            f"{weight.shape}; the input's last dimension must be in_features="
            f"{weight.shape[-1]}")
    if bias is None:
        return ag.ops.linear(input, weight)
    return ag.ops.linear(input, weight, ag.as_tensor(bias))


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1ᵀ W_k x2 + b_k, W of shape (out, in1, in2)."""
    out = ag.einsum("...i,kij,...j->...k", input1, weight, input2)
    if bias is not None:
        out = out + bias
    return out


def identity(input):  # noqa: A002
    return input
