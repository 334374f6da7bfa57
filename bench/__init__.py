"""Benchmarks of article-qa. Not part of `make test`; see docs/benchmarks.md for the figures."""
