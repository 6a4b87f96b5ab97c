"""The register and check-in services on SQLite and PostgreSQL (the `db` fixture runs both)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from achyk.domain.definition import District, Election
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.domain.register import (
    JOURNAL_PURPOSE,
    Channel,
    MatchResult,
    Refusal,
    VoterEntry,
)
from achyk.domain.tabulation import Level
from achyk.errors import InputError
from achyk.ledger import root
from achyk.services.checkin import (
    NONCES_KEPT_S,
    RESENT,
    BatchCheckin,
    DeviceAuthError,
    check_in,
    check_in_batch,
    prune_spent_nonces,
)
from achyk.services.elections import load_election
from achyk.services.journals import sync_journal
from achyk.services.register import (
    import_register,
    register_stats,
    turnout,
)
from achyk.services.register_moves import MovesRefused, move_voter
from achyk.signing import sign
from achyk.store.database import Database
from factories import _station, device_key, election

SECRET = b"test-register-secret-0123456789"
OK = MatchResult(True, 0.97)
NO = MatchResult(False, 0.12)


def pin(i: int) -> str:
    return make_kg_pin(Sex.FEMALE if i % 2 else Sex.MALE, date(1980, 1, 1 + i % 28), i)


def entries() -> list[VoterEntry]:
    out = []
    for i, station in enumerate(["1001"] * 4 + ["1002"] * 3 + ["2001"] * 2 + ["9001"]):
        country = "RU" if station == "9001" else None
        out.append(VoterEntry(pin(i), f"Voter {i}", date(1980, 1, 1 + i % 28), station, country))
    return out


def at(hh: int, mm: int) -> datetime:
    # 10:42 in Bishkek (UTC+6) is 04:42 UTC
    return datetime(2025, 11, 30, hh - 6, mm, tzinfo=UTC)


@pytest.fixture
def loaded(db: Database) -> Database:
    load_election(db, election())
    import_register(db, "test-2025", entries(), SECRET)
    return db


def test_import_commits_hashes_only_and_logs_the_commitment(loaded: Database) -> None:
    stats = register_stats(loaded, "test-2025")
    assert (stats.voters, stats.abroad, stats.committed_count) == (10, 1, 10)
    # Recompute the root independently: HMAC-SHA256 with the documented purpose prefix, entries
    # "<hex>:<station>" sorted by hash, RFC 9162 MTH.
    pairs = sorted(
        (hmac.new(SECRET, b"achyk/voter/v1\n" + e.personal_number.encode(), hashlib.sha256)
         .digest(), e.station_id)
        for e in entries()
    )  # fmt: skip
    expected = root([h.hex().encode() + b":" + st.encode() for h, st in pairs]).hex()
    assert stats.merkle_root == expected
    with loaded.session() as s:
        dump = "\n".join(
            str(row)
            for table in ("voters", "register_commitments", "checkins")
            for row in s.execute(text(f"SELECT * FROM {table}"))
        )
    assert all(e.personal_number not in dump and e.name not in dump for e in entries())
    assert stats.log_index is not None
    from achyk.services.ledger import entry

    logged = json.loads(entry(loaded, "test-2025", stats.log_index) or "{}")
    assert logged == {
        "kind": "register-commitment", "election": "test-2025", "merkle_root": expected,
        "count": 10, "voters_per_station": {"1001": 4, "1002": 3, "2001": 2, "9001": 1},
    }  # fmt: skip


def test_import_is_all_or_nothing(db: Database) -> None:
    load_election(db, election())
    bad = [*entries(), VoterEntry(pin(99), "Minor", date(2010, 5, 5), "1001")]
    bad.append(VoterEntry("12345", "Short", date(1980, 1, 1), "1001"))
    with pytest.raises(InputError) as err:
        import_register(db, "test-2025", bad, SECRET)
    where = {p.where for p in err.value.problems}
    assert where == {"entry 11", "entry 12"}
    assert register_stats(db, "test-2025").voters == 0


def test_one_vote_across_stations_and_channels(loaded: Database) -> None:
    first = check_in(loaded, "test-2025", "1001", "1001-a", pin(0), OK, SECRET, at=at(10, 42))
    assert first.accepted
    again = check_in(loaded, "test-2025", "1001", "1001-b", pin(0), OK, SECRET, at=at(11, 0))
    assert (again.accepted, again.reason) == (False, Refusal.ALREADY_VOTED)
    assert again.message == "already voted at station 1001 at 10:42"
    mobile = check_in(
        loaded, "test-2025", "1001", "1001-a", pin(1), OK, SECRET, channel=Channel.MOBILE,
        at=at(9, 5),
    )  # fmt: skip
    assert mobile.accepted
    station = check_in(loaded, "test-2025", "1001", "1001-a", pin(1), OK, SECRET)
    assert station.message == "already voted at station 1001 (mobile channel) at 09:05"


def test_refusals_name_their_reason(loaded: Database) -> None:
    other = check_in(loaded, "test-2025", "2001", "2001-a", pin(2), OK, SECRET)
    assert (other.reason, other.message) == (
        Refusal.OTHER_STATION,
        "registered at station 1001, not at this one",
    )
    stranger = check_in(loaded, "test-2025", "1001", "1001-a", pin(500), OK, SECRET)
    assert stranger.reason is Refusal.NOT_REGISTERED
    bad = check_in(loaded, "test-2025", "1001", "1001-a", "2999", OK, SECRET)
    assert bad.reason is Refusal.BAD_NUMBER
    unmatched = check_in(loaded, "test-2025", "1001", "1001-a", pin(2), NO, SECRET)
    assert unmatched.reason is Refusal.BIOMETRIC_MISMATCH
    assert check_in(loaded, "test-2025", "1001", "1001-a", pin(2), OK, SECRET).accepted
    assert register_stats(loaded, "test-2025").refusals == 4


def test_form2_moves_the_voter_before_election_day_only(loaded: Database) -> None:
    move = move_voter(loaded, "test-2025", pin(3), "9001", SECRET, today=date(2025, 11, 1))
    assert (move.from_station, move.to_station) == ("1001", "9001")
    home = check_in(loaded, "test-2025", "1001", "1001-a", pin(3), OK, SECRET)
    assert home.reason is Refusal.OTHER_STATION
    assert check_in(loaded, "test-2025", "9001", "9001-a", pin(3), OK, SECRET).accepted
    with pytest.raises(MovesRefused, match="until 2025-11-29"):
        move_voter(loaded, "test-2025", pin(4), "2001", SECRET, today=date(2025, 11, 30))
    assert register_stats(loaded, "test-2025").moves == 1


def abroad_open_election() -> Election:
    """The test election with a second station abroad, both open to every voter on the register."""
    e = election()
    abroad = e.regions[-1]
    stations = (*abroad.districts[0].stations, _station("9002", 300, "TR"))
    regions = (*e.regions[:-1], dataclasses.replace(abroad, districts=(
        District("ab", "Abroad", stations),)))  # fmt: skip
    return dataclasses.replace(e, regions=regions, abroad_any_station=True)


@pytest.mark.parametrize("path", ["signed", "batch", "journal"])
def test_stations_abroad_open_to_every_voter_when_the_law_says_so(db: Database, path: str) -> None:
    # Kyrgyzstan 2025: "Kyrgyzstanis staying abroad will be able to vote at any polling station
    # opened outside the country" (MFA, 24.kg, 2025-10-11); the voter is still counted once.
    load_election(db, abroad_open_election())
    import_register(db, "test-2025", entries(), SECRET)

    def attempt(station: str, number: str, when: datetime) -> tuple[bool, str]:
        device = f"{station}-a"
        if path == "signed":
            out = check_in(db, "test-2025", station, device, number, OK, SECRET, at=when,
                           nonce=f"n-{station}-{number}")  # fmt: skip
            return out.accepted, out.message
        if path == "batch":
            rep = check_in_batch(db, "test-2025", [BatchCheckin(number, station, device, when, OK)],
                                 SECRET)  # fmt: skip
            return rep.accepted == 1, rep.refused[0][2] if rep.refused else "ballot issued"
        rep2 = sync_journal(db, "test-2025", _journal(station, device, [(number, when)]), SECRET)
        if rep2.double_votes:  # an offline station could not refuse: the record is an incident
            first = rep2.double_votes[0].first
            return False, f"double vote, first at station {first.station_id}"
        return rep2.accepted == 1, rep2.refused[0][2] if rep2.refused else "ballot issued"

    # pin(0) is registered at home (1001) and votes in Istanbul; the station in Moscow that then
    # sees the same person names the first vote, and so does their home station.
    again = (
        "double vote, first at station 9002"
        if path == "journal"
        else "already voted at station 9002 at 10:42"
    )
    assert attempt("9002", pin(0), at(10, 42)) == (True, "ballot issued")
    assert attempt("9001", pin(0), at(11, 0)) == (False, again)
    assert attempt("1001", pin(0), at(12, 0)) == (False, again)
    # Home stations stay closed to voters of other stations.
    assert attempt("2001", pin(1), at(9, 0)) == (
        False,
        "registered at station 1001, not at this one",
    )
    # A person not on the register at all is not let in abroad either.
    assert attempt("9001", pin(500), at(9, 0))[0] is False


def test_a_replayed_nonce_is_refused(loaded: Database) -> None:
    check_in(loaded, "test-2025", "1001", "1001-a", pin(0), OK, SECRET, nonce="nonce-000001")
    with pytest.raises(DeviceAuthError, match="replayed"):
        check_in(loaded, "test-2025", "1001", "1001-a", pin(1), OK, SECRET, nonce="nonce-000001")
    assert register_stats(loaded, "test-2025").checkins == 1


def test_a_request_sent_again_after_its_answer_was_lost_gets_the_first_outcome(
    loaded: Database,
) -> None:
    first = check_in(loaded, "test-2025", "1001", "1001-a", pin(0), OK, SECRET,
                     nonce="nonce-resend-1", at=at(10, 42))  # fmt: skip
    again = check_in(loaded, "test-2025", "1001", "1001-a", pin(0), OK, SECRET,
                     nonce="nonce-resend-1", at=at(10, 43))  # fmt: skip
    assert (again.accepted, again.message, again.at) == (True, RESENT, first.at)
    # The same nonce with another voter, or long after, is a replay.
    for number, when in [(pin(1), at(10, 44)), (pin(0), at(11, 0))]:
        with pytest.raises(DeviceAuthError, match="replayed"):
            check_in(loaded, "test-2025", "1001", "1001-a", number, OK, SECRET,
                     nonce="nonce-resend-1", at=when)  # fmt: skip
    # Nonces are the device's own: another device's request is judged, and refused.
    other = check_in(loaded, "test-2025", "1001", "1001-b", pin(0), OK, SECRET,
                     nonce="nonce-resend-1", at=at(10, 44))  # fmt: skip
    assert (other.accepted, other.message) == (False, "already voted at station 1001 at 10:42")
    stats = register_stats(loaded, "test-2025")
    assert (stats.checkins, stats.refusals) == (1, 1)


def test_a_refused_request_sent_again_is_refused_again_never_issued(loaded: Database) -> None:
    # Issue 18: this resend came back "ballot issued (this request was recorded when first sent)".
    check_in(loaded, "test-2025", "1001", "1001-a", pin(0), OK, SECRET, nonce="n-first",
             at=at(10, 42))  # fmt: skip
    refused = check_in(loaded, "test-2025", "1001", "1001-a", pin(0), OK, SECRET,
                       nonce="n-second", at=at(10, 45))  # fmt: skip
    again = check_in(loaded, "test-2025", "1001", "1001-a", pin(0), OK, SECRET,
                     nonce="n-second", at=at(10, 46))  # fmt: skip
    assert refused.accepted is False and refused.reason is Refusal.ALREADY_VOTED
    assert again == refused
    stats = register_stats(loaded, "test-2025")
    assert (stats.checkins, stats.refusals) == (1, 1)


def test_spent_nonces_are_forgotten_once_too_old_to_replay(loaded: Database) -> None:
    check_in(loaded, "test-2025", "1001", "1001-a", pin(0), OK, SECRET, nonce="nonce-000001")
    sent = datetime.now(UTC)
    # Within 2 × 300 s a request with its signed timestamp could still come back: kept.
    assert prune_spent_nonces(loaded, now=sent + timedelta(seconds=600)) == 0
    with pytest.raises(DeviceAuthError, match="replayed"):
        check_in(loaded, "test-2025", "1001", "1001-a", pin(1), OK, SECRET, nonce="nonce-000001")
    # Later the signature check refuses it as stale, so the nonce is no longer needed.
    assert prune_spent_nonces(loaded, now=sent + timedelta(seconds=NONCES_KEPT_S + 5)) == 1
    assert prune_spent_nonces(loaded, now=sent + timedelta(seconds=NONCES_KEPT_S + 5)) == 0


def test_batch_records_the_eligible_and_refuses_the_rest(loaded: Database) -> None:
    check_in(loaded, "test-2025", "1002", "1002-a", pin(4), OK, SECRET, at=at(8, 15))
    items = [
        BatchCheckin(pin(0), "1001", "1001-a", at(9, 0), OK),
        BatchCheckin(pin(1), "1001", "1001-a", at(9, 1), NO),
        BatchCheckin(pin(0), "1001", "1001-b", at(9, 2), OK),  # same voter again in the batch
        BatchCheckin(pin(4), "1002", "1002-a", at(9, 3), OK),  # voted earlier
        BatchCheckin(pin(5), "2001", "2001-a", at(9, 4), OK),  # registered at 1002
        BatchCheckin(pin(6), "1002", "1002-a", at(9, 5), OK),
    ]
    report = check_in_batch(loaded, "test-2025", items, SECRET)
    assert report.accepted == 2
    assert [(i, r) for i, r, _ in report.refused] == [
        (1, Refusal.BIOMETRIC_MISMATCH),
        (2, Refusal.ALREADY_VOTED),
        (3, Refusal.ALREADY_VOTED),
        (4, Refusal.OTHER_STATION),
    ]
    assert report.refused[2][2] == "already voted at station 1002 at 08:15"
    assert register_stats(loaded, "test-2025").checkins == 3


def _journal(station: str, device: str, rows: list[tuple[str, datetime]]) -> bytes:
    doc = {
        "election": "test-2025",
        "station": station,
        "entries": [
            {"personal_number": p, "at": t.isoformat(), "channel": "station",
             "biometric": {"matched": True, "score": 0.9}}
            for p, t in rows
        ],
    }  # fmt: skip
    sig = sign(device_key(device), JOURNAL_PURPOSE, doc)
    return json.dumps({"journal": doc, "device": device, "signature": sig}).encode()


def test_offline_journal_reports_double_votes_with_both_records(loaded: Database) -> None:
    check_in(loaded, "test-2025", "1001", "1001-a", pin(0), OK, SECRET, at=at(10, 0))
    # Voter 0 also appears in the journal of a backup device of the same station.
    raw = _journal("1001", "1001-b", [(pin(0), at(10, 30)), (pin(1), at(10, 31))])
    report = sync_journal(loaded, "test-2025", raw, SECRET)
    assert (report.accepted, len(report.double_votes)) == (1, 1)
    dv = report.double_votes[0]
    assert (dv.first.device_id, dv.second.device_id) == ("1001-a", "1001-b")
    assert (dv.first.at, dv.second.at) == (at(10, 0), at(10, 30))
    assert sync_journal(loaded, "test-2025", raw, SECRET).duplicate
    assert register_stats(loaded, "test-2025").double_votes == 1
    forged = raw.replace(b"04:31", b"04:32")  # 10:31 local is 04:31 UTC
    with pytest.raises(Exception, match="signature"):
        sync_journal(loaded, "test-2025", forged, SECRET)


def test_one_malformed_journal_entry_does_not_take_the_journal_down(loaded: Database) -> None:
    # Issue 18: one unreadable entry made the whole journal a 422, and its check-ins were lost.
    doc = json.loads(_journal("1001", "1001-b", [(pin(2), at(10, 30)), (pin(3), at(10, 31))]))
    doc = doc["journal"]
    doc["entries"].insert(1, {"personal_number": pin(4), "at": "yesterday", "biometric": {}})
    doc["entries"].append(["not", "an", "entry"])
    raw = json.dumps({"journal": doc, "device": "1001-b",
                      "signature": sign(device_key("1001-b"), JOURNAL_PURPOSE, doc)}).encode()  # fmt: skip
    report = sync_journal(loaded, "test-2025", raw, SECRET)
    assert report.accepted == 2
    assert [(i, r) for i, r, _ in report.refused] == [
        (1, Refusal.MALFORMED),
        (3, Refusal.MALFORMED),
    ]
    assert all(pin(4) not in m for _, _, m in report.refused)
    stats = register_stats(loaded, "test-2025")
    assert (stats.checkins, stats.refusals) == (2, 2)


def test_turnout_by_hour_adds_up_at_every_level(loaded: Database) -> None:
    for i, (station, t) in enumerate(
        [("1001", at(8, 10)), ("1001", at(9, 59)), ("1002", at(9, 0))]
    ):
        n = [0, 1, 4][i]
        assert check_in(
            loaded, "test-2025", station, f"{station}-a", pin(n), OK, SECRET, at=t
        ).accepted
    (national,) = turnout(loaded, "test-2025", Level.NATIONAL)
    assert (national.registered, national.voted, national.turnout_pct) == (10, 3, "30.00")
    assert [(h.hour, h.voted, h.cumulative) for h in national.by_hour] == [(8, 1, 1), (9, 2, 3)]
    by_station = {u.unit: u for u in turnout(loaded, "test-2025", Level.STATION)}
    assert (by_station["1001"].registered, by_station["1001"].voted) == (4, 2)
    assert by_station["1002"].turnout_pct == "33.33"
    (north,) = turnout(loaded, "test-2025", Level.REGION, "north")
    assert (north.registered, north.voted) == (7, 3)


def test_a_large_register_commits_in_a_forked_process_to_the_same_root(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commitment computed beside the inserts (the path of multi-million registers) is the
    one computed inline: same root, same counts, same log entry."""
    from achyk.services import register as register_service

    load_election(db, election())
    inline = register_service.hash_register(election(), entries(), SECRET)
    expected = root([b.hex().encode() + b":" + s.encode() for b, s, _, _ in sorted(inline)])
    monkeypatch.setattr(register_service, "_BIG", 1)
    report = import_register(db, "test-2025", entries(), SECRET)
    assert report.commitment.merkle_root == expected.hex()
    assert dict(report.commitment.voters_per_station) == {
        "1001": 4,
        "1002": 3,
        "2001": 2,
        "9001": 1,
    }


