"""Building blocks for primitive gradcheck cases (see README.md).

``Case`` is the one an op declaration uses (``autograd.ops.spec``), so that cases
written here and cases declared next to an op are the same kind of object.
"""
from autograd.ops.spec import Case  # noqa: F401
