"""Developer aid: print the content HTML of one letter for a placement.

    .venv/bin/python scripts/dev_content.py samples/x1-fudan.yaml x1 invitation_letter zh
"""

import sys
from datetime import date
from pathlib import Path

from generator.context import Record, build_context, recording, stop_recording
from generator.documents import doc_entry, render_content, specs
from generator.loader import load
from generator.rules.data import load_rules
from generator.rules.engine import assess

path, route, doc_id, lang = sys.argv[1:5]
placement, _ = load(Path(path))
rules = load_rules()
assessment = assess(placement, rules, date(2026, 12, 1))
ctx = build_context(placement, assessment, rules, route=route, letter_date=date(2026, 12, 1), reference="REF-1")
ctx["doc"] = doc_entry(specs()[doc_id], route, placement)
record = Record()
token = recording(record)
print(render_content(doc_id, lang, ctx))
stop_recording(token)
print("<!-- blanks:", record.blanks, "untranslated:", record.untranslated, "-->")
