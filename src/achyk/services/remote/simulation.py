"""Remote voting abroad in a simulated election, through the real services.

Five trustees (the CEC, two parties, the OSCE/ODIHR and CIS observer missions) hold the key, any
three decrypt. Voters abroad who did not vote at a station obtain credentials (the register checks
them in on the remote channel); their devices encrypt ballots (here: a process pool standing in for
thousands of phones); some voters challenge a ballot first (Benaloh), some vote again later; the
tally is decrypted with two trustees absent. A few voters then try the other channel and are refused.

The simulated election needs a remote unit in its definition: `with_remote_unit(sim)` adds one to
the abroad region (call it before the election is loaded).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from achyk.crypto.group import SYSTEM_RNG, Rng
from achyk.domain.definition import Election, Region, Station
from achyk.domain.register import MatchResult
from achyk.errors import InputError
from achyk.evoting import credentials as creds
from achyk.evoting.authority import authority_public_key, new_authority_key, sign_list
from achyk.evoting.ballot import encrypt_ballot, seal_audit, seal_cast, submission
from achyk.evoting.ceremony import TrusteeKey
from achyk.evoting.election import ElectionParams, RevotePolicy
from achyk.evoting.tally import DecryptionShare, decrypt_share
from achyk.evoting.unit import remote_unit
from achyk.services.checkin import BatchCheckin, check_in_batch
from achyk.services.elections import get_election, load_election
from achyk.services.remote.ceremony import RemoteSetup
from achyk.services.remote.tally import board_aggregate, close_remote, tally_remote
from achyk.services.remote.voting import (
    RemoteVotingError,
    cast_ballots,
    import_credentials,
    remote_info,
)
from achyk.sim.generator import SimElection
from achyk.sim.voters import VoterNumbers, register_secret, station_slices
from achyk.store.database import Database
from achyk.store.register_repo import RegisterRepo
from achyk.store.repositories import Elections

TRUSTEES = (
    "Central Election Commission",
    "Party of the Mountains",
    "Union of Valleys",
    "OSCE/ODIHR election observation mission",
    "CIS observer mission",
)
QUORUM = 3
PRESENT = (1, 3, 5)  # trustees 2 and 4 are absent at decryption
REMOTE_STATION_ID = "remote"
WORKERS = 2

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def add_remote_unit(election: Election, station_id: str = REMOTE_STATION_ID) -> Election:
    """The election with a remote unit (channel "remote") in the first district abroad."""
    if remote_unit(election) is not None:
        return election
    regions: list[Region] = []
    added = False
    for r in election.regions:
        if r.abroad and not added:
            first = r.districts[0]
            unit = Station(station_id, "Remote voting abroad", "internet", 0, channel="remote")
            r = replace(r, districts=(replace(first, stations=(*first.stations, unit)),
                                      *r.districts[1:]))  # fmt: skip
            added = True
        regions.append(r)
    if not added:
        raise RemoteVotingError(f"election {election.id} has no abroad region for a remote unit")
    return replace(election, regions=tuple(regions))


# The credential authority's secret keys, by public key: the simulation stands in for the
# authority's own machine, so they live in this process only — never in the database.
_AUTHORITIES: dict[str, bytes] = {}


def with_remote_unit(sim: SimElection, rng: Rng = SYSTEM_RNG) -> SimElection:
    """`sim` with a remote unit and a credential authority (a fresh key) in its definition."""
    election = add_remote_unit(sim.election)
    if election.credential_authority is None:
        secret = new_authority_key(rng)
        public = authority_public_key(secret)
        _AUTHORITIES[public] = secret
        election = replace(election, credential_authority=public)
    return replace(sim, election=election)


@dataclass(frozen=True)
class SimulatedCeremony:
    setup: RemoteSetup
    keys: tuple[TrusteeKey, ...]  # each on its trustee's machine: here, this process only


def simulate_ceremony(
    db: Database,
    election_id: str,
    names: Sequence[str],
    quorum: int,
    *,
    revote: RevotePolicy = RevotePolicy.LAST,
    rng: Rng = SYSTEM_RNG,
) -> SimulatedCeremony:
    """The distributed ceremony with every trustee's machine simulated in this process: each
    announces, deals and receives through the server's relay (achyk.services.remote.ceremony),
    exactly as `achyk trustee …` does on separate machines (tests/integration/test_trustees.py)."""
    from achyk.evoting.trustee import announce, make_dealing, receive
    from achyk.services.remote.ceremony import (
        ceremony_state,
        open_ceremony,
        post_complaint,
        post_dealing,
        setup_remote,
    )

    eid = get_election(db, election_id).id
    with db.read() as s:
        row = Elections(s).get(eid)
        assert row is not None
        base = row.definition_hash
    machines = [announce(base, i, n, rng) for i, n in enumerate(names, 1)]
    open_ceremony(db, eid, [a.to_dict() for _, a in machines], quorum)
    state = ceremony_state(db, eid)
    for i, (aux, _) in enumerate(machines, 1):
        _, dealing = make_dealing(base, i, aux, state.trustees, quorum, rng)
        post_dealing(db, eid, dealing.to_dict())
    state = ceremony_state(db, eid)
    keys: list[TrusteeKey] = []
    for i, (aux, _) in enumerate(machines, 1):
        share, complaints = receive(base, i, aux, state.dealings, rng)
        for c in complaints:
            post_complaint(db, eid, c.to_dict())
        if share is not None:
            keys.append(TrusteeKey(i, share))
    return SimulatedCeremony(setup_remote(db, eid, revote=revote), tuple(keys))


def trustees_decrypt(
    db: Database, election_id: str, keys: Sequence[TrusteeKey], rng: Rng = SYSTEM_RNG
) -> list[DecryptionShare]:
    """The present trustees' decryption shares (simulated machines; the aggregate is recomputed
    from the board, as `achyk trustee decrypt` recomputes it from the published record)."""
    close_remote(db, election_id)
    params = remote_info(db, election_id).params
    agg, _ = board_aggregate(db, election_id)
    return [decrypt_share(params, k, agg, rng) for k in keys]


@dataclass(frozen=True)
class RemoteRun:
    credentials: int
    cast: int
    challenged: int
    revotes: int
    counted: int
    results: dict[str, tuple[int, ...]]
    intent: dict[str, tuple[int, ...]]  # what the simulated voters meant (last cast ballot)
    refused: tuple[str, ...]  # cross-channel attempts, as the register refused them
    seconds: float
    spare: tuple[bytes, ...] = ()  # credentials no simulated voter used (open_for): for a person


# (credential seed, choices, audit?, counter of a cast ballot, rng seed or None for the OS's)
Spec = tuple[bytes, dict[str, tuple[int, ...]], bool, int, int | None]


def encrypt_chunk(params_dict: Any, specs: Sequence[Spec]) -> list[Any]:
    """The voters' devices: encrypt, then seal each ballot as cast or audit (module-level for a
    process pool). The decision comes after encryption, as on a real device."""
    params = ElectionParams.from_dict(params_dict)
    out: list[Any] = []
    for seed, choices, audit, counter, rseed in specs:
        rng = SYSTEM_RNG if rseed is None else random.Random(rseed)
        prepared = encrypt_ballot(params, choices, rng)
        if audit:
            out.append(submission(params, prepared.ballot, seal_audit(params, prepared),
                                  prepared.opening))  # fmt: skip
        else:
            seal = seal_cast(params, prepared.ballot, seed, counter)
            out.append(submission(params, prepared.ballot, seal))
    return out


def _authority_lists(
    sim: SimElection, params: ElectionParams, count: int, rng: Rng
) -> tuple[list[bytes], list[dict[str, Any]]]:
    """The credential authority's work on its own machine (here: this process): the seeds, one
    per voter, and the public list signed with its key. Only the list goes to the server."""
    secret = _AUTHORITIES.get(sim.election.credential_authority or "")
    if secret is None:
        raise RemoteVotingError("no credential authority key for this simulated election")
    seeds = [creds.new_seed(rng) for _ in range(count)]
    keys = [creds.public_credential(x) for x in seeds]
    return seeds, sign_list(secret, sim.election.id, params.fingerprint, keys)


def _credentials(
    db: Database, sim: SimElection, params: ElectionParams, count: int, rng: Rng
) -> tuple[list[bytes], list[str]]:
    """Credentials for voters abroad who did not vote at a station (register), or anonymous ones."""
    eid = sim.election.id
    with db.read() as s:
        registered = RegisterRepo(s, eid).commitment() is not None
    if not registered:
        seeds, parts = _authority_lists(sim, params, count, rng)
        import_credentials(db, eid, parts)
        return seeds, []
    slices = station_slices(sim)
    numbers = VoterNumbers(sim, sum(s.count for s in slices))
    pools = [
        [numbers.number(i)[0] for i in range(s.first + s.issued_in + s.issued_out, s.first + s.count)]
        for s in slices
        if s.country is not None
    ]  # fmt: skip
    chosen: list[str] = []
    depth = 0
    while len(chosen) < count and any(depth < len(p) for p in pools):
        chosen += [p[depth] for p in pools if depth < len(p)][: count - len(chosen)]
        depth += 1
    day = datetime.fromisoformat(sim.election.date).replace(tzinfo=UTC) - timedelta(days=3)
    secret = register_secret(sim)
    seeds, parts = _authority_lists(sim, params, len(chosen), rng)
    import_credentials(db, eid, parts, voters=chosen, secret=secret, at=day)
    # Cross-channel attempts: voters who voted at a station are on a second list of the
    # authority's; credential holders come to their station on election day. The register
    # refuses both (the list as a whole: nothing of it is published).
    in_person = [(numbers.number(s.first)[0], s.station_id, s.device)
                 for s in slices if s.country and s.issued_in][:3]  # fmt: skip
    # (already checked in if the register simulation ran: then this is refused, which is as good)
    check_in_batch(db, eid, [BatchCheckin(n, st, dev, day + timedelta(days=3, hours=2),
                                          MatchResult(True, 0.95)) for n, st, dev in in_person],
                   secret)  # fmt: skip
    refused: list[str] = []
    try:
        _, late = _authority_lists(sim, params, len(in_person), rng)
        import_credentials(db, eid, late, voters=[n for n, _, _ in in_person], secret=secret)
    except InputError as err:
        refused += [f"credential for voter {p.where[:4]}…: {p.what}" for p in err.problems]
    homes = {numbers.number(i)[0]: s.station_id for s in slices if s.country
             for i in range(s.first + s.issued_in + s.issued_out, s.first + s.count)}  # fmt: skip
    walk_ins = [
        BatchCheckin(n, homes[n], f"asu-{homes[n]}-a", day + timedelta(days=3, hours=5),
                     MatchResult(True, 0.9))
        for n in chosen[:3]
    ]  # fmt: skip
    report = check_in_batch(db, eid, walk_ins, secret)
    refused += [f"station check-in of voter {walk_ins[i].personal_number[:4]}…: {msg}"
                for i, _, msg in report.refused]  # fmt: skip
    return seeds, refused


def run_remote(
    db: Database,
    sim: SimElection,
    ballots: int,
    progress: Progress | None = None,
    *,
    seeded: bool = False,
    open_for: int = 0,
) -> RemoteRun:
    """Set up remote voting, issue credentials, cast `ballots` voters' ballots, tally, publish.

    With `open_for` > 0 the authority issues that many more credentials, no simulated voter uses
    them, and voting is left open with no tally: a person votes with them on the voting page."""
    started = time.perf_counter()
    say = progress or (lambda *_: None)
    election = sim.election
    if remote_unit(election) is None:
        raise RemoteVotingError("the simulated election has no remote unit: use with_remote_unit")
    load_election(db, election)
    # The voters' behaviour (who picks what, who audits, who re-votes) follows the profile's seed;
    # every secret — trustees' keys, credentials, ballot nonces — comes from the OS's randomness
    # unless `seeded` (a reproducible demo, labelled so: never for a real election).
    rng = random.Random(sim.profile.seed * 131 + 5)
    secrets: Rng = random.Random(sim.profile.seed * 137 + 11) if seeded else SYSTEM_RNG
    say("key ceremony", 0, 1)
    ceremony = simulate_ceremony(db, election.id, TRUSTEES, QUORUM, revote=RevotePolicy.LAST, rng=secrets)  # fmt: skip
    params = ceremony.setup.params
    say("credentials", 0, ballots)
    seeds, refused = _credentials(db, sim, params, ballots + open_for, secrets)
    spare = tuple(seeds[len(seeds) - open_for :]) if 0 < open_for < len(seeds) else ()
    seeds = seeds[: len(seeds) - len(spare)]

    def nonce_seed() -> int | None:
        return secrets.randrange(0, 1 << 62) if seeded else None

    weights = _weights(sim, params)
    specs: list[Spec] = []
    final: dict[int, dict[str, tuple[int, ...]]] = {}
    revotes = challenged = 0
    for v, seed in enumerate(seeds):
        if v % 25 == 7:  # a voter who audits their device first: audit, then cast
            specs.append((seed, _choice(rng, params, weights), True, 0, nonce_seed()))
            challenged += 1
        final[v] = _choice(rng, params, weights)
        specs.append((seed, final[v], False, 1, nonce_seed()))
    for v in range(3, len(seeds), 17):  # later, some change their minds: the last ballot counts
        final[v] = _choice(rng, params, weights)
        specs.append((seeds[v], final[v], False, 2, nonce_seed()))
        revotes += 1
    cast = 0
    batch = 500
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        parts = [specs[i : i + batch // WORKERS] for i in range(0, len(specs), batch // WORKERS)]
        futures = [pool.submit(encrypt_chunk, params.to_dict(), p) for p in parts]
        pending: list[Any] = []
        for f in futures:
            pending += f.result()
            if len(pending) >= batch or f is futures[-1]:
                receipts = cast_ballots(db, election.id, pending, workers=WORKERS)
                bad = [r.reason for r in receipts if not r.accepted]
                if bad:
                    raise RemoteVotingError(f"{len(bad)} simulated ballot(s) refused: {bad[0]}")
                cast += len(pending)
                pending = []
                say("ballots", cast, len(specs))
    if open_for:
        return RemoteRun(len(seeds) + len(spare), cast - challenged, challenged, revotes, 0, {},
                         {}, tuple(refused), time.perf_counter() - started, spare)  # fmt: skip
    say("tally", 0, 1)
    present = [k for k in ceremony.keys if k.index in PRESENT]
    tally = tally_remote(db, election.id, trustees_decrypt(db, election.id, present, secrets))
    intent = {
        c.id: tuple(sum(ch[c.id][i] for ch in final.values()) for i in range(len(c.options)))
        for c in params.contests
    }
    say("tally", 1, 1)
    return RemoteRun(len(seeds), cast - challenged, challenged, revotes, tally.counted,
                     tally.results, intent, tuple(refused), time.perf_counter() - started)  # fmt: skip


def _weights(sim: SimElection, params: ElectionParams) -> dict[str, list[float]]:
    """Abroad leans differently from home: a reshuffled version of the national party strength."""
    strength = list(sim.profile.party_strength)
    out = {}
    for c in params.contests:
        w = [
            strength[i % len(strength)] * (1.6 if i % 3 == 1 else 1.0)
            for i in range(len(c.options))
        ]
        out[c.id] = w
    return out


def _choice(
    rng: random.Random, params: ElectionParams, weights: dict[str, list[float]]
) -> dict[str, tuple[int, ...]]:
    out = {}
    for c in params.contests:
        marks = [0] * len(c.options)
        marks[rng.choices(range(len(c.options)), weights=weights[c.id])[0]] = 1
        out[c.id] = tuple(marks)
    return out
