"""Every refusal is kept, whatever the input (issue 18, defect 2).

Before: integers ≥ 2^53, NaN/Infinity, a 5,001-digit number, strings over 64 KB, 5,000 unknown
fields, deep nesting (and, on PostgreSQL, a station id over 64 characters or holding a NUL) gave
a traceback, no evidence, no log entry — and every valid protocol in the same command or file
was lost. Batch items were kept re-encoded, not as the bytes received.

Now: each is refused with a named reason, kept as the bytes received (the first 64 KiB and two
hashes when over the size limit), logged, and the valid protocols beside it are accepted; the
published record still verifies.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from typer.testing import CliRunner

from achyk.cli.main import app
from achyk.domain.bounded_json import read_json, split_array
from achyk.services.elections import load_election
from achyk.services.evidence import EVIDENCE_KEPT
from achyk.services.ledger import log_size
from achyk.services.protocols import Outcome, submit_protocols
from achyk.services.publish import publish
from achyk.store.database import Database
from achyk.store.models import ProtocolRow, RejectionRow
from achyk.verify.record import verify_record
from factories import election, envelope, protocol_doc

runner = CliRunner()


def cli_url(db: Database) -> str:
    """The URL the command line is given for the fixture's database (its own schema on PG)."""
    url = db.engine.url
    if db.dialect == "postgresql":
        with db.engine.connect() as c:
            schema = c.scalar(text("select current_schema()"))
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def valid(station: str, contest: str = "list") -> bytes:
    return envelope(protocol_doc(station=station, contest=contest))


def hostile() -> dict[str, bytes]:
    good = json.loads(valid("1001", "d1"))

    def with_(**fields: object) -> bytes:
        return json.dumps({**good, **fields}).encode()

    doc = good["protocol"]
    return {
        "big-int": json.dumps({**good, "protocol": {**doc, "valid": 2**53}}).encode(),
        "nan": valid("1001", "d1").replace(b'"valid": 590', b'"valid": NaN'),
        "infinity": valid("1001", "d1").replace(b'"invalid": 10', b'"invalid": -Infinity'),
        "5001-digits": valid("1001", "d1").replace(
            b'"cancelled": 400', b'"cancelled": 4' + b"0" * 5000
        ),
        "huge-float": valid("1001", "d1").replace(b'"cancelled": 400', b'"cancelled": 1e999'),
        "long-string": with_(device="x" * 70_000),
        "many-fields": with_(**{f"f{i}": i for i in range(5_000)}),
        "deep": b'{"protocol": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "long-station": json.dumps({**good, "protocol": {**doc, "station": "9" * 100}}).encode(),
        "nul-station": json.dumps({**good, "protocol": {**doc, "station": "10\x0001"}}).encode(),
        "nul-field": with_(**{"a\x00b": 1}),
        "not-utf8": b'{"protocol": "\xff\xfe"}',
        "empty": b"",
        "two-megabytes": b'{"pad": "' + b"a" * (2 << 20) + b'"}',
    }


