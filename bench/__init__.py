"""Benchmarks (issue 9): see bench/README.md. Not part of the test suite."""
