"""Reading and validating placement files (spec/placement.md): exact error lines, encodings, limits,
YAML pitfalls, JSON, all problems at once."""

from __future__ import annotations

import json
import random
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from conftest import base_placement, dump_yaml, sample_path

from generator import loader
from generator.errors import InputError
from generator.model import USCC_CHARS, uscc_problem

NAME = "placement.yaml"
S2_TEXT = sample_path("s2-shanghai.yaml").read_text(encoding="utf-8")
X1_TEXT = sample_path("x1-fudan.yaml").read_text(encoding="utf-8")


def load_text(text: str, name: str = NAME) -> Any:
    data, lines = loader.parse_text(text, name)
    return loader.validate(loader.Source(name=name, data=data, lines=lines, sha256=""))


def problems(text: str, name: str = NAME) -> list[str]:
    """The lines an InputError shows for ``text`` (fails when the text is accepted)."""
    with pytest.raises(InputError) as info:
        load_text(text, name)
    return info.value.lines()


def file_problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        loader.load(path, path.name)
    return info.value.lines()


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of ``text`` that contains ``needle`` (exactly one such line)."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} is on lines {hits}"
    return hits[0]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def test_samples_load() -> None:
    for name in ("s2-shanghai.yaml", "s2-zhongguancun.yaml", "x1-fudan.yaml", "no-route.yaml"):
        placement, source = loader.load(sample_path(name))
        assert placement.student.family_name
        assert len(source.sha256) == 64


# -- exact error lines -------------------------------------------------------------------------------


def test_typo_key_suggests_the_closest() -> None:
    text = replace_once(S2_TEXT, "  family_name: Peeters", "  famly_name: Peeters")
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'student:')}: student.family_name: is required but missing (add it)",
        f"{NAME}:{line_of(text, 'famly_name')}: student.famly_name: unknown key (did you mean 'family_name'?)",
    ]


def test_typo_key_of_an_optional_field() -> None:
    text = replace_once(S2_TEXT, "  passport_expiry: 2031-09-30", "  pasport_expiry: 2031-09-30")
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'pasport_expiry')}: student.pasport_expiry: unknown key "
        "(did you mean 'passport_expiry'?)"
    ]


def test_bad_enum() -> None:
    text = replace_once(S2_TEXT, "  sex: F", "  sex: Q")
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'sex: Q')}: student.sex: 'Q' is not allowed (use one of: F | M | X)"
    ]


def test_impossible_date() -> None:
    text = replace_once(S2_TEXT, "  date_of_birth: 2003-05-14", "  date_of_birth: 2027-02-30")
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'date_of_birth')}: student.date_of_birth: '2027-02-30' is not a real date "
        "(check the day and month)"
    ]


def test_february_29() -> None:
    assert (
        "not a real date"
        in problems(replace_once(S2_TEXT, "  date_of_birth: 2003-05-14", "  date_of_birth: 2027-02-29"))[0]
    )
    assert (
        str(
            load_text(
                replace_once(S2_TEXT, "  date_of_birth: 2003-05-14", "  date_of_birth: 2028-02-29")
            ).student.date_of_birth
        )
        == "2028-02-29"
    )


@pytest.mark.parametrize("value", ["14/05/2003", "2003-5-14", "20030514", "yesterday", "0", "86400"])
def test_not_an_iso_date(value: str) -> None:
    """Dates are ISO YYYY-MM-DD; anything else is an input error (never silently read as something else)."""
    text = replace_once(S2_TEXT, "  date_of_birth: 2003-05-14", f"  date_of_birth: {value}")
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'date_of_birth')}: student.date_of_birth: {value!r} is not a date "
        "(write dates as YYYY-MM-DD)"
    ]


def test_quoted_dates_work() -> None:
    text = replace_once(S2_TEXT, "  start: 2027-03-01", '  start: "2027-03-01"')
    assert str(load_text(text).internship.start) == "2027-03-01"


def test_end_before_start() -> None:
    text = replace_once(S2_TEXT, "  end: 2027-06-30", "  end: 2027-02-01")
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'end: 2027-02-01')}: internship.end: "
        "end 2027-02-01 is before start 2027-03-01; "
        "the end must be on or after the start"
    ]


def test_end_equal_to_start_is_fine() -> None:
    text = replace_once(S2_TEXT, "  end: 2027-06-30", "  end: 2027-03-01")
    assert load_text(text).internship.days == 1


