"""Personal numbers: the Kyrgyz 14-digit PIN and the Kazakh 12-digit IIN.

Kyrgyz PIN (ПИН, assigned by the civil registry, grs.gov.kg): ``G DDMMYYYY NNNNN`` — a sex digit
(1 female, 2 male), the birth date as day, month and four-digit year, and a five-digit serial.
It carries no check digit, so only its structure and date can be checked.

Kazakh IIN (ИИН, Government decree No. 565 of 11 June 2003, egov.kz): ``YYMMDD C NNNN K`` — the birth
date, a digit for century and sex (1/2: 1800s, 3/4: 1900s, 5/6: 2000s; odd male, even female), a
four-digit serial and a check digit. The check digit is the weighted sum of the first eleven digits
with weights 1..11 modulo 11; when that is 10 the sum is taken again with weights 3..11, 1, 2; a
second 10 means no IIN is issued with those eleven digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from achyk.errors import AchykError


class NumberKind(StrEnum):
    KG_PIN = "kg-pin"
    KZ_IIN = "kz-iin"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class PersonalNumberError(AchykError):
    """A string is not a well-formed personal number; the message says which part is wrong.

    ``reason`` says the same without a digit of the input, for answers that must carry no
    personal data (a mistyped number is still almost someone's number).
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PersonalNumber:
    value: str
    kind: NumberKind
    birth_date: date
    sex: Sex


_IIN_W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_IIN_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_IIN_CENTURY = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}


@lru_cache(maxsize=65536)
def _date(year: int, month: int, day: int) -> date | None:
    # A register holds millions of numbers but only tens of thousands of distinct birth dates.
    try:
        return date(year, month, day)
    except ValueError:
        return None


def iin_check_digit(first11: str) -> int | None:
    """The IIN check digit of eleven digits, or None when no IIN can carry them."""
    if len(first11) != 11 or not (first11.isascii() and first11.isdigit()):
        raise PersonalNumberError(f"{first11!r}: an IIN check digit needs eleven digits",
                                  "an IIN check digit needs eleven digits")  # fmt: skip
    digits = [ord(c) - 48 for c in first11]
    check = sum(d * w for d, w in zip(digits, _IIN_W1, strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, _IIN_W2, strict=True)) % 11
    return None if check == 10 else check


def _kg_birth(value: str) -> date:
    if len(value) != 14 or not (value.isascii() and value.isdigit()):
        raise PersonalNumberError(
            f"{value!r}: a Kyrgyz PIN is 14 digits", "a Kyrgyz PIN is 14 digits"
        )
    if value[0] not in "12":
        raise PersonalNumberError(f"{value}: first digit {value[0]} is not a sex code (1 or 2)",
                                  "the first digit is not a sex code (1 or 2)")  # fmt: skip
    born = _pin_date(value[1:9])
    if born is None:
        raise PersonalNumberError(f"{value}: {value[1:9]} is not a date (DDMMYYYY)",
                                  "digits 2–9 are not a date (DDMMYYYY)")  # fmt: skip
    return born


@lru_cache(maxsize=65536)
def _pin_date(ddmmyyyy: str) -> date | None:
    return _date(int(ddmmyyyy[4:8]), int(ddmmyyyy[2:4]), int(ddmmyyyy[0:2]))


def parse_kg_pin(text: str) -> PersonalNumber:
    value = text.strip()
    born = _kg_birth(value)
    sex = Sex.FEMALE if value[0] == "1" else Sex.MALE
    return PersonalNumber(value, NumberKind.KG_PIN, born, sex)


def birth_date_of(text: str) -> date:
    """Check a PIN or IIN and return its birth date (the fast path of a register import)."""
    if len(text) == 14:
        return _kg_birth(text)
    return parse_personal_number(text).birth_date


def parse_kz_iin(text: str) -> PersonalNumber:
    value = text.strip()
    if len(value) != 12 or not (value.isascii() and value.isdigit()):
        raise PersonalNumberError(
            f"{value!r}: a Kazakh IIN is 12 digits", "a Kazakh IIN is 12 digits"
        )
    century = _IIN_CENTURY.get(value[6])
    if century is None:
        raise PersonalNumberError(f"{value}: digit 7 ({value[6]}) is not a century/sex code 1–6",
                                  "digit 7 is not a century/sex code 1–6")  # fmt: skip
    born = _date(century + int(value[0:2]), int(value[2:4]), int(value[4:6]))
    if born is None:
        raise PersonalNumberError(f"{value}: {value[0:6]} is not a date (YYMMDD)",
                                  "digits 1–6 are not a date (YYMMDD)")  # fmt: skip
    check = iin_check_digit(value[:11])
    if check is None:
        raise PersonalNumberError(f"{value}: no IIN is issued with these first eleven digits",
                                  "no IIN is issued with these first eleven digits")  # fmt: skip
    if check != int(value[11]):
        raise PersonalNumberError(f"{value}: check digit is {value[11]}, expected {check}",
                                  "the check digit does not match")  # fmt: skip
    sex = Sex.MALE if int(value[6]) % 2 else Sex.FEMALE
    return PersonalNumber(value, NumberKind.KZ_IIN, born, sex)


def parse_personal_number(text: str) -> PersonalNumber:
    """A PIN (14 digits) or an IIN (12 digits), told apart by length."""
    value = text.strip()
    if len(value) == 14:
        return parse_kg_pin(value)
    if len(value) == 12:
        return parse_kz_iin(value)
    raise PersonalNumberError(
        f"{value!r}: a personal number is a 14-digit PIN or a 12-digit IIN, not {len(value)} characters",
        f"a personal number is a 14-digit PIN or a 12-digit IIN, not {len(value)} characters",
    )


def make_kg_pin(sex: Sex, born: date, serial: int) -> str:
    """A structurally valid PIN (simulations and tests)."""
    if not 0 <= serial <= 99_999:
        raise ValueError("a PIN serial has five digits")
    return f"{1 if sex is Sex.FEMALE else 2}{born:%d%m%Y}{serial:05d}"


def make_kz_iin(sex: Sex, born: date, serial: int) -> str | None:
    """A valid IIN with its check digit, or None when these digits cannot carry one."""
    if not 0 <= serial <= 9_999:
        raise ValueError("an IIN serial has four digits")
    if not 1800 <= born.year <= 2099:
        raise ValueError("an IIN encodes birth years 1800–2099")
    code = (born.year // 100 - 18) * 2 + (1 if sex is Sex.MALE else 2)
    first11 = f"{born:%y%m%d}{code}{serial:04d}"
    check = iin_check_digit(first11)
    return None if check is None else first11 + str(check)
