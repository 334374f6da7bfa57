"""Parsing the command line, and running the command it names as its edge: a library error is
one line and exit status 2, SIGTERM during a write runs the write's clean-up, a closed pipe
is not an error."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

from index.errors import QAError
from index.settings import stay_offline

from . import ask, evaluation, indexing, serving
from .options import Terminated, stopped_by_sigterm


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="article-qa",
        description="Answer questions over articles with cited source sentences.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in (indexing, ask, serving, evaluation):
        command.register(commands)
    return parser


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
    try:
        if args.writes:  # an index is written: SIGTERM runs the same clean-up as an error
            with stopped_by_sigterm():
                return int(args.run(args))
        return int(args.run(args))
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
