"""Build benchmarks (issue 3): prints figures, asserts nothing.

1. `internpack build SAMPLE --route both` (bilingual) as a whole fresh process, --jobs as given: wall seconds.
2. Per-document PDF time with the libraries already imported (WeasyPrint: layout + write of one letter),
   against the path many tools take: the DOCX converted by LibreOffice (`soffice --headless --convert-to pdf`)
   started once per document, and LibreOffice converting all the documents in one call.

    .venv/bin/python bench/bench_build.py [--runs 3] [--sample samples/x1-fudan.yaml]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def whole_build(sample: str, runs: int) -> list[float]:
    exe = str(Path(sys.executable).with_name("internpack"))
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            t = time.perf_counter()
            subprocess.run(
                [exe, "build", sample, "-o", out, "--route", "both", "--lang", "en+zh", "--today", "2026-12-01"],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - t)
    return times


def per_document(sample: str) -> None:
    from generator.api import check_file
    from generator.compose import compose
    from generator.pack import default_renderers
    from generator.render.docx import render_docx

    t0 = time.perf_counter()
    import docxtpl  # noqa: F401

    from generator.render.pdf import _weasyprint

    _weasyprint()  # as a build imports it (without find_library's subprocesses)

    imports = time.perf_counter() - t0
    result = check_file(ROOT / sample, "2026-12-01")
    comp = compose(
        result, routes=["s2", "x1"], languages=["en", "zh"], placement_dir=(ROOT / sample).parent, allow_blanks=False
    )
    pages = [p for r in ("s2", "x1") for p in comp.routes[r] if p.docx]
    pdf = default_renderers().pdf(comp.logo)
    pdf.write(pdf.render(pages[0].html, "warm-up"))
    ours = []
    for page in pages:
        t = time.perf_counter()
        pdf.write(pdf.render(page.html, page.id))
        ours.append(time.perf_counter() - t)
    from generator.pack import BuildOptions, _pdf_files

    t = time.perf_counter()
    for route in ("s2", "x1"):
        _pdf_files(comp, result, BuildOptions(), route, route == "s2", default_renderers())
    pipeline = time.perf_counter() - t
    count = sum(len(comp.routes[r]) + 1 for r in ("s2", "x1"))  # + the summary in each pack
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    images = {comp.logo.resolve().as_uri(): comp.logo} if comp.logo else {}
    print(f"imports (weasyprint + docxtpl): {imports:.2f} s")
    print(
        "the pack pipeline (each document laid out once, painted once into pack.pdf, separate PDFs cut from it): "
        f"{pipeline:.2f} s for {count} documents = {pipeline / count:.3f} s per document"
    )
    print(
        f"WeasyPrint, per document (layout + PDF/A write, imported): median {statistics.median(ours):.3f} s, "
        f"total {sum(ours):.2f} s for {len(pages)} documents"
    )
    if not soffice:
        print("soffice not found: LibreOffice comparison skipped (apt-get install libreoffice-writer-nogui)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        docs = []
        for n, page in enumerate(pages):
            path = tmpdir / f"{n:02d}-{page.route}-{page.id}.docx"
            path.write_bytes(
                render_docx(
                    page.html,
                    footer_ref=page.footer_ref,
                    title=page.title,
                    images=images,
                    day=result.assessment.reference_date,
                )
            )
            docs.append(path)
        profile = f"-env:UserInstallation=file://{tmpdir}/lo-profile"
        base = [soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmpdir / "one")]
        subprocess.run([*base, str(docs[0])], check=True, capture_output=True)  # first start creates the profile
        each = []
        for doc in docs:
            t = time.perf_counter()
            subprocess.run([*base, str(doc)], check=True, capture_output=True)
            each.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run(
            [soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmpdir / "all"), *map(str, docs)],
            check=True,
            capture_output=True,
        )
        all_in_one = time.perf_counter() - t
    med_ours, med_each = statistics.median(ours), statistics.median(each)
    print(
        f"soffice started once per document: median {med_each:.3f} s, total {sum(each):.2f} s "
        f"-> WeasyPrint is {med_each / med_ours:.1f}x faster per document alone, "
        f"{med_each / (pipeline / count):.1f}x in the pack pipeline (issue 11 target >= 10x)"
    )
    print(
        f"soffice, all {len(docs)} documents in one call: {all_in_one:.2f} s "
        f"({all_in_one / len(docs):.3f} s per document) vs WeasyPrint {sum(ours):.2f} s "
        f"-> {all_in_one / sum(ours):.1f}x (issue 11 target > 1x)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sample", default="samples/x1-fudan.yaml")
    args = ap.parse_args()
    times = whole_build(args.sample, args.runs)
    print(
        f"build {args.sample} --route both --lang en+zh, fresh process: median {statistics.median(times):.2f} s, "
        f"best {min(times):.2f} s ({args.runs} runs; issue 11 target <= 2 s)"
    )
    per_document(args.sample)


if __name__ == "__main__":
    main()
