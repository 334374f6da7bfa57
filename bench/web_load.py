"""A bounded load test of the web app through its HTTP API, on 127.0.0.1 only.

Starts ``article-qa serve`` on a free port of 127.0.0.1 over a copy of an index (the bundled
sample, built first unless ``--index`` names one), then drives it with gradio_client threads,
each user its own ``Client`` asking ``/question`` then ``/answer`` as the page does:

1. load: ``--users`` users (default 20) ask French questions the sample answers, one after
   another with no pause, for ``--duration`` seconds (default 120); a user starts a new
   session (a new conversation) every ``--turns`` questions. During the run, one upload of a
   new article through ``/add`` (a quarter of the way in) and one ``article-qa index update``
   of another new article from the command line (halfway). Afterwards a new session asks about
   each new article, to see the app answer from them.
2. burst: ``--burst-users`` users (default 8) send a question at the same moment,
   ``--burst-rounds`` times (default 10); then 1 user alone for as many rounds.

A latency is from sending the question to receiving the answer (both round trips). An error is
a call that raised, an answer that holds "Erreur"/"Error" (or the page's error class), or a chat
whose latest question is not the one this user asked (``errors_detail`` says which user, when
and at which step). The server is stopped in every case.

    .venv/bin/python bench/web_load.py --index DIR     # about 4 minutes with an existing index
    .venv/bin/python bench/web_load.py                 # builds the sample index first (+1 minute)
    .venv/bin/python bench/web_load.py --index DIR --users 8 --duration 30 --json

Writes ``bench/results/web_load.json`` (``--out``). ``--profile`` also records Gradio's own
per-event timings (``GRADIO_PROFILING=1``: queue wait, handler, total) for each phase;
``--pythonpath DIR`` serves the app from another copy of the code, to compare a change.
The load generator shares the machine (and its cores) with the server.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

UPLOADED = (
    "valbrume-pont.txt",
    "Valbrume inaugure un pont suspendu de 412 mètres | RÉGIONS\n\n"
    "Valbrume inaugure un pont suspendu de 412 metres\n\n"
    "La commune de Valbrume a inauguré samedi un pont suspendu long de 412 mètres au-dessus "
    "de la vallée de la Sorne. L’ouvrage a coûté 23 millions d’euros et relie les deux rives "
    "du village pour la première fois depuis la crue de 1910.\n\n"
    "La maire, Hélène Castagnet, a coupé le ruban devant près de deux mille habitants.\n\n"
    "Régions\n",
    "Combien mesure le pont suspendu de Valbrume ?",
    "412 mètres",
)
"""An article the load test uploads through ``/add``: file name, text, a question, its answer."""

UPDATED = (
    "orvanne-festival.txt",
    "Le festival d’Orvanne accueille 48 000 spectateurs | CULTURE\n\n"
    "Le festival d Orvanne accueille 48 000 spectateurs\n\n"
    "Le festival de musique d’Orvanne a accueilli 48 000 spectateurs pendant ses quatre jours, "
    "un record depuis sa création en 1987. La chanteuse Maëlle Ricard a clôturé l’édition "
    "dimanche soir sur la grande scène du parc.\n\n"
    "Culture\n",
    "Combien de spectateurs a accueillis le festival d'Orvanne ?",
    "48 000 spectateurs",
)
"""An article the load test adds with ``article-qa index update``."""

ERROR_WORDS = re.compile(r"\bErreur\b|\bError\b|aq-error")
RESULTS = Path(__file__).resolve().parent / "results" / "web_load.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli() -> Path:
    """The ``article-qa`` command beside this Python."""
    return Path(sys.executable).with_name("article-qa")


class Server:
    """``article-qa serve`` on 127.0.0.1 in a subprocess, its output in a log file."""

    def __init__(self, index_dir: Path, log: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [str(cli()), "serve", "--index", str(index_dir), "--host", "127.0.0.1",
                 "--port", str(self.port), "--quiet"],
                stdout=out, stderr=subprocess.STDOUT, cwd=log.parent, env=env,
            )  # fmt: skip

    def wait(self, timeout: float = 600) -> float:
        """Seconds until the server says it is serving and its page answers."""
        started = time.monotonic()
        while "Serving " not in self.log.read_text():
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped:\n{self.log.read_text()}")
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
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@contextmanager
def served(index_dir: Path, log: Path, env: dict[str, str]) -> Iterator[Server]:
    server = Server(index_dir, log, env)
    try:
        server.wait()
        yield server
    finally:
        server.stop()


def texts(value: Any) -> Iterator[str]:
    """Every string inside a chat message's content (a string, a dict, a list of them)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from texts(item)


