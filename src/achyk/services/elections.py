"""Loading an election definition, and reading it back (cached: it is immutable once loaded)."""

from __future__ import annotations

import contextlib
import gc
import json
import threading
import weakref
from dataclasses import dataclass

from sqlalchemy import Engine

from achyk.domain.definition import Election
from achyk.errors import ConflictError, NotFoundError
from achyk.formats.definition import DefinitionText, definition_text, election_from_stored
from achyk.services.ledger import append_entries
from achyk.services.outline import outline_of
from achyk.store.database import Database
from achyk.store.repositories import Elections

FREEZE_STATIONS = 20_000  # definitions this large are frozen out of the cyclic collector


def freeze_long_lived(election: Election) -> bool:
    """Move what is alive now (the parsed definition above all, millions of objects at 100,000
    stations, and whatever was built from it: unit index, tabulation) out of the cyclic
    collector's reach (gc.freeze), before worker processes are forked; True if it did. Ingestion
    and publishing then make many short-lived objects, so the collector runs often, and each of
    its full passes walked the whole definition: a third of the ingest writer's time, a quarter
    of publish's CPU. In forked workers the frozen objects are not touched by their collector
    either (no copy-on-write of the shared pages). Reference counting still frees what is
    frozen; only an object in a reference cycle would never be freed, so a small definition (a
    test's, a demo's), whose passes cost little, is left alone."""
    if election.station_count() < FREEZE_STATIONS:
        return False
    gc.freeze()
    return True


_cache: dict[tuple[str, str, str], Election] = {}
_parsing: dict[tuple[str, str, str], threading.Lock] = {}
# Per engine (not per URL: test schemas share a URL), so that each database has its own view.
_by_engine: weakref.WeakKeyDictionary[Engine, dict[str, Election]] = weakref.WeakKeyDictionary()
_started: set[tuple[Engine, str]] = set()  # definitions read in the background (once each)
_started_lock = threading.Lock()


@dataclass(frozen=True)
class Loaded:
    election_id: str
    definition_hash: str
    created: bool  # False: the same definition was already loaded (idempotent)


def load_election(db: Database, election: Election) -> Loaded:
    """Store a validated definition. The same one again is a no-op; a different one is a conflict."""
    return store_definition(db, definition_text(election))


def store_definition(db: Database, definition: DefinitionText) -> Loaded:
    """`load_election` of a definition already in its canonical text (formats.definition's
    `read_definition`: a file of 100,000 stations is stored without building them)."""
    digest = definition.digest
    with db.session() as s:
        repo = Elections(s)
        existing = repo.get(definition.election_id)
        if existing is not None:
            if existing.definition_hash != digest:
                raise ConflictError(
                    f"election {definition.election_id} is already loaded with definition "
                    f"{existing.definition_hash[:16]}…; this one is {digest[:16]}… — "
                    "a definition is never replaced silently"
                )
            return Loaded(definition.election_id, digest, created=False)
        outline = json.dumps(
            outline_of(definition.document), ensure_ascii=False, separators=(",", ":")
        )
        repo.add(definition.election_id, definition.name, definition.text, digest, outline)
        s.flush()
        # The definition's hash is the log's first entry: everything after it is judged against
        # it. The document itself is published beside the log (a tile entry holds ≤ 64 KiB).
        append_entries(s, definition.election_id, [
            {"kind": "definition", "election": definition.election_id,
             "definition_sha256": digest, "name": definition.name}
        ])  # fmt: skip
    return Loaded(definition.election_id, digest, created=True)


def get_election(db: Database, election_id: str | None = None) -> Election:
    """The named election, or the most recently loaded one when no name is given.

    Hot path (every request and batch): it reads only the id and hash, and parses the definition
    document once per process.
    """
    if election_id is not None:
        known = _by_engine.get(db.engine, {}).get(election_id)
        if known is not None:  # a loaded definition never changes: no query at all
            return known
    with db.read() as s:
        heads = Elections(s).heads()
    if election_id is None:
        if not heads:
            raise NotFoundError("no election is loaded: run `achyk election load FILE`")
        eid, digest = heads[-1]
    else:
        digest_of = dict(heads)
        if election_id not in digest_of:
            raise NotFoundError(f"no election {election_id!r}")
        eid, digest = election_id, digest_of[election_id]
    key = (str(db.engine.url), eid, digest)
    cached = _cache.get(key)
    if cached is None:
        # One parse per definition, however many requests ask at once (each would otherwise
        # parse 30 MB into its own copy, holding a database connection meanwhile).
        with _parsing.setdefault(key, threading.Lock()):
            cached = _cache.get(key)
            if cached is None:
                with db.read() as s:
                    text = Elections(s).definition(eid)
                cached = _cache[key] = election_from_stored(text)
    _by_engine.setdefault(db.engine, {})[eid] = cached
    return cached


def is_parsed(db: Database, election_id: str) -> bool:
    """Whether this process already holds the election's whole definition (no query)."""
    return election_id in _by_engine.get(db.engine, {})


def parse_in_background(db: Database, election_id: str) -> None:
    """Read the whole definition in a thread of its own, so that the pages after a first one
    served without it (the cold overview, services.results.cold_results) find it read."""

    def read() -> None:
        with contextlib.suppress(Exception):  # the next request reads it again, and says why
            get_election(db, election_id)

    with _started_lock:
        if (db.engine, election_id) in _started:
            return
        _started.add((db.engine, election_id))
    threading.Thread(target=read, name=f"definition {election_id}", daemon=True).start()


def list_elections(db: Database) -> list[tuple[str, str, str]]:
    with db.read() as s:
        return Elections(s).summaries()
