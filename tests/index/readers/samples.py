"""Small PDF and Word files made by the tests themselves: PDFs written byte by byte (a text
layer in Helvetica, or only a drawing, as a scan has), Word documents by python-docx."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime


def pdf_bytes(pages: Sequence[Sequence[str]], info: dict[str, str] | None = None) -> bytes:
    """A PDF of ``pages``, each a list of lines of text (an empty list: a page with only a
    drawn square, no text), with the document properties ``info`` (``Title``, ``Author``,
    ``CreationDate``…)."""
    objects: list[bytes] = []  # object n + 1

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree's number is known
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    tree = add(b"")
    kids = []
    for lines in pages:
        if lines:
            shown = b" T* ".join(b"(" + _escape(line.encode("cp1252")) + b") Tj" for line in lines)
            stream = b"BT /F1 12 Tf 14 TL 72 720 Td " + shown + b" ET"
        else:
            stream = b"0.2 g 72 300 400 400 re f"  # a picture of a page, as a scanner makes
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (tree, content, font)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    refs = b" ".join(b"%d 0 R" % k for k in kids)
    objects[tree - 1] = b"<< /Type /Pages /Kids [" + refs + b"] /Count %d >>" % len(kids)
    trailer_info = b""
    if info:
        entries = b" ".join(b"/" + k.encode() + b" <" + _utf16(v) + b">" for k, v in info.items())
        trailer_info = b" /Info %d 0 R" % add(b"<< " + entries + b" >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R" % (len(objects) + 1, catalog)
        + trailer_info
        + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    )
    return out.getvalue()


def _escape(text: bytes) -> bytes:
    return text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _utf16(text: str) -> bytes:
    """A PDF text string in hex: UTF-16BE after its byte-order mark (any language)."""
    return ("\ufeff" + text).encode("utf-16-be").hex().upper().encode()


def encrypted_pdf(plain: bytes, *, user_password: str, owner_password: str = "owner") -> bytes:
    """``plain`` encrypted by pypdf (RC4, which needs no other package)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(plain)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(
    blocks: Sequence[tuple[str, str | list[list[str]]]],
    *,
    title: str = "",
    author: str = "",
    created: datetime | None = None,
) -> bytes:
    """A Word document of ``blocks``: ``("p", text)``, ``("title", text)``, ``("h1", text)``…
    ``("h9", text)``, or ``("table", rows)``; with these document properties."""
    import docx

    document = docx.Document()
    for kind, content in blocks:
        if kind == "table":
            assert isinstance(content, list)
            table = document.add_table(rows=len(content), cols=len(content[0]))
            for row, cells in zip(table.rows, content, strict=True):
                for cell, value in zip(row.cells, cells, strict=True):
                    cell.text = value
        elif kind == "title":
            document.add_heading(str(content), 0)
        elif kind.startswith("h"):
            document.add_heading(str(content), int(kind[1:]))
        else:
            document.add_paragraph(str(content))
    props = document.core_properties
    props.title, props.author = title, author
    if created is not None:
        props.created = created
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