def test_study_end_before_study_start() -> None:
    text = replace_once(X1_TEXT, "  study_end: 2027-07-15", "  study_end: 2026-08-01")
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'study_end')}: china_university.study_end: study_end 2026-08-01 is before "
        "study_start 2026-09-01; swap or correct them"
    ]


# -- USCC --------------------------------------------------------------------------------------------

USCC_SUFFIX = "; copy it from the business licence"


@pytest.mark.parametrize(
    ("uscc", "message"),
    [
        ("91310115MA1K4ABC4", "has 17 characters; a USCC has 18"),
        ("91310115MA1K4ABC4HH", "has 19 characters; a USCC has 18"),
        (
            "91310115MA1K4OBC4H",
            "contains 'O'; a USCC uses only digits and the capital letters A-H J-N P-R T U W-Y (no I, O, S, V, Z)",
        ),
        (
            "91310115MA1K4IBC4H",
            "contains 'I'; a USCC uses only digits and the capital letters A-H J-N P-R T U W-Y (no I, O, S, V, Z)",
        ),
        (
            "91310115MA1K4ABC5H",
            "has a typo: 91310115MA1K4ABC[5]H — character 17 should be '4' for the organisation code before it "
            "(characters 9 to 16), so one of them or character 17 is mistyped (GB 11714)",
        ),
        (
            "91310115MA1K4ABC4J",
            "has a typo: 91310115MA1K4ABC4[J] — the last character should be 'H' for the 17 before it, so one of "
            "the 18 characters is mistyped (GB 32100-2015)",
        ),
        (
            "310115000123456",
            "has 15 digits: that is the old business registration number (注册号), not the unified social credit "
            "code; the business licence issued since 2015 shows the 18-character code",
        ),
    ],
    ids=["17-chars", "19-chars", "letter-O", "letter-I", "check-17", "check-18", "old-15-digit"],
)
def test_bad_uscc(uscc: str, message: str) -> None:
    text = replace_once(S2_TEXT, "uscc: 91310115MA1K4ABC4H", f"uscc: {uscc}")
    assert problems(text) == [f"{NAME}:{line_of(text, 'uscc:')}: host.uscc: {message}{USCC_SUFFIX}"]


@pytest.mark.parametrize(
    "typed",
    ["9131 0115 MA1K 4ABC 4H", "91310115-MA1K4ABC4H", "９１３１０１１５ＭＡ１Ｋ４ＡＢＣ４Ｈ", "91310115ma1k4abc4h"],
)
def test_uscc_as_hr_pastes_it(typed: str) -> None:
    text = replace_once(S2_TEXT, "uscc: 91310115MA1K4ABC4H", f"uscc: '{typed}'")
    assert load_text(text, NAME).host.uscc == "91310115MA1K4ABC4H"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_uscc_forbidden_letters(letter: str) -> None:
    code = "91310115MA1K4" + letter + "BC4H"
    assert uscc_problem(code) is not None and f"'{letter}'" in uscc_problem(code)  # type: ignore[operator]


@pytest.mark.parametrize("uscc", ["91310115MA1K4ABC4H", "91330100799655058B"])
def test_valid_uscc(uscc: str) -> None:
    assert uscc_problem(uscc) is None
    text = replace_once(S2_TEXT, "uscc: 91310115MA1K4ABC4H", f"uscc: {uscc}")
    assert load_text(text).host.uscc == uscc


def test_uscc_lower_case_is_accepted_and_upper_cased() -> None:
    text = replace_once(S2_TEXT, "uscc: 91310115MA1K4ABC4H", "uscc: 91310115ma1k4abc4h")
    assert load_text(text).host.uscc == "91310115MA1K4ABC4H"


