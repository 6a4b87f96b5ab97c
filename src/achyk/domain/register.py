"""The voter register and check-in rules, pure: keyed hashes, the register commitment, decisions.

A personal number never leaves the import step in clear: it becomes ``HMAC-SHA256(secret, purpose ||
number)`` under the CEC's secret, so a stolen register is useless without the key, and nobody can test
"did this person vote?" without it either. The commitment the CEC logs is the count of voters per
station and the RFC 9162 Merkle root over the register's entries sorted by hash; each entry is the
ASCII bytes ``<hex voter hash>:<station id>``, so a voter who is shown their hash can be given an
inclusion proof of their place on the list.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from achyk.domain import signed_request
from achyk.domain.personal_number import PersonalNumberError, birth_date_of
from achyk.ledger import EMPTY_ROOT

VOTER_HASH_PURPOSE = b"achyk/voter/v1\n"
CHECKIN_PURPOSE = "achyk/checkin/v1"
JOURNAL_PURPOSE = "achyk/checkin-journal/v1"
# Election day is read on the clock of Bishkek and Astana (UTC+6): "voted at 10:42" and turnout
# "by hour" mean local hours there, whatever the server's own zone.
ELECTION_TZ: tzinfo = timezone(timedelta(hours=6), "UTC+06")
VOTING_AGE = 18


class VoterEntry(NamedTuple):
    """One register line as imported (a NamedTuple: millions are built, so it must be cheap)."""

    personal_number: str
    name: str
    birth_date: date
    station_id: str
    abroad_country: str | None = None


class VoterHasher:
    """HMAC-SHA256 (RFC 2104) of personal numbers under the CEC secret.

    The keyed inner and outer SHA-256 states are computed once and copied per number: the same
    bytes as ``hmac.new(secret, purpose + number, sha256)``, at half the cost, which matters for a
    register of millions.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the register secret must be at least 16 bytes")
        key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
        key = key.ljust(64, b"\x00")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key) + VOTER_HASH_PURPOSE)
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def __call__(self, personal_number: str) -> bytes:
        inner = self._inner.copy()
        inner.update(personal_number.encode("ascii"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


def voter_hash(secret: bytes, personal_number: str) -> bytes:
    return VoterHasher(secret)(personal_number)


def adult_on(born: date, day: date) -> bool:
    """Of voting age on `day` (a birthday on 29 February counts from 1 March in other years)."""
    years = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    return years >= VOTING_AGE


def register_leaf(voter: bytes, station_id: str) -> bytes:
    return voter.hex().encode() + b":" + station_id.encode()


@dataclass(frozen=True)
class RegisterCommitment:
    election_id: str
    voters_per_station: Mapping[str, int]
    merkle_root: str  # hex
    count: int

    def to_entry(self) -> dict[str, Any]:
        return {
            "kind": "register-commitment",
            "election": self.election_id,
            "voters_per_station": dict(sorted(self.voters_per_station.items())),
            "merkle_root": self.merkle_root,
            "count": self.count,
        }

    def to_entries(self, max_stations: int = 2_000) -> list[dict[str, Any]]:
        """The commitment as log entries: one, or — for a country of many thousand stations —
        numbered parts (a log entry holds at most 64 KiB), each with the root and the count."""
        stations = sorted(self.voters_per_station.items())
        if len(stations) <= max_stations:
            return [self.to_entry()]
        chunks = [stations[i : i + max_stations] for i in range(0, len(stations), max_stations)]
        return [
            {**self.to_entry(), "voters_per_station": dict(chunk), "part": n + 1,
             "parts": len(chunks)}
            for n, chunk in enumerate(chunks)
        ]  # fmt: skip


def commit_register(
    election_id: str, sorted_entries: Iterable[tuple[bytes, str]]
) -> RegisterCommitment:
    """The commitment over (voter hash, station) pairs given in ascending hash order."""
    per_station: dict[str, int] = {}
    tags: dict[str, bytes] = {}
    level: list[bytes] = []
    previous = b""
    sha = hashlib.sha256
    for voter, station in sorted_entries:
        if voter <= previous:
            raise ValueError("register entries must come in strictly ascending hash order")
        previous = voter
        tag = tags.get(station)
        if tag is None:
            tag = tags[station] = b":" + station.encode()
        # RFC 9162 leaf hash SHA-256(0x00 || entry), inlined: millions of calls.
        level.append(sha(b"\x00" + voter.hex().encode() + tag).digest())
        per_station[station] = per_station.get(station, 0) + 1
    count = len(level)
    if not level:
        return RegisterCommitment(election_id, per_station, EMPTY_ROOT.hex(), 0)
    # Pairing level by level, promoting an odd last node, is RFC 9162's MTH (as in
    # achyk.ledger.root_from_leaf_hashes), with the node hash inlined.
    while len(level) > 1:
        odd = level[-1] if len(level) % 2 else None
        level = [
            sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if odd is not None:
            level.append(odd)
    return RegisterCommitment(election_id, per_station, level[0].hex(), count)


# --- check-in ---------------------------------------------------------------------------------


class Channel(StrEnum):
    STATION = "station"
    MOBILE = "mobile"  # the mobile ballot box carried to voters at home
    REMOTE = "remote"  # internet voting from abroad


class Refusal(StrEnum):
    NOT_REGISTERED = "not-registered"
    OTHER_STATION = "other-station"
    ALREADY_VOTED = "already-voted"
    BIOMETRIC_MISMATCH = "biometric-mismatch"
    BAD_NUMBER = "bad-personal-number"
    MALFORMED = "malformed-entry"  # a journal entry that cannot be read: kept, not judged


@dataclass(frozen=True)
class PriorVote:
    station_id: str
    channel: Channel
    at: datetime


class MatchResult(NamedTuple):
    """What the station's fingerprint/face matcher concluded for the voter in front of it.

    (A NamedTuple: immutable, and cheap enough to make for each of millions of voters.)"""

    matched: bool
    score: float  # 0..1


class BiometricMatcher(Protocol):
    def match(self, personal_number: str, sample: bytes) -> MatchResult: ...


@dataclass(frozen=True)
class SimulatedMatcher:
    """Deterministic stand-in for a matcher: a stable share of voters fails the first attempt."""

    seed: bytes = b"achyk-sim"
    false_reject_per_mille: int = 5
    threshold: float = 0.6
    _key32: int = field(init=False, repr=False, compare=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_key32", zlib.crc32(b"matcher\n" + self.seed))

    def match(self, personal_number: str, sample: bytes) -> MatchResult:
        # CRC-32 is no cryptography, and needs none here: it only has to be stable and cheap.
        draw = zlib.crc32(sample, zlib.crc32(personal_number.encode(), self._key32))
        if draw % 1000 < self.false_reject_per_mille:
            score = self.threshold * (draw >> 12 & 0xFFFF) / 0x10000
        else:
            score = self.threshold + (1 - self.threshold) * (draw >> 12 & 0xFFFF) / 0x10000
        return MatchResult(score >= self.threshold, round(score, 4))


def clock(at: datetime, tz: tzinfo = ELECTION_TZ) -> str:
    return at.astimezone(tz).strftime("%H:%M")


@dataclass(frozen=True)
class Decision:
    accepted: bool
    reason: Refusal | None = None
    message: str = "ballot issued"


def refusal_message(
    reason: Refusal, prior: PriorVote | None = None, home: str | None = None
) -> str:
    if reason is Refusal.ALREADY_VOTED and prior is not None:
        how = "" if prior.channel is Channel.STATION else f" ({prior.channel.value} channel)"
        return f"already voted at station {prior.station_id}{how} at {clock(prior.at)}"
    if reason is Refusal.OTHER_STATION and home is not None:
        return f"registered at station {home}, not at this one"
    return {
        Refusal.NOT_REGISTERED: "not on the register of this election",
        Refusal.BIOMETRIC_MISMATCH: "biometric check failed: the voter was not identified",
        Refusal.BAD_NUMBER: "not a valid personal number",
        Refusal.MALFORMED: "a malformed journal entry",
        Refusal.OTHER_STATION: "registered at another station",
        Refusal.ALREADY_VOTED: "already voted",
    }[reason]


def decide(
    home_station: str | None,
    station_id: str,
    prior: PriorVote | None,
    match: MatchResult,
    *,
    open_here: bool = False,
) -> Decision:
    """The check-in rule, in the order a poll worker applies it.

    On the list (after Form 2 moves) of *this* station — or the station is open to every voter on
    the register (``open_here``: a station abroad where the law lets any citizen vote, see
    :attr:`achyk.domain.definition.Election.abroad_any_station`) — not yet voted in any channel,
    identified. The order matters for what the voter is told: someone who already voted hears
    that first.
    """
    if home_station is None:
        return Decision(False, Refusal.NOT_REGISTERED, refusal_message(Refusal.NOT_REGISTERED))
    if prior is not None:
        return Decision(False, Refusal.ALREADY_VOTED, refusal_message(Refusal.ALREADY_VOTED, prior))
    if home_station != station_id and not open_here:
        msg = refusal_message(Refusal.OTHER_STATION, home=home_station)
        return Decision(False, Refusal.OTHER_STATION, msg)
    if not match.matched:
        msg = refusal_message(Refusal.BIOMETRIC_MISMATCH)
        return Decision(False, Refusal.BIOMETRIC_MISMATCH, msg)
    return Decision(True)


def request_message(method: str, path: str, body: bytes, timestamp: str, nonce: str) -> bytes:
    """What a station device signs for one API request: binds the body to a time and a nonce."""
    return signed_request.request_message(CHECKIN_PURPOSE, method, path, body, timestamp, nonce)


def check_entry(
    entry: VoterEntry, stations: Mapping[str, str | None], election_day: date
) -> list[str]:
    """What is wrong with one register line against the election (empty when nothing).

    ``stations`` maps each station id to its country (None at home).
    """
    try:
        born = birth_date_of(entry.personal_number)
    except PersonalNumberError as err:
        # Without a digit of it: an error message is shown, logged, mailed — and a mistyped
        # number is still almost someone's number.
        return [f"personal number: {err.reason}"]
    country = stations.get(entry.station_id, "?")
    if (
        born == entry.birth_date
        and country == entry.abroad_country
        and entry.name
        and adult_on(born, election_day)
    ):
        return []  # the common case, decided in one pass
    problems: list[str] = []
    if born != entry.birth_date:
        # Not the date the number holds: that is the real person's birth date.
        problems.append("the birth date is not the one the personal number holds")
    if not adult_on(born, election_day):
        problems.append(f"under {VOTING_AGE} on election day {election_day.isoformat()}")
    if not entry.name.strip():
        problems.append("name is empty")
    if entry.station_id not in stations:
        problems.append(f"no station {entry.station_id!r} in the election")
    elif country != entry.abroad_country:
        if country is None:
            problems.append(
                f"station {entry.station_id} is at home, but the voter is registered abroad "
                f"({entry.abroad_country})"
            )
        else:
            problems.append(
                f"station {entry.station_id} is abroad ({country}); the voter's country is "
                f"{entry.abroad_country or 'empty'}"
            )
    return problems
