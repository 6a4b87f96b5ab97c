"""The operator's attacks on the ballot board (issue 10, "Why" 3 and 6), against the one verifier
that both `achyk.evoting.verify` and `achyk verify` use: each is refused and named.

The operator runs the board and can append, reorder and relabel entries, but holds no credential:
it cannot seal a new statement. Every attack below uses only what the board itself published or
what a voter's device sent it."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from achyk.evoting import credentials
from achyk.evoting.ballot import encrypt_ballot, seal_audit, seal_cast
from achyk.evoting.ceremony import run_ceremony
from achyk.evoting.election import ElectionParams, RemoteContest, RevotePolicy
from achyk.evoting.record import BoardEntry, RemoteRecord, entry_to_dict, record_to_dict, run_tally
from achyk.evoting.verify import RecordInvalid, verify_record

CONTEST = RemoteContest("list", ("a", "b", "c"), 1, 1)


def pick(i: int) -> dict[str, tuple[int, ...]]:
    return {"list": tuple(int(j == i) for j in range(3))}


@pytest.fixture(scope="module")
def setting() -> tuple[ElectionParams, Any, list[Any], list[bytes]]:
    rng = random.Random(7)
    ceremony, keys = run_ceremony("attacks", 3, 2, rng)
    params = ElectionParams("attacks", (CONTEST,), RevotePolicy.LAST, ceremony.joint_key)
    return params, ceremony, keys, [credentials.new_seed(rng) for _ in range(3)]


def record(setting: Any, entries: list[BoardEntry], tally: bool = True) -> dict[str, Any]:
    params, ceremony, keys, seeds = setting
    t = run_tally(params, entries, keys[:2])
    creds = tuple(sorted(credentials.public_credential(s) for s in seeds))
    r = record_to_dict(RemoteRecord(params, ceremony, creds, tuple(entries), t))
    if not tally:
        del r["tally"]
    return r


def cast(params: ElectionParams, seq: int, seed: bytes, choice: int, counter: int) -> BoardEntry:
    b = encrypt_ballot(params, pick(choice)).ballot
    return BoardEntry(seq, b, seal_cast(params, b, seed, counter))


def problems(r: dict[str, Any]) -> str:
    with pytest.raises(RecordInvalid) as err:
        verify_record(r)
    return str(err.value)


def test_an_honest_board_verifies(setting: Any) -> None:
    params, _, _, seeds = setting
    entries = [cast(params, 0, seeds[0], 0, 1), cast(params, 1, seeds[0], 1, 2),
               cast(params, 2, seeds[1], 2, 1)]  # fmt: skip
    summary = verify_record(record(setting, entries))
    assert summary.counted == 2 and summary.results == {"list": (0, 1, 1)}


def test_an_older_ballot_replayed_after_a_newer_one_is_refused(setting: Any) -> None:
    """The device sent counter 1 then counter 2; the operator withheld 1 and appends it last so
    that under "last counts" the voter's first choice wins."""
    params, _, _, seeds = setting
    first = cast(params, 0, seeds[0], 0, 1)
    second = cast(params, 0, seeds[0], 1, 2)
    entries = [second, BoardEntry(1, first.ballot, first.seal)]
    assert "counter 1 does not increase for its credential" in problems(record(setting, entries))


def test_an_audited_ballot_never_counts(setting: Any) -> None:
    """The opened ballot relabelled cast under a voter's credential: the voter's seal covered only
    the audit intent, under the one-time key; relabelling breaks the signature."""
    params, _, _, seeds = setting
    prepared = encrypt_ballot(params, pick(2))
    audited = BoardEntry(0, prepared.ballot, seal_audit(params, prepared), prepared.opening)
    honest = record(setting, [audited, cast(params, 1, seeds[0], 0, 1)])
    forged = copy.deepcopy(honest)
    entry = forged["ballots"][0]
    del entry["opening"]
    entry |= {"status": "cast", "credential": forged["ballots"][1]["credential"], "counter": 5}
    assert "credential signature does not verify" in problems(forged)
    # and an audited entry carries no credential at all: nothing links it to its voter
    assert "credential" not in honest["ballots"][0]


def test_seq_one_and_text_one_cannot_count_twice(setting: Any) -> None:
    params, _, _, seeds = setting
    e = entry_to_dict(params, cast(params, 0, seeds[0], 0, 1))
    r = record(setting, [cast(params, 0, seeds[1], 1, 1)])
    r["ballots"].append({**e, "seq": "1"})
    assert "is not its place on the board" in problems(r)


def test_ballots_are_verified_before_any_tally(setting: Any) -> None:
    params, _, _, seeds = setting
    r = record(setting, [cast(params, 0, seeds[0], 0, 1)], tally=False)
    verify_record(r)
    p = r["ballots"][0]["ballot"]["contests"][0]["proofs"][1]
    p["v"][0] = p["v"][1]
    assert "contest list option b" in problems(r)


@pytest.mark.parametrize(
    "broken",
    [None, 5, {"seq": 0}, {"seq": 0, "status": "cast", "tracking_code": "ab" * 32},
     {"seq": 0, "status": "cast", "tracking_code": "ab" * 32, "credential": 7},
     {"seq": 0, "status": "challenged", "tracking_code": "ab" * 32, "ballot": []}],
)  # fmt: skip
def test_a_malformed_entry_is_a_named_failure(setting: Any, broken: Any) -> None:
    r = record(setting, [], tally=False)
    r["ballots"] = [broken]
    assert "ballot seq" in problems(r)


def test_credential_lists_compare_keys_as_points_and_refuse_weak_keys() -> None:
    """Attack 6: a key listed twice (once in upper case) and the identity key, even when the
    authority itself signed them, are refused; a list signed by another key is refused."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from achyk.evoting.authority import _message, authority_public_key, check_list, sign_list

    ca = bytes(range(32))
    key = credentials.public_credential(bytes(32))
    part = {"kind": "credential-list", "election": "e", "fingerprint": "f", "part": 1, "parts": 1,
            "credentials": [key, key.upper(), "01" + "00" * 31]}  # fmt: skip
    part["signature"] = base64.b64encode(Ed25519PrivateKey.from_private_bytes(ca).sign(_message(part))).decode()  # fmt: skip
    found = check_list([part], authority_public_key(ca), "e", "f")
    assert found.keys == (key,)
    assert any("listed twice" in p for p in found.problems)
    assert any("not a valid Ed25519 key" in p for p in found.problems)
    other = sign_list(bytes(32), "e", "f", [key])
    assert "not signed by the credential authority" in check_list(other, authority_public_key(ca), "e", "f").problems[0]  # fmt: skip
    assert "names no credential authority" in check_list(other, None, "e", "f").problems[0]