def _reference_uscc_checks(first16: str) -> str:
    """Check characters 17 and 18 computed straight from placement.md (an independent implementation)."""
    org = sum(
        (int(ch) if ch.isdigit() else ord(ch) - 55) * w
        for ch, w in zip(first16[8:16], (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    c = 11 - org % 11
    c17 = "X" if c == 10 else "0" if c == 11 else str(c)
    code17 = first16 + c17
    weights = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(code17, weights, strict=True))
    return code17 + USCC_CHARS[(31 - total % 31) % 31]


def test_uscc_checks_follow_the_spec() -> None:
    assert USCC_CHARS == "0123456789ABCDEFGHJKLMNPQRTUWXY"
    rng = random.Random(20261201)
    for _ in range(300):
        first16 = "".join(rng.choice(USCC_CHARS) for _ in range(16))
        code = _reference_uscc_checks(first16)
        assert uscc_problem(code) is None, f"{code} should be valid: {uscc_problem(code)}"
        wrong18 = code[:17] + USCC_CHARS[(USCC_CHARS.index(code[17]) + 1) % 31]
        assert uscc_problem(wrong18) is not None, wrong18
    assert _reference_uscc_checks("91310115MA1K4ABC") == "91310115MA1K4ABC4H"
    assert _reference_uscc_checks("91330100799655058B"[:16]) == "91330100799655058B"


# -- files: syntax, encodings, limits --------------------------------------------------------------------


def test_broken_yaml_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("student:\n  family_name: Peeters\n   given_names: Lotte\n", encoding="utf-8")
    assert file_problems(path) == [
        "broken.yaml:3: is not valid YAML: mapping values are not allowed in this context "
        "(check the indentation and quoting around that line)"
    ]


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"# only a comment\n"], ids=["empty", "blank", "comment"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(content)
    assert file_problems(path) == ["empty.yaml: is empty (run 'internpack init' for a placement to fill in)"]


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "photo.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert file_problems(path) == ["photo.yaml: is a binary file, not a YAML or JSON placement (save it as UTF-8 text)"]


def test_latin1_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(S2_TEXT.replace("Peeters", "Pétérs").encode("utf-8").replace("é".encode(), b"\xe9"))
    line = line_of(S2_TEXT, "family_name: Peeters")
    assert file_problems(path) == [f"latin1.yaml:{line}: byte 0xE9 is not UTF-8 (save the file as UTF-8)"]


def test_utf8_bom_works(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + S2_TEXT.encode("utf-8"))
    placement, _ = loader.load(path)
    assert placement.student.family_name == "Peeters"
    assert placement.host.name_zh == "低地贸易（上海）有限公司"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_works(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "u16.yaml"
    raw = S2_TEXT.encode(encoding)
    if encoding != "utf-16":  # explicit-endian codecs write no BOM: add it
        raw = ("\ufeff".encode(encoding)) + raw
    path.write_bytes(raw)
    placement, _ = loader.load(path)
    assert placement.student.chinese_name == "裴乐天"
    assert placement.student.nationality == "BE"


def test_crlf_file_works(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    path.write_bytes(S2_TEXT.replace("\n", "\r\n").encode("utf-8"))
    placement, _ = loader.load(path)
    assert placement.internship.duties[0] == "Market research on Benelux food imports"


def _padded(size: int) -> bytes:
    raw = S2_TEXT.encode("utf-8")
    pad = size - len(raw) - 2
    return raw + b"#" + b"x" * pad + b"\n"


def test_file_of_exactly_1_mib_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(_padded(1024 * 1024))
    assert path.stat().st_size == 1024 * 1024
    placement, _ = loader.load(path)
    assert placement.student.family_name == "Peeters"


def test_file_over_1_mib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(_padded(1024 * 1024 + 1))
    assert file_problems(path) == ["big.yaml: is 1,048,577 bytes; a placement file may be at most 1 MiB"]


def _billion_laughs() -> str:
    lines = ['lol0: &lol0 "lol"', "lol1: &lol1 [" + ", ".join(["*lol0"] * 9) + "]"]
    for i in range(2, 10):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_billion_laughs(), encoding="utf-8")
    t0 = time.perf_counter()
    lines = file_problems(path)
    elapsed = time.perf_counter() - t0
    assert elapsed < 2, f"the alias bomb took {elapsed:.2f} s"
    assert len(lines) == 1 and lines[0].startswith("bomb.yaml:"), lines
    assert lines[0].endswith(": expands beyond 1 MiB (YAML aliases or nesting); a placement file is small and flat"), (
        lines
    )
    tracemalloc.start()
    try:
        with pytest.raises(InputError):
            loader.load(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024, f"the alias bomb used {peak / 1e6:.1f} MB"


def test_long_text_aliased_many_times_is_refused() -> None:
    """81 aliases of a 60,000-character text expand to about 4.9 MB: beyond 1 MiB, so refused."""
    text = f'a: &a "{"x" * 60000}"\nb: &b [' + ", ".join(["*a"] * 9) + "]\nc: [" + ", ".join(["*b"] * 9) + "]\n"
    with pytest.raises(InputError) as info:
        loader.parse_text(text, NAME)
    assert "expands beyond 1 MiB" in info.value.lines()[0]


def test_small_aliases_are_fine() -> None:
    text = replace_once(S2_TEXT, "  contact:\n", "  contact: &contact\n")
    text = replace_once(
        text,
        "  supervisor:\n    name: Li Na\n    name_zh: 李娜\n    title: HR Manager\n    title_zh: 人力资源经理\n",
        "  supervisor: *contact\n",
    )
    p = load_text(text)
    assert p.internship.supervisor is not None and p.internship.supervisor.email == "hr@lowlands.example.cn"


def test_duplicate_key_names_the_key_and_both_lines() -> None:
    text = replace_once(S2_TEXT, "  sex: F\n", "  sex: F\n  sex: M\n")
    first = line_of(text, "sex: F")
    second = line_of(text, "sex: M")
    assert problems(text) == [
        f"{NAME}:{second}: student.sex: duplicate key 'sex' (first on line {first}) (keep one of them)"
    ]


def test_duplicate_top_level_key() -> None:
    text = S2_TEXT + "\nroute: x1\n"
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'route: x1')}: route: duplicate key 'route' (first on line "
        f"{line_of(text, 'route: s2')}) (keep one of them)"
    ]


def test_duplicate_keys_in_two_mappings_are_both_reported() -> None:
    """'Every problem in a file is reported at once': two duplicates in different mappings give two lines."""
    text = replace_once(S2_TEXT, "  sex: F\n", "  sex: F\n  sex: M\n")
    text = replace_once(text, "  city: Shanghai\n", "  city: Shanghai\n  city: Beijing\n")
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'sex: M')}: student.sex: duplicate key 'sex' (first on line "
        f"{line_of(text, 'sex: F')}) (keep one of them)",
        f"{NAME}:{line_of(text, 'city: Beijing')}: host.city: duplicate key 'city' (first on line "
        f"{line_of(text, '  city: Shanghai')}) (keep one of them)",
    ]


