"""`internpack serve` through Starlette's TestClient: pages, the live check, save/open, build and download, the
--data folder, logos, letterheads and stationery, cohorts, and the safety rules (host, token, CSRF, upload limits,
where files are written)."""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from generator import api
from generator.cli import cli
from generator.errors import InputError
from generator.loader import parse_text
from generator.web import form
from generator.web.app import Config, create_app

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
FIXTURES = REPO / "tests" / "fixtures"
HOSTILE = REPO / "tests" / "hostile"
TODAY = "2026-12-01"
CHECKBOXES = {f.path for f in form.fields() if f.kind == "checkboxes"}


def form_post(values: dict[str, Any], csrf: str, **extra: str) -> dict[str, list[str]]:
    """What the browser sends for these field values (checkbox lists as repeated names, lines as one text)."""
    out: dict[str, list[str]] = {"csrf": [csrf], "_lists": sorted(CHECKBOXES)}
    for key, value in values.items():
        if key in CHECKBOXES:
            out[key] = list(value)
        elif isinstance(value, list):
            out[key] = ["\n".join(value)]
        else:
            out[key] = [value]
    for key, value in extra.items():
        out[key] = [value]
    return out


def sample_values(name: str) -> dict[str, Any]:
    return form.values_of_data(api.read_placement(SAMPLES / name).data)


def verdicts(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-route="(\w+)" data-verdict="(\w+)"', page))


def field_error(page: str, path: str) -> str:
    found = re.search(rf'<p class="field-error" id="e-{re.escape(path)}"[^>]*>([^<]*)</p>', page)
    assert found, f"no error slot for {path}"
    return html.unescape(found.group(1))


class App:
    def __init__(self, client: TestClient, app: Any) -> None:
        self.client = client
        self.state = app.state.s

    @property
    def csrf(self) -> str:
        return str(self.state.csrf)

    def post(self, url: str, values: dict[str, Any], **extra: str) -> Any:
        return self.client.post(url, data=form_post(values, self.csrf, **extra))


@pytest.fixture
def web(tmp_path: Path) -> Iterator[App]:
    app = create_app(Config(today=TODAY, data=tmp_path / "data"))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield App(client, app)


# -- pages --------------------------------------------------------------------------------------


def test_start_page_is_local_and_bilingual(web: App) -> None:
    page = web.client.get("/").text
    assert "新建" in page and "New placement" in page
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page), "a page must load nothing from elsewhere"
    htmx = web.client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and b"htmx" in htmx.content[:2000]


def test_interview_asks_every_field_of_the_model_in_sections(web: App) -> None:
    page = web.client.get("/interview").text
    legends = re.findall(r'<fieldset class="section" id="s-(\w+)"', page)
    assert legends == [s.id for s in form.sections()]
    from generator.cohort import columns

    names = set(re.findall(r'name="([a-z_][\w.]*)"', page))
    assert set(columns()) <= names, sorted(set(columns()) - names)
    assert "姓（同护照）" in page and "Family name (as in the passport)" in page
    # init's comments are the help texts
    assert "as in the passport" in page and "a pilot zone id when the company is registered in one" in page


def test_parts_appear_only_when_they_apply(web: App) -> None:
    empty = web.client.get("/interview").text
    assert re.search(r'id="s-china_university" data-when-field="_admitted" data-when-in="yes" hidden', empty)
    assert re.search(r'id="g-expenses.guarantor" data-when-field="expenses.paid_by"[^>]* hidden', empty)
    # what does not apply is not checked, saved or built, whatever the hidden fields hold
    values = sample_values("x1-fudan.yaml")
    assert "china_university" in form.placement_data(values)
    assert "guarantor" in form.placement_data(values)["expenses"]
    assert "china_university" not in form.placement_data({**values, "_admitted": "no"})
    assert "guarantor" not in form.placement_data({**values, "expenses.paid_by": "host"})["expenses"]
    # a file with a Chinese university and a family guarantor opens with both parts shown
    with (SAMPLES / "x1-fudan.yaml").open("rb") as fh:
        page = web.client.post("/open", data={"csrf": web.csrf}, files={"placement": ("x1-fudan.yaml", fh)}).text
    assert re.search(r'id="s-china_university" data-when-field="_admitted" data-when-in="yes">', page)
    assert re.search(r'id="g-expenses.guarantor" data-when-field="expenses.paid_by" data-when-in="family other">', page)


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_form_carries_every_sample_unchanged(name: str) -> None:
    """Through the form and back, a sample is the same placement for the model (explicit nulls and a name given
    as one text, which the model splits, may be written differently)."""
    data = api.read_placement(SAMPLES / name).data
    again = form.placement_data(form.values_of_data(data))
    assert api.check_data(again, today=TODAY).placement == api.check_file(SAMPLES / name, TODAY).placement


