"""The definition's optional `witnesses` and `witness_quorum`: validated with paths, and absent
from the canonical form when not given, so every existing definition keeps its hash."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from achyk.canonical import canonical_hash
from achyk.errors import DefinitionError
from achyk.formats.definition import definition_hash, election_from_document, election_to_document
from achyk.ledger import WitnessKey
from factories import election


def key(name: str) -> str:
    return WitnessKey.from_private_key(name, Ed25519PrivateKey.generate()).vkey


def problems(d: Any) -> list[str]:
    with pytest.raises(DefinitionError) as err:
        election_from_document(d)
    return [str(p) for p in err.value.problems]


def test_absent_witnesses_leave_the_document_and_hash_unchanged() -> None:
    doc = election_to_document(election())
    assert "witnesses" not in doc and "witness_quorum" not in doc
    assert definition_hash(election()) == canonical_hash(doc)


def test_witnesses_round_trip() -> None:
    doc = election_to_document(election())
    doc["witnesses"] = [{"name": "OSCE/ODIHR", "key": key("osce.example/w")},
                        {"name": "Party A", "key": key("a.example/w")}]  # fmt: skip
    doc["witness_quorum"] = 2
    e = election_from_document(doc)
    assert [w.name for w in e.witnesses] == ["OSCE/ODIHR", "Party A"] and e.witness_quorum == 2
    assert election_to_document(e) == doc


def test_witness_errors_name_their_path() -> None:
    base = election_to_document(election())
    log_key = "achyk.local/x+" + key("z.example/w").split("+", 1)[1]  # wrong name for its id
    cases = {
        "witness_quorum: required when witnesses are named": {
            "witnesses": [{"name": "A", "key": key("a.example/w")}]},
        "witness_quorum: 2 is more than the 1 witnesses named": {
            "witnesses": [{"name": "A", "key": key("a.example/w")}], "witness_quorum": 2},
        "witnesses[0].key: not a witness verifier key": {
            "witnesses": [{"name": "A", "key": log_key}], "witness_quorum": 1},
        "witness id 'A' is used 2 times": {
            "witnesses": [{"name": "A", "key": key("a.example/w")},
                          {"name": "A", "key": key("b.example/w")}], "witness_quorum": 1},
    }  # fmt: skip
    for expected, extra in cases.items():
        d = copy.deepcopy(base) | extra
        assert any(expected in p for p in problems(d)), (expected, problems(d))
    too_many = [{"name": f"W{i}", "key": key(f"w{i}.example/w")} for i in range(33)]
    assert any("witnesses" in p for p in problems(base | {"witnesses": too_many,
                                                          "witness_quorum": 1}))  # fmt: skip
