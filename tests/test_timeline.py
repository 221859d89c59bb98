"""The summary's SVG timeline: positions are computed in generator.render.html, the template only draws."""

from __future__ import annotations

from datetime import date

from lxml import etree

from generator.render.html import timeline

SVG = "{http://www.w3.org/2000/svg}"


def _draw(today: date) -> etree._Element:
    rows = [
        {
            "label": "S2",
            "bar_label": "internship",
            "events": [
                {"day": date(2027, 2, 25), "label": "arrival", "colour": "#1f4e79"},
                {"day": date(2027, 2, 26), "label": "registration", "colour": "#1f4e79"},
                {"day": date(2027, 7, 5), "label": "departure", "colour": "#1f4e79"},
            ],
        }
    ]
    return etree.fromstring(str(timeline(rows, date(2027, 3, 1), date(2027, 6, 30), today)).encode())


def _texts(svg: etree._Element) -> dict[str, float]:
    return {t.text: float(t.get("x")) for t in svg.iter(f"{SVG}text") if t.text}


def test_events_months_and_today_are_drawn_in_date_order() -> None:
    svg = _draw(date(2026, 11, 26))
    texts = _texts(svg)
    assert texts["arrival"] < texts["registration"] < texts["departure"]
    assert "today 2026-11-26" in texts
    months = [label for label in texts if label[:2] == "20" and len(label) == 7]
    assert months == sorted(months) and "2027-03" in months
    assert texts["today 2026-11-26"] < texts["2027-03"], "today comes before the internship"


def test_no_month_label_runs_off_the_right_edge() -> None:
    for today in (date(2026, 11, 26), date(2027, 7, 20), date(2027, 9, 1)):
        svg = _draw(today)
        width = float(svg.get("width"))
        for label, x in _texts(svg).items():
            if label[:2] == "20" and len(label) == 7:  # a month label, drawn from x to the right (~30 units)
                assert x + 30 <= width, f"{label} at x={x} is cut off (width {width}, today {today})"