def test_hostile_files_are_refused_kept_and_logged_and_the_valid_ones_go_through(
    db: Database, tmp_path: Path
) -> None:
    load_election(db, election())
    bodies = hostile()
    files = []
    for name, body in bodies.items():
        (tmp_path / f"{name}.json").write_bytes(body)
        files.append(tmp_path / f"{name}.json")
    (tmp_path / "ok-1001.json").write_bytes(valid("1001"))
    # A district commission's batch: valid items between hostile ones, kept item by item.
    batch = (
        b"["
        + b",\n ".join([valid("1002"), bodies["nan"], b'{"protocol": }', valid("1002", "d1")])
        + b"]"
    )
    (tmp_path / "batch.json").write_bytes(batch)
    args = ["protocol", "submit", *map(str, files), str(tmp_path / "ok-1001.json"),
            str(tmp_path / "batch.json"), str(tmp_path / "missing.json"),
            "--database", cli_url(db)]  # fmt: skip
    result = runner.invoke(app, args)
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "cannot be read: No such file" in " ".join(result.output.split())
    with db.read() as s:
        accepted = s.execute(select(ProtocolRow.station_id, ProtocolRow.contest_id)).all()
        kept = {r.source: r for r in s.scalars(select(RejectionRow))}
    assert sorted(accepted) == [("1001", "list"), ("1002", "d1"), ("1002", "list")]
    for name, body in bodies.items():
        row = kept[f"{name}.json"]
        assert row.log_index is not None
        if len(body) > 1 << 20:
            assert bytes(row.raw) == body[:EVIDENCE_KEPT]
            assert "too-large" in row.reasons
        else:
            assert bytes(row.raw) == body, name  # the bytes as received
        assert row.station_id in (None, "1001"), name
    named = {
        "big-int": "number-out-of-range", "nan": "not-a-number", "infinity": "not-a-number",
        "5001-digits": "number-out-of-range", "huge-float": "number-out-of-range",
        "long-string": "string-too-long", "many-fields": "too-many-fields", "deep": "too-deep",
        "not-utf8": "not-utf8", "empty": "not-json",
    }  # fmt: skip
    for name, reason in named.items():
        assert reason in kept[f"{name}.json"].reasons, (name, kept[f"{name}.json"].reasons)
    assert bytes(kept["batch.json[1]"].raw) == bodies["nan"]
    assert bytes(kept["batch.json[2]"].raw) == b'{"protocol": }'
    # 1 definition + 3 protocols + one rejection per hostile body + 2 in the batch.
    assert log_size(db, "test-2025") == 1 + 3 + len(bodies) + 2
    publish(db, "test-2025", tmp_path / "record")
    report = verify_record(str(tmp_path / "record"))
    assert report.ok, [c for c in report.checks if not c[1]]


def test_batch_items_are_cut_out_as_written() -> None:
    items = [b'{"a": "x,]\\"}"}', b"[1, [2, {}]]", b"NaN", b"1e999", b"", b'"\\u0000"']
    assert split_array(b" [ " + b" ,\n".join(items) + b" ] \n") == items
    assert split_array(b"[]") == []
    assert split_array(b"{}") is None
    assert split_array(b"[1] x") is None
    assert split_array(b"[" + b"[" * 200_000 + b"]" * 200_000 + b", 3]") == [
        b"[" * 200_000 + b"]" * 200_000,
        b"3",
    ]


# Hostile leaves, placed anywhere in an otherwise valid envelope.
LEAVES = st.sampled_from([
    "NaN", "Infinity", "-Infinity", "9007199254740992", "-9007199254740993", "1" * 5001,
    "1e400", '"' + "s" * 70_000 + '"', "[" * 40 + "]" * 40, '"\\u0000"', '"\\ud800"', "{}", "[]",
    "null", "true", "-0", "1.5", '"' + "é" * 10 + '"',
])  # fmt: skip


@st.composite
def hostile_envelopes(draw: st.DrawFn) -> bytes:
    doc = json.loads(valid("1001"))
    leaf = "\x00LEAF\x00"
    target = draw(st.sampled_from(["top", "protocol", "votes", "station", "valid", "device"]))
    if target == "top":
        doc[draw(st.text(min_size=1, max_size=5))] = leaf
    elif target == "protocol":
        doc["protocol"][draw(st.text(min_size=1, max_size=5))] = leaf
    elif target == "votes":
        doc["protocol"]["votes"][draw(st.sampled_from(["a", "zz", ""]))] = leaf
    elif target in ("station", "valid"):
        doc["protocol"][target] = leaf
    else:
        doc["device"] = leaf
    text = json.dumps(doc).replace(json.dumps(leaf), draw(LEAVES))
    return text.encode("utf-8", "surrogatepass")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=hostile_envelopes())
def test_no_hostile_envelope_takes_a_batch_down(sqlite_db: Database, body: bytes) -> None:
    db = sqlite_db
    if log_size(db, "test-2025") == 0:
        load_election(db, election())
    before = log_size(db, "test-2025")
    receipts = submit_protocols(db, "test-2025", [("hostile", body), ("ok", valid("1002"))])
    assert receipts[1].outcome in (Outcome.ACCEPTED, Outcome.DUPLICATE)
    if read_json(body)[1]:  # refused by the limits: a named reason, kept and logged
        assert receipts[0].outcome is Outcome.REJECTED
        with db.read() as s:
            raws = [bytes(r) for r in s.scalars(select(RejectionRow.raw))]
        assert (body if len(body) <= 1 << 20 else body[:EVIDENCE_KEPT]) in raws
        assert log_size(db, "test-2025") >= before + 1
