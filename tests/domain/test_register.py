"""Register rules: keyed hashes, the commitment's Merkle root, check-in decisions, request bytes."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from achyk.domain.register import (
    Channel,
    MatchResult,
    PriorVote,
    Refusal,
    SimulatedMatcher,
    VoterEntry,
    VoterHasher,
    adult_on,
    check_entry,
    commit_register,
    decide,
    register_leaf,
    request_message,
)
from achyk.ledger import root

OK = MatchResult(True, 0.9)


def test_voter_hash_is_hmac_sha256_of_purpose_and_number() -> None:
    # RFC 4231 test case 2 checks our HMAC construction byte for byte (key "Jefe").
    msg = b"what do ya want for nothing?"
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert hmac.new(b"Jefe", msg, hashlib.sha256).hexdigest() == expected
    for secret in (b"s" * 16, b"k" * 64, b"long" * 40):  # short, block-sized, hashed-first keys
        h = VoterHasher(secret)
        for number in ("21506199000123", "871008401427"):
            want = hmac.new(secret, b"achyk/voter/v1\n" + number.encode(), hashlib.sha256)
            assert h(number) == want.digest()
    with pytest.raises(ValueError):
        VoterHasher(b"short")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.binary(min_size=32, max_size=32), st.sampled_from("ABC")),
                unique_by=lambda t: t[0], max_size=70))  # fmt: skip
def test_commitment_root_is_rfc9162_over_sorted_entries(pairs: list[tuple[bytes, str]]) -> None:
    pairs.sort()
    c = commit_register("e", pairs)
    assert c.merkle_root == root([register_leaf(v, s) for v, s in pairs]).hex()
    assert c.count == len(pairs)
    assert sum(c.voters_per_station.values()) == len(pairs)


def test_commitment_refuses_unsorted_or_repeated_hashes() -> None:
    with pytest.raises(ValueError):
        commit_register("e", [(b"\x02" * 32, "A"), (b"\x01" * 32, "A")])
    with pytest.raises(ValueError):
        commit_register("e", [(b"\x01" * 32, "A"), (b"\x01" * 32, "B")])


def test_decision_order_and_messages() -> None:
    prior = PriorVote("1043", Channel.STATION, datetime(2025, 11, 30, 4, 42, tzinfo=UTC))
    assert decide(None, "1", None, OK).reason is Refusal.NOT_REGISTERED
    # someone who already voted hears that first, wherever they are
    d = decide("1", "2", prior, OK)
    assert (d.reason, d.message) == (
        Refusal.ALREADY_VOTED,
        "already voted at station 1043 at 10:42",
    )
    assert decide("1", "2", None, OK).reason is Refusal.OTHER_STATION
    assert decide("1", "1", None, MatchResult(False, 0.2)).reason is Refusal.BIOMETRIC_MISMATCH
    assert decide("1", "1", None, OK).accepted
    remote = PriorVote("9001", Channel.REMOTE, prior.at)
    assert decide("1", "1", remote, OK).message == (
        "already voted at station 9001 (remote channel) at 10:42"
    )


def test_voting_age_counts_the_birthday() -> None:
    day = date(2025, 11, 30)
    assert adult_on(date(2007, 11, 30), day)
    assert not adult_on(date(2007, 12, 1), day)


def test_entry_checks_name_every_problem() -> None:
    stations = {"1001": None, "9001": "RU"}
    day = date(2025, 11, 30)
    good = VoterEntry("21506199000123", "A", date(1990, 6, 15), "1001")
    assert check_entry(good, stations, day) == []
    wrong = VoterEntry("21506199000123", "", date(1990, 6, 16), "9001")
    found = check_entry(wrong, stations, day)
    assert len(found) == 3
    assert any("is not the one the personal number holds" in f for f in found)
    assert any("abroad (RU)" in f for f in found)
    assert not any("1990" in f for f in found)  # no birth date in an error (issue 18)
    assert check_entry(good._replace(station_id="7"), stations, day) == [
        "no station '7' in the election"
    ]


def test_simulated_matcher_is_deterministic_and_rejects_a_few() -> None:
    m = SimulatedMatcher(seed=b"t", false_reject_per_mille=50)
    results = [m.match(f"{i:014d}", b"1") for i in range(2000)]
    assert results == [SimulatedMatcher(seed=b"t", false_reject_per_mille=50).match(
        f"{i:014d}", b"1") for i in range(2000)]  # fmt: skip
    rejected = sum(not r.matched for r in results)
    assert 40 < rejected < 160  # about 5 % of 2,000


def test_request_message_binds_every_part() -> None:
    base = request_message("POST", "/p", b"{}", "1700000000", "nonce-1")
    for variant in (
        request_message("GET", "/p", b"{}", "1700000000", "nonce-1"),
        request_message("POST", "/q", b"{}", "1700000000", "nonce-1"),
        request_message("POST", "/p", b"{ }", "1700000000", "nonce-1"),
        request_message("POST", "/p", b"{}", "1700000001", "nonce-1"),
        request_message("POST", "/p", b"{}", "1700000000", "nonce-2"),
    ):
        assert variant != base


def test_a_large_commitment_is_logged_in_parts_that_fit_a_log_entry() -> None:
    """kz-2023 has ~10,200 stations: one entry would pass the 64 KiB tlog-tiles limit."""
    from achyk.canonical import canonical_json
    from achyk.domain.register import RegisterCommitment

    per_station = {f"{10_000 + i}": 1_000 + i for i in range(10_200)}
    c = RegisterCommitment("kz-2023", per_station, "ab" * 32, sum(per_station.values()))
    parts = c.to_entries()
    assert len(parts) == 6 and all(len(canonical_json(p)) < 65_535 for p in parts)
    assert [p["part"] for p in parts] == [1, 2, 3, 4, 5, 6] and {p["parts"] for p in parts} == {6}
    merged: dict[str, int] = {}
    for p in parts:
        merged |= p["voters_per_station"]
    assert merged == per_station
