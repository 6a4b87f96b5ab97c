"""Encrypted ballots: per-option ciphertexts with 0/1 proofs, a min..max proof per contest, signed
with the voter's credential; tracking codes; Benaloh cast-or-challenge openings."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
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


class BallotInvalid(VerificationError):
    """A ballot fails a check; `where` names the ballot part (contest, option, signature)."""

    def __init__(self, where: str, what: str) -> None:
        self.where, self.what = where, what
        super().__init__(f"{where}: {what}")


@dataclass(frozen=True)
class EncryptedContest:
    contest_id: str
    selections: tuple[Ciphertext, ...]
    proofs: tuple[RangeProof, ...]  # each selection encrypts 0 or 1
    sum_proof: RangeProof  # their sum lies in min..max


@dataclass(frozen=True)
class Ballot:
    credential: str  # hex Ed25519 public key from the public credential list
    contests: tuple[EncryptedContest, ...]
    signature: bytes


@dataclass(frozen=True)
class BallotOpening:
    """A challenged ballot's secrets: the choices and nonces, per contest. Revealed, never cast."""

    choices: tuple[tuple[int, ...], ...]
    nonces: tuple[tuple[int, ...], ...]


def _option_context(credential: str, contest_id: str, option: int) -> list[Item]:
    return ["option", credential, contest_id, option]


def _sum_context(credential: str, contest_id: str) -> list[Item]:
    return ["contest-sum", credential, contest_id]


def body_dict(
    params: ElectionParams, credential: str, contests: tuple[EncryptedContest, ...]
) -> Any:
    g = params.group
    return {
        "election": params.base_hash,
        "credential": credential,
        "contests": [
            {
                "id": c.contest_id,
                "selections": [ct.to_dict(g) for ct in c.selections],
                "proofs": [p.to_dict(g) for p in c.proofs],
                "sum_proof": c.sum_proof.to_dict(g),
            }
            for c in contests
        ],
    }


def signed_bytes(
    params: ElectionParams, credential: str, contests: tuple[EncryptedContest, ...]
) -> bytes:
    """What the credential signs: the ballot body in a length-prefixed binary form.

    It is in one-to-one correspondence with the body's canonical JSON (fixed-size elements and
    scalars, length-prefixed text) and far cheaper to build than RFC 8785 on every ballot."""
    g = params.group
    out = [b"achyk/ballot/v1", _lp(params.base_hash.encode()), _lp(credential.encode())]
    size = g.scalar_size
    for c in contests:
        out.append(_lp(c.contest_id.encode()))
        out.append(len(c.selections).to_bytes(4, "big"))
        for ct, p in zip(c.selections, c.proofs, strict=True):
            out += [g.encode(ct.pad), g.encode(ct.data)]
            out += [x.to_bytes(size, "big") for x in (*p.challenges, *p.responses)]
        sp = c.sum_proof
        out.append(len(sp.challenges).to_bytes(4, "big"))
        out += [x.to_bytes(size, "big") for x in (*sp.challenges, *sp.responses)]
    return b"".join(_lp(x) for x in out)


