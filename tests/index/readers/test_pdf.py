"""PDF articles: each page's text, where each page starts, the document's properties; a scan,
a locked or a damaged PDF is that file's problem, said with its code, and the others are read."""

from __future__ import annotations

from pathlib import Path

import pytest

import index
from index.normalize import normalize_text
from index.readers.pdf import _date, join_pages
from tests.index.readers.samples import encrypted_pdf, pdf_bytes

REPORT = [
    ["Le rapport annuel", "La première page parle du budget. Il est en hausse", "de 3 % cette année."],
    ["Page deux : les dépenses ont baissé.", "Un mot coupé en fin de ligne, exem-", "ple, est recollé."],
    [],  # a page with only a picture
    ["Dernière page, signée (en bas)."],
]
INFO = {"Author": "Jeanne Dupont", "CreationDate": "D:20120522100000+02'00'"}


def read_one(tmp_path: Path, name: str, data: bytes) -> index.Article:
    (tmp_path / name).write_bytes(data)
    result = index.read_sources([tmp_path / name])
    assert result.problems == []
    [article] = result.articles
    return article


def problems_of(tmp_path: Path, files: dict[str, bytes], **options: float) -> dict[str, str]:
    """``{file name: problem code}`` of reading a folder of ``files`` (the good ones are read)."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    result = index.read_sources([folder], **options)
    return {Path(p.path).name: p.code for p in result.problems} | {a.id: "read" for a in result.articles}


def test_a_pdf_is_read_page_by_page_with_where_each_page_starts(tmp_path: Path) -> None:
    article = read_one(tmp_path, "rapport.pdf", pdf_bytes(REPORT, INFO))
    assert article.title == "Le rapport annuel"  # no title property: the first line, not repeated
    assert article.text == (
        "La première page parle du budget. Il est en hausse de 3 % cette année.\n\n"
        "Page deux : les dépenses ont baissé. Un mot coupé en fin de ligne, exem-ple, est recollé.\n\n"
        "Dernière page, signée (en bas)."
    )
    assert normalize_text(article.text) == article.text  # what every offset of the index refers to
    assert article.pages is not None and len(article.pages) == 4
    starts = [article.text[p:] for p in article.pages]
    assert starts[1].startswith("Page deux") and starts[3].startswith("Dernière page")
    assert article.pages[2] == article.pages[3] - 2  # the blank page starts where the next one does
    assert article.page_at(article.text.index("en hausse")) == 1
    assert article.page_at(article.text.index("les dépenses")) == 2
    assert article.page_at(article.text.index("signée")) == 4
    assert (article.author, article.date, article.date_text) == (
        "Jeanne Dupont",
        "2012-05-22T10:00:00+02:00",
        "2012-05-22T10:00:00+02:00",
    )
    assert article.id == "rapport.pdf" and article.path == str(tmp_path / "rapport.pdf")


def test_the_title_property_names_the_article_and_its_repeat_on_the_first_line_is_dropped(
    tmp_path: Path,
) -> None:
    article = read_one(tmp_path, "a.pdf", pdf_bytes(REPORT, {"Title": "Le Rapport annuel", "Author": "X"}))
    assert article.title == "Le Rapport annuel" and article.text.startswith("La première page")
    other = read_one(tmp_path, "b.pdf", pdf_bytes([["Première ligne.", "Suite."]], {"Title": "Un titre"}))
    assert other.title == "Un titre" and other.text == "Première ligne. Suite."
    assert other.author is None and other.date is None


def test_a_title_property_that_names_a_file_or_a_program_is_not_taken(tmp_path: Path) -> None:
    article = read_one(tmp_path, "a.pdf", pdf_bytes(REPORT, {"Title": "Microsoft Word - rapport_v3.docx"}))
    assert article.title == "Le rapport annuel"


def test_a_pdf_whose_first_line_is_a_paragraph_is_titled_by_its_file_name(tmp_path: Path) -> None:
    long_line = "Un très long paragraphe " * 12
    article = read_one(tmp_path, "note-interne.pdf", pdf_bytes([[long_line.strip()]]))
    assert article.title == "note-interne" and article.text == long_line.strip()


def test_a_scanned_pdf_is_reported_with_its_code_never_indexed_empty(tmp_path: Path) -> None:
    found = problems_of(tmp_path, {"scan.pdf": pdf_bytes([[], []]), "texte.pdf": pdf_bytes(REPORT)})
    assert found == {"scan.pdf": "no_text_layer", "texte.pdf": "read"}
    result = index.read_sources([tmp_path / "in" / "scan.pdf"])
    assert "no text layer (a scan?); run OCR on it first" in str(result.problems[0])


def test_a_locked_pdf_is_refused_and_one_that_opens_without_a_password_is_read(tmp_path: Path) -> None:
    plain = pdf_bytes(REPORT, INFO)
    found = problems_of(
        tmp_path,
        {
            "locked.pdf": encrypted_pdf(plain, user_password="secret"),
            "restricted.pdf": encrypted_pdf(plain, user_password=""),  # only copying is restricted
        },
    )
    assert found == {"locked.pdf": "encrypted", "restricted.pdf": "read"}
    result = index.read_sources([tmp_path / "in"])
    assert "protected by a password; save a copy without it" in str(result.problems[0])
    assert result.articles[0].pages == read_one(tmp_path, "plain.pdf", plain).pages


def test_a_broken_pdf_is_that_files_problem_only_and_the_others_are_read(tmp_path: Path) -> None:
    whole = pdf_bytes(REPORT)
    found = problems_of(
        tmp_path,
        {
            "garbage.pdf": b"%PDF-1.4\n\x00\x01 not a PDF at all",
            "truncated.pdf": whole[: len(whole) // 2],  # a download cut short
            "text.pdf": b"Un texte, pas un PDF.\n",
            "empty.pdf": b"",
            "good.pdf": whole,
            "note.txt": b"Une note\n\nUn texte.",
        },
    )
    assert found == {
        "garbage.pdf": "bad_pdf",
        "truncated.pdf": "bad_pdf",
        "text.pdf": "bad_pdf",
        "empty.pdf": "empty",
        "good.pdf": "read",
        "note.txt": "read",
    }
    result = index.read_sources([tmp_path / "in" / "garbage.pdf"])
    message = str(result.problems[0])
    assert "damaged or not a PDF: open it in a PDF reader and save or export it again" in message
    assert "Traceback" not in message and "\n" not in message


def test_a_pdf_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    found = problems_of(tmp_path, {"big.pdf": pdf_bytes(REPORT * 40)}, max_file_mb=0.001)
    assert found == {"big.pdf": "too_large"}


def test_pages_are_joined_by_a_paragraph_break_and_empty_pages_take_the_next_ones_start() -> None:
    assert join_pages(["Un.", "Deux."]) == ("Un.\n\nDeux.", (0, 5))
    assert join_pages(["", "Un.", "", "", "Deux."]) == ("Un.\n\nDeux.", (0, 0, 3, 3, 5))
    assert join_pages(["Un.", ""]) == ("Un.", (0, 3))


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("D:20120522100000+02'00'", "2012-05-22T10:00:00+02:00"),
        ("D:20120522100000Z", "2012-05-22T10:00:00+00:00"),
        ("D:201205221000", "2012-05-22T10:00:00"),
        ("D:20120522", "2012-05-22"),
        ("20120522093000-05'30", "2012-05-22T09:30:00-05:30"),
        ("D:2012", None),  # no day: no date
        ("hier", None),
        (None, None),
    ],
)
def test_a_pdf_date_is_read_as_iso_8601(written: str | None, iso: str | None) -> None:
    assert _date(written) == iso
