"""The stations of a definition, checked and shaped without pydantic when they are plain.

A definition of 100,000 stations and 200,000 device keys spent most of `election load` building
a pydantic model and a dataclass per station and device, and writing each back to a document.
Here the stations of a document are checked with exact types, every id and key of the whole
election in one regular-expression match, and their canonical document is the input itself
where it already has the canonical shape.

This is a fast path, never a second rulebook: `plain_stations` accepts only stations the full
reader (formats.definition) accepts and returns what it would make of them; anything else —
a missing key, a number as text, a bad id, a duplicate, a key of the wrong length — answers
None, and the caller reads the whole definition the full way, which names every problem.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from achyk.domain.definition import Device, DeviceRole, Station

_STATION_KEYS = frozenset(
    ("id", "name", "address", "registered_voters", "country", "city", "channel", "devices")
)
_DEVICE_KEYS = frozenset(("id", "role", "public_key"))
_ROLES = {r.value: r for r in DeviceRole}
_MAX_SAFE = 2**53 - 1  # a larger count has no canonical (RFC 8785) form: the full reader decides
# Every id of a kind in one match, one per line (an id cannot hold a line break): the rule of
# achyk.domain.identifiers (1 to 64 of A-Z a-z 0-9 . _ -, first a letter or digit; no ".." is
# checked on the joined text).
_IDS = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._-]{0,63}\n)*")
# A 32-byte Ed25519 key in standard base64 with its padding: 43 characters and "=". Every such
# text decodes (validate=True) to 32 bytes; a key written any other way goes the full way.
_KEYS = re.compile(r"(?:[A-Za-z0-9+/]{43}=\n)*")


@dataclass(frozen=True)
class PlainStations:
    """Every district's stations as canonical documents (as `election_to_document` writes
    them), by (region index, district index), and the ids of all."""

    documents: dict[tuple[int, int], list[dict[str, Any]]]
    ids: frozenset[str]


def _all_match(pattern: re.Pattern[str], values: Sequence[str]) -> bool:
    if not values:
        return True
    joined = "\n".join(values) + "\n"
    return pattern.fullmatch(joined) is not None and ".." not in joined


def plain_stations(regions: Any) -> PlainStations | None:
    """The stations of `regions` (the document's list) when every one is plain and valid, else
    None. Valid as the full reader has it: shape, ids, keys, a scanner among the devices, a
    country for a station abroad, the remote unit abroad, no station or device id twice."""
    if type(regions) is not list:
        return None
    documents: dict[tuple[int, int], list[dict[str, Any]]] = {}
    station_ids: list[str] = []
    device_ids: list[str] = []
    keys: list[str] = []
    for ri, region in enumerate(regions):
        if type(region) is not dict or type(region.get("districts")) is not list:
            return None
        abroad = region.get("abroad", False)
        if type(abroad) is not bool:
            return None
        for di, district in enumerate(region["districts"]):
            if type(district) is not dict or type(district.get("stations")) is not list:
                return None
            out = _district(district["stations"], abroad, station_ids, device_ids, keys)
            if out is None:
                return None
            documents[(ri, di)] = out
    ids = frozenset(station_ids)
    if len(ids) != len(station_ids) or len(set(device_ids)) != len(device_ids):
        return None  # the full reader names the id used twice
    if not (_all_match(_IDS, station_ids) and _all_match(_IDS, device_ids)):
        return None
    if keys and _KEYS.fullmatch("\n".join(keys) + "\n") is None:
        return None
    return PlainStations(documents, ids)


def _district(
    stations: list[Any], abroad: bool, station_ids: list[str], device_ids: list[str],
    keys: list[str],
) -> list[dict[str, Any]] | None:  # fmt: skip
    out: list[dict[str, Any]] = []
    append = out.append
    for s in stations:
        if type(s) is not dict or not s.keys() <= _STATION_KEYS:
            return None
        sid, name, voters = s.get("id"), s.get("name"), s.get("registered_voters")
        address = s.get("address", "")
        country, city = s.get("country"), s.get("city")
        channel = s.get("channel", "station")
        devices = s.get("devices", [])
        if (
            type(sid) is not str
            or type(name) is not str
            or not name
            or type(address) is not str
            or type(voters) is not int
            or not 0 <= voters <= _MAX_SAFE
            or type(devices) is not list
            or not (country is None or (type(country) is str and len(country) == 2))
            or not (city is None or type(city) is str)
            or (channel != "station" and channel != "remote")
        ):
            return None
        if channel == "remote" and not abroad:
            return None
        if abroad and country is None and channel != "remote":
            return None
        station_ids.append(sid)
        scanner = False
        for v in devices:
            if type(v) is not dict or v.keys() != _DEVICE_KEYS:
                return None
            vid, role, key = v["id"], v["role"], v["public_key"]
            if type(vid) is not str or type(role) is not str or type(key) is not str:
                return None
            if role not in _ROLES:
                return None
            scanner = scanner or role == "scanner"
            device_ids.append(vid)
            keys.append(key)
        if devices and not scanner:
            return None
        if (
            "address" in s and "devices" in s and "channel" not in s
            and ("country" not in s or country is not None)
            and ("city" not in s or city is not None)
        ):  # fmt: skip
            append(s)  # already as the canonical document has it
            continue
        doc: dict[str, Any] = {
            "id": sid, "name": name, "address": address, "registered_voters": voters,
            "devices": devices,
        }  # fmt: skip
        if country is not None:
            doc["country"] = country
        if city is not None:
            doc["city"] = city
        if channel != "station":
            doc["channel"] = channel
        append(doc)
    return out


def core_stations(documents: Iterable[dict[str, Any]]) -> tuple[Station, ...]:
    """Core stations from canonical station documents (as `plain_stations` returns them)."""
    return tuple(
        Station(
            s["id"],
            s["name"],
            s["address"],
            s["registered_voters"],
            tuple(Device(v["id"], _ROLES[v["role"]], v["public_key"]) for v in s["devices"]),
            s.get("country"),
            s.get("city"),
            s.get("channel", "station"),
        )
        for s in documents
    )


_collector = threading.Lock()
_holders = [0, False]  # how many hold the collector off, and whether it was on before the first


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cyclic collector held off while a definition is read or built.

    Reading 100,000 stations makes some 400,000 objects that live on and no reference cycle;
    each full pass of the collector walks all that exist, again and again as they grow: more
    than half of the reading time, for nothing freed. Reference counting still frees
    everything. Nested and concurrent holders are counted; the collector is restored (if it
    was on) when the last one is done.
    """
    with _collector:
        if _holders[0] == 0:
            _holders[1] = gc.isenabled()
            gc.disable()
        _holders[0] += 1
    try:
        yield
    finally:
        with _collector:
            _holders[0] -= 1
            if _holders[0] == 0 and _holders[1]:
                gc.enable()
