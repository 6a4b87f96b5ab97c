"""Compiled templates are shared by the languages: no language may be compiled into them."""

from __future__ import annotations

from achyk.web.i18n import LANGUAGES
from achyk.web.render import _BYTECODE, environment, warm


def test_no_filter_of_a_language_is_folded_into_compiled_code() -> None:
    sources = ["{{ 1234567|num }}", "{{ 12.5|pct }}", '{{ "KG"|country }}']
    for lang in LANGUAGES:
        env = environment(lang)
        for source in sources:
            rendered = env.from_string(source).render()
            assert rendered not in ("1234567", "12.5", "KG")  # the filter did its work
            # ... when the page renders, in its language; never computed into the code
            assert repr(rendered) not in env.compile(source, raw=True)


def test_each_template_is_compiled_once_for_every_language() -> None:
    warm()
    assert any(key for key in _BYTECODE._code)
    pages = {lang: environment(lang).get_template("_fresh.html") for lang in LANGUAGES}
    assert len({id(p) for p in pages.values()}) == len(LANGUAGES)  # one template per language
