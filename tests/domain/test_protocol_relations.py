"""Every control relation of the station protocol, each broken on its own and named in the error."""

from __future__ import annotations

from typing import Any

import pytest

from achyk.domain.protocol import check_against_election, check_relations, protocol_from_json
from factories import election, protocol_doc


def problems_of(doc: dict[str, Any]) -> list[str]:
    protocol, shape = protocol_from_json(doc)
    if protocol is None:
        return [str(p) for p in shape]
    return [
        str(p) for p in check_relations(protocol) + check_against_election(protocol, election())
    ]


def test_a_correct_protocol_has_no_problems() -> None:
    assert problems_of(protocol_doc()) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # issued + cancelled = received
        ({"cancelled": 399}, "line 2 (ballots received): 1000 ≠ issued in station 580 + issued outside 20 + cancelled 399 = 999"),
        # valid + invalid = ballots found
        ({"invalid": 12}, "line 9 (valid ballots): valid 590 + invalid 12 = 602 ≠ ballots found 600"),
        # ballots found ≤ ballots issued
        ({"found_stationary": 590, "valid": 600, "votes": {"a": 310, "b": 200, "c": 80, "against-all": 10}},
         "ballots found: 610 found in boxes > 600 ballots issued"),
        # mobile boxes hold no more than was issued outside
        ({"found_mobile": 25, "found_stationary": 575}, "line 6 (ballots found in mobile boxes): 25 > 20 ballots issued outside the station"),
        # voters who received ballots ≤ voters on the list
        ({"voters_on_list": 599}, "ballots issued: 600 voters received ballots > 599 voters on the list"),
        # no negative line
        ({"cancelled": -1}, "line 5 (ballots cancelled): -1 is negative"),
    ],
)  # fmt: skip
def test_each_broken_relation_is_named(change: dict[str, Any], expected: str) -> None:
    found = problems_of(protocol_doc(**change))
    assert any(expected in p for p in found), found


def test_sum_of_option_votes_must_equal_valid() -> None:
    doc = protocol_doc(votes={"a": 300, "b": 199, "c": 80, "against-all": 10})
    assert problems_of(doc) == ["line 9 (valid ballots): 590 ≠ sum of option votes 589"]


def test_every_broken_relation_is_reported_not_just_the_first() -> None:
    doc = protocol_doc(cancelled=399, invalid=12, voters_on_list=10)
    found = problems_of(doc)
    assert len(found) == 3, found  # received, valid + invalid vs found, issued vs list


def test_ballot_lines_must_match_the_contest() -> None:
    doc = protocol_doc(votes={"a": 300, "b": 200, "z": 80, "against-all": 10})
    found = problems_of(doc)
    assert "votes: missing line for 'c'" in found
    assert "votes: 'z' is not on the ballot" in found


def test_against_all_is_a_line_only_where_the_contest_has_it() -> None:
    doc = protocol_doc(contest="d1", station="1001", votes={"x": 330, "y": 250, "against-all": 10})
    assert "votes: 'against-all' is not on the ballot" in problems_of(doc)


def test_a_station_outside_a_district_contest_is_refused() -> None:
    doc = protocol_doc(contest="d1", station="2001")
    assert "contest: station 2001 (district s1) does not vote in d1" in problems_of(doc)


def test_unknown_station_and_shape_errors_name_the_field() -> None:
    assert "station: no station '7777' in this election" in problems_of(
        protocol_doc(station="7777")
    )
    doc = protocol_doc()
    doc["valid"] = "590"
    del doc["kind"]
    doc["extra"] = 1
    found = problems_of(doc)
    assert "valid: required (a whole number), got '590'" in found
    assert "kind: required (a non-empty string)" in found
    assert "extra: unknown field" in found


def test_booleans_are_not_counts() -> None:
    assert "invalid: required (a whole number), got True" in problems_of(protocol_doc(invalid=True))
