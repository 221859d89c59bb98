"""DOCX rendering: the same HTML as the PDF, turned into Word paragraphs, tables and runs inside a
docxtpl base template (styles with the East Asian font, footer with page fields), rendered through the
one sandboxed autoescaping Jinja environment, and saved with fixed zip timestamps."""

from __future__ import annotations

import functools
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from generator.resources import template_path

_WS = re.compile(r"[ \t\r\n\f]+")
_T = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
_STYLE_IDS = {
    "Title": "Title",
    "Heading 2": "Heading2",
    "Heading 3": "Heading3",
    "List Bullet": "ListBullet",
    "List Number": "ListNumber",
    "Small": "Small",
}
BLUE = (0x1F, 0x4E, 0x79)
GREY = (0x55, 0x55, 0x55)
RED = (0xA0, 0x00, 0x00)


def _classes(el: Any) -> set[str]:
    return set((el.get("class") or "").split())


class _Writer:
    """Walks the restricted HTML of templates/letters/README.md and writes python-docx objects."""

    def __init__(self, container: Any, images: dict[str, Path], letterhead: bool = False) -> None:
        self.doc = container
        self.images = images
        self.own_letterhead = letterhead  # the host's Word letterhead prints its header: no HTML letterhead block
        self.keep = False  # inside the signature block: every paragraph kept with the next, as in the PDF

    # -- inline ---------------------------------------------------------------------------------

    def inline(self, paragraph: Any, el: Any, fmt: dict[str, Any] | None = None) -> None:
        fmt = dict(fmt or {})
        if el.text:
            self.run(paragraph, el.text, fmt)
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            cls = _classes(child)
            sub = dict(fmt)
            if tag in ("strong", "b"):
                sub["bold"] = True
            elif tag in ("em", "i"):
                sub["italic"] = True
            elif tag == "mark":
                sub["highlight"] = "pink" if "untranslated" in cls else "yellow"
            elif tag == "span" and ("alt" in cls or "small" in cls):
                sub["colour"] = BLUE if "drafted" in cls else GREY
                sub["small"] = True
                sub["bold"] = sub.get("bold") or "drafted" in cls
                if "alt" in cls and paragraph.runs:  # the other language of a heading: set apart as in the PDF
                    if fmt.get("title"):
                        paragraph.add_run().add_break()
                    else:
                        paragraph.add_run(" · ")
            elif tag == "span" and "verdict" in cls:
                sub["bold"] = True
                sub["colour"] = {"eligible": (0x14, 0x52, 0x14), "ineligible": RED}.get(
                    next(iter(cls - {"verdict"}), ""), (0x6B, 0x4E, 0x00)
                )
            elif tag == "span" and "sev" in cls:
                sub["bold"] = True
            if tag == "br":
                paragraph.add_run().add_break()
            elif tag == "img":
                path = self.images.get(child.get("src", ""))
                if path is not None:
                    from docx.shared import Mm

                    paragraph.add_run().add_picture(str(path), height=Mm(15))
            elif tag:
                self.inline(paragraph, child, sub)
            if child.tail:
                self.run(paragraph, child.tail, fmt)

    def run(self, paragraph: Any, text: str, fmt: dict[str, Any]) -> None:
        """Append a run of plain text (blanks already collapsed, so no tab or break to translate) with its
        formatting, built as XML in schema order: python-docx's run.text and font setters walk the text
        character by character and re-check the order of every property (measured: 40 % of the DOCX time)."""
        text = _WS.sub(" ", text)
        if not text:
            return
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        r = OxmlElement("w:r")
        props: list[tuple[str, str | None]] = []
        if fmt.get("bold"):
            props.append(("w:b", None))
        if fmt.get("italic"):
            props.append(("w:i", None))
        if fmt.get("colour"):
            props.append(("w:color", "".join(f"{c:02X}" for c in fmt["colour"])))
        size = fmt.get("size") or (8.5 if fmt.get("small") else None)
        if size:
            props.append(("w:sz", str(round(size * 2))))  # half-points
        if fmt.get("highlight"):
            props.append(("w:highlight", "yellow" if fmt["highlight"] == "yellow" else "magenta"))
        if props:
            rpr = OxmlElement("w:rPr")
            for tag, value in props:
                el = OxmlElement(tag)
                if value is not None:
                    el.set(qn("w:val"), value)
                rpr.append(el)
            r.append(rpr)
        t = OxmlElement("w:t")
        t.text = text
        if text != text.strip(" "):
            t.set(qn("xml:space"), "preserve")
        r.append(t)
        paragraph._p.append(r)

    # -- blocks ---------------------------------------------------------------------------------

    def paragraph(
        self, el: Any, style: str | None = None, fmt: dict[str, Any] | None = None, container: Any = None
    ) -> Any:
        container = container or self.doc
        p = container.add_paragraph()
        if style:
            p._p.get_or_add_pPr().style = _STYLE_IDS[style]  # by id: python-docx's lookup by name is slow
        self.inline(p, el, fmt)
        _trim(p)
        if self.keep:
            p.paragraph_format.keep_with_next = True
        return p

    def blocks(self, parent: Any, container: Any = None) -> None:
        for el in parent:
            if not isinstance(el.tag, str):
                continue
            self.block(el, container)

    def block(self, el: Any, container: Any = None) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
        from docx.shared import Pt

        c = container or self.doc
        tag, cls = el.tag, _classes(el)
        if "docref" in cls or tag in ("style", "script", "svg"):
            return
        if tag == "div" and "letterhead" in cls:
            if not self.own_letterhead:
                self.letterhead(el, c)
        elif tag == "div" and "timeline" in cls:
            return  # the SVG timeline is drawn in the PDF only
        elif tag == "div" and "meta" in cls:
            p = c.add_paragraph()
            spans = [s for s in el if isinstance(s.tag, str)]
            for n, span in enumerate(spans):
                if n:
                    p.add_run("\t")
                self.inline(p, span, {"small": True})
            _right_tab(p)
            _trim(p)
        elif tag == "div" and "status-banner" in cls:
            self.paragraph(el, fmt={"bold": True, "colour": RED})
        elif tag == "div" and "langbar" in cls:
            p = self.paragraph(el, fmt={"colour": BLUE, "small": True})
            _top_border(p)
        elif tag == "div" and ("sender" in cls or "cover" in cls or "cols" in cls) or tag in ("section", "div"):
            if "sender" in cls:
                for line in el:
                    if isinstance(line.tag, str):
                        self.paragraph(
                            line,
                            fmt={"bold": True} if "name" in _classes(line) else {"small": True},
                            container=c,
                        ).paragraph_format.space_after = Pt(0)
            elif tag == "section" and "annex" in cls:  # the data sheet after the signature starts a page
                c.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
                self.blocks(el, c)
            elif tag == "div" and "signoff" in cls:  # the signature block stays on one page with the closing
                self.keep = True
                self.blocks(el, c)
                self.keep = False
            elif tag == "div" and "logo" in cls:
                return
            else:
                self.blocks(el, c)
        elif tag == "h1":
            p = c.add_paragraph()
            p._p.get_or_add_pPr().style = _STYLE_IDS["Title"]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            self.inline(p, el, {"title": True})
            _trim(p)
        elif tag in ("h2", "h3"):
            self.paragraph(el, style="Heading 2" if tag == "h2" else "Heading 3", container=c)
        elif tag == "p":
            if "pagebreak" in cls:
                c.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
                return
            if "line" in cls:  # a signature line: its label above a bottom rule, as wide as its cell
                line = self.paragraph(el, container=c)
                line.paragraph_format.space_after = Pt(2)
                line.paragraph_format.keep_with_next = True
                _top_border(line, colour="333333", size=6, side="bottom", space=14)
                return
            if "seal" in cls:
                p = self.paragraph(el, fmt={"colour": (0xB2, 0x22, 0x22), "small": True}, container=c)
                p.insert_paragraph_before("")
                return
            style = "Small" if "note" in cls else None
            p = self.paragraph(el, style=style, container=c)
            if "right" in cls:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif "who" in cls or "center" in cls:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if {"closing", "keep"} & cls and _in_signed(el):  # closing line and the paragraph before: with the sign-off
                p.paragraph_format.keep_with_next = True
        elif tag in ("ul", "ol"):
            style = "List Bullet" if tag == "ul" else "List Number"
            num_id = self.restarted_numbering() if tag == "ol" else None
            items = [li for li in el if isinstance(li.tag, str)]
            small = {"size": 7.2} if "sources" in cls else None  # the source list in small print, as in the PDF
            for li in items:
                p = self.paragraph(li, style=style, container=c, fmt=small)
                if small:
                    p.paragraph_format.space_after = Pt(1)
                if num_id is not None:
                    p._p.get_or_add_pPr().get_or_add_numPr().get_or_add_numId().val = num_id
                if {"closing", "keep"} & cls and _in_signed(el):  # a last article, a list before the closing: kept
                    p.paragraph_format.keep_with_next = True
        elif tag == "table":
            self.table(el, c)
        else:
            self.paragraph(el, container=c)

    def restarted_numbering(self) -> int:
        """A new numbering instance of the List Number style that starts at 1 (Word otherwise continues
        one list's numbers into the next)."""
        numbering = self.doc.part.numbering_part.element
        style_num = self.doc.styles["List Number"].element.pPr.numPr.numId.val
        abstract = numbering.num_having_numId(style_num).abstractNumId.val
        num = numbering.add_num(abstract)
        num.add_lvlOverride(ilvl=0).add_startOverride(1)
        return int(num.numId)

    def table(self, el: Any, container: Any) -> None:
        from docx.shared import Pt

        rows = [tr for tr in el.iter("tr")]
        if not rows:
            return
        width = max(sum(_span(c) for c in tr if isinstance(c.tag, str)) for tr in rows)
        cls = _classes(el)
        table = container.add_table(rows=0, cols=width)
        if "sign" not in cls:
            table._tbl.tblPr.style = "TableGrid"
        widths = _column_widths(el, cls, width)
        if widths:
            from docx.shared import Mm

            table.autofit = False
            for col, mm in zip(table.columns, widths, strict=True):
                col.width = Mm(mm)
        grid = [int(col.w) for col in table._tbl.tblGrid.gridCol_lst]
        for tr in rows:
            cells = [c for c in tr if isinstance(c.tag, str)]
            # a checklist row may continue on the next page, as in the PDF; other rows never split
            row = _add_row(table, grid, [_span(c) for c in cells], cant_split="checklist" not in cls)
            for n, cell_el in enumerate(cells):
                cell = row[n]
                first = cell.paragraphs[0]
                has_blocks = any(isinstance(x.tag, str) and x.tag in ("p", "ul", "ol", "table", "div") for x in cell_el)
                if has_blocks:
                    if cell_el.text and cell_el.text.strip():
                        self.run(first, cell_el.text, {})
                    used_first = bool(first.runs)
                    for child in cell_el:
                        if not isinstance(child.tag, str):
                            continue
                        if not used_first and child.tag == "p" and not ({"line", "seal"} & _classes(child)):
                            self.inline(first, child)
                            _trim(first)
                            used_first = True
                        else:
                            self.block(child, cell)
                    if not first.runs and len(cell.paragraphs) > 1:
                        first._p.getparent().remove(first._p)
                else:
                    fmt = {"size": 7.8} if "checklist" in cls else {}
                    self.inline(first, cell_el, {**fmt, "bold": True} if cell_el.tag == "th" else fmt)
                    _trim(first)
                if cell_el.tag == "th":
                    _shade(cell, "E8EDF3")
                for para in cell.paragraphs:
                    para.paragraph_format.space_after = Pt(1)
                    if self.keep:
                        para.paragraph_format.keep_with_next = True
        after = container.add_paragraph()
        after.paragraph_format.space_after = Pt(0)
        if self.keep:
            after.paragraph_format.keep_with_next = True

    def letterhead(self, el: Any, container: Any) -> None:
        from docx.shared import Mm, Pt

        img = next((x for x in el.iter("img")), None)
        names = next((x for x in el if isinstance(x.tag, str) and "names" in _classes(x)), None)
        table = container.add_table(rows=1, cols=2 if img is not None else 1)
        table.autofit = False
        cells = table.rows[0].cells
        if img is not None:
            path = self.images.get(img.get("src", ""))
            if path is not None:
                cells[0].paragraphs[0].add_run().add_picture(str(path), height=Mm(14))
            # as in the PDF: the logo column 48 mm, the names and addresses the rest (an e-mail never wraps)
            table.columns[0].width = cells[0].width = Mm(48)
            table.columns[1].width = cells[1].width = Mm(TEXT_WIDTH - 48)
        else:
            table.columns[0].width = cells[0].width = Mm(TEXT_WIDTH)
        target = cells[-1]
        first = True
        for div in names if names is not None else []:
            if not isinstance(div.tag, str):
                continue
            dcls = _classes(div)
            fmt: dict[str, Any] = {"colour": BLUE, "bold": True, "size": 14 if "zh" in dcls else 10}
            if "addr" in dcls:
                fmt = {"small": True}
            p = target.paragraphs[0] if first else target.add_paragraph()
            first = False
            self.inline(p, div, fmt)
            _trim(p)
            p.paragraph_format.space_after = Pt(0)
        rule = container.add_paragraph()
        _top_border(rule, colour="1F4E79", size=12)