def _lp(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def ballot_to_dict(params: ElectionParams, ballot: Ballot) -> dict[str, Any]:
    return {
        "body": body_dict(params, ballot.credential, ballot.contests),
        "signature": base64.b64encode(ballot.signature).decode(),
    }


def ballot_from_dict(params: ElectionParams, d: Any) -> Ballot:
    g = params.group
    body = d["body"]
    if body["election"] != params.base_hash:
        raise InvalidEncoding("ballot is for another election")
    contests = []
    for c in body["contests"]:
        rc = params.contest(c["id"])
        contests.append(
            EncryptedContest(
                rc.id,
                tuple(Ciphertext.from_dict(g, ct) for ct in c["selections"]),
                tuple(RangeProof.from_dict(g, p, 0, 1) for p in c["proofs"]),
                RangeProof.from_dict(g, c["sum_proof"], rc.min_selections, rc.max_selections),
            )
        )
    return Ballot(str(body["credential"]), tuple(contests), base64.b64decode(d["signature"]))


def tracking_code(params: ElectionParams, ballot: Ballot) -> str:
    """Hex SHA-256 of the canonical ballot, signature included: what the voter keeps."""
    return hashlib.sha256(canonical_json(ballot_to_dict(params, ballot))).hexdigest()


def short_code(code: str) -> str:
    """The first 80 bits in base32, grouped for reading aloud: 'ABCD-EFGH-IJKL-MNOP'."""
    s = base64.b32encode(bytes.fromhex(code)[:10]).decode()
    return "-".join(s[i : i + 4] for i in range(0, 16, 4))


def encrypt_ballot(
    params: ElectionParams,
    choices: dict[str, tuple[int, ...]],
    seed: bytes,
    rng: Rng = SYSTEM_RNG,
) -> tuple[Ballot, BallotOpening]:
    """Encrypt `choices` (contest id → 0/1 per option), prove, and sign with the credential seed."""
    g, k, bh = params.group, params.public_key, params.base_hash
    credential = credentials.public_credential(seed)
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
            range_prove(g, bh, k, ct, m, r, 0, 1, _option_context(credential, rc.id, i), rng)
            for i, (ct, m, r) in enumerate(zip(cts, marks, nonces, strict=True))
        )
        total = elgamal.aggregate(g, list(cts))
        sum_proof = range_prove(
            g, bh, k, total, sum(marks), sum(nonces) % g.order,
            rc.min_selections, rc.max_selections, _sum_context(credential, rc.id), rng,
        )  # fmt: skip
        contests.append(EncryptedContest(rc.id, cts, proofs, sum_proof))
        all_nonces.append(nonces)
    body = tuple(contests)
    signature = credentials.sign(seed, signed_bytes(params, credential, body))
    opening = BallotOpening(tuple(choices.get(c.id, (0,) * len(c.options)) for c in params.contests), tuple(all_nonces))  # fmt: skip
    return Ballot(credential, body, signature), opening


def verify_ballot(params: ElectionParams, ballot: Ballot) -> None:
    """Raise BallotInvalid naming the part that fails; the credential list is checked elsewhere."""
    g, k, bh = params.group, params.public_key, params.base_hash
    if [c.contest_id for c in ballot.contests] != [c.id for c in params.contests]:
        raise BallotInvalid("contests", "not the election's contests in order")
    for rc, ec in zip(params.contests, ballot.contests, strict=True):
        if len(ec.selections) != len(rc.options) or len(ec.proofs) != len(rc.options):
            raise BallotInvalid(f"contest {rc.id}", "wrong number of selections")
        for i, (ct, p) in enumerate(zip(ec.selections, ec.proofs, strict=True)):
            try:
                range_verify(g, bh, k, ct, p, 0, 1, _option_context(ballot.credential, rc.id, i))
            except AchykError as e:
                raise BallotInvalid(f"contest {rc.id} option {rc.options[i]}", str(e)) from e
        total = elgamal.aggregate(g, list(ec.selections))
        try:
            range_verify(g, bh, k, total, ec.sum_proof, rc.min_selections, rc.max_selections,
                         _sum_context(ballot.credential, rc.id))  # fmt: skip
        except AchykError as e:
            raise BallotInvalid(f"contest {rc.id} selection count", str(e)) from e
    # Last, so an altered proof is reported as such rather than as a broken signature.
    message = signed_bytes(params, ballot.credential, ballot.contests)
    if not credentials.verify(ballot.credential, ballot.signature, message):
        raise BallotInvalid("signature", "credential signature does not verify")


def opening_to_dict(params: ElectionParams, opening: BallotOpening) -> dict[str, Any]:
    return {
        "choices": [list(c) for c in opening.choices],
        "nonces": [[scalar_hex(params.group, r) for r in ns] for ns in opening.nonces],
    }


def opening_from_dict(params: ElectionParams, d: Any) -> BallotOpening:
    return BallotOpening(
        tuple(tuple(int(m) for m in c) for c in d["choices"]),
        tuple(tuple(parse_scalar(params.group, r) for r in ns) for ns in d["nonces"]),
    )


def verify_opening(params: ElectionParams, ballot: Ballot, opening: BallotOpening) -> None:
    """Benaloh check: the challenged ballot encrypts exactly the revealed choices with these nonces."""
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
