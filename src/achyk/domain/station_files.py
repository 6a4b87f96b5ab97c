"""The station files of the published site: each district's stations and protocols, as JSON.

100,000 stations in four languages are 400,000 pages: too many to render one by one. The static
site has one station page per language that draws a station from its district's file
(`data/protocols/<district>.json`) in the browser. The publisher and `achyk verify` both build
these files with this one function — the publisher from the stored protocols, the verifier from
the log it replays — so a verifier compares them with what the log gives, and any edit of a
figure, a hash or a flag is named by its path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from achyk.domain.annulment import Annulment
from achyk.domain.definition import Contest, District, Election, Region
from achyk.domain.protocol import AGAINST_ALL, LINES, Protocol, check_protocol

# 2: each protocol's signature; a station's device switches and the annulment of its result
STATION_FILES_FORMAT = 2
STATION_INDEX = "protocols/index.json"


@dataclass(frozen=True)
class Switch:
    """A device switch as the log carries it: its entry, the failed device, the backup, why."""

    log_index: int
    old: str
    new: str
    reason: str


@dataclass(frozen=True)
class Current:
    """A slot's current protocol and the log entry that carries it (its signature: the device's
    of a protocol entry, the authority's of a correction; none for an imported result)."""

    log_index: int
    document_hash: str
    device: str | None
    signature: str | None
    protocol: Protocol


def district_file(district_id: str) -> str:
    """Beside the other open data: `site/e/<election>/data/protocols/<district>.json`."""
    return f"protocols/{district_id}.json"


def line_table(election: Election) -> list[list[str]]:
    """[key, number, label] of each line, as the election's form numbers it."""
    if election.form is not None:
        return [[x.key, x.number, x.label] for x in election.form.lines]
    return [[key, str(i), label] for i, (key, label) in enumerate(LINES, start=1)]


def _ballot_order(contest: Contest) -> list[str]:
    return [*contest.option_ids(), *([AGAINST_ALL] if contest.against_all else [])]


def _protocol(
    current: Current, election: Election, keys: Sequence[str], order: Sequence[str]
) -> dict[str, Any]:
    p = current.protocol
    votes = dict(p.votes)
    # Only a named form flags (without one every broken relation refuses: no flags to find).
    flags = check_protocol(p, election.form)[1] if election.form is not None else ()
    return {
        "log_index": current.log_index,
        "document_hash": current.document_hash,
        "device": current.device,
        "signature": current.signature,
        "lines": [p.line(k) for k in keys],
        "votes": [votes.get(o, 0) for o in order],  # the contest's ballot order, as `options`
        "flags": [str(x) for x in flags],
    }


def district_document(
    election: Election,
    region: Region,
    district: District,
    current: Mapping[str, Sequence[Current]],
    rejections: Mapping[str, Sequence[tuple[int, list[str]]]],
    switches: Mapping[str, Sequence[Switch]],
    annulled: Mapping[str, Annulment],
) -> dict[str, Any]:
    """One district's stations: facts from the definition, current protocols, refusals, device
    switches and annulments.

    `current`: station → its slots' current protocols; `rejections`: station → (log index,
    reasons) of each refusal the log names it in, in log order; `switches`: station → its device
    switches in log order; `annulled`: station → the executed decision that annulled its result.
    A station's "switches" and "annulment" are there only where it has any.
    """
    bodies = {a.id: a.name for a in election.authorities}
    lines = line_table(election)
    keys = [k for k, _, _ in lines]
    contests = [c for c in election.contests if c.covers(district.id)]
    orders = {c.id: _ballot_order(c) for c in contests}
    first = election.form.first_option_number() if election.form is not None else len(LINES) + 1
    stations = []
    for st in district.stations:
        protocols: dict[str, dict[str, Any]] = {}
        # The remote unit's protocols come from the trustees' tally, not a station's signature:
        # they are on the abroad pages and in results.json, not here.
        mine = () if st.channel == "remote" else current.get(st.id, ())
        for cur in sorted(mine, key=lambda c: c.log_index):
            p = cur.protocol
            order = orders.get(p.contest_id, ())
            protocols.setdefault(p.contest_id, {})[p.kind.value] = _protocol(
                cur, election, keys, order
            )
        station: dict[str, Any] = {
            "id": st.id, "name": st.name, "address": st.address,
            "registered_voters": st.registered_voters, "country": st.country, "city": st.city,
            "devices": [[d.id, d.role.value] for d in st.devices],
            "protocols": dict(sorted(protocols.items())),
            "rejections": [[i, list(r)] for i, r in rejections.get(st.id, ())],
        }  # fmt: skip
        if switches.get(st.id):
            station["switches"] = [[w.log_index, w.old, w.new, w.reason] for w in switches[st.id]]
        annulment = annulled.get(st.id)
        if annulment is not None:
            station["annulment"] = {
                **annulment.as_dict(),
                "body": bodies.get(annulment.authority, annulment.authority),
            }
        stations.append(station)
    return {
        "format": STATION_FILES_FORMAT,
        "election": election.id,
        "region": [region.id, region.name],
        "district": [district.id, district.name],
        "lines": lines,
        "contests": [
            {
                "id": c.id,
                "name": c.name,
                "kind": c.kind.value,
                "base": c.base.value,
                "options": [
                    [o, "Against all" if o == AGAINST_ALL else names[o], str(first + i)]
                    for i, o in enumerate(orders[c.id])
                ],
            }
            for c in contests
            for names in [{o.id: o.name for o in c.options}]
        ],
        "stations": stations,
    }


def station_index_document(election: Election) -> dict[str, Any]:
    """Which district file holds each station (for a station link without its district)."""
    return {
        "format": STATION_FILES_FORMAT,
        "election": election.id,
        "stations": {
            st.id: district.id
            for region in election.regions
            for district in region.districts
            for st in district.stations
        },
    }
