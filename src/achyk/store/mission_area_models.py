"""A mission's area of the server: its members' public keys (with the signed membership) and its
unpublished documents — forms' content handed in before the mission publishes, statement drafts.

Readable only through `achyk.services.observers.area`, which admits a mission's own admins and
analysts by their signed requests; nothing here is a secret of the mission (no key, no password).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from achyk.store.models import Base
from achyk.store.timestamps import now


class MissionMemberRow(Base):
    __tablename__ = "mission_members"

    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mission: Mapped[str] = mapped_column(String(64), primary_key=True)
    member: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(100))
    membership: Mapped[str] = mapped_column(Text)  # the signed membership, JSON, kept as proof
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MissionDocumentRow(Base):
    """`kind` "content": a form's content, `ref` its observation's log entry; "draft": a statement
    draft, `ref` its name (e.g. "preliminary")."""

    __tablename__ = "mission_documents"

    election_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    mission: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)  # JSON
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MissionArea:
    def __init__(self, s: Session, election_id: str, mission: str) -> None:
        self.s, self.election_id, self.mission = s, election_id, mission

    def members(self) -> list[MissionMemberRow]:
        q = select(MissionMemberRow).where(
            MissionMemberRow.election_id == self.election_id,
            MissionMemberRow.mission == self.mission,
        )
        return list(self.s.scalars(q))

    def add_member(self, member: str, role: str, public_key: str, membership: str) -> None:
        row = self.s.get(MissionMemberRow, (self.election_id, self.mission, member))
        if row is None:
            self.s.add(MissionMemberRow(election_id=self.election_id, mission=self.mission,
                                        member=member, role=role, public_key=public_key,
                                        membership=membership, added_at=now()))  # fmt: skip
        else:  # a new membership replaces the old (a new key, another role)
            row.role, row.public_key, row.membership = role, public_key, membership

    def put(self, kind: str, ref: str, body: str, by: str) -> None:
        row = self.s.get(MissionDocumentRow, (self.election_id, self.mission, kind, ref))
        if row is None:
            self.s.add(MissionDocumentRow(election_id=self.election_id, mission=self.mission,
                                          kind=kind, ref=ref, body=body, updated_by=by,
                                          updated_at=now()))  # fmt: skip
        else:
            row.body, row.updated_by, row.updated_at = body, by, now()

    def get(self, kind: str, ref: str) -> MissionDocumentRow | None:
        return self.s.get(MissionDocumentRow, (self.election_id, self.mission, kind, ref))

    def documents(self, kind: str) -> list[MissionDocumentRow]:
        q = (
            select(MissionDocumentRow)
            .where(
                MissionDocumentRow.election_id == self.election_id,
                MissionDocumentRow.mission == self.mission,
                MissionDocumentRow.kind == kind,
            )
            .order_by(MissionDocumentRow.ref)
        )
        return list(self.s.scalars(q))
