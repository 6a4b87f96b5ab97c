"""ElectionGuard 1.4.0 side of the remote-voting benchmark; runs in benchmarks/.eg-venv (Python 3.10).

Same ballot shape as achyk's side: one contest, 21 options, one selection allowed. Prints JSON
timings (seconds) on stdout. Record verification is estimated from per-ballot verification
(ElectionGuard at ~1 s a ballot would take a quarter of an hour for 1,000): the estimate leaves out
ElectionGuard's tally and decryption checks, so it flatters ElectionGuard.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import datetime, timezone

from electionguard.ballot import PlaintextBallot, PlaintextBallotContest, PlaintextBallotSelection
from electionguard.election import make_ciphertext_election_context
from electionguard.elgamal import elgamal_keypair_random
from electionguard.encrypt import encrypt_ballot
from electionguard.group import ONE_MOD_Q
from electionguard.manifest import (
    BallotStyle,
    Candidate,
    CandidateContestDescription,
    ElectionType,
    GeopoliticalUnit,
    InternalManifest,
    Manifest,
    ReportingUnitType,
    SelectionDescription,
    SpecVersion,
    VoteVariationType,
)

OPTIONS = 21


def manifest() -> Manifest:
    gp = GeopoliticalUnit("abroad", "abroad", ReportingUnitType.country)
    candidates = [Candidate(f"cand-{i}") for i in range(OPTIONS)]
    selections = [SelectionDescription(f"sel-{i}", i, f"cand-{i}") for i in range(OPTIONS)]
    contest = CandidateContestDescription(
        "president", 0, "abroad", VoteVariationType.one_of_m, 1, 1, "President", selections
    )
    now = datetime.now(timezone.utc)  # noqa: UP017 - runs on Python 3.10, which has no datetime.UTC
    return Manifest(
        "bench",
        SpecVersion.EG0_95,
        ElectionType.general,
        now,
        now,
        [gp],
        [],
        candidates,
        [contest],
        [BallotStyle("style", ["abroad"])],
    )


def main() -> None:
    # ElectionGuard logs every ciphertext at INFO; logging would be timed along with the crypto.
    logging.disable(logging.CRITICAL)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    m = manifest()
    internal = InternalManifest(m)
    keys = elgamal_keypair_random()
    ctx = make_ciphertext_election_context(1, 1, keys.public_key, ONE_MOD_Q, m.crypto_hash())
    ballots = []
    t = time.perf_counter()
    for i in range(n):
        plain = PlaintextBallot(
            f"b{i}",
            "style",
            [
                PlaintextBallotContest(
                    "president", [PlaintextBallotSelection(f"sel-{i % OPTIONS}", 1)]
                )
            ],
        )
        enc = encrypt_ballot(plain, internal, ctx, ONE_MOD_Q)
        assert enc is not None
        ballots.append(enc)
    encrypt = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for b in ballots:
        ok = b.is_valid_encryption(m.crypto_hash(), keys.public_key, ctx.crypto_extended_base_hash)
        assert ok
    verify = (time.perf_counter() - t) / n
    json.dump(
        {"ballots": n, "encrypt_ballot": encrypt, "verify_ballot": verify,
         "verify_record_1000_estimated": verify * 1000},
        sys.stdout,
    )  # fmt: skip
    print()


if __name__ == "__main__":
    main()
