"""The index panel's handlers: describe the index, add uploaded articles, rebuild."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import index
from qa import IndexLockedError, QAError

from . import index_html, render
from .i18n import TEXTS, error_text, text
from .refresh import Refresher, in_background
from .state import LiveAssistant
from .uploads import MAX_UPLOAD_MB, Rejected, UploadArea

ProgressBar = Callable[..., Any]
"""A ``gr.Progress``: called with ``((done, total), desc=...)``."""


def stage_progress(bar: ProgressBar | None, lang: str) -> index.Progress | None:
    """An ``index.Progress`` that moves ``bar``, each stage named in ``lang``."""
    if bar is None:
        return None

    def report(stage: str, done: int, total: int) -> None:
        bar((done, max(total, 1)), desc=text(lang, f"stage_{stage}"))

    return report


def info_html(live: LiveAssistant, lang: str, refresher: Refresher | None = None) -> str:
    """What the index holds, its sources, and (with a ``refresher``) how they are kept fresh."""
    status = refresher.status() if refresher is not None else None
    return index_html.index_info_html(live.info, lang) + index_html.refresh_html(status, lang)


def category_choices(live: LiveAssistant, lang: str) -> list[tuple[str, str]]:
    """The category filter's choices: all, then each category of the index."""
    categories = live.info.get("categories") or []
    return [(text(lang, "all_categories"), ""), *((c, c) for c in categories)]


def dates_info(live: LiveAssistant, lang: str) -> str:
    first, last = (live.info.get("dates") or [None, None])[:2]
    if not first:
        return ""
    return text(
        lang, "dates_info", first=render.format_date(first, lang), last=render.format_date(last, lang)
    )


def add_files(
    live: LiveAssistant,
    area: UploadArea,
    files: Iterable[tuple[str, str | os.PathLike[str]]],
    lang: str,
    *,
    received_in: str | os.PathLike[str] | None = None,
    progress: ProgressBar | None = None,
) -> str:
    """Take uploaded files into the upload area and index them; return the report's HTML.

    ``received_in`` is the web server's folder of uploaded files: a file elsewhere is refused
    (a client may name any path in its request). A saved file that cannot be read as an
    article is reported and taken out of the upload area again, so it does not come back in
    every later update.

    Files refused (type, size, name) and files or lines the indexer could not read are
    listed; the others are indexed, and the app answers from the new index once it is
    complete.
    """
    batch = list(files)
    if not batch:
        return render.notice_html(text(lang, "no_files"), kind="error")
    accepted = area.accept(batch, received_in=received_in)
    refused = [f"{r.name}: {text(lang, 'rejected')} ({_refusal(r, lang)})" for r in accepted.rejected]
    if not accepted.saved:
        return render.report_html(lang, summary=text(lang, "report_failed"), problems=refused, failed=True)
    try:
        report = _write(live, lambda: live.update([area.root], progress=stage_progress(progress, lang)))
    except IndexLockedError:
        return render.report_html(lang, summary=text(lang, "busy"), problems=refused, failed=True)
    except QAError as exc:
        if isinstance(exc, index.NoArticlesError):  # none of them (nor any earlier upload) read
            _take_out(live, [str(p.resolve()) for p in accepted.saved])
        return render.report_html(lang, summary=failed_summary(exc, lang), problems=refused, failed=True)
    saved = {str(p.resolve()) for p in accepted.saved}
    unread = [p for p in report.problems if p.path in saved]
    _take_out(live, [p.path for p in unread])
    return _outcome(report, lang, refused + [_problem(p, lang) for p in unread])


T = TypeVar("T")


def _write(live: LiveAssistant, work: Callable[[], T]) -> T:
    """``work``, a write of the index from the page, in a thread of lower priority
    (:func:`.refresh.in_background`), once what it needs is loaded at the usual priority
    (:meth:`LiveAssistant.load_for_writing`: loading holds the GIL the questions need)."""
    live.load_for_writing()
    return in_background(work)


def add_url(live: LiveAssistant, url: str | None, lang: str, *, progress: ProgressBar | None = None) -> str:
    """Read the page or feed at ``url`` into the index (it is then refreshed with the other
    sources); return the report's HTML. The address is checked before anything is fetched:
    http(s) only, and no internal address unless the operator allowed it
    (``serve --allow-private-urls``)."""
    from index.fetch import FetchError, check_url

    if not (url or "").strip():
        return render.notice_html(text(lang, "no_url"), kind="error")
    try:
        checked = check_url(str(url))
    except FetchError as exc:
        return render.report_html(lang, summary=failed_summary(exc, lang), failed=True)
    try:
        report = _write(live, lambda: live.update([checked], progress=stage_progress(progress, lang)))
    except IndexLockedError:
        return render.report_html(lang, summary=text(lang, "busy"), failed=True)
    except QAError as exc:
        return render.report_html(lang, summary=failed_summary(exc, lang), failed=True)
    return _outcome(report, lang, [_problem(p, lang) for p in report.problems])


