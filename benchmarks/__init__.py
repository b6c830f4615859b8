"""glassgrad's benchmark suite: ``python -m benchmarks [--quick] [--only W2] [--repeat N]``.

See ``run.py`` for how a run works and ``RESULTS.md`` for the latest numbers.
"""
