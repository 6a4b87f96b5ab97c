"""Protocols transmitted over HTTP: each signed request and the answer it got, kept.

A device whose answer was lost sends the very same signed request again (same nonce); it is then
given the answer it was first given — accepted, refused and why — never judged anew. The row is
written in the transaction that records the protocol or its refusal, so an answer exists exactly
when its outcome does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from achyk.store.bulk import bound, insert_rows, select_in
from achyk.store.models import Base
from achyk.store.timestamps import now

_ID = BigInteger().with_variant(Integer, "sqlite")


class ProtocolTransmissionRow(Base):
    __tablename__ = "protocol_transmissions"
    __table_args__ = (UniqueConstraint("device_id", "nonce", name="uq_transmission_nonce"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("elections.id"), index=True)
    station_id: Mapped[str] = mapped_column(String(64))
    device_id: Mapped[str] = mapped_column(String(128))
    nonce: Mapped[str] = mapped_column(String(64))
    request_sha256: Mapped[str] = mapped_column(String(64))  # of the signed request message
    status: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(Text)  # the JSON answer as first sent
    # The body of a request refused before judgement (addressed to another station or device);
    # a judged refusal is kept with the rejections, in the log.
    refused: Mapped[bytes | None] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def find_transmission(s: Session, device_id: str, nonce: str) -> ProtocolTransmissionRow | None:
    q = select(ProtocolTransmissionRow).where(
        ProtocolTransmissionRow.device_id == device_id, ProtocolTransmissionRow.nonce == nonce
    )
    return s.scalars(q).one_or_none()


def find_transmissions(
    s: Session, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[str, int, str]]:
    """The answers already given to these (device, nonce) requests: their request hash, status
    and answer, by (device, nonce); one query for a whole batch (read at the driver)."""
    found: dict[tuple[str, str], tuple[str, int, str]] = {}
    wanted = set(keys)
    connection = s.connection()
    sqlite = connection.dialect.name == "sqlite"
    rows: Sequence[Sequence[Any]]
    for at in range(0, len(keys), 400):  # each statement's parameters stay few
        part = keys[at : at + 400]
        if sqlite:
            # One probe of the (device_id, nonce) index per pair. SQLite answers
            # `nonce IN (…) AND device_id IN (…)` by probing every device with every nonce:
            # 7,000 probes for a group of 85; 4 ms once those devices have sent before (0.5 ms
            # this way), 0.7 ms while they have not (each device's first protocol).
            rows = connection.exec_driver_sql(
                "SELECT device_id, nonce, request_sha256, status, answer FROM"
                " protocol_transmissions WHERE "
                + " OR ".join(["(device_id = ? AND nonce = ?)"] * len(part)),
                tuple(x for pair in part for x in pair),
            ).all()
        else:  # PostgreSQL probes the index once per device and filters by nonce
            devices, nonces = sorted({d for d, _ in part}), sorted({n for _, n in part})
            rows = select_in(
                connection,
                "SELECT device_id, nonce, request_sha256, status, answer FROM"
                " protocol_transmissions WHERE nonce IN ("
                + ", ".join(["{m}"] * len(nonces)) + ") AND device_id IN ({ids})",
                nonces, devices, chunk=len(devices),
            )  # fmt: skip
        for device, nonce, digest, status, answer in rows:
            if (device, nonce) in wanted:
                found[(device, nonce)] = (digest, status, answer)
    return found


_COLUMNS = ("election_id", "station_id", "device_id", "nonce", "request_sha256", "status",
            "answer", "refused")  # fmt: skip


def add_transmissions(s: Session, rows: list[dict[str, object]]) -> None:
    """Keep many answers at once (rows: the columns but `id` and `received_at`). A nonce
    already used fails the statement, and so the transaction: the caller redoes it one by one."""
    if rows:
        connection = s.connection()
        table = cast(Table, ProtocolTransmissionRow.__table__)
        at = bound(connection, table.c.received_at, now())
        insert_rows(connection, table, (*_COLUMNS, "received_at"),
                    [(*(r[c] for c in _COLUMNS), at) for r in rows])  # fmt: skip


def add_transmission(
    s: Session, election_id: str, station_id: str, device_id: str, nonce: str,
    request_sha256: str, status: int, answer: str, refused: bytes | None = None,
) -> None:  # fmt: skip
    s.add(ProtocolTransmissionRow(
        election_id=election_id, station_id=station_id, device_id=device_id, nonce=nonce,
        request_sha256=request_sha256, status=status, answer=answer, refused=refused,
        received_at=now(),
    ))  # fmt: skip
    s.flush()  # a second request with this nonce fails here, inside the transaction
