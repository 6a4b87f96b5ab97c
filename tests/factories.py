"""Small factories: a two-region election with devices, and protocols that satisfy every relation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.domain.definition import (
    Authority,
    Contest,
    ContestKind,
    Device,
    DeviceRole,
    District,
    Election,
    ElectionType,
    Option,
    Region,
    Station,
)
from achyk.domain.protocol import AGAINST_ALL
from achyk.signing import PROTOCOL_PURPOSE, private_key_from_seed, public_key_b64, sign


def device_key(device_id: str) -> Ed25519PrivateKey:
    return private_key_from_seed(f"test/{device_id}".encode())


def _station(sid: str, voters: int, country: str | None = None) -> Station:
    devices = (
        Device(f"{sid}-a", DeviceRole.SCANNER, public_key_b64(device_key(f"{sid}-a"))),
        Device(f"{sid}-b", DeviceRole.BACKUP, public_key_b64(device_key(f"{sid}-b"))),
    )
    city = "Moscow" if country else None
    return Station(sid, f"Station {sid}", f"School {sid}", voters, devices, country, city)


def election() -> Election:
    parties = (Option("a", "Party A"), Option("b", "Party B"), Option("c", "Party C"))
    return Election(
        id="test-2025",
        name="Test election",
        type=ElectionType.PARLIAMENTARY,
        date="2025-11-30",
        contests=(
            Contest("list", "Party list", ContestKind.PARTY_LIST, 10, parties, against_all=True),
            Contest(
                "d1",
                "District 1",
                ContestKind.DISTRICT,
                1,
                (Option("x", "Candidate X"), Option("y", "Candidate Y")),
                districts=("n1",),
            ),
        ),
        regions=(
            Region(
                "north",
                "North",
                (District("n1", "North 1", (_station("1001", 1000), _station("1002", 800))),),
            ),
            Region("south", "South", (District("s1", "South 1", (_station("2001", 1200),)),)),
            Region(
                "abroad",
                "Abroad",
                (District("ab", "Abroad", (_station("9001", 500, "RU"),)),),
                abroad=True,
            ),
        ),
        authorities=(Authority("cec", "Test CEC", public_key_b64(device_key("cec"))),),
    )


def protocol_doc(
    station: str = "1001",
    contest: str = "list",
    kind: str = "preliminary",
    votes: dict[str, int] | None = None,
    **lines: int,
) -> dict[str, Any]:
    """A protocol that satisfies every control relation unless `lines` or `votes` break it."""
    if votes is None:
        votes = (
            {"a": 300, "b": 200, "c": 80, AGAINST_ALL: 10}
            if contest == "list"
            else {"x": 330, "y": 260}
        )
    doc: dict[str, Any] = {
        "election": "test-2025",
        "station": station,
        "contest": contest,
        "kind": kind,
        "voters_on_list": 1000,
        "ballots_received": 1000,
        "issued_in_station": 580,
        "issued_outside": 20,
        "cancelled": 400,
        "found_mobile": 20,
        "found_stationary": 580,
        "invalid": 10,
        "valid": 590,
        "votes": votes,
    }
    doc.update(lines)
    return doc


def envelope(doc: dict[str, Any], device: str | None = None) -> bytes:
    device = device or f"{doc['station']}-a"
    sig = sign(device_key(device), PROTOCOL_PURPOSE, doc)
    return json.dumps({"protocol": doc, "device": device, "signature": sig}).encode()


def simulated_small(base: Path) -> str:
    """The URL of a SQLite database in `base` holding the SMALL profile's simulated election
    (definition, protocols, register), as `achyk demo` makes it."""
    from achyk.services.simulation import run_simulation
    from achyk.sim.generator import generate
    from achyk.sim.profiles import SMALL
    from achyk.store.database import Database

    url = f"sqlite:///{base / 'db.sqlite'}"
    run_simulation(Database.open(url), generate(SMALL))
    return url
