"""Protocol forms as data: each country's lines and relations, refusing or flagging as its law does.

The Russian form is the State Duma precinct protocol (Federal Law 20-FZ art. 79; 67-FZ art. 67-68):
lines 3 (early voting), 11 (lost) and 12 (not accounted for on receipt), and the balance
received = issued + cancelled + lost − unaccounted. The Kyrgyz and Kazakh forms are in
src/achyk/formats/forms/ with their sources.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from achyk.domain.definition import Election
from achyk.domain.forms import OnFail, parse_relation
from achyk.domain.protocol import Protocol, check_protocol, protocol_from_json
from achyk.domain.submission import examine
from achyk.domain.tabulation import tabulate
from achyk.errors import DefinitionError
from achyk.formats.definition import definition_hash, election_from_document, election_to_document
from achyk.formats.protocol_forms import preset
from factories import election, protocol_doc


def on_form(form: str) -> Election:
    """The test election with `form`, loaded through the definition file as a CEC would."""
    doc = election_to_document(election())
    doc["form"] = form
    return election_from_document(doc)


def ru_doc(**lines: Any) -> dict[str, Any]:
    """A Russian-form protocol with early voting, lost and unaccounted ballots; balanced.

    received 1500 = early 30 + in station 900 + outside 50 + cancelled 515 + lost 7 − unaccounted 2.
    """
    doc = protocol_doc(votes={"a": 500, "b": 300, "c": 150, "against-all": 10})
    doc.update(form="ru-duma", voters_on_list=2000, ballots_received=1500, issued_early=30,
               issued_in_station=900, issued_outside=50, cancelled=515, lost=7, unaccounted=2,
               found_mobile=50, found_stationary=925, invalid=15, valid=960)  # fmt: skip
    doc.update(lines)
    return doc


def judge(e: Election, doc: dict[str, Any]) -> tuple[Protocol | None, list[str], list[str]]:
    p, shape = protocol_from_json(doc, e.form, strict=True)
    if p is None:
        return None, [str(x) for x in shape], []
    refusals, flags = check_protocol(p, e.form)
    return p, [str(x) for x in refusals], [str(x) for x in flags]


def test_a_russian_protocol_with_early_lost_and_unaccounted_ballots_is_accepted() -> None:
    e = on_form("ru-duma")
    p, refusals, flags = judge(e, ru_doc())
    assert p is not None and refusals == [] and flags == []
    assert dict(p.extra) == {"issued_early": 30, "lost": 7, "unaccounted": 2}
    # Early voters received ballots too: they count in turnout (980 of 2000, not 950).
    assert p.issued == 980
    r = tabulate(e, [p]).national("list")
    assert r is not None and r.counted.issued == 980 and str(r.turnout_pct) == "49.00"


def test_the_russian_balance_names_the_laws_line_numbers() -> None:
    _, refusals, _ = judge(on_form("ru-duma"), ru_doc(lost=6))
    assert refusals == [
        "line 2 (ballots received by the precinct commission): 1500 ≠ line 3 30 + line 4 900 "
        "+ line 5 50 + line 6 515 + line 11 6 − line 12 2 = 1499"
    ]


def test_more_ballots_found_than_issued_is_flagged_not_refused_on_the_russian_form() -> None:
    # 990 ballots in the boxes, 980 issued: the law counts it (with an act); achyk flags it.
    doc = ru_doc(found_stationary=940, valid=975,
                 votes={"a": 510, "b": 305, "c": 150, "against-all": 10})  # fmt: skip
    p, refusals, flags = judge(on_form("ru-duma"), doc)
    assert p is not None and refusals == []
    assert flags == [
        "line 7 + line 8: line 7 50 + line 8 940 = 990 > line 3 30 + line 4 900 + line 5 50 = 980"
    ]
    r = tabulate(on_form("ru-duma"), [p]).national("list")
    assert r is not None and r.counted.votes_for("a") == 510  # counted


@pytest.mark.parametrize("form", ["kg", "kz"])
def test_kg_and_kz_flag_more_ballots_found_than_issued(form: str) -> None:
    e = on_form(form)
    doc = protocol_doc(form=form, found_stationary=590, valid=600,
                       votes={"a": 310, "b": 200, "c": 80, "against-all": 10})  # fmt: skip
    if form == "kg":
        doc.update(issued_early=0, took_part=600)
    p, refusals, flags = judge(e, doc)
    assert p is not None and refusals == []
    assert len(flags) == 1 and "610" in flags[0] and "600" in flags[0], flags


def test_kg_form_numbers_its_lines_as_its_law() -> None:
    e = on_form("kg")
    doc = protocol_doc(form="kg", issued_early=5, took_part=600, ballots_received=1005)
    _, refusals, _ = judge(e, doc)
    # took part (line 6) must be early + in station + outside = 605
    assert refusals == [
        "line 6 (voters who took part): 600 ≠ line 3 5 + line 4 580 + line 5 20 = 605"
    ]


def test_kz_balance_refuses_with_kz_numbers() -> None:
    _, refusals, _ = judge(on_form("kz"), protocol_doc(form="kz", cancelled=399))
    assert refusals == [
        "line 2 (ballots received by the precinct commission): 1000 ≠ line 3 580 + line 4 20 "
        "+ line 5 399 = 999"
    ]


def test_a_protocol_must_be_on_its_elections_form() -> None:
    _, problems, _ = judge(on_form("ru-duma"), protocol_doc())
    assert any(p.startswith("form: this election's protocols are on form 'ru-duma'")
               for p in problems)  # fmt: skip
    assert (
        "line 3 (ballots issued to voters who voted early) [issued_early]: required (a whole "
        "number), got None" in problems
    )
    # …and a standard election takes no form's lines
    _, problems, _ = judge(election(), ru_doc())
    assert "form: unknown field" in problems and "lost: unknown field" in problems


def test_examine_returns_flags_and_accepts() -> None:
    import json

    from factories import envelope

    doc = ru_doc(found_stationary=940, valid=975,
                 votes={"a": 510, "b": 305, "c": 150, "against-all": 10})  # fmt: skip
    result = examine(on_form("ru-duma"), json.loads(envelope(doc)))
    assert result.ok and len(result.flags) == 1


def test_a_definition_without_a_form_keeps_its_document_and_hash() -> None:
    e = election()
    doc = election_to_document(e)
    assert "form" not in doc
    assert definition_hash(election_from_document(doc)) == definition_hash(e)


def test_a_preset_is_written_out_in_full_and_round_trips() -> None:
    e = on_form("ru-duma")
    doc = election_to_document(e)
    assert doc["form"]["id"] == "ru-duma" and len(doc["form"]["lines"]) == 12
    assert "20-FZ" in doc["form"]["source"]
    again = election_from_document(doc)
    assert again.form == e.form and definition_hash(again) == definition_hash(e)
    assert definition_hash(e) != definition_hash(election())


def test_a_form_in_full_is_validated_with_paths() -> None:
    doc = election_to_document(election())
    form = election_to_document(on_form("kz"))["form"]
    form["lines"] = [x for x in form["lines"] if x["key"] != "cancelled"]
    form["relations"].append({"check": "valid = lots + votes", "on_fail": "flag"})
    form["relations"].append({"check": "valid valid", "on_fail": "refuse"})
    doc["form"] = form
    with pytest.raises(DefinitionError) as err:
        election_from_document(doc)
    text = str(err.value)
    assert "form.lines: the form has no line for 'cancelled'" in text
    assert "form.relations[0].check: 'cancelled' is not a line of the form" in text
    assert "form.relations[6].check: 'lots' is not a line of the form" in text
    assert "form.relations[7].check: a relation has exactly one of =, <=, >=" in text
    doc["form"] = "xx"
    with pytest.raises(DefinitionError, match="no preset 'xx'"):
        election_from_document(doc)


def test_relations_parse_as_written() -> None:
    assert parse_relation("a + b - c <= d") == (((1, "a"), (1, "b"), (-1, "c")), "<=",
                                                 ((1, "d"),))  # fmt: skip
    for bad in ("a + = b", "a b = c", "a = b = c", "a = ", "A = b"):
        with pytest.raises(ValueError):
            parse_relation(bad)


def test_every_preset_refuses_its_arithmetic_and_flags_its_inequalities() -> None:
    for name in ("kg", "kz", "ru-duma"):
        form = preset(name)
        assert form.source
        for r in form.relations:
            expected = OnFail.REFUSE if r.op == "=" else OnFail.FLAG
            assert r.on_fail is expected, (name, r.text)


def test_the_standard_form_is_unchanged_for_a_protocol_without_a_form() -> None:
    e = replace(election())
    p, refusals, flags = judge(e, protocol_doc(found_stationary=590, valid=600,
                               votes={"a": 310, "b": 200, "c": 80, "against-all": 10}))  # fmt: skip
    assert p is not None and flags == []
    assert refusals == ["ballots found: 610 found in boxes > 600 ballots issued"]


# A real 2021 State Duma station (federal district, 14 lists), as an observer of the Golos
# movement's SMS-CIK reported it on 20.09.2021 (sms-cik.org/results/34338): line 1 voters on the
# list 1674, line 9 invalid 21, and the 14 list lines below. The report does not give lines 2-8,
# 11 and 12; they are filled in here so that the balance holds (early 0, no lost ballots).
DUMA_2021_LISTS = {
    "kprf": 571, "greens": 26, "ldpr": 61, "new-people": 130, "united-russia": 393,
    "sr-za-pravdu": 108, "yabloko": 218, "party-of-growth": 15, "rpss": 15,
    "communists-of-russia": 15, "civic-platform": 5, "green-alternative": 17, "rodina": 10,
    "pensioners": 39,
}  # fmt: skip


def test_a_real_2021_duma_station_on_the_russian_form() -> None:
    from achyk.domain.definition import Contest, ContestKind, Option

    base = on_form("ru-duma")
    lists = tuple(Option(k, k) for k in DUMA_2021_LISTS)
    e = replace(base, contests=(Contest("list", "Federal list", ContestKind.PARTY_LIST, 225,
                                        lists),))  # fmt: skip
    valid = sum(DUMA_2021_LISTS.values())
    assert valid == 1623
    found = valid + 21
    doc = protocol_doc(votes=dict(DUMA_2021_LISTS))
    doc.update(form="ru-duma", voters_on_list=1674, ballots_received=1700, issued_early=0,
               issued_in_station=found - 40, issued_outside=40, cancelled=1700 - found, lost=0,
               unaccounted=0, found_mobile=40, found_stationary=found - 40, invalid=21,
               valid=valid)  # fmt: skip
    p, refusals, flags = judge(e, doc)
    assert p is not None and refusals == [] and flags == []
    r = tabulate(e, [p]).national("list")
    assert r is not None
    # KPRF 571 of the 1,644 who voted: 34.73% (truncated), as a share of all who took part.
    assert str(r.share_pct("kprf")) == "34.73" and str(r.turnout_pct) == "98.20"
    # One vote off in a list line and the protocol is refused, naming line 10 and lines 13+.
    doc["votes"] = {**DUMA_2021_LISTS, "rodina": 11}
    _, refusals, _ = judge(e, doc)
    assert refusals == ["line 10 (valid ballots): 1623 ≠ 1624 (sum of lines 13+)"]


@pytest.mark.parametrize("form", ["kg", "kz"])
def test_kg_and_kz_accept_their_own_protocols(form: str) -> None:
    e = on_form(form)
    doc = protocol_doc(form=form)
    if form == "kg":  # 15 early voters, in the stationary box: took part 615 of 1000 received
        doc.update(issued_early=15, took_part=615, cancelled=385, found_stationary=595,
                   valid=605, votes={"a": 310, "b": 205, "c": 80, "against-all": 10})  # fmt: skip
    p, refusals, flags = judge(e, doc)
    assert p is not None and refusals == [] and flags == []
    r = tabulate(e, [p]).national("list")
    assert r is not None and r.counted.issued == (615 if form == "kg" else 600)
