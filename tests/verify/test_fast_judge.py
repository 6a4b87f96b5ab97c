"""The workers' fast path (achyk.verify.parallel.Accepted) accepts only what `examine` accepts,
and gives for it exactly what the full way gives: on the standard form and on a preset form, for
every generated protocol and for a hundred ways of spoiling one."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from achyk.canonical import canonical_json
from achyk.domain.definition import Election
from achyk.domain.submission import examine
from achyk.signing import PROTOCOL_PURPOSE, sign
from achyk.sim.generator import device_key, generate
from achyk.sim.profiles import SMALL, Profile
from achyk.verify.parallel import Accepted, Judged, _shared

Entry = dict[str, Any]


def _entries(election: Election, submissions: list[tuple[str, bytes]]) -> list[Entry]:
    out = []
    for _, raw in submissions:
        env = json.loads(raw)
        out.append({"device": env["device"], "election": election.id, "kind": "protocol",
                    "protocol": env["protocol"], "signature": env["signature"]})  # fmt: skip
    return out


def _spoiled(entry: Entry, other: Entry, profile: Profile) -> Iterator[tuple[str, bytes]]:
    """The entry changed in one way each, its protocol signed again by its device (so that the
    relations and the shape are what refuses it, not the signature), re-encoded canonically
    where it still can be."""

    def changed(what: str, fn: Callable[[Entry], None]) -> tuple[str, bytes]:
        e = json.loads(json.dumps(entry))
        fn(e)
        if e.get("protocol") != entry["protocol"] and e.get("device") == entry["device"]:
            try:
                key = device_key(profile, entry["device"])
                e["signature"] = sign(key, PROTOCOL_PURPOSE, e["protocol"])
            except (ValueError, TypeError):
                pass  # (no canonical form: the signature stays the old one)
        try:
            return what, canonical_json(e)
        except ValueError:
            return what, json.dumps(e, sort_keys=True, separators=(",", ":")).encode()

    p = "protocol"
    line = "valid"
    option = next(iter(entry[p]["votes"]))
    yield "spaced", json.dumps(entry, sort_keys=True).encode()
    yield "unsorted", json.dumps(dict(reversed(entry.items())), separators=(",", ":")).encode()
    yield changed("a line as true", lambda e: e[p].__setitem__(line, True))
    yield changed("a line as a float", lambda e: e[p].__setitem__(line, 1.5))
    yield changed("a line as text", lambda e: e[p].__setitem__(line, "5"))
    yield changed("a line negative", lambda e: e[p].__setitem__("cancelled", -1))
    yield changed("a line beyond 2^53", lambda e: e[p].__setitem__(line, 2**60))
    yield changed("a line missing", lambda e: e[p].pop("invalid"))
    yield changed("an unknown field", lambda e: e[p].__setitem__("note", 1))
    yield changed("an unknown entry field", lambda e: e.__setitem__("note", 1))
    yield changed(
        "no form named", lambda e: e[p].pop("form", None) or e[p].__setitem__("form", "x")
    )
    yield changed("votes as a list", lambda e: e[p].__setitem__("votes", [1, 2]))
    yield changed("a vote as true", lambda e: e[p]["votes"].__setitem__(option, True))
    yield changed("a vote negative", lambda e: e[p]["votes"].__setitem__(option, -3))
    yield changed("a vote off the ballot", lambda e: e[p]["votes"].__setitem__("zz", 0))
    yield changed("a vote missing", lambda e: e[p]["votes"].pop(option))
    yield changed(
        "a vote moved", lambda e: e[p]["votes"].__setitem__(option, e[p]["votes"][option] + 1)
    )
    yield changed("another kind", lambda e: e[p].__setitem__("kind", "final"))
    yield changed("the kind empty", lambda e: e[p].__setitem__("kind", ""))
    yield changed("another election", lambda e: e[p].__setitem__("election", "other"))
    yield changed("the entry's election", lambda e: e.__setitem__("election", "other"))
    yield changed("another contest", lambda e: e[p].__setitem__("contest", "nope"))
    yield changed("an unknown station", lambda e: e[p].__setitem__("station", "nope"))
    yield changed("a station beyond the BMP", lambda e: e[p].__setitem__("station", "s\U0001f600"))
    yield changed("the station as a number", lambda e: e[p].__setitem__("station", 7))
    yield changed("another station's", lambda e: e.__setitem__(p, other[p]))
    yield changed("another device", lambda e: e.__setitem__("device", other["device"]))
    yield changed("the backup device", lambda e: e.__setitem__("device", e["device"][:-2] + "-b"))
    yield changed("no device", lambda e: e.__setitem__("device", None))
    yield changed("another signature", lambda e: e.__setitem__("signature", other["signature"]))
    yield changed("a signature not base64", lambda e: e.__setitem__("signature", "!!"))
    short = base64.b64encode(b"\0" * 63).decode()
    yield changed("a short signature", lambda e: e.__setitem__("signature", short))
    yield changed("the kind of entry", lambda e: e.__setitem__("kind", "correction"))


def _full(election: Election, raw: bytes) -> Judged | None:
    """The full way: the entry canonical, and `examine`'s verdict, accepted or not."""
    try:
        entry = json.loads(raw)
        if canonical_json(entry) != raw:
            return None
    except ValueError:
        return None
    if not isinstance(entry, dict) or entry.get("kind") != "protocol":
        return None
    if entry.get("election") != election.id:
        return None
    envelope = {k: entry.get(k) for k in ("protocol", "device", "signature")}
    result = examine(election, envelope, {})
    if not result.ok:
        return None
    signature = entry["signature"] if isinstance(entry.get("signature"), str) else None
    return Judged(
        (), result.document_hash or "", result.device_id, _shared(result.protocol), signature
    )


@pytest.mark.parametrize("form", [None, "ru-duma", "kz"])
def test_the_fast_path_accepts_what_examine_accepts_and_nothing_else(form: str | None) -> None:
    sim = generate(replace(SMALL, form=form))
    election = sim.election
    accept = Accepted(election)
    entries = _entries(election, sim.submissions)
    fast = spoiled = 0
    for i, entry in enumerate(entries):
        raw = canonical_json(entry)
        full = _full(election, raw)
        got = accept(raw)
        assert got == full or (got is None and full is not None and "-b" in entry["device"])
        fast += got is not None
        if i % 7:
            continue
        station = entry["protocol"]["station"]
        other = next(e for e in entries[i:] + entries if e["protocol"]["station"] != station)
        for what, bad in _spoiled(entry, other, sim.profile):
            got = accept(bad)
            assert got is None or got == _full(election, bad), what
            spoiled += got is not None and what != "unsorted"
    assert fast > 0.8 * len(entries)
    assert spoiled == 0  # none of the spoilings leaves a protocol examine accepts
