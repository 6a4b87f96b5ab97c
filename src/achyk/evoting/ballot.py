"""Encrypted ballots: per-option ciphertexts with 0/1 proofs and a min..max proof per contest, bound
to a one-time ballot key; the tracking code; the seal (cast with the credential, or audit with the
ballot key); Benaloh openings.

The order is Benaloh's: the device encrypts and proves (`encrypt_ballot`), shows the tracking code —
the SHA-256 of the ballot body, fixed before any decision — and only then learns whether the voter
casts or audits it. Casting seals the tracking code with the voter's credential, a per-credential
counter and the election hash (`seal_cast`); auditing seals it with the one-time ballot key and
publishes the opening (`seal_audit`), with no credential: an audited ballot cannot be tied to its
voter and cannot be counted. What is signed, byte for byte, is in docs/record-format.md.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from achyk.canonical import canonical_json
from achyk.crypto import elgamal
from achyk.crypto.elgamal import Ciphertext
from achyk.crypto.errors import InvalidEncoding
from achyk.crypto.group import SYSTEM_RNG, Rng
from achyk.crypto.hashing import Item, parse_scalar, scalar_hex
from achyk.crypto.proofs import RangeProof, range_prove, range_verify
from achyk.errors import AchykError, VerificationError
from achyk.evoting import credentials
from achyk.evoting.election import ElectionParams

SEAL_DOMAIN = b"achyk/ballot-seal/v2\n"


class BallotInvalid(VerificationError):
    """A ballot fails a check; `where` names the ballot part (contest, option, signature)."""

    def __init__(self, where: str, what: str) -> None:
        self.where, self.what = where, what
        super().__init__(f"{where}: {what}")


class Intent(StrEnum):
    CAST = "cast"
    AUDIT = "audit"


@dataclass(frozen=True)
class EncryptedContest:
    contest_id: str
    selections: tuple[Ciphertext, ...]
    proofs: tuple[RangeProof, ...]  # each selection encrypts 0 or 1
    sum_proof: RangeProof  # their sum lies in min..max


@dataclass(frozen=True)
class Ballot:
    """The body: what the tracking code hashes. No credential: it is fixed before cast-or-audit."""

    ballot_key: str  # hex Ed25519 one-time public key; every proof is bound to it
    contests: tuple[EncryptedContest, ...]


@dataclass(frozen=True)
class Seal:
    """The decision on a ballot, signed: by the credential (cast) or the ballot key (audit)."""

    intent: Intent
    credential: str  # canonical hex credential key; "" for an audit
    counter: int  # strictly increasing per credential (≥ 1); 0 for an audit
    signature: bytes


@dataclass(frozen=True)
class BallotOpening:
    """An audited ballot's secrets: the choices and nonces, per contest. Revealed, never cast."""

    choices: tuple[tuple[int, ...], ...]
    nonces: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Prepared:
    """What the voting device holds after encrypting: the ballot, its secrets, the ballot key seed."""

    ballot: Ballot
    opening: BallotOpening
    ballot_key_seed: bytes


def _option_context(ballot_key: str, contest_id: str, option: int) -> list[Item]:
    return ["option", ballot_key, contest_id, option]


def _sum_context(ballot_key: str, contest_id: str) -> list[Item]:
    return ["contest-sum", ballot_key, contest_id]


def body_dict(params: ElectionParams, ballot: Ballot) -> dict[str, Any]:
    g = params.group
    return {
        "election": params.base_hash,
        "ballot_key": ballot.ballot_key,
        "contests": [
            {
                "id": c.contest_id,
                "selections": [ct.to_dict(g) for ct in c.selections],
                "proofs": [p.to_dict(g) for p in c.proofs],
                "sum_proof": c.sum_proof.to_dict(g),
            }
            for c in ballot.contests
        ],
    }


def _list(d: Any, key: str) -> list[Any]:
    v = d[key]
    if not isinstance(v, list):
        raise InvalidEncoding(f"{key}: not a list")
    return v


