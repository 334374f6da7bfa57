"""What reading sources gives besides articles: the files and records it did not read, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..documents import Article


@dataclass(frozen=True)
class ReadProblem:
    """A file or record that was not read, and why: ``message`` in words, ``code`` as data
    (``missing``, ``no_files``, ``unsupported``, ``too_large``, ``empty``, ``binary``,
    ``no_text``, ``bad_json``, ``bad_record``, ``bad_html``, ``bad_pdf``, ``bad_docx``,
    ``encrypted``, ``no_text_layer``, ``duplicate``, ``unlisted``,
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
    """What reading a set of sources gave: the articles, the problems, the files seen, and
    the ids of the articles of files known to be unchanged, which were not read (``kept``)."""

    articles: list[Article] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # article id → its file
    problems: list[ReadProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)
