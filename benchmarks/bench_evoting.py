"""Remote voting: achyk vs ElectionGuard 1.4.0, side by side, on ballots of one shape
(one contest, 21 options, one selection). Run with `make bench-evoting`.

ElectionGuard runs in its own Python 3.10 venv (benchmarks/setup_electionguard.sh) through
benchmarks/electionguard_side.py, which prints JSON timings. Also prints the group library's raw
cost (the scalar multiplications achyk performs × the cost of one) and achyk's overhead over it.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from achyk.crypto.group import Point, Secp256k1
from achyk.evoting import credentials
from achyk.evoting.ballot import (
    encrypt_ballot,
    seal_cast,
    tracking_code,
    verify_ballot,
    verify_seal,
)
from achyk.evoting.ceremony import run_ceremony
from achyk.evoting.election import ElectionParams, RemoteContest, RevotePolicy
from achyk.evoting.record import BoardEntry, RemoteRecord, record_to_dict, run_tally
from achyk.evoting.verify import verify_record

HERE = Path(__file__).resolve().parent
OPTIONS = 21
RECORD_BALLOTS = int(os.environ.get("BENCH_RECORD_BALLOTS", "1000"))
BROWSER_BALLOTS = int(os.environ.get("BENCH_BROWSER_BALLOTS", "20"))
EG_BALLOTS = int(os.environ.get("BENCH_EG_BALLOTS", "3"))


class CountingGroup(Secp256k1):
    """Counts the library calls that cost a scalar multiplication."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    def mul(self, p: Point, k: int) -> Point:
        if k % self.order not in (0, 1):  # 0 and 1 cost no multiplication
            self.calls["mul"] += 1
        return super().mul(p, k)

    def base_mul(self, k: int) -> Point:
        self.calls["base_mul"] += 1
        return super().base_mul(k)

    def mul_base_add(self, p: Point, a: int, b: int) -> Point:
        if b % self.order:  # plus the mul it makes, counted there
            self.calls["tweak_add"] += 1
        return super().mul_base_add(p, a, b)


def per_call(f: Any, n: int) -> float:
    f()
    t = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - t) / n


def raw_costs(g: Secp256k1) -> dict[str, float]:
    """The library alone (cffi straight into libsecp256k1), no achyk code around it."""
    from coincurve._libsecp256k1 import ffi, lib

    ctx = g._ctx
    k = random.Random(1).randrange(1, g.order).to_bytes(32, "big")
    p = ffi.new("secp256k1_pubkey *")
    lib.secp256k1_ec_pubkey_create(ctx, p, k)

    def mul() -> None:
        lib.secp256k1_ec_pubkey_tweak_mul(ctx, ffi.new("secp256k1_pubkey *", p[0]), k)

    def base() -> None:
        lib.secp256k1_ec_pubkey_create(ctx, ffi.new("secp256k1_pubkey *"), k)

    def tweak_add() -> None:
        lib.secp256k1_ec_pubkey_tweak_add(ctx, ffi.new("secp256k1_pubkey *", p[0]), k)

    return {"mul": per_call(mul, 3000), "base_mul": per_call(base, 3000),
            "tweak_add": per_call(tweak_add, 3000)}  # fmt: skip


def setup(group: Secp256k1, rng: random.Random) -> tuple[ElectionParams, Any, Any]:
    ceremony, keys = run_ceremony("bench", 5, 3, rng, group)
    contest = RemoteContest("president", tuple(f"c{i}" for i in range(OPTIONS)), 0, 1)
    params = ElectionParams("bench", (contest,), RevotePolicy.LAST, ceremony.joint_key, group)
    return params, ceremony, keys


def choice(i: int) -> dict[str, tuple[int, ...]]:
    return {"president": tuple(int(j == i % OPTIONS) for j in range(OPTIONS))}


