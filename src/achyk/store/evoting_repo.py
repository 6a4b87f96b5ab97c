"""Repositories for the remote-voting tables (achyk.store.evoting_models)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from achyk.store.evoting_models import (
    RemoteBallotRow,
    RemoteCredentialRow,
    RemoteElectionRow,
    RemoteTallyRow,
    RemoteTrusteeRow,
)


def _now() -> datetime:
    return datetime.now(UTC)


class RemoteRepo:
    def __init__(self, session: Session, election_id: str) -> None:
        self.s = session
        self.e = election_id

    # --- setup ----------------------------------------------------------------------------------

    def setup(self) -> RemoteElectionRow | None:
        return self.s.get(RemoteElectionRow, self.e)

    def lock_setup(self) -> RemoteElectionRow | None:
        """The setup row, locked for this transaction: casts and the close serialise on it."""
        q = select(RemoteElectionRow).where(RemoteElectionRow.election_id == self.e)
        return self.s.scalars(q.with_for_update()).first()

    def add_setup(self, **values: Any) -> None:
        self.s.add(RemoteElectionRow(election_id=self.e, set_up_at=_now(), **values))

    def add_trustees(self, rows: Iterable[tuple[int, str, str]]) -> None:
        self.s.add_all(
            RemoteTrusteeRow(election_id=self.e, index=i, name=n, verification_key=k)
            for i, n, k in rows
        )

    def trustees(self) -> list[RemoteTrusteeRow]:
        q = select(RemoteTrusteeRow).where(RemoteTrusteeRow.election_id == self.e)
        return list(self.s.scalars(q.order_by(RemoteTrusteeRow.index)))

    # --- credentials ----------------------------------------------------------------------------

    def add_credentials(self, rows: Sequence[tuple[str, int]]) -> None:
        if rows:
            self.s.execute(
                insert(RemoteCredentialRow),
                [{"election_id": self.e, "credential": c, "log_index": i} for c, i in rows],
            )

    def known_credentials(self, credentials: Iterable[str]) -> set[str]:
        wanted = list(set(credentials))
        out: set[str] = set()
        for start in range(0, len(wanted), 500):
            q = select(RemoteCredentialRow.credential).where(
                RemoteCredentialRow.election_id == self.e,
                RemoteCredentialRow.credential.in_(wanted[start : start + 500]),
            )
            out.update(self.s.scalars(q))
        return out

    def credential_count(self) -> int:
        q = select(func.count()).select_from(RemoteCredentialRow)
        return int(self.s.scalar(q.where(RemoteCredentialRow.election_id == self.e)) or 0)

    # --- ballots --------------------------------------------------------------------------------

    def next_seq(self) -> int:
        q = select(func.max(RemoteBallotRow.seq)).where(RemoteBallotRow.election_id == self.e)
        top = self.s.scalar(q)
        return 0 if top is None else int(top) + 1

    def cast_credentials(self, credentials: Iterable[str]) -> set[str]:
        """Those of `credentials` that already have a cast (not challenged) ballot."""
        wanted = list(set(credentials))
        out: set[str] = set()
        for start in range(0, len(wanted), 500):
            q = select(RemoteBallotRow.credential).where(
                RemoteBallotRow.election_id == self.e,
                RemoteBallotRow.challenged.is_(False),
                RemoteBallotRow.credential.in_(wanted[start : start + 500]),
            )
            out.update(self.s.scalars(q))
        return out

    def last_counters(self, credentials: Iterable[str]) -> dict[str, int]:
        """Per credential, the highest counter among its cast ballots (read from their entries:
        re-votes are few, so no column is needed)."""
        wanted = list(set(credentials))
        out: dict[str, int] = {}
        for start in range(0, len(wanted), 500):
            q = select(RemoteBallotRow.credential, RemoteBallotRow.entry).where(
                RemoteBallotRow.election_id == self.e,
                RemoteBallotRow.challenged.is_(False),
                RemoteBallotRow.credential.in_(wanted[start : start + 500]),
            )
            for cred, entry in self.s.execute(q):
                out[cred] = max(out.get(cred, 0), int(json.loads(entry)["counter"]))
        return out

    def credential_entries(self, credential: str) -> list[str]:
        """The cast ballot entries of one credential, in board order."""
        q = select(RemoteBallotRow.entry).where(
            RemoteBallotRow.election_id == self.e,
            RemoteBallotRow.challenged.is_(False),
            RemoteBallotRow.credential == credential,
        )
        return list(self.s.scalars(q.order_by(RemoteBallotRow.seq)))

    def known_codes(self, codes: Iterable[str]) -> set[str]:
        wanted = list(set(codes))
        out: set[str] = set()
        for start in range(0, len(wanted), 500):
            q = select(RemoteBallotRow.tracking_code).where(
                RemoteBallotRow.election_id == self.e,
                RemoteBallotRow.tracking_code.in_(wanted[start : start + 500]),
            )
            out.update(self.s.scalars(q))
        return out

    def add_ballots(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.s.execute(insert(RemoteBallotRow), [{**r, "election_id": self.e} for r in rows])

    def ballot_entries(self) -> list[str]:
        """Every ballot entry (canonical JSON), in board order."""
        q = select(RemoteBallotRow.entry).where(RemoteBallotRow.election_id == self.e)
        return list(self.s.scalars(q.order_by(RemoteBallotRow.seq)))

    def find_code(self, code_prefix: str) -> list[RemoteBallotRow]:
        """Ballots whose tracking code starts with `code_prefix` (lowercase hex)."""
        q = select(RemoteBallotRow).where(
            RemoteBallotRow.election_id == self.e,
            RemoteBallotRow.tracking_code.startswith(code_prefix, autoescape=True),
        )
        return list(self.s.scalars(q.order_by(RemoteBallotRow.seq).limit(5)))

    def ballot_counts(self) -> tuple[int, int]:
        """(cast, challenged) ballots on the board."""
        q = select(RemoteBallotRow.challenged, func.count()).where(
            RemoteBallotRow.election_id == self.e
        )
        counts = {
            bool(c): int(n) for c, n in self.s.execute(q.group_by(RemoteBallotRow.challenged))
        }
        return int(counts.get(False, 0)), int(counts.get(True, 0))

    # --- tally ----------------------------------------------------------------------------------

    def tally(self) -> RemoteTallyRow | None:
        return self.s.get(RemoteTallyRow, self.e)

    def add_tally(
        self, counted: int, results: dict[str, list[int]], trustees: list[int], log_index: int
    ) -> None:
        self.s.add(
            RemoteTallyRow(
                election_id=self.e, counted=counted, results=json.dumps(results, sort_keys=True),
                trustees=json.dumps(trustees), log_index=log_index, tallied_at=_now(),
            )
        )  # fmt: skip
