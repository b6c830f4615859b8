"""Data-parallel scaling: measurements over MPI and the α–β model (see ANALYSIS.md)."""
