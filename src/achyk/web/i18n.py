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
from babel.numbers import format_decimal
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


def number(value: int | Decimal, lang: str) -> str:
    return format_decimal(value, locale=lang, group_separator=True)


def percent_text(value: Decimal, lang: str) -> str:
    """A share already truncated by the tabulation, shown with exactly two decimals."""
    return format_decimal(value, format="#,##0.00", locale=lang) + "\u00a0%"


@lru_cache(maxsize=512)
def country_name(code: str, lang: str) -> str:
    """An ISO 3166-1 alpha-2 code as the language names the country (CLDR, through Babel)."""
    name = Locale.parse(lang).territories.get(code.upper())
    return str(name) if name else code
