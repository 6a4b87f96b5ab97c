"""Tally: re-vote selection, homomorphic aggregation, threshold decryption with proofs, totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from achyk.crypto import elgamal
from achyk.crypto.elgamal import Ciphertext, DlogTable
from achyk.crypto.errors import DecryptionError
from achyk.crypto.group import SYSTEM_RNG, Point, Rng
from achyk.crypto.hashing import Item, element_hex, parse_element
from achyk.crypto.proofs import ChaumPedersenProof, dleq_prove, dleq_verify
from achyk.crypto.threshold import lagrange_at_zero
from achyk.errors import AchykError
from achyk.evoting.ballot import Ballot
from achyk.evoting.ceremony import TrusteeKey
from achyk.evoting.election import ElectionParams, RevotePolicy

# contest id → one aggregate ciphertext per option
Aggregate = dict[str, tuple[Ciphertext, ...]]


@dataclass(frozen=True)
class CastEntry:
    """A cast ballot's place on the bulletin board; `seq` orders re-votes."""

    seq: int
    credential: str


def select_counted(entries: Sequence[CastEntry], policy: RevotePolicy) -> set[int]:
    """The seqs that count: per credential, its first or its last cast ballot."""
    chosen: dict[str, int] = {}
    for e in sorted(entries, key=lambda e: e.seq):
        if policy is RevotePolicy.LAST or e.credential not in chosen:
            chosen[e.credential] = e.seq
    return set(chosen.values())


def aggregate(params: ElectionParams, ballots: Sequence[Ballot]) -> Aggregate:
    g = params.group
    out: Aggregate = {}
    for ci, rc in enumerate(params.contests):
        out[rc.id] = tuple(
            elgamal.aggregate(g, [b.contests[ci].selections[i] for b in ballots])
            for i in range(len(rc.options))
        )
    return out


def aggregate_to_dict(params: ElectionParams, agg: Aggregate) -> dict[str, Any]:
    return {cid: [ct.to_dict(params.group) for ct in cts] for cid, cts in agg.items()}


def aggregate_from_dict(params: ElectionParams, d: Any) -> Aggregate:
    return {
        rc.id: tuple(Ciphertext.from_dict(params.group, ct) for ct in d[rc.id])
        for rc in params.contests
    }


@dataclass(frozen=True)
class DecryptionShare:
    """Trustee j's x_j·A for every aggregate ciphertext, each with a Chaum–Pedersen proof."""

    trustee: int
    shares: dict[str, tuple[tuple[Point, ChaumPedersenProof], ...]]

    def to_dict(self, params: ElectionParams) -> dict[str, Any]:
        g = params.group
        return {
            "trustee": self.trustee,
            "shares": {
                cid: [{"share": element_hex(g, p), "proof": pr.to_dict(g)} for p, pr in items]
                for cid, items in self.shares.items()
            },
        }

    @staticmethod
    def from_dict(params: ElectionParams, d: Any) -> DecryptionShare:
        g = params.group
        return DecryptionShare(
            int(d["trustee"]),
            {
                rc.id: tuple(
                    (
                        parse_element(g, s["share"], allow_identity=True),
                        ChaumPedersenProof.from_dict(g, s["proof"]),
                    )
                    for s in d["shares"][rc.id]
                )
                for rc in params.contests
            },
        )


def _share_context(trustee: int, contest_id: str, option: int) -> list[Item]:
    return ["decryption-share", trustee, contest_id, option]


def decrypt_share(
    params: ElectionParams, key: TrusteeKey, agg: Aggregate, rng: Rng = SYSTEM_RNG
) -> DecryptionShare:
    g = params.group
    shares: dict[str, tuple[tuple[Point, ChaumPedersenProof], ...]] = {}
    for cid, cts in agg.items():
        shares[cid] = tuple(
            (
                g.mul(ct.pad, key.share),
                dleq_prove(
                    g, params.base_hash, key.share, ct.pad, _share_context(key.index, cid, i), rng
                ),
            )
            for i, ct in enumerate(cts)
        )
    return DecryptionShare(key.index, shares)


def verify_decryption_share(
    params: ElectionParams, share: DecryptionShare, verification_key: Point, agg: Aggregate
) -> tuple[str, int] | None:
    """None if every proof checks; else the (contest, option) that fails."""
    g = params.group
    for cid, cts in agg.items():
        items = share.shares.get(cid, ())
        if len(items) != len(cts):
            return cid, -1
        for i, (ct, (d, proof)) in enumerate(zip(cts, items, strict=True)):
            try:
                dleq_verify(g, params.base_hash, verification_key, ct.pad, d, proof,
                            _share_context(share.trustee, cid, i))  # fmt: skip
            except AchykError:
                return cid, i
    return None


def combined_points(
    params: ElectionParams, agg: Aggregate, shares: Sequence[DecryptionShare]
) -> dict[str, tuple[Point, ...]]:
    """t·G per option: B − Σ λ_j·D_j over the trustees present (any quorum of them)."""
    g = params.group
    indices = [s.trustee for s in shares]
    lambdas = {j: lagrange_at_zero(g, indices, j) for j in indices}
    out: dict[str, tuple[Point, ...]] = {}
    for cid, cts in agg.items():
        pts = []
        for i, ct in enumerate(cts):
            m = g.sum([g.mul(s.shares[cid][i][0], lambdas[s.trustee]) for s in shares])
            pts.append(g.sub(ct.data, m))
        out[cid] = tuple(pts)
    return out


def decrypt_totals(
    params: ElectionParams, agg: Aggregate, shares: Sequence[DecryptionShare], ballots: int
) -> dict[str, tuple[int, ...]]:
    """Totals by discrete log over 0..ballots (a total cannot exceed the number counted)."""
    table = DlogTable(params.group, ballots)
    out: dict[str, tuple[int, ...]] = {}
    for cid, pts in combined_points(params, agg, shares).items():
        totals = []
        for i, p in enumerate(pts):
            t = table.lookup(p)
            if t is None:
                raise DecryptionError(f"contest {cid} option {i}: total outside 0..{ballots}")
            totals.append(t)
        out[cid] = tuple(totals)
    return out