def test_every_question_has_both_labels() -> None:
    words = form.wording()
    missing = []

    def walk(items: Any) -> None:
        for item in items:
            if item.path not in words["labels"]:
                missing.append(item.path)
            if isinstance(item, form.Group):
                walk(item.items)

    for section in form.sections():
        walk(section.items)
    assert not missing, f"add these to generator/web/fields.yaml: {missing}"


# -- the live check -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["s2-shanghai.yaml", "x1-fudan.yaml", "no-route.yaml"])
def test_live_check_is_the_real_check(web: App, name: str) -> None:
    page = web.post("/check", sample_values(name)).text
    report = api.check_file(SAMPLES / name, TODAY).report
    assert verdicts(page) == {r: report["routes"][r]["verdict"] for r in ("s2", "x1")}
    assert report["recommendation"] in html.unescape(page)
    for route in ("s2", "x1"):
        for finding in report["routes"][route]["findings"]:
            assert f"<code>{finding['code']}</code>" in page
    assert "<svg" in page  # the timeline


def test_verdicts_change_as_the_city_changes(web: App) -> None:
    values = sample_values("s2-shanghai.yaml")
    assert verdicts(web.post("/check", values).text)["s2"] == "eligible"
    assert verdicts(web.post("/check", {**values, "host.city": "Chengdu"}).text)["s2"] == "ineligible"


def test_errors_appear_next_to_their_field(web: App) -> None:
    values = sample_values("s2-shanghai.yaml")
    page = web.post("/check", {**values, "internship.start": "2027-02-30", "student.nationality": "XX"}).text
    assert field_error(page, "internship.start") == "'2027-02-30' is not a real date (check the day and month)"
    assert "is not an ISO 3166-1 alpha-2 country code" in field_error(page, "student.nationality")
    assert field_error(page, "student.family_name") == ""  # every other slot is cleared
    # a list entry's error goes to its list
    page = web.post("/check", {**values, "internship.duties": ["ok", "bad \x00 nul"]}).text
    assert "U+0000" in field_error(page, "internship.duties")


def test_missing_fields_wait_for_submit_then_summary(web: App) -> None:
    values = {k: v for k, v in sample_values("s2-shanghai.yaml").items() if k != "student.family_name"}
    live = web.post("/check", values).text
    assert field_error(live, "student.family_name") == ""
    assert "1 required field(s) still empty" in live
    submitted = web.post("/check", values, _submit="1").text
    assert field_error(submitted, "student.family_name") == "is required but missing (add it)"
    summary = re.search(r'<div id="summary"[^>]*hx-swap-oob="true">(.*?)</div>\s*$', submitted, re.DOTALL)
    assert summary and 'href="#f-student.family_name"' in summary.group(1)
    assert "form: student.family_name: is required but missing (add it)" in html.unescape(summary.group(1))


def test_text_is_shown_literally(web: App) -> None:
    values = {**sample_values("s2-shanghai.yaml"), "host.name_en": "Smith & Sons <b>Ltd</b> {{ 7*7 }}"}
    page = web.post("/check", values, _submit="1").text
    assert "<b>Ltd</b>" not in page
    saved = web.post("/save", values).text
    assert parse_text(saved, "x")[0]["host"]["name_en"] == "Smith & Sons <b>Ltd</b> {{ 7*7 }}"


# -- save and open ------------------------------------------------------------------------------


