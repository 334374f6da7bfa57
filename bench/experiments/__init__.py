"""Experiments measured and not kept: each tried a change to the pipeline, and docs/quality.md
gives its figures, why it was not kept, and the command that measures it again. Each module is
run with ``python -m bench.experiments.NAME``; none is imported by the project."""

__all__: list[str] = []
