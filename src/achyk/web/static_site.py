"""The whole site and its data as static files, for any web server or CDN (`achyk publish --out DIR`).

Layout: `<lang>/e/<election>/…/index.html` for every page in every language, `e/<election>/data/…` for
the open data (the same files the live site serves), `static/` for the stylesheet and script, and an
`index.html` that sends a visitor to their language. Live updates need the server; a published copy
says so and is complete as it stands. The tracking-code page looks codes up in the browser, in the
board files under `data/` (see board.py).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from achyk.domain.definition import Election
from achyk.domain.names import has_translations, localize
from achyk.domain.tabulation import Level, Tabulation
from achyk.files import Writer
from achyk.services.elections import freeze_long_lived, get_election
from achyk.services.freshness import freshness
from achyk.services.import_results import is_imported
from achyk.services.results import results
from achyk.store.database import Database
from achyk.store.repositories import Protocols
from achyk.web import opendata, pages, site_pages, station_static
from achyk.web.board import Board, lookup_documents, read_board
from achyk.web.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES
from achyk.web.live import live_summary
from achyk.web.nist import election_report
from achyk.web.render import STATIC, Site, render


def _write(out: Writer, path: Path, text: str) -> None:
    out.write(path, text)  # ids built these paths: never outside the output folder


def _write_data(election: Election, tab: Tabulation, board: Board, root: Path, stamp: int) -> None:
    data = root / pages.base_path(election) / "data"
    out = Writer(root)
    for contest in election.contests:
        path = data / opendata.wide_path(contest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(opendata.wide_csv_gz(election, tab, contest))
    many = election.station_count() > opendata.LONG_STATION_FILES_UP_TO
    for level in opendata.LEVELS:
        if level is Level.STATION and many:
            continue  # the wide table above; the long form is served by the live site
        rows = opendata.unit_results(election, tab, level)
        _write(out, data / f"{level.value}.csv", opendata.to_csv(rows))
        _write(out, data / f"{level.value}.json", opendata.to_json(rows))
        by_unit: dict[str, list[dict[str, object]]] = {}
        for row in rows:
            by_unit.setdefault(str(row["unit"]), []).append(row)
        for unit, unit_rows in by_unit.items():
            _write(out, data / level.value / f"{unit}.csv", opendata.to_csv(unit_rows))
            _write(out, data / level.value / f"{unit}.json", opendata.to_json(unit_rows))
    if not many:  # precinct-level NIST counts of 100,000 stations: hundreds of MB, on the live site
        _write(
            out, data / "nist.json", json.dumps(election_report(election, tab), ensure_ascii=False)
        )
    _write(out, data / "summary.json", json.dumps(live_summary(election, tab, stamp)))
    for name, doc in lookup_documents(board).items():
        _write(out, data / name, json.dumps(doc, ensure_ascii=False))


def _index(election: Election, site: Site) -> str:
    links = "\n".join(
        f'<li><a href="{site.page(code, pages.base_path(election))}" lang="{code}" '
        f'hreflang="{code}">{name}</a></li>'
        for code, name in LANGUAGE_NAMES.items()
    )
    target = site.page(DEFAULT_LANGUAGE, pages.base_path(election))
    # Remembered choice (set by the language links of the live site or a previous visit) first.
    script = (
        "<script>var m=document.cookie.match(/achyk_lang=(ru|ky|kk|en)/);"
        f"var l=m?m[1]:'{DEFAULT_LANGUAGE}';"
        f"location.replace('{site.base}'+l+'/{pages.base_path(election)}');</script>"
    )
    return (
        f'<!doctype html>\n<html lang="{DEFAULT_LANGUAGE}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{election.name}</title>"
        f'<noscript><meta http-equiv="refresh" content="0; url={target}"></noscript>{script}'
        f"</head><body><main><h1>{election.name}</h1><ul>{links}</ul></main></body></html>\n"
    )


def track_page(election: Election, board: Board) -> pages.Page:
    """The tracking-code lookup: a form whose script reads the board files (track.js)."""
    base = pages.base_path(election)
    return pages.Page(
        "track.html", f"{base}track/", election.name,
        {"election": election, "base": base, "crumbs": [(election.name, base)], "code": "",
         "found": None, "proof": [], "entry": "", "prefix_chars": board.prefix_chars},
    )  # fmt: skip


def in_parallel(
    db: Database,
    work: Callable[[tuple[int, int]], None],
    parts: int,
    also: Callable[[], None] | None = None,
) -> None:
    """`work((k, parts))` for every k: parts − 1 forked writers and this process side by side
    (each forked writer inherits the built definition and tabulation; none is sent or rebuilt);
    `also()`, if given, by one more forked writer beside them (after them when not in parallel)."""
    if parts <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        work((0, 1))
        if also is not None:
            also()
        return
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_writer, args=(db, work, (k, parts)))
               for k in range(1, parts)]  # fmt: skip
    if also is not None:
        writers.append(context.Process(target=_also, args=(db, also)))
    for w in writers:
        w.start()
    try:
        work((0, parts))
    finally:
        for w in writers:
            w.join()
    failed = [w.exitcode for w in writers if w.exitcode != 0]
    if failed:
        raise RuntimeError(f"a site writer failed (exit codes {failed})")


def _writer(db: Database, work: Callable[[tuple[int, int]], None], share: tuple[int, int]) -> None:
    db.engine.dispose(close=False)  # the parent's connections stay the parent's
    work(share)


def _also(db: Database, job: Callable[[], None]) -> None:
    db.engine.dispose(close=False)
    job()


def write_site(db: Database, election_id: str, out_dir: Path, *, base: str = "/") -> None:
    """Write every page in every language, every open-data file, and the assets under `out_dir`."""
    election = get_election(db, election_id)
    election, tab = results(db, election.id)
    with db.read() as s:
        stamp = Protocols(s).last_id(election.id)
    districts = {st.id: d.id for r in election.regions for d in r.districts for st in d.stations}
    site = Site(static=True, base=base, districts=districts)
    fresh = freshness(db, election.id)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = Writer(out_dir)
    board = read_board(db, election.id)
    # Page by page, every language at once: nothing of a page is kept once it is written. Station
    # pages are one per language, drawn in the browser from the district files written below.
    imported = is_imported(db, election.id)
    translated = has_translations(election)
    localized = {lang: localize(election, lang) if translated else election for lang in LANGUAGES}
    shells = [station_static.shell_page(localized[lang], lang) for lang in LANGUAGES]
    data = out_dir / pages.base_path(election) / "data"

    def pages_in(share: tuple[int, int]) -> Iterator[dict[str, pages.Page]]:
        """Each page in every language: built once for all when the definition gives no
        translated names; else once per language (the names are in the page's data), in step, so
        that only one page is held at a time."""
        if not translated:
            for page in site_pages.all_pages(db, election, tab, stations=False, share=share):
                yield dict.fromkeys(LANGUAGES, page)
            return
        streams = [site_pages.all_pages(db, localized[lang], tab, stations=False, share=share)
                   for lang in LANGUAGES]  # fmt: skip
        for in_each in zip(*streams, strict=True):
            yield dict(zip(LANGUAGES, in_each, strict=True))

    def write_share(share: tuple[int, int]) -> None:
        for page_in in pages_in(share):
            for lang, page in page_in.items():
                html = render(
                    page.template, lang, site, page.path, title=page.title, fresh=fresh,
                    record_imported=imported, **page.context,
                )  # fmt: skip
                _write(out, out_dir / lang / page.path / "index.html", html)
        station_static.write_district_files(db, election, data, out_dir, share)

    many = election.station_count() > opendata.LONG_STATION_FILES_UP_TO
    if many:  # the scanner-versus-hand reconciliation, once, before the writers share it
        site_pages.paper_reconciliation(db, election, tab)
    freeze_long_lived(election)  # the tabulation and reconciliation too, before the writers fork
    # The open data (the wide station table reads every station's result) beside the pages.
    in_parallel(
        db, write_share, (os.cpu_count() or 1) if many else 1,
        also=lambda: _write_data(election, tab, board, out_dir, stamp),
    )  # fmt: skip
    for lang in LANGUAGES:
        track = track_page(localized[lang], board)
        html = render(track.template, lang, site, track.path, title=track.title, fresh=fresh,
                      record_imported=imported, **track.context)  # fmt: skip
        _write(out, out_dir / lang / track.path / "index.html", html)
    for lang, shell in zip(LANGUAGES, shells, strict=True):
        html = render(shell.template, lang, site, shell.path, title=shell.title, fresh=fresh,
                      record_imported=imported, **shell.context)  # fmt: skip
        _write(out, out_dir / lang / shell.path / "index.html", html)
    for lang in LANGUAGES:
        not_found = render(
            "404.html", lang, site, pages.base_path(election), title="404", message="",
            election=localize(election, lang), base=pages.base_path(election), crumbs=[],
        )  # fmt: skip
        _write(out, out_dir / lang / "404.html", not_found)
    (out_dir / "static").mkdir(exist_ok=True)
    for asset in ("site.css", "live.js", "track.js", "station.js"):
        shutil.copyfile(STATIC / asset, out_dir / "static" / asset)
    _write(out, out_dir / "index.html", _index(election, site))
    _write(out, out_dir / "404.html", (out_dir / DEFAULT_LANGUAGE / "404.html").read_text("utf-8"))
