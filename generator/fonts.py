"""The fonts internpack draws with, in one place: CSS, DOCX and the input check read them from here."""

from __future__ import annotations

import functools
import shutil
import subprocess

# Noto Sans CJK SC draws Chinese, Latin, Greek and Cyrillic and has real bold weights;
# DejaVu Sans is the fallback for the scripts it lacks (Arabic, Hebrew, many symbols).
FAMILIES: tuple[str, ...] = ("Noto Sans CJK SC", "DejaVu Sans")
# the DOCX names fonts a Chinese office has (Windows, WPS); the PDFs embed the Noto fonts above
DOCX_LATIN = "Arial"
DOCX_EAST_ASIA = "SimSun"  # 宋体
DEBIAN_PACKAGES = ("fonts-noto-cjk", "fonts-dejavu-core")


def css_stack(*, latin: bool = False) -> str:
    """The CSS font-family list: CJK first for Chinese text, or the Latin fallback first for English text."""
    families = (*FAMILIES[1:], FAMILIES[0]) if latin else FAMILIES
    return ", ".join(f'"{f}"' for f in families) + ", sans-serif"


@functools.cache
def _resolved() -> dict[str, tuple[str, int]]:
    """family -> (path, face index), as fontconfig resolves it; only the families really installed."""
    if not shutil.which("fc-match"):
        return {}
    found = {}
    for family in FAMILIES:
        out = subprocess.run(
            ["fc-match", "-f", "%{family}\t%{file}\t%{index}", family],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        parts = out.split("\t")
        if len(parts) == 3 and family.lower() in parts[0].lower():
            found[family] = (parts[1], int(parts[2] or 0))
    return found


def font_files() -> tuple[tuple[str, int], ...]:
    return tuple(_resolved().values())


def missing_families() -> list[str]:
    found = _resolved()
    return [f for f in FAMILIES if f not in found]


@functools.cache
def coverage() -> frozenset[int] | None:
    """Every code point one of the fonts can draw, or None when the fonts are not installed."""
    files = font_files()
    if not files:
        return None
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for path, index in files:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            points.update(font.getBestCmap())
    return frozenset(points)
