"""The trust file: exactly its fields, each checked; anything else refused, named."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.ledger import Ed25519Verifier, WitnessKey
from achyk.ledger.trust import TrustError, check_origin, parse_trust, pins

LOG = Ed25519Verifier.from_private_key("results.example.kg/2025", Ed25519PrivateKey.generate())
W = WitnessKey.from_private_key("osce.example/w", Ed25519PrivateKey.generate())


def doc(**change: object) -> bytes:
    d = {"format": 1, "election": "kg-2025", "definition_sha256": "ab" * 32,
         "origin": "results.example.kg/2025", "log_key": LOG.vkey,
         "witnesses": [{"name": "OSCE", "key": W.vkey}], "quorum": 1} | change  # fmt: skip
    return json.dumps(d).encode()


def test_a_good_trust_file_round_trips() -> None:
    trust = parse_trust(doc())
    assert trust.log_key == LOG.vkey and trust.quorum == 1 and trust.pinned
    assert parse_trust(trust.to_bytes()) == trust


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quorum": 2}, "quorum 2 must be a whole number from 0 to the 1"),
        ({"quorum": None}, "quorum must be a whole number"),
        ({"quorum": True}, "quorum must be a whole number"),
        ({"format": 2}, "format 2 is not 1"),
        ({"origin": "achyk/kg-2025"}, "is not of the form HOST/PATH"),
        ({"log_key": W.vkey}, "log key: verifier key for osce.example/w: signature type 0x04"),
        ({"witnesses": [{"name": "OSCE", "key": LOG.vkey}]}, "witnesses[0].key"),
        ({"definition_sha256": "AB" * 32}, "64 lowercase hex"),
        ({"extra": 1}, "exactly the fields"),
    ],
)
def test_bad_trust_files_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(TrustError) as err:
        parse_trust(doc(**change))
    assert message in str(err.value)


def test_origins_and_pins() -> None:
    check_origin("results.shailoo.gov.kg/2025-parliament")
    check_origin("achyk.local/kg-2025/0a1b2c3d")
    for bad in ("achyk/kg-2025", "https://x.kg/a", "x.kg", "x.kg/"):
        with pytest.raises(TrustError):
            check_origin(bad)
    assert pins(LOG.vkey, [W.vkey], None).quorum == 1  # default: every pinned witness
    with pytest.raises(TrustError):
        pins(LOG.vkey, [W.vkey, W.vkey], None)  # the same key name twice