def ballot_from_dict(params: ElectionParams, body: Any) -> Ballot:
    """Parse a ballot body strictly: every ciphertext component must be a point other than the
    identity (a pad of 0·G is a nonce of 0: the vote in the clear)."""
    g = params.group
    if not isinstance(body, dict) or body.get("election") != params.base_hash:
        raise InvalidEncoding("ballot is for another election")
    key = credentials.parse_key(body.get("ballot_key"))
    if key != body["ballot_key"]:
        raise InvalidEncoding("ballot key is not in canonical (lowercase) form")
    contests = []
    for c in _list(body, "contests"):
        rc = params.contest(str(c["id"]))
        contests.append(
            EncryptedContest(
                rc.id,
                tuple(
                    Ciphertext.from_dict(g, ct, allow_identity=False)
                    for ct in _list(c, "selections")
                ),
                tuple(RangeProof.from_dict(g, p, 0, 1) for p in _list(c, "proofs")),
                RangeProof.from_dict(g, c["sum_proof"], rc.min_selections, rc.max_selections),
            )
        )
    return Ballot(key, tuple(contests))


def tracking_code(params: ElectionParams, ballot: Ballot) -> str:
    """Hex SHA-256 of the canonical ballot body: what the voter sees before deciding, and keeps."""
    return hashlib.sha256(canonical_json(body_dict(params, ballot))).hexdigest()


def short_code(code: str) -> str:
    """The first 80 bits in base32, grouped for reading aloud: 'ABCD-EFGH-IJKL-MNOP'."""
    s = base64.b32encode(bytes.fromhex(code)[:10]).decode()
    return "-".join(s[i : i + 4] for i in range(0, 16, 4))


def seal_message(base_hash: str, code: str, intent: Intent, credential: str, counter: int) -> bytes:
    """The bytes a seal signs: a domain line, then the RFC 8785 canonical JSON of the statement."""
    statement = {"counter": counter, "credential": credential, "election": base_hash,
                 "intent": intent.value, "tracking_code": code}  # fmt: skip
    return SEAL_DOMAIN + canonical_json(statement)


def encrypt_ballot(
    params: ElectionParams, choices: dict[str, tuple[int, ...]], rng: Rng = SYSTEM_RNG
) -> Prepared:
    """Encrypt `choices` (contest id → 0/1 per option) and prove, under a fresh one-time ballot key.
    Nothing here knows whether the ballot will be cast or audited."""
    g, k, bh = params.group, params.public_key, params.base_hash
    key_seed = credentials.new_seed(rng)
    ballot_key = credentials.public_credential(key_seed)
    contests: list[EncryptedContest] = []
    all_nonces: list[tuple[int, ...]] = []
    for rc in params.contests:
        marks = choices.get(rc.id, (0,) * len(rc.options))
        if len(marks) != len(rc.options) or any(m not in (0, 1) for m in marks):
            raise ValueError(f"contest {rc.id}: one 0/1 mark per option")
        if not rc.min_selections <= sum(marks) <= rc.max_selections:
            raise ValueError(f"contest {rc.id}: {sum(marks)} selections outside the allowed range")
        nonces = tuple(g.random_scalar(rng) for _ in marks)
        cts = tuple(elgamal.encrypt(g, k, m, r) for m, r in zip(marks, nonces, strict=True))
        proofs = tuple(
            range_prove(g, bh, k, ct, m, r, 0, 1, _option_context(ballot_key, rc.id, i), rng)
            for i, (ct, m, r) in enumerate(zip(cts, marks, nonces, strict=True))
        )
        total = elgamal.aggregate(g, list(cts))
        sum_proof = range_prove(
            g, bh, k, total, sum(marks), sum(nonces) % g.order,
            rc.min_selections, rc.max_selections, _sum_context(ballot_key, rc.id), rng,
        )  # fmt: skip
        contests.append(EncryptedContest(rc.id, cts, proofs, sum_proof))
        all_nonces.append(nonces)
    opening = BallotOpening(tuple(choices.get(c.id, (0,) * len(c.options)) for c in params.contests), tuple(all_nonces))  # fmt: skip
    return Prepared(Ballot(ballot_key, tuple(contests)), opening, key_seed)


