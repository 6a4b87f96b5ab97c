"""The remote-voting unit: the station (channel "remote") of the abroad region that stands for
remote voting in the results, the contests its ballot carries, and its protocol.

The protocol is derived, never typed in: voters on the list and ballots received are the credentials
issued, ballots issued and found are the ballots counted (one per credential, by the re-vote policy),
nothing is invalid (a ballot that fails its proofs is never accepted), and each option's votes are its
decrypted total. Every control relation of the paper form then holds by construction, and anyone who
checks the tally can recompute the protocol byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from achyk.domain.definition import Election, StationPlace
from achyk.domain.protocol import ProtocolKind
from achyk.domain.tabulation import ballot_order
from achyk.evoting.election import RemoteContest

PROTOCOL_KIND = ProtocolKind.OFFICIAL  # the decrypted count is final: there is no hand count


def remote_unit(election: Election) -> StationPlace | None:
    """The election's remote unit, if its definition declares one."""
    return next((p for p in election.stations() if p.station.remote), None)


def remote_contests(election: Election, place: StationPlace) -> tuple[RemoteContest, ...]:
    """One selection per contest the unit votes in, among its options (and "against all")."""
    return tuple(
        RemoteContest(c.id, ballot_order(c), 1, 1)
        for c in election.contests
        if c.covers(place.district_id)
    )


def unit_protocols(
    election_id: str,
    station_id: str,
    contests: Sequence[RemoteContest],
    credentials: int,
    counted: int,
    totals: Mapping[str, Sequence[int]],
) -> list[dict[str, Any]]:
    """The unit's protocol per contest, as the JSON object the tabulation folds."""
    out = []
    for c in contests:
        out.append(
            {
                "election": election_id, "station": station_id, "contest": c.id,
                "kind": PROTOCOL_KIND.value, "voters_on_list": credentials,
                "ballots_received": credentials, "issued_in_station": counted,
                "issued_outside": 0, "cancelled": credentials - counted, "found_mobile": 0,
                "found_stationary": counted, "invalid": 0, "valid": sum(totals[c.id]),
                "votes": dict(zip(c.options, totals[c.id], strict=True)),
            }
        )  # fmt: skip
    return out
