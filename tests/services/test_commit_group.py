"""Group commit: units of work that arrive together share one transaction, yet each behaves as if
it ran alone (its own savepoint), in the order they arrived, and is answered after the commit."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from achyk.services.commit_group import CommitGroup
from achyk.store.database import Database
from achyk.store.register_repo import RegisterRepo


def spend(nonce: str, fail: bool = False):  # type: ignore[no-untyped-def]
    def work(s: Session) -> bool:
        fresh = RegisterRepo(s, "").add_nonce("dev-1", nonce)
        if fail:
            raise ValueError(f"unit {nonce} fails after writing")
        return fresh

    return work


def count(db: Database) -> int:
    with db.read() as s:
        return int(s.execute(text("SELECT count(*) FROM device_nonces")).scalar_one())


def test_a_group_commits_once_and_a_failing_unit_takes_back_only_its_rows(db: Database) -> None:
    group = CommitGroup(db)

    async def main() -> list[object]:
        units = [spend(f"nonce-{i:04d}", fail=i == 7) for i in range(40)]
        units.append(spend("nonce-0003"))  # a replay within the same group
        return await asyncio.gather(*(group.run(u) for u in units), return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results[7], ValueError)
    assert [r for i, r in enumerate(results[:40]) if i != 7] == [True] * 39
    assert results[40] is False  # it ran after unit 3, which had spent that nonce
    assert count(db) == 39  # everything answered is on disk; unit 7's row is not


def test_an_idle_group_stops_its_thread_and_starts_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("achyk.services.commit_group.IDLE_S", 0.05)
    group = CommitGroup(db)
    assert asyncio.run(group.run(spend("nonce-a001"))) is True
    deadline = time.monotonic() + 5
    while group._running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert group._running is False
    assert asyncio.run(group.run(spend("nonce-a002"))) is True
    assert count(db) == 2
