"""PDF rendering with WeasyPrint: each page laid out once, written alone and reused in the merged pack."""

from __future__ import annotations

import functools
import io
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.errors import RenderError
from generator.render.html import css

PDF_VARIANT = "pdf/a-3b"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def _fetcher(allowed: dict[str, Path]) -> Any:
    """A URL fetcher that serves the allowed files and refuses everything else (no network, no other file)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class OnlyAllowed(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            path = allowed.get(url)
            if path is None:
                raise ValueError(f"refused to load {url!r}: only the logo file may be read")
            return URLFetcherResponse(
                url,
                path.read_bytes(),
                {"Content-Type": _MIME.get(path.suffix.lower(), "application/octet-stream")},
            )

    return OnlyAllowed(fail_on_errors=True)


class PdfRenderer:
    """Holds the font configuration and the parsed stylesheet, shared by every document it renders.

    Only the files in ``allowed`` can be fetched (a logo); nothing from the network.
    Any WeasyPrint warning (a missing glyph, a font, an image that did not load) fails the render.
    """

    def __init__(self, allowed: Iterable[Path] = ()) -> None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.font_config = FontConfiguration()
        self.stylesheet = CSS(string=css(), font_config=self.font_config)
        self.fetcher = _fetcher({p.resolve().as_uri(): p for p in allowed})

    def render(self, html: str, name: str, *, plain: bool = False) -> Any:
        from weasyprint import HTML

        handler = _Collect()
        logger = logging.getLogger("weasyprint")
        logger.addHandler(handler)
        try:
            document = HTML(string=html, base_url="file:///internpack/", url_fetcher=self.fetcher).render(
                stylesheets=[] if plain else [self.stylesheet], font_config=self.font_config
            )
        finally:
            logger.removeHandler(handler)
        if handler.messages:
            raise RenderError(f"rendering {name} went wrong: " + "; ".join(sorted(set(handler.messages))))
        return document

    @staticmethod
    def write(document: Any) -> bytes:
        out = io.BytesIO()
        document.write_pdf(out, pdf_variant=PDF_VARIANT)
        return out.getvalue()

    @staticmethod
    def merge(documents: list[Any]) -> Any:
        """One document from the pages of several, keeping PDF/A and sharing fonts (no re-layout)."""
        pages = [page for doc in documents for page in doc.pages]
        return documents[0].copy(pages)


@functools.cache
def _stamp_css() -> str:
    from generator import fonts

    return (
        "@page { size: A4; margin: 0 }"
        f"html {{ font-family: {fonts.css_stack()}; font-size: 7.5pt; color: #1f4e79 }}"
        "div { height: 297mm; position: relative; break-after: page }"
        "span { position: absolute; right: 18mm; bottom: 8.5mm; }"
    )


def number_pack(merged: Any, renderer: PdfRenderer, labels: list[str]) -> Any:
    """The merged pack with a pack-wide folio ("Pack 7 / 20") drawn on every page, over each document's own
    "Page X of Y" footer. The folios are laid out once in a small stamp document with the same fonts and
    painted on top of the already laid-out pages: no page is laid out again, PDF/A and font sharing stay."""
    import copy
    import types

    from markupsafe import escape

    total = len(labels)
    body = "".join(
        f"<div><span>资料包 Pack {n} / {total} · {escape(label)}</span></div>" for n, label in enumerate(labels, 1)
    )
    stamps = renderer.render(
        f"<html><head><style>{_stamp_css()}</style></head><body>{body}</body></html>",
        "pack numbers",
        plain=True,
    )
    if len(stamps.pages) != len(merged.pages):
        raise RenderError(f"pack numbering laid out {len(stamps.pages)} folios for {len(merged.pages)} pages")
    pages = []
    for page, stamp in zip(merged.pages, stamps.pages, strict=True):
        stamped = copy.copy(page)

        def paint(self: Any, stream: Any, scale: float = 1, _page: Any = page, _stamp: Any = stamp) -> None:
            _page.paint(stream, scale)
            _stamp.paint(stream, scale)

        stamped.paint = types.MethodType(paint, stamped)
        pages.append(stamped)
    numbered = merged.copy(pages)
    numbered.metadata = merged.metadata
    return numbered
