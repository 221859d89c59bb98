"""People's Chinese names, the registered Chinese name and address, and the office the letters are addressed to."""

from __future__ import annotations

from conftest import DELETE, apply, base_placement, validate

from generator.context import Blank, Name, Registered, exit_entry_office, person_name
from generator.rules.data import load_rules


def test_latin_name_with_chinese_in_brackets_is_split() -> None:
    p = validate(
        apply(
            base_placement(),
            {
                "host.legal_representative": "Chen Hao (陈浩)",
                "host.contact.name": "Li Na（李娜）",
                "host.contact.name_zh": DELETE,
                "internship.supervisor.name": "Huang Wei (黄伟)",
                "internship.supervisor.name_zh": DELETE,
            },
        )
    )
    assert (p.host.legal_representative.name, p.host.legal_representative.name_zh) == ("Chen Hao", "陈浩")
    assert (p.host.contact.name, p.host.contact.name_zh) == ("Li Na", "李娜")
    assert (p.internship.supervisor.name, p.internship.supervisor.name_zh) == ("Huang Wei", "黄伟")


def test_name_fields_and_plain_names() -> None:
    p = validate(
        apply(
            base_placement(),
            {
                "host.legal_representative": {"name": "Chen Hao", "name_zh": "陈浩"},
                "host.contact.name": "Marie (HR)",
                "host.contact.name_zh": DELETE,
            },
        )
    )
    assert p.host.legal_representative.name_zh == "陈浩"
    assert p.host.contact.name == "Marie (HR)" and p.host.contact.name_zh is None  # no Chinese in the brackets


def test_chinese_text_uses_the_chinese_name_alone() -> None:
    p = validate(apply(base_placement(), {"host.legal_representative": "Chen Hao (陈浩)"}))
    name = person_name(p.host.legal_representative, "host.legal_representative")
    assert isinstance(name, Name) and name.zh == "陈浩" and name.en == "Chen Hao"
    latin_only = person_name(
        validate(apply(base_placement(), {"host.legal_representative": "Jan Peeters"})).host.legal_representative, "x"
    )
    assert latin_only.zh == "Jan Peeters"  # a name is never marked 【待译】
    assert isinstance(person_name(None, "host.contact.name"), Blank)


def test_registered_name_needs_its_chinese_original() -> None:
    name = Registered("Lowlands Trading (Shanghai) Co., Ltd.", None, "host.name_en", "host.name_zh")
    assert isinstance(name.zh, Blank) and name.zh.path == "host.name_zh"
    assert Registered("A", "甲公司", "host.name_en", "host.name_zh").zh == "甲公司"


def test_letters_go_to_the_city_office_or_the_placements_own() -> None:
    rules = load_rules()
    shanghai = exit_entry_office(validate(base_placement()), rules)
    assert shanghai.zh == "上海市公安局出入境管理局"
    own = exit_entry_office(
        validate(apply(base_placement(), {"host.exit_entry_office": {"zh": "上海市公安局浦东分局出入境管理办公室"}})),
        rules,
    )
    assert own.zh == "上海市公安局浦东分局出入境管理办公室"
    elsewhere = exit_entry_office(validate(apply(base_placement(), {"host.city": "Wuhan", "host.zone": DELETE})), rules)
    assert elsewhere.zh == "武汉市公安机关出入境管理部门", elsewhere.zh
    for office in rules.offices:
        assert office.sources and all(s in rules.sources for s in office.sources), office


def test_amounts_in_capital_numerals() -> None:
    from decimal import Decimal

    from generator.context import capital_amount, money

    assert capital_amount(Decimal("3000"), "CNY") == "人民币叁仟元整（¥3,000）"
    assert capital_amount(Decimal("2500.50"), "CNY") == "人民币贰仟伍佰元伍角（¥2,500.50）"
    assert capital_amount(Decimal("500"), "EUR") == "欧元伍佰元整（EUR 500）"
    assert money(Decimal("3000"), "CNY", "month", "internship.pay.amount").capital == "每月人民币叁仟元整（¥3,000）"