def test_save_writes_what_init_writes(web: App) -> None:
    init = (REPO / "templates" / "init" / "placement-x1.yaml").read_text(encoding="utf-8")
    data = parse_text(init, "init")[0]
    saved = web.post("/save", form.values_of_data(data))
    assert saved.headers["content-disposition"] == 'attachment; filename="placement.yaml"'
    text = saved.text
    assert parse_text(text, "saved")[0] == form.placement_data(form.values_of_data(data))
    squeeze = lambda s: re.sub(r"[ \"]+", " ", s).strip()  # noqa: E731  (alignment and quoting aside)
    saved_lines = {squeeze(line) for line in text.splitlines()}
    # init's x1 file has paid_by: host and a guarantor to show its fields: the form leaves out what does not apply
    lines = init.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  guarantor:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    assert "guarantor" not in parse_text(text, "saved")[0]["expenses"]
    missing, previous_null = [], False
    for line in lines[:start] + lines[end:]:
        if line.strip().startswith("# logo:"):
            continue  # a commented-out example field
        if line.strip().startswith("#") and line.index("#") > 20:  # a comment continued from the line above
            if not previous_null and squeeze(line) not in saved_lines:
                missing.append(line)
            continue
        previous_null = line.rstrip().split("#")[0].strip().endswith(": null")
        if line.strip() and not previous_null and squeeze(line) not in saved_lines:
            missing.append(line)
    # every line of init's file is there, comments included (null fields are left out), except that a name init
    # writes as one text ('Wang Jun (王军)') is saved as the two fields the model reads it as
    one_text = "  legal_representative: Wang Jun (王军)"
    assert [line for line in missing if line != one_text] == [], missing
    if one_text in missing:
        assert "  legal_representative:\n    name: Wang Jun\n    name_zh: 王军\n" in text


@pytest.mark.parametrize("name", ["s2-shanghai.yaml", "x1-fudan.yaml"])
def test_save_then_open_gives_the_same_form(web: App, name: str) -> None:
    values = sample_values(name)
    saved = web.post("/save", values).content
    page = web.client.post("/open", data={"csrf": web.csrf}, files={"placement": ("again.yaml", saved)}).text
    for path in values:
        if path.startswith("_") or path in CHECKBOXES:
            continue
        shown = html.escape(form.shown(values, path), quote=True)
        assert f'name="{path}"' in page and shown in page, path
    assert verdicts(page) == verdicts(web.post("/check", values).text)


