"""Benchmarks run by `make bench`: every figure is a ratio against a baseline measured in the
same run, with the median of several repetitions and their spread (see bench/README.md)."""
