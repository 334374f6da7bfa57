"""The index panel's HTML: what the index holds, its sources, and how they are kept fresh.

Everything from the index or a source (addresses, errors) is escaped; a folder or a file is
named by its last part only (the page shows no server paths).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..text import human_size
from .i18n import text
from .render import esc, format_date, original_link


def index_info_html(info: Mapping[str, Any], lang: str) -> str:
    """The index panel's summary, from ``index.index_info``."""
    build = info.get("last_build") or {}
    first, last = (info.get("dates") or [None, None])[:2]
    languages = ", ".join(f"{k or '?'} {v}" for k, v in dict(info.get("languages") or {}).items())
    kind = text(lang, "kind_build" if build.get("kind") == "build" else "kind_update")
    rows: list[tuple[str, str]] = [
        ("info_articles", f"{info.get('articles', 0):,}".replace(",", " ")),
        ("info_sentences", f"{info.get('sentences', 0):,}".replace(",", " ")),
        ("info_chunks", f"{info.get('chunks', 0):,}".replace(",", " ")),
        ("info_model", f"{info.get('model')} ({info.get('dimension')})"),
        ("info_dates", f"{format_date(first, lang)} – {format_date(last, lang)}" if first else "–"),
        ("info_languages", languages or "–"),
        ("info_size", human_size(float(size)) if (size := info.get("size_bytes")) is not None else "–"),
        (
            "info_last_build",
            text(
                lang,
                "info_last_build_value",
                kind=kind,
                at=str(build.get("at", "?")).replace("T", " ").replace("+00:00", " UTC"),
                added=build.get("added", 0),
                changed=build.get("changed", 0),
                removed=build.get("removed", 0),
            ),
        ),
    ]
    cells = "".join(f"<dt>{esc(text(lang, key))}</dt><dd>{esc(value)}</dd>" for key, value in rows)
    return f'<dl class="aq-info">{cells}</dl>' + sources_html(info.get("sources") or [], lang)


def sources_html(sources: Sequence[Mapping[str, Any]], lang: str) -> str:
    """The index's sources, each with its kind, its last read and change, and its last error.

    A folder or a file is named by its last part only (the page shows no server paths); a
    page or a feed by its address, linked when it is http(s).
    """
    if not sources:
        return ""
    items = []
    for source in sources:
        kind = str(source.get("kind") or "path")
        location = str(source.get("location") or "")
        if kind == "path":
            name = esc(location.rstrip("/").rsplit("/", 1)[-1] or location)
        else:
            name = original_link(location, lang, label=location) or esc(location)
        read = source.get("read_at")
        lines = [text(lang, "source_read", at=_when(read)) if read else text(lang, "source_never")]
        if source.get("changed_at"):
            lines.append(
                text(
                    lang,
                    "source_change",
                    at=_when(source["changed_at"]),
                    added=source.get("added", 0),
                    changed=source.get("changed", 0),
                    removed=source.get("removed", 0),
                )
            )
        error = source.get("error")
        said = ""
        if error:
            shown = (
                text(lang, "source_error_path") if kind == "path" else text(lang, "source_error", error=error)
            )
            said = f'<span class="aq-source-error">{esc(shown)}</span>'
        items.append(
            f'<li class="aq-source-item" data-kind="{esc(kind)}"><span class="aq-source-kind">'
            f'{esc(text(lang, "source_" + kind))}</span> <span class="aq-source-name">{name}</span>'
            f'<br><span class="aq-source-when">{esc(" · ".join(lines))}</span>{"<br>" + said if said else ""}</li>'
        )
    title = esc(text(lang, "sources_title"))
    return f'<div class="aq-sources"><p class="aq-sources-head">{title}</p><ul>{"".join(items)}</ul></div>'


def refresh_html(status: Mapping[str, Any] | None, lang: str) -> str:
    """How the sources are kept fresh: every how long, the next and the last refresh, the
    watched folders (by name)."""
    if status is None:
        return ""
    every = status.get("every")
    if every:
        n = every / 3600 if every >= 3600 and every % 3600 == 0 else every / 60
        spoken = text(
            lang, "every_hours" if every >= 3600 and every % 3600 == 0 else "every_minutes", n=f"{n:g}"
        )
        parts = [text(lang, "refresh_status", every=spoken)]
        if status.get("next_in") is not None:
            parts.append(text(lang, "refresh_next", minutes=max(1, round(status["next_in"] / 60))))
    else:
        parts = [text(lang, "refresh_status_off")]
    last = status.get("last")
    if last:
        if last.get("error"):
            parts.append(text(lang, "refresh_last_error", at=_when(last["at"]), error=last["error"]))
        else:
            parts.append(
                text(lang, "refresh_last", at=_when(last["at"]), added=last["added"],
                     changed=last["changed"], removed=last["removed"])
            )  # fmt: skip
    watching = [w.rstrip("/").rsplit("/", 1)[-1] for w in status.get("watching") or []]
    if watching:
        parts.append(text(lang, "refresh_watching", folders=", ".join(watching)))
    return f'<p class="aq-refresh">{esc(" · ".join(parts))}</p>'


def _when(at: object) -> str:
    return str(at).replace("T", " ").replace("+00:00", " UTC")
