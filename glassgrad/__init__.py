"""glassgrad's applications, the layer above ``autograd``, ``nn`` and ``optim``.

``glassgrad.training`` is a plain training loop with metrics, history and early
stopping; ``python -m glassgrad.demo`` trains on the shipped digits. The library
itself is imported as ``autograd``, ``nn`` and ``optim``; nothing here is needed to
use it.
"""
