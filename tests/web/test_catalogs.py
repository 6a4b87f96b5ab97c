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
