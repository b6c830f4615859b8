"""Gradcheck cases for the core primitives (one entry per registered primitive)."""
import numpy as np

import autograd as ag
from casekit import Case

P = ag.ops
MASK = np.array([[True, False, True], [False, False, True]])
BINARY_SHAPES = [((), ()), ((3,), (2, 3)), ((2, 1), (1, 3)), ((2, 3), ())]


def _binary(prim, domain="normal"):
    return [Case(lambda a, b, p=prim: p(a, b), *s, domain=domain) for s in BINARY_SHAPES]


def _unary(prim, domain="normal"):
    return [Case(lambda x, p=prim: p(x), s, domain=domain) for s in [(), (2, 3)]]


def _div(a, b):
    return P.div(a, b * b + 0.5)            # keep the denominator away from 0


def _where(a, b):
    return P.where(MASK, a, b)


CASES = {
    "sum": [Case(lambda x: P.sum(x), (2, 3)),
            Case(lambda x: P.sum(x, axis=(1,)), (2, 3)),
            Case(lambda x: P.sum(x, axis=(0, 2), keepdims=True), (2, 3, 2)),
            Case(lambda x: P.sum(x), ())],
    "max": [Case(lambda x: P.amax(x), (2, 3), domain="distinct"),
            Case(lambda x: P.amax(x, axis=(1,)), (3, 4), domain="distinct"),
            Case(lambda x: P.amax(x, axis=(0,), keepdims=True), (3, 2), domain="distinct")],
    "logsumexp": [Case(lambda x: P.logsumexp(x), (2, 3)),
                  Case(lambda x: P.logsumexp(x, axis=(1,)), (2, 3)),
                  Case(lambda x: P.logsumexp(x, axis=(0,), keepdims=True), (3, 2))],
    "log_softmax": [Case(lambda x: P.log_softmax(x, axis=1), (2, 3)),
                    Case(lambda x: P.log_softmax(x, axis=0), (3, 2))],
    "reshape": [Case(lambda x: P.reshape(x, shape=(3, 2)), (2, 3)),
                Case(lambda x: P.reshape(x, shape=(1,)), ())],
    "transpose": [Case(lambda x: P.transpose(x, axes=(1, 0)), (2, 3)),
                  Case(lambda x: P.transpose(x, axes=(2, 0, 1)), (2, 3, 2))],
    "broadcast_to": [Case(lambda x: P.broadcast_to(x, shape=(2, 3)), (3,)),
                     Case(lambda x: P.broadcast_to(x, shape=(2, 4)), (2, 1)),
                     Case(lambda x: P.broadcast_to(x, shape=(3,)), ())],
    "sum_to": [Case(lambda x: P.sum_to(x, shape=(3,)), (2, 3)),
               Case(lambda x: P.sum_to(x, shape=(2, 1)), (2, 3)),
               Case(lambda x: P.sum_to(x, shape=()), (3,))],
    "getitem": [Case(lambda x: P.getitem(x, index=(slice(0, 2), 1)), (3, 3)),
                Case(lambda x: P.getitem(x, index=(np.array([0, 2, 0, 0]),)), (3, 2),
                     label="repeated integer indices"),
                Case(lambda x: P.getitem(x, index=(MASK,)), (2, 3), label="boolean mask"),
                Case(lambda x: P.getitem(x, index=(Ellipsis, None, slice(None, None, -1))),
                     (2, 3), label="ellipsis/newaxis/negative step")],
    "index_add": [Case(lambda g: P.index_add(g, shape=(4, 3), index=(np.array([0, 2, 0]),)),
                       (3, 3)),
                  Case(lambda g: P.index_add(g, shape=(3, 4), index=(slice(None), slice(1, 3))),
                       (3, 2))],
    "concatenate": [Case(lambda a, b: P.concatenate(a, b, axis=1), (2, 3), (2, 2)),
                    Case(lambda a, b, c: P.concatenate(a, b, c, axis=0), (1, 2), (2, 2), (1, 2))],
    "pad": [Case(lambda x: P.pad(x, pad_width=((1, 0), (2, 1)), value=0.0), (2, 3)),
            Case(lambda x: P.pad(x, pad_width=((0, 2),), value=1.5), (3,))],
    "matmul": [Case(lambda a, b: P.matmul(a, b), (2, 3), (3, 4)),
               Case(lambda a, b: P.matmul(a, b), (3,), (3, 4)),
               Case(lambda a, b: P.matmul(a, b), (2, 3), (3,)),
               Case(lambda a, b: P.matmul(a, b), (3,), (3,)),
               Case(lambda a, b: P.matmul(a, b), (2, 2, 3), (3, 4)),
               Case(lambda a, b: P.matmul(a, b), (3,), (2, 3, 2)),
               Case(lambda a, b: P.matmul(a, b), (2, 1, 2, 3), (3, 3, 2), label="batch bcast")],
    "linear": [Case(lambda x, w, b: P.linear(x, w, b), (2, 3), (4, 3), (4,)),
               Case(lambda x, w: P.linear(x, w), (2, 3), (4, 3), label="no bias"),
               Case(lambda x, w, b: P.linear(x, w, b), (3,), (2, 3), (2,), label="1-d input"),
               Case(lambda x, w, b: P.linear(x, w, b), (2, 2, 3), (4, 3), (4,),
                    label="batch axes"),
               Case(lambda x, w, b: P.linear(x, w, b), (2, 3), (4, 3), (1,),
                    label="broadcast bias"),
               Case(lambda x, w, b: P.linear(x, w.T, b), (2, 3), (3, 4), (4,),
                    label="column-major weight")],
    "einsum": [Case(lambda a, b: P.einsum(a, b, subscripts="ij,jk->ik"), (2, 3), (3, 2)),
               Case(lambda a: P.einsum(a, subscripts="ii->i"), (3, 3), label="diagonal"),
               Case(lambda a: P.einsum(a, subscripts="ij->"), (2, 3)),
               Case(lambda a, b: P.einsum(a, b, subscripts="bij,bjk->bik"), (2, 2, 3), (2, 3, 2)),
               Case(lambda a, b: P.einsum(a, b, subscripts="ij,j->i"), (2, 3), (3,)),
               Case(lambda a, b: P.einsum(a, b, subscripts="ik,j->ij"), (2, 3), (4,),
                    label="letter summed in one operand only")],
    "unfold": [Case(lambda x: P.unfold(x, kernel=(3, 3), stride=(1, 1), dilation=(1, 1)),
                    (1, 2, 5, 5)),
               Case(lambda x: P.unfold(x, kernel=(2, 2), stride=(2, 1), dilation=(2, 1)),
                    (2, 1, 6, 5)),
               Case(lambda x: P.unfold(x, kernel=(3,), stride=(2,), dilation=(1,)), (2, 1, 7))],
    "fold": [Case(lambda g: P.fold(g, shape=(1, 2, 5, 5), kernel=(3, 3), stride=(1, 1),
                                   dilation=(1, 1)), (1, 2, 3, 3, 3, 3)),
             Case(lambda g: P.fold(g, shape=(1, 1, 7), kernel=(3,), stride=(2,), dilation=(1,)),
                  (1, 1, 3, 3))],
}
