"""Word documents: paragraphs and tables in order, headings kept as lines, the title and the
document's properties; a locked or damaged document is that file's problem, and the others
are read."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

import index
from tests.index.readers.samples import docx_bytes
from tests.index.readers.test_pdf import problems_of, read_one

MEMO = [
    ("title", "Note sur le budget"),
    ("p", "Le budget augmente de 3 % cette année."),
    ("h1", "Les dépenses"),
    ("p", "Les dépenses de personnel baissent."),
    ("table", [["Poste", "2011", "2012"], ["Personnel", "120", "110"]]),
    ("h2", "Détail"),
    ("p", "Le détail suit en annexe."),
]


def test_a_word_document_is_read_in_order_with_its_headings_as_lines(tmp_path: Path) -> None:
    data = docx_bytes(MEMO, author="Paul Martin", created=datetime(2012, 5, 22, 8, 30, tzinfo=UTC))
    article = read_one(tmp_path, "note.docx", data)
    assert article.title == "Note sur le budget"  # the Title style, not repeated in the text
    assert article.text.split("\n\n") == [
        "Le budget augmente de 3 % cette année.",
        "Les dépenses",
        "Les dépenses de personnel baissent.",
        "Poste | 2011 | 2012",
        "Personnel | 120 | 110",
        "Détail",
        "Le détail suit en annexe.",
    ]
    assert (article.author, article.date) == ("Paul Martin", "2012-05-22T08:30:00+00:00")
    assert article.pages is None  # Word lays pages out when it shows a document: none are kept


def test_without_a_title_paragraph_the_title_property_then_the_first_heading_names_it(
    tmp_path: Path,
) -> None:
    body = MEMO[1:]
    named = read_one(tmp_path, "a.docx", docx_bytes(body, title="Budget 2012"))
    assert named.title == "Budget 2012" and named.text.startswith("Le budget augmente")
    assert "Les dépenses\n\n" in named.text
    headed = read_one(tmp_path, "b.docx", docx_bytes(body))
    assert headed.title == "Les dépenses"
    assert headed.text.split("\n\n")[:2] == [
        "Le budget augmente de 3 % cette année.",
        "Les dépenses de personnel baissent.",
    ]
    plain = read_one(tmp_path, "compte-rendu.docx", docx_bytes([("p", "Un seul paragraphe.")]))
    assert plain.title == "compte-rendu" and plain.text == "Un seul paragraphe."


def test_python_docx_template_properties_name_no_author_and_no_date(tmp_path: Path) -> None:
    article = read_one(tmp_path, "a.docx", docx_bytes([("p", "Un texte.")], author="python-docx"))
    assert (article.author, article.date) == (None, None)


def test_a_locked_or_damaged_word_document_is_that_files_problem_only(tmp_path: Path) -> None:
    good = docx_bytes(MEMO)
    no_body = io.BytesIO()
    with zipfile.ZipFile(no_body, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
    found = problems_of(
        tmp_path,
        {
            # Word saves a document locked by a password as an OLE container, as a .doc is.
            "locked.docx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512,
            "garbage.docx": b"PK\x03\x04 not a zip",
            "truncated.docx": good[: len(good) // 2],
            "no-body.docx": no_body.getvalue(),
            "empty.docx": b"",
            "good.docx": good,
        },
    )
    assert found == {
        "locked.docx": "encrypted",
        "garbage.docx": "bad_docx",
        "truncated.docx": "bad_docx",
        "no-body.docx": "bad_docx",
        "empty.docx": "empty",
        "good.docx": "read",
    }
    messages = {Path(p.path).name: str(p) for p in index.read_sources([tmp_path / "in"]).problems}
    assert "protected by a password, or is an old .doc file" in messages["locked.docx"]
    assert (
        "damaged or not a .docx: open it in Word or LibreOffice and save it again" in messages["garbage.docx"]
    )


def test_a_word_document_that_unpacks_to_too_much_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.readers import docx

    monkeypatch.setattr(docx, "MAX_UNPACKED_MB", 0.001)
    assert problems_of(tmp_path, {"big.docx": docx_bytes(MEMO)}) == {"big.docx": "too_large"}
