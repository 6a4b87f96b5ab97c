"""Issue 10, item 7: the simulated ceremony and credentials take the OS's randomness; only the
explicit, labelled `seeded` mode (`achyk demo --seeded`) makes them reproducible."""

from __future__ import annotations

from pathlib import Path

from achyk.services.remote.simulation import run_remote, with_remote_unit
from achyk.services.remote.voting import remote_info
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from achyk.store.database import Database


def joint_key_and_authority(tmp_path: Path, name: str, seeded: bool) -> tuple[str, str]:
    import random

    from achyk.crypto.group import SYSTEM_RNG

    sim = generate(SMALL)
    sim = with_remote_unit(sim, random.Random(SMALL.seed) if seeded else SYSTEM_RNG)
    db = Database.open(f"sqlite:///{tmp_path / name}")
    run = run_remote(db, sim, 3, seeded=seeded)
    assert run.results == run.intent
    key = remote_info(db, sim.election.id).params.to_dict()["public_key"]
    return key, str(sim.election.credential_authority)


def test_secrets_come_from_the_os_unless_seeded(tmp_path: Path) -> None:
    a = joint_key_and_authority(tmp_path, "a.db", seeded=False)
    b = joint_key_and_authority(tmp_path, "b.db", seeded=False)
    assert a[0] != b[0] and a[1] != b[1]
    c = joint_key_and_authority(tmp_path, "c.db", seeded=True)
    d = joint_key_and_authority(tmp_path, "d.db", seeded=True)
    assert c == d
