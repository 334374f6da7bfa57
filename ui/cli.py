"""The ``article-qa`` command line.

    article-qa index build SOURCE... --index DIR [--model M] [--rebuild]
    article-qa index build --sample --index DIR
    article-qa index update SOURCE... --index DIR
    article-qa index info --index DIR [--json]

Errors of the library (:class:`index.QAError`) are printed as one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from index.settings import default_index_dir, stay_offline

from .progress import TqdmProgress


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"  # pragma: no cover


def _index_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        type=Path,
        default=None,
        metavar="DIR",
        help="index directory (default: $ARTICLE_QA_INDEX or ~/.local/share/article-qa/index)",
    )


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
    b.add_argument("--model", default=None, help="sentence-transformers model name or path")
    b.add_argument("--rebuild", action="store_true", help="replace an existing index")
    b.add_argument("--chunk-size", type=int, default=None, help="chunk size in characters")
    b.add_argument("--overlap", type=int, default=None, help="sentences shared by chunks")
    for p in (b, u := idx_cmd.add_parser("update", help="add new, re-index changed, drop gone")):
        _index_arg(p)
        p.add_argument("--max-file-mb", type=float, default=20.0, help="skip larger files")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.add_argument("--json", action="store_true", help="print the report as JSON")
    u.add_argument("sources", nargs="+", type=Path, metavar="SOURCE", help="files or directories")
    u.add_argument("--model", default=None, help="must match the index's model")

    i = idx_cmd.add_parser("info", help="describe an index")
    _index_arg(i)
    i.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _cmd_index(args: argparse.Namespace) -> int:
    import index

    index_dir = args.index or default_index_dir()
    if args.index_command == "info":
        info = index.index_info(index_dir)
        if args.json:
            print(json.dumps(info, ensure_ascii=False, indent=2))
        else:
            print(_format_info(info))
        return 0
    progress = TqdmProgress(enabled=not args.quiet)
    try:
        if args.index_command == "build":
            sources = list(args.sources) + (index.sample_sources() if args.sample else [])
            if not sources:
                raise SystemExit("article-qa index build: give SOURCE paths, or --sample")
            settings = index.ChunkSettings(
                **{
                    k: v
                    for k, v in (("chunk_size", args.chunk_size), ("overlap", args.overlap))
                    if v is not None
                }
            )
            report = index.build(
                sources,
                index_dir,
                model=args.model,
                chunk_settings=settings,
                rebuild=args.rebuild,
                max_file_mb=args.max_file_mb,
                progress=progress,
            )
        else:
            report = index.update(
                args.sources, index_dir, model=args.model, max_file_mb=args.max_file_mb, progress=progress
            )
    finally:
        progress.close()
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    print(report.summary())
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    print(f"index: {index_dir} ({timings})")
    return 0


def _format_info(info: dict[str, object]) -> str:
    build = info["last_build"]
    assert isinstance(build, dict)
    dates = info["dates"]
    assert isinstance(dates, list)
    size = info["size_bytes"]
    assert isinstance(size, int)
    lines = [
        f"index       {info['index_dir']}",
        f"articles    {info['articles']}",
        f"sentences   {info['sentences']}",
        f"chunks      {info['chunks']} (size {info['chunk_size']}, overlap {info['overlap']} sentence(s))",
        f"model       {info['model']} (dimension {info['dimension']})",
        f"languages   {', '.join(f'{k} {v}' for k, v in dict(info['languages']).items())}",  # type: ignore[call-overload]
        f"categories  {', '.join(info['categories']) or '-'}",  # type: ignore[arg-type]
        f"dates       {dates[0] or '-'} to {dates[1] or '-'}",
        f"size        {_size(size)}",
        f"last build  {build.get('kind')} at {build.get('at')}: {build.get('added')} added, "
        f"{build.get('changed')} changed, {build.get('removed')} removed",
    ]
    return "\n".join(lines)


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
            return _cmd_index(args)
    except QAError as exc:
        print(f"article-qa: {exc}", file=sys.stderr)
        return 2
    return 1  # pragma: no cover - argparse requires a command


if __name__ == "__main__":
    sys.exit(main())
