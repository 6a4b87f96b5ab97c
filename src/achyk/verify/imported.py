"""Replaying an imported election's entries (docs/record-format.md, "Imported results").

An imported protocol has no device signature to check: what the verifier can check is that the
log says so at entry 1, that each protocol belongs to the election and fills an empty slot, and that
the `problems` the entry lists are exactly the control relations the protocol breaks — so a broken
protocol cannot be passed off as sound, nor a sound one smeared as broken.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from achyk.canonical import canonical_hash
from achyk.domain.protocol import check_against_election, check_relations, protocol_from_json

if TYPE_CHECKING:
    from achyk.verify.replay import Replay

IMPORTED_RESULTS, IMPORTED_PROTOCOL = "imported-results", "imported-protocol"
IMPORTED_KINDS = (IMPORTED_RESULTS, IMPORTED_PROTOCOL)
HEX64 = re.compile(r"[0-9a-f]{64}")


def imported_entry(state: Replay, index: int, entry: dict[str, Any]) -> None:
    assert state.election is not None
    if entry["kind"] == IMPORTED_RESULTS:
        if index != 1:
            state.fail(
                index, "imported-results may only be entry 1 (it sets the election's status)"
            )
            return
        bad = [k for k in ("source_sha256", "mapping_sha256")
               if not HEX64.fullmatch(str(entry.get(k)))]  # fmt: skip
        if (
            bad
            or not isinstance(entry.get("rows"), int)
            or not isinstance(entry.get("source"), str)
        ):
            state.fail(index, "imported-results needs source, source_sha256, mapping_sha256, rows")
            return
        state.imported = entry
        return
    if state.imported is None:
        state.fail(index, "imported protocol in an election whose entry 1 is not imported-results")
        return
    doc = entry.get("protocol")
    protocol, problems = protocol_from_json(doc) if isinstance(doc, dict) else (None, [])
    if protocol is None or not isinstance(doc, dict):
        state.fail(index, "imported protocol does not parse: " + "; ".join(map(str, problems)))
        return
    foreign = check_against_election(protocol, state.election)
    if foreign:
        state.fail(index, "imported protocol: " + "; ".join(map(str, foreign)))
        return
    broken = [str(p) for p in check_relations(protocol)]
    if entry.get("problems") != broken:
        state.fail(index, f"imported protocol of station {protocol.station_id}: the entry lists "
                          f"{entry.get('problems')!r}, the protocol breaks {broken!r}")  # fmt: skip
        return
    slot = (protocol.station_id, protocol.contest_id, protocol.kind.value)
    if slot in state.slots:
        state.fail(index, f"second protocol for station {slot[0]} {slot[1]}/{slot[2]} "
                          f"(entry {state.slots[slot][0]}) without a correction")  # fmt: skip
        return
    state.slots[slot] = (index, canonical_hash(doc), protocol)
    state.unsigned += 1
