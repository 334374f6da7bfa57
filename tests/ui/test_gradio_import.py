"""Gradio imported without writing its type stubs: the same components, the same docstrings."""

import json
import os
import subprocess
import sys

import pytest

# In a fresh interpreter: which .pyi files the import opens, and every event's docstring.
PROBE = """
import json, sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" and str(args[0]).endswith(".pyi") else None)
if sys.argv[1] == "lighter":
    from ui.web.gradio_import import gradio
    gr = gradio()
else:
    import gradio as gr
from gradio.component_meta import ComponentMeta
docs = {}
for name in dir(gr):
    component = getattr(gr, name)
    if isinstance(component, ComponentMeta):
        for event in getattr(component, "EVENTS", []):
            listener = getattr(component, getattr(event, "event_name", event))
            docs[f"{name}.{getattr(event, 'event_name', event)}"] = listener.__doc__
made = [gr.HTML("<p>a</p>", js_on_load=None) for _ in range(3)]
import gradio.component_meta as meta
read = getattr(meta.inspect.getfullargspec, "cache_info", None)
print(json.dumps({
    "stubs_opened": len(opened), "docs": docs, "made": repr(made[-1]._constructor_args),
    "specs_read_again": read().hits if read else 0,
}))
"""


def probe(how: str) -> dict:
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, how], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_gradio_imports_without_its_stubs_with_every_docstring_as_gradio_renders_it():
    usual, lighter = probe("usual"), probe("lighter")
    assert usual["stubs_opened"] > 50  # Gradio reads (and may write) one stub per component class
    assert lighter["stubs_opened"] == 0
    assert len(usual["docs"]) > 100
    assert lighter["docs"] == usual["docs"]
    assert "{{" not in lighter["docs"]["Button.click"]
    assert "Button" in lighter["docs"]["Button.click"]
    # A component made is the same; its argument list was read once, not at each one made.
    assert lighter["made"] == usual["made"] and "<p>a</p>" in lighter["made"]
    assert usual["specs_read_again"] == 0 and lighter["specs_read_again"] >= 2


def test_an_already_imported_gradio_is_returned_as_it_is():
    import gradio

    from ui.web.gradio_import import gradio as lighter

    assert lighter() is gradio


def test_the_queue_no_longer_summarises_its_events_after_each_one(monkeypatch):
    import asyncio
    from types import SimpleNamespace

    from gradio.queueing import Queue

    from ui.web.server import no_event_summaries

    def summarised(records):
        raise AssertionError("a pandas table of the past events was built")

    records = [
        {"time": 0.0, "status": "success", "process_time": 0.02, "function": "ask", "session_hash": "s"}
    ]
    monkeypatch.setattr(Queue, "_get_df", staticmethod(summarised))

    async def made() -> Queue:  # in a running loop: Gradio makes (and leaves open) one otherwise
        return Queue(live_updates=False, concurrency_count=8, update_intervals=1, max_size=256, blocks=None)

    for quiet in (False, True):
        demo = SimpleNamespace(_queue=asyncio.run(made()))
        if quiet:
            no_event_summaries(demo)
        demo._queue.events_recorded += 1  # an event was answered
        if quiet:
            assert demo._queue.compute_analytics_summary(records) == {"functions": {}}
        else:  # Gradio's own queue builds it: the check above can fail
            with pytest.raises(AssertionError, match="pandas table"):
                demo._queue.compute_analytics_summary(records)
