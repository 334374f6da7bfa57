"""Each package declares its public surface, and every declared name exists."""

import importlib

import pytest


@pytest.mark.parametrize("package", ["index", "qa", "ui"])
def test_all_names_exist_and_are_sorted_or_unique(package):
    module = importlib.import_module(package)
    names = module.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(module, name), f"{package}.__all__ names {name!r} which is missing"


def test_importing_loads_no_model_and_no_web_framework():
    import subprocess
    import sys

    code = "import index, qa, ui, sys; print(sorted(m for m in ('torch', 'sentence_transformers', 'gradio', 'faiss') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
