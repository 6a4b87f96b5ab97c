"""The children and results tables' rows written in Python (render.unit_rows, option_rows) are
the rows the template's loops wrote, character for character: every language, live and
published, each kind of child, names that need escaping, annulled stations, units with no leader
yet; seats or none, the elected (provisional or not), thresholds, counts that differ or are
missing."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace as NS

import pytest

from achyk.web.i18n import LANGUAGES
from achyk.web.render import Site, environment

# The loop as _macros.html had it before the rows were written in Python.
LOOP = """\
  <tbody>
  {% for row in rows %}
    <tr data-unit="{{ row.id }}">
      <th scope="row"><a href="{{ site.page(lang, row.path) }}">{{ _("Abroad") if row.id == "abroad" else (row.id|country if child_level == "country" else row.name) }}</a></th>
      <td class="n"><span data-field="stations_reported" data-value="{{ row.result.counted.stations }}">{{ row.result.counted.stations|num }}</span> / <span data-field="stations_expected" data-value="{{ row.result.stations_expected }}">{{ row.result.stations_expected|num }}</span>{% if row.result.annulled %}<br><span class="annulled" data-annulled="{{ row.result.annulled }}">{% if child_level == "station" %}{{ _("annulled") }}{% else %}{{ _("%(n)s annulled", n=row.result.annulled|num) }}{% endif %}</span>{% endif %}</td>
      <td class="n"><span data-field="turnout_pct" data-value="{{ row.result.turnout_pct }}">{{ row.result.turnout_pct|pct }}</span></td>
      <td data-field="leader" data-value="{{ row.leader.id ~ ' ' ~ row.leader.share_pct if row.leader else '' }}">{% if row.leader %}<span class="swatch" style="background: {{ row.leader.colour }}" aria-hidden="true"></span>{{ _("Against all") if row.leader.id == "against-all" else row.leader.name }} ({{ row.leader.share_pct|pct }}){% else %}{{ _("not yet reported") }}{% endif %}</td>
    </tr>
  {% endfor %}
  </tbody>
"""
NOW = """\
  <tbody>
{{ unit_rows(rows, child_level) }}
  </tbody>
