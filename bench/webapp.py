"""The web app as the web benchmarks meet it: ``article-qa serve`` on a free port of 127.0.0.1, in
a subprocess, and the French questions the bundled sample answers."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.processes import free_port, start, stop

QUESTIONS = [
    "Qui a rompu ses relations avec la Corée du Nord ?",
    "Combien de morts a fait l'ouragan Sandy ?",
    "Combien d'emplois PSA va-t-il supprimer ?",
    "Qui a remporté le tournoi de Wimbledon en 2012 ?",
    "Quand a été découvert le boson de Higgs ?",
    "Quel pays a accordé l'asile politique à Julian Assange ?",
    "Qui a été élu président en Égypte ?",
    "Combien de personnes étaient à bord de l'avion qui s'est écrasé à Lagos ?",
]
"""French questions answered by the bundled sample articles."""


def cli() -> Path:
    """The ``article-qa`` command beside this Python."""
    return Path(sys.executable).with_name("article-qa")


class Server:
    """``article-qa serve`` on 127.0.0.1 in a subprocess, its output in a log file (the server
    runs in the log's folder, with ``env``, else this process's environment)."""

    def __init__(
        self, index_dir: Path, log: Path, env: Mapping[str, str] | None = None, options: Sequence[str] = ()
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        self.started = time.perf_counter()
        self.process = start(
            [str(cli()), "serve", "--index", str(index_dir.resolve()), "--host", "127.0.0.1",
             "--port", str(self.port), "--quiet", *options],
            log=log, env=env, cwd=log.parent,
        )  # fmt: skip

    def check_running(self) -> None:
        """Stop the benchmark, with the server's log, if the server has stopped."""
        if self.process.poll() is not None:
            raise SystemExit(f"the server stopped:\n{self.log.read_text()}")

    def wait(self, timeout: float = 600) -> float:
        """Seconds until the server says it is serving and its page answers."""
        started = time.monotonic()
        while "Serving " not in self.log.read_text():
            self.check_running()
            if time.monotonic() - started > timeout:
                raise SystemExit(f"the server did not start in {timeout:.0f}s:\n{self.log.read_text()}")
            time.sleep(0.1)
        with urllib.request.urlopen(self.url, timeout=30) as response:
            response.read()
        return time.monotonic() - started

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return json.loads(response.read())

    def post(self, path: str) -> None:
        request = urllib.request.Request(self.url + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used so far (Linux ``/proc``; ``None`` elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        stop(self.process)


@contextmanager
def served(
    index_dir: Path, log: Path, env: Mapping[str, str] | None = None, options: Sequence[str] = ()
) -> Iterator[Server]:
    """A server of ``index_dir`` (``options``: more of ``serve``'s) that answers, stopped when
    the block ends."""
    server = Server(index_dir, log, env, options)
    try:
        server.wait()
        yield server
    finally:
        server.stop()