def _cli_lines(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(path.parent)
    try:
        api.check_file(Path(path.name), TODAY)
    except InputError as exc:
        return exc.lines()
    return []


@pytest.mark.parametrize(
    "path", sorted(set(HOSTILE.glob("*.yaml")) - {HOSTILE / "expected.yaml"}), ids=lambda p: p.name
)
def test_every_hostile_file_gives_the_clis_error(web: App, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _cli_lines(path, monkeypatch)
    response = web.client.post("/open", data={"csrf": web.csrf}, files={"placement": (path.name, path.read_bytes())})
    text = html.unescape(response.text)
    assert "Traceback" not in text
    for line in expected:
        assert f"<li>{line}</li>" in text or f">{line}</a></li>" in text, line
    if not expected:
        assert response.status_code == 200 and 'class="summary"' not in text


def test_the_logo_outside_error_through_a_build(web: App) -> None:
    """check does not read files; build does: the hostile logo path is refused as the CLI refuses it."""
    values = {**sample_values("s2-shanghai.yaml"), "host.logo": "../../samples/lowlands-logo.png"}
    page = html.unescape(web.post("/build", values, _route="s2").text)
    assert "host.logo: '../../samples/lowlands-logo.png' is outside the placement file's folder" in page
    assert not list((web.state.work / "builds").glob("*"))  # a failed build leaves nothing


# -- build and download -------------------------------------------------------------------------


def _cli_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, yaml_bytes: bytes, logo: bytes | None) -> bytes:
    """`internpack build placement.yaml -o out --route both --zip --today TODAY` in a folder of its own."""
    cli_dir = tmp_path / "cli"
    cli_dir.mkdir()
    (cli_dir / "placement.yaml").write_bytes(yaml_bytes)
    if logo is not None:
        (cli_dir / "lowlands-logo.png").write_bytes(logo)
    monkeypatch.chdir(cli_dir)
    result = CliRunner().invoke(
        cli, ["build", "placement.yaml", "-o", "out", "--route", "both", "--zip", "--today", TODAY]
    )
    assert result.exit_code == 0, result.output
    (cli_zip,) = (cli_dir / "out").glob("*.zip")
    return cli_zip.read_bytes()


def _web_zip(web: App, values: dict[str, Any], logo_key: str = "") -> bytes:
    page = web.post("/build", values, _route="both", _logo=logo_key).text
    build_id = re.search(r'data-build="(\w+)"', page)
    assert build_id, page[:2000]
    pdf = web.client.get(f"/pack/{build_id.group(1)}/file/summary.pdf?inline=1")
    assert pdf.headers["content-disposition"].startswith("inline") and pdf.content.startswith(b"%PDF")
    assert web.client.get(f"/pack/{build_id.group(1)}/file/..%2F..%2Fplacement.yaml").status_code == 404
    got = web.client.get(f"/pack/{build_id.group(1)}/zip")
    assert got.status_code == 200
    assert not (web.state.work / "builds" / build_id.group(1)).exists()  # removed once downloaded
    assert web.client.get(f"/pack/{build_id.group(1)}/zip").status_code == 404
    return bytes(got.content)


def test_build_download_equals_the_cli_pack(web: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI, given the YAML the app saves and the same reference date, writes the same zip, byte for byte."""
    values = {k: v for k, v in sample_values("s2-shanghai.yaml").items() if k != "host.logo"}
    web_zip = _web_zip(web, values)
    cli_zip = _cli_zip(tmp_path, monkeypatch, web.post("/save", values).content, None)
    assert sorted(_zip_files(web_zip)) == sorted(_zip_files(cli_zip))
    assert web_zip == cli_zip


def test_build_with_an_uploaded_logo(web: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logo = (SAMPLES / "lowlands-logo.png").read_bytes()
    uploaded = web.client.post(
        "/logo", data={"csrf": web.csrf}, files={"logo_file": ("lowlands-logo.png", logo, "image/png")}
    ).text
    key = re.search(r'name="_logo" value="([^"]+)"', uploaded)
    assert key and key.group(1) == "lowlands-logo.png" and 'src="/logo/lowlands-logo.png"' in uploaded
    assert web.client.get("/logo/lowlands-logo.png").content == logo
    values = sample_values("s2-shanghai.yaml")
    web_files = _zip_files(_web_zip(web, values, key.group(1)))
    cli_files = _zip_files(_cli_zip(tmp_path, monkeypatch, web.post("/save", values).content, logo))
    assert sorted(web_files) == sorted(cli_files)
    # PDFs with a logo differ with the logo's folder today (the image's file URI reaches the PDF): the rest agrees
    assert {k: v for k, v in web_files.items() if not k.endswith((".pdf", "manifest.json"))} == {
        k: v for k, v in cli_files.items() if not k.endswith((".pdf", "manifest.json"))
    }
    letter = next(v for k, v in web_files.items() if k.endswith("s2/invitation_letter.pdf"))
    assert b"/Subtype /Image" in letter or b"/Subtype/Image" in letter


def _zip_files(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_build_refuses_missing_fields_with_a_summary(web: App) -> None:
    values = {
        k: v for k, v in sample_values("s2-shanghai.yaml").items() if k not in ("student.passport_number", "host.logo")
    }
    page = html.unescape(web.post("/build", values, _route="s2").text)
    assert "The pack cannot be built" in page
    assert "placement.yaml: s2/invitation_letter: needs student.passport_number" in page
    with_blanks = web.post("/build", values, _route="s2", _blanks="1").text
    assert 'data-build="' in with_blanks and "placeholders" in with_blanks


# -- --data, logo, cohort -----------------------------------------------------------------------


def test_data_folder_keeps_and_lists_placements(web: App) -> None:
    data = web.state.config.data
    values = sample_values("x1-fudan.yaml")
    stored = web.post("/store", values, _name="../../lotte").text
    assert "lotte.yaml" in stored
    assert (data / "lotte.yaml").read_text(encoding="utf-8") == web.post("/save", values).text
    assert 'href="/interview?file=lotte.yaml"' in web.client.get("/").text
    page = web.client.get("/interview?file=lotte.yaml").text
    assert 'value="Fudan University"' in page
    assert web.client.get("/interview?file=..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_logo_must_be_an_image(web: App) -> None:
    page = web.client.post(
        "/logo", data={"csrf": web.csrf}, files={"logo_file": ("evil.png", b"<svg onload=alert(1)>", "image/png")}
    ).text
    assert "must be a PNG or JPEG image" in page
    assert not list(web.state.config.data.glob("evil*"))
    assert web.client.get("/logo/..%2F..%2Fetc%2Fpasswd").status_code == 404


def _upload(web: App, kind: str, name: str, raw: bytes, **form_values: str) -> str:
    """POST /upload/KIND as the file input does; the field's box (its name, the hidden stored name, any error)."""
    files = {f"{kind}_file": (name, raw, "application/octet-stream")}
    response = web.client.post(f"/upload/{kind}", data={"csrf": web.csrf, **form_values}, files=files)
    assert response.status_code == 200 and "Traceback" not in response.text
    return html.unescape(response.text)


def _stored(box: str, kind: str) -> str:
    found = re.search(rf'name="_{kind}" value="([^"]*)"', box)
    assert found, box
    return found.group(1)


def test_build_with_an_uploaded_letterhead_and_stationery(web: App) -> None:
    """The two files a host may give beside the placement, uploaded, kept in --data, built with: the letters' Word
    files on the letterhead, the first page of their PDFs on the stationery."""
    letterhead = _upload(
        web, "letterhead", "letterhead-libreoffice.docx", (FIXTURES / "letterhead-libreoffice.docx").read_bytes()
    )
    stationery = _upload(
        web, "stationery", "stationery-libreoffice.pdf", (FIXTURES / "stationery-libreoffice.pdf").read_bytes()
    )
    assert 'role="alert"' not in letterhead + stationery
    assert _stored(letterhead, "letterhead") == "letterhead-libreoffice.docx"
    assert _stored(stationery, "stationery") == "stationery-libreoffice.pdf"
    assert 'name="host.stationery" type="text" value="stationery-libreoffice.pdf"' in stationery
    assert "stationery-libreoffice.pdf" in stationery.split('class="uploaded')[1]  # shown as uploaded
    data = web.state.config.data
    assert (data / "stationery-libreoffice.pdf").read_bytes() == (FIXTURES / "stationery-libreoffice.pdf").read_bytes()
    # the same name again with other bytes: both kept, the new one named with its hash (as logos are)
    with pikepdf.open(FIXTURES / "stationery-libreoffice.pdf") as pdf:
        resaved = io.BytesIO()
        pdf.save(resaved)
    other = _upload(web, "stationery", "stationery-libreoffice.pdf", resaved.getvalue())
    assert re.fullmatch(r"stationery-libreoffice-[0-9a-f]{8}\.pdf", _stored(other, "stationery")), other
    assert (data / "stationery-libreoffice.pdf").read_bytes() == (FIXTURES / "stationery-libreoffice.pdf").read_bytes()
    values = {
        **{k: v for k, v in sample_values("s2-shanghai.yaml").items() if k != "host.logo"},
        "host.letterhead": "letterhead-libreoffice.docx",
        "host.stationery": "stationery-libreoffice.pdf",
    }
    page = web.post(
        "/build",
        values,
        _route="s2",
        _letterhead="letterhead-libreoffice.docx",
        _stationery="stationery-libreoffice.pdf",
    ).text
    build_id = re.search(r'data-build="(\w+)"', page)
    assert build_id, html.unescape(page)[:3000]
    pdf_bytes = web.client.get(f"/pack/{build_id.group(1)}/file/s2/invitation_letter.pdf").content
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        assert "/IPStationery" in pdf.pages[0].obj.Resources.XObject
        assert all("/IPStationery" not in p.obj.Resources.get("/XObject", {}) for p in pdf.pages[1:])
    docx = web.client.get(f"/pack/{build_id.group(1)}/file/s2/invitation_letter.docx").content
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        header = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("word/header"))
    assert "低地贸易（上海）有限公司" in header and "Lowlands Trading (Shanghai) Co., Ltd." in header


def _two_pages() -> bytes:
    with pikepdf.open(FIXTURES / "stationery-libreoffice.pdf") as pdf:
        pdf.pages.append(pdf.pages[0])
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "name", "raw", "message"),
    [
        ("stationery", "logo.png", (SAMPLES / "lowlands-logo.png").read_bytes(), "logo.png: must be a PDF file"),
        ("stationery", "two.pdf", _two_pages(), "two.pdf: has 2 pages; the stationery is one page"),
        ("letterhead", "notes.txt", b"Dear Sir,\n", "notes.txt: must be a Word .docx file"),
        ("letterhead", "fake.docx", b"PK\x03\x04 not a zip", "fake.docx: is not a Word .docx file"),
    ],
    ids=["png-as-stationery", "two-page-stationery", "text-as-letterhead", "broken-docx"],
)
def test_a_bad_upload_shows_its_problem_and_keeps_nothing(
    web: App, kind: str, name: str, raw: bytes, message: str
) -> None:
    box = _upload(web, kind, name, raw)
    error = re.search(r'<p class="field-error" role="alert">([^<]*)</p>', box)
    assert error and error.group(1).startswith(message), box
    assert _stored(box, kind) == ""
    data = web.state.config.data
    assert not (data.exists() and list(data.iterdir()))
    assert not [p for p in (web.state.work).rglob("*") if p.is_file()]  # the file checked is gone too
    # an earlier upload stays the field's file
    again = _upload(web, kind, name, raw, **{f"host.{kind}": f"kept.{kind}", f"_{kind}": f"kept.{kind}"})
    assert _stored(again, kind) == f"kept.{kind}" and message in again


