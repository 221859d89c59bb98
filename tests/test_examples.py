"""check and build warn, per field, on values still equal to the examples `internpack init` writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from conftest import apply, base_placement, write_yaml


def test_unedited_init_file_is_warned_about_field_by_field(run: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "placement.yaml"
    assert run("init", path, "--route", "s2").exit_code == 0
    result = run("check", path, "--today", "2026-12-01")
    assert result.exit_code == 0, result.stderr  # a warning, not an error
    lines = [x for x in result.stderr.splitlines() if x.startswith("Warning:")]
    assert any(f"{path}:" in x and "host.uscc" in x for x in lines) or any("more fields" in x for x in lines), lines
    assert any("student.family_name: 'Peeters' is still the example value" in x for x in lines), lines
    assert "more fields still hold example values" in lines[-1], lines


def test_real_values_give_no_warning(run: Callable[..., Result], tmp_path: Path) -> None:
    data = apply(
        base_placement(),
        {
            "student.family_name": "Vermeulen",
            "student.given_names": "Anna",
            "student.chinese_name": "安娜",
            "student.passport_number": "EP7654321",
            "student.email": "anna.vermeulen@kuleuven.be",
            "student.phone": "+32 470 99 88 77",
            "student.home_address": "Bondgenotenlaan 1, 3000 Leuven",
            "student.emergency_contact": {"name": "Wim Vermeulen", "relationship": "father", "phone": "+32 476 1"},
            "home_university.student_id": "r0999999",
            "host.name_en": "Dikes & Deltas (Shanghai) Co., Ltd.",
            "host.name_zh": "堤坝三角洲（上海）有限公司",
            "host.uscc": "91310000MA1FL0XX0W",
            "host.address_en": "8 Huaihai Road, Shanghai",
            "host.address_zh": "上海市淮海路8号",
            "host.phone": "+86 21 6000 1234",
            "host.email": "office@dikes.cn",
            "letters.reference": "DD-HR-2027-3",
            "host.legal_representative": "Zhou Min (周敏)",
            "host.signatory": {"name": "Zhou Min", "title": "General Manager", "title_zh": "总经理"},
            "host.contact": {
                "name": "Xu Lei (徐磊)",
                "title": "HR Manager",
                "email": "hr@dikes.cn",
                "phone": "+86 21 1",
            },
            "internship.supervisor": {"name": "Xu Lei (徐磊)", "title": "HR Manager"},
            "internship.insurance.policy_number": "CPIC-88-1",
            "stay.accommodation_address": "12 Fuxing Road, Shanghai",
            "prepared_by": {"organisation": "KU Leuven Career Centre", "name": "Jo Claes", "email": "jo@kuleuven.be"},
        },
    )
    from generator.model import uscc_problem

    if uscc_problem(data["host"]["uscc"]):
        data["host"]["uscc"] = "91310115MA1K4ABC4H"  # the example USCC: then exactly that one warns
    result = run("check", write_yaml(tmp_path, data), "--today", "2026-12-01")
    warned = [x for x in result.stderr.splitlines() if x.startswith("Warning:")]
    assert all("host.uscc" in x for x in warned), warned


def test_build_warns_too(run: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "placement.yaml"
    run("init", path, "--route", "s2")
    result = run("build", path, "-o", tmp_path / "out", "--allow-blanks", "--today", "2026-12-01", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    assert "is still the example value of internpack init" in result.stderr
