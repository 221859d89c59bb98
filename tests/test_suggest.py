"""'Did you mean' for enumerations and countries: one function for placement files and cohort sheets."""

from __future__ import annotations

import pytest
from conftest import apply, base_placement, to_source

from generator import loader, suggest
from generator.errors import InputError


@pytest.mark.parametrize(
    ("path", "typed", "meant"),
    [
        ("student.nationality", "Belgium", "BE"),
        ("student.nationality", "Netherlands", "NL"),
        ("student.nationality", "België", "BE"),
        ("student.nationality", "Luxemburg", "LU"),
        ("student.sex", "female", "F"),
        ("home_university.degree", "MSc", "master"),
        ("host.zone", "qianhai", "qianhai-shekou"),
        ("internship.pay.kind", "stipend", "allowance"),
        ("expenses.covers", ["housing"], "accommodation"),
        ("stay.entry_status", "visa exempt", "visa-free"),
    ],
)
def test_did_you_mean_in_a_placement_file(path: str, typed: object, meant: str) -> None:
    with pytest.raises(InputError) as info:
        loader.validate(to_source(apply(base_placement(), {path: typed})))
    line = next(x for x in info.value.lines() if path in x)
    assert f"did you mean {meant}?" in line, line


def test_did_you_mean_in_a_cohort_row() -> None:
    """A sheet row goes through the same loader: the same hint, with its row and column."""
    data = apply(base_placement(), {"internship.pay.kind": "stipend"})
    source = loader.Source(name="cohort.csv", data=data, lines={}, sha256="", row=7)
    with pytest.raises(InputError) as info:
        loader.validate(source)
    (line,) = info.value.lines()
    assert "row 7" in line and "internship.pay.kind" in line and "did you mean allowance?" in line, line


def test_no_guess_for_nonsense() -> None:
    assert suggest.value(("internship", "pay", "kind"), "zzzz", ["none", "allowance", "salary"]) is None
    assert suggest.country("Atlantis") is None
    with pytest.raises(InputError) as info:
        loader.validate(to_source(apply(base_placement(), {"internship.pay.kind": "zzzz"})))
    assert "did you mean" not in info.value.lines()[0]
