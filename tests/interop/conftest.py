"""Fixtures of the Go verifier's tests: the binary, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from go_verifier import build_go_verifier


@pytest.fixture(scope="session")
def go_verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_go_verifier(tmp_path_factory.mktemp("go") / "achyk-verify-go")
