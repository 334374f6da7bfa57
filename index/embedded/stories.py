"""The embedded backend's stories (:mod:`index.stories`): what a segment keeps of them, how a
writer assigns them, and which copies a generation leaves out of its unfiltered searches.

A segment's articles carry ``story``: the row id of the article that started their story (its
own row id for the first one). ``stories`` keeps that first article's signature and
``story_bands`` its band keys, so that a later update finds the story. They stay when the
article is deleted, so that its copies keep their story and new copies join it; a merge keeps
those of stories that still have a live article. A segment written before stories has none of
this: each of its articles is a story of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import stories
from ..storage import Copy
from .segment import Segment


def copies_to_hide(segments: Sequence[Segment]) -> list[set[int]]:
    """For each segment, the row ids of its live articles that unfiltered searches leave out:
    every live article of a story but the one that stands for it (:func:`index.stories.representatives`)."""
    members: list[tuple[int, int]] = []
    home: dict[int, int] = {}
    for number, segment in enumerate(segments):
        if not segment.has_stories:
            continue
        for rowid, story in segment.query(
            "SELECT rowid, story FROM articles a WHERE story IS NOT NULL{live}"
        ):
            members.append((rowid, story))
            home[rowid] = number
    standing = stories.representatives(members)
    hidden: list[set[int]] = [set() for _ in segments]
    for rowid, story in members:
        if story in standing and standing[story] != rowid:
            hidden[home[rowid]].add(rowid)
    return hidden


def copies_of(
    segments: Sequence[Segment], article_ids: Sequence[str], limit: int
) -> dict[str, tuple[int, list[Copy]]]:
    """For those of these articles whose story has other live articles: how many, and the
    first ``limit`` of them in the order they were indexed (``Storage.copies``)."""
    ids, labels = list(article_ids), dict[str, int]()
    for segment in (s for s in segments if s.has_stories):
        labels.update(segment.article_rows(ids, "id, story"))
    rows = story_copies(segments, sorted(set(labels.values()) - {None}))
    found = {}
    for aid, story in labels.items():
        others = [Copy(*r[2:]) for r in rows if r[0] == story and r[2] != aid]
        if others:
            found[aid] = (len(others), others[:limit])
    return found


def story_copies(segments: Sequence[Segment], labels: Sequence[int]) -> list[tuple[Any, ...]]:
    """``(story, row id, id, title, source, url, date)`` of the live articles of these stories,
    by row id (the order they were indexed in)."""
    rows: list[tuple[Any, ...]] = []
    for segment in segments:
        if segment.has_stories:
            sql = (
                "SELECT story, rowid, id, title, source, url, date FROM articles a "
                f"WHERE story IN ({{marks}}){segment.live()}"
            )
            rows.extend(segment.by_ids(sql, list(labels)))
    return sorted(rows, key=lambda r: r[1])


class StoryAssigner:
    """Assigns the articles a writer adds to stories: those of ``segments`` (the generation it
    starts from), or new ones it records in ``db`` (the segment being written)."""

    def __init__(self, segments: Sequence[Segment], db: sqlite3.Connection) -> None:
        self.segments = [s for s in segments if s.has_stories]
        self.db = db
        self.bands: dict[int, list[int]] = {}  # this writer's stories by band key
        self.signatures: dict[int, np.ndarray] = {}

    def assign(self, rowid: int, signature: np.ndarray | None) -> int:
        """The story of the article ``rowid`` with this signature (its own row id for a new one)."""
        if signature is None:
            return rowid
        keys = stories.band_keys(signature)
        found = {story: self.signatures[story] for key in keys for story in self.bands.get(key, ())}
        for segment in self.segments:
            sql = (
                "SELECT DISTINCT s.story, s.signature FROM story_bands b JOIN stories s ON s.story = b.story "
                "WHERE b.key IN ({marks})"
            )
            for story, blob in segment.by_ids(sql, keys):
                stored = stories.from_blob(blob)
                if stored is not None:
                    found.setdefault(story, stored)
        matched = [s for s, sig in found.items() if stories.similarity(signature, sig) >= stories.THRESHOLD]
        if matched:
            return min(matched)
        self.signatures[rowid] = signature
        for key in keys:
            self.bands.setdefault(key, []).append(rowid)
        self.db.execute(
            "INSERT INTO stories (story, signature) VALUES (?, ?)", (rowid, stories.to_blob(signature))
        )
        self.db.executemany("INSERT INTO story_bands (key, story) VALUES (?, ?)", [(k, rowid) for k in keys])
        return rowid


def copy_story_tables(db: sqlite3.Connection, segment: Segment) -> None:
    """Copy into ``db`` (a merge's, the source attached as ``src``, its deleted row ids in
    ``temp.gone``) the stories of the segment that still have a live article in ``db``, or
    whose first article is live."""
    if not segment.has_stories:
        return
    keep = "story NOT IN temp.gone OR story IN (SELECT story FROM main.articles)"
    db.execute("BEGIN")
    db.execute(f"INSERT INTO main.stories SELECT story, signature FROM src.stories WHERE {keep}")
    db.execute(f"INSERT INTO main.story_bands SELECT key, story FROM src.story_bands WHERE {keep}")
    db.execute("COMMIT")
