"""The benchmarks' child processes: one run to its end (a fresh Python whose last line is its
figures, or a command), one kept running beside the measure (a server) and stopped, a free port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def run(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` to its end, its output captured as text. With ``check``, a failure raises
    ``RuntimeError`` with the end of what the command wrote on stderr."""
    done = subprocess.run(list(command), capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    if check and done.returncode != 0:
        shown = " ".join(arg if len(arg) <= 80 else f"{arg[:60]}…" for arg in command)
        raise RuntimeError(f"{shown} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def run_python(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run ``python args...`` in a fresh process (``-m MODULE ...`` or ``-c SCRIPT ...``) and read
    its figures: the last line it prints, as JSON."""
    done = run([sys.executable, *args], env=env, cwd=cwd, timeout=timeout)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def child_args(argv: Sequence[str] | None) -> list[str] | None:
    """The arguments of a ``child`` run (a benchmark's own subprocess), else None."""
    args = list(sys.argv[1:] if argv is None else argv)
    return args[1:] if args[:1] == ["child"] else None


def start(
    command: Sequence[str],
    *,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``command`` to run beside the measure; its output goes to ``log`` (else to ours)."""
    if log is None:
        return subprocess.Popen(list(command), env=env, cwd=cwd)
    with log.open("w") as out:
        return subprocess.Popen(list(command), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)


def stop(process: subprocess.Popen[bytes], *, timeout: float = 30) -> None:
    """Ask a started process to end (SIGTERM), and kill it if it outlasts ``timeout``."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
