"""Benchmarks (`make bench`, `python -m bench`): each prints a short table with a ratio against a bare
forward pass measured in the same run, so the numbers compare across machines."""
