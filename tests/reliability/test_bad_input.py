"""Bad input gets an error that says what was expected: the op, the shapes, what to do.

Each case pins the exception type and the parts of the message a user needs.
"""
import re

import numpy as np
import pytest

import autograd as ag
import optim


def leaf(shape=(2, 3)):
    return ag.Tensor(np.ones(shape), requires_grad=True)


def check(fn, exc, *parts):
    with pytest.raises(exc) as info:
        fn()
    msg = str(info.value)
    for part in parts:
        assert re.search(part, msg), (part, msg)
    assert "Traceback" not in msg and len(msg) < 600, msg


X = leaf()

SHAPES = {
    "add": (lambda: X + ag.ones(4), ValueError, r"^add:", r"\(2, 3\)", r"\(4,\)"),
    "mul array": (lambda: X * np.ones((3, 2)), ValueError, r"^mul:", r"\(2, 3\)", r"\(3, 2\)"),
    "matmul": (lambda: X @ X, ValueError, r"^matmul:", r"\(2, 3\) and \(2, 3\)", "align"),
    "matmul 0-d": (lambda: X @ ag.tensor(2.0), ValueError, "matmul", "at least 1 dim"),
    "reshape": (lambda: X.reshape(4, 2), ValueError, "reshape", r"\(2, 3\)", r"\(4, 2\)"),
    "concatenate": (lambda: ag.concatenate([X, ag.ones(2)]), ValueError, "concatenate",
                    r"\(2, 3\), \(2,\)"),
    "stack": (lambda: ag.stack([X, ag.ones((3, 2))]), ValueError, "stack", r"\(3, 2\)"),
    "broadcast_to": (lambda: X.broadcast_to((4, 3)), ValueError, "broadcast_to",
                     r"\(2, 3\) to \(4, 3\)"),
    "einsum": (lambda: ag.einsum("ij,jk->ik", X, X), ValueError, "einsum", "letter 'j'",
               "size 3", "size|but 2"),
    "einsum terms": (lambda: ag.einsum("ij,jk->ik", X), ValueError, "einsum", "2 operand"),
    "where": (lambda: ag.where(np.ones(4, bool), X, 0), ValueError, "where", r"\(4,\)"),
    "axis": (lambda: X.sum(axis=3), ValueError, "sum", "axis 3", "2 dimensions"),
    "softmax axis": (lambda: ag.softmax(X, axis=2), ValueError, "softmax", "axis 2"),
    "getitem bounds": (lambda: X[5], IndexError, "getitem", r"\(2, 3\)", "out of bounds"),
    "getitem float": (lambda: X[np.array([0.5])], IndexError, "getitem", "integer or boolean"),
    "getitem float scalar": (lambda: X[0.5], IndexError, "getitem", "integers"),
    "item": (lambda: X.item(), ValueError, "item", r"\(2, 3\)"),
    "bool": (lambda: bool(X), RuntimeError, "ambiguous", r"\(2, 3\)"),
}


@pytest.mark.parametrize("case", sorted(SHAPES))
def test_shape_errors_name_the_op_and_the_shapes(case):
    fn, exc, *parts = SHAPES[case]
    check(fn, exc, *parts)


DATA = {
    "int requires grad": (lambda: ag.Tensor(np.arange(3), requires_grad=True), RuntimeError,
                          "floating point", "int64", "astype"),
    "int factory": (lambda: ag.zeros(3, dtype=np.int64, requires_grad=True), RuntimeError,
                    "floating point"),
    "string": (lambda: ag.tensor("abc"), TypeError, "numeric", "str"),
    "string operand": (lambda: X + "a", TypeError, "numeric", "str"),
    "ragged": (lambda: ag.tensor([[1, 2], [3]]), ValueError, "different lengths"),
    "None": (lambda: ag.tensor(None), TypeError, "NoneType"),
    "int to negative power": (lambda: ag.Tensor(np.arange(3)) ** -1, ValueError, "pow",
                              "negative integer powers"),
}


@pytest.mark.parametrize("case", sorted(DATA))
def test_wrong_data_and_dtypes(case):
    fn, exc, *parts = DATA[case]
    check(fn, exc, *parts)


def test_ints_are_promoted_where_floats_are_needed():
    i = ag.Tensor(np.arange(1, 4))
    for fn in (ag.exp, ag.log, ag.sqrt, ag.sigmoid, ag.mean):
        out = fn(i)
        assert out.dtype == ag.get_default_dtype(), fn
    assert (i / 2).dtype == ag.get_default_dtype()
    assert ag.tensor([1, 2], requires_grad=True).dtype == ag.get_default_dtype()


