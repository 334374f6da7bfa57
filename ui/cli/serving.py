"""``article-qa serve``: the web app, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from index import settings
from index.errors import OptionError
from qa import COMPOSING_AT_ONCE

from ..progress import TqdmProgress
from .options import endpoint_of, index_arg, index_of, llm_args, reranker_arg, reranker_of, within


def register(commands: Any) -> None:
    s = commands.add_parser(
        "serve",
        help="serve the web app (builds the sample index if there is none)",
        allow_abbrev=False,  # the old --auth USER:PASSWORD must not pass for --auth-file
    )
    s.set_defaults(run=run, writes=False)
    index_arg(s)
    s.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)"
    )
    s.add_argument(
        "--port", type=within(int, 1, 65535), default=7860, help="port to listen on (default 7860)"
    )
    s.add_argument(
        "--auth-file",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"ask for the login USER:PASSWORD held in FILE (or in ${settings.AUTH_VARIABLE}); "
        "never on the command line",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar while building the sample index")
    llm_args(s, "offer answers composed by this language model")
    s.add_argument(
        "--llm-parallel",
        type=within(int, 1, 64),
        default=COMPOSING_AT_ONCE,
        metavar="N",
        help="answers the model composes at once; a composed question beyond them is quoted at once "
        f"(default {COMPOSING_AT_ONCE})",
    )
    reranker_arg(s)
    s.add_argument(
        "--refresh",
        type=_duration,
        default=None,
        metavar="EVERY",
        help="read the index's sources (folders, files, pages, feeds) again every EVERY (30m, 2h) "
        "in the background; questions never wait for it",
    )
    s.add_argument(
        "--watch",
        nargs="*",
        default=None,
        metavar="DIR",
        help="index a new or changed file in DIR at once (no DIR: every folder the index was built from)",
    )
    s.add_argument(
        "--allow-private-urls",
        action="store_true",
        help="let pages and feeds added on the page resolve to loopback or private addresses",
    )
    s.add_argument(
        "--request-log",
        default="-",
        metavar="FILE",
        help="write one JSON line per question to FILE (default -: standard error; off: none)",
    )
    s.add_argument(
        "--log-questions",
        action="store_true",
        help="put each question's text in the request log (off by default: questions can be personal)",
    )


def _duration(value: str) -> float:
    from ui.web.refresh import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def credentials(args: argparse.Namespace) -> tuple[str, str] | None:
    """The login the app asks for: from ``--auth-file`` or ``$ARTICLE_QA_AUTH`` (USER:PASSWORD),
    never from the command line, where any user of the machine sees it (``ps``)."""
    if args.auth_file is not None:
        try:
            value = args.auth_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise OptionError(f"cannot read --auth-file {args.auth_file}: {exc.strerror}") from None
        origin = str(args.auth_file)
    else:
        login = settings.auth_login()
        if not login:
            return None
        value, origin = login, f"${settings.AUTH_VARIABLE}"
    user, sep, password = value.partition(":")
    if not (sep and user and password):
        raise OptionError(f"{origin} must hold the login as USER:PASSWORD")
    return user, password


def run(args: argparse.Namespace) -> int:
    from ui.web import serve

    progress = TqdmProgress(enabled=not args.quiet)
    try:
        serve(
            index_of(args),
            host=args.host,
            port=args.port,
            auth=credentials(args),
            progress=progress,
            endpoint=endpoint_of(args),
            llm_parallel=args.llm_parallel,
            reranker=reranker_of(args),
            refresh_every=args.refresh,
            watch=args.watch,
            allow_private_urls=args.allow_private_urls,
            request_log=None if args.request_log == "off" else args.request_log,
            log_questions=args.log_questions,
        )
    finally:
        progress.close()
    return 0
