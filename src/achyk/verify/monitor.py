"""Monitoring a log: every new checkpoint must extend the one kept before, or it is a fork.

The monitor keeps the last checkpoint it verified. A new one of the same size with another root, a
smaller one, or a larger one whose tree does not contain the old tree (checked by recomputing the
old root from the new tiles, which are themselves checked against the new signed root) is a
rewrite; the two signed checkpoints are the evidence, and anyone can check both signatures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from achyk.errors import VerificationError
from achyk.ledger import Checkpoint, tree_root, verify_checkpoint
from achyk.ledger.tiles import hash_at_from_tiles, verify_tiles
from achyk.verify.source import RecordSource


@dataclass(frozen=True)
class MonitorResult:
    ok: bool
    message: str
    old_note: str | None
    new_note: str | None


def _state(path: Path) -> dict[str, str]:
    if path.is_file():
        loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    return {}


def check_once(
    location: str, state_file: Path, vkey: str | None = None, origin: str | None = None
) -> MonitorResult:
    """Fetch the current checkpoint, check it against the kept one, keep it if it extends it.

    ``vkey`` (and ``origin``) pin the log; without them the key kept from an earlier run is used,
    or, on the very first run, the record's own key — and the message says so.
    """
    src = RecordSource(location)
    state = _state(state_file)
    note_on_trust = ""
    if vkey is None:
        vkey = state.get("vkey")
    try:
        if vkey is None:  # trust on first use, and say so
            vkey = str(json.loads(src.read("record.json"))["log_key"])
            note_on_trust = " (WARN: trusted the record's own log key; pin it with --log-key)"
        new_note = src.text("log/checkpoint")
    except (KeyError, ValueError, TypeError, VerificationError) as err:
        return MonitorResult(False, f"cannot read the log: {err!r}", None, None)
    try:
        new = verify_checkpoint(new_note, vkey, origin=origin)
    except VerificationError as err:
        return MonitorResult(
            False, f"the current checkpoint does not verify: {err}", None, new_note
        )
    old_note = state.get("checkpoint")
    if old_note is None:
        _save(state_file, vkey, new_note)
        return MonitorResult(
            True, f"first checkpoint kept: size {new.size}{note_on_trust}", None, new_note
        )
    try:
        old = verify_checkpoint(old_note, vkey)
    except VerificationError as err:
        return MonitorResult(False, f"the kept checkpoint does not verify under the pinned "
                                    f"key: {err}", old_note, new_note)  # fmt: skip
    problem = _compare(src, old, new)
    if problem:
        return MonitorResult(False, problem, old_note, new_note)
    _save(state_file, vkey, new_note)
    return MonitorResult(True, f"size {old.size} → {new.size}: consistent", old_note, new_note)


def _compare(src: RecordSource, old: Checkpoint, new: Checkpoint) -> str | None:
    if new.origin != old.origin:
        return f"origin changed from {old.origin!r} to {new.origin!r}"
    if new.size < old.size:
        return f"the log shrank from {old.size} to {new.size} entries"
    if new.size == old.size:
        if new.root != old.root:
            return f"FORK: two different trees of size {new.size} signed by the log key"
        return None

    def fetch(path: str) -> bytes:
        return src.read("log/" + path)

    try:
        verify_tiles(new.size, fetch, new.root)
        if tree_root(old.size, hash_at_from_tiles(new.size, fetch)) != old.root:
            return f"FORK: the tree of size {new.size} does not extend the kept tree of size {old.size}"
    except (KeyError, VerificationError) as err:
        return f"cannot check consistency {old.size} → {new.size}: {err}"
    return None


def _save(path: Path, vkey: str, note: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"vkey": vkey, "checkpoint": note}), encoding="utf-8")
