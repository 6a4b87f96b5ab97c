"""Remote voting through the services, on SQLite and PostgreSQL (the `db` fixture runs both):
setup and ceremony complaints, credentials and the register across channels, cast-or-challenge,
tracking codes, re-vote policies, close and tally into the remote unit's protocol."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text

from achyk.canonical import canonical_json
from achyk.crypto.group import SECP256K1 as G
from achyk.crypto.proofs import dleq_prove, schnorr_prove
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.domain.protocol import check_relations, protocol_from_json
from achyk.domain.register import MatchResult, Refusal, VoterEntry
from achyk.domain.tabulation import Level
from achyk.errors import ConflictError, InputError
from achyk.evoting import credentials
from achyk.evoting.authority import authority_public_key, list_signed_by, sign_list
from achyk.evoting.ballot import (
    encrypt_ballot,
    seal_audit,
    seal_cast,
    short_code,
    submission,
)
from achyk.evoting.ceremony import CeremonyFailed
from achyk.evoting.election import RevotePolicy
from achyk.evoting.trustee import Complaint, _dealing_context, announce, make_dealing, receive
from achyk.services.checkin import check_in
from achyk.services.elections import load_election
from achyk.services.ledger import entries, entry
from achyk.services.register import import_register
from achyk.services.remote.ceremony import (
    ceremony_state,
    open_ceremony,
    post_complaint,
    post_dealing,
    setup_remote,
)
from achyk.services.remote.simulation import (
    SimulatedCeremony,
    add_remote_unit,
    simulate_ceremony,
    trustees_decrypt,
)
from achyk.services.remote.tally import tally_remote
from achyk.services.remote.voting import (
    cast_ballot,
    cast_ballots,
    find_tracking_code,
    import_credentials,
    remote_info,
)
from achyk.services.results import results
from achyk.store.database import Database
from factories import election

SECRET = b"test-register-secret-0123456789"


def born(i: int) -> date:
    return date(1980, 1, 1 + i % 28)


def pin(i: int) -> str:
    return make_kg_pin(Sex.FEMALE if i % 2 else Sex.MALE, born(i), i)


EID = "test-2025"
TRUSTEES = ("CEC", "Party A", "Party B", "OSCE/ODIHR", "CIS")
ABROAD = [pin(100 + i) for i in range(8)]


def voters() -> list[VoterEntry]:
    out = [VoterEntry(pin(100 + i), f"Voter {i}", born(100 + i), "9001", "RU") for i in range(8)]
    return [*out, VoterEntry(pin(200), "Home voter", born(200), "1001", None)]


CA_SECRET = bytes(range(32))  # the credential authority's key (its machine is this test)


@pytest.fixture
def ready(db: Database) -> Database:
    e = replace(add_remote_unit(election()), credential_authority=authority_public_key(CA_SECRET))
    load_election(db, e)
    import_register(db, EID, voters(), SECRET)
    return db


def authority(
    db: Database, numbers: list[str] | None, count: int = 0, *, key: bytes = CA_SECRET
) -> tuple[list[bytes], Any]:
    """The authority makes seeds and the signed list; the server imports the list only."""
    p = remote_info(db, EID).params
    seeds = [credentials.new_seed() for _ in (numbers if numbers is not None else range(count))]
    parts = sign_list(key, EID, p.fingerprint, [credentials.public_credential(x) for x in seeds])
    return seeds, parts


def issue(db: Database, numbers: list[str], **kw: Any) -> list[bytes]:
    seeds, parts = authority(db, numbers)
    import_credentials(db, EID, parts, voters=numbers, secret=SECRET, **kw)
    return seeds


def kinds(db: Database) -> list[str]:
    from achyk.services.ledger import log_size

    return [json.loads(e)["kind"] for e in entries(db, EID, 0, log_size(db, EID))]


def ceremony(
    db: Database, seed: int, revote: RevotePolicy = RevotePolicy.LAST
) -> SimulatedCeremony:
    return simulate_ceremony(db, EID, TRUSTEES, 3, revote=revote, rng=random.Random(seed))


def test_setup_logs_the_ceremony_and_keeps_no_key_share(ready: Database) -> None:
    done = ceremony(ready, 1)
    setup = done.setup
    assert [k.index for k in done.keys] == [1, 2, 3, 4, 5]
    # The remote unit sits abroad and votes in the list contest only (d1 covers district n1).
    assert [(c.id, c.options, c.min_selections, c.max_selections) for c in setup.params.contests] == [
        ("list", ("a", "b", "c", "against-all"), 1, 1)
    ]  # fmt: skip
    assert kinds(ready)[-8:] == ["remote-trustees", *["remote-dealing"] * 5, "remote-ceremony",
                                 "remote-params"]  # fmt: skip
    logged = json.loads(entry(ready, EID, setup.log_indexes[1]) or "{}")
    assert logged["params"]["public_key"] == G.encode(setup.ceremony.joint_key).hex()
    assert logged["unit"] == "remote"
    with ready.read() as s:
        dump = " ".join(str(r) for t in ("remote_elections", "remote_trustees")
                        for r in s.execute(text(f"SELECT * FROM {t}")))  # fmt: skip
    assert all(f"{k.share:064x}" not in dump for k in done.keys)
    with pytest.raises(ConflictError):
        setup_remote(ready, EID)


def test_a_bad_share_is_a_complaint_anyone_can_judge(ready: Database) -> None:
    with ready.read() as s:
        base = s.execute(text("SELECT definition_hash FROM elections")).scalar_one()
    rng = random.Random(2)
    machines = [announce(base, i, n, rng) for i, n in enumerate(TRUSTEES, 1)]
    open_ceremony(ready, EID, [a.to_dict() for _, a in machines], 3)
    anns = ceremony_state(ready, EID).trustees
    for i, (aux, _) in enumerate(machines, 1):
        _, d = make_dealing(base, i, aux, anns, 3, rng)
        if i == 4:  # a dishonest dealer: trustee 2's share is garbage, the dealing duly signed
            shares = list(d.shares)
            shares[1] = replace(shares[1], ciphertext=bytes(32))
            d = replace(d, shares=tuple(shares))
            d = replace(d, signature=schnorr_prove(G, base, aux, _dealing_context(d.body()), rng))
        post_dealing(ready, EID, d.to_dict())
    state = ceremony_state(ready, EID)
    key, complaints = receive(base, 2, machines[1][0], state.dealings, rng)
    assert key is None and [c.dealer for c in complaints] == [4]
    assert post_complaint(ready, EID, complaints[0].to_dict()) == "dealer"
    # A trustee who complains against an honest dealer is found out: the share checks.
    liar = receive(base, 3, machines[2][0], state.dealings, rng)[0]
    assert liar is not None
    eph = next(x for x in state.dealings[0].shares if x.recipient == 3).ephemeral
    lie = Complaint(1, 3, G.mul(eph, machines[2][0]), dleq_prove(G, base, machines[2][0], eph, ["share-complaint", 1, 3], rng))  # fmt: skip
    assert post_complaint(ready, EID, lie.to_dict()) == "complainer"
    with pytest.raises(CeremonyFailed) as err:
        setup_remote(ready, EID)
    assert {c.dealer for c in err.value.complaints} == {4}
    ceremony(ready, 3)  # a new attempt may follow; the failed one stays on the log


def test_credentials_and_in_person_voting_exclude_each_other(ready: Database) -> None:
    ceremony(ready, 4)
    day = datetime(2025, 11, 30, 4, 0, tzinfo=UTC)
    walked_in = check_in(ready, EID, "9001", "9001-a", ABROAD[0], MatchResult(True, 0.9), SECRET, at=day)  # fmt: skip
    assert walked_in.accepted
    # A list naming a voter who voted at a station, or a stranger, is refused as a whole.
    with pytest.raises(InputError) as err:
        issue(ready, [*ABROAD[:4], "21501198000001"], at=day)
    why = {p.where: p.what for p in err.value.problems}
    assert why[ABROAD[0]].startswith("already voted at station 9001")
    assert why["21501198000001"] == "not on the register of this election"
    assert "remote-credentials" not in kinds(ready)
    issue(ready, ABROAD[1:4], at=day)
    # The public list is sorted, signed by the authority, and holds keys only.
    logged = json.loads(entry(ready, EID, len(kinds(ready)) - 1) or "{}")["list"]
    assert (
        logged["credentials"] == sorted(logged["credentials"]) and len(logged["credentials"]) == 3
    )
    assert list_signed_by(logged, authority_public_key(CA_SECRET))
    assert not any(n in json.dumps(logged) for n in ABROAD)
    # A credential holder at the polling station is refused, naming the remote channel.
    later = check_in(ready, EID, "9001", "9001-a", ABROAD[1], MatchResult(True, 0.9), SECRET, at=day)  # fmt: skip
    assert (later.accepted, later.reason) == (False, Refusal.ALREADY_VOTED)
    assert "remote channel" in later.message
    with pytest.raises(InputError, match="already voted"):
        issue(ready, [ABROAD[2]])


def test_the_server_imports_only_the_authoritys_list(ready: Database) -> None:
    """Attack 1 of issue 10: the server cannot mint credentials, nor more than voters abroad."""
    ceremony(ready, 4)
    _, forged = authority(ready, None, 2, key=bytes(32))
    with pytest.raises(InputError, match="not signed by the credential authority"):
        import_credentials(ready, EID, forged)
    _, too_many = authority(ready, None, len(ABROAD) + 1)  # 8 voters abroad on the register
    with pytest.raises(InputError, match="9 credentials for 8 voters abroad"):
        import_credentials(ready, EID, too_many)
    _, fine = authority(ready, None, 2)
    import_credentials(ready, EID, fine)
    with pytest.raises(InputError, match="already listed"):
        import_credentials(ready, EID, fine)


def _marks(option: int) -> dict[str, tuple[int, ...]]:
    return {"list": tuple(1 if i == option else 0 for i in range(4))}


def _cast(p: Any, option: int, seed: bytes, counter: int = 1) -> dict[str, Any]:
    b = encrypt_ballot(p, _marks(option)).ballot
    return submission(p, b, seal_cast(p, b, seed, counter))


def _audit(p: Any, option: int) -> dict[str, Any]:
    prepared = encrypt_ballot(p, _marks(option))
    return submission(p, prepared.ballot, seal_audit(p, prepared), prepared.opening)


def test_cast_challenge_track_and_tally(ready: Database) -> None:
    done = ceremony(ready, 6)
    p = done.setup.params
    seeds = issue(ready, ABROAD)
    intent = [0, 0, 0, 0]
    # Voter 0 audits first (the opening is logged with no credential, it never counts), then casts.
    audit = cast_ballot(ready, EID, _audit(p, 2))
    assert audit.accepted and audit.challenged
    lie = _audit(p, 2)
    lie["opening"]["choices"][0] = [0, 1, 0, 0]
    refused = cast_ballot(ready, EID, lie)
    assert not refused.accepted and "ciphertext ≠ revealed choice" in refused.reason
    items = [_cast(p, v % 4, seed) for v, seed in enumerate(seeds)]
    # they change their minds: under "last", the later ballot (a higher counter) counts
    items += [_cast(p, 3, seeds[v], 2) for v in (1, 5)]
    receipts = cast_ballots(ready, EID, items, workers=2)
    assert all(r.accepted for r in receipts), [r.reason for r in receipts]
    for v in range(len(seeds)):
        intent[3 if v in (1, 5) else v % 4] += 1

    # The tracking code leads to the log entry holding exactly that ballot, in either form.
    code = receipts[3].tracking_code
    for form in (code, short_code(code), short_code(code).lower()):
        found = find_tracking_code(ready, EID, form)
        assert found is not None and found.log_index == receipts[3].log_index
    assert json.loads(entry(ready, EID, found.log_index) or "{}")["tracking_code"] == code
    assert find_tracking_code(ready, EID, "AAAA-AAAA-AAAA-AAAA") is None

    # Refused: the same ballot again, a stranger's credential, an altered proof.
    assert "already on the board" in cast_ballot(ready, EID, items[0]).reason
    assert "not above this credential's last" in cast_ballot(ready, EID, _cast(p, 0, seeds[1], 2)).reason  # fmt: skip
    assert "not on the public credential list" in cast_ballot(ready, EID, _cast(p, 0, b"\x07" * 32)).reason  # fmt: skip
    bent = json.loads(json.dumps(items[2]))
    bent["ballot"]["contests"][0]["proofs"][1]["v"][0] = f"{(int(bent['ballot']['contests'][0]['proofs'][1]['v'][0], 16) + 1) % G.order:064x}"  # fmt: skip
    assert "option b" in cast_ballot(ready, EID, bent).reason

    with pytest.raises(InputError):
        tally_remote(ready, EID, trustees_decrypt(ready, EID, done.keys[:2]))  # below the quorum
    wrong = replace(done.keys[0], share=(done.keys[0].share + 1) % G.order)
    with pytest.raises(InputError):
        tally_remote(ready, EID, trustees_decrypt(ready, EID, [wrong, *done.keys[1:3]]))
    present = [done.keys[0], done.keys[2], done.keys[4]]
    tally = tally_remote(ready, EID, trustees_decrypt(ready, EID, present))

    # Issue 10, item 6: the lookup says what became of each ballot, after the tally.
    def standing(code: str) -> str:
        found = find_tracking_code(ready, EID, code)
        assert found is not None
        return found.standing

    assert standing(audit.tracking_code) == "audited"
    assert standing(receipts[1].tracking_code) == "superseded"  # voter 1 voted again later
    assert standing(receipts[-1].tracking_code) == "counted"
    assert standing(receipts[0].tracking_code) == "counted"
    assert tally.results == {"list": tuple(intent)}
    assert (tally.counted, tally.challenged, tally.credentials) == (8, 1, 8)
    assert cast_ballot(ready, EID, _cast(p, 0, seeds[0], 3)).reason == "remote voting is closed"
    with pytest.raises(ConflictError):
        tally_remote(ready, EID, trustees_decrypt(ready, EID, done.keys[:3]))

    # The remote unit is a unit of the results: its protocol satisfies every control relation
    # and the tabulation counts it at the station, the abroad region and the nation.
    doc = json.loads(entry(ready, EID, tally.log_index) or "{}")["protocols"][0]
    protocol, problems = protocol_from_json(doc)
    assert protocol is not None and not problems and check_relations(protocol) == []
    _, tab = results(ready, EID)
    unit = tab.get(Level.STATION, "remote", "list")
    assert unit is not None and [n for _, n in unit.counted.votes] == intent
    region = tab.get(Level.REGION, "abroad", "list")
    assert region is not None and region.counted.votes_for("a") >= intent[0]


def test_first_policy_refuses_a_second_cast(ready: Database) -> None:
    p = ceremony(ready, 7, RevotePolicy.FIRST).setup.params
    assert remote_info(ready, EID).params.revote is RevotePolicy.FIRST
    [seed] = issue(ready, ABROAD[:1])
    first, second = _cast(p, 0, seed), _cast(p, 1, seed, 2)
    assert cast_ballot(ready, EID, first).accepted
    r = cast_ballot(ready, EID, second)
    assert not r.accepted and "first one counts" in r.reason
    assert r.tracking_code == hashlib.sha256(canonical_json(second["ballot"])).hexdigest()
