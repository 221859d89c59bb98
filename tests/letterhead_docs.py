"""Letterheads made the way an HR officer makes one (python-docx: a header with the logo and the company's
names, a footer with its address, one {{p body }} paragraph), and hostile variants of them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

LOGO = Path(__file__).resolve().parent.parent / "samples" / "lowlands-logo.png"


def letterhead_docx(
    *, header_field: str = "host.name.en", split_runs: bool = False, footer_text: str | None = None
) -> bytes:
    from docx import Document
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    header = section.header
    p = header.paragraphs[0]
    p.add_run().add_picture(str(LOGO), height=Mm(12))
    names = header.add_paragraph()
    if split_runs:  # Word splits a tag across runs when part of it was typed or formatted separately
        names.add_run("{{ " + header_field.split(".")[0])
        names.add_run("." + ".".join(header_field.split(".")[1:]))
        names.add_run(" }}")
    else:
        names.add_run("{{ " + header_field + " }}").bold = True
    names.add_run(" · {{ host.name.zh }}").font.size = Pt(9)
    footer = section.footer
    footer.paragraphs[0].text = footer_text if footer_text is not None else "{{ host.address.en }} · {{ footer_ref }}"
    doc.add_paragraph("{{p body }}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def with_entries(data: bytes, extra: dict[str, bytes]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        for name, blob in extra.items():
            dst.writestr(name, blob)
    return out.getvalue()


def with_external_image(data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    rels = "word/_rels/document.xml.rels"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            blob = src.read(info.filename)
            if info.filename == rels:
                blob = blob.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdX1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/image" Target="https://example.com/logo.png" TargetMode="External"/>'
                    b'<Relationship Id="rIdX2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/aFChunk" Target="chunk.html"/></Relationships>',
                )
            dst.writestr(info, blob)
    return out.getvalue()
