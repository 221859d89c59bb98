"""Regenerate templates/docx/base.docx: page setup, styles (with the East Asian font), the footer with
page fields, and the one docxtpl tag `{{p body }}` the renderer fills. It keeps only the styles the renderer
uses and drops the parts of python-docx's default template that no letter needs. Run it after changing
this file:

    .venv/bin/python templates/docx/make_template.py
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from generator import fonts  # noqa: E402

OUT = Path(__file__).with_name("base.docx")
# the styles generator/render/docx.py applies, by style id (their basedOn/link/next styles are kept too)
USED_STYLES = {"Normal", "Title", "Heading1", "Heading2", "Heading3", "ListBullet", "ListNumber", "Small", "TableGrid"}
USED_STYLES |= {"Footer", "Header"}  # the section's footer (and Word's pair for it)
# python-docx's default template carries 165 styles (100 of them table styles) in styles.xml and again in
# Word 2010's stylesWithEffects.xml (0.8 MB per DOCX before compression): each letter parsed, wrote and
# compressed them for nothing. Also dropped: the template's bibliography item and its blank-page thumbnail.
DROPPED_PARTS = ("stylesWithEffects", "customXml", "thumbnail")


def set_fonts(style_or_rpr_owner, size: float | None = None) -> None:
    font = style_or_rpr_owner.font
    font.name = fonts.DOCX_LATIN
    if size:
        font.size = Pt(size)
    rpr = style_or_rpr_owner.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), fonts.DOCX_LATIN)
    rfonts.set(qn("w:eastAsia"), fonts.DOCX_EAST_ASIA)
    for attr in THEME_ATTRS:  # a theme font would override the named one (python-docx's headings: a Japanese one)
        rfonts.attrib.pop(qn(attr), None)


THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def no_theme_fonts(doc) -> None:
    """Every style names its fonts: no rFonts of styles.xml refers to the theme's (Japanese) fonts."""
    for rfonts in doc.styles.element.iter(qn("w:rFonts")):
        for attr in THEME_ATTRS:
            rfonts.attrib.pop(qn(attr), None)
        if rfonts.get(qn("w:ascii")) is None:
            for attr in ("w:ascii", "w:hAnsi", "w:cs"):
                rfonts.set(qn(attr), fonts.DOCX_LATIN)
            rfonts.set(qn("w:eastAsia"), fonts.DOCX_EAST_ASIA)
    for lang in doc.styles.element.iter(qn("w:lang")):  # the document defaults too: Chinese East Asian text
        lang.set(qn("w:eastAsia"), "zh-CN")
    lang = doc.settings.element.find(qn("w:themeFontLang"))
    if lang is None:
        lang = OxmlElement("w:themeFontLang")
        doc.settings.element.append(lang)
    lang.set(qn("w:val"), "en-GB")
    lang.set(qn("w:eastAsia"), "zh-CN")


def field(paragraph, instr: str) -> None:
    """A Word field (PAGE, NUMPAGES) with a cached value of 1."""
    for kind, text in (("begin", None), ("instr", instr), ("separate", None), ("text", "1"), ("end", None)):
        run = paragraph.add_run()
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {text} "
            run._r.append(el)
        elif kind == "text":
            run.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)


def trim(doc) -> None:
    """Keep the styles in USED_STYLES, the defaults, those the list numbering names and what they refer to;
    drop DROPPED_PARTS."""
    root = doc.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in root.findall(qn("w:style"))}
    keep: set[str] = set()
    numbering = doc.part.numbering_part.element  # its list levels name paragraph styles too
    todo = [*USED_STYLES, *(i for i, s in by_id.items() if s.get(qn("w:default")) == "1")]
    todo += [el.get(qn("w:val")) for el in numbering.iter(qn("w:pStyle"))]
    while todo:
        style_id = todo.pop()
        if style_id in keep or style_id not in by_id:
            continue
        keep.add(style_id)
        for ref in ("w:basedOn", "w:link", "w:next"):
            el = by_id[style_id].find(qn(ref))
            if el is not None:
                todo.append(el.get(qn("w:val")))
    missing = USED_STYLES - by_id.keys()
    assert not missing, f"styles the renderer uses are missing: {missing}"
    for style_id, el in by_id.items():
        if style_id not in keep:
            root.remove(el)
    for owner in (doc.part, doc.part.package):
        for rid, rel in list(owner.rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in DROPPED_PARTS:
                del owner.rels[rid]


def main() -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(16)  # as templates/layout/style.css's @page
    section.top_margin, section.bottom_margin = Mm(13), Mm(15)
    section.footer_distance = Mm(8)
    assert section.start_type == WD_SECTION.NEW_PAGE

    styles = doc.styles
    normal = styles["Normal"]
    set_fonts(normal, 9)
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.line_spacing = 1.2
    # East Asian language for proofing and line breaking
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-GB")
    lang.set(qn("w:eastAsia"), "zh-CN")
    normal.element.get_or_add_rPr().append(lang)
    for name, size in (("Title", 15), ("Heading 1", 14), ("Heading 2", 10), ("Heading 3", 9.5)):
        st = styles[name]
        set_fonts(st, size)
        st.font.color.rgb = RGBColor(0x1F, 0x4E, 0x79) if name != "Title" else RGBColor(0x11, 0x11, 0x11)
        st.font.bold = True
        st.paragraph_format.space_before = Pt(6 if name != "Title" else 4)
        st.paragraph_format.space_after = Pt(3)
        st.paragraph_format.keep_with_next = True
    title_p = styles["Title"].element.get_or_add_pPr()
    for child in list(title_p):
        if child.tag == qn("w:pBdr"):
            title_p.remove(child)
    for name in ("List Bullet", "List Number"):
        set_fonts(styles[name], 9)
    small = styles.add_style("Small", 1)
    small.base_style = normal
    set_fonts(small, 8)
    small.font.color.rgb = RGBColor(0x44, 0x44, 0x44)

    footer = section.footer.paragraphs[0]
    set_fonts(styles["Footer"], 7.5)
    footer.paragraph_format.tab_stops.add_tab_stop(Mm(178), WD_TAB_ALIGNMENT.RIGHT)
    footer.add_run("{{ footer_ref }}\t第 ")
    field(footer, "PAGE")
    footer.add_run(" 页 / 共 ")
    field(footer, "NUMPAGES")
    footer.add_run(" 页 · Page ")
    field(footer, "PAGE")
    footer.add_run(" of ")
    field(footer, "NUMPAGES")

    doc.add_paragraph("{{p body }}")
    props = doc.core_properties
    props.author = "internpack"
    props.title = "{{ pdf_title }}"
    props.created = props.modified = datetime(2026, 1, 1)
    props.last_modified_by = "internpack"
    props.revision = 1
    trim(doc)
    no_theme_fonts(doc)
    doc.save(str(OUT))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
