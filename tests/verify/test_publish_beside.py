"""`achyk publish` writes the record in a second process while it writes the site: the same files
as one after the other, and the same error when the record cannot be written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from achyk.cli.main import app as cli
from achyk.errors import NotFoundError
from achyk.services import publish as publish_module
from achyk.services.publish import publish, write_manifest
from achyk.store.database import Database
from achyk.web.static_site import write_site
from factories import simulated_small


def _record_files(root: Path) -> dict[str, bytes]:
    """The record's files (the site's open data carry the time they were made; the manifest
    hashes them)."""
    out = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    return {k: v for k, v in out.items() if not k.startswith("site/") and k != "manifest.json"}


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return simulated_small(tmp_path_factory.mktemp("beside"))


def test_the_record_beside_the_site_is_the_record_written_first(
    db_url: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["publish", "--out", str(tmp_path / "a"), "--database", db_url]
    )
    assert result.exit_code == 0, result.output
    db = Database.open(db_url)
    record = publish(db, None, tmp_path / "b")  # one after the other, in this process
    write_site(db, record["election"], tmp_path / "b" / "site")
    write_manifest(tmp_path / "b")
    a, b = _record_files(tmp_path / "a"), _record_files(tmp_path / "b")
    assert a == b and "record.json" in a and any(k.startswith("log/tile/") for k in a)
    assert (tmp_path / "a" / "site" / "index.html").is_file()


def test_a_record_that_cannot_be_written_fails_as_before(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise NotFoundError("no log key for this election (for the test)")

    monkeypatch.setattr(publish_module, "publish_record", refuse)  # the forked writer's too
    runner = CliRunner()
    site = runner.invoke(cli, ["publish", "--out", str(tmp_path / "a"), "--database", db_url])
    alone = runner.invoke(
        cli, ["publish", "--no-site", "--out", str(tmp_path / "b"), "--database", db_url]
    )
    assert isinstance(alone.exception, NotFoundError) and "no log key" in str(alone.exception)
    assert type(site.exception) is NotFoundError and str(site.exception) == str(alone.exception)
    assert site.exit_code == alone.exit_code != 0
