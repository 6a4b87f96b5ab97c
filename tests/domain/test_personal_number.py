"""Personal numbers against published examples.

Kazakh IINs: the structure and check-digit rule of Government decree No. 565 (11 June 2003), as
described on egov.kz; the valid numbers and their dates/sexes below are the public examples used
by the kaz-person-id library's tests (citing serj.ws/salyk), the py-kz-validators README
("791028302728") and kz-iin-validator README ("061211600012", whose first pass gives 10 and so
exercises the second weight set). Kyrgyz PINs: 14 digits, sex digit (1 female, 2 male), DDMMYYYY,
five-digit serial — the layout assigned by the civil registry (grs.gov.kg); no check digit.
"""

from __future__ import annotations

from datetime import date

import pytest

from achyk.domain.personal_number import (
    NumberKind,
    PersonalNumberError,
    Sex,
    iin_check_digit,
    make_kg_pin,
    make_kz_iin,
    parse_kg_pin,
    parse_kz_iin,
    parse_personal_number,
)

PUBLISHED_IINS = [
    ("871008401427", date(1987, 10, 8), Sex.FEMALE),
    ("760212350620", date(1976, 2, 12), Sex.MALE),
    ("800416300257", date(1980, 4, 16), Sex.MALE),
    ("680503450037", date(1968, 5, 3), Sex.FEMALE),
    ("800416100254", date(1880, 4, 16), Sex.MALE),  # century digit 1: the 1800s
    ("680503250034", date(1868, 5, 3), Sex.FEMALE),
    ("791028302728", date(1979, 10, 28), Sex.MALE),
    ("061211600012", date(2006, 12, 11), Sex.FEMALE),
]


@pytest.mark.parametrize(("iin", "born", "sex"), PUBLISHED_IINS)
def test_published_iins_are_valid_with_their_date_and_sex(iin: str, born: date, sex: Sex) -> None:
    parsed = parse_kz_iin(iin)
    assert (parsed.kind, parsed.birth_date, parsed.sex) == (NumberKind.KZ_IIN, born, sex)
    assert parse_personal_number(iin) == parsed
    assert make_kz_iin(sex, born, int(iin[7:11])) == iin


def test_second_weight_pass_is_used_when_the_first_gives_ten() -> None:
    digits = [int(c) for c in "06121160001"]
    assert sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11 == 10
    assert iin_check_digit("06121160001") == 2


@pytest.mark.parametrize("iin", [iin for iin, _, _ in PUBLISHED_IINS])
def test_every_single_digit_change_of_the_check_digit_is_caught(iin: str) -> None:
    for d in "0123456789":
        if d != iin[-1]:
            with pytest.raises(PersonalNumberError, match="check digit"):
                parse_kz_iin(iin[:-1] + d)


def test_iin_structure_errors_are_named() -> None:
    with pytest.raises(PersonalNumberError, match="12 digits"):
        parse_kz_iin("87100840142")
    with pytest.raises(PersonalNumberError, match="century/sex"):
        parse_kz_iin("871008701427")
    with pytest.raises(PersonalNumberError, match="not a date"):
        parse_kz_iin("871308401427")


def test_an_iin_whose_both_passes_give_ten_does_not_exist() -> None:
    # Search the serials of one birth date for the rare case; the rule says none is issued.
    impossible = [
        s for s in range(2000)
        if iin_check_digit(f"8710084{s:04d}") is None
    ]  # fmt: skip
    assert impossible
    assert make_kz_iin(Sex.FEMALE, date(1987, 10, 8), impossible[0]) is None


def test_kyrgyz_pin_layout() -> None:
    pin = parse_kg_pin("21506199000123")
    assert (pin.kind, pin.sex, pin.birth_date) == (NumberKind.KG_PIN, Sex.MALE, date(1990, 6, 15))
    assert parse_kg_pin("10102200212345").sex is Sex.FEMALE
    assert make_kg_pin(Sex.MALE, date(1990, 6, 15), 123) == "21506199000123"
    for bad, why in [
        ("31506199000123", "sex code"),
        ("23102199000123", "not a date"),
        ("2150619900012", "14-digit PIN or a 12-digit IIN"),
        ("2150619900012x", "14 digits"),
    ]:
        with pytest.raises(PersonalNumberError, match=why):
            parse_personal_number(bad)
