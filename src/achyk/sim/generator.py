"""Build a synthetic election and its station protocols from a profile, reproducibly from a seed.

Anomalies can be injected by name so that tests and the demo show what the system does with them:
`stuffing` (turnout near 98% with ~99% for one party), `broken` (a protocol that breaks a control
relation, later resent corrected), `backup` (a scanner fails and its registered backup signs).
On request (not in the default set, so the demo's figures stay as they are): `rounding` (a share
of stations report turnout and the first party's share raised to whole percentages) and `stealing`
(a share of stations move 30–60 % of the other parties' list votes to the first party). Both draw
from their own random stream, so asking for them changes nothing else.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.domain.definition import (
    Authority,
    BoardMember,
    Contest,
    ContestKind,
    Device,
    DeviceRole,
    District,
    Election,
    Option,
    PercentBase,
    Region,
    Station,
)
from achyk.domain.forms import EARLY, ProtocolForm
from achyk.domain.protocol import AGAINST_ALL, ProtocolKind
from achyk.formats.protocol_forms import preset
from achyk.signing import PROTOCOL_PURPOSE, private_key_from_seed, public_key_b64, sign
from achyk.sim import kg_names
from achyk.sim.profiles import Profile, RegionShape

ANOMALIES = ("stuffing", "broken", "backup")
OPTIONAL_ANOMALIES = (
    "rounding",
    "stealing",
)  # forensics (issue 14): planted at `share` of stations


@dataclass(frozen=True)
class DeviceSwitch:
    station_id: str
    from_device: str
    to_device: str
    reason: str


@dataclass(frozen=True)
class SimElection:
    profile: Profile
    election: Election
    submissions: tuple[tuple[str, bytes], ...]  # (source name, raw envelope), in arrival order
    switches: tuple[DeviceSwitch, ...]
    anomalies: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name → station ids
    authority_seed: bytes = b""


def _key(profile: Profile, device_id: str) -> Ed25519PrivateKey:
    return private_key_from_seed(f"achyk-sim/{profile.name}/{profile.seed}/{device_id}".encode())


def device_key(profile: Profile, device_id: str) -> Ed25519PrivateKey:
    """A simulated station device's key (derived: a synthetic election's keys are not secret)."""
    return _key(profile, device_id)


def _split(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to noisy weights, exactly (largest remainder)."""
    noisy = [w * rng.lognormvariate(0, 0.18) for w in weights]
    s = sum(noisy) or 1.0
    exact = [total * w / s for w in noisy]
    out = [int(x) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: exact[i] - out[i], reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def _hare(total: int, weights: Sequence[int], minimum: int = 1) -> list[int]:
    exact = [total * w / sum(weights) for w in weights]
    out = [max(minimum, int(x)) for x in exact]
    while sum(out) > total:
        out[out.index(max(out))] -= 1
    order = sorted(range(len(exact)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    i = 0
    while sum(out) < total:
        out[order[i % len(order)]] += 1
        i += 1
    return out


def _station(profile: Profile, rng: random.Random, sid: str, name: str, voters: int,
             country: str | None = None, city: str | None = None) -> Station:  # fmt: skip
    devices = tuple(
        Device(f"asu-{sid}-{tag}", role, public_key_b64(_key(profile, f"asu-{sid}-{tag}")))
        for tag, role in (("a", DeviceRole.SCANNER), ("b", DeviceRole.BACKUP))
    )
    place = city or name
    address = f"{place}, school No. {rng.randint(1, 120)}"
    return Station(sid, f"Station {sid}", address, voters, devices, country, city)


def build_election(profile: Profile) -> Election:
    rng = random.Random(profile.seed)
    home_voters = sum(r.voters for r in profile.regions)
    stations_per_region = _hare(profile.stations_home, [r.voters for r in profile.regions])
    districts_per_region = _hare(profile.districts, [r.voters for r in profile.regions])
    regions: list[Region] = []
    number = 1000
    district_no = 0
    t = kg_names.Translator(profile.translated)
    for shape, n_stations, n_districts in zip(
        profile.regions, stations_per_region, districts_per_region, strict=True
    ):
        sizes = _split(rng, shape.voters, [rng.uniform(0.5, 1.5) for _ in range(n_stations)])
        per_district = _hare(n_stations, [1] * n_districts)
        districts, at = [], 0
        for k in per_district:
            district_no += 1
            did = f"d{district_no:02d}"
            stations = []
            for v in sizes[at : at + k]:
                number += 1
                stations.append(_station(profile, rng, str(number), shape.name, v))
            at += k
            districts.append(District(did, f"District No. {district_no} ({shape.name})",
                                      tuple(stations), names=t.district(district_no, shape.id)))  # fmt: skip
        regions.append(Region(shape.id, shape.name, tuple(districts), names=t.region(shape.id)))
    abroad_sizes = _split(rng, profile.voters_abroad, [1.0] * profile.stations_abroad)
    # Station numbers abroad stand apart from those at home.
    abroad_base = 9001 if number < 9000 else 90001 if number < 90000 else 900001
    abroad_stations = []
    for i, v in enumerate(abroad_sizes):
        country, city = profile.countries[i % len(profile.countries)]
        abroad_stations.append(_station(profile, rng, str(abroad_base + i), city, v, country, city))
    regions.append(
        Region("abroad", "Abroad", (District("abroad", "Stations abroad", tuple(abroad_stations),
                                             names=t.of(kg_names.STATIONS_ABROAD)),),
               abroad=True, names=t.of(kg_names.ABROAD))
    )  # fmt: skip
    del home_voters
    contests = [
        Contest(
            id="list", name="National party list", kind=ContestKind.PARTY_LIST,
            seats=profile.list_seats,
            options=tuple(Option(f"p{i + 1:02d}", name, names=t.party(i))
                          for i, name in enumerate(profile.parties)),
            against_all=profile.against_all, method=profile.method,
            threshold_pct=profile.threshold_pct, region_threshold_pct=profile.region_threshold_pct,
            seat_cap=profile.seat_cap, base=PercentBase.VOTED, names=t.of(kg_names.NATIONAL_LIST),
        )
    ]  # fmt: skip
    for i in range(1, district_no + 1 if profile.district_contests else 1):
        did = f"d{i:02d}"
        candidates = tuple(
            Option(f"{did}-c{j}", f"Candidate {j} of district {i}",
                   party=f"p{rng.randint(1, len(profile.parties)):02d}")
            for j in range(1, profile.candidates_per_district + 1)
        )  # fmt: skip
        contests.append(
            Contest(did, f"District No. {i}", ContestKind.DISTRICT, profile.district_seats,
                    candidates, against_all=profile.against_all, districts=(did,),
                    names=t.district(i, None))
        )  # fmt: skip
    authority = private_key_from_seed(_authority_seed(profile))
    authorities = [Authority("cec", "Central Election Commission", public_key_b64(authority))]
    # The bodies that decide complaints: a territorial commission per region, the courts.
    for r in regions:
        authorities.append(Authority(f"tec-{r.id}", f"Territorial commission: {r.name}",
                                     public_key_b64(body_key(profile, f"tec-{r.id}")),
                                     "territorial", r.id))  # fmt: skip
    authorities.append(Authority("court", "Court of first instance",
                                 public_key_b64(body_key(profile, "court")), "court"))  # fmt: skip
    authorities.append(Authority("supreme-court", "Supreme Court",
                                 public_key_b64(body_key(profile, "supreme-court")), "supreme-court"))  # fmt: skip
    boards = tuple(
        BoardMember(member, f"Audit board member {member}", party,
                    public_key_b64(board_key(profile, member)))
        for member, party in BOARD
    )  # fmt: skip
    return Election(
        profile.election_id, profile.title, profile.type, profile.date, tuple(contests),
        tuple(regions), tuple(authorities), abroad_any_station=profile.abroad_any_station,
        form=preset(profile.form) if profile.form else None, audit_boards=boards,
        names=t.of(kg_names.KG_TITLE),
    )  # fmt: skip


def body_key(profile: Profile, authority_id: str) -> Ed25519PrivateKey:
    """A simulated commission's or court's key (the CEC's is `_authority_seed`'s)."""
    return private_key_from_seed(f"achyk-sim/{profile.name}/{profile.seed}/{authority_id}".encode())


# The audit board: members nominated by different parties (a hand count needs two, of two parties).
BOARD = (("board-1", "p01"), ("board-2", "p02"), ("board-3", "p03"))


def board_key(profile: Profile, member: str) -> Ed25519PrivateKey:
    return private_key_from_seed(f"achyk-sim/{profile.name}/{profile.seed}/{member}".encode())


def authority_key(profile: Profile) -> Ed25519PrivateKey:
    return private_key_from_seed(_authority_seed(profile))


def _authority_seed(profile: Profile) -> bytes:
    return f"achyk-sim/{profile.name}/{profile.seed}/cec".encode()


def _protocol_doc(election_id: str, sid: str, contest: Contest, kind: ProtocolKind,
                  on_list: int, issued_in: int, issued_out: int, received: int, found_mobile: int,
                  found_stationary: int, invalid: int, votes: list[int],
                  extra: dict[str, int] | None = None, form: str | None = None,
                  ) -> dict[str, Any]:  # fmt: skip
    """A protocol; on a form, `extra` holds its own lines (early, lost, unaccounted, took part)."""
    order = [*contest.option_ids(), *([AGAINST_ALL] if contest.against_all else [])]
    extra = extra or {}
    issued = issued_in + issued_out + extra.get(EARLY, 0)
    cancelled = received - issued - extra.get("lost", 0) + extra.get("unaccounted", 0)
    doc: dict[str, Any] = {
        "election": election_id, "station": sid, "contest": contest.id, "kind": kind.value,
        "voters_on_list": on_list, "ballots_received": received,
        "issued_in_station": issued_in, "issued_outside": issued_out,
        "cancelled": cancelled,
        "found_mobile": found_mobile, "found_stationary": found_stationary,
        "invalid": invalid, "valid": sum(votes),
        "votes": dict(zip(order, votes, strict=True)),
    }  # fmt: skip
    if form is not None:
        doc["form"] = form
        doc.update(extra)
    return doc


def _form_lines(
    form: ProtocolForm | None, rng: random.Random, issued: int, received: int
) -> dict[str, int]:
    """Values of a preset form's own lines: a few early voters, now and then a lost ballot."""
    if form is None:
        return {}
    lines = {key: 0 for key in form.extra_keys()}
    if EARLY in lines:
        lines[EARLY] = round(issued * rng.uniform(0.0, 0.03))
    spare = received - issued
    if "lost" in lines and spare > 0 and rng.random() < 0.01:
        lines["lost"] = 1
    if "unaccounted" in lines and rng.random() < 0.005:
        lines["unaccounted"] = 1
    if "took_part" in lines:
        lines["took_part"] = issued
    return lines


def _weights(profile: Profile, shape: RegionShape | None, contest: Contest,
             rng: random.Random) -> list[float]:  # fmt: skip
    if contest.kind is ContestKind.PARTY_LIST:
        lean = shape.leaning if shape else (1.0,)
        w = [s * lean[i % len(lean)] for i, s in enumerate(profile.party_strength)]
    else:
        w = [rng.uniform(1, 10) ** 1.5 for _ in contest.options]
    if contest.against_all:
        w.append(sum(w) * 0.012)
    return w


def generate(
    profile: Profile, anomalies: Sequence[str] = ANOMALIES, share: float = 0.05
) -> SimElection:
    election = build_election(profile)
    rng = random.Random(profile.seed * 7919 + 1)
    shapes = {r.id: r for r in profile.regions}
    home = [p for p in election.stations() if not p.station.abroad]
    picked = [p.station.id for p in rng.sample(home, 7)]  # distinct stations for each anomaly
    chosen = {
        "stuffing": tuple(picked[0:2]) if "stuffing" in anomalies else (),
        "broken": tuple(picked[2:3]) if "broken" in anomalies else (),
        "backup": tuple(picked[3:7]) if "backup" in anomalies else (),
    }
    planting = random.Random(profile.seed * 104_729 + 3)  # its own stream: see the docstring
    others = [p.station.id for p in home if p.station.id not in picked]
    count = round(share * len(home))
    for name in OPTIONAL_ANOMALIES:
        chosen[name] = tuple(sorted(planting.sample(others, count))) if name in anomalies else ()
        others = [sid for sid in others if sid not in chosen[name]]
    region_weights: dict[tuple[str, str], list[float]] = {}
    subs: list[tuple[str, bytes]] = []
    late: list[tuple[str, bytes]] = []
    switches = [
        DeviceSwitch(sid, f"asu-{sid}-a", f"asu-{sid}-b", "scanner jammed; backup registered")
        for sid in chosen["backup"]
    ]
    for place in election.stations():
        s = place.station
        shape = shapes.get(place.region_id)
        base_turnout = shape.turnout if shape else 0.22
        turnout = min(0.95, max(0.05, rng.gauss(base_turnout, 0.07)))
        stuffed = s.id in chosen["stuffing"]
        on_list = s.registered_voters + rng.randint(0, max(1, s.registered_voters // 100))
        issued = round(on_list * (0.98 if stuffed else turnout))
        if s.id in chosen["rounding"]:  # the next whole percent of turnout, as a target figure
            issued = min(on_list, round(on_list * math.ceil(100 * issued / on_list) / 100))
        issued_out = 0 if s.abroad else min(issued, round(issued * rng.uniform(0.0, 0.05)))
        received = max(issued, -(-on_list // 10) * 10)
        extra = _form_lines(election.form, rng, issued, received)
        early = extra.get(EARLY, 0)  # early ballots go into the stationary boxes
        issued_in = issued - issued_out - early
        missing = min(issued_in, rng.choice((0, 0, 0, 1, 2)))
        found_mobile, found_stationary = issued_out, issued_in + early - missing
        found = found_mobile + found_stationary
        invalid = round(found * rng.uniform(0.005, 0.025))
        valid = found - invalid
        device = f"asu-{s.id}-{'b' if s.id in chosen['backup'] else 'a'}"
        key = _key(profile, device)
        for contest in election.contests:
            if not contest.covers(place.district_id):
                continue
            wkey = (place.region_id, contest.id)
            if wkey not in region_weights:
                region_weights[wkey] = _weights(profile, shape, contest, rng)
            weights = list(region_weights[wkey])
            if stuffed and contest.kind is ContestKind.PARTY_LIST:
                weights = [weights[0] * 400, *weights[1:]]
            votes = _split(rng, valid, weights)
            if contest.kind is ContestKind.PARTY_LIST:
                votes = _plant(s.id, chosen, votes, valid + invalid, planting)
            args = (on_list, issued_in, issued_out, received, found_mobile, found_stationary)
            form_id = election.form.id if election.form else None
            pre = _protocol_doc(election.id, s.id, contest, ProtocolKind.PRELIMINARY, *args,
                                invalid, votes, extra, form_id)  # fmt: skip
            if s.id in chosen["broken"] and contest.kind is ContestKind.PARTY_LIST:
                bad = dict(pre, invalid=invalid + 3)  # breaks valid + invalid = found
                subs.append(
                    (f"{s.id}-{contest.id}-preliminary-broken", _envelope(bad, device, key))
                )
                late.append((f"{s.id}-{contest.id}-preliminary", _envelope(pre, device, key)))
            else:
                subs.append((f"{s.id}-{contest.id}-preliminary", _envelope(pre, device, key)))
            hand_votes, hand_invalid = list(votes), invalid
            if rng.random() < 0.04 and valid > 10:
                shift = rng.randint(1, 3)  # a few ballots read differently by hand
                i, j = rng.sample(range(len(votes)), 2)
                moved = min(shift, hand_votes[i])
                hand_votes[i] -= moved
                hand_votes[j] += moved
            off = _protocol_doc(election.id, s.id, contest, ProtocolKind.OFFICIAL, *args,
                                hand_invalid, hand_votes, extra, form_id)  # fmt: skip
            late.append((f"{s.id}-{contest.id}-official", _envelope(off, device, key)))
    return SimElection(
        profile, election, tuple(subs + late), tuple(switches),
        {k: v for k, v in chosen.items() if v}, _authority_seed(profile),
    )  # fmt: skip


def _plant(
    sid: str,
    chosen: dict[str, tuple[str, ...]],
    votes: list[int],
    found: int,
    planting: random.Random,
) -> list[int]:
    """The first party's list votes after `stealing` or `rounding` (its share of the ballots
    found raised to the next whole percent), taken from the other lines; the sum is unchanged."""
    if sid in chosen["stealing"]:
        y = planting.uniform(0.3, 0.6)
        moved = [int(v * y) for v in votes[1:]]
        return [votes[0] + sum(moved)] + [v - m for v, m in zip(votes[1:], moved, strict=True)]
    if sid in chosen["rounding"] and found:
        target = min(sum(votes), round(found * math.ceil(100 * votes[0] / found) / 100))
        need, out = target - votes[0], list(votes)
        for i in range(len(out) - 1, 0, -1):  # take from the smallest lines first
            take = min(need, out[i])
            out[i] -= take
            out[0] += take
            need -= take
        return out
    return votes


def _envelope(doc: dict[str, Any], device: str, key: Ed25519PrivateKey) -> bytes:
    envelope = {"protocol": doc, "device": device, "signature": sign(key, PROTOCOL_PURPOSE, doc)}
    return json.dumps(envelope, ensure_ascii=False).encode()