def check_chat(chat: Any, question: str) -> str | None:
    """Why this chat is not a good answer to ``question`` (``None``: it is)."""
    if not isinstance(chat, list) or not chat:
        return f"no chat returned ({type(chat).__name__})"
    asked = [m for m in chat if isinstance(m, dict) and m.get("role") == "user"]
    answers = [m for m in chat if isinstance(m, dict) and m.get("role") == "assistant"]
    if not asked or html.escape(question) not in " ".join(texts(asked[-1].get("content"))):
        return "the latest question in the chat is not the one asked"
    if not answers or chat[-1].get("role") != "assistant":
        return "no answer after the question"
    body = " ".join(texts(answers[-1].get("content")))
    if found := ERROR_WORDS.search(body):
        shown = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(body))).strip()
        return f"the answer holds {found.group(0)!r}: {shown[:200]}"
    return None


@dataclass
class Asked:
    """One question sent and its answer: when, how long each round trip took, what went wrong."""

    at: float
    seconds: float
    question_s: float
    answer_s: float
    error: str | None = None
    answer_html: str = field(default="", repr=False)
    user: int = -1
    question: str = ""
    step: str = ""  # where it went wrong: "/question", "/answer", "check" or "session"


ENDPOINT = {"name": "page"}
"""How questions are sent (``--endpoint``): ``page`` as the page does, ``ask`` the API's one call."""


def ask(client: Any, question: str, user: int = -1) -> Asked:
    """Send ``question`` to ``/question`` then ``/answer``, as the page does, and time both
    (or to ``/ask`` alone, with ``--endpoint ask``)."""
    if ENDPOINT["name"] == "ask":
        return ask_once(client, question, user)
    at = time.monotonic()
    question_s = answer_s = 0.0
    step, body = "/question", ""
    try:
        client.predict(question, "fr", api_name="/question")
        question_s = time.monotonic() - at
        step = "/answer"
        chat, _choices, _reader = client.predict("", None, None, 5, "quoted", "fr", api_name="/answer")
        answer_s = time.monotonic() - at - question_s
        step = "check"
        error = check_chat(chat, question)
        last = chat[-1].get("content") if isinstance(chat, list) and chat else ""
        body = " ".join(texts(last))
    except Exception as exc:  # a failed call is what is being counted
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
    return Asked(at, time.monotonic() - at, question_s, answer_s, error, body, user, question, step)


def ask_once(client: Any, question: str, user: int = -1) -> Asked:
    """Send ``question`` to the HTTP API's ``/ask`` (one call, JSON back) and time it."""
    at = time.monotonic()
    body, error = "", None
    try:
        answer = client.predict(question, api_name="/ask")
        if not isinstance(answer, dict) or "error" in answer:
            error = f"no answer: {str(answer)[:300]}"
        elif answer.get("question") != question:
            error = "the answer is not to the question asked"
        else:
            body = str(answer.get("text", ""))
    except Exception as exc:  # a failed call is what is being counted
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
    seconds = time.monotonic() - at
    return Asked(at, seconds, 0.0, seconds, error, body, user, question, "/ask" if error else "")


CLIENT_TLS = {"default": False}
"""Whether clients build gradio_client's default TLS context (``--client-default-tls``)."""