"""


def _row(uid: str, name: str, path: str, stations: int, expected: int, annulled: int,
         turnout: str, leader: NS | None) -> NS:  # fmt: skip
    result = NS(counted=NS(stations=stations), stations_expected=expected, annulled=annulled,
                turnout_pct=Decimal(turnout))  # fmt: skip
    return NS(id=uid, name=name, path=path, result=result, leader=leader)


def _leader(oid: str, name: str, share: str, colour: str = "#1f77b4") -> NS:
    return NS(id=oid, name=name, share_pct=Decimal(share), colour=colour)


ROWS = {
    "station": [
        _row(
            "1001",
            "School <No. 5> & \"Sons\" 'x'",
            "e/el/station/1001/",
            1,
            1,
            0,
            "61.25",
            _leader("a", "Party <A> & co", "43.10"),
        ),
        _row("1002", "Гимназия", "e/el/station/1002/", 1, 1, 1, "0", None),
        _row("1 003", "odd id", "e/el/station/1 003/", 0, 1, 0, "0.00", None),
        _row(
            "1004",
            "against",
            "e/el/station/1004/",
            1,
            1,
            0,
            "100",
            _leader("against-all", "ignored", "50.5", "#595959"),
        ),
    ],
    "district": [
        _row(
            "d1",
            "District & 1",
            "e/el/district/d1/",
            1234,
            2000,
            3,
            "48.7",
            _leader("b", "Б", "12.00"),
        ),
        _row("d2", "District 2", "e/el/district/d2/", 0, 15, 0, "0", None),
    ],
    "region": [
        _row("abroad", "Abroad", "e/el/region/abroad/", 5, 9, 0, "7.25", _leader("a", "A", "1")),
        _row(
            "r1",
            "Region",
            "e/el/region/r1/",
            100000,
            100000,
            2,
            "99.99",
            _leader("c", "C", "33.33"),
        ),
    ],
    "country": [
        _row("TR", "TR", "e/el/country/TR/", 3, 4, 0, "12.5", _leader("a", "A", "60")),
        _row("DE", "DE", "e/el/country/DE/", 0, 2, 1, "0", None),
    ],
}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("child_level", sorted(ROWS))
@pytest.mark.parametrize("static", [True, False])
def test_the_rows_are_the_loop_s(lang: str, child_level: str, static: bool) -> None:
    env = environment(lang)
    districts = {"1001": "d1", "1002": "d1", "1 003": "d 2"} if static else None
    site = Site(static=static, base="/", districts=districts)
    context = {"rows": ROWS[child_level], "child_level": child_level, "site": site, "lang": lang}
    before = env.from_string(LOOP).render(**context)
    assert env.from_string(NOW).render(**context) == before
    assert "&lt;" in before or child_level != "station"  # a name that needed escaping


OPTION_LOOP = """\
  <tbody>
  {% for row in view.rows %}
    <tr data-option="{{ row.id }}">
      <th scope="row"><span class="swatch" style="background: {{ row.colour }}" aria-hidden="true"></span>{{ _("Against all") if row.id == "against-all" else row.name }}{% if view.winners and row.id in view.winners.elected %} <strong class="elected">✓ {{ _("elected (provisional)") if view.winners.provisional else _("elected") }}</strong>{% endif %}</th>
      <td class="n" data-field="votes" data-value="{{ row.votes }}">{{ row.votes|num }}</td>
      <td class="n share"><span data-field="share_pct" data-value="{{ row.share_pct }}">{{ row.share_pct|pct }}</span>
        <span class="bar" aria-hidden="true"><span style="width: {{ row.share_pct }}%; background: {{ row.colour }}"></span>{% if view.contest.threshold_pct > 0 and row.id != "against-all" %}<i class="threshold" style="left: {{ view.contest.threshold_pct }}%"></i>{% endif %}</span></td>
      {% if view.seats_total is not none %}{% if row.id == "against-all" %}<td class="n">—</td>{% else %}<td class="n" data-field="seats" data-value="{{ row.seats }}">{{ row.seats|num if row.seats else "—" }}</td>{% endif %}{% endif %}
      <td class="n">{{ row.scanner|num if row.scanner is not none else "—" }}</td>
      <td class="n{% if row.differs %} differs{% endif %}">{{ row.hand|num if row.hand is not none else "—" }}{% if row.differs %} <span class="flag">≠</span><span class="sr">{{ _("differs from the scanner count") }}</span>{% endif %}</td>
      <td class="n{% if row.differs %} differs{% endif %}" data-field="difference">{% if row.difference is not none %}{{ "+" if row.difference > 0 else "" }}{{ row.difference|num }}{% else %}—{% endif %}</td>
    </tr>
  {% endfor %}
  </tbody>
"""
OPTION_NOW = """\
  <tbody>
{% if view.rows %}
{{ option_rows(view) }}
{% endif %}
  </tbody>
"""


def _option(oid: str, name: str, votes: int, share: str, scanner: int | None, hand: int | None,
            seats: int | None = None, differs: bool = False) -> NS:  # fmt: skip
    difference = None if hand is None or scanner is None else hand - scanner
    return NS(id=oid, name=name, votes=votes, share_pct=Decimal(share), scanner=scanner,
              hand=hand, colour="#1f77b4", seats=seats, differs=differs,
              difference=difference)  # fmt: skip


OPTIONS = [
    _option("a", "Party <A> & 'co'", 1234567, "45.67", 1234000, 1234567, 12, True),
    _option("b", "Б", 0, "0", None, None, 0),
    _option("c", "C", 10, "0.01", 12, 10, None),
    _option("against-all", "ignored", 99, "3.5", 99, 99),
]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("seats_total", [None, 20])
@pytest.mark.parametrize("winners", [None, NS(elected={"a"}, provisional=True),
                                     NS(elected={"c", "against-all"}, provisional=False)])  # fmt: skip
@pytest.mark.parametrize("threshold", ["0", "5", "7.5"])
def test_the_option_rows_are_the_loop_s(
    lang: str, seats_total: int | None, winners: NS | None, threshold: str
) -> None:
    env = environment(lang)
    contest = NS(threshold_pct=Decimal(threshold))
    for rows in (OPTIONS, OPTIONS[1:2], []):
        view = NS(rows=rows, winners=winners, contest=contest, seats_total=seats_total)
        context = {"view": view, "site": Site(), "lang": lang}
        before = env.from_string(OPTION_LOOP).render(**context)
        assert env.from_string(OPTION_NOW).render(**context) == before
