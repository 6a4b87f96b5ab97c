"""Languages of the site: gettext catalogs kept as .po files and read at run time with Babel.

Reading the .po text directly (no compiled .mo in the tree) means a translator's edit is live on the
next start and CI needs no compile step. Numbers are formatted by Babel with each locale's own
grouping and decimal signs (Russian, Kyrgyz and Kazakh group with a space and use a decimal comma).
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    format_decimal,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
)
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("ru", "ky", "kk", "en")
DEFAULT_LANGUAGE = "ru"
LANGUAGE_NAMES = {"ru": "Русский", "ky": "Кыргызча", "kk": "Қазақша", "en": "English"}
COOKIE = "achyk_lang"
LOCALE_DIR = Path(__file__).parent / "locale"


@lru_cache(maxsize=len(LANGUAGES))
def translations(lang: str) -> Translations:
    """The catalog of `lang` as a gettext Translations object (English falls back to msgids)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The user's explicit choice (?lang=), then the remembered one, then the browser's, then Russian."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


@lru_cache(maxsize=len(LANGUAGES))
def _signs(lang: str) -> tuple[str, str, str] | None:
    """(group, decimal, minus) of `lang` when Babel groups its whole numbers by threes and puts the
    minus in front (so `number` may format them itself), else None (Babel formats each)."""
    signs = get_group_symbol(lang), get_decimal_symbol(lang), get_minus_sign_symbol(lang)
    probes = (0, 7, 999, 1_000, 12_345, -1_234_567, 10**12)
    if all(_grouped(v, signs) == format_decimal(v, locale=lang, group_separator=True)
           for v in probes):  # fmt: skip
        return signs
    return None


def _grouped(value: int, signs: tuple[str, str, str]) -> str:
    text = f"{abs(value):,}".replace(",", signs[0])
    return signs[2] + text if value < 0 else text


def number(value: int | Decimal, lang: str) -> str:
    # Every figure of a unit page goes through here (hundreds per page, tens of thousands of
    # pages in a published copy): a whole number is grouped by str.format, Babel's own result.
    if type(value) is int:
        signs = _signs(lang)
        if signs is not None:
            return _grouped(value, signs)
    return format_decimal(value, locale=lang, group_separator=True)


_CENT = Decimal("0.01")


def percent_text(value: Decimal, lang: str) -> str:
    """A share already truncated by the tabulation, shown with exactly two decimals."""
    signs = _signs(lang)
    exponent = value.as_tuple().exponent
    if signs is not None and isinstance(exponent, int) and exponent >= -2 and value >= 0:
        # two decimals or fewer: nothing to round, so the digits are the value's own
        whole, _, cents = f"{value.quantize(_CENT):f}".partition(".")
        if not value.is_signed():
            return f"{_grouped(int(whole), signs)}{signs[1]}{cents}\u00a0%"
    return format_decimal(value, format="#,##0.00", locale=lang) + "\u00a0%"


@lru_cache(maxsize=512)
def country_name(code: str, lang: str) -> str:
    """An ISO 3166-1 alpha-2 code as the language names the country (CLDR, through Babel)."""
    name = Locale.parse(lang).territories.get(code.upper())
    return str(name) if name else code