def new_client(url: str) -> Any:
    """A gradio_client ``Client`` of its own (a session), for plain HTTP on 127.0.0.1.

    gradio_client opens a new httpx client for every request it sends (a POST and an event
    stream per call), and httpx loads the system's CA certificates into each unless
    ``verify`` is off: about 40 ms of CPU per request, for plain HTTP that uses no TLS. That
    measured 137 ms of the load generator's CPU per question (and 123 ms per ``Client``),
    more than the server spends (about 75 ms), all of it under the one GIL of this process
    and on the server's cores. So the TLS context is skipped, unless ``--client-default-tls``
    asks for gradio_client's default (as bench/web_latency.py uses it).
    """
    from gradio_client import Client

    return Client(url, verbose=False, ssl_verify=CLIENT_TLS["default"])


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def summary(samples: list[Asked]) -> dict[str, Any]:
    """Counts and latency percentiles (seconds) of the answered questions."""
    good = sorted(s.seconds for s in samples if s.error is None)
    errors = [s.error for s in samples if s.error is not None]
    result: dict[str, Any] = {"answers": len(good), "errors": len(errors)}
    if good:
        result |= {
            "p50_s": round(statistics.median(good), 3),
            "p95_s": round(percentile(good, 0.95), 3),
            "max_s": round(good[-1], 3),
        }
        for part in ("question_s", "answer_s"):
            values = sorted(getattr(s, part) for s in samples if s.error is None)
            result[f"{part.removesuffix('_s')}_round_trip_p50_s"] = round(statistics.median(values), 3)
    distinct: dict[str, int] = {}
    for error in errors:
        distinct[error] = distinct.get(error, 0) + 1
    result["error_messages"] = [{"message": m, "count": n} for m, n in distinct.items()]
    start = min((s.at for s in samples), default=0.0)
    result["errors_detail"] = [  # the first ones, to see whether they come together
        {
            "user": s.user,
            "at_s": round(s.at - start, 2),
            "step": s.step,
            "question": s.question,
            "error": s.error,
        }
        for s in sorted(samples, key=lambda s: s.at)
        if s.error is not None
    ][:20]
    return result


def session(url: str, done: list[Asked]) -> Any | None:
    """A new session (``Client``), or ``None`` with the failure counted as an error in ``done``."""
    at = time.monotonic()
    try:
        return new_client(url)
    except Exception as exc:  # a session that cannot start is an error the user meets
        error = f"new session: {type(exc).__name__}: {exc}"
        done.append(Asked(at, time.monotonic() - at, 0.0, 0.0, error, step="session"))
        time.sleep(0.5)
        return None


def load(url: str, users: int, duration: float, turns: int, side: Callable[[float], None]) -> list[Asked]:
    """``users`` users asking without pause for ``duration`` seconds; ``side`` runs meanwhile."""
    ready = threading.Barrier(users + 1)  # every first session open before the clock starts
    go = threading.Event()
    clock: dict[str, float] = {}

    def user(i: int) -> list[Asked]:
        done: list[Asked] = []
        client = session(url, done)
        try:
            ready.wait()
            go.wait()
            n = turn = 0
            while time.monotonic() < clock["stop"]:
                if client is not None and turn == turns:  # a new conversation
                    client.close()
                    client = None
                if client is None:
                    client, turn = session(url, done), 0
                    continue
                done.append(ask(client, QUESTIONS[(i + n) % len(QUESTIONS)], i))
                n, turn = n + 1, turn + 1
        finally:
            if client is not None:
                client.close()
        return done

    with ThreadPoolExecutor(max_workers=users + 1) as pool:
        futures = [pool.submit(user, i) for i in range(users)]
        ready.wait(timeout=600)
        start = time.monotonic()
        clock["stop"] = start + duration
        go.set()
        side_job = pool.submit(side, start)
        samples = [s for f in futures for s in f.result()]
        side_job.result()
    return samples


def burst(url: str, users: int, rounds: int) -> list[Asked]:
    """``users`` users sending a question at the same moment, ``rounds`` times."""
    barrier = threading.Barrier(users)

    def user(i: int) -> list[Asked]:
        done: list[Asked] = []
        client = None
        for r in range(rounds):
            if client is not None and r % 3 == 0:  # short conversations, as in web_latency.py
                client.close()
                client = None
            if client is None:
                client = session(url, done)
            barrier.wait()  # opening a session is not timed
            if client is not None:
                done.append(ask(client, QUESTIONS[(r + i) % len(QUESTIONS)], i))
        if client is not None:
            client.close()
        return done

    with ThreadPoolExecutor(max_workers=users) as pool:
        return [s for done in pool.map(user, range(users)) for s in done]


def write_article(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def strip_tags(fragment: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(str(fragment)))).strip()


