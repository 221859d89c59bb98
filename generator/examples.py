"""Values still equal to the examples `internpack init` writes: an unedited file must not go out as a real pack.

Only fields that identify someone or something are compared (names, numbers, addresses, e-mails, phones): a
city or a date that matches the example is as likely to be real. Example domains (example.org, example.cn...)
are flagged wherever they appear, edited or not.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml

from generator.errors import Problem
from generator.loader import Source, where
from generator.resources import template_path

# the last part of a path whose value identifies a person, an organisation or a document
_IDENTIFYING = re.compile(
    r"(^|_)(name|names|name_en|name_zh|chinese_name|passport_number|uscc|email|phone|fax|website|address|"
    r"address_en|address_zh|home_address|student_id|policy_number|provider|id_number|legal_representative|"
    r"residence_permit_number|accommodation_address|workplace_address|workplace_address_zh|reference|organisation)$"
)
# real institutions a real student may well share with the example (a university, an insurer)
_INSTITUTIONS = re.compile(
    r"^(home_university\.name|china_university\.name|china_university\.office\.name|.*\.provider$)"
)
_EXAMPLE_DOMAIN = re.compile(r"(?i)\bexample\.(org|com|net|cn|edu|edu\.cn)\b")


def _leaves(data: Any, loc: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in _leaves(v, (*loc, k))]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _leaves(v, (*loc, i))]
    return [(loc, data)]


@functools.cache
def _examples() -> frozenset[tuple[str, str]]:
    """(dotted path, value) of every identifying example value of the init templates."""
    out: set[tuple[str, str]] = set()
    for name in ("placement-s2.yaml", "placement-x1.yaml"):
        data = yaml.safe_load(template_path(f"init/{name}").read_text(encoding="utf-8"))
        for loc, value in _leaves(data):
            path = ".".join(str(p) for p in loc if not isinstance(p, int))
            if (
                isinstance(value, str)
                and _IDENTIFYING.search(path.rsplit(".", 1)[-1])
                and not _INSTITUTIONS.match(path)
            ):
                out.add((path, value.strip()))
    return frozenset(out)


def example_values(source: Source) -> list[Problem]:
    """One warning per field whose value is still an init example (or uses an example domain)."""
    out: list[Problem] = []
    examples = _examples()
    for loc, value in _leaves(source.data):
        if not isinstance(value, str) or not value.strip():
            continue
        path = ".".join(str(p) for p in loc if not isinstance(p, int))
        shown = ".".join(str(p) for p in loc)
        if (path, value.strip()) in examples:
            out.append(
                Problem(
                    f"{value.strip()!r} is still the example value of internpack init",
                    hint="replace it with the real value before the letters are signed",
                    **where(source, loc, shown),
                )
            )
        elif _EXAMPLE_DOMAIN.search(value):
            out.append(
                Problem(
                    f"{value.strip()!r} uses an example domain, which cannot receive mail",
                    hint="give the real address",
                    **where(source, loc, shown),
                )
            )
    return out
