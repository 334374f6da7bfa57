"""The other sources of a cited story: an agency's story is read once (:mod:`index.stories`),
and the answer says who else published it."""

from __future__ import annotations

import time
from dataclasses import replace

from index import Storage

from .records import Answer, Publication

LISTED = 20
"""The most other articles of a story a citation lists (it counts them all)."""


def with_other_sources(
    store: Storage, answer: Answer, timings: dict[str, float], *, limit: int = LISTED
) -> Answer:
    """``answer`` with each citation's other articles of the same story, where there are some
    (the time the lookup took goes to ``timings["stories"]``)."""
    if not answer.citations:
        return answer
    t = time.perf_counter()
    found = store.copies(list(dict.fromkeys(c.article_id for c in answer.citations)), limit)
    timings["stories"] = time.perf_counter() - t
    if not found:
        return answer
    citations = []
    for citation in answer.citations:
        count, copies = found.get(citation.article_id, (0, []))
        others = tuple(Publication(c.article_id, c.title, c.source, c.url, c.date) for c in copies)
        citations.append(replace(citation, also_published=others, also_published_count=count))
    return replace(answer, citations=tuple(citations))