class IndexWrites:
    """The side job of the load run: an upload through ``/add`` a quarter of the way in, then
    an ``article-qa index update`` from the command line halfway; ``record`` says how each went."""

    def __init__(self, url: str, index_dir: Path, work: Path, duration: float) -> None:
        self.url, self.index_dir, self.work, self.duration = url, index_dir, work, duration
        self.record: dict[str, Any] = {}

    def __call__(self, start: float) -> None:
        from gradio_client import handle_file

        time.sleep(max(0.0, start + 0.25 * self.duration - time.monotonic()))
        upload = write_article(self.work / "to-upload", UPLOADED[0], UPLOADED[1])
        began = time.monotonic()
        client = new_client(self.url)
        try:
            report, *_ = client.predict([handle_file(str(upload))], "fr", api_name="/add")
            outcome: dict[str, Any] = {"report": strip_tags(report)[:300]}
        except Exception as exc:  # reported, not raised: the load run goes on
            outcome = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            client.close()
        self.record["upload"] = {
            "at_s": round(began - start, 1),
            "seconds": round(time.monotonic() - began, 2),
            **outcome,
        }

        time.sleep(max(0.0, start + 0.5 * self.duration - time.monotonic()))
        folder = self.work / "update-source"
        write_article(folder, UPDATED[0], UPDATED[1])
        began = time.monotonic()
        done = subprocess.run(
            [str(cli()), "index", "update", str(folder), "--index", str(self.index_dir), "--quiet"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        self.record["cli_update"] = {
            "at_s": round(began - start, 1),
            "seconds": round(time.monotonic() - began, 2),
            "exit_code": done.returncode,
            "output": (done.stdout + done.stderr).strip()[-300:],
        }


def new_articles_answered(url: str) -> dict[str, Any]:
    """After the run, a new session asks about each new article: is it answered from it?"""
    found: dict[str, Any] = {}
    client = new_client(url)
    try:
        for how, (_, _, question, expected) in (("upload", UPLOADED), ("cli_update", UPDATED)):
            asked = ask(client, question)
            text = strip_tags(asked.answer_html)
            found[how] = {"question": question, "answered": expected in text, "answer": text[:200]}
    finally:
        client.close()
    return found


PHASES = ("queue_wait", "preprocess", "fn_call", "postprocess", "total")


def profile(server: Server, enabled: bool) -> dict[str, Any] | None:
    """Gradio's per-event timings since the last call (ms), by endpoint; then clears them."""
    if not enabled:
        return None
    traces = server.get("gradio_api/profiling/traces")
    server.post("gradio_api/profiling/clear")
    by_fn: dict[str, dict[str, list[float]]] = {}
    for trace in traces:
        if trace.get("fn_name") == "gradio_file_upload":  # its trace holds no phase
            continue
        phases = by_fn.setdefault(str(trace.get("fn_name")), {})
        for phase in PHASES:
            phases.setdefault(phase, []).append(float(trace.get(f"{phase}_ms") or 0.0))
    return {
        fn: {
            "events": len(phases["total"]),
            **{
                f"{phase}_ms": {
                    "p50": round(statistics.median(values), 1),
                    "p95": round(percentile(sorted(values), 0.95), 1),
                }
                for phase, values in phases.items()
            },
        }
        for fn, phases in by_fn.items()
    }


@contextmanager
def cpu_use(server: Server, into: dict[str, Any]) -> Iterator[None]:
    """Record the CPU seconds the server and this load generator used in the block."""
    server_before, own_before = server.cpu_seconds(), time.process_time()
    yield
    server_after = server.cpu_seconds()
    if server_before is not None and server_after is not None:
        into["server_cpu_s"] = round(server_after - server_before, 2)
    into["load_generator_cpu_s"] = round(time.process_time() - own_before, 2)


def per_answer(result: dict[str, Any]) -> None:
    """Add the CPU milliseconds per answer of the server and the load generator."""
    for who in ("server", "load_generator"):
        if f"{who}_cpu_s" in result and result.get("answers"):
            result[f"{who}_cpu_ms_per_answer"] = round(1000 * result[f"{who}_cpu_s"] / result["answers"], 1)


def machine_load() -> dict[str, float]:
    one, five, fifteen = os.getloadavg()
    return {"load_1min": round(one, 2), "load_5min": round(five, 2), "load_15min": round(fifteen, 2)}


def build_sample(index_dir: Path) -> None:
    print(f"building the sample index in {index_dir} (about a minute)…", file=sys.stderr, flush=True)
    subprocess.run(
        [str(cli()), "index", "build", "--sample", "--index", str(index_dir), "--quiet"], check=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=None, help="an existing index (copied, never changed)")
    parser.add_argument("--users", type=int, default=20, help="users of the load run")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of the load run")
    parser.add_argument("--turns", type=int, default=5, help="questions per session in the load run")
    parser.add_argument("--burst-users", type=int, default=8, help="users sending at the same moment")
    parser.add_argument("--burst-rounds", type=int, default=10, help="rounds of the burst, and of 1 user")
    parser.add_argument("--skip-load", action="store_true", help="the bursts only")
    parser.add_argument("--profile", action="store_true", help="record Gradio's per-event timings")
    parser.add_argument(
        "--pythonpath", type=Path, default=None, help="serve the app from this copy of the code"
    )
    parser.add_argument(
        "--client-default-tls",
        action="store_true",
        help="let gradio_client build its default TLS context per request (as web_latency.py does)",
    )
    parser.add_argument(
        "--endpoint",
        choices=("page", "ask"),
        default="page",
        help="page: /question then /answer, as the page does; ask: the HTTP API's one-call /ask",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--json", action="store_true", help="print the JSON only")
    args = parser.parse_args()

    def say(message: str) -> None:
        if not args.json:
            print(message, file=sys.stderr, flush=True)

    CLIENT_TLS["default"] = args.client_default_tls
    ENDPOINT["name"] = args.endpoint
    work = Path(tempfile.mkdtemp(prefix="aq-web-load-"))
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    if args.profile:
        env["GRADIO_PROFILING"] = "1"
    if args.pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(args.pythonpath), env.get("PYTHONPATH")]))
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cores": os.cpu_count(),
        "client": "gradio_client, default TLS context"
        if args.client_default_tls
        else "gradio_client, ssl_verify off",
        "app_code": str(args.pythonpath or "the installed project"),
        "endpoint": "/ask" if args.endpoint == "ask" else "/question then /answer",
    }
    try:
        if args.index is None:
            build_sample(work / "sample-index")
            source = work / "sample-index"
        else:
            source = args.index.expanduser()
        index_dir = work / "index"  # a copy: the upload and the update change it
        shutil.copytree(source, index_dir)
        with served(index_dir, work / "serve.log", env) as server:
            say(f"serving {source} (copied) at {server.url}")
            warm = new_client(server.url)
            ask(warm, QUESTIONS[0])  # the first answer of a process pays one-off costs
            warm.close()
            profile(server, args.profile)
            if not args.skip_load:
                say(f"load: {args.users} users for {args.duration:.0f}s, with an upload and an update…")
                load_before = machine_load()
                side = IndexWrites(server.url, index_dir, work, args.duration)
                used: dict[str, Any] = {}
                began = time.monotonic()
                with cpu_use(server, used):
                    samples = load(server.url, args.users, args.duration, args.turns, side)
                elapsed = time.monotonic() - began
                results["load"] = {
                    "users": args.users,
                    "duration_s": args.duration,
                    "elapsed_s": round(elapsed, 1),
                    "questions_per_session": args.turns,
                    **summary(samples),
                    "answers_per_s": round(sum(s.error is None for s in samples) / elapsed, 2),
                    **used,
                    "index_writes": side.record,
                    "machine_before": load_before,
                    "machine_after": machine_load(),
                    "server_profile": profile(server, args.profile),
                }
                per_answer(results["load"])
                say(
                    f"load: {json.dumps({k: v for k, v in results['load'].items() if k != 'server_profile'})}"
                )
                results["load"]["new_articles"] = new_articles_answered(server.url)
                profile(server, args.profile)
            for users in (args.burst_users, 1):
                name = f"burst_{users}_users" if users > 1 else "one_user"
                before = machine_load()
                used = {}
                with cpu_use(server, used):
                    samples = burst(server.url, users, args.burst_rounds)
                results[name] = {
                    "users": users,
                    "rounds": args.burst_rounds,
                    **summary(samples),
                    **used,
                    "machine_before": before,
                    "server_profile": profile(server, args.profile),
                }
                per_answer(results[name])
                say(
                    f"{name}: {json.dumps({k: v for k, v in results[name].items() if k != 'server_profile'})}"
                )
    except BaseException:
        log = work / "serve.log"
        if log.exists():
            print(f"server log:\n{log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