def run_electionguard() -> dict[str, Any] | None:
    py = HERE / ".eg-venv" / "bin" / "python"
    if not py.exists():
        print("electionguard venv missing: run benchmarks/setup_electionguard.sh", file=sys.stderr)
        return None
    out = subprocess.run(
        [str(py), str(HERE / "electionguard_side.py"), str(EG_BALLOTS)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    rng = random.Random(2025)
    g = CountingGroup()
    params, ceremony, keys = setup(g, rng)
    seed = credentials.new_seed(rng)

    def encrypt_and_seal() -> Any:
        ballot = encrypt_ballot(params, choice(3), rng).ballot
        return ballot, seal_cast(params, ballot, seed, 1)

    def verify(ballot: Any, seal: Any) -> None:
        verify_ballot(params, ballot)
        verify_seal(params, tracking_code(params, ballot), ballot, seal)

    g.calls.clear()
    ballot, seal = encrypt_and_seal()
    enc_calls = Counter(g.calls)
    g.calls.clear()
    verify(ballot, seal)
    ver_calls = Counter(g.calls)
    enc = per_call(encrypt_and_seal, 20)
    ver = per_call(lambda: verify(ballot, seal), 20)

    raw = raw_costs(g)

    def raw_cost(calls: Counter[str]) -> float:
        return sum(raw[op] * n for op, n in calls.items())

    print(f"group: {g.name} via coincurve/libsecp256k1; one scalar mult "
          f"{raw['mul'] * 1e6:.1f} µs, base mult {raw['base_mul'] * 1e6:.1f} µs, "
          f"P+k·G {raw['tweak_add'] * 1e6:.1f} µs")  # fmt: skip
    for name, t, calls in (("encrypt ballot", enc, enc_calls), ("verify ballot", ver, ver_calls)):
        r = raw_cost(calls)
        print(f"achyk {name}: {t * 1e3:.2f} ms; library raw cost {r * 1e3:.2f} ms "
              f"({dict(calls)}); overhead {t / r:.2f}× raw")  # fmt: skip

    # A record of RECORD_BALLOTS ballots, 5 trustees, quorum 3, two absent at decryption.
    seeds = [credentials.new_seed(rng) for _ in range(RECORD_BALLOTS)]
    t0 = time.perf_counter()
    entries = []
    for i, s in enumerate(seeds):
        b = encrypt_ballot(params, choice(i), rng).ballot
        entries.append(BoardEntry(i, b, seal_cast(params, b, s, 1)))
    build = time.perf_counter() - t0
    tally = run_tally(params, entries, [keys[0], keys[2], keys[4]], rng)
    creds = tuple(sorted(credentials.public_credential(s) for s in seeds))
    record = record_to_dict(RemoteRecord(params, ceremony, creds, tuple(entries), tally))
    workers = os.cpu_count() or 1
    t0 = time.perf_counter()
    verify_record(record, workers=workers, chunk=max(1, RECORD_BALLOTS // (4 * workers)))
    rec = time.perf_counter() - t0
    t0 = time.perf_counter()
    verify_record(record)
    rec_seq = time.perf_counter() - t0
    print(f"achyk {RECORD_BALLOTS}-ballot record: encrypted in {build:.1f} s; verified in "
          f"{rec:.2f} s on {workers} processes, {rec_seq:.2f} s in one")  # fmt: skip

    # The voting page's encryption of the same ballot, in Chromium (benchmarks/browser_encrypt.py).
    from browser_encrypt import browser_encrypt_seconds

    in_browser = browser_encrypt_seconds(
        params.to_dict(), {k: list(v) for k, v in choice(3).items()}, seed, BROWSER_BALLOTS
    )
    if in_browser is None:
        print("browser (voting page): n/a — /usr/bin/chromium is not installed")
    else:
        print(f"browser (voting page, Chromium, @noble/curves): encrypt and seal "
              f"{in_browser * 1e3:.0f} ms per ballot over {BROWSER_BALLOTS} ballots; "
              f"{in_browser / enc:.1f}× the Python client")  # fmt: skip

    eg = run_electionguard()
    if eg is None:
        print("faster than electionguard: encrypt n/a, verify ballot n/a, verify record n/a")
        return
    eg_rec = eg["verify_ballot"] * RECORD_BALLOTS
    print(f"electionguard 1.4.0 ({eg['ballots']} ballots measured): encrypt ballot "
          f"{eg['encrypt_ballot'] * 1e3:.0f} ms, verify ballot {eg['verify_ballot'] * 1e3:.0f} ms, "
          f"{RECORD_BALLOTS}-ballot record ESTIMATED as {RECORD_BALLOTS} × per-ballot "
          f"verification = {eg_rec:.0f} s (tally checks left out: flatters electionguard)")  # fmt: skip
    print(
        f"faster than electionguard: encrypt {eg['encrypt_ballot'] / enc:.0f}×, "
        f"verify ballot {eg['verify_ballot'] / ver:.0f}×, verify record {eg_rec / rec:.0f}×"
    )


if __name__ == "__main__":
    main()
