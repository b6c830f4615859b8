"""Where a recorded call was made: the stack frames kept with an op (``Op.site``), and
the innermost frame outside NumPy and this package, to name a guard's line and to tell
library code (a guard it may keep) from user code (a value that would be frozen)."""
import os
import sys

import numpy as np

_NUMPY_DIR = os.path.dirname(np.__file__)
_HERE = os.path.dirname(os.path.abspath(__file__))
_AUTOGRAD = os.path.dirname(_HERE)
_PROJECT = os.path.dirname(_AUTOGRAD)
_TENSOR_FILE = os.path.join(_AUTOGRAD, "tensor.py")
LIBRARY_DIRS = tuple(os.path.join(_PROJECT, name) + os.sep
                     for name in ("autograd", "nn", "optim", "glassgrad"))


def _site(depth=4):
    """The frames that made the call, innermost first (up to ``depth`` of them, or to
    the compiled function's boundary), as (code, line) pairs; ``frames`` names them.
    Kept for decisions (to name the line of a guard) and, after two traces disagreed,
    for every call (to name where they differ): walking the stack for every call
    costs a sixth of a trace."""
    out = []
    f = sys._getframe(2)
    boundary = _BOUNDARY[0]
    while f is not None and depth:
        code = f.f_code
        if code is boundary:
            break
        out.append((code, f.f_lineno))
        f = f.f_back
        depth -= 1
    return tuple(out)


def frames(site):
    """(filename, line, function) of a site's frames outside numpy and this package."""
    out = []
    for code, line in site:
        name = code.co_filename
        if not (name.startswith(_NUMPY_DIR) or name.startswith(_HERE)):
            out.append((name, line, code.co_name))
    return out


_BOUNDARY = [None]     # the code object of the frame that calls the traced function


def _first_outside():
    """(site text, True if user code): who made the call, the innermost frame outside
    numpy and this package; user code is anything outside autograd/, nn/, optim/ and
    glassgrad/. The text names that frame, and for library code the user's line too."""
    site = [f for f in frames(_site(64)) if f[0] != _TENSOR_FILE]   # Tensor.item() etc.
    if not site:                                                     # decide for the caller
        return "", False
    inner = site[0]
    if not inner[0].startswith(LIBRARY_DIRS):
        return format_frame(inner), True
    user = next((f for f in site if not f[0].startswith(LIBRARY_DIRS)), None)
    text = format_frame(inner)
    return (text + (f", called from {format_frame(user)}" if user else "")), False


def format_frame(frame):
    import linecache
    filename, line, func = frame
    text = linecache.getline(filename, line).strip()
    shown = os.path.relpath(filename)
    if shown.startswith(".."):
        shown = filename
    return f"{shown}:{line} in {func}" + (f": {text}" if text else "")