def test_deep_nesting_is_refused() -> None:
    text = "student: " + "[" * 100 + "]" * 100 + "\n"
    assert problems(text) == [
        f"{NAME}:1: nests deeper than 40 levels (YAML aliases or nesting); a placement file is small and flat"
    ]


def test_very_deep_nesting_is_refused_without_a_crash() -> None:
    text = "student: " + "[" * 3000 + "]" * 3000 + "\n"
    lines = problems(text)
    assert len(lines) == 1 and lines[0].startswith(f"{NAME}:") and "nest" in lines[0], lines


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", f"{NAME}:1: must be a mapping of fields (student:, host:, internship: ...)"),
        ("a: &a {x: y}\nstudent:\n  <<: *a\n", f"{NAME}:3: uses a YAML merge key (<<); write the fields out"),
    ],
    ids=["list", "merge-key"],
)
def test_other_shapes(text: str, message: str) -> None:
    assert problems(text) == [message]


def test_missing_file(tmp_path: Path) -> None:
    assert file_problems(tmp_path / "nope.yaml") == ["nope.yaml: does not exist"]


def test_folder_instead_of_file(tmp_path: Path) -> None:
    assert file_problems(tmp_path) == [f"{tmp_path.name}: is a folder, not a placement file"]


# -- YAML pitfalls ------------------------------------------------------------------------------------------


def test_norway_and_leading_zeros_stay_text() -> None:
    text = replace_once(S2_TEXT, "  nationality: BE", "  nationality: NO")
    text = replace_once(text, "  passport_number: EN1234567", "  passport_number: 0012345")
    text = replace_once(text, "  student_id: r0812345", "  student_id: 007")
    p = load_text(text)
    assert p.student.nationality == "NO"
    assert p.student.passport_number == "0012345"
    assert p.home_university is not None and p.home_university.student_id == "007"


@pytest.mark.parametrize("country", ["NO", "no", "FR"])
def test_country_codes_that_look_like_booleans(country: str) -> None:
    text = replace_once(S2_TEXT, "  nationality: BE", f"  nationality: {country}")
    assert load_text(text).student.nationality == country.upper()


