"""Compiled templates are shared by the languages: no language may be compiled into them."""

from __future__ import annotations

from achyk.web.i18n import LANGUAGES
from achyk.web.render import _BYTECODE, environment, warm


def test_no_filter_of_a_language_is_folded_into_compiled_code() -> None:
    source = '{{ 1234567|num }} {{ 12.5|pct }} {{ "KG"|country }} {{ "x"|reason }}'
    for lang in LANGUAGES:
        env = environment(lang)
        code = env.compile(source, raw=True)
        for name in ("num", "pct", "country", "reason"):
            assert f"'{name}'" in code  # called when the page renders, in its language
        rendered = env.from_string(source).render()
        assert rendered != environment("en").from_string(source).render() or lang == "en"


def test_each_template_is_compiled_once_for_every_language() -> None:
    warm()
    assert any(key for key in _BYTECODE._code)
    pages = {lang: environment(lang).get_template("_fresh.html") for lang in LANGUAGES}
    assert len({id(p) for p in pages.values()}) == len(LANGUAGES)  # one template per language
