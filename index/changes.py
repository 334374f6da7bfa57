"""What an update changes: which of the articles it read are new or changed, and which indexed
articles are gone, with the number the index held.

The index's hashes of every article answer it. When the table of files
(:mod:`index.readers.file_states`) is ``trusted``, every article of a file it kept is in the
index as read, so only the hashes of the articles read are looked up; and when those and the
kept ones make up every article the index holds, none is gone. Otherwise (a file is gone, one
did not read, an index holds other sources' articles) every hash is loaded, as without the
table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .documents import Article
from .readers.file_states import FileStates
from .sources import SourcesRead, is_url, root_of
from .storage import Storage


@dataclass(frozen=True)
class Changes:
    new: list[Article]
    changed: list[Article]
    gone: dict[str, str]  # article id → the source root its file was under
    total: int  # the articles the index held


def find_changes(store: Storage, read: SourcesRead, files: FileStates) -> Changes:
    """What ``read`` changes in ``store``'s index (``files``: the table it was read with)."""
    articles = read.result.articles
    known = files.indexed
    total = store.manifest.counts.get("articles")
    held: Mapping[str, tuple[str, str | None]]
    if known is None:
        held = store.article_hashes([a.id for a in articles])
        if total is None or len(read.result.kept) + len(held) != total:  # some were not seen
            known = store.article_hashes()
    else:
        held = known
    new = [a for a in articles if a.id not in held]
    changed = [a for a in articles if a.id in held and held[a.id][0] != a.content_hash]
    if known is None:
        return Changes(new, changed, {}, total or 0)
    return Changes(new, changed, _gone(known, read), len(known))


def _gone(known: Mapping[str, tuple[str, str | None]], read: SourcesRead) -> dict[str, str]:
    """Indexed articles whose file lies under a source root but was not read back, each with
    that root.

    An article is kept when its file, or a directory above it, is among the problems: the
    file is there but did not read this time, or the directory could not be listed (or held
    no article file at all). An article of a page or a feed is never gone.
    """
    seen = {a.id for a in read.result.articles} | set(read.result.kept)
    failed = {Path(p.path) for p in read.result.problems if not is_url(p.path)}
    roots = [Path(r) for r in read.result.roots]
    verdicts: dict[str, Path | None] = {}  # by stored path: a large index has far fewer files than articles

    def stored_under(stored_path: str) -> Path | None:
        if stored_path not in verdicts:
            file = Path(stored_path)
            unread = file in failed or any(parent in failed for parent in file.parents)
            verdicts[stored_path] = None if unread or is_url(stored_path) else root_of(file, roots)
        return verdicts[stored_path]

    return {
        article_id: str(root)
        for article_id, (_, stored_path) in known.items()
        if article_id not in seen and stored_path and (root := stored_under(stored_path)) is not None
    }
