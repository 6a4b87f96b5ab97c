"""The kg-2025 site in its four languages, on election night (30 % of the protocols in).

Names come from the definition's translations (achyk.domain.names): the regions' official names
(the Constitution of the Kyrgyz Republic, art. 8: Чүй облусу / Чуйская область) and the invented
parties' translated names. The pages in ky, kk and ru are then crawled for any text the site's
own catalog translates but that was left in English.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy import select

from achyk.api.app import create_app
from achyk.domain.submission import examine
from achyk.services.simulation import run_simulation
from achyk.sim.generator import generate
from achyk.sim.profiles import KG_2025
from achyk.store.database import Database
from achyk.store.models import RejectionRow
from achyk.web.i18n import LOCALE_DIR
from achyk.web.reasons import reason_text
from factories import election, envelope, protocol_doc

EID = KG_2025.election_id
SHARE_IN = 0.30  # of the protocols, in arrival order: some regions have none yet


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path: Path = tmp_path_factory.mktemp("kg") / "kg.db"
    db = Database.open(f"sqlite:///{path}")
    sim = generate(KG_2025)
    cut = int(len(sim.submissions) * SHARE_IN)
    run_simulation(db, dataclasses.replace(sim, submissions=sim.submissions[:cut]))
    yield TestClient(create_app(db=db))
    db.close()


@pytest.mark.parametrize(
    ("lang", "chuy", "party", "title"),
    [
        ("ky", "Чүй облусу", "Тоолор партиясы", "Жогорку Кеңешке шайлоо"),
        ("ru", "Чуйская область", "Партия гор", "Выборы в Жогорку Кенеш"),
        ("kk", "Шу облысы", "Таулар партиясы", "Жогорку Кеңес сайлауы"),
        ("en", "Chüy Region", "Party of the Mountains", "Jogorku Kenesh election"),
    ],
)
def test_the_site_names_regions_parties_and_the_election_in_the_page_language(
    client: TestClient, lang: str, chuy: str, party: str, title: str
) -> None:
    overview = client.get(f"/e/{EID}/?lang={lang}")
    assert overview.status_code == 200
    assert chuy in overview.text and party in overview.text and title in overview.text
    region = client.get(f"/e/{EID}/region/chuy/?lang={lang}")
    assert f"<title>{chuy}" in region.text
    assert "Chuy" not in region.text  # the default name is shown nowhere on the page


def test_the_api_gives_names_in_the_language_asked_and_its_own_names_otherwise(
    client: TestClient,
) -> None:
    plain = client.get(f"/api/elections/{EID}/results", params={"level": "region", "unit": "chuy"})
    assert plain.status_code == 200
    assert plain.json()[0]["name"] == "Chuy"  # the definition's own name, as before
    ky = client.get(
        f"/api/elections/{EID}/results",
        params={"level": "region", "unit": "chuy", "lang": "ky", "contest": "list"},
    ).json()
    assert ky[0]["name"] == "Чүй облусу"
    assert {o["name"] for o in ky[0]["options"]} >= {"Тоолор партиясы", "Өрөөндөр союзу"}
    assert client.get(f"/api/elections/{EID}/results", params={"lang": "de"}).status_code == 422
    # The open-data definition carries every translation.
    definition = client.get(f"/api/elections/{EID}/definition.json")
    assert definition.status_code == 200
    chuy = next(r for r in definition.json()["regions"] if r["id"] == "chuy")
    assert chuy["names"] == {"ky": "Чүй облусу", "ru": "Чуйская область", "kk": "Шу облысы",
                             "en": "Chüy Region"}  # fmt: skip


# English a page must never show in ky, kk or ru: statuses, reasons and labels made in code (the
# catalog's own strings are checked besides, below).
KNOWN_ENGLISH = (
    "Abroad", "Against all", "provisional", "undetermined", "final", "Page not found",
    "ballots found", "ballots issued", "is negative", "does not verify", "not yet reported",
    "no votes counted yet", "valid ballots", "already holds protocol", "sum of option votes",
)  # fmt: skip


class _Text(HTMLParser):
    """The text a reader sees or hears: text nodes and the attributes shown or read aloud."""

    SHOWN = ("title", "aria-label", "alt", "placeholder", "data-none", "data-against-all")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in self.SHOWN and value:
                self.texts.append(" ".join(value.split()))
            if name == "href" and value:
                self.links.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skip:
            self.texts.append(text)


def _translated_msgids(lang: str) -> set[str]:
    """The catalog's English strings that `lang` translates (and that hold no placeholder)."""
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=lang)
    return {
        str(m.id) for m in catalog
        if m.id and isinstance(m.id, str) and m.string and m.string != m.id and "%(" not in m.id
        and re.search(r"[a-z]{3}", m.id)
    }  # fmt: skip