def test_an_upload_too_large_is_refused_in_its_box(web: App) -> None:
    just_over = _upload(web, "stationery", "big.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024))
    assert '<p class="field-error" role="alert">the stationery PDF is larger than 10 MiB' in just_over
    far_over = _upload(web, "letterhead", "big.docx", b"PK\x03\x04" + b"0" * (11 * 1024 * 1024))
    assert re.search(r'<p class="field-error" role="alert">[^<]*at most 10,485,760 are accepted here', far_over)
    assert not (web.state.config.data.exists() and list(web.state.config.data.iterdir()))
    assert web.client.post("/upload/placement", data={"csrf": web.csrf}).status_code == 404


def test_uploaded_files_stay_out_of_the_saved_placement_and_come_back_when_opened(web: App) -> None:
    _upload(web, "stationery", "stationery-libreoffice.pdf", (FIXTURES / "stationery-libreoffice.pdf").read_bytes())
    values = {
        **sample_values("s2-shanghai.yaml"),
        "host.letterhead": "letterhead.docx",
        "host.stationery": "stationery-libreoffice.pdf",
    }
    hidden = {
        "_logo": "lowlands-logo.png",
        "_letterhead": "letterhead.docx",
        "_stationery": "stationery-libreoffice.pdf",
    }
    saved = web.post("/save", values, **hidden).text
    stored = web.post("/store", values, _name="lotte", **hidden)
    assert stored.status_code == 200
    kept = (web.state.config.data / "lotte.yaml").read_text(encoding="utf-8")
    assert kept == saved
    host = parse_text(saved, "saved")[0]["host"]
    assert host["letterhead"] == "letterhead.docx" and host["stationery"] == "stationery-libreoffice.pdf"
    for name in hidden:
        assert name not in saved
    assert web.post("/check", values, **hidden).status_code == 200
    # opened again: the stationery kept in --data is the field's upload again; the letterhead, never uploaded, is not
    page = web.client.get("/interview?file=lotte.yaml").text
    assert 'name="_stationery" value="stationery-libreoffice.pdf"' in page
    assert 'name="_letterhead" value=""' in page
    assert re.search(r'id="g-host.stationery_margins" data-when-field="host.stationery" data-when-given>', page)


def test_stationery_margins_apply_only_with_a_stationery(web: App) -> None:
    empty = web.client.get("/interview").text
    assert re.search(r'id="g-host.stationery_margins" data-when-field="host.stationery" data-when-given hidden>', empty)
    values = sample_values("s2-shanghai.yaml")
    assert "stationery_margins" not in form.placement_data({**form.defaults(), **values})["host"]
    with_it = form.placement_data({**form.defaults(), **values, "host.stationery": "s.pdf"})["host"]
    assert with_it["stationery_margins"] == {"top": "40", "bottom": "25", "left": "16", "right": "16"}
    assert "stationery_margins" not in parse_text(web.post("/save", form.defaults()).text, "saved")[0].get("host", {})


def test_cohort_rows_and_problems(web: App, tmp_path: Path) -> None:
    sheet = tmp_path / "cohort.csv"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--cohort", str(sheet)]).exit_code == 0
    text = sheet.read_text(encoding="utf-8")
    header, row = text.splitlines()[:2]
    bad = row.replace("2027-03-01", "2027-02-30", 1)
    sheet.write_text(f"{header}\n{row}\n{bad}\n", encoding="utf-8")
    page = html.unescape(
        web.client.post("/cohort", data={"csrf": web.csrf}, files={"sheet": ("cohort.csv", sheet.read_bytes())}).text
    )
    assert "cohort.csv row 3" in page and "'2027-02-30' is not a real date" in page
    wrong = web.client.post("/cohort", data={"csrf": web.csrf}, files={"sheet": ("c.csv", b"student.famly_name\nx\n")})
    assert wrong.status_code == 400 and "did you mean" in html.unescape(wrong.text)


# -- safety -------------------------------------------------------------------------------------


def test_host_header_must_name_this_server(web: App) -> None:
    assert web.client.get("/", headers={"host": "evil.example:8000"}).status_code == 400
    assert web.client.get("/", headers={"host": "localhost:8000"}).status_code == 200


def test_pages_load_only_from_this_server_and_cannot_be_framed(web: App) -> None:
    headers = web.client.get("/interview").headers
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"


def test_every_post_needs_the_csrf_token(web: App) -> None:
    values = sample_values("s2-shanghai.yaml")
    for url in ("/check", "/save", "/store", "/build", "/open", "/logo", "/upload/stationery", "/cohort"):
        response = web.client.post(url, data={k: v for k, v in form_post(values, "forged").items()})
        assert response.status_code == 403, url
    assert web.client.post("/check", data=form_post(values, ""), headers={"x-csrf-token": web.csrf}).status_code == 200


def test_another_host_needs_a_token_checked_on_every_request(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="needs --token"):
        create_app(Config(host="0.0.0.0"))
    app = create_app(Config(host="192.0.2.10", token="s3cret"))
    with TestClient(app, base_url="http://192.0.2.10") as client:
        assert client.get("/").status_code == 403
        assert client.get("/static/htmx.min.js").status_code == 403
        assert client.get("/?token=wrong").status_code == 403
        first = client.get("/interview?token=s3cret&ui=en", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/interview?ui=en"
        assert client.get("/interview").status_code == 200  # the cookie carries it from now on
    # on every address of the machine any Host may reach it: the token still guards every request
    wildcard = create_app(Config(host="0.0.0.0", token="s3cret"))
    with TestClient(wildcard, base_url="http://192.0.2.77:8000") as client:
        assert client.get("/").status_code == 403
        assert client.get("/?token=s3cret", follow_redirects=True).status_code == 200
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--no-browser"])
    assert result.exit_code == 2 and "needs --token" in result.output


@pytest.mark.parametrize(
    ("url", "name", "size"),
    [("/open", "placement", 2), ("/logo", "logo_file", 2), ("/cohort", "sheet", 10)],
)
def test_upload_limits(web: App, url: str, name: str, size: int) -> None:
    big = b"a: b\n" * (size * 1024 * 1024 // 5 + 10)
    response = web.client.post(url, data={"csrf": web.csrf}, files={name: ("big.csv", big)})
    assert response.status_code == 413 and "MiB" in response.text


def test_nothing_is_written_outside_data_and_the_temporary_folder(tmp_path: Path) -> None:
    app = create_app(Config(today=TODAY))
    work = app.state.s.work
    with TestClient(app, base_url="http://127.0.0.1") as client:
        csrf = app.state.s.csrf
        client.post("/save", data=form_post(sample_values("x1-fudan.yaml"), csrf))
        client.post("/store", data=form_post(sample_values("x1-fudan.yaml"), csrf))  # refused without --data
        with (SAMPLES / "x1-fudan.yaml").open("rb") as fh:
            client.post("/open", data={"csrf": csrf}, files={"placement": ("x.yaml", fh)})
        assert work.is_dir() and not [p for p in work.rglob("*") if p.is_file()]
    assert not work.exists()  # removed when the server stops


def test_serve_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0 and "internpack serve --data" in result.output and "--token" in result.output


def test_serve_starts_prints_its_address_and_stops_cleanly(tmp_path: Path) -> None:
    """The command itself: a free port on 127.0.0.1, the address printed, Ctrl-C stops it, its temp folder gone."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--no-browser", "--data", str(tmp_path / "data")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"running at (http://127\.0\.0\.1:(\d+)/)", line)
        assert found, line
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(found.group(1), timeout=5) as response:
                    assert response.status == 200 and "internpack" in response.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("internpack-serve-")]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("internpack-serve-")]
