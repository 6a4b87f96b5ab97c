"""Anomalies: accepted protocols that break a relation their form flags rather than refuses.

The law counts such a protocol (Russian law, with an act attached, counts more ballots in the
boxes than were issued), so achyk accepts it; but nobody should have to find it: the record lists
every one (``anomalies.json``), the site shows it on the station's page, and a verifier recomputes
the list from the log and the form, so an operator can neither hide one nor invent one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from achyk.domain.forms import ProtocolForm
from achyk.domain.protocol import Protocol, check_protocol

ANOMALIES_FORMAT = 1


def anomalies_document(
    form: ProtocolForm | None, current: Iterable[tuple[int, str, Protocol]]
) -> dict[str, Any]:
    """`current`: (log index, document hash, protocol) of each slot's current protocol."""
    listed = []
    for index, digest, p in sorted(current, key=lambda x: x[0]):
        flags = check_protocol(p, form)[1] if form is not None else []
        if flags:
            listed.append({
                "log_index": index, "document_hash": digest, "station": p.station_id,
                "contest": p.contest_id, "kind": p.kind.value, "flags": [str(f) for f in flags],
            })  # fmt: skip
    return {"format": ANOMALIES_FORMAT, "form": form.id if form else None, "protocols": listed}
