"""DESIGN.md's layering rules, enforced: the pure core imports no framework and no outer layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "achyk"
CORE = ("domain", "crypto", "ledger", "evoting", "audit", "forensics", "observers", "disputes")
FRAMEWORKS = {"sqlalchemy", "alembic", "fastapi", "starlette", "typer", "click", "jinja2",
              "uvicorn", "httpx", "requests", "psycopg", "rich"}  # fmt: skip
OUTER = {"achyk.store", "achyk.services", "achyk.api", "achyk.web", "achyk.cli"}


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def offending(package: str, banned_roots: set[str], banned_prefixes: set[str]) -> list[str]:
    bad = []
    for path in sorted((SRC / package).rglob("*.py")):
        for name in imports(path):
            if name.split(".")[0] in banned_roots or any(
                name == p or name.startswith(p + ".") for p in banned_prefixes
            ):
                bad.append(f"{path.relative_to(SRC)} imports {name}")
    return bad


@pytest.mark.parametrize("package", [p for p in CORE if (SRC / p).is_dir()])
def test_pure_core_imports_no_framework_or_outer_layer(package: str) -> None:
    assert offending(package, FRAMEWORKS, OUTER) == []


def test_verifier_needs_no_store_or_services() -> None:
    if not (SRC / "verify").is_dir():
        pytest.skip("no verifier yet")
    assert offending("verify", set(), OUTER) == []


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("from sqlalchemy import select\nimport achyk.store.models\n")
    assert imports(bad) == {"sqlalchemy", "achyk.store.models"}