def test_signed_requests_refused_or_accepted_alike_on_every_path(loaded: Database) -> None:
    """With a nonce (the device API's path; one statement on PostgreSQL) the outcomes are the
    ones of the ordinary path: accepted once, then refused by name, with the nonce spent."""
    first = check_in(
        loaded, "test-2025", "1001", "1001-a", pin(2), OK, SECRET, nonce="n-00000001", at=at(9, 5)
    )
    assert first.accepted
    again = check_in(loaded, "test-2025", "1002", "1002-a", pin(2), OK, SECRET, nonce="n-00000002")
    assert not again.accepted and again.message == "already voted at station 1001 at 09:05"
    twice = check_in(loaded, "test-2025", "1001", "1001-a", pin(2), OK, SECRET, nonce="n-00000003")
    assert not twice.accepted and twice.message == "already voted at station 1001 at 09:05"
    with pytest.raises(DeviceAuthError, match="replayed"):
        check_in(loaded, "test-2025", "1001", "1001-a", pin(3), OK, SECRET, nonce="n-00000003")
    stranger = check_in(
        loaded, "test-2025", "1001", "1001-a", "not-a-pin", OK, SECRET, nonce="n-00000004"
    )
    assert not stranger.accepted and stranger.reason is Refusal.BAD_NUMBER


def test_the_synchronous_check_in_also_works_inside_a_running_event_loop(
    loaded: Database,
) -> None:
    async def inside() -> bool:
        return check_in(loaded, "test-2025", "1001", "1001-a", pin(0), OK, SECRET).accepted

    assert asyncio.run(inside()) is True