# column widths in mm, as templates/layout/style.css gives them to the PDF (the text width is 174 mm)
TEXT_WIDTH = 178.0
_COL_MM = {"box": 6, "date": 20, "route": 14, "who": 23, "where": 34, "src": 14, "status": 18, "level": 16, "basis": 72}


def _column_widths(el: Any, cls: set[str], count: int) -> list[float] | None:
    """The widths of a table's columns: from its <col> classes, or the 34 % label column of a fields table."""
    cols = [c for c in el.iter("col")]
    if cols and len(cols) == count:
        fixed = [_COL_MM.get(next(iter(_classes(c)), ""), 0) for c in cols]
        free = [n for n, w in enumerate(fixed) if not w]
        rest = (TEXT_WIDTH - sum(fixed)) / max(len(free), 1)
        return [float(w) if w else rest for w in fixed]
    if "facts" in cls and count == 4:  # label, value, label, value
        label = 0.225 if _in_lang(el, "en") else 0.17
        return [TEXT_WIDTH * f for f in (label, 0.5 - label, label, 0.5 - label)]
    if "fields" in cls and count == 2:
        return [TEXT_WIDTH * 0.34, TEXT_WIDTH * 0.66]
    if "sign" in cls and count == 2 and not _text(el.find(".//td")):  # the sign-off at the right
        return [TEXT_WIDTH * 0.4, TEXT_WIDTH * 0.6]
    if "sign" in cls and count:
        return [TEXT_WIDTH / count] * count
    return None


