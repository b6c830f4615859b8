"""The ``device=`` argument PyTorch's layer constructors take: glassgrad runs on the CPU,
so None and "cpu" (or "cpu:0") are accepted and anything else is refused (never
accepted and ignored)."""

__all__ = []


def check_device(device, owner):
    """Raise unless ``device`` is None or the CPU."""
    if device is None or str(device).split(":")[0] == "cpu":
        return
    raise RuntimeError(f"{owner}: glassgrad runs on the CPU only, got device={device!r}; "
                       "leave device out (or pass 'cpu')")
