"""Constructor checks the new layers share: ``device=`` (glassgrad runs on the CPU, so
None and "cpu" are accepted and anything else is refused, never accepted and ignored)
and sizes that must be positive integers."""

__all__ = []


def check_device(device, owner):
    """Raise unless ``device`` is None or the CPU."""
    if device is None or str(device).split(":")[0] == "cpu":
        return
    raise RuntimeError(f"{owner}: glassgrad runs on the CPU only, got device={device!r}; "
                       "leave device out (or pass 'cpu')")


def check_positive(owner, **values):
    """Raise ``ValueError`` naming ``owner`` and the argument unless each value is a
    positive int."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{owner}: {name} must be a positive integer, got {value!r}")