def seal_cast(params: ElectionParams, ballot: Ballot, seed: bytes, counter: int) -> Seal:
    """Cast: the credential signs the tracking code, its counter and the election hash."""
    if counter < 1:
        raise ValueError("a cast ballot's counter is at least 1")
    cred = credentials.public_credential(seed)
    msg = seal_message(params.base_hash, tracking_code(params, ballot), Intent.CAST, cred, counter)
    return Seal(Intent.CAST, cred, counter, credentials.sign(seed, msg))


def seal_audit(params: ElectionParams, prepared: Prepared) -> Seal:
    """Audit: the one-time ballot key signs; no credential appears anywhere on the entry."""
    code = tracking_code(params, prepared.ballot)
    msg = seal_message(params.base_hash, code, Intent.AUDIT, "", 0)
    return Seal(Intent.AUDIT, "", 0, credentials.sign(prepared.ballot_key_seed, msg))


def verify_ballot(params: ElectionParams, ballot: Ballot) -> None:
    """Raise BallotInvalid naming the part that fails (the proofs; the seal is checked apart)."""
    g, k, bh = params.group, params.public_key, params.base_hash
    if [c.contest_id for c in ballot.contests] != [c.id for c in params.contests]:
        raise BallotInvalid("contests", "not the election's contests in order")
    for rc, ec in zip(params.contests, ballot.contests, strict=True):
        if len(ec.selections) != len(rc.options) or len(ec.proofs) != len(rc.options):
            raise BallotInvalid(f"contest {rc.id}", "wrong number of selections")
        for i, (ct, p) in enumerate(zip(ec.selections, ec.proofs, strict=True)):
            try:
                range_verify(g, bh, k, ct, p, 0, 1, _option_context(ballot.ballot_key, rc.id, i))
            except AchykError as e:
                raise BallotInvalid(f"contest {rc.id} option {rc.options[i]}", str(e)) from e
        total = elgamal.aggregate(g, list(ec.selections))
        try:
            range_verify(g, bh, k, total, ec.sum_proof, rc.min_selections, rc.max_selections,
                         _sum_context(ballot.ballot_key, rc.id))  # fmt: skip
        except AchykError as e:
            raise BallotInvalid(f"contest {rc.id} selection count", str(e)) from e


def verify_seal(params: ElectionParams, code: str, ballot: Ballot, seal: Seal) -> None:
    """The seal's signature: by the credential for a cast ballot, by the ballot key for an audit."""
    signer = seal.credential if seal.intent is Intent.CAST else ballot.ballot_key
    msg = seal_message(params.base_hash, code, seal.intent, seal.credential, seal.counter)
    if not credentials.verify(signer, seal.signature, msg):
        who = "credential" if seal.intent is Intent.CAST else "one-time ballot key"
        raise BallotInvalid("signature", f"{who} signature does not verify")


def seal_from_dict(d: Any, intent: Intent) -> Seal:
    """The seal fields of a submission or board entry. Types are strict: a counter of "1" or
    True is not 1, so one statement cannot be spelled two ways."""
    sig = d.get("signature")
    if not isinstance(sig, str):
        raise InvalidEncoding("signature: missing")
    try:
        raw = base64.b64decode(sig, validate=True)
    except ValueError as e:
        raise InvalidEncoding("signature: not base64") from e
    if base64.b64encode(raw).decode() != sig or len(raw) != 64:
        raise InvalidEncoding("signature: not a canonical 64-byte base64 signature")
    if intent is Intent.AUDIT:
        if "credential" in d or "counter" in d:
            raise InvalidEncoding("an audited ballot carries no credential and no counter")
        return Seal(intent, "", 0, raw)
    counter = d.get("counter")
    if not isinstance(counter, int) or isinstance(counter, bool) or not 1 <= counter < 1 << 53:
        raise InvalidEncoding(f"counter {counter!r}: not an integer ≥ 1")
    cred = credentials.parse_key(d.get("credential"))
    if cred != d["credential"]:
        raise InvalidEncoding("credential is not in canonical (lowercase) form")
    return Seal(intent, cred, counter, raw)


