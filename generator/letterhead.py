"""A host's own Word letterhead (placement `host.letterhead`) as the base of its letters' DOCX.

A letterhead made in Word holds the company's header and footer (logo, names, address) and one
``{{p body }}`` paragraph, but not the styles and numbering the DOCX writer uses (render/docx.py: Small,
List Number, List Bullet, Title, headings, Table Grid): those are copied in from templates/docx/base.docx
where the letterhead lacks them (numbering definitions renumbered so they cannot clash with its own), and
the document defaults get the base template's East Asian font and language, so Chinese text is set in
SimSun whatever the letterhead's theme says. The letterhead has been linted first (templatelint.lint_docx).
"""

from __future__ import annotations

import copy
import io
from typing import Any

BODY_MARK = "INTERNPACK-BODY-7f3c"  # the paragraph the letter's body replaces (never printed)
_LISTS = ("ListNumber", "ListBullet")  # styles the writer needs with their numbering


def prepare(data: bytes) -> bytes:
    """The letterhead with the base template's missing styles, numbering and East Asian defaults."""
    from docx import Document
    from docx.oxml.ns import qn

    from generator.resources import template_path

    base = Document(io.BytesIO(template_path("docx", "base.docx").read_bytes()))
    doc = Document(io.BytesIO(data))
    styles = doc.styles.element
    have = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    numbering = None
    renumbered: dict[str, str] = {}
    for style in base.styles.element.findall(qn("w:style")):
        sid = style.get(qn("w:styleId"))
        own = have.get(sid)
        if own is not None and not (sid in _LISTS and own.find(f"{qn('w:pPr')}/{qn('w:numPr')}") is None):
            continue  # the company's own style wins, unless a list style has lost its numbering
        new = copy.deepcopy(style)
        for num_id in new.iter(qn("w:numId")):
            old = num_id.get(qn("w:val"))
            if numbering is None:
                numbering = _numbering(doc)
            if old not in renumbered:
                renumbered[old] = _copy_num(base.part.numbering_part.element, numbering, old)
            num_id.set(qn("w:val"), renumbered[old])
        if own is not None:
            styles.replace(own, new)
        else:
            styles.append(new)
    _east_asian_defaults(base.styles.element, styles)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _numbering(doc: Any) -> Any:
    """The document's numbering definitions, an empty numbering part added when it has none (a letterhead
    made in Word without a list; python-docx cannot create one itself)."""
    from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
    from docx.opc.exceptions import PackageNotFoundError
    from docx.opc.packuri import PackURI
    from docx.oxml import parse_xml
    from docx.parts.numbering import NumberingPart

    try:
        return doc.part.part_related_by(RELATIONSHIP_TYPE.NUMBERING).element
    except (KeyError, PackageNotFoundError):
        pass
    xml = '<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'
    part = NumberingPart(PackURI("/word/numbering.xml"), CONTENT_TYPE.WML_NUMBERING, parse_xml(xml), doc.part.package)
    doc.part.relate_to(part, RELATIONSHIP_TYPE.NUMBERING)
    return part.element


def _copy_num(src: Any, dst: Any, num_id: str) -> str:
    """The numbering instance ``num_id`` of the base template and its abstract definition copied into
    ``dst`` under new ids; the new numId."""
    from docx.oxml.ns import qn

    num = next(n for n in src.findall(qn("w:num")) if n.get(qn("w:numId")) == num_id)
    abstract_id = num.find(qn("w:abstractNumId")).get(qn("w:val"))
    abstract = next(a for a in src.findall(qn("w:abstractNum")) if a.get(qn("w:abstractNumId")) == abstract_id)
    taken = [int(a.get(qn("w:abstractNumId"))) for a in dst.findall(qn("w:abstractNum"))]
    new_abstract = copy.deepcopy(abstract)
    new_abstract.set(qn("w:abstractNumId"), str(max(taken, default=-1) + 1))
    for nsid in new_abstract.findall(qn("w:nsid")):  # a list identity of its own
        new_abstract.remove(nsid)
    first_num = dst.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(new_abstract)
    else:
        dst.append(new_abstract)
    added = dst.add_num(int(new_abstract.get(qn("w:abstractNumId"))))
    return str(added.numId)


def _east_asian_defaults(src: Any, dst: Any) -> None:
    """The base template's East Asian font and language in ``dst``'s document defaults (a theme East Asian
    font the letterhead names is dropped: it would win over the explicit one)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def rpr(styles: Any, create: bool) -> Any:
        defaults = styles.find(qn("w:docDefaults"))
        if defaults is None:
            if not create:
                return None
            defaults = OxmlElement("w:docDefaults")
            styles.insert(0, defaults)
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is None:
            if not create:
                return None
            rpr_default = OxmlElement("w:rPrDefault")
            defaults.insert(0, rpr_default)
        found = rpr_default.find(qn("w:rPr"))
        if found is None and create:
            found = OxmlElement("w:rPr")
            rpr_default.append(found)
        return found

    theirs, ours = rpr(src, False), rpr(dst, True)
    if theirs is None:
        return
    for tag, attrs in (("w:rFonts", ("w:eastAsia",)), ("w:lang", ("w:eastAsia",))):
        source = theirs.find(qn(tag))
        if source is None:
            continue
        target = ours.find(qn(tag))
        if target is None:
            target = OxmlElement(tag)
            # schema order of rPr: rFonts first, lang near the end
            if tag == "w:rFonts":
                ours.insert(0, target)
            else:
                ours.append(target)
        for attr in attrs:
            target.set(qn(attr), source.get(qn(attr)))
        if tag == "w:rFonts":
            target.attrib.pop(qn("w:eastAsiaTheme"), None)
            for attr in ("w:ascii", "w:hAnsi", "w:cs"):
                if target.get(qn(attr)) is None and source.get(qn(attr)) is not None:
                    target.set(qn(attr), source.get(qn(attr)))


def place_body(document: Any, before: list[Any]) -> None:
    """Move what the writer appended to the body (everything not in ``before``) to where the letterhead's
    ``{{p body }}`` paragraph is, and drop that paragraph."""
    from docx.oxml.ns import qn

    body = document.element.body
    mark = next(
        (p for p in body.findall(qn("w:p")) if BODY_MARK in "".join(p.itertext())),
        None,
    )
    if mark is None:
        return
    old = {id(el) for el in before}
    for el in [el for el in body if id(el) not in old and el.tag != qn("w:sectPr")]:
        mark.addprevious(el)
    body.remove(mark)


__all__ = ["BODY_MARK", "place_body", "prepare"]
