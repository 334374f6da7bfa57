"""Child processes of the tests: a free port on 127.0.0.1 for a server, and stopping one."""

from __future__ import annotations

import signal
import socket
import subprocess
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(process: subprocess.Popen[Any], *, kill: bool = False, timeout: float = 20) -> None:
    """SIGINT (a clean stop, as Ctrl+C) or SIGKILL, then wait; killed if it outlasts ``timeout``."""
    if process.poll() is None:
        process.send_signal(signal.SIGKILL if kill else signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