def seal_to_dict(seal: Seal) -> dict[str, Any]:
    out: dict[str, Any] = {"signature": base64.b64encode(seal.signature).decode()}
    if seal.intent is Intent.CAST:
        out |= {"credential": seal.credential, "counter": seal.counter}
    return out


def opening_to_dict(params: ElectionParams, opening: BallotOpening) -> dict[str, Any]:
    return {
        "choices": [list(c) for c in opening.choices],
        "nonces": [[scalar_hex(params.group, r) for r in ns] for ns in opening.nonces],
    }


def opening_from_dict(params: ElectionParams, d: Any) -> BallotOpening:
    def mark(m: Any) -> int:
        if not isinstance(m, int) or isinstance(m, bool):
            raise InvalidEncoding(f"choice {m!r}: not 0 or 1")
        return m

    return BallotOpening(
        tuple(tuple(mark(m) for m in c) for c in _list(d, "choices")),
        tuple(tuple(parse_scalar(params.group, r) for r in ns) for ns in _list(d, "nonces")),
    )


def verify_opening(params: ElectionParams, ballot: Ballot, opening: BallotOpening) -> None:
    """Benaloh check: the audited ballot encrypts exactly the revealed choices with these nonces."""
    g, k = params.group, params.public_key
    if len(opening.choices) != len(ballot.contests) or len(opening.nonces) != len(ballot.contests):
        raise BallotInvalid("opening", "does not cover every contest")
    for ec, marks, nonces in zip(ballot.contests, opening.choices, opening.nonces, strict=True):
        if len(marks) != len(ec.selections) or len(nonces) != len(ec.selections):
            raise BallotInvalid(f"opening contest {ec.contest_id}", "wrong number of options")
        for i, (ct, m, r) in enumerate(zip(ec.selections, marks, nonces, strict=True)):
            if not elgamal.matches_opening(g, k, ct, m, r):
                raise BallotInvalid(
                    f"opening contest {ec.contest_id} option {i}", "ciphertext ≠ revealed choice"
                )


# --- submissions: what a voting client sends -------------------------------------------------------


def submission(
    params: ElectionParams, ballot: Ballot, seal: Seal, opening: BallotOpening | None = None
) -> dict[str, Any]:
    """{"ballot", "intent", "signature", "credential"+"counter" (cast) | "opening" (audit)}."""
    out: dict[str, Any] = {"ballot": body_dict(params, ballot), "intent": seal.intent.value}
    out |= seal_to_dict(seal)
    if seal.intent is Intent.AUDIT:
        if opening is None:
            raise ValueError("an audit publishes the opening")
        out["opening"] = opening_to_dict(params, opening)
    return out


@dataclass(frozen=True)
class Checked:
    """A parsed and fully verified ballot with its seal (and opening, for an audit)."""

    ballot: Ballot
    code: str
    seal: Seal
    opening: BallotOpening | None


def check_sealed(params: ElectionParams, d: Any, intent: Intent) -> Checked:
    """Parse and verify a sealed ballot (a submission, or a board entry once its status gives the
    intent): proofs, identity-free ciphertexts, seal signature, and an audit's opening."""
    if not isinstance(d, dict):
        raise InvalidEncoding("not a JSON object")
    ballot = ballot_from_dict(params, d.get("ballot"))
    seal = seal_from_dict(d, intent)
    opening = None
    if intent is Intent.AUDIT:
        opening = opening_from_dict(params, d.get("opening"))
    elif "opening" in d:
        raise InvalidEncoding("a cast ballot publishes no opening")
    verify_ballot(params, ballot)
    code = tracking_code(params, ballot)
    verify_seal(params, code, ballot, seal)
    if opening is not None:
        verify_opening(params, ballot, opening)
    return Checked(ballot, code, seal, opening)
