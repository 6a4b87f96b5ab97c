"""Drafting a mission's statement from its data, and reading the statements it has issued.

The draft is made where the mission's data are: its published forms on the log and, for its own
analysts, the unpublished content handed in to its area (`achyk.services.observers.area`). Issuing
is the mission's act: it signs the document with its key on its own machine (`achyk mission
statement issue`) and the server logs it as any observer entry, judged by the fold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from achyk.errors import NotFoundError
from achyk.observers.effect import Effect
from achyk.observers.fold import IssuedStatement
from achyk.observers.forms import NEGATIVE
from achyk.observers.statement import Stage, draft, stages
from achyk.services.observers.effect import mission_effects
from achyk.services.observers.findings import mission_coverage
from achyk.services.observers.record import read_observers
from achyk.store.database import Database

# The site's catalogs (babel only, no web framework): a drafted sentence reads as the site does.
from achyk.web.i18n import LANGUAGES, translations


def _gettext(lang: str) -> Callable[[str], str]:
    return translations(lang).gettext if lang in LANGUAGES else (lambda msgid: msgid)


def effect_sentence(effect: Effect, languages: Iterable[str]) -> dict[str, str]:
    """The turnout comparison in a sentence, in each language."""
    d = next(x for x in effect.differences if x.metric == "turnout")
    msgid = ("Turnout at the stations the mission's random draw sent observers to was "
             "%(obs).1f%%, elsewhere %(rest).1f%%: a difference of %(diff)+.1f points "
             "(95%% confidence interval %(low)+.1f to %(high)+.1f).")  # fmt: skip
    values = {"obs": 100 * d.observed_mean, "rest": 100 * d.unobserved_mean,
              "diff": 100 * d.difference, "low": 100 * d.low, "high": 100 * d.high}  # fmt: skip
    return {lang: _gettext(lang)(msgid) % values for lang in languages}


def draft_statement(
    db: Database,
    election_id: str | None,
    mission: str,
    kind: str,
    languages: list[str],
    unpublished: Mapping[int, Mapping[str, Any]] | None = None,
    date: str | None = None,
    effects: Mapping[str, Effect] | None = None,
) -> dict[str, Any]:
    """The mission's statement drafted from its forms: published ones, and `unpublished` (its
    area's content by observation entry) when its own analyst asks."""
    state = read_observers(db, election_id)
    if mission not in state.missions:
        raise NotFoundError(f"no accredited mission {mission!r}")
    coverage = next(c for c in mission_coverage(db, election_id) if c.mission == mission)
    held = dict(state.contents) | dict(unpublished or {})
    forms = [(o.form, o.station, held[o.index].get("answers", {}))
             for o in state.observations.values() if o.mission == mission and o.index in held]  # fmt: skip
    # Findings from every form the draft can read (the coverage figures count published ones).
    answers = [a for _, _, a in forms]
    assessed = [a["assessment"] for a in answers if "assessment" in a]
    coverage = replace(
        coverage,
        incidents=dict(sorted(Counter(str(a["category"]) for a in answers
                                      if "category" in a).items())),
        assessments=len(assessed), negative=sum(1 for a in assessed if a in NEGATIVE),
    )  # fmt: skip
    figures: list[Stage] = stages(forms)
    effect = (mission_effects(db, election_id) if effects is None else effects).get(mission)
    sentence = effect_sentence(effect, languages) if effect and effect.random else None
    day = date or datetime.now(UTC).date().isoformat()
    return draft(kind, coverage, figures, languages, _gettext, day, sentence)


def issued_statements(
    db: Database, election_id: str | None, mission: str | None = None
) -> list[IssuedStatement]:
    state = read_observers(db, election_id)
    return [s for s in state.statements if mission is None or s.mission == mission]
