"""Rich tables for results and seats."""

from __future__ import annotations

from rich.table import Table

from achyk.domain.definition import Contest, Election
from achyk.domain.protocol import AGAINST_ALL
from achyk.domain.seat_results import ListSeats, SeatStatus
from achyk.domain.tabulation import ContestResult, Level, Tabulation


def _label(contest: Contest, option: str) -> str:
    if option == AGAINST_ALL:
        return "Against all"
    return next((o.name for o in contest.options if o.id == option), option)


def result_table(contest: Contest, r: ContestResult, title: str | None = None) -> Table:
    c = r.counted
    caption = (
        f"stations reported {c.stations}/{r.stations_expected} ({r.reported_pct}%) · "
        f"turnout {r.turnout_pct}% ({c.issued:,} of {c.voters_on_list:,}) · "
        f"invalid {c.invalid:,} · base for shares: {r.base_kind.value} ({r.base:,})"
    )
    table = Table(title=title or f"{contest.name} — {r.unit.name}", caption=caption)
    table.add_column("option")
    table.add_column("votes", justify="right")
    table.add_column("share", justify="right")
    table.add_column("scanner", justify="right")
    table.add_column("hand count", justify="right")
    for option, n in sorted(c.votes, key=lambda x: -x[1]):
        table.add_row(
            _label(contest, option),
            f"{n:,}",
            f"{r.share_pct(option)}%",
            # "—" where no station has that count: a 0 would read as zero votes
            f"{r.scanner.votes_for(option):,}" if r.scanner.stations else "—",
            f"{r.hand.votes_for(option):,}" if r.hand.stations else "—",
        )
    return table


def level_table(election: Election, tab: Tabulation, contest: Contest, level: Level) -> Table:
    rows = sorted(tab.at_level(level, contest.id), key=lambda r: r.unit.id)
    table = Table(title=f"{contest.name} by {level.value}")
    table.add_column(level.value)
    table.add_column("reported", justify="right")
    table.add_column("turnout", justify="right")
    leaders = [o for o, _ in sorted(tab.national(contest.id).counted.votes, key=lambda x: -x[1])][  # type: ignore[union-attr]
        :4
    ]
    for o in leaders:
        table.add_column(_label(contest, o), justify="right")
    for r in rows:
        table.add_row(
            r.unit.name,
            f"{r.counted.stations}/{r.stations_expected}",
            f"{r.turnout_pct}%",
            *(f"{r.share_pct(o)}%" for o in leaders),
        )
    return table


def seats_table(contest: Contest, seats: ListSeats) -> Table:
    table = Table(title=f"Seats — {contest.name} ({contest.seats}, {contest.method.value})")
    table.add_column("party")
    table.add_column("seats", justify="right")
    if seats.status is not SeatStatus.FINAL:
        table.caption = (
            f"{seats.status.value}: {seats.reason}"
            if seats.reason
            else f"{seats.status.value}: stations are still reporting; seats may change"
        )
    if seats.allocation is None:
        return table
    reasons = dict(seats.allocation.excluded)
    for party, n in sorted(seats.allocation.seats, key=lambda x: -x[1]):
        note = f"  [dim]{reasons[party]}[/dim]" if party in reasons else ""
        table.add_row(_label(contest, party) + note, str(n))
    return table
