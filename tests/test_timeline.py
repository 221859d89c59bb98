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

    def at(name: str) -> float:  # close marks share one label ("arrival · registration")
        return next(x for label, x in texts.items() if name in label.split(" · "))

    assert at("arrival") <= at("registration") < at("departure")
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


def test_labels_of_one_row_never_overlap() -> None:
    """Deadlines on the same day become one mark with their labels joined; labels of close marks take another
    side or level (X1 steps squeezed to the day after arrival used to print on top of each other)."""
    from datetime import date as d

    from generator.render.html import _placed

    def x(day: d) -> float:
        return float((day - d(2027, 2, 1)).days * 4)

    events = [
        {"day": d(2027, 2, 25), "label": "arrival", "colour": "#555"},
        {"day": d(2027, 2, 26), "label": "registration", "colour": "#1f4e79"},
        {"day": d(2027, 2, 26), "label": "residence permit", "colour": "#c00"},
        {"day": d(2027, 2, 26), "label": "university approval", "colour": "#1f4e79"},
        {"day": d(2027, 2, 27), "label": "annotation", "colour": "#1f4e79"},
        {"day": d(2027, 6, 30), "label": "departure", "colour": "#1f4e79"},
    ]
    placed = _placed(events, x)
    assert any("residence permit · university approval" in e["label"] for e in placed)
    assert next(e for e in placed if "residence permit" in e["label"])["colour"] == "#c00"  # the most urgent
    boxes = [(e["x"] - len(e["label"]) * 2.3, e["x"] + len(e["label"]) * 2.3, e["dy"]) for e in placed]
    for i, (a0, a1, ay) in enumerate(boxes):
        for b0, b1, by in boxes[i + 1 :]:
            assert ay != by or a1 < b0 or b1 < a0, (boxes, placed)
