"""Every simulation profile builds a definition that validates, at the size its profile states."""

from __future__ import annotations

import pytest

from achyk.formats.definition import election_from_document, election_to_document
from achyk.sim.generator import build_election
from achyk.sim.profiles import PROFILES


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_profile_definition_validates(name: str) -> None:
    profile = PROFILES[name]
    election = build_election(profile)
    assert election_from_document(election_to_document(election)) == election
    assert election.station_count() == profile.stations_home + profile.stations_abroad
    voters = sum(p.station.registered_voters for p in election.stations())
    assert voters == sum(r.voters for r in profile.regions) + profile.voters_abroad
    abroad = {p.station.country for p in election.stations() if p.station.abroad}
    assert abroad <= {code for code, _ in profile.countries}
