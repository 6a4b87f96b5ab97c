"""Names in the reader's language: the definition's translations, else its default name.

A definition may give any named thing (the election, a contest, a party or candidate, a region, a
district) a `names` mapping beside its `name` — `names: {ky: Чүй облусу, ru: Чуйская область,
en: Chüy Region}`. The default `name` stays the one the record is built on; the translations are
for showing. `localize` gives the whole election as one language sees it, so a page or an API
answer built from it needs no other change.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping

from achyk.domain.definition import Contest, District, Election, Names, Option, Region

# Languages a translation may be given in (those of the site: achyk.web.i18n.LANGUAGES).
NAME_LANGUAGES: tuple[str, ...] = ("ru", "ky", "kk", "en")


def names_of(mapping: Mapping[str, str]) -> Names:
    return tuple(sorted(mapping.items()))


def in_language(name: str, names: Names, lang: str) -> str:
    return next((n for code, n in names if code == lang), name)


def has_translations(election: Election) -> bool:
    return (
        bool(election.names)
        or any(c.names or any(o.names for o in c.options) for c in election.contests)
        or any(r.names or any(d.names for d in r.districts) for r in election.regions)
    )


def _option(o: Option, lang: str) -> Option:
    return dataclasses.replace(o, name=in_language(o.name, o.names, lang)) if o.names else o


def _contest(c: Contest, lang: str) -> Contest:
    return dataclasses.replace(
        c, name=in_language(c.name, c.names, lang),
        options=tuple(_option(o, lang) for o in c.options),
    )  # fmt: skip


def _district(d: District, lang: str) -> District:
    return dataclasses.replace(d, name=in_language(d.name, d.names, lang)) if d.names else d


def _region(r: Region, lang: str) -> Region:
    return dataclasses.replace(
        r, name=in_language(r.name, r.names, lang),
        districts=tuple(_district(d, lang) for d in r.districts),
    )  # fmt: skip


_cache: dict[tuple[int, str], tuple[Election, Election]] = {}
_lock = threading.Lock()
_CACHE_SIZE = 16  # a few elections × four languages


def localize(election: Election, lang: str) -> Election:
    """The election with every translated name in `lang` (the same object when none is given).

    Built once per election object and language: a page re-rendered on every new protocol must not
    rebuild a 100,000-station election each time.
    """
    key = (id(election), lang)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] is election:
        return hit[1]
    if not has_translations(election):
        out = election
    else:
        out = dataclasses.replace(
            election, name=in_language(election.name, election.names, lang),
            contests=tuple(_contest(c, lang) for c in election.contests),
            regions=tuple(_region(r, lang) for r in election.regions),
        )  # fmt: skip
    with _lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = (election, out)  # holding `election` keeps its id from being reused
    return out


def unit_names(election: Election) -> dict[tuple[str, str], str]:
    """(level, id) → name of the nation, each region and each district (as `election` names them)."""
    out = {("national", "national"): election.name}
    for r in election.regions:
        out[("region", r.id)] = r.name
        for d in r.districts:
            out[("district", d.id)] = d.name
    return out
