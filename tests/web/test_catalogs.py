"""Every string the templates translate has a translation in Russian, Kyrgyz and Kazakh."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from achyk.web.i18n import LOCALE_DIR
from achyk.web.render import TEMPLATES

# A call with or without keyword arguments: _("text") and _("%(n)s of %(m)s", n=..., m=...).
_CALL = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*[,)]""")


def _template_strings() -> set[str]:
    found = set()
    for path in TEMPLATES.glob("*.html"):
        for double, single in _CALL.findall(path.read_text("utf-8")):
            found.add(double or single)
    return found


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_every_template_string_is_in_the_catalog(lang: str) -> None:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    strings = _template_strings()
    assert len(strings) > 100
    missing = sorted(s for s in strings if s not in catalog)
    assert not missing, missing
    if lang != "en":  # English falls back to the msgid
        untranslated = sorted(s for s in strings if not catalog[s].string)
        assert not untranslated, untranslated


@pytest.mark.parametrize("lang", ["ru", "ky", "kk", "en"])
def test_every_catalog_is_well_formed(lang: str) -> None:
    """A msgid without its msgstr, or a msgstr left without its msgid by a merge, is refused
    (Babel otherwise only warns, and GNU msgfmt refuses the file)."""
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        read_po(f, locale=lang, abort_invalid=True)
    # Babel takes a msgstr with no msgid above it silently; GNU msgfmt calls it a syntax error
    lines = (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").read_text("utf-8").splitlines()
    orphans = []
    for n, line in enumerate(lines):
        if line.startswith("msgstr"):
            above = n - 1
            while above >= 0 and lines[above].startswith('"'):
                above -= 1
            if above < 0 or not lines[above].startswith(("msgid", "msgstr[")):
                orphans.append(n + 1)
    assert not orphans, f"msgstr without its msgid on lines {orphans}"
