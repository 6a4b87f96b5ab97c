"""The one writer's fold of a batch (`fold_batch`, over protocols as the examiners hand them)
gives exactly `fold`'s rows — the same keys, values and order — whatever the stored rows, the
protocols' order and kinds, and the annulled stations; and its chains of units are
`unit_index`'s."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from achyk.domain.protocol import Protocol, ProtocolKind, protocol_from_json
from achyk.domain.tally import Chains, fold, fold_batch, protocol_vector, unit_index
from achyk.sim.generator import generate
from achyk.sim.profiles import SMALL
from factories import election, protocol_doc

ELECTION = election()
INDEX = unit_index(ELECTION)
SLOTS = [("1001", "list"), ("1002", "list"), ("2001", "list"), ("9001", "list"),
         ("1001", "d1"), ("1002", "d1")]  # fmt: skip


@st.composite
def protocols(draw: st.DrawFn) -> Protocol:
    station, contest = draw(st.sampled_from(SLOTS))
    kind = draw(st.sampled_from(["preliminary", "official"]))
    names = ["a", "b", "c", "against-all"] if contest == "list" else ["x", "y"]
    votes = {n: draw(st.integers(0, 400)) for n in names}
    lines: dict[str, Any] = {"voters_on_list": draw(st.integers(0, 2000)),
                             "invalid": draw(st.integers(0, 50)), "valid": sum(votes.values())}  # fmt: skip
    p, problems = protocol_from_json(protocol_doc(station, contest, kind, votes, **lines))
    assert p is not None, problems
    return p


def folded(ps: list[Protocol]) -> list[tuple[str, str, bool, tuple[int, ...]]]:
    return [(p.station_id, p.contest_id, p.kind is ProtocolKind.OFFICIAL,
             tuple(protocol_vector(p, INDEX.orders[p.contest_id]))) for p in ps]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    earlier=st.lists(protocols(), max_size=8),
    batch=st.lists(protocols(), min_size=1, max_size=12),
    annulled=st.sets(st.sampled_from(["1001", "1002", "2001", "9001"]), max_size=2),
)
def test_the_batch_fold_is_the_fold(
    earlier: list[Protocol], batch: list[Protocol], annulled: set[str]
) -> None:
    stored = fold(INDEX, {}, earlier)  # whatever the totals held before the batch
    whole = fold(INDEX, stored, batch, annulled)
    chains = Chains(ELECTION)
    by_batch = fold_batch(chains, stored, folded(batch), annulled)
    assert list(by_batch.items()) == list(whole.items())
    assert fold_batch(chains, stored, folded(batch), annulled) == whole  # chains reused


def test_chains_are_the_unit_index_chains() -> None:
    for e in (ELECTION, generate(SMALL).election):
        index, chains = unit_index(e), Chains(e)
        for place in e.stations():
            sid = place.station.id
            above = [(u.level.value, u.id) for u in index.units_of[sid][1:]]
            assert list(chains.chains[chains.of(sid)]) == above
