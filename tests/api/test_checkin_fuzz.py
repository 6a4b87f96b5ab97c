"""Schemathesis fuzzes the register and check-in endpoints from the API's OpenAPI document.

Whatever it sends — unsigned, malformed, replayed, oversized, random paths — the API never answers
500. Bounded: a few examples per operation, register/check-in operations only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from achyk.api.app import create_app
from achyk.domain.personal_number import Sex, make_kg_pin
from achyk.domain.register import VoterEntry
from achyk.services.elections import load_election
from achyk.services.register import import_register
from achyk.store.database import Database
from factories import election

SECRET = b"fuzz-register-secret-00000001"


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "achyk.db"
    db = Database.open(f"sqlite:///{path}")
    load_election(db, election())
    born = date(1980, 1, 1)
    voters = [VoterEntry(make_kg_pin(Sex.MALE, born, i), "V", born, "1001") for i in range(5)]
    import_register(db, "test-2025", voters, SECRET)
    app = create_app(db=db)
    app.state.register_secret = SECRET
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    db.close()


def test_register_api_never_answers_500(api_schema: Any) -> None:
    operations = api_schema.include(
        path_regex=r"(checkins|journals|turnout|register/stats)$"
    ).get_all_operations()
    seen = []
    statuses: list[int] = []
    for result in operations:
        operation = result.ok()
        seen.append(operation.label)

        @settings(
            max_examples=25, deadline=None, database=None,
            suppress_health_check=list(HealthCheck),
        )  # fmt: skip
        @given(case=operation.as_strategy())
        def never_500(case: Any) -> None:
            # Random ids only meet 404s: aim at the loaded election and a real station.
            case.path_parameters = {**(case.path_parameters or {}), "election_id": "test-2025"}
            if "station_id" in case.path_parameters:
                case.path_parameters["station_id"] = "1001"
            response = case.call()
            statuses.append(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])

        never_500()
    assert len(seen) == 4, seen
    # The fuzzer really reached the API, and the unsigned writes were turned away.
    assert len(statuses) >= 40 and {401, 422} & set(statuses), sorted(set(statuses))
