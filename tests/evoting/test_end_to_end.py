"""A whole remote-voting election: 5 trustees (quorum 3, two absent at decryption), a few hundred
ballots with challenged and re-voted ones; the tally equals the voters' intent and the record
verifies, sequentially and on a process pool; any altered ballot, proof, share or tally is named."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from achyk.crypto.group import SECP256K1 as G
from achyk.evoting import credentials
from achyk.evoting.ballot import encrypt_ballot, seal_audit, seal_cast, short_code, tracking_code
from achyk.evoting.ceremony import run_ceremony
from achyk.evoting.election import ElectionParams, RemoteContest, RevotePolicy
from achyk.evoting.record import BoardEntry, RemoteRecord, record_to_dict, run_tally
from achyk.evoting.verify import RecordInvalid, verify_record

CONTESTS = (
    RemoteContest("president", ("a", "b", "c", "d", "e"), 1, 1),
    RemoteContest("referendum", ("yes", "no", "x", "y"), 0, 2),
)


@dataclass(frozen=True)
class Election:
    record: dict[str, Any]
    intent: dict[str, list[int]]


def build(voters: int, policy: RevotePolicy, seed: int) -> Election:
    rng = random.Random(seed)
    ceremony, keys = run_ceremony("kg-2025-abroad", 5, 3, rng)
    params = ElectionParams("kg-2025-abroad", CONTESTS, policy, ceremony.joint_key)
    seeds = [credentials.new_seed(rng) for _ in range(voters)]
    entries: list[BoardEntry] = []
    final: dict[int, dict[str, tuple[int, ...]]] = {}

    def random_choice() -> dict[str, tuple[int, ...]]:
        pres = [0] * 5
        pres[rng.randrange(5)] = 1
        ref = [0] * 4
        for i in rng.sample(range(4), rng.randrange(3)):
            ref[i] = 1
        return {"president": tuple(pres), "referendum": tuple(ref)}

    def cast(choice: dict[str, tuple[int, ...]], seed: bytes, counter: int) -> None:
        b = encrypt_ballot(params, choice, rng).ballot
        entries.append(BoardEntry(len(entries), b, seal_cast(params, b, seed, counter)))

    for v, s in enumerate(seeds):
        if v % 10 == 0:  # every tenth voter first audits a ballot (Benaloh), then casts
            prepared = encrypt_ballot(params, random_choice(), rng)
            audit = seal_audit(params, prepared)
            entries.append(BoardEntry(len(entries), prepared.ballot, audit, prepared.opening))
        choice = random_choice()
        cast(choice, s, 1)
        final.setdefault(v, choice)
        if v % 7 == 0:  # and every seventh votes again, later
            again = random_choice()
            cast(again, s, 2)
            if policy is RevotePolicy.LAST:
                final[v] = again
    present = [keys[0], keys[2], keys[4]]  # trustees 2 and 4 are absent
    tally = run_tally(params, entries, present, rng)
    creds = sorted(credentials.public_credential(s) for s in seeds)
    record = record_to_dict(RemoteRecord(params, ceremony, tuple(creds), tuple(entries), tally))
    intent = {
        c.id: [sum(final[v][c.id][i] for v in final) for i in range(len(c.options))]
        for c in CONTESTS
    }
    return Election(record, intent)


@pytest.fixture(scope="module")
def big() -> Election:
    return build(240, RevotePolicy.LAST, 1)


@pytest.fixture(scope="module")
def small() -> Election:
    return build(12, RevotePolicy.FIRST, 2)


def test_tally_equals_intent_and_record_verifies(big: Election) -> None:
    results = big.record["tally"]["results"]
    assert results == big.intent
    summary = verify_record(big.record)
    assert summary.counted == 240
    assert summary.challenged == 24
    assert summary.ballots == len(big.record["ballots"])
    assert {k: list(v) for k, v in summary.results.items()} == big.intent


def test_record_verifies_on_a_process_pool(big: Election) -> None:
    summary = verify_record(big.record, workers=2, chunk=80)
    assert {k: list(v) for k, v in summary.results.items()} == big.intent


def test_first_policy_counts_first_ballots(small: Election) -> None:
    assert small.record["tally"]["results"] == small.intent
    verify_record(small.record)


def test_tracking_code_short_form() -> None:
    code = "00" * 32
    assert short_code(code) == "AAAA-AAAA-AAAA-AAAA"
    assert tracking_code  # the long form is checked against every ballot in verify_record


def _flip_hex(s: str) -> str:
    return s[:-1] + ("0" if s[-1] != "0" else "1")


def _other_scalar(s: str) -> str:
    return f"{(int(s, 16) + 1) % G.order:064x}"


Tamper = Callable[[dict[str, Any]], None]


def _cast(r: dict[str, Any], n: int = 1) -> dict[str, Any]:
    return [b for b in r["ballots"] if b["status"] == "cast"][n]


def _swap_selection(r: dict[str, Any]) -> None:
    sel = _cast(r)["ballot"]["contests"][0]["selections"]
    sel[0], sel[1] = sel[1], sel[0]


def _bend_proof(r: dict[str, Any]) -> None:
    p = _cast(r)["ballot"]["contests"][1]["proofs"][2]
    p["v"][0] = _other_scalar(p["v"][0])


def _bend_sum_proof(r: dict[str, Any]) -> None:
    p = _cast(r)["ballot"]["contests"][0]["sum_proof"]
    p["c"][0] = _other_scalar(p["c"][0])


def _corrupt_point(r: dict[str, Any]) -> None:
    ct = _cast(r)["ballot"]["contests"][0]["selections"][0]
    ct["pad"] = "02" + "00" * 31 + "05"  # x = 5 is not on secp256k1


def _bad_signature(r: dict[str, Any]) -> None:
    b = _cast(r)
    b["signature"] = (
        b["signature"][:4] + ("A" if b["signature"][4] != "A" else "B") + b["signature"][5:]
    )


def _change_tracking(r: dict[str, Any]) -> None:
    _cast(r)["tracking_code"] = _flip_hex(_cast(r)["tracking_code"])


def _lie_in_opening(r: dict[str, Any]) -> None:
    o = next(b for b in r["ballots"] if b["status"] == "challenged")["opening"]
    o["choices"][0] = o["choices"][0][1:] + o["choices"][0][:1]


def _drop_ballot(r: dict[str, Any]) -> None:
    del r["ballots"][1]


def _bad_share(r: dict[str, Any]) -> None:
    s = r["tally"]["decryption"][1]["shares"]["president"][3]
    s["proof"]["v"] = _other_scalar(s["proof"]["v"])


def _bad_total(r: dict[str, Any]) -> None:
    r["tally"]["results"]["president"][2] += 1


def _too_few_trustees(r: dict[str, Any]) -> None:
    del r["tally"]["decryption"][0]


def _bad_ceremony(r: dict[str, Any]) -> None:
    c = r["ceremony"]["commitments"][3]["proofs"][1]
    c["c"] = _other_scalar(c["c"])


def _stranger(r: dict[str, Any]) -> None:
    r["credentials"].remove(_cast(r)["credential"])


@pytest.mark.parametrize(
    ("tamper", "where"),
    [
        (_swap_selection, "contest president option a"),
        (_bend_proof, "option x"),
        (_bend_sum_proof, "contest president selection count"),
        (_corrupt_point, "ballot seq "),
        (_bad_signature, "signature"),
        (_change_tracking, "tracking code"),
        (_lie_in_opening, "opening contest president"),
        (_drop_ballot, "aggregate"),
        (_bad_share, "trustee 3 decryption share"),
        (_bad_total, "tally contest president option c"),
        (_too_few_trustees, "quorum is 3"),
        (_bad_ceremony, "trustee 4"),
        (_stranger, "not on the public list"),
    ],
)
def test_any_alteration_fails_and_is_named(small: Election, tamper: Tamper, where: str) -> None:
    record = copy.deepcopy(small.record)
    tamper(record)
    with pytest.raises(RecordInvalid) as err:
        verify_record(record)
    assert any(where in str(p) for p in err.value.problems), err.value
