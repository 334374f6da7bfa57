"""Reading articles from files and directories: .txt, .md, .html/.htm, .json and .jsonl.

Every reader returns :class:`~index.records.Article` records with normalised text; a file or
record that cannot be read becomes a :class:`ReadProblem` and the others are still read.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .documents import Article
from .errors import ArticleFormatError
from .normalize import normalize_text, plain_key
from .walk import Skipped, files_under, not_regular

logger = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl")
DEFAULT_MAX_FILE_MB = 20.0
WESTERN_ACCENTED_SHARE = 0.5  # in Cyrillic or Greek read as Windows-1252, nearly all letters are
_WESTERN_MARKS = frozenset("«»‘’‚“”„€…–—•°§©®±×·†‡‰‹›™\u00a0")

_TAG_LINE = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)+$")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")


@dataclass(frozen=True)
class ReadProblem:
    """A file or record that was not read, and why: ``message`` in words, ``code`` as data
    (``missing``, ``no_files``, ``unsupported``, ``too_large``, ``empty``, ``binary``,
    ``no_text``, ``bad_json``, ``bad_record``, ``bad_html``, ``duplicate``, ``unlisted``,
    ``unreadable``, ``not_regular``, ``broken_link``, ``loop``, ``same_folder``) for an
    interface that words it in its own language."""

    path: str
    message: str
    line: int | None = None
    code: str = "unreadable"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


@dataclass
class ReadResult:
    """What reading a set of sources gave: the articles, the problems, the files seen."""

    articles: list[Article] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)


def read_sources(
    sources: Sequence[str | os.PathLike[str]], *, max_file_mb: float = DEFAULT_MAX_FILE_MB
) -> ReadResult:
    """Read every article under ``sources`` (files, or directories searched recursively).

    Problems (a missing path, an empty or binary file, a malformed JSON line, a duplicate
    id…) are collected in the result instead of stopping the run.
    """
    result = ReadResult()
    seen: dict[str, str] = {}
    for source in sources:
        root = Path(source).expanduser()
        if not root.exists():
            if root.is_symlink():
                message, code = (
                    "a symbolic link that leads nowhere; nothing under it is removed",
                    "broken_link",
                )
            else:
                message, code = "no such file or directory", "missing"
            result.problems.append(ReadProblem(str(root), message, code=code))
            continue
        root = root.resolve()
        result.roots.append(str(root))
        files = list(_files_under(root, result))
        if root.is_dir() and not files:
            result.problems.append(
                ReadProblem(
                    str(root), f"no article files ({', '.join(SUFFIXES)}) in this directory", code="no_files"
                )
            )
        base = root if root.is_dir() else root.parent
        for path in files:
            result.files.append(str(path))
            for item in _read_file(path, base, max_file_mb):
                if isinstance(item, ReadProblem):
                    result.problems.append(item)
                elif item.id in seen:
                    result.problems.append(
                        ReadProblem(
                            item.path or str(path),
                            f"duplicate article id {item.id!r} (first read from {seen[item.id]}); "
                            "skipped: give each article its own id",
                            code="duplicate",
                        )
                    )
                else:
                    seen[item.id] = item.path or str(path)
                    result.articles.append(item)
    return result


def _files_under(root: Path, result: ReadResult) -> Iterator[Path]:
    """The article files of ``root`` (a file, or a folder walked by :func:`index.walk.files_under`);
    what is not read goes to ``result.problems``."""
    if root.is_dir():
        for found in files_under(root, SUFFIXES):
            if isinstance(found, Skipped):
                result.problems.append(ReadProblem(found.path, found.message, code=found.code))
            else:
                yield found
        return
    if root.suffix.lower() not in SUFFIXES:
        result.problems.append(
            ReadProblem(
                str(root), f"unsupported file type; use one of {', '.join(SUFFIXES)}", code="unsupported"
            )
        )
    elif not root.is_file():
        skipped = not_regular(root, root.stat().st_mode)
        result.problems.append(ReadProblem(skipped.path, skipped.message, code=skipped.code))
    else:
        yield root


def _read_file(path: Path, base: Path, max_file_mb: float) -> Iterator[Article | ReadProblem]:
    try:
        raw = _load_bytes(path, max_file_mb)
        text = _decode(raw)
        if not text.strip():  # nothing, blanks, or only a byte-order mark
            raise ArticleFormatError("empty file: nothing to index", reason="empty")
        rel = path.relative_to(base).as_posix()
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            yield from _read_jsonl(text, path, rel)
            return
        if suffix == ".json":
            yield from _read_json(text, path, rel)
            return
        if suffix in (".html", ".htm"):
            fields = _parse_html(text, path)
        elif suffix in (".md", ".markdown"):
            fields = _parse_markdown(text, path)
        else:
            fields = _parse_txt(text, path)
        yield _make_article({"id": rel, **fields}, path)
    except ArticleFormatError as exc:
        yield ReadProblem(str(path), str(exc), code=exc.data.get("reason", "unreadable"))
    except OSError as exc:
        yield ReadProblem(str(path), f"cannot read the file: {exc.strerror or exc}")
    except Exception as exc:  # any other failure on one file is that file's problem only
        logger.debug("reading %s failed", path, exc_info=True)
        yield ReadProblem(str(path), f"cannot read the file ({type(exc).__name__}: {exc}); skipped")


def _load_bytes(path: Path, max_file_mb: float) -> bytes:
    """The file's bytes. Opened without waiting (a file replaced by a named pipe since the walk
    would block an ordinary open), and read only if it is a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with open(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ArticleFormatError(not_regular(path, info.st_mode).message, reason="not_regular")
        if info.st_size > max_file_mb * 1_000_000:
            raise ArticleFormatError(
                f"file is {info.st_size / 1e6:.1f} MB, over the {max_file_mb:g} MB limit; "
                "split it into smaller files or raise the limit (--max-file-mb)",
                reason="too_large",
            )
        return file.read()


def _decode(raw: bytes) -> str:
    """The file's text: UTF-8 (with or without a BOM), else what charset-normalizer finds
    (UTF-16 with a BOM, Windows-1252, Latin-1…); binary files are refused."""
    if b"\x00" not in raw[:8192]:  # NUL bytes: UTF-16 or UTF-32 (or binary), not UTF-8
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    text = _western(raw)
    if text is None:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise ArticleFormatError(
                "binary file, not text: only text articles can be indexed", reason="binary"
            )
        text = str(best)
        logger.info("not UTF-8, read as %s", best.encoding)
    text = text.lstrip("\ufeff")
    controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\n\r\t\f")
    if controls > len(text[:8192]) * 0.05:
        raise ArticleFormatError("binary file, not text: only text articles can be indexed", reason="binary")
    return text


def _western(raw: bytes) -> str | None:
    """``raw`` read as Windows-1252, if it reads as Western European text.

    charset-normalizer often takes a short French text for a Central European code page
    (``Été à Noël`` → ``Été ŕ Noël``): single-byte code pages differ only in the letters
    above 127, and a few accented letters do not tell them apart. Windows-1252 (a superset of
    Latin-1's letters) is the commonest legacy encoding of Western articles, so it is taken
    when every byte above 127 reads as a Latin letter or common punctuation and such letters
    are a minority of the letters (in Cyrillic or Greek read this way, nearly all are).
    """
    if b"\x00" in raw[:8192] or raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return None
    high = [c for c in text if ord(c) > 127]
    if not all(c in _WESTERN_MARKS or (c.isalpha() and "LATIN" in unicodedata.name(c, "")) for c in high):
        return None
    letters = sum(1 for c in text if c.isalpha())
    accented = sum(1 for c in high if c.isalpha())
    return text if accented <= WESTERN_ACCENTED_SHARE * letters else None


def _make_article(fields: dict[str, Any], path: Path, line: int | None = None) -> Article:
    text = normalize_text(str(fields.get("text") or ""))
    if not text:
        if path.suffix.lower() in (".json", ".jsonl"):
            raise ArticleFormatError(
                "no text: give the article a 'text' or 'paragraphs' field", reason="no_text"
            )
        raise ArticleFormatError("no article text found in this file: nothing to index", reason="no_text")
    title = (
        normalize_text(str(fields.get("title") or "")).replace("\n", " ")
        or path.stem.strip()
        or path.name.strip()
    )
    lang = fields.get("lang")  # None: detected when the article is indexed
    return Article(
        id=str(fields["id"]),
        title=title,
        text=text,
        date=_optional(fields.get("date")),
        url=_optional(fields.get("url")),
        source=_optional(fields.get("source")),
        category=_optional(fields.get("category")),
        lang=str(lang) if lang else None,
        path=str(path),
        line=line,
    )


def _optional(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _parse_txt(text: str, path: Path) -> dict[str, Any]:
    """The news shape: ``Title | SOURCE``, a plainer repeat of the title, body, a tag line."""
    lines = normalize_text(text).split("\n\n")
    fields: dict[str, Any] = {"title": path.stem}
    if len(lines) > 1 and len(lines[-1]) <= 60 and _TAG_LINE.match(lines[-1]):
        fields["category"] = lines.pop()
    if len(lines) > 1 and len(lines[0]) <= 300:
        title = lines.pop(0)
        if " | " in title:
            title, source = title.rsplit(" | ", 1)
            fields["source"] = source.strip()
        fields["title"] = title.strip()
        if len(lines) > 1 and _repeats(lines[0], fields["title"]):
            lines.pop(0)
    fields["text"] = "\n\n".join(lines)
    return fields


def _repeats(line: str, title: str) -> bool:
    plain, plain_title = plain_key(line), plain_key(title)
    return bool(plain) and len(plain) >= min(20, len(plain_title)) and plain_title.startswith(plain)


def _parse_markdown(text: str, path: Path) -> dict[str, Any]:
    """Title from the first heading (ATX ``# …`` or setext), later headings kept as lines."""
    lines = text.replace("\r\n", "\n").split("\n")
    title: str | None = None
    body: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        atx = _MD_HEADING.match(line)
        if atx:
            heading, i = atx.group(2), i + 1
        elif line.strip() and i + 1 < len(lines) and _MD_SETEXT.match(lines[i + 1]):
            heading, i = line.strip(), i + 2
        else:
            body.append(line)
            i += 1
            continue
        if title is None:
            title = heading
        else:
            body.extend(["", heading, ""])
    return {"title": plain_markdown(title or path.stem), "text": plain_markdown("\n".join(body))}


def plain_markdown(text: str) -> str:
    """Remove the most common Markdown syntax, keeping the words."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)  # images: keep alt text
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links: keep the label
    text = re.sub(r"^\s{0,3}>\s?", "", text, flags=re.M)  # quotes
    text = re.sub(r"^\s*(```|~~~).*$", "", text, flags=re.M)  # code fences
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return text


def _parse_html(text: str, path: Path) -> dict[str, Any]:
    """Main text with trafilatura (boilerplate removal: menus, footers, scripts)."""
    import trafilatura

    # Its "discarding data: None" warnings are about its own fallbacks, not the user's file.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    doc = trafilatura.bare_extraction(
        text, include_comments=False, include_tables=True, favor_recall=True, with_metadata=True
    )
    title = getattr(doc, "title", None) if doc is not None else None
    body = getattr(doc, "text", None) if doc is not None else None
    if not body:  # very short pages: fall back to every text node of <body>
        import lxml.html

        try:
            tree = lxml.html.document_fromstring(text)
        except Exception as exc:  # lxml raises several unrelated types on broken markup
            raise ArticleFormatError(f"cannot parse the HTML: {exc}", reason="bad_html") from exc
        for bad in tree.xpath("//script|//style|//noscript|//template"):
            bad.drop_tree()
        title = title or (tree.findtext(".//title") or "").strip() or None
        body = tree.body.text_content() if tree.body is not None else ""
    paragraphs = [p.strip() for p in (body or "").split("\n") if p.strip()]
    if title and paragraphs and plain_key(paragraphs[0]) == plain_key(title):
        paragraphs = paragraphs[1:]
    return {
        "title": title or path.stem,
        "text": "\n\n".join(paragraphs),
        "date": getattr(doc, "date", None) if doc is not None else None,
        "url": getattr(doc, "url", None) if doc is not None else None,
    }


def _record_fields(record: Any, rel: str, number: int) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise ArticleFormatError(f"expected a JSON object, got {type(record).__name__}", reason="bad_record")
    fields = {k: record.get(k) for k in ("title", "date", "url", "source", "category", "lang")}
    text = record.get("text")
    if not text and isinstance(record.get("paragraphs"), list):
        parts = [p.get("context", "") if isinstance(p, dict) else str(p) for p in record["paragraphs"]]
        text = "\n\n".join(p for p in parts if p)
    if not isinstance(text, str) or not text.strip():
        raise ArticleFormatError(
            "record without text: give it a 'text' or 'paragraphs' field", reason="no_text"
        )
    fields["text"] = text
    given = record.get("id")
    fields["id"] = (
        str(given)
        if given not in (None, "")
        else f"{rel}#{plain_key(str(record.get('title') or '')).replace(' ', '-') or number}"
    )
    return fields


def _read_jsonl(text: str, path: Path, rel: str) -> Iterator[Article | ReadProblem]:
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            yield _make_article(_record_fields(record, rel, number), path, number)
        except json.JSONDecodeError as exc:
            yield ReadProblem(str(path), f"malformed JSON ({exc.msg}); line skipped", number, code="bad_json")
        except ArticleFormatError as exc:
            yield ReadProblem(
                str(path), f"{exc}; line skipped", number, code=exc.data.get("reason", "bad_record")
            )


def _read_json(text: str, path: Path, rel: str) -> Iterator[Article | ReadProblem]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArticleFormatError(
            f"malformed JSON at line {exc.lineno}: {exc.msg}", reason="bad_json"
        ) from exc
    if isinstance(data, dict):
        records = data.get("data") or data.get("articles")  # SQuAD files keep them in "data"
        if records is None:
            records = [data]
    else:
        records = data
    if not isinstance(records, list):
        raise ArticleFormatError(
            "expected an article object, a list of them, or {'data': [...]}", reason="bad_json"
        )
    for number, record in enumerate(records, start=1):
        try:
            yield _make_article(_record_fields(record, rel, number), path, number)
        except ArticleFormatError as exc:
            yield ReadProblem(
                str(path),
                f"record {number}: {exc}; skipped",
                code=exc.data.get("reason", "bad_record"),
            )
