"""`achyk audit …`: samples, sample sizes, the plan of a loaded election."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from achyk.audit import comparison, completion, polling, sampling
from achyk.cli.common import DatabaseOption, ElectionOption, console, open_db
from achyk.errors import InputError, Problem

app = typer.Typer(help="Risk-limiting audits: samples, sample sizes, plans.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RiskOption = Annotated[float, typer.Option("--risk-limit", help="Risk limit in percent (e.g. 10).")]


def _alpha(pct: float) -> float:
    if not 0 < pct < 100:
        raise InputError(
            "audit", [Problem("--risk-limit", f"{pct} is not a percentage in (0, 100)")]
        )
    return pct / 100


def _votes(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise InputError(
            "audit", [Problem("--votes", f"{text!r} is not comma-separated whole numbers")]
        ) from None
    return values


def _levels(levels: dict[float, int]) -> dict[str, int]:
    """{0.8: n} → {"sample_size_80": n}: the keys of the JSON contract."""
    return {f"sample_size_{round(q * 100)}": n for q, n in sorted(levels.items())}


def _levels_text(levels: dict[float, int]) -> str:
    return ", ".join(
        f"{n} to finish in one round with probability {q:.0%}" for q, n in sorted(levels.items())
    )


def _emit(doc: dict[str, Any], as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(doc))
    else:
        console.print(text)


@app.command("sample")
def sample(
    seed: Annotated[str, typer.Option(help="The seed (the ceremony's dice digits).")],
    population: Annotated[int, typer.Option(help="Ids 0 … N−1 to sample from.")],
    count: Annotated[int, typer.Option(help="How many to draw.")],
    with_replacement: Annotated[
        bool, typer.Option("--with-replacement", help="Sample with replacement.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Draw ids from range(N) with Rivest's consistent sampler (SHA-256), in draw order."""
    drawn = sampling.draw_range(seed, population, count, with_replacement=with_replacement)
    _emit({"sample": drawn}, as_json, " ".join(str(i) for i in drawn))


@app.command("sample-size")
def sample_size(
    method: Annotated[
        str, typer.Option(help="bravo (ballot polling) or comparison (super-simple).")
    ],
    votes: Annotated[str, typer.Option(help="Reported votes, descending, comma-separated.")],
    ballots: Annotated[int, typer.Option(help="Ballots cast, invalid included.")],
    risk_limit: RiskOption,
    winners: Annotated[int, typer.Option(help="How many of the first win (bravo).")] = 1,
    o1_rate: Annotated[
        float, typer.Option(help="Comparison: one-vote overstatements per ballot to plan for.")
    ] = completion.O1_RATE,
    o2_rate: Annotated[
        float, typer.Option(help="Comparison: two-vote overstatements per ballot to plan for.")
    ] = completion.O2_RATE,
    as_json: JsonOption = False,
) -> None:
    """BRAVO's average sample number, or super-simple's first-round sample size; and the first
    round that completes with probability 80 % and 90 % (sample_size_80, sample_size_90)."""
    alpha = _alpha(risk_limit)
    v = _votes(votes)
    if method == "bravo":
        contest = polling.Contest(v, ballots, winners)
        n = polling.asn(contest, alpha)
        levels = {q: completion.bravo_size(contest, alpha, q) for q in completion.LEVELS}
        doc: dict[str, Any] = {"asn": n, **_levels(levels)}
        _emit(doc, as_json, f"BRAVO average sample number: {n} ballots; " + _levels_text(levels))
    elif method == "comparison":
        if len(v) != 2:
            raise InputError(
                "audit", [Problem("--votes", "comparison takes W,L: the winner and the runner-up")]
            )
        margin = comparison.diluted_margin(v[0], v[1], ballots)
        n = comparison.sample_size(margin, alpha)
        rates = completion.ErrorRates(o1_rate, o2_rate)
        levels = {q: completion.km_size(margin, alpha, q, rates) for q in completion.LEVELS}
        doc = {
            "sample_size": n,
            **_levels(levels),
            "rates": {"o1": o1_rate, "o2": o2_rate},
        }
        _emit(doc, as_json, f"super-simple first round: {n} ballots; " + _levels_text(levels))
    else:
        raise InputError("audit", [Problem("--method", f"{method!r}: use bravo or comparison")])


