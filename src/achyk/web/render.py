"""Rendering: one Jinja2 environment per language, and how links are written (live site or export).

Each language has its own environment with its catalog installed, so concurrent requests in different
languages never share gettext state.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from babel.support import Translations
from jinja2 import BytecodeCache, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.bccache import Bucket
from jinja2.runtime import Context
from markupsafe import Markup, escape

from achyk.disputes.labels import label
from achyk.web.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    country_name,
    number,
    percent_text,
    translations,
)
from achyk.web.reasons import reason_text

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


_STATION_PATH = re.compile(r"(e/[^/]+/)station/([^/?#]+)/")
_UNQUOTED = re.compile(r"[A-Za-z0-9_.~-]*")  # what quote() never changes


def _quoted(text: str) -> str:
    """`quote(text, safe="")`, without its work for the ids that need none (every station
    link of a district's page, in every language)."""
    return text if _UNQUOTED.fullmatch(text) else quote(text, safe="")


@dataclass(frozen=True)
class Site:
    """Where pages live. Live: /e/… with the language in a cookie; export: /<lang>/e/… files."""

    static: bool = False
    base: str = "/"
    # Export only: station → district. A published copy has one station page per language, drawn
    # in the browser from the district's file (achyk.web.station_static); links name both.
    districts: Mapping[str, str] | None = field(default=None, compare=False, hash=False)

    def page(self, lang: str, path: str) -> str:
        if not self.static:
            return f"{self.base}{path}"
        station = _STATION_PATH.fullmatch(path) if self.districts is not None else None
        if station is not None and self.districts is not None:
            district = self.districts.get(station[2], "")
            return (f"{self.base}{lang}/{station[1]}station/?s={_quoted(station[2])}"
                    f"&d={_quoted(district)}")  # fmt: skip
        return f"{self.base}{lang}/{path}"

    def switch(self, path: str, to: str) -> str:
        return self.page(to, path) if self.static else f"{self.base}{path}?lang={to}"

    def asset(self, name: str) -> str:
        return f"{self.base}static/{name}"

    def data(self, path: str) -> str:
        return f"{self.base}{path}"


class _SharedBytecode(BytecodeCache):
    """Compiled templates shared by the languages' environments, in memory: they differ only in
    the catalog and filters, which a template looks up when it runs, so each template is
    compiled once (about a tenth of a second for the overview's) rather than once a language."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code


_BYTECODE = _SharedBytecode()


def warm(templates: tuple[str, ...] = ("overview.html",)) -> None:
    """Compile `templates` (and what they include) now: the first page after `achyk serve`
    starts then waits for no compiler, whatever its language."""
    env = environment(LANGUAGES[0])
    for name in templates:
        env.get_template(name)
    for name in env.list_templates(filter_func=lambda n: n.startswith("_") or n == "base.html"):
        env.get_template(name)


@lru_cache(maxsize=len(LANGUAGES))
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        bytecode_cache=_BYTECODE,
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    catalog = translations(lang)
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = _gettext(catalog)
    # A complaint's status, category, body, decision or filer, in words of this language.
    # Each takes the context (unused) so that the compiler never folds a constant through it:
    # compiled code is shared by the languages (_SharedBytecode) and must hold no language.
    env.filters["dispute"] = pass_context(lambda _, v: catalog.gettext(label(v)))
    env.filters["num"] = pass_context(lambda _, v: number(v, lang))
    env.filters["pct"] = pass_context(_percent(lang))
    env.filters["country"] = pass_context(lambda _, code: country_name(str(code), lang))
    env.filters["reason"] = pass_context(lambda _, text: reason_text(str(text), lang))
    env.globals["unit_rows"] = unit_rows
    env.globals["option_rows"] = option_rows
    return env


_escaped: dict[str, str] = {}


def _escape_few(text: str) -> str:
    """`escape(text)` of the texts a table repeats (figures as words, shares, colours, option
    names: a few thousand), each escaped once."""
    hit = _escaped.get(text)
    if hit is None:
        if len(_escaped) >= 100_000:  # bounded all the same
            _escaped.clear()
        hit = _escaped[text] = str(escape(text))
    return hit


@pass_context
def unit_rows(context: Context, rows: Sequence[Any], child_level: str) -> Markup:
    """The rows of the children table (_macros.html), each exactly as the template's loop wrote
    it, without its newline after the last row (the template line's own). A published copy
    draws some 11,000 such tables (every district's stations, in every language), and Jinja's
    attribute lookups, filters and escapes row by row were a tenth of its work. Every value is
    escaped as `{{ … }}` escapes it (a whole number's or a share's digits need none), the texts
    come through the template's own `_` and filters: a live page and a published one are what
    they were."""
    env = context.environment
    lang, site = context["lang"], context["site"]
    gettext: Callable[..., Markup] = env.globals["_"]  # type: ignore[assignment]
    num, pct, country = env.filters["num"], env.filters["pct"], env.filters["country"]
    abroad = gettext(context, "Abroad")
    against_all = gettext(context, "Against all")
    not_yet = gettext(context, "not yet reported")
    few = _escape_few
    out = []
    for row in rows:
        r = row.result
        c = r.counted
        if row.id == "abroad":
            name = str(abroad)
        elif child_level == "country":
            name = escape(country(context, row.id))
        else:
            name = escape(row.name)
        annulled = ""
        if r.annulled:
            said = (
                gettext(context, "annulled")
                if child_level == "station"
                else gettext(context, "%(n)s annulled", n=num(context, r.annulled))
            )
            annulled = (
                f'<br><span class="annulled" data-annulled="{int(r.annulled)}">'
                f"{escape(said)}</span>"
            )
        turnout = r.turnout_pct
        leader = row.leader
        if leader:
            share = leader.share_pct
            lead_value = str(escape(leader.id + " " + str(share)))  # `~` joins str() of each
            lead = (
                f'<span class="swatch" style="background: {few(leader.colour)}" '
                f'aria-hidden="true"></span>'
                f"{against_all if leader.id == 'against-all' else few(leader.name)}"
                f" ({few(pct(context, share))})"
            )
        else:
            lead_value, lead = "", str(not_yet)
        out.append(
            f'    <tr data-unit="{escape(row.id)}">\n'
            f'      <th scope="row"><a href="{escape(site.page(lang, row.path))}">'
            f"{name}</a></th>\n"
            f'      <td class="n"><span data-field="stations_reported" '
            f'data-value="{int(c.stations)}">{few(num(context, c.stations))}</span> / '
            f'<span data-field="stations_expected" data-value="{int(r.stations_expected)}">'
            f"{few(num(context, r.stations_expected))}</span>{annulled}</td>\n"
            f'      <td class="n"><span data-field="turnout_pct" data-value="{turnout!s}">'
            f"{few(pct(context, turnout))}</span></td>\n"
            f'      <td data-field="leader" data-value="{lead_value}">{lead}</td>\n'
            f"    </tr>"
        )
    return Markup("\n".join(out))


def _gettext(catalog: Translations) -> Callable[..., str]:
    """The templates' `_()`: what jinja2.ext.i18n's newstyle `_` gives (the catalog's text, as
    Markup where the template escapes, always %-formatted with the keyword arguments), without
    its alias's two extra calls through the context, and each text without arguments formatted
    once per language: a published copy calls `_()` some two million times on 40 texts."""
    memo: dict[tuple[str, bool], str] = {}

    @pass_context
    def gettext(context: Context, string: str, **variables: Any) -> str:
        autoescape = bool(context.eval_ctx.autoescape)
        if not variables:
            hit = memo.get((string, autoescape))
            if hit is None:
                text = catalog.gettext(string)
                hit = memo[(string, autoescape)] = (Markup(text) if autoescape else text) % {}
            return hit
        text = catalog.gettext(string)
        formatted: str = (Markup(text) if autoescape else text) % variables
        return formatted

    return gettext


def _percent(lang: str) -> Callable[[Any, Any], str]:
    """The `pct` filter: a share as `percent_text` writes it, remembered by its digits (shares
    have two decimals at most: a few thousand texts, each written once per language)."""
    memo: dict[str, str] = {}

    def pct(_: Any, v: Any) -> str:
        digits = str(v)
        hit = memo.get(digits)
        if hit is None:
            if len(memo) >= 100_000:  # not expected (two decimals); bounded all the same
                memo.clear()
            hit = memo[digits] = percent_text(Decimal(digits), lang)
        return hit

    return pct


# Unit names the tabulation makes in code (not from the definition): a page titled so is titled in
# the page's language.
NAMES_IN_CODE = frozenset({"Abroad"})


def _title(lang: str, context: dict[str, Any]) -> Any:
    title = context.get("title")
    if context.get("level") == "country" and isinstance(context.get("unit_id"), str):
        return country_name(context["unit_id"], lang)
    return translations(lang).gettext(title) if title in NAMES_IN_CODE else title


def render(template: str, lang: str, site: Site, path: str, **context: Any) -> str:
    env = environment(lang)
    if "title" in context:
        context["title"] = _title(lang, context)
    return env.get_template(template).render(
        lang=lang,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        site=site,
        path=path,
        **context,
    )


def freshness_text(lang: str, fresh: Any) -> str:
    """The freshness line in `lang`, as every page shows it (live events carry it too)."""
    return " ".join(environment(lang).get_template("_fresh.html").render(fresh=fresh).split())


@pass_context
def option_rows(context: Context, view: Any) -> Markup:
    """The rows of a results table (_macros.html), each exactly as the template's loop wrote it,
    without the newline after the last row (the template line's own), as `unit_rows`: every
    unit page of a published copy has one, an option a row, in every language."""
    env = context.environment
    gettext: Callable[..., Markup] = env.globals["_"]  # type: ignore[assignment]
    num, pct = env.filters["num"], env.filters["pct"]
    few = _escape_few
    against_all = str(gettext(context, "Against all"))
    winners, contest = view.winners, view.contest
    elected = ""
    if winners:
        said = gettext(context, "elected (provisional)" if winners.provisional else "elected")
        elected = f' <strong class="elected">✓ {escape(said)}</strong>'
    threshold = contest.threshold_pct
    mark = f'<i class="threshold" style="left: {escape(threshold)}%"></i>' if threshold > 0 else ""
    seats = view.seats_total is not None
    flag = (
        ' <span class="flag">≠</span><span class="sr">'
        f"{escape(gettext(context, 'differs from the scanner count'))}</span>"
    )
    out = []
    for row in view.rows:
        against = row.id == "against-all"
        name = against_all if against else few(row.name)
        share, colour = row.share_pct, few(row.colour)
        seat = ""
        if seats:
            if against:
                seat = '<td class="n">—</td>'
            else:
                shown = escape(num(context, row.seats)) if row.seats else "—"
                seat = f'<td class="n" data-field="seats" data-value="{escape(row.seats)}">{shown}</td>'
        scanner = few(num(context, row.scanner)) if row.scanner is not None else "—"
        hand = few(num(context, row.hand)) if row.hand is not None else "—"
        differs = row.differs
        difference = row.difference
        if difference is not None:
            diff = ("+" if difference > 0 else "") + few(num(context, difference))
        else:
            diff = "—"
        cls = "n differs" if differs else "n"
        out.append(
            f'    <tr data-option="{escape(row.id)}">\n'
            f'      <th scope="row"><span class="swatch" style="background: {colour}" '
            f'aria-hidden="true"></span>{name}'
            f"{elected if winners and row.id in winners.elected else ''}</th>\n"
            f'      <td class="n" data-field="votes" data-value="{escape(row.votes)}">'
            f"{few(num(context, row.votes))}</td>\n"
            f'      <td class="n share"><span data-field="share_pct" data-value="{escape(share)}">'
            f"{few(pct(context, share))}</span>\n"
            f'        <span class="bar" aria-hidden="true"><span style="width: {escape(share)}%; '
            f'background: {colour}"></span>{"" if against else mark}</span></td>\n'
            f'{seat}      <td class="n">{scanner}</td>\n'
            f'      <td class="{cls}">{hand}{flag if differs else ""}</td>\n'
            f'      <td class="{cls}" data-field="difference">{diff}</td>\n'
            f"    </tr>"
        )
    return Markup("\n".join(out))
