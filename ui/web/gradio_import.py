"""Import Gradio without the work it does for its own developers.

Each time Gradio is imported, every component class it defines (81 of them) reads its own
source file, parses it, renders a Jinja template of its event methods and writes the result to
a ``.pyi`` stub beside Gradio's sources (``gradio.component_meta.create_or_modify_pyi``): stubs
for type checkers, which the wheel already ships. Each event's docstring is also rendered from
a Jinja template compiled anew for each component (``EventListener.set_doc``). Together they are
about half of ``import gradio`` here (2.9 s → 1.4 s without them, bench/results and
docs/benchmarks.md section 8). :func:`gradio` imports Gradio with the stubs left alone and each
docstring template compiled once; the docstrings come out the same, the app is the same.

It also reads each component's argument list once, not at every component made
(:class:`_SpecsReadOnce`). If a later Gradio renames what is adjusted, the import is simply
the usual one.
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import inspect
import sys
import threading
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

_LOCK = threading.Lock()


def gradio() -> ModuleType:
    """The ``gradio`` module, imported (once per process) without writing its type stubs."""
    if "gradio" in sys.modules:  # imported, or being imported by another thread: wait for it
        return importlib.import_module("gradio")
    with _LOCK:  # two threads importing at once: one installs the finder
        if "gradio" in sys.modules:
            return importlib.import_module("gradio")
        finder = _LighterGradio()
        sys.meta_path.insert(0, finder)
        try:
            return importlib.import_module("gradio")
        finally:
            sys.meta_path.remove(finder)


class _LighterGradio(importlib.abc.MetaPathFinder):
    """Finds Gradio's two modules as usual, and adjusts each once it has run."""

    ADJUST = ("gradio.component_meta", "gradio.events")

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in self.ADJUST:
            return None
        spec = next(
            filter(None, (_found(f, fullname, path, target) for f in sys.meta_path if f is not self)), None
        )
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        run = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            run(module)
            _adjust(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _found(finder: Any, fullname: str, path: Sequence[str] | None, target: ModuleType | None) -> Any:
    find = getattr(finder, "find_spec", None)
    return find(fullname, path, target) if find is not None else None


def _adjust(module: ModuleType) -> None:
    if module.__name__ == "gradio.component_meta" and hasattr(module, "create_or_modify_pyi"):
        module.create_or_modify_pyi = _no_stub  # type: ignore[attr-defined]
    if module.__name__ == "gradio.component_meta" and getattr(module, "inspect", None) is inspect:
        module.inspect = _SpecsReadOnce()  # type: ignore[attr-defined]
    listener = getattr(module, "EventListener", None)
    if module.__name__ == "gradio.events" and callable(getattr(listener, "set_doc", None)):
        from jinja2 import Template

        compiled = functools.lru_cache(maxsize=None)(Template)

        def set_doc(self: Any, component: str) -> None:  # as Gradio's, each template compiled once
            if self.listener.__doc__:
                self.listener.__doc__ = compiled(self.listener.__doc__).render(component=component)

        listener.set_doc = set_doc  # type: ignore[union-attr]


class _SpecsReadOnce:
    """``inspect`` as ``gradio.component_meta`` uses it, each function's argument list read once:
    Gradio reads it anew each time a component is made (its ``updateable``), and the app makes
    one for each message of the chat at each answer (about a tenth of the server's time on the
    page's path, py-spy, stop 39). The lists are only read there."""

    getfullargspec = staticmethod(functools.lru_cache(maxsize=None)(inspect.getfullargspec))

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)


def _no_stub(*args: object, **kwargs: object) -> None:
    """In place of Gradio's ``create_or_modify_pyi``: the installed stubs are left as they are."""
