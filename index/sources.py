"""The sources an index is built from, remembered: folders and files, pages and feeds.

Each source has a :class:`SourceState` in the index's manifest: what it is, when it was last
read, what that read added, changed and removed, its last error, and what a refresh sends to
learn, without reading it again, that nothing changed (a feed's ``ETag``/``Last-Modified`` and
the items already read). ``article-qa index update --index X`` with no source reads them all
again.

>>> result = read_all(["articles/", "https://example.org/feed.xml"], {}, FetchPolicy())
>>> [s.kind for s in result.states.values()]
['path', 'feed']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import OptionError
from .fetch import Fetcher, FetchError, FetchPolicy, check_url, redacted
from .readers import ReadProblem, ReadResult, read_sources
from .readers.file_states import FileStates

KINDS = ("path", "page", "feed")


@dataclass(frozen=True)
class SourceState:
    """What the index remembers of one source (``kind``: ``path``, ``page`` or ``feed``)."""

    location: str
    kind: str = "path"
    read_at: str | None = None
    changed_at: str | None = None  # the last read that added, changed or removed an article
    added: int = 0  # that read's
    changed: int = 0
    removed: int = 0
    problems: int = 0
    error: str | None = None  # why the last read of the source itself failed, if it did
    etag: str | None = None
    last_modified: str | None = None
    items: dict[str, str] = field(default_factory=dict)  # a feed's items read: link → digest

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, {}, 0) or k == "location"}

    @classmethod
    def from_dict(cls, data: object) -> SourceState | None:
        """The state ``data`` holds, or None if it is not one (a damaged manifest is refused by
        :meth:`index.manifest.Manifest.parse`, which calls this)."""
        if not isinstance(data, dict) or not isinstance(data.get("location"), str):
            return None
        known = {f.name: f.type for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        try:
            state = cls(**values)
        except TypeError:
            return None
        ints = (state.added, state.changed, state.removed, state.problems)
        if (
            state.kind not in KINDS
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in ints)
            or not isinstance(state.items, dict)
            or not all(isinstance(v, str | None) for v in (state.read_at, state.changed_at, state.error))
        ):
            return None
        return state


def is_url(source: str | os.PathLike[str]) -> bool:
    """Whether ``source`` names a URL (any ``scheme://``), not a path."""
    text = str(source)
    return "://" in text and bool(urlsplit(text).scheme)


def location_of(source: str | os.PathLike[str]) -> str:
    """How the registry names ``source``: a URL as given, a path made absolute."""
    if is_url(source):
        return str(source).strip()
    return str(Path(source).expanduser().resolve())


def read_sources_file(path: str | os.PathLike[str]) -> list[str]:
    """The sources listed in ``path``: one a line; blank lines and ``#`` comments are skipped.

    Raises:
        OptionError: the file cannot be read.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(f"cannot read the sources file {path}: {exc}; give one source a line") from None
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


@dataclass
class SourcesRead:
    """What reading the sources gave: the articles and problems (a :class:`ReadResult`), the
    state of each source read, and which source each article came from."""

    result: ReadResult
    states: dict[str, SourceState]
    origin: dict[str, str]  # article id → source location (of the articles read, not kept)

    def failed(self) -> bool:
        """Whether an update has nothing to do: no article read, and no page or feed among
        the sources (whose reads, even failed or unchanged, are recorded)."""
        return (
            not self.result.articles
            and not self.result.kept
            and all(s.kind == "path" for s in self.states.values())
        )


def read_all(
    sources: Sequence[str | os.PathLike[str]],
    previous: Mapping[str, SourceState],
    fetch: FetchPolicy | Fetcher | None = None,
    *,
    max_file_mb: float,
    known: FileStates | None = None,
) -> SourcesRead:
    """Read ``sources`` (paths and URLs); ``previous``: the registry's states, by location;
    ``fetch``: how to fetch URLs (a policy; or a :class:`Fetcher` that outlives this read, as a
    server's refresher keeps one, so that each host's robots.txt is not asked again each time).

    One source that fails is reported (its state's ``error``, and a problem) and the others are
    read; nothing here decides what is removed (the builder does, from paths only). Files
    that ``known`` says are unchanged are not read (their articles' ids: ``result.kept``).
    """
    now = _now()
    paths = _outermost([s for s in sources if not is_url(s)])
    urls = list(dict.fromkeys(location_of(s) for s in sources if is_url(s)))
    result = read_sources(paths, max_file_mb=max_file_mb, known=known) if paths else ReadResult()
    for url in [u for u in urls if redacted(u) != u]:  # a secret in a URL is neither kept nor shown
        urls.remove(url)
        try:
            check_url(url)
        except FetchError as exc:
            result.problems.append(ReadProblem(redacted(url), str(exc), code=exc.reason))
    states: dict[str, SourceState] = {}
    origin: dict[str, str] = {}
    roots = [Path(r) for r in result.roots]
    for source in paths:
        location = location_of(source)
        names = {str(source), str(Path(source).expanduser()), location}
        mine = [p for p in result.problems if p.path in names]
        states[location] = replace(
            previous.get(location, SourceState(location)),
            kind="path",
            read_at=now,
            error=mine[0].message if mine else None,
        )
    # The articles read (a kept one is neither added nor changed: its source is not counted).
    origin.update(_origins([(a.id, a.path or "") for a in result.articles], roots))
    if urls:
        seen = {a.id for a in result.articles} | set(result.kept)
        fetcher = fetch if isinstance(fetch, Fetcher) else Fetcher(fetch)
        try:
            for url in urls:
                states[url] = _read_url(fetcher, url, previous.get(url), result, origin, seen, now)
        finally:
            if fetcher is not fetch:
                fetcher.close()
    return SourcesRead(result, states, origin)


def _read_url(
    fetcher: Fetcher,
    url: str,
    before: SourceState | None,
    result: ReadResult,
    origin: dict[str, str],
    seen: set[str],
    now: str,
) -> SourceState:
    from .web import read_url

    before = before or SourceState(url, kind="page")
    try:
        read = read_url(
            fetcher,
            url,
            etag=before.etag,
            last_modified=before.last_modified,
            items=before.items if before.kind == "feed" else None,
        )
    except FetchError as exc:
        message = str(exc).removeprefix(f"{url}: ")
        result.problems.append(ReadProblem(url, message, code=exc.reason))
        return replace(before, read_at=now, error=message)
    result.problems.extend(read.problems)
    for article in read.articles:
        if article.id in seen:
            result.problems.append(
                ReadProblem(
                    article.url or url,
                    f"read twice (also from {origin.get(article.id) or result.kept.get(article.id, 'a file')}); "
                    "the first is kept",
                    code="duplicate",
                )
            )
            continue
        seen.add(article.id)
        origin[article.id] = url
        result.articles.append(article)
    return replace(
        before,
        kind=read.kind,
        read_at=now,
        error=None,
        problems=len(read.problems),
        etag=read.etag,
        last_modified=read.last_modified,
        items=read.items if read.kind == "feed" else {},
    )


def _origins(files: Sequence[tuple[str, str]], roots: Sequence[Path]) -> dict[str, str]:
    """``{article id: its source root}`` for ``(article id, file)`` pairs, a root found once per
    folder (a collection of 100,000 files has a few hundred folders)."""
    origin: dict[str, str] = {}
    named = {str(r) for r in roots}  # a file given as a source is its own root
    by_folder: dict[str, Path | None] = {}
    for article_id, file in files:
        if file in named:
            origin[article_id] = file
            continue
        folder = file.rpartition("/")[0] or "/"
        if folder not in by_folder:
            by_folder[folder] = root_of(Path(folder), roots)
        root = by_folder[folder]
        if root is not None:
            origin[article_id] = str(root)
    return origin


def root_of(file: Path, roots: Sequence[Path]) -> Path | None:
    """The source root among ``roots`` that ``file`` is, or lies under (None: none)."""
    return next((root for root in roots if file == root or root in file.parents), None)


def _outermost(paths: Sequence[str | os.PathLike[str]]) -> list[str | os.PathLike[str]]:
    """``paths`` without those inside another one's folder (a file added alone, then its folder:
    read once, by the folder, under the same id)."""
    resolved = [Path(location_of(p)) for p in paths]
    return [
        p
        for p, r in zip(paths, resolved, strict=True)
        if not any(other in r.parents for other in resolved if other != r)
    ]


def counted(
    states: Mapping[str, SourceState],
    origin: Mapping[str, str],
    added: Iterable[str],
    changed: Iterable[str],
    removed: Mapping[str, str],
) -> dict[str, SourceState]:
    """``states`` with what this read added, changed and removed from each source
    (``removed``: article id → the source it was under)."""
    tally: dict[str, list[int]] = {location: [0, 0, 0] for location in states}
    for column, ids in ((0, added), (1, changed)):
        for article_id in ids:
            if origin.get(article_id) in tally:
                tally[origin[article_id]][column] += 1
    for source in removed.values():
        if source in tally:
            tally[source][2] += 1
    out = {}
    for location, state in states.items():
        a, c, r = tally[location]
        if a or c or r:  # a read that changed nothing keeps the last change's figures
            state = replace(state, added=a, changed=c, removed=r, changed_at=state.read_at)
        out[location] = state
    return out


def merged(registry: Sequence[SourceState], read: Mapping[str, SourceState]) -> list[SourceState]:
    """The registry after a read: each source read replaced, new ones added at the end."""
    out = [read.get(s.location, s) for s in registry]
    known = {s.location for s in registry}
    return out + [s for location, s in read.items() if location not in known]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
