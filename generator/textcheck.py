"""Which characters a text field may hold (spec/placement.md, Text)."""

from __future__ import annotations

import unicodedata

from generator import fonts

# Ranges every font stack we use draws; characters here skip the (lazy) font look-up.
_FAST = ((0x20, 0x7E), (0xA0, 0x17F), (0x3000, 0x303F), (0x4E00, 0x9FA5), (0xFF01, 0xFF5E))


def _fast(cp: int) -> bool:
    return any(lo <= cp <= hi for lo, hi in _FAST)


def _name(ch: str) -> str:
    return f"U+{ord(ch):04X}" + (f" {unicodedata.name(ch)}" if unicodedata.name(ch, "") else "")


def first_bad_character(value: str) -> str | None:
    """A message naming the first character a document cannot hold or draw, or None."""
    slow: list[str] = []
    for ch in value:
        cp = ord(ch)
        if _fast(cp) or ch in "\t\n":
            continue
        cat = unicodedata.category(ch)
        if cat == "Cc":
            return f"holds the control character {_name(ch)}; remove it"
        if cat == "Cs":
            return f"holds the lone surrogate {_name(ch)}; the file's encoding is broken"
        if (0xFDD0 <= cp <= 0xFDEF) or (cp & 0xFFFE) == 0xFFFE:
            return f"holds the noncharacter {_name(ch)}; remove it"
        if cat == "Cn":
            return f"holds the unassigned code point {_name(ch)}; remove it"
        if cat in ("Cf", "Zl", "Zp"):
            continue  # format characters (bidi controls, BOM, joiners) are kept but not drawn
        slow.append(ch)
    if slow:
        covered = fonts.coverage()
        if covered is not None:
            for ch in slow:
                if ord(ch) not in covered and unicodedata.category(ch) not in ("Mn", "Me"):
                    return (
                        f"holds {_name(ch)}, which none of the fonts internpack uses "
                        f"({', '.join(fonts.FAMILIES)}) can draw; remove or replace it"
                    )
    return None
