"""'Did you mean': the allowed value someone most likely meant (one function for placement files and sheets)."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from pathlib import Path
from typing import Any

import yaml

_ALIASES = Path(__file__).parent / "data" / "aliases.yaml"


def _key(text: str) -> str:
    return re.sub(r"[\s.\-_'’]", "", unicodedata.normalize("NFKC", text).casefold())


@functools.cache
def _aliases() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(_ALIASES.read_text(encoding="utf-8"))
    return {field: {_key(str(k)): str(v) for k, v in table.items()} for field, table in data.items()}


@functools.cache
def _countries() -> dict[str, str]:
    """Country names (English, Chinese, and each country's own main language) → ISO 3166-1 alpha-2 code."""
    from babel import Locale

    names: dict[str, str] = {}
    for lang in ("en", "zh", "fr", "nl", "de", "es", "it", "pt"):
        for code, name in Locale.parse(lang).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(_key(name), code)
    common = {"holland": "NL", "uk": "GB", "england": "GB", "usa": "US", "america": "US", "korea": "KR"}
    for alias, code in common.items():
        names.setdefault(alias, code)
    return names


def country(value: str) -> str | None:
    """The ISO code meant by a country name ('Belgium', 'België', '比利时' → 'BE'), or None."""
    key = _key(value)
    if key in _countries():
        return _countries()[key]
    close = difflib.get_close_matches(key, list(_countries()), n=1, cutoff=0.85)
    return _countries()[close[0]] if close else None


def value(loc: tuple[Any, ...], got: Any, allowed: list[str]) -> str | None:
    """The allowed value most likely meant by ``got`` at ``loc`` (a path in the placement), or None."""
    if not isinstance(got, str) or not got.strip():
        return None
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    key = _key(got)
    table = _aliases().get(field, {})
    if key in table and (not allowed or table[key] in allowed):
        return table[key]
    by_key = {_key(a): a for a in allowed}
    if key in by_key:
        return by_key[key]
    close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.75)
    return by_key[close[0]] if close else None