def _span(cell: Any) -> int:
    try:
        return max(1, int(cell.get("colspan") or 1))
    except ValueError:
        return 1


def _text(el: Any) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


def _in_lang(el: Any, lang: str) -> bool:
    return any(f"lang-{lang}" in _classes(a) for a in el.iterancestors("section"))


def _in_signed(el: Any) -> bool:
    return any("signed" in _classes(a) for a in el.iterancestors("section"))


def _add_row(table: Any, grid: list[int], spans: list[int] | None = None, *, cant_split: bool = True) -> list[Any]:
    """A new last row of empty cells as wide as the table's grid columns (EMU), a cell spanning ``spans[n]``
    columns, built as XML: python-docx's add_row().cells re-reads the whole table grid for every row.
    ``cant_split``: the row never splits across pages, as a row of the PDF."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.table import _Cell

    tr = OxmlElement("w:tr")
    if cant_split:
        trpr = OxmlElement("w:trPr")
        trpr.append(OxmlElement("w:cantSplit"))
        tr.append(trpr)
    cells = []
    spans = list(spans or [])
    spans += [1] * max(len(grid) - sum(spans), 0)
    col = 0
    for span in spans:
        if col >= len(grid):
            break
        span = min(span, len(grid) - col)
        width = sum(grid[col : col + span])
        col += span
        tc: Any = OxmlElement("w:tc")  # a CT_Tc (python-docx registers its element classes)
        pr = OxmlElement("w:tcPr")
        w = OxmlElement("w:tcW")
        w.set(qn("w:type"), "dxa")
        w.set(qn("w:w"), str(round(width / 635)))  # EMU -> twentieths of a point
        pr.append(w)
        if span > 1:
            gs = OxmlElement("w:gridSpan")
            gs.set(qn("w:val"), str(span))
            pr.append(gs)
        tc.append(pr)
        tc.append(OxmlElement("w:p"))
        tr.append(tc)
        cells.append(_Cell(tc, table))
    table._tbl.append(tr)
    return cells


def _trim(p: Any) -> None:
    """Drop the blanks HTML would not show at the start and end of a paragraph."""
    runs = p._p.r_lst
    if not runs:
        return
    for run, strip in ((runs[0], str.lstrip), (runs[-1], str.rstrip)):
        texts = run.findall(_T)
        if texts:
            t = texts[0] if strip is str.lstrip else texts[-1]
            t.text = strip(t.text or "", " ")


def _right_tab(p: Any) -> None:
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.shared import Mm

    p.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)


def _top_border(p: Any, colour: str = "1F4E79", size: int = 8, side: str = "top", space: int = 1) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    top = OxmlElement(f"w:{side}")
    for k, v in (("w:val", "single"), ("w:sz", str(size)), ("w:space", str(space)), ("w:color", colour)):
        top.set(qn(k), v)
    bdr.append(top)
    ppr.insert_element_before(bdr, *_AFTER_PBDR)  # schema order matters (the Open XML validator checks it)


_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.append(shd)


def render_docx(
    html: str,
    *,
    footer_ref: str,
    title: str,
    images: dict[str, Path],
    day: date,
    letterhead: bytes | None = None,
    fields: dict[str, Any] | None = None,
) -> bytes:
    """The DOCX of one document from its HTML page (the same one the PDF is made from).

    docxtpl fills the base template's fields (footer reference, title) through the sandboxed autoescaping
    environment; the body is then written into the rendered document, so no text of the placement ever
    passes through Jinja (a ``{{ }}`` in a field stays literal) and no second package is parsed for a
    subdocument (measured: 0.21 -> 0.13 s for the DOCX of a pack).

    With ``letterhead`` (a host's own Word letterhead, prepared by generator/letterhead.py) that file is the
    base: its header and footer are rendered with the letter's ``fields`` and the body goes where its
    ``{{p body }}`` paragraph is; the HTML letterhead block is left out."""
    import lxml.html
    from docxtpl import DocxTemplate

    from generator.templating import docx_environment

    tpl = DocxTemplate(io.BytesIO(letterhead or _base_template()))
    if letterhead:
        from markupsafe import Markup

        from generator.letterhead import BODY_MARK

        mark = Markup(f"<w:p><w:r><w:t>{BODY_MARK}</w:t></w:r></w:p>")  # noqa: S704 - a constant
        values = {**(fields or {}), "body": mark, "footer_ref": footer_ref, "pdf_title": title}
    else:
        values = {"body": "", "footer_ref": footer_ref, "pdf_title": title}
    tpl.render(values, jinja_env=docx_environment(), autoescape=True)
    from generator.render.html import logo_url

    body = lxml.html.document_fromstring(html).find("body")
    before = list(tpl.docx.element.body)
    # the page names the logo by its fixed address (render/html.py logo_url), whatever key the caller used
    _Writer(tpl.docx, {**images, **{logo_url(p): p for p in images.values()}}, bool(letterhead)).blocks(body)
    if letterhead:
        from generator.letterhead import place_body

        place_body(tpl.docx, before)
    _drop_trailing_paragraph(tpl.docx)
    stamp = datetime(day.year, day.month, day.day)  # noqa: DTZ001 - DOCX core properties are naive (UTC)
    props = tpl.docx.core_properties
    props.created = props.modified = stamp
    props.title = title
    out = io.BytesIO()
    tpl.save(out)
    return normalise_zip(out.getvalue(), stamp)


def _drop_trailing_paragraph(document: Any) -> None:
    """No empty paragraph at the end of the body: after the signature table it made a blank last page. Word
    needs a paragraph after a final table: that one is made one point high."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    body = document.element.body
    blocks = [el for el in body if el.tag in (qn("w:p"), qn("w:tbl"))]
    while len(blocks) >= 2 and blocks[-1].tag == qn("w:p") and not "".join(blocks[-1].itertext()).strip():
        if blocks[-2].tag == qn("w:tbl"):
            from docx.text.paragraph import Paragraph

            last = Paragraph(blocks[-1], document.part)
            fmt = last.paragraph_format
            fmt.space_before = fmt.space_after = Pt(0)
            fmt.line_spacing = Pt(1)
            fmt.keep_with_next = False
            break
        body.remove(blocks.pop())


@functools.cache
def _base_template() -> bytes:
    return template_path("docx", "base.docx").read_bytes()


def zip_stamp(when: tuple[int, ...]) -> tuple[int, int, int, int, int, int]:
    """A zip entry's timestamp: the zip format starts in 1980, so an earlier (letter) date is stored as
    1980-01-01 (the dates printed in the documents are not affected)."""
    y, mo, d, h, mi, s = (tuple(when) + (0, 0, 0))[:6]
    return (y, mo, d, h, mi, s) if y >= 1980 else (1980, 1, 1, 0, 0, 0)


def normalise_zip(data: bytes, stamp: datetime) -> bytes:
    """The same zip with fixed entry timestamps and attributes: same input, same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=zip_stamp(stamp.timetuple()[:6]))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