def test_other_look_alike_scalars_stay_text() -> None:
    text = replace_once(S2_TEXT, "  passport_number: EN1234567", "  passport_number: 1e5")
    text = replace_once(text, "  family_name: Peeters", "  family_name: 'null'")
    text = replace_once(text, "  given_names: Lotte Marie", "  given_names: ON")
    text = replace_once(text, "  chinese_name: 裴乐天", "  chinese_name: Y")
    p = load_text(text)
    got = (p.student.passport_number, p.student.family_name, p.student.given_names, p.student.chinese_name)
    assert got == ("1e5", "null", "ON", "Y")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("true", "yes"),
        ("false", "no"),
        ("True", "yes"),
        ("False", "no"),
        ("TRUE", "yes"),
        ("FALSE", "no"),
        ("ON", "yes"),
        ("on", "yes"),
        ("Off", "no"),
        ("YES", "yes"),
        ("No", "no"),
        ("Yes", "yes"),
        ("NO", "no"),
        ("'yes'", "yes"),
        ('"no"', "no"),
        ('"True"', "yes"),
        ("unknown", "unknown"),
        ("Unknown", "unknown"),
    ],
)
def test_yes_no_unknown_fields(value: str, expected: str) -> None:
    text = replace_once(S2_TEXT, "  recognised: yes", f"  recognised: {value}")
    text = replace_once(text, "  filed_with_exit_entry: yes", f"  filed_with_exit_entry: {value}")
    text = replace_once(text, "  related_to_major: yes", f"  related_to_major: {value}")
    p = load_text(text)
    assert p.home_university is not None
    got = (p.home_university.recognised, p.host.filed_with_exit_entry, p.internship.related_to_major)
    assert got == (expected, expected, expected), f"{value!r} → {got}"


@pytest.mark.parametrize(("value", "expected"), [("yes", "yes"), ("True", "yes"), ("OFF", "no"), ("false", "no")])
def test_yes_no_field(value: str, expected: str) -> None:
    text = replace_once(S2_TEXT, "  in_china: no", f"  in_china: {value}")
    assert load_text(text).stay.in_china == expected


def test_bad_yes_no_value() -> None:
    text = replace_once(S2_TEXT, "  recognised: yes", "  recognised: maybe")
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'recognised')}: home_university.recognised: 'maybe' is not allowed "
        "(use one of: yes | no | unknown)"
    ]


def test_null_spellings_are_absent() -> None:
    for spelling in ("null", "~", "Null", "NULL", ""):
        text = replace_once(S2_TEXT, "  passport_expiry: 2031-09-30", f"  passport_expiry: {spelling}")
        assert load_text(text).student.passport_expiry is None, spelling


# -- JSON ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ascii_only", [False, True], ids=["utf8", "ascii-escaped"])
def test_json_input(tmp_path: Path, ascii_only: bool) -> None:
    data = base_placement("s2-shanghai.yaml")
    data["internship"]["related_to_major"] = True  # JSON booleans for yes|no|unknown fields
    data["host"]["filed_with_exit_entry"] = False
    data["internship"]["hours_per_week"] = 40
    data["internship"]["pay"]["amount"] = 2500.5
    path = tmp_path / "placement.json"
    path.write_text(json.dumps(data, ensure_ascii=ascii_only, indent=2), encoding="utf-8")
    p, _ = loader.load(path)
    yaml_p, _ = loader.load(sample_path("s2-shanghai.yaml"))
    assert p.student == yaml_p.student
    assert p.host.name_zh == "低地贸易（上海）有限公司"
    assert p.internship.related_to_major == "yes"
    assert p.host.filed_with_exit_entry == "no"
    assert str(p.internship.pay.amount) == "2500.5"


