"""``article-qa ask "QUESTION"``: the answer with its cited sentences, or "not found"."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from index.model_spec import MODEL_HELP
from qa import MAX_TOP_K

from .options import endpoint_of, index_arg, index_of, llm_args, reranker_arg, reranker_of, within

if TYPE_CHECKING:
    from qa import Check, Citation


def register(commands: Any) -> None:
    a = commands.add_parser("ask", help="answer a question with cited sentences")
    a.set_defaults(run=run, writes=False)
    a.add_argument("question", help="the question, in quotes")
    index_arg(a)
    a.add_argument(
        "--top-k",
        type=within(int, 1, MAX_TOP_K),
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
    llm_args(a, "have this language model compose the answer, each claim checked against its citations")
    reranker_arg(a)


def _date(value: str) -> str:
    """An argparse type: an ISO date (2012-06-30), or a year or month of one."""
    from qa import Filters, OptionError

    try:
        Filters(date_from=value)
    except OptionError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2012-06-30") from None
    return value


def run(args: argparse.Namespace) -> int:
    from qa import Assistant, Filters, GenerativeAnswerer

    filters = Filters(  # checked before the model loads: reversed dates, say
        category=args.category, source=args.source, date_from=args.date_from, date_to=args.date_to
    )
    endpoint = endpoint_of(args)
    answerer = GenerativeAnswerer(endpoint) if endpoint else None
    assistant = Assistant.open(
        index_of(args), model=args.model, top_k=args.top_k, reranker=reranker_of(args), quick_start=True
    )
    answer = assistant.ask(args.question, filters=filters, answerer=answerer)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    print()
    if answer.check is not None:
        print(check_lines(answer.check))
    if answer.abstained:
        print("Related reading:" if answer.language != "fr" else "À lire :")
        for p in answer.passages[:3]:
            print(f"  - {p.title} ({p.date_text or p.date or 'sans date'}): {p.text[:160]}…")
        return 0
    for c in answer.citations:
        shown = c.passage.date_text or c.passage.date  # as the source wrote it
        date = f", {shown}" if shown else ""
        page = f", p. {c.page}" if c.page is not None else ""
        print(f"[{c.number}] {c.title}{date}{page} — characters {c.start}-{c.end} of {c.article_id}")
        print(f"    « {c.text} »" if answer.language == "fr" else f'    "{c.text}"')
        if c.passage.url:
            print(f"    {c.passage.source + ' — ' if c.passage.source else ''}{c.passage.url}")
        if c.also_published_count:
            print(f"    {also_published(c, answer.language)}")
    return 0


SHOWN_COPIES = 5
"""The other sources of a story named in the terminal (the JSON has all the answer lists)."""


def also_published(citation: Citation, language: str) -> str:
    """ "also published by N other sources: …", each named by its source (or title) and link."""
    n = citation.also_published_count
    if language == "fr":
        lead = f"aussi publié par {n} autre{'s' if n > 1 else ''} source{'s' if n > 1 else ''}"
    else:
        lead = f"also published by {n} other source{'s' if n > 1 else ''}"
    named = [
        " ".join(filter(None, (p.source or p.title, p.url))) for p in citation.also_published[:SHOWN_COPIES]
    ]
    return f"{lead}: {', '.join(named)}{', …' if n > len(named) else ''}"


def check_lines(check: Check) -> str:
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