def _pages(client: TestClient, lang: str) -> Iterator[tuple[str, list[str]]]:
    """Every page reachable from the overview (one station page per district at most), the
    stations with refused submissions, and a 404: (path, the texts it shows)."""
    with client.app.state.db.read() as s:  # type: ignore[attr-defined]
        refused = s.execute(select(RejectionRow.station_id).distinct()).scalars().all()
    start = [f"/e/{EID}/", *(f"/e/{EID}/station/{sid}/" for sid in refused if sid)]
    todo, seen, stations = list(start), set(start), 0
    while todo:
        path = todo.pop(0)
        answer = client.get(path, params={"lang": lang})
        assert answer.status_code == 200, path
        parser = _Text()
        parser.feed(answer.text)
        yield path, parser.texts
        for link in parser.links:
            link = link.split("?")[0].split("#")[0]
            if not link.startswith(f"/e/{EID}/") or "/data/" in link or link in seen:
                continue
            if "/station/" in link:
                if stations >= 40:
                    continue
                stations += 1
            if re.search(r"\.(csv|json|gz|xml|svg|png)$", link):
                continue
            seen.add(link)
            todo.append(link)
    missing = client.get(f"/e/{EID}/region/nowhere/", params={"lang": lang})
    assert missing.status_code == 404
    parser = _Text()
    parser.feed(missing.text)
    yield "404", parser.texts


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ky", "kk", "ru"])
def test_no_english_is_left_on_the_kg_2025_site(client: TestClient, lang: str) -> None:
    msgids = _translated_msgids(lang)
    assert len(msgids) > 200
    crawled, left = 0, []
    for path, texts in _pages(client, lang):
        crawled += 1
        for text in texts:
            if text in msgids or any(word in text for word in KNOWN_ENGLISH):
                left.append(f"{path}: {text!r}")
    assert crawled > 60
    assert not left, left[:20]


@pytest.mark.parametrize("lang", ["ky", "kk", "ru"])
def test_refusal_reasons_are_translated_as_the_checks_write_them(lang: str) -> None:
    """The reasons come from the checks themselves (a protocol that breaks each relation), so a
    change to a check's wording that the page would miss fails here."""
    e = election()
    broken = [
        protocol_doc(ballots_received=999), protocol_doc(invalid=11),
        protocol_doc(votes={"a": 300, "b": 200, "c": 81, "against-all": 10}),
        protocol_doc(found_stationary=700, valid=690, invalid=30),
        protocol_doc(found_mobile=30, found_stationary=570, issued_outside=20),
        protocol_doc(issued_in_station=1200, ballots_received=1620, cancelled=400),
        protocol_doc(cancelled=-1, ballots_received=599),
    ]  # fmt: skip
    reasons = []
    for doc in broken:
        examined = examine(e, json.loads(envelope(doc)), {})
        reasons += [str(p) for p in examined.problems]
    conflict = "station 1001 list/preliminary: already holds protocol 0123456789abcdef…; this " \
               "one is fedcba9876543210… (a correction must be filed as one)"  # fmt: skip
    reasons += [conflict, "signature: device 1001-a: signature does not verify"]
    assert len(reasons) >= 9
    for reason in reasons:
        shown = reason_text(reason, lang)
        assert shown != reason, reason
        assert not any(word in shown for word in KNOWN_ENGLISH), (reason, shown)
        assert not re.search(r"\b(line|votes|valid|invalid|issued|station)\b", shown), shown
        assert set(re.findall(r"-?\d+", reason)) <= set(re.findall(r"-?\d+", shown)), shown
    assert reason_text("a reason no check writes", lang) == "a reason no check writes"