@app.command("plan")
def plan_cmd(
    risk_limit: RiskOption,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Every assertion of the seat allocation with its diluted margin and expected stations."""
    from achyk.services.audit_plan import plan_election

    e, plans = plan_election(open_db(database), election, _alpha(risk_limit))
    doc: dict[str, Any] = {"election": e.id, "risk_limit": risk_limit, "contests": []}
    for p in plans:
        entry: dict[str, Any] = {
            "contest": p.contest.id, "method": p.method, "stations": p.stations, "ballots": p.ballots,
        }  # fmt: skip
        levels = _levels(dict(p.completion))
        if p.method == "batch-comparison":
            entry["expected_stations"] = p.expected
            entry.update({k.replace("sample_size", "stations"): n for k, n in levels.items()})
            entry["assertions"] = [
                {
                    "id": a.assertion.id,
                    "text": a.assertion.text,
                    "diluted_margin": round(a.scale.margin, 6),
                    "batch_margin": round(float(a.scale.batch_margin), 6),
                    "expected_stations": a.expected,
                }
                for a in p.assertions
            ]
        else:
            entry["asn"] = p.asn
            entry.update(levels)
        doc["contests"].append(entry)
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
        return
    for p in plans:
        if p.method != "batch-comparison":
            console.print(
                f"{p.contest.name}: ballot polling, BRAVO ASN {p.asn} ballots; "
                + _levels_text(dict(p.completion))
            )
            continue
        table = Table(
            title=f"{p.contest.name}: {p.stations} stations, expect {p.expected} to audit; "
            + _levels_text(dict(p.completion)).replace("to finish", "stations to finish")
        )
        for col in ("assertion", "diluted margin", "batch margin", "stations"):
            table.add_column(col)
        for a in p.assertions:
            table.add_row(
                a.assertion.text,
                f"{a.scale.margin:.4f}",
                f"{float(a.scale.batch_margin):.4f}",
                str(a.expected),
            )
        console.print(table)


@app.command("reconcile")
def reconcile_cmd(
    found_pct: Annotated[
        float, typer.Option(help="Ballots found: tolerance in % of the hand count.")
    ] = 3,
    votes_abs: Annotated[
        int, typer.Option(help="Votes per option and invalid ballots: tolerance in votes.")
    ] = 5,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
    election: ElectionOption = None,
) -> None:
    """Scanner (preliminary) against hand count (official): stations outside tolerance, the effect on shares and seats."""
    from decimal import Decimal

    from achyk.audit.reconcile import Tolerances
    from achyk.services.reconciliation import reconcile_election

    tol = Tolerances(found_pct=Decimal(str(found_pct)), votes_abs=votes_abs)
    r = reconcile_election(open_db(database), election, tol)
    doc: dict[str, Any] = {
        "election": r.election.id,
        "tolerances": {
            "found_pct": str(tol.found_pct),
            "votes_abs": tol.votes_abs,
            "copied_abs": tol.copied_abs,
        },
        "contests": [],
    }
    for c in r.contests:
        entry: dict[str, Any] = {
            "contest": c.contest_id,
            "stations_compared": len(c.stations),
            "stations_outside": len(c.outside),
            "found": {"scanner": c.scanner_found, "hand": c.hand_found},
            "votes": {e.option: {"scanner": e.scanner, "hand": e.hand} for e in c.effects},
            "outside": [
                {
                    "station": s.station_id,
                    "differences": [
                        {"line": d.line, "scanner": d.scanner, "hand": d.hand, "limit": d.limit}
                        for d in s.outside
                    ],
                }
                for s in c.outside
            ],
        }
        if c.contest_id in r.seats:
            scanner_seats, hand_seats = r.seats[c.contest_id]
            entry["seats"] = {"scanner": scanner_seats, "hand": hand_seats}
        doc["contests"].append(entry)
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
        return
    for entry in doc["contests"]:
        console.print(
            f"{entry['contest']}: {entry['stations_compared']} stations with both counts, "
            f"{entry['stations_outside']} outside tolerance; ballots found scanner "
            f"{entry['found']['scanner']} / hand {entry['found']['hand']}"
        )
        for s in entry["outside"][:20]:
            lines = ", ".join(f"{d['line']} {d['scanner']}→{d['hand']}" for d in s["differences"])
            console.print(f"  station {s['station']}: {lines}")
        if "seats" in entry and entry["seats"]["scanner"] != entry["seats"]["hand"]:
            console.print(
                f"  seats differ: scanner {entry['seats']['scanner']} / hand {entry['seats']['hand']}"
            )