def refresh_now(live: LiveAssistant, lang: str, *, progress: ProgressBar | None = None) -> str:
    """Read every source of the index again now; return the report's HTML."""
    try:
        report = live.refresh(progress=stage_progress(progress, lang))
    except IndexLockedError:
        return render.report_html(lang, summary=text(lang, "busy"), failed=True)
    except QAError as exc:
        return render.report_html(lang, summary=failed_summary(exc, lang), failed=True)
    summary = text(
        lang,
        "report_refresh",
        added=len(report.added),
        changed=len(report.changed),
        removed=len(report.removed),
    )
    return render.report_html(lang, summary=summary, problems=[_problem(p, lang) for p in report.problems])


REFRESH_CHOICES = (0, 15 * 60, 30 * 60, 3600, 6 * 3600)
"""The refresh intervals the index panel offers, in seconds (0: never, on demand only)."""


def refresh_choices(lang: str) -> list[tuple[str, int]]:
    """The refresh intervals' choices, worded in ``lang``."""

    def spoken(n: int) -> str:
        if not n:
            return text(lang, "refresh_off")
        if n % 3600 == 0:
            return text(lang, "every_hours", n=n // 3600)
        return text(lang, "every_minutes", n=n // 60)

    return [(spoken(n), n) for n in REFRESH_CHOICES]


def set_refresh(refresher: Refresher | None, seconds: object) -> None:
    """Refresh every ``seconds`` from now on (0: only on demand); any other value a client
    sends is ignored."""
    if refresher is not None and isinstance(seconds, int | float) and seconds in REFRESH_CHOICES:
        refresher.set_every(float(seconds) or None)


def _outcome(report: index.BuildReport, lang: str, problems: list[str]) -> str:
    """The report of an update from the page: what it added and changed, else why not."""
    if report.added or report.changed:
        summary = text(
            lang,
            "report_update",
            added=len(report.added),
            changed=len(report.changed),
            unchanged=report.unchanged,
        )
        return render.report_html(lang, summary=summary, problems=problems)
    if problems:
        return render.report_html(lang, summary=text(lang, "report_failed"), problems=problems, failed=True)
    return render.report_html(lang, summary=text(lang, "report_nothing"))


def rebuild(live: LiveAssistant, lang: str, *, progress: ProgressBar | None = None) -> str:
    """Build the index anew from its sources; return the report's HTML."""
    try:
        report, missing = _write(live, lambda: live.rebuild(progress=stage_progress(progress, lang)))
    except IndexLockedError:
        return render.report_html(lang, summary=text(lang, "busy"), failed=True)
    except QAError as exc:
        return render.report_html(lang, summary=failed_summary(exc, lang), failed=True)
    summary = text(
        lang, "report_build", articles=report.counts.get("articles", 0), chunks=report.counts.get("chunks", 0)
    )
    return render.report_html(
        lang, summary=summary, problems=[_problem(p, lang) for p in report.problems], missing=missing
    )


def _take_out(live: LiveAssistant, paths: Iterable[str]) -> None:
    """Delete these uploaded files unless the index holds an article of theirs (an earlier,
    readable version): a file that cannot be read would otherwise come back in every update."""
    indexed = {path for _, path in live.current.store.article_hashes().values()}
    for path in paths:
        if path not in indexed:
            Path(path).unlink(missing_ok=True)


def _problem(problem: index.ReadProblem, lang: str) -> str:
    """A read problem in ``lang``, named by file name only (the page does not show server
    paths), or by its address (a page, a feed or an item of one)."""
    from index.sources import is_url

    name = problem.path if is_url(problem.path) else Path(problem.path).name
    where = name + (f":{problem.line}" if problem.line is not None else "")
    key = f"prob_{problem.code}"
    return f"{where}: {text(lang, key) if key in TEXTS['en'] else problem.message}"


def _refusal(rejected: Rejected, lang: str) -> str:
    key = f"up_{rejected.code}"
    return text(lang, key, max_mb=f"{MAX_UPLOAD_MB:g}") if key in TEXTS["en"] else rejected.reason


def failed_summary(error: QAError, lang: str) -> str:
    """The report's summary of a failed update: the index did not change, and why, in
    ``lang`` (worded from the error's code: no server paths, no command-line advice)."""
    return text(lang, "report_failed_because", reason=error_text(error, lang))
