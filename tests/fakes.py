"""Small deterministic stand-ins for unit tests: an embedder (hashed bag of words, no model)
and a scripted chat-completions server."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from index.analysis import fold

# The shipped thresholds are calibrated for the default model's scores; this hashed bag of words
# scores lower (on tests/qa/eval/squad.py's corpus: answers 0.013-0.45, an unrelated question 0.0004).
FAKE_THRESHOLD = 0.005


class FakeEmbedder:
    """Words hashed into ``dimension`` buckets, L2-normalised. Same text, same vector."""

    def __init__(self, dimension: int = 64, name: str = "fake-hash-64", delay: float = 0.0):
        self._dimension = dimension
        self._name = name
        self.delay = delay
        self.calls: list[int] = []

    @property
    def runtime(self) -> str:
        return "fake"

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_documents(texts)

    def encode_documents(self, texts: Sequence[str], *, progress=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            if self.delay:
                time.sleep(self.delay)
            for word in re.findall(r"\w+", fold(text)):
                bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
                out[row, bucket % self._dimension] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
            if progress is not None:
                progress(row + 1, len(texts))
        return out


# -- a scripted OpenAI-compatible server, for the composed answers' unit tests --------------


class Script:
    """What the server replies next, and what it was sent.

    ``mode``: ``stream`` (the reply in pieces), ``whole`` (one JSON body), ``status`` (HTTP
    500), ``garbage`` (a stream that is not JSON), ``slow`` (2 s, then the reply), ``trickle``
    (``reply`` again and again, one piece each ``interval`` seconds, without end), ``stall``
    (one piece, then nothing for a minute), ``flood`` (``reply`` repeated ``repeat`` times, as
    fast as it goes), ``flood_whole`` (the same as one JSON body), ``echo_auth`` (HTTP 500
    whose body repeats the request's ``Authorization`` header) and ``error_event`` (a stream
    whose event is an error repeating that header).
    """

    def __init__(self) -> None:
        self.reply: str | None = ""
        self.mode = "stream"
        self.interval = 0.2
        self.repeat = 100_000
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.finished = threading.Event()  # set when a reply was sent whole or cut off


@contextlib.contextmanager
def scripted_llm() -> Iterator[tuple[str, Script]]:
    """A real HTTP server on 127.0.0.1 that speaks the chat-completions API and replies what
    its :class:`Script` says: ``(base URL, script)``."""
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            script.requests.append(body)
            script.headers.append(dict(self.headers))
            try:
                self._reply()
            except OSError:  # the client went away (a deadline, a budget): what the test wants
                pass
            finally:
                script.finished.set()

        def _reply(self) -> None:
            authorization = self.headers.get("Authorization", "")
            if script.mode == "status":
                self._send(500, "application/json", b'{"error": "model not loaded"}')
            elif script.mode == "echo_auth":
                echo = json.dumps({"error": f"bad key: {authorization}", "headers": dict(self.headers)})
                self._send(500, "application/json", echo.encode())
            elif script.mode == "error_event":
                event = json.dumps({"error": {"message": f"rejected {authorization}"}})
                self._send(200, "text/event-stream", b"data: " + event.encode() + b"\n\n")
            elif script.mode == "garbage":
                self._send(200, "text/event-stream", b"data: {not json\n\n")
            elif script.mode == "whole":
                reply = {"choices": [{"message": {"role": "assistant", "content": script.reply}}]}
                self._send(200, "application/json", json.dumps(reply).encode())
            elif script.mode == "flood_whole":
                reply = {
                    "choices": [
                        {"message": {"role": "assistant", "content": (script.reply or "") * script.repeat}}
                    ]
                }
                self._send(200, "application/json", json.dumps(reply).encode())
            elif script.mode in ("trickle", "stall", "flood"):
                self._open_stream()
                count = 0
                while True:
                    for piece in _pieces(script.reply or "x"):
                        self.wfile.write(_event(piece))
                        self.wfile.flush()
                        count += 1
                        if script.mode == "stall":
                            time.sleep(60)
                            return
                        if script.mode == "trickle":
                            time.sleep(script.interval)
                    if script.mode == "flood" and count >= script.repeat:
                        self.wfile.write(b"data: [DONE]\n\n")
                        return
            else:
                if script.mode == "slow":
                    time.sleep(2)
                events = b"".join(_event(piece) for piece in _pieces(script.reply or ""))
                self._send(200, "text/event-stream", events + b"data: [DONE]\n\n")

        def _open_stream(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", script
    finally:
        httpd.shutdown()
        httpd.server_close()


def _event(piece: str) -> bytes:
    return b"data: " + json.dumps({"choices": [{"delta": {"content": piece}}]}).encode() + b"\n\n"


def _pieces(text: str) -> list[str]:
    return [text[i : i + 7] for i in range(0, len(text), 7)]
