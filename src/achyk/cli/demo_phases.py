"""The demo's later phases, each printing what an observer of the demo should see: the observer
missions (and the ODIHR-style statement), complaints and decisions, and the voting page left open."""

from __future__ import annotations

import time
from pathlib import Path

from achyk.cli.common import console
from achyk.sim.generator import SimElection
from achyk.store.database import Database


def observers_phase(db: Database, sim: SimElection, pending: list[bytes]) -> tuple[str, float]:
    """`pending`: the hand counts held back for transmission, copied by the observers there."""
    from achyk.services.observers.findings import copy_flags, mission_coverage
    from achyk.services.observers.simulation import simulate_observers

    mark = time.perf_counter()
    run = simulate_observers(db, sim, pending=pending)
    for c in mission_coverage(db, sim.election.id):
        console.print(
            f"observers: {c.name} ({c.kind}) — {c.observers} observers, {c.teams} teams, "
            f"{c.sentence()}; {c.submissions:,} signed forms, {c.published:,} published; "
            f"{c.negative} of {c.assessments} assessments bad or very bad; "
            f"{c.copies} protocol copies",
            highlight=False,
        )
        if c.lto_areas:
            regions = {r for where in c.lto_areas.values() for r in where}
            console.print(f"  {len(c.lto_areas)} long-term observers' areas cover {len(regions)} "
                          "regions (drawn from the mission's seed, on the log)", highlight=False)  # fmt: skip
        for line in c.moves:
            console.print(f"  change of station on the day, signed: {line}", highlight=False)
    console.print(f"  observers' phone page (works offline, signs in the browser, sends once): "
                  f"/e/{sim.election.id}/observe", highlight=False)  # fmt: skip
    from achyk.services.observers.record import read_observers

    for mission, own in sorted(read_observers(db, sim.election.id).forms.items()):
        for f in own.values():
            console.print(f"  {mission}'s own form '{f.form.id}' ({len(f.form.questions)} "
                          f"questions, {len(f.form.checks)} quality check(s)): signed by the "
                          "mission, on the log, on its observers' phones", highlight=False)  # fmt: skip
    reported = ", ".join(run.stuffing_reported)
    console.print(f"  ballot stuffing reported at stations {reported} (planted at "
                  f"{', '.join(run.stuffed)})", highlight=False)  # fmt: skip
    for station, who, diffs in copy_flags(db, sim.election.id):
        console.print(f"  [yellow]protocol copy differs[/yellow] at station {station}: {who}: "
                      + "; ".join(diffs), highlight=False)  # fmt: skip
    p = run.pvt
    inside = "within" if p.covers(run.official) else "[red]OUTSIDE[/red]"
    console.print(
        f"  PVT ({p.stations} sampled stations): {run.party} {100 * p.share:.2f} % ± "
        f"{100 * p.moe:.2f} (95 %); official, the altered protocol left out, "
        f"{100 * run.official:.2f} % — {inside} the margin; protocol altered after the count "
        f"planted at station {run.altered}"
    )
    _statement(db, sim)
    return ("observer missions", time.perf_counter() - mark)


def _statement(db: Database, sim: SimElection) -> None:
    from achyk.services.observers.demo_statement import issue_preliminary

    issued = issue_preliminary(db, sim)
    if issued.effect is not None:
        for d in issued.effect.differences:
            console.print(
                f"  observed vs unobserved ({issued.effect.mission}'s random draw, "
                f"{d.observed} vs {d.unobserved} stations): {d.metric} {100 * d.observed_mean:.1f} "
                f"% vs {100 * d.unobserved_mean:.1f} %, difference {100 * d.difference:+.1f} points "
                f"(95 % CI {100 * d.low:+.1f} to {100 * d.high:+.1f}) — "
                + (
                    "a difference beyond chance" if d.significant else "no difference beyond chance"
                ),
                highlight=False,
            )
    first = issued.document["sections"][0]["paragraphs"][0]["en"]
    console.print(f"  ODIHR preliminary statement issued, signed by the mission: log entry "
                  f"{issued.index} — \"{first}\" (HTML/PDF at /api/elections/{sim.election.id}/"
                  f"missions/odihr/statements/{issued.index}.pdf)", highlight=False)  # fmt: skip


def disputes_phase(db: Database, sim: SimElection) -> tuple[str, float]:
    from achyk.services.disputes.simulation import simulate_disputes
    from achyk.services.results import results

    mark = time.perf_counter()
    _, before = results(db, sim.election.id)
    run = simulate_disputes(db, sim)
    console.print(
        f"complaints: a party's complaint about station {sim.anomalies['stuffing'][0]} "
        f"(log entry {run.founded}) decided by its territorial commission: recount, protocol "
        f"corrected (entry {run.recount_correction}); an observer's complaint (entry "
        f"{run.to_court}) dismissed, appealed to the CEC, taken to court, dismissed; a voter's "
        f"found invalid (entry {run.invalid}); {run.steps} signed steps — see /e/"
        f"{sim.election.id}/complaints"
    )
    election, after = results(db, sim.election.id)
    contest = election.contests[0]
    was, now = before.national(contest.id), after.national(contest.id)
    if run.annulled and was is not None and now is not None:
        console.print(
            f"  station {run.annulled} annulled by decision {run.annulment}: out of the count — "
            f"{contest.id}: {was.counted.stations:,} → {now.counted.stations:,} stations counted "
            f"({now.annulled} annulled), {was.counted.found:,} → {now.counted.found:,} ballots; "
            f"its page says so: /e/{sim.election.id}/station/{run.annulled}",
            highlight=False,
        )
    from achyk.services.disputes.evidence import releases

    files = [f for fs in releases(db, sim.election.id).values() for f in fs]
    shown = sum(1 for f in files if f["published_sha256"])
    console.print(f"  evidence of decided complaints released on the log: {shown} published "
                  f"without metadata, {len(files) - shown} withheld with the reason", highlight=False)  # fmt: skip
    if run.pending >= 0:
        reason = after.waiting.get(contest.id, "")
        console.print(f"  seats not certified: {reason}", highlight=False)
    return ("complaints and decisions", time.perf_counter() - mark)


def vote_page_phase(
    db: Database, election_id: str, site: str, spare: tuple[bytes, ...], out: Path | None
) -> None:
    """Where to vote in the browser; with spare credentials, their letters (seed and QR code)."""
    from achyk.cli.credentials import letter_text, qr_payload
    from achyk.evoting.ballot import short_code
    from achyk.services.elections import get_election
    from achyk.services.remote.voting import remote_info

    url = f"{site}/e/{election_id}/vote"
    fingerprint = remote_info(db, election_id).params.fingerprint
    if not spare:
        console.print(f"voting page: {url} — here remote voting is tallied and closed; "
                      "`achyk demo --vote-online` keeps it open, with credential letters to "
                      "vote with in the browser", highlight=False)  # fmt: skip
        return
    import segno

    folder = (out.parent if out else Path.cwd()) / "demo-credentials"
    folder.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(spare, 1):
        (folder / f"credential-{i}.txt").write_text(
            letter_text("en", get_election(db, election_id).name, short_code(fingerprint), seed),
            encoding="utf-8",
        )
        segno.make(qr_payload(election_id, fingerprint, seed), error="m").save(
            str(folder / f"credential-{i}.png"), scale=6
        )
    console.print(f"voting page: {url} — fingerprint {short_code(fingerprint)}; credential "
                  f"letters (text and QR code) in {folder}/credential-1.txt … -{len(spare)} "
                  "(demo only: a real credential never touches the server's machine)",
                  highlight=False)  # fmt: skip
