"""`internpack serve` in a real browser: Debian's chromium driven by Playwright (scripts/setup.sh --test installs
both). From an empty page: fill the form for both samples, watch the verdicts change live, get field errors,
build and download the zip (the CLI's pack, byte for byte), save and reopen the YAML, run a cohort and download
its summary, and axe-core finds no accessibility violation on any page."""

from __future__ import annotations

import csv
import io
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe
from click.testing import CliRunner
from playwright.sync_api import Browser, Page, expect, sync_playwright

from generator import api
from generator.cli import cli
from generator.web import form
from generator.web.app import Config, create_app
from generator.web.serve import bind

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
FIXTURES = REPO / "tests" / "fixtures"
TODAY = "2026-12-01"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(Config(today=TODAY, data=tmp_path_factory.mktemp("data")))
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not srv.started:
        thread.join(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is missing: run bash scripts/setup.sh --test"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, errors  # no script error on any page


def sample_values(name: str) -> dict[str, Any]:
    values = form.values_of_data(api.read_placement(SAMPLES / name).data)
    values.pop("host.logo", None)
    return values


def fill(page: Page, values: dict[str, Any]) -> None:
    """Type every value into the form as a person would, in the form's order (so parts that apply appear)."""
    page.check(f'input[name="_admitted"][value="{values.get("_admitted", "no")}"]')
    for f in form.fields():
        value = values.get(f.path)
        selector = f'[name="{f.path}"]'
        if f.kind == "checkboxes":
            for choice, _zh, _en in f.choices:
                box = page.locator(f'{selector}[value="{choice}"]')
                box.set_checked(choice in (value or []))
        elif value is None:
            continue
        elif f.kind == "select":
            page.select_option(selector, value)
        elif f.kind == "logo":
            page.fill(selector, value)
        else:
            page.fill(selector, "\n".join(value) if isinstance(value, list) else value)


def expect_verdicts(page: Page, s2: str, x1: str) -> None:
    expect(page.locator('[data-route="s2"]')).to_have_attribute("data-verdict", s2, timeout=10_000)
    expect(page.locator('[data-route="x1"]')).to_have_attribute("data-verdict", x1, timeout=10_000)


def no_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("name", ["s2-shanghai.yaml", "x1-fudan.yaml"])
def test_fill_the_form_from_an_empty_page(server: str, page: Page, name: str) -> None:
    page.goto(f"{server}/interview")
    expect(page.locator("#s-china_university")).to_be_hidden()
    expect(page.locator("#g-expenses\\.guarantor")).to_be_hidden()
    no_violations(page)
    values = sample_values(name)
    fill(page, values)
    report = api.check_file(SAMPLES / name, TODAY).report
    expect_verdicts(page, report["routes"]["s2"]["verdict"], report["routes"]["x1"]["verdict"])
    expect(page.locator("#recommendation")).to_contain_text(report["recommendation"][:60])
    if name == "x1-fudan.yaml":
        expect(page.locator("#s-china_university")).to_be_visible()
        expect(page.locator("#g-expenses\\.guarantor")).to_be_visible()
        page.select_option('[name="expenses.paid_by"]', "host")
        expect(page.locator("#g-expenses\\.guarantor")).to_be_hidden()
    no_violations(page)


def test_live_verdicts_and_field_errors(server: str, page: Page) -> None:
    page.goto(f"{server}/interview?ui=en")
    fill(page, sample_values("s2-shanghai.yaml"))
    expect_verdicts(page, "eligible", "uncertain")
    page.fill('[name="host.city"]', "Chengdu")
    expect_verdicts(page, "ineligible", "uncertain")
    page.fill('[name="host.city"]', "Shanghai")
    expect_verdicts(page, "eligible", "uncertain")
    # an error appears next to its field while typing, and goes when fixed
    page.fill('[name="student.nationality"]', "XX")
    error = page.locator("#e-student\\.nationality")
    expect(error).to_contain_text("is not an ISO 3166-1 alpha-2 country code")
    page.fill('[name="student.nationality"]', "BE")
    expect(error).to_be_empty()
    # a missing required field waits for "Check everything", then the summary at the top links to it
    page.fill('[name="student.family_name"]', "")
    page.get_by_role("button", name="Check everything").click()
    summary = page.locator("#summary .summary")
    expect(summary).to_contain_text("student.family_name: is required but missing (add it)")
    expect(page.locator("#e-student\\.family_name")).to_have_text("is required but missing (add it)")
    no_violations(page)
    summary.get_by_role("link").first.click()
    expect(page.locator('[name="student.family_name"]')).to_be_focused()


def test_upload_the_stationery(server: str, page: Page) -> None:
    """The stationery through the real file input: its name shown in the field and as uploaded, its margins shown;
    a wrong file refused in the box, the uploaded one kept."""
    page.goto(f"{server}/interview?ui=en")
    margins = page.locator("#g-host\\.stationery_margins")
    expect(margins).to_be_hidden()
    page.set_input_files("#stationery-file", str(FIXTURES / "stationery-libreoffice.pdf"))
    expect(page.locator("#stationery-uploaded")).to_contain_text("stationery-libreoffice.pdf")
    expect(page.locator('[name="host.stationery"]')).to_have_value("stationery-libreoffice.pdf")
    expect(page.locator('[name="_stationery"]')).to_have_value("stationery-libreoffice.pdf")
    expect(margins).to_be_visible()
    no_violations(page)
    page.set_input_files("#stationery-file", str(SAMPLES / "lowlands-logo.png"))
    expect(page.locator("#stationery-box [role=alert]")).to_contain_text("lowlands-logo.png: must be a PDF file")
    expect(page.locator('[name="_stationery"]')).to_have_value("stationery-libreoffice.pdf")
    no_violations(page)


def test_build_download_and_compare_with_the_cli(
    server: str, page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page.goto(f"{server}/interview")
    fill(page, sample_values("s2-shanghai.yaml"))
    expect_verdicts(page, "eligible", "uncertain")
    page.select_option("#build-route", "s2")
    with page.expect_download() as saved:
        page.get_by_role("button", name="下载 YAML 文件").click()
    yaml_path = tmp_path / "placement.yaml"
    saved.value.save_as(yaml_path)
    page.get_by_role("button", name="生成材料包").click()
    expect(page.locator("#building")).to_be_visible()  # the progress indicator while it builds
    expect(page.locator("#built")).to_be_visible(timeout=300_000)
    expect(page.locator("#building")).to_be_hidden()
    no_violations(page)
    with page.expect_download() as got:
        page.locator("#download-zip").click()
    web_zip = tmp_path / "web.zip"
    got.value.save_as(web_zip)

    cli_dir = tmp_path / "cli"
    cli_dir.mkdir()
    shutil.copy(yaml_path, cli_dir / "placement.yaml")
    monkeypatch.chdir(cli_dir)
    result = CliRunner().invoke(
        cli, ["build", "placement.yaml", "-o", "out", "--route", "s2", "--zip", "--today", TODAY]
    )
    assert result.exit_code == 0, result.output
    (cli_zip,) = (cli_dir / "out").glob("*.zip")
    assert web_zip.read_bytes() == cli_zip.read_bytes()


def test_save_and_reopen(server: str, page: Page, tmp_path: Path) -> None:
    values = sample_values("x1-fudan.yaml")
    page.goto(f"{server}/interview")
    fill(page, values)
    expect_verdicts(page, "uncertain", "eligible")
    with page.expect_download() as saved:
        page.get_by_role("button", name="下载 YAML 文件").click()
    path = tmp_path / "lotte.yaml"
    saved.value.save_as(path)
    page.goto(f"{server}/")
    page.set_input_files("#placement-file", str(path))
    page.get_by_role("button", name="打开").click()
    expect_verdicts(page, "uncertain", "eligible")
    for f in form.fields():
        if f.path in values and f.kind not in ("checkboxes", "select"):
            expect(page.locator(f'[name="{f.path}"]')).to_have_value(form.shown(values, f.path))
    expect(page.locator('[name="expenses.paid_by"]')).to_have_value("family")
    # kept in the --data folder, listed on the start page
    page.get_by_role("button", name="保存到数据文件夹").click()
    expect(page.locator("#stored")).to_contain_text("lotte.yaml")
    page.goto(f"{server}/")
    expect(page.get_by_role("link", name="lotte.yaml")).to_be_visible()
    no_violations(page)


def test_cohort_upload_run_and_download(server: str, page: Page, tmp_path: Path) -> None:
    sheet = tmp_path / "cohort.csv"
    assert CliRunner().invoke(cli, ["init", "--cohort", str(sheet)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8"))))
    bad = dict(rows[0], **{"internship.start": "2027-02-30", "student.family_name": "Other"})
    bad["student.passport_number"] = "EN7654321"  # another student (the same one twice counts once)
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([rows[0], bad])
    page.goto(f"{server}/cohort")
    page.set_input_files("#sheet-file", str(sheet))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("table")).to_contain_text("cohort.csv row 3")
    expect(page.locator("table")).to_contain_text("'2027-02-30' is not a real date")
    no_violations(page)
    page.locator("#run-batch").click()
    link = page.locator("#summary-csv")
    expect(link).to_be_visible(timeout=180_000)
    no_violations(page)
    with page.expect_download() as got:
        link.click()
    summary = list(csv.DictReader(io.StringIO(Path(got.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(summary) == 2
    with page.expect_download() as packs:
        page.locator("#packs-zip").click()
    assert Path(packs.value.path()).stat().st_size > 10_000
