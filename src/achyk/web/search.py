"""Finding a polling station by its number, name, address, city or host country.

A voter knows "my school on Chüy avenue" or "station 1234"; an observer knows the number from the
protocol copy in their hand. Matching is case-insensitive and accent-tolerant (NFKD, combining
marks dropped), on every word of the query; a number matches station ids that start with it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from achyk.domain.definition import Election
from achyk.web.i18n import country_name

MAX_HITS = 50


@dataclass(frozen=True)
class StationHit:
    id: str
    name: str
    address: str
    where: str  # city and country for stations abroad, region/district names at home
    path: str


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[StationHit, ...]
    total: int  # all matches; at most MAX_HITS are listed


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_stations(election: Election, query: str, lang: str, base: str) -> SearchResult:
    words = [_fold(w) for w in query.split()][:8]
    if not words:
        return SearchResult(query, (), 0)
    regions = {r.id: r for r in election.regions}
    hits: list[StationHit] = []
    total = 0
    for place in election.stations():
        st = place.station
        region = regions.get(place.region_id)
        district = next(
            (d for d in (region.districts if region else ()) if d.id == place.district_id), None
        )
        if st.country:
            where = ", ".join(x for x in (st.city, country_name(st.country, lang)) if x)
        else:
            where = ", ".join(x.name for x in (region, district) if x is not None)
        haystack = _fold(" ".join((st.name, st.address, st.city or "", where)))
        sid = _fold(st.id)
        if all(sid.startswith(w) or w in haystack for w in words):
            total += 1
            if len(hits) < MAX_HITS:
                hits.append(StationHit(st.id, st.name, st.address, where, f"{base}station/{st.id}"))
    hits.sort(key=lambda h: (len(h.id), h.id))
    return SearchResult(query, tuple(hits), total)