BACKWARD = {
    "non-scalar": (lambda: (X * 2).backward(), RuntimeError, "scalar outputs",
                   r"shape \(2, 3\)", r"gradient=|\.sum\(\)"),
    "gradient shape": (lambda: (X * 2).backward(np.ones(3)), RuntimeError,
                       r"\(3,\)", r"\(2, 3\)"),
    "no grad": (lambda: ag.ones(3).sum().backward(), RuntimeError, "does not require grad",
                "requires_grad=True"),
    "grad_outputs length": (lambda: ag.grad([X.sum(), X.sum()], X, grad_outputs=[None]),
                            ValueError, "1 grad_outputs for 2 outputs"),
    "grad input no grad": (lambda: ag.grad(X.sum(), ag.ones(3)), RuntimeError,
                           "input 0", "does not require grad"),
    "grad input not tensor": (lambda: ag.grad(X.sum(), [np.ones(3)]), TypeError,
                              "input 0", "ndarray"),
    "grad unused": (lambda: ag.grad(X.sum(), ag.ones(3, requires_grad=True)), RuntimeError,
                    "not used", "allow_unused=True"),
    "grad output not tensor": (lambda: ag.grad(np.ones(2), X), TypeError, "Tensor"),
}


@pytest.mark.parametrize("case", sorted(BACKWARD))
def test_backward_and_grad_misuse(case):
    fn, exc, *parts = BACKWARD[case]
    check(fn, exc, *parts)


def test_second_backward_names_a_freed_node():
    y = (X * X).sum()
    y.backward()
    check(y.backward, RuntimeError, "second time", "'(sum|mul)'", "retain_graph=True")
    X.grad = None


def P():
    return [ag.Tensor(np.ones(3), requires_grad=True)]


OPTIM = {
    "empty list": (lambda: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    "empty generator": (lambda: optim.Adam(iter([])), ValueError, "empty parameter list"),
    "non-leaf": (lambda: optim.SGD([P()[0] * 2], lr=0.1), ValueError, "non-leaf",
                 r"shape \(3,\)", "mul"),
    "single tensor": (lambda: optim.SGD(P()[0], lr=0.1), TypeError, r"\[x\]|list"),
    "not a tensor": (lambda: optim.SGD([np.ones(3)], lr=0.1), TypeError, "ndarray"),
    "negative lr": (lambda: optim.SGD(P(), lr=-1), ValueError, "SGD", "lr", "-1"),
    "nan lr": (lambda: optim.Adam(P(), lr=float("nan")), ValueError, "Adam", "lr", "nan"),
    "string lr": (lambda: optim.Adam(P(), lr="a"), ValueError, "lr", "real number"),
    "negative momentum": (lambda: optim.SGD(P(), lr=0.1, momentum=-1), ValueError,
                          "momentum"),
    "nesterov": (lambda: optim.SGD(P(), lr=0.1, nesterov=True), ValueError, "Nesterov"),
    "weight decay": (lambda: optim.AdamW(P(), weight_decay=-1), ValueError, "weight_decay"),
    "beta 1": (lambda: optim.Adam(P(), betas=(1.0, 0.9)), ValueError, "beta", "index 0"),
    "beta nan": (lambda: optim.Adam(P(), betas=(0.9, float("nan"))), ValueError,
                 "beta", "index 1", "nan"),
    "eps": (lambda: optim.Adam(P(), eps=-1), ValueError, "eps"),
    "alpha": (lambda: optim.RMSprop(P(), alpha=-1), ValueError, "alpha"),
    "lr_decay": (lambda: optim.Adagrad(P(), lr_decay=-1), ValueError, "lr_decay"),
    "history": (lambda: optim.LBFGS(P(), history_size=0), ValueError, "history_size"),
    "damping": (lambda: optim.Newton(P(), damping=float("nan")), ValueError, "damping"),
    "lambda": (lambda: optim.LevenbergMarquardt(P(), lambda_=-1), ValueError, "lambda_"),
    "duplicate": (lambda: optim.SGD(P() * 2, lr=0.1), ValueError, "twice"),
    "step size": (lambda: optim.lr_scheduler.StepLR(optim.SGD(P(), lr=0.1), step_size=0),
                  ValueError, "step_size"),
}


@pytest.mark.parametrize("case", sorted(OPTIM))
def test_optimizer_arguments_are_validated(case):
    fn, exc, *parts = OPTIM[case]
    check(fn, exc, *parts)
