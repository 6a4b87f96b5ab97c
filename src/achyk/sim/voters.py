"""A synthetic voter register for a simulated election, and its election-day check-ins.

Reproducible from the profile: voter ``i`` always gets the same personal number, valid for the
profile's country (a Kyrgyz PIN, or a Kazakh IIN with its check digit). Numbers are unique by
construction: the serial is ``i`` modulo the serial range and the birth date is chosen in the
residue class of ``i // range`` modulo the number of such blocks, so two voters never share both.
The persons are invented; every one is named "Synthetic voter".
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from achyk.domain.personal_number import iin_check_digit
from achyk.domain.register import ELECTION_TZ, Channel, VoterEntry
from achyk.sim.generator import SimElection


def register_secret(sim: SimElection) -> bytes:
    """The simulated CEC's register secret (a real CEC keeps its own out of every database)."""
    p = sim.profile
    return hashlib.sha256(f"achyk-sim/{p.name}/{p.seed}/register-secret".encode()).digest()


@dataclass(frozen=True)
class StationSlice:
    station_id: str
    country: str | None
    first: int  # index of the station's first voter
    count: int  # registered voters
    issued_in: int  # ballots issued in the station (protocol line), i.e. station check-ins
    issued_out: int  # ballots issued outside it: the mobile box
    device: str


class VoterNumbers:
    """Voter index → personal number and birth date, for one profile."""

    def __init__(self, sim: SimElection, total: int) -> None:
        self.iin = sim.profile.name.startswith("kz")
        day = date.fromisoformat(sim.election.date)
        youngest = date(day.year - 18, day.month, 1) - timedelta(days=1)
        self.oldest = date(1935, 1, 1)
        self.days = (youngest - self.oldest).days
        self.serials = 10_000 if self.iin else 100_000
        self.blocks = max(1, -(-total // self.serials))
        if self.days // self.blocks < 2:
            raise ValueError("too many voters for distinct simulated personal numbers")
        self.choices = self.days // self.blocks
        self._dates: dict[int, tuple[date, str]] = {}

    def _day(self, index: int) -> tuple[date, str]:
        found = self._dates.get(index)
        if found is None:
            d = self.oldest + timedelta(days=index)
            found = self._dates[index] = (d, f"{d:%y%m%d}" if self.iin else f"{d:%d%m%Y}")
        return found

    def number(self, i: int) -> tuple[str, date]:
        block, serial = divmod(i, self.serials)
        k = (i * 2654435761) % self.choices
        female = i % 2
        if not self.iin:
            born, text = self._day(block + self.blocks * k)
            return f"{2 - female}{text}{serial:05d}", born
        for step in range(self.choices):
            born, text = self._day(block + self.blocks * ((k + step) % self.choices))
            code = (born.year // 100 - 18) * 2 + (2 if female else 1)
            first11 = f"{text}{code}{serial:04d}"
            check = iin_check_digit(first11)
            if check is not None:
                return first11 + str(check), born
        raise ValueError(f"no valid IIN for voter {i}")  # pragma: no cover - 1 in 121 per step


def station_slices(sim: SimElection) -> list[StationSlice]:
    """Each station's voters and how many of them were issued ballots (from its protocol)."""
    issued: dict[str, tuple[int, int]] = {}
    for _source, raw in sim.submissions:
        doc = json.loads(raw)["protocol"]
        if doc.get("contest") == "list" and doc["station"] not in issued:
            issued[doc["station"]] = (int(doc["issued_in_station"]), int(doc["issued_outside"]))
    backups = {sw.station_id: sw.to_device for sw in sim.switches}
    out, first = [], 0
    for place in sim.election.stations():
        st = place.station
        inside, outside = issued.get(st.id, (0, 0))
        outside = min(outside, st.registered_voters)
        inside = min(inside, st.registered_voters - outside)
        device = backups.get(st.id, f"asu-{st.id}-a")
        out.append(StationSlice(st.id, st.country, first, st.registered_voters, inside,
                                outside, device))  # fmt: skip
        first += st.registered_voters
    return out


def register_entries(
    sim: SimElection,
    slices: list[StationSlice],
    voted: list[str] | None = None,
    total: int | None = None,
) -> Iterator[VoterEntry]:
    """Every voter of `slices`; the numbers of those issued ballots are kept in `voted`.

    `total` is the size of the whole register when `slices` is only part of it.
    """
    number = VoterNumbers(sim, total if total is not None else sum(s.count for s in slices)).number
    # tuple.__new__ skips the NamedTuple's Python-level constructor: millions of entries are made.
    entry, name = tuple.__new__, "Synthetic voter"
    for s in slices:
        station, country = s.station_id, s.country
        turnout_end = s.first + s.issued_in + s.issued_out
        for i in range(s.first, turnout_end):
            pin, born = number(i)
            if voted is not None:
                voted.append(pin)
            yield entry(VoterEntry, (pin, name, born, station, country))
        for i in range(turnout_end, s.first + s.count):
            pin, born = number(i)
            yield entry(VoterEntry, (pin, name, born, station, country))


# Share of the day's check-ins in each hour from 08:00 to 19:00: a morning and an evening peak.
_HOURLY = (5, 8, 10, 10, 9, 8, 7, 7, 8, 10, 11, 7)


def checkin_times(sim: SimElection, n: int = 8192) -> list[datetime]:
    """A pool of election-day times (local 08:00–19:59) drawn from the hourly profile."""
    rng = random.Random(sim.profile.seed * 31 + 7)
    day = date.fromisoformat(sim.election.date)
    start = datetime(day.year, day.month, day.day, 8, tzinfo=ELECTION_TZ)
    hours = rng.choices(range(12), weights=_HOURLY, k=n)
    return [start + timedelta(hours=h, seconds=rng.randrange(3600)) for h in hours]


def voter_checkins(
    sim: SimElection,
    slices: list[StationSlice],
    voted: list[str] | None = None,
    total: int | None = None,
) -> Iterator[tuple[str, str, str, datetime, Channel]]:
    """(personal number, station, device, time, channel) of every voter issued a ballot.

    `voted` is what :func:`register_entries` kept for these slices; without it the numbers are
    generated again, and `total` is the size of the whole register when `slices` is only part.
    """
    numbers = VoterNumbers(sim, total if total is not None else sum(s.count for s in slices))
    times = checkin_times(sim)
    n = 0
    for s in slices:
        for j in range(s.issued_in + s.issued_out):
            i = s.first + j
            number = voted[n] if voted is not None else numbers.number(i)[0]
            n += 1
            channel = Channel.STATION if j < s.issued_in else Channel.MOBILE
            yield number, s.station_id, s.device, times[i % len(times)], channel
