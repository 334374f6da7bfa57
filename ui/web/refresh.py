"""Keeping the served index fresh: its sources read again every so often, and watched folders
read again as soon as a file in them changes, in background threads.

Questions never wait for a refresh: it runs beside them and the app moves to the new index
when it is published (:class:`~ui.web.state.LiveAssistant`). A refresh that finds another
write running skips its turn; one that fails is recorded and the next one runs as planned.
Its work runs in a thread of lower priority (:func:`in_background`): the threads its encoder
starts inherit it, so the cores go to questions first (``bench.refresh_load`` measures it).

>>> refresher = Refresher(live, every=parse_duration("30m"), watch=["articles/"]).start()
>>> refresher.status()["last"]["added"]
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from qa import IndexLockedError, QAError

from .state import LiveAssistant

logger = logging.getLogger(__name__)

MIN_SECONDS = 10.0
SKIPPED = "another update was running; skipped"
WATCH_DEBOUNCE_MS = 500  # changes within this time are read as one (a copy of many files)
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)\s*", re.IGNORECASE)
_UNIT = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
T = TypeVar("T")
BACKGROUND_NICE = 10
"""How much lower a refresh's threads are scheduled than the questions' (Linux ``nice``)."""


def in_background(work: Callable[[], T]) -> T:
    """``work()`` run in a new thread of lower priority (Linux: the thread's nice value raised by
    :data:`BACKGROUND_NICE`; threads it starts, as torch's and FAISS's OpenMP workers, inherit
    it); its result, or its exception raised here. Elsewhere it runs at the usual priority.

    Every write of the web app goes through it (a refresh, an upload, an added page, a
    rebuild): questions come first. ``work`` sees the caller's context variables, so Gradio's
    progress bar follows it."""
    done: list[T] = []
    failed: list[BaseException] = []
    context = contextvars.copy_context()

    def run() -> None:
        if sys.platform == "linux":  # there a thread id names one thread, not the process
            try:
                tid = threading.get_native_id()
                lower = min(19, os.getpriority(os.PRIO_PROCESS, tid) + BACKGROUND_NICE)
                os.setpriority(os.PRIO_PROCESS, tid, lower)
            except OSError as exc:  # not allowed here: run at the usual priority
                logger.debug("refresh priority not lowered: %s", exc)
        try:
            done.append(context.run(work))
        except BaseException as exc:  # raised again in the caller's thread
            failed.append(exc)

    thread = threading.Thread(target=run, name="article-qa-refresh-work", daemon=True)
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return done[0]


def parse_duration(text: str) -> float:
    """Seconds in ``30m``, ``2h``, ``90s``, ``1d``.

    Raises:
        ValueError: not a duration with a unit, or under :data:`MIN_SECONDS`.
    """
    match = _DURATION.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration: write it with a unit, as 30m, 2h or 90s")
    seconds = float(match.group(1)) * _UNIT[match.group(2).lower()]
    if seconds < MIN_SECONDS:
        raise ValueError(f"{text!r} is too often: refresh at most every {MIN_SECONDS:g} seconds")
    return seconds


@dataclass(frozen=True)
class Outcome:
    """What one refresh did (or why it did not)."""

    at: str
    trigger: str  # "timer", "watch", "panel"
    added: int = 0
    changed: int = 0
    removed: int = 0
    problems: int = 0
    error: str | None = None
    seconds: float = 0.0


class Refresher:
    """Refreshes ``live``'s sources every ``every`` seconds (None: not on a timer), and the
    folders in ``watch`` whenever a file in them changes. Threads are daemons; :meth:`stop`
    ends them."""

    def __init__(
        self, live: LiveAssistant, *, every: float | None = None, watch: Sequence[str | Path] = ()
    ) -> None:
        self.live = live
        self.every = every
        self.watch = [Path(p).resolve() for p in watch]
        self.last: Outcome | None = None
        self.next_at: float | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> Refresher:
        timer = threading.Thread(target=self._timer, name="article-qa-refresh", daemon=True)
        self._threads.append(timer)
        if self.watch:
            watcher = threading.Thread(target=self._watcher, name="article-qa-watch", daemon=True)
            self._threads.append(watcher)
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def set_every(self, every: float | None) -> None:
        """Refresh every ``every`` seconds from now on (None: stop refreshing on a timer)."""
        self.every = every
        self._wake.set()

    def status(self) -> dict[str, Any]:
        """The last refresh, the next one, and what is watched (for the index panel)."""
        return {
            "every": self.every,
            "next_in": max(0.0, self.next_at - time.monotonic()) if self.next_at is not None else None,
            "last": self.last.__dict__ if self.last else None,
            "watching": [str(p) for p in self.watch],
        }

    def run_once(self, trigger: str = "timer", sources: Sequence[str | Path] = ()) -> Outcome:
        """Refresh now (``sources``: only these; none: every source the index remembers).

        What a write needs (torch, the model) is loaded by the work itself, at the lower
        priority, only if it finds something to encode. Loading it first at the caller's, as an
        upload does, made a watched folder's refresh twice as fast under 32 clients, and the
        questions asked meanwhile slower (p95 0.97-1.00 s against 0.78-0.90; docs/benchmarks.md
        stop 41): no one waits for a refresh."""
        started = time.perf_counter()
        at = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            report = in_background(
                lambda: self.live.update(list(sources)) if sources else self.live.refresh()
            )
        except IndexLockedError:
            outcome = Outcome(at, trigger, error=SKIPPED)
        except QAError as exc:
            outcome = Outcome(at, trigger, error=str(exc))
        except Exception as exc:  # a refresh must never stop the refresher (nor the app)
            logger.exception("refresh failed")
            outcome = Outcome(at, trigger, error=f"{type(exc).__name__}: {exc}")
        else:
            outcome = Outcome(
                at,
                trigger,
                len(report.added),
                len(report.changed),
                len(report.removed),
                len(report.problems),
                seconds=round(time.perf_counter() - started, 2),
            )
        self.last = outcome
        if self.live.monitor is not None:
            self.live.monitor.refreshed(outcome.error, skipped=outcome.error == SKIPPED)
        logger.info("refresh (%s): %s", trigger, outcome)
        return outcome

    def _timer(self) -> None:
        while not self._stop.is_set():
            every = self.every
            if every is None:
                self.next_at = None
                self._wake.wait()
                self._wake.clear()
                continue
            self.next_at = time.monotonic() + every
            if self._wake.wait(timeout=every):  # woken: stopped, or the interval changed
                self._wake.clear()
                continue
            if not self._stop.is_set():
                self.run_once("timer")

    def _watcher(self) -> None:
        import watchfiles

        existing = [str(p) for p in self.watch if p.exists()]
        if not existing:
            logger.warning("nothing to watch: %s do not exist", ", ".join(map(str, self.watch)))
            return
        for changes in watchfiles.watch(
            *existing, stop_event=self._stop, debounce=WATCH_DEBOUNCE_MS, raise_interrupt=False
        ):
            touched = {Path(path) for _, path in changes}
            folders = [w for w in self.watch if any(w == t or w in t.parents for t in touched)]
            if folders and not self._stop.is_set():
                self.run_once("watch", folders)
