"""A trace's signature: what ``compare`` checks of its calls, as one flat list.

Comparing two traces call by call in Python cost ~1.1 us a call (W3: 250,000 calls,
~0.3 s of the second tracing call), nearly all of it the interpreter walking each
call's arguments. While recording, each call appends what that comparison reads to
``Recorder.sig`` instead; two traces whose lists are equal (one ``==``, in C, where
shared objects compare by identity) agree on every call the list describes in full,
and only the calls it does not (``Recorder.careful``) are compared one by one.

A call's items, in order (``==`` on each gives what ``compare`` asks of it):

    root index, spec                 per argument, two items: an array (a Value),
    type, value                        a constant compared by type and ``==`` (below),
    OTHER, None                        anything else (then compared call by call);
    fn, n                            the call and its number of arguments;
    KW, n, (key, type, value) * n    plain keyword options (np.array(g, dtype=...));
    OUT, root index, spec            each result, appended as it is made;
    INTO, root index, spec           instead: the one ``out=`` array of an in-place
                                     ufunc call (the recorder's ``_ufunc_into``).
    CAREFUL                          instead of the first two lines: a call of the
                                     general path, compared call by call

The kind of a call follows from ``fn`` on the paths that sign their calls (a ufunc, a
NumPy function, a method's name); ``fn`` is never an int, a type or a marker, and a
call's arguments are the n pairs before it (a call that raised may leave pairs before
those), so equal lists split into the same calls.
"""
import numpy as np

from .ir import Value


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


OTHER, KW, OUT, INTO, CAREFUL = _Marker("OTHER"), _Marker("KW"), _Marker("OUT"), \
    _Marker("INTO"), _Marker("CAREFUL")

# constants ``compare`` checks as "the same type, and ==" (floats are not: 0.0 == -0.0)
_BY_EQUALITY = frozenset({int, bool, str, slice, type(None), type(Ellipsis), type})
# a tuple of these is an index, compared with one == (compare._EXACT)
INDEX_PARTS = frozenset({int, slice, type(None), type(Ellipsis)})


def sign_call(rec, index, fn, args):
    """Append call ``index``'s arguments and ``fn`` (the recorder's lean method and
    np.array paths; the ufunc and function paths append theirs inline)."""
    sig = rec.sig
    for x in args:
        t = type(x)
        if t is Value:
            sig += (x.root.index, x._spec or x.spec())
        elif t in _BY_EQUALITY or isinstance(x, np.dtype) or \
                t is tuple and INDEX_PARTS.issuperset(map(type, x)):
            sig += (t, x)
        else:
            sig += (OTHER, None)
            rec.careful.append(index)
    sig += (fn, len(args))


def sign_options(rec, index, kwargs):
    """Append plain keyword options (the recorder's lean ``np.array`` path)."""
    sig = rec.sig
    sig += (KW, len(kwargs))
    for k, v in kwargs.items():
        t = type(v)
        if t in _BY_EQUALITY or isinstance(v, np.dtype):
            sig += (k, t, v)
        else:
            sig += (k, OTHER, None)
            rec.careful.append(index)
