"""Layout benchmark (issue 11): prints figures, asserts nothing.

Per document of one route's pack: pages and the CPU time of WeasyPrint's layout (best of --runs, libraries
imported and warm); then the pack's write, cutting the separate PDFs from it and drawing the pack folios.
CPU time (time.process_time) rather than wall time: on a shared machine it varies less with the load.

    .venv/bin/python bench/bench_layout.py [--runs 3] [--sample samples/x1-fudan.yaml] [--route x1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def best(runs: int, fn: object) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.process_time()
        out = fn()  # type: ignore[operator]
        times.append(time.process_time() - t)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", default="samples/x1-fudan.yaml")
    parser.add_argument("--route", default="x1")
    args = parser.parse_args()

    from generator.api import check_file
    from generator.compose import compose
    from generator.render.pdf import PdfRenderer, folios, overlay_folios, read, split

    sample = ROOT / args.sample
    result = check_file(sample, "2026-12-01")
    comp = compose(result, routes=[args.route], languages=["en", "zh"], placement_dir=sample.parent, allow_blanks=True)
    pdf = PdfRenderer([comp.logo] if comp.logo else [])
    pdf.render(comp.summary.html, "warm-up")
    order = [comp.routes[args.route][0], comp.summary, *comp.routes[args.route][1:]]
    documents, total = [], 0.0
    for page in order:
        seconds, doc = best(args.runs, lambda page=page: pdf.render(page.html, page.id))
        documents.append(doc)
        total += seconds
        print(f"{page.id:32s} {len(doc.pages):2d} pages  layout {seconds:.3f} s CPU")  # type: ignore[attr-defined]
    pages = sum(len(d.pages) for d in documents)  # type: ignore[attr-defined]
    print(f"{'all documents':32s} {pages:2d} pages  layout {total:.3f} s CPU")
    seconds, plain = best(args.runs, lambda: pdf.write(pdf.merge(documents)))
    print(f"pack write (painting, fonts, PDF/A): {seconds:.3f} s CPU, {len(plain) // 1024} KB")  # type: ignore[arg-type]
    parts, first = [], 0
    for doc in documents[1:]:
        parts.append((first, len(doc.pages), doc.metadata, doc.metadata.title or ""))  # type: ignore[attr-defined]
        first += len(doc.pages)  # type: ignore[attr-defined]
    seconds, files = best(args.runs, lambda: split(plain, parts, read(plain)))  # type: ignore[arg-type]
    sizes = ", ".join(f"{len(f) // 1024}" for f in files)  # type: ignore[union-attr]
    print(f"separate PDFs cut from the pack: {seconds * 1000:.0f} ms CPU, sizes {sizes} KB")
    stamps = folios(pdf, ["x"] * pages)
    seconds, _ = best(args.runs, lambda: overlay_folios(plain, stamps))  # type: ignore[arg-type]
    print(f"pack folios drawn over {pages} pages: {seconds * 1000:.0f} ms CPU")


if __name__ == "__main__":
    main()
