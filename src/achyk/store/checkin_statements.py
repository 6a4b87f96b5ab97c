"""The statements of a check-in's usual case: spend the device's nonce and mark the voter.

On PostgreSQL one autocommitted statement does both (data-modifying CTEs), awaited on an asyncio
connection; on SQLite two plain statements inside a group commit (RegisterRepo.spend_and_mark).
Either way the voter is marked only if on this station's list (or the station is open to every
voter) and not yet checked in, and never without the nonce being spent. The check-in row keeps
the nonce and the spent nonce the voter: a resend of the request finds what it was answered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from achyk.domain.register import Channel
from achyk.store.async_pg import execute_one
from achyk.store.timestamps import now, utc

SQLITE_SPEND = (
    "INSERT INTO device_nonces (device_id, nonce, seen_at, voter_hash) VALUES (?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
SQLITE_MARK = (
    "INSERT INTO checkins (election_id, voter_hash, station_id, channel, device_id, checked_in_at, "
    "hour, offline, nonce) SELECT v.election_id, v.voter_hash, ?, ?, ?, ?, ?, 0, ? FROM voters v "
    "WHERE v.election_id = ? AND v.voter_hash = ? AND (v.station_id = ? OR ?) "
    "ON CONFLICT (election_id, voter_hash) DO NOTHING"
)


_FAST_CHECKIN = """
WITH spent AS (
    INSERT INTO device_nonces (device_id, nonce, seen_at, voter_hash)
    VALUES (%(device)s, %(nonce)s, %(now)s, %(voter)s)
    ON CONFLICT DO NOTHING RETURNING 1
), marked AS (
    INSERT INTO checkins (election_id, voter_hash, station_id, channel, device_id, checked_in_at,
                          hour, offline, nonce)
    SELECT v.election_id, v.voter_hash, CAST(%(station)s AS VARCHAR), %(channel)s, %(device)s, %(at)s, %(hour)s, 0,
           %(nonce)s
    FROM voters v
    WHERE v.election_id = %(election)s AND v.voter_hash = %(voter)s
      AND (v.station_id = CAST(%(station)s AS VARCHAR) OR %(open)s) AND EXISTS (SELECT 1 FROM spent)
    ON CONFLICT (election_id, voter_hash) DO NOTHING RETURNING 1
)
SELECT (SELECT count(*) FROM spent), (SELECT count(*) FROM marked)
"""


async def fast_checkin_async(
    engine: Engine, election_id: str, voter: bytes, station_id: str, channel: Channel,
    device_id: str, at: datetime, hour: int, nonce: str, open_here: bool = False,
) -> tuple[bool, bool]:  # fmt: skip
    """Spend the nonce and mark the voter in ONE autocommitted statement (PostgreSQL), awaited
    on the event loop's own connection.

    Returns (nonce was fresh, voter was marked). The usual case — a registered voter at their own
    station, not voted yet — costs one round trip instead of a transaction of five; anything else
    (a replay, a refusal to explain) is left to the ordinary path. One statement is atomic: the
    check-in is never recorded without its nonce being spent.
    """
    params = _fast_params(election_id, voter, station_id, channel, device_id, at, hour, nonce,
                          open_here)  # fmt: skip
    row = await execute_one(engine, _FAST_CHECKIN, params)
    return bool(row[0]), bool(row[1])


def _fast_params(
    election_id: str, voter: bytes, station_id: str, channel: Channel, device_id: str,
    at: datetime, hour: int, nonce: str, open_here: bool,
) -> dict[str, Any]:  # fmt: skip
    return {"device": device_id, "nonce": nonce, "now": now(), "channel": channel.value,
            "at": utc(at), "hour": hour, "election": election_id, "voter": voter,
            "station": station_id, "open": open_here}  # fmt: skip
