"""Benchmarks of the reference stores and of the kit itself, run by hand."""
