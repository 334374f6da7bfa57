"""``milvus-lite server`` on 127.0.0.1 for tests: the gRPC protocol a Milvus cluster speaks.

>>> with milvus_server(tmp_path) as port:
...     uri = f"milvus://127.0.0.1:{port}/news"
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.processes import free_port, stop


def start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """Start the server on ``data_dir`` (bound to 127.0.0.1 only) and wait until it answers."""
    command = shutil.which("milvus-lite", path=str(Path(sys.executable).parent)) or "milvus-lite"
    log = data_dir.with_suffix(".log")
    with log.open("ab") as out:  # the child keeps its own copy of the handle
        process = subprocess.Popen(
            [command, "server", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"milvus-lite server exited with {process.returncode}; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("milvus-lite server did not listen within 60 s")


@contextlib.contextmanager
def milvus_server(root: Path) -> Iterator[int]:
    """A server on a free port with its data under ``root``; yields the port."""
    port = free_port()
    process = start(root / "milvus-data", port)
    try:
        yield port
    finally:
        stop(process)
