"""A bounded load test of the web app through its HTTP API, on 127.0.0.1 only.

Starts ``article-qa serve`` on a free port of 127.0.0.1 over a copy of an index (the bundled
sample, built first unless ``--index`` names one), then drives it with gradio_client threads,
each user its own ``Client`` asking ``/question``, the page's Gradio event (which the page
uses for composed answers; its quoted ones are one plain call, ``ask_quoted``):

1. load: ``--users`` users (default 20) ask French questions the sample answers, one after
   another with no pause, for ``--duration`` seconds (default 120); a user starts a new
   session (a new conversation) every ``--turns`` questions. During the run, one upload of a
   new article through ``/add`` (a quarter of the way in) and one ``article-qa index update``
   of another new article from the command line (halfway); with ``--watch``, the server
   watches a folder and an article dropped into it comes first (a quarter of the way in, the
   upload halfway, the update at three quarters). Afterwards a new session asks about each new
   article, to see the app answer from them.
2. burst: ``--burst-users`` users (default 8) send a question at the same moment,
   ``--burst-rounds`` times (default 10); then 1 user alone for as many rounds.

A latency is from sending the question to receiving the answer (one call). An error is a call
that raised, an answer that holds "Erreur"/"Error" (or the page's error class), or a chat whose
latest question is not the one this user asked (``errors_detail`` says which user, when and at
which step). The server is stopped in every case.

    .venv/bin/python -m bench.web_load --index DIR     # about 4 minutes with an existing index
    .venv/bin/python -m bench.web_load                 # builds the sample index first (+1 minute)
    .venv/bin/python -m bench.web_load --index DIR --users 8 --duration 30 --json

Writes ``bench/results/web_load.json`` (``--out``). ``--profile`` also records Gradio's own
per-event timings (``GRADIO_PROFILING=1``: queue wait, handler, total) for each phase;
``--pythonpath DIR`` serves the app from another copy of the code, to compare a change.
The load generator shares the machine (and its cores) with the server.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.common import RESULTS, write_json
from bench.processes import run
from bench.web_report import around_writes, cpu_use, machine_load, per_answer, profile, summary
from bench.web_users import CLIENT_TLS, ENDPOINT, ask, burst, load, new_client, strip_tags
from bench.webapp import QUESTIONS, cli, served

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

WATCHED = (
    "sorne-barrage.txt",
    "Le barrage de la Sorne rouvre après deux ans de travaux | RÉGIONS\n\n"
    "Le barrage de la Sorne rouvre apres deux ans de travaux\n\n"
    "Le barrage de la Sorne a rouvert lundi après deux ans de travaux qui ont coûté 61 millions "
    "d’euros. Sa nouvelle turbine produira l’électricité de 14 000 foyers, selon l’exploitant.\n\n"
    "Régions\n",
    "Combien de foyers la turbine du barrage de la Sorne alimentera-t-elle ?",
    "14 000 foyers",
)
"""An article the load test drops into the folder the server watches (``--watch``)."""


def write_article(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


class IndexWrites:
    """The side job of the load run: an upload through ``/add`` a quarter of the way in, then
    an ``article-qa index update`` from the command line halfway; ``record`` says how each went.

    With ``watched`` (the folder the server watches), an article dropped into it comes first,
    a quarter of the way in, while the server has loaded nothing of the write path yet; the
    upload is then halfway and the update three quarters of the way in."""

    def __init__(
        self, url: str, index_dir: Path, work: Path, duration: float, watched: Path | None = None
    ) -> None:
        self.url, self.index_dir, self.work, self.duration = url, index_dir, work, duration
        self.watched = watched
        self.record: dict[str, Any] = {}
        self.started = 0.0  # the load's start (monotonic), once it has begun

    def __call__(self, start: float) -> None:
        self.started = start
        steps = [self.upload, self.cli_update]
        if self.watched is not None:
            steps.insert(0, self.watch_refresh)
        for n, step in enumerate(steps, start=1):
            time.sleep(max(0.0, start + n / 4 * self.duration - time.monotonic()))
            began = time.monotonic()
            outcome = step()
            self.record[step.__name__] = {
                "at_s": round(began - start, 1),
                "seconds": round(time.monotonic() - began, 2),
                **outcome,
            }

    def upload(self) -> dict[str, Any]:
        from gradio_client import handle_file

        upload = write_article(self.work / "to-upload", UPLOADED[0], UPLOADED[1])
        client = new_client(self.url, gradio=True)  # an upload goes through the page's /add
        try:
            report, *_ = client.predict([handle_file(str(upload))], "fr", api_name="/add")
            return {"report": strip_tags(report)[:300]}
        except Exception as exc:  # reported, not raised: the load run goes on
            return {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            client.close()

    def cli_update(self) -> dict[str, Any]:
        folder = self.work / "update-source"
        write_article(folder, UPDATED[0], UPDATED[1])
        done = run(
            [str(cli()), "index", "update", str(folder), "--index", str(self.index_dir), "--quiet"],
            check=False,
        )
        return {"exit_code": done.returncode, "output": (done.stdout + done.stderr).strip()[-300:]}

    def watch_refresh(self) -> dict[str, Any]:
        """Drop an article into the watched folder; done when the server counts a refresh."""
        assert self.watched is not None
        before = refreshes_done(self.url)
        began = time.monotonic()
        write_article(self.watched, WATCHED[0], WATCHED[1])
        while refreshes_done(self.url) == before and time.monotonic() - began < 120:
            time.sleep(0.25)
        return {"refreshed": refreshes_done(self.url) > before}


def refreshes_done(url: str) -> float:
    """How many refreshes the server has counted as done (``/metrics``)."""
    with urllib.request.urlopen(url + "metrics", timeout=30) as response:
        text = response.read().decode("utf-8")
    found = re.search(r'^article_qa_refreshes_total\{outcome="done"\} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def new_articles_answered(url: str, writes: Iterable[str]) -> dict[str, Any]:
    """After the run, a new session asks about each new article (of ``writes``, the side job's
    steps that ran): is it answered from it?"""
    written = {"upload": UPLOADED, "cli_update": UPDATED, "watch_refresh": WATCHED}
    found: dict[str, Any] = {}
    client = new_client(url)
    try:
        for how in writes:
            _, _, question, expected = written[how]
            asked = ask(client, question)
            text = strip_tags(asked.answer_html)
            found[how] = {"question": question, "answered": expected in text, "answer": text[:200]}
    finally:
        client.close()
    return found


def build_sample(index_dir: Path) -> None:
    print(f"building the sample index in {index_dir} (about a minute)…", file=sys.stderr, flush=True)
    run([str(cli()), "index", "build", "--sample", "--index", str(index_dir), "--quiet"])


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
        help="let gradio_client build its default TLS context per request",
    )
    parser.add_argument(
        "--endpoint",
        choices=("page", "ask", "rest"),
        default="page",
        help="page: /question, the page's Gradio event; ask: the Gradio API's one-call /ask; "
        "rest: POST /api/ask, plain HTTP",
    )
    parser.add_argument(
        "--watch", action="store_true", help="serve with --watch FOLDER and drop an article into it first"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "web_load.json", help="where to write the JSON")
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
        "client": "http.client, one connection a user"
        if args.endpoint == "rest"
        else "gradio_client, default TLS context"
        if args.client_default_tls
        else "gradio_client, ssl_verify off",
        "app_code": str(args.pythonpath or "the installed project"),
        "endpoint": {"ask": "/ask", "rest": "/api/ask"}.get(args.endpoint, "/question"),
    }
    try:
        if args.index is None:
            build_sample(work / "sample-index")
            source = work / "sample-index"
        else:
            source = args.index.expanduser()
        index_dir = work / "index"  # a copy: the upload and the update change it
        shutil.copytree(source, index_dir)
        watched = work / "watched" if args.watch else None
        if watched is not None:
            watched.mkdir()
        options = ["--watch", str(watched)] if watched is not None else []
        with served(index_dir, work / "serve.log", env, options) as server:
            say(f"serving {source} (copied) at {server.url}")
            warm = new_client(server.url)
            ask(warm, QUESTIONS[0])  # the first answer of a process pays one-off costs
            warm.close()
            profile(server, args.profile)
            if not args.skip_load:
                say(f"load: {args.users} users for {args.duration:.0f}s, with an upload and an update…")
                load_before = machine_load()
                side = IndexWrites(server.url, index_dir, work, args.duration, watched)
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
                    **around_writes(samples, side.started, side.record),
                    "machine_before": load_before,
                    "machine_after": machine_load(),
                    "server_profile": profile(server, args.profile),
                }
                per_answer(results["load"])
                say(
                    f"load: {json.dumps({k: v for k, v in results['load'].items() if k != 'server_profile'})}"
                )
                results["load"]["new_articles"] = new_articles_answered(server.url, side.record)
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
    write_json(args.out, results)
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
