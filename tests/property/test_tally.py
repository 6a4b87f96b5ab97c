"""Running totals == the full fold, after any sequence of submissions and corrections, on both DBs.

The totals are advanced one batch at a time in the transaction that accepts the protocols
(achyk.services.tally); `tabulate` folds every accepted protocol at once. Hypothesis drives random
sequences — preliminary and official protocols in any order, in batches, sent again, conflicting,
broken, corrected — through the real services, and after each sequence the stored totals must give
exactly the tabulation a full recompute gives, at every level and for every station.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from achyk.canonical import canonical_hash
from achyk.domain.correction import sign_correction
from achyk.domain.tabulation import Level
from achyk.services.elections import load_election
from achyk.services.protocols import correct_protocol, current_protocol_hash, submit_protocols
from achyk.services.results import outline_results, recomputed_results, results
from achyk.services.tally import rebuild_totals, totals_tabulation
from achyk.store.database import Database
from achyk.store.models import ElectionRow, TallyRow
from factories import device_key, election, envelope, protocol_doc

SLOTS = [("1001", "list"), ("1002", "list"), ("2001", "list"), ("9001", "list"),
         ("1001", "d1"), ("1002", "d1")]  # fmt: skip
_ids = itertools.count()


@st.composite
def figures(draw: st.DrawFn, contest: str) -> dict[str, Any]:
    """Lines that keep every control relation: found 600 = valid + invalid, votes sum to valid."""
    invalid = draw(st.integers(0, 60))
    valid = 600 - invalid
    names = ["a", "b", "c", "against-all"] if contest == "list" else ["x", "y"]
    cuts = sorted(draw(st.lists(st.integers(0, valid), min_size=len(names) - 1,
                                max_size=len(names) - 1)))  # fmt: skip
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, valid], strict=True)]
    return {"invalid": invalid, "valid": valid, "votes": dict(zip(names, parts, strict=True))}


@st.composite
def step(draw: st.DrawFn) -> tuple[str, list[tuple[str, str, str, dict[str, Any]]]]:
    action = draw(st.sampled_from(["submit", "submit", "batch", "correct", "broken"]))
    count = draw(st.integers(2, 5)) if action == "batch" else 1
    items = []
    for _ in range(count):
        station, contest = draw(st.sampled_from(SLOTS))
        kind = draw(st.sampled_from(["preliminary", "official"]))
        items.append((station, contest, kind, draw(figures(contest))))
    return action, items


def _doc(eid: str, station: str, contest: str, kind: str, f: dict[str, Any]) -> dict[str, Any]:
    return {**protocol_doc(station, contest, kind, votes=f["votes"], invalid=f["invalid"],
                           valid=f["valid"]), "election": eid}  # fmt: skip


def _run(db: Database, steps: list[tuple[str, list[tuple[str, str, str, dict[str, Any]]]]]) -> str:
    eid = f"prop-{next(_ids)}"
    load_election(db, dataclasses.replace(election(), id=eid))
    for action, items in steps:
        if action == "correct":
            station, contest, kind, f = items[0]
            try:
                held = current_protocol_hash(db, eid, station, contest, kind)
            except Exception:
                held = canonical_hash({"nothing": "here"})  # refused: nothing to correct
            env = sign_correction(device_key("cec"), "cec", _doc(eid, *items[0]), held, "recount")
            correct_protocol(db, eid, json.dumps(env).encode())
            continue
        batch = []
        for n, (station, contest, kind, f) in enumerate(items):
            doc = _doc(eid, station, contest, kind, f)
            if action == "broken":
                doc["valid"] += 1  # breaks valid + invalid = found: refused, kept, not counted
            batch.append((f"s{n}", envelope(doc)))
        submit_protocols(db, eid, batch)
    return eid


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(step(), min_size=1, max_size=12))
def test_running_totals_equal_the_full_fold(
    db: Database, steps: list[tuple[str, list[tuple[str, str, str, dict[str, Any]]]]]
) -> None:
    eid = _run(db, steps)
    election_, full = recomputed_results(db, eid)
    _, incremental = results(db, eid)
    assert incremental == full
    # Level by level through the lazy interface too (what the site's pages use).
    cold = totals_tabulation(db, election_)
    for contest in election_.contests:
        assert cold.national(contest.id) == full.national(contest.id)
        for level in Level:
            assert sorted(cold.at_level(level, contest.id), key=lambda r: r.unit.id) == sorted(
                full.at_level(level, contest.id), key=lambda r: r.unit.id
            )
    # `achyk results`' outline: every unit above the stations, without building the stations.
    outline_election, outline = outline_results(db, eid)
    assert outline.aggregates() == full.aggregates()
    with db.session() as s:  # an election loaded before outlines were stored: made on the fly
        s.query(ElectionRow).filter(ElectionRow.id == eid).update({"outline": None})
    assert outline_results(db, eid)[1].aggregates() == full.aggregates()
    assert outline_election.contests == election_.contests
    assert outline.get(Level.STATION, "1001", "list") == full.get(Level.STATION, "1001", "list")
    fresh = totals_tabulation(db, election_)
    assert sorted(fresh.children("n1", "list"), key=lambda r: r.unit.id) == sorted(
        full.children("n1", "list"), key=lambda r: r.unit.id
    )


def _drop_totals(db: Database, eid: str) -> None:
    with db.session() as s:
        s.query(TallyRow).filter(TallyRow.election_id == eid).delete()


def test_totals_are_rebuilt_for_protocols_stored_before_them(db: Database) -> None:
    """A database migrated with protocols already in it: the totals are rebuilt on first use."""
    f = {"invalid": 10, "valid": 590, "votes": {"a": 300, "b": 200, "c": 80, "against-all": 10}}
    eid = _run(db, [("batch", [(s, "list", "preliminary", f) for s in ("1001", "2001", "9001")])])
    election_, full = recomputed_results(db, eid)
    _drop_totals(db, eid)
    assert results(db, eid)[1] == full  # rebuilt when read
    assert full.national("list").counted.stations == 3  # type: ignore[union-attr]
    # ... or when the next protocol arrives, before it is folded in.
    _drop_totals(db, eid)
    submit_protocols(db, eid, [("late", envelope(_doc(eid, "1002", "list", "official", f)))])
    _, full = recomputed_results(db, eid)
    assert results(db, eid)[1] == full
    assert full.national("list").counted.stations == 4  # type: ignore[union-attr]
    rebuild_totals(db, election_)
    assert results(db, eid)[1] == full
