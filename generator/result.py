"""What a check of one placement gives (the faces, compose, pack and batch share it), and how it is made.

It sits below generator/api.py, so the modules that build on a check do not import the faces' entry points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from generator import loader
from generator.clock import reference_date
from generator.model import Placement
from generator.rules.data import Rules, load_rules
from generator.rules.engine import Assessment, assess
from generator.sanity import check_dates


@dataclass(frozen=True)
class CheckResult:
    placement: Placement
    source: loader.Source
    rules: Rules
    assessment: Assessment

    @property
    def report(self) -> dict[str, Any]:
        from generator.report import report_dict

        return report_dict(self.assessment, self.placement, self.source)

    def text(self) -> str:
        from generator.report import render_text

        return render_text(self.assessment, self.placement, self.rules, self.source)


def check_source(source: loader.Source, today: str | None = None) -> CheckResult:
    day = reference_date(today)
    placement = loader.validate(source)
    rules = load_rules()
    check_dates(placement, source, rules, day)  # dates that cannot all be true: input errors, before the rules
    return CheckResult(placement, source, rules, assess(placement, rules, day))


__all__ = ["CheckResult", "check_source"]
