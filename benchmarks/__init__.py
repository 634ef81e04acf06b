"""The course's benchmarks (`python benchmarks/bench.py`, `make bench`); see bench.py."""
