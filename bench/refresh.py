"""What keeping an index fresh costs: a feed's refresh, and a watched folder's delay.

    python -m bench.refresh [--items 20] [--repeat 5] [--out bench/results/refresh.json]

A link-only RSS feed of ``--items`` news pages (the bundled sample's articles, each made into a
page with a site's frame) is served on 127.0.0.1 by the tests' web server; an index is built
from it with the default model. Then, with one fetcher kept across refreshes as a running app
keeps it (its robots.txt read once):

- an unchanged feed refreshed (``index.update`` with no source): requests, bytes served, seconds;
- one new item: the same, its page fetched and encoded;
- one changed item (its page and its entry edited): the same.

Freshness: an index of a folder, served by a :class:`~ui.web.state.LiveAssistant` whose
:class:`~ui.web.refresh.Refresher` watches the folder; a new article file is written, and the
seconds until a question about it is answered citing it are measured (asked every 0.1 s).
"""

from __future__ import annotations

import argparse
import html
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import index
from bench.common import RESULTS, commit, machine, write_json
from index.fetch import Fetcher, FetchPolicy
from index.info import SAMPLE_DIR
from tests.web_server import Route, WebServer, web_server

POLICY = FetchPolicy(allow_private=True, host_delay=0.0)
NEW_STORY = (
    "Le phare de Cordouan rouvre {n}\n\n"
    "Le phare de Cordouan accueille de nouveau les visiteurs depuis samedi {n}. "
    "Les gardiens ont repeint la lanterne en vert émeraude pour la saison {n}."
)
QUESTION = "De quelle couleur les gardiens ont-ils repeint la lanterne du phare de Cordouan ?"


def page_of(record: dict[str, Any], extra: str = "") -> str:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in (record["text"] + extra).split("\n\n"))
    return (
        f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>{html.escape(record['title'])}</title>"
        f"<meta property='og:site_name' content='Wikinews'></head><body><nav><a href='/'>Accueil</a></nav>"
        f"<article><h1>{html.escape(record['title'])}</h1>{paragraphs}</article>"
        "<footer>Licence CC BY 2.5</footer></body></html>"
    )


def feed_of(server: WebServer, records: list[dict[str, Any]], edits: dict[str, str]) -> str:
    items = "".join(
        f"<item><title>{html.escape(r['title'])}{edits.get(r['id'], '')}</title>"
        f"<link>{server.url('/a/' + r['id'])}</link><pubDate>Tue, 22 May 2012 08:00:00 GMT</pubDate></item>"
        for r in records
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Fil</title>{items}</channel></rss>"


def serve_feed(server: WebServer, records: list[dict[str, Any]], version: int, edits: dict[str, str]) -> None:
    for r in records:
        server.routes["/a/" + r["id"]] = Route(page_of(r, edits.get(r["id"], "")))
    server.routes["/feed.rss"] = Route(
        feed_of(server, records, edits), type="application/rss+xml", etag=f'"v{version}"'
    )


def refresh(server: WebServer, ix: Path, embedder: index.Embedder, fetcher: Fetcher) -> dict[str, Any]:
    server.requests.clear()
    t = time.perf_counter()
    report = index.update([], ix, embedder=embedder, fetch=fetcher)
    seconds = time.perf_counter() - t
    return {
        "requests": len(server.requests),
        "paths": [r.path.split("/")[1] for r in server.requests],
        "bytes_served": sum(r.sent for r in server.requests),
        "seconds": round(seconds, 3),
        "added": len(report.added),
        "changed": len(report.changed),
        "texts_encoded": report.texts_encoded,
    }


def feed_costs(items: int, repeat: int, embedder: index.Embedder, work: Path) -> dict[str, Any]:
    records = [json.loads(line) for line in (SAMPLE_DIR / "wikinews-fr-100.jsonl").open(encoding="utf-8")]
    shown, spare = records[:items], records[items : items + repeat]
    out: dict[str, Any] = {"items": items}
    with web_server() as server, Fetcher(POLICY) as fetcher:
        serve_feed(server, shown, 1, {})
        t = time.perf_counter()
        index.build([server.url("/feed.rss")], work / "feed-index", embedder=embedder, fetch=fetcher)
        out["build_seconds"] = round(time.perf_counter() - t, 2)
        refresh(server, work / "feed-index", embedder, fetcher)  # robots.txt read once, as in an app
        out["unchanged"] = [refresh(server, work / "feed-index", embedder, fetcher) for _ in range(repeat)]
        version, new, changed = 1, [], []
        for k in range(repeat):
            version += 1
            shown = [*shown, spare[k]]
            serve_feed(server, shown, version, {})
            new.append(refresh(server, work / "feed-index", embedder, fetcher))
        edits: dict[str, str] = {}
        for k in range(repeat):
            version += 1
            edits[shown[k]["id"]] = f" (mise à jour {k})"  # one more item edited, the others as they were
            serve_feed(server, shown, version, edits)
            changed.append(refresh(server, work / "feed-index", embedder, fetcher))
        out["one_new_item"], out["one_changed_item"] = new, changed
    for key in ("unchanged", "one_new_item", "one_changed_item"):
        runs = out[key]
        out[f"{key}_median"] = {
            "requests": statistics.median(r["requests"] for r in runs),
            "bytes_served": statistics.median(r["bytes_served"] for r in runs),
            "seconds": round(statistics.median(r["seconds"] for r in runs), 3),
        }
    return out


def freshness(repeat: int, embedder: index.Embedder, work: Path) -> dict[str, Any]:
    from tests.conftest import write_corpus
    from ui.web.refresh import Refresher
    from ui.web.state import LiveAssistant

    corpus = write_corpus(work / "watched")
    index.build([corpus], work / "watched-index", embedder=embedder)
    live = LiveAssistant.open(work / "watched-index", embedder=embedder)
    live.warm(QUESTION)
    refresher = Refresher(live, watch=[corpus]).start()
    delays = []
    try:
        time.sleep(1.0)
        for n in range(repeat):
            name = f"phare-{n}.txt"
            written = time.perf_counter()
            (corpus / name).write_text(NEW_STORY.format(n=n), "utf-8")
            while time.perf_counter() - written < 120:
                answer = live.current.ask(QUESTION)
                if answer.citations and answer.citations[0].article_id == name:
                    delays.append(round(time.perf_counter() - written, 2))
                    break
                time.sleep(0.1)
            else:
                delays.append(None)
            (corpus / name).unlink()
            time.sleep(3.0)  # the removal is indexed before the next file
    finally:
        refresher.stop()
    seen = [d for d in delays if d is not None]
    return {"seconds": delays, "median": statistics.median(seen) if seen else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "refresh.json")
    args = parser.parse_args()
    index.settings.stay_offline()
    embedder = index.load_embedder()
    with tempfile.TemporaryDirectory(prefix="aq-refresh-") as tmp:
        work = Path(tmp)
        result = {
            "commit": commit(),
            "machine": machine(),
            "model": embedder.name,
            "feed": feed_costs(args.items, args.repeat, embedder, work),
            "watched_folder": freshness(args.repeat, embedder, work),
        }
    write_json(args.out, result, indent=1)
    print(json.dumps({k: v for k, v in result["feed"].items() if k.endswith("median")}, indent=1))
    print("watched folder → cited answer, seconds:", result["watched_folder"])


if __name__ == "__main__":
    main()