def test_json_errors_have_lines(tmp_path: Path) -> None:
    data = base_placement("s2-shanghai.yaml")
    data["student"]["sex"] = "Q"
    path = tmp_path / "placement.json"
    text = json.dumps(data, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    needle = '"sex": "Q"'
    assert file_problems(path) == [
        f"placement.json:{line_of(text, needle)}: student.sex: 'Q' is not allowed (use one of: F | M | X)"
    ]


# -- all problems at once, and the command line --------------------------------------------------------------


def _three_errors() -> str:
    text = replace_once(S2_TEXT, "  degree: master", "  degree: phd")
    text = replace_once(text, "  start: 2027-03-01", "  start: 2027-02-30")
    return replace_once(text, "uscc: 91310115MA1K4ABC4H", "uscc: 91310115MA1K4ABC4")


def test_all_problems_at_once() -> None:
    text = _three_errors()
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'degree')}: home_university.degree: 'phd' is not allowed "
        "(did you mean doctorate? use one of: bachelor | master | doctorate | other)",
        f"{NAME}:{line_of(text, 'uscc')}: host.uscc: has 17 characters; a USCC has 18{USCC_SUFFIX}",
        f"{NAME}:{line_of(text, 'start: 2027-02-30')}: internship.start: '2027-02-30' is not a real date "
        "(check the day and month)",
    ]


def test_cli_lists_every_problem_and_exits_2(tmp_path: Path, run: Any) -> None:
    path = tmp_path / "three.yaml"
    path.write_text(_three_errors(), encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run("check", path, "--today", "2026-12-01")
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 3, lines
    assert all(line.startswith(f"Error: {path}:") for line in lines), lines
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "check wrote a file"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty (run 'internpack init' for a placement to fill in)"),
        (b"\x00\x01\x02", "is a binary file, not a YAML or JSON placement (save it as UTF-8 text)"),
        (
            b"student:\n  family_name: Peeters\n   given_names: Lotte\n",
            "3: is not valid YAML: mapping values are not allowed in this context "
            "(check the indentation and quoting around that line)",
        ),
    ],
    ids=["empty", "binary", "broken"],
)
def test_cli_bad_files(tmp_path: Path, run: Any, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    result = run("check", path)
    assert result.exit_code == 2, result.output
    sep = ":" if expected[0].isdigit() else ": "
    assert result.stderr == f"Error: {path}{sep}{expected}\n"
    assert "Traceback" not in result.output


def test_dump_helper_round_trips_pitfalls(tmp_path: Path, placement_dict: Any, write_yaml: Any, sample: Any) -> None:
    """The test helpers: YAML written by write_yaml keeps 'yes', 'NO' and '007' as the loader reads them."""
    data = placement_dict()
    assert data["home_university"]["recognised"] == "yes"  # not True: the file text was read by the loader
    data["student"]["nationality"] = "NO"
    data["home_university"]["student_id"] = "007"
    parsed, _ = loader.parse_text(dump_yaml(data), NAME)
    assert parsed == data
    placement, _ = loader.load(write_yaml(tmp_path, data))
    assert placement.student.nationality == "NO"
    assert placement.home_university is not None and placement.home_university.recognised == "yes"
    assert placement_dict() != data, "placement_dict() must return a fresh copy"
    original, _ = loader.load(sample("s2-shanghai.yaml"))
    assert placement.internship == original.internship


# -- text fields (placement.md "Text", README "Input") -----------------------------------------------------


def test_one_line_fields_are_trimmed_and_blank_runs_collapse() -> None:
    """README: in one-line fields surrounding blanks are removed and runs of spaces/tabs become one space."""
    text = replace_once(S2_TEXT, "  given_names: Lotte Marie", '  given_names: "  Lotte \\t  Marie  "')
    assert load_text(text).student.given_names == "Lotte Marie"


def test_multi_line_fields_keep_line_breaks_and_crlf_becomes_lf() -> None:
    text = replace_once(
        S2_TEXT,
        "  home_address: Naamsestraat 22, 3000 Leuven, Belgium",
        '  home_address: "Naamsestraat 22\\r\\n3000 Leuven\\rBelgium"',
    )
    assert load_text(text).student.home_address == "Naamsestraat 22\n3000 Leuven\nBelgium"


def test_template_syntax_and_markup_stay_literal() -> None:
    text = replace_once(S2_TEXT, "  position: Marketing Intern", '  position: "{{ 7*7 }} & <b>Intern</b> {% if x %}"')
    assert load_text(text).internship.position == "{{ 7*7 }} & <b>Intern</b> {% if x %}"


def test_control_character_is_an_error() -> None:
    text = replace_once(S2_TEXT, "  family_name: Peeters", '  family_name: "Pee\\ater"')
    assert problems(text) == [
        f"{NAME}:{line_of(text, 'family_name')}: student.family_name: holds the control character U+0007; remove it"
    ]
