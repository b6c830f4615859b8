"""One op is one block in one file: a primitive's public function is written in the
module that declares the primitive (or generated there by ``coerce=``), and the
composite ops, which have no VJP, live in ``autograd/functions``."""
import autograd as ag
from autograd.ops.registry import DECLARED, Primitive


def _declared_in(fn):
    return getattr(fn, "__module__", None)


def test_a_primitive_and_its_public_function_are_one_block():
    apart = []
    for name, op in DECLARED.items():
        if not isinstance(op, Primitive) or not _declared_in(op.public).startswith("autograd."):
            continue
        home = next(_declared_in(v) for v in op.vjps if v is not None)
        public_home = _declared_in(op.public)
        if public_home not in (home, "autograd.ops.coerce"):
            apart.append(f"{name}: VJPs in {home}, public function in {public_home}")
    assert not apart, "\n".join(apart)


def test_autograd_functions_holds_composites_only():
    primitives = [name for name, op in DECLARED.items()
                  if _declared_in(op.public).startswith("autograd.functions")
                  and isinstance(op, Primitive)]
    assert not primitives, primitives
    composites = [name for name, op in DECLARED.items() if op.composite
                  and _declared_in(op.public).startswith("autograd.")]
    assert composites and all(_declared_in(DECLARED[n].public).startswith(
        "autograd.functions") for n in composites), composites


def test_the_moved_public_functions_keep_their_names():
    for name in ["sum", "max", "logsumexp", "log_softmax", "reshape", "transpose",
                 "broadcast_to", "concatenate", "pad", "getitem", "index_add", "matmul",
                 "einsum"]:
        fn = getattr(ag, name)
        assert fn is DECLARED[name].public and fn.__name__ == name
        assert isinstance(DECLARED[name], Primitive)
    assert ag.amax is ag.max and ag.cat is ag.concatenate and ag.view is ag.reshape
    assert ag.Tensor.sum is ag.sum and ag.Tensor.__getitem__ is ag.getitem
