"""A mission's statements, drafted from its own data in the structure of ODIHR's: the statement of
preliminary findings and conclusions (the day after) and the final report with recommendations
(ODIHR Election Observation Handbook, 6th ed., 2010, ch. "Reporting"): conclusions first, then the
findings by topic, then election day by stage (opening, voting, counting) with the coverage that
stands behind each figure ("observers assessed voting negatively in 12 of 310 stations observed").

A statement is a document (JSON): every text a mapping language → text, in the mission's languages,
so the same issued document renders in each. The draft's sentences come from the data; analysts
edit any paragraph, add topics and recommendations, then the mission signs the document on its own
machine and it is logged (`mission-statement`, signed by the mission's accredited key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from achyk.observers.forms import NEGATIVE
from achyk.observers.model import ObserverError

if TYPE_CHECKING:  # the fold checks issued statements; findings folds: no import cycle at run time
    from achyk.observers.findings import Coverage

KINDS = ("preliminary", "final")
STAGES = ("opening", "voting", "counting")  # the election-day checklists, in the day's order
MAX_TEXT = 20_000
MAX_DEPTH = 3  # topic → subtopic → …: enough for ODIHR's structure
MAX_SECTIONS = 200

Gettext = Callable[[str], Callable[[str], str]]  # language → its gettext


@dataclass(frozen=True)
class Stage:
    form: str
    stations: int  # distinct stations with this form
    forms: int
    assessed: int
    negative: int


def stages(forms: Iterable[tuple[str, str, Mapping[str, Any]]]) -> list[Stage]:
    """(form, station, answers) of a mission's forms → figures per election-day stage."""
    by: dict[str, list[tuple[str, Mapping[str, Any]]]] = {s: [] for s in STAGES}
    for form, station, answers in forms:
        if form in by:
            by[form].append((station, answers))
    out = []
    for form, rows in by.items():
        assessed = [a.get("assessment") for _, a in rows if "assessment" in a]
        out.append(Stage(form, len({s for s, _ in rows}), len(rows), len(assessed),
                         sum(1 for x in assessed if x in NEGATIVE)))  # fmt: skip
    return out


def _all(
    languages: Sequence[str], gettext: Gettext, msgid: str, **values: object
) -> dict[str, str]:
    return {lang: gettext(lang)(msgid) % values for lang in languages}


def draft(
    kind: str,
    coverage: Coverage,
    stage_figures: Sequence[Stage],
    languages: Sequence[str],
    gettext: Gettext,
    date: str,
    effect_sentence: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The first draft of a statement, every sentence in every language of `languages`."""
    if kind not in KINDS:
        raise ObserverError(f"a statement is one of {', '.join(KINDS)}")
    if not languages:
        raise ObserverError("a statement needs at least one language")

    def say(msgid: str, **values: object) -> dict[str, str]:
        return _all(languages, gettext, msgid, **values)

    c = coverage
    if c.abroad_visited:
        visited = say("The mission observed %(n)s polling stations in %(k)s of %(m)s regions, "
                      "%(a)s of them abroad.", n=c.visited, k=c.regions_visited, m=c.regions,
                      a=c.abroad_visited)  # fmt: skip
    else:
        visited = say("The mission observed %(n)s polling stations in %(k)s of %(m)s regions.",
                      n=c.visited, k=c.regions_visited, m=c.regions)  # fmt: skip
    negative_pct = 100 * c.negative / c.assessments if c.assessments else 0.0
    conclusions = [
        visited,
        say("Observers assessed the process negatively in %(neg)s of %(all)s assessed "
            "observations (%(pct).1f%%).", neg=c.negative, all=c.assessments, pct=negative_pct),
    ]  # fmt: skip
    if effect_sentence:
        conclusions.append(dict(effect_sentence))
    incidents = [
        say("%(category)s: %(n)s reports.", category=category, n=n)
        for category, n in sorted(c.incidents.items(), key=lambda kv: -kv[1])
    ] or [say("Observers reported no incidents.")]
    day = []
    for s in stage_figures:
        pct = 100 * s.negative / s.assessed if s.assessed else 0.0
        day.append({
            "id": f"election-day/{s.form}", "heading": say(s.form.capitalize()),
            "figures": {"stations": s.stations, "forms": s.forms, "assessed": s.assessed,
                        "negative": s.negative},
            "paragraphs": [say("Observers reported from %(n)s stations; the process was assessed "
                               "negatively in %(neg)s of %(all)s (%(pct).1f%%).", n=s.stations,
                               neg=s.negative, all=s.assessed, pct=pct)],
        })  # fmt: skip
    sections: list[dict[str, Any]] = [
        {"id": "conclusions", "heading": say("Preliminary conclusions" if kind == "preliminary"
                                             else "Executive summary"), "paragraphs": conclusions},
        {"id": "findings/election-administration", "heading": say("Election administration"),
         "paragraphs": [say("Protocol copies taken by observers: %(n)s.", n=c.copies)]},
        {"id": "findings/incidents", "heading": say("Incidents"), "paragraphs": incidents},
        {"id": "election-day", "heading": say("Election day"), "paragraphs": [visited],
         "sections": day},
    ]  # fmt: skip
    if kind == "final":
        sections.append({"id": "recommendations", "heading": say("Recommendations"),
                         "paragraphs": []})  # fmt: skip
    title = say("Statement of preliminary findings and conclusions" if kind == "preliminary"
                else "Final report")  # fmt: skip
    return {
        "mission": c.mission, "kind": kind, "date": date, "languages": list(languages),
        "title": title, "figures": {
            "visited": c.visited, "regions_visited": c.regions_visited, "regions": c.regions,
            "abroad_visited": c.abroad_visited, "assessments": c.assessments,
            "negative": c.negative, "observers": c.observers, "planned": c.planned,
        },
        "sections": sections,
    }  # fmt: skip


def check_document(doc: Any) -> dict[str, Any]:
    """A statement document's shape; ObserverError names the first thing wrong."""
    if not isinstance(doc, dict):
        raise ObserverError("a statement is a JSON object")
    if doc.get("kind") not in KINDS:
        raise ObserverError(f"kind: one of {', '.join(KINDS)}")
    languages = doc.get("languages")
    if (
        not isinstance(languages, list)
        or not languages
        or not all(isinstance(x, str) and 2 <= len(x) <= 3 for x in languages)
    ):
        raise ObserverError("languages: a non-empty list of ISO 639 codes")
    _texts(doc.get("title"), languages, "title")
    sections = doc.get("sections")
    if not isinstance(sections, list) or not sections:
        raise ObserverError("sections: a non-empty list")
    _sections(sections, languages, "sections")
    return doc


def _texts(value: Any, languages: list[str], where: str) -> None:
    if not isinstance(value, dict) or set(value) != set(languages):
        raise ObserverError(f"{where}: a text in each of {', '.join(languages)}")
    for lang, text in value.items():
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise ObserverError(f"{where}.{lang}: text of at most {MAX_TEXT} characters")


def _sections(sections: list[Any], languages: list[str], where: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ObserverError(f"{where}: sections nest at most {MAX_DEPTH} deep")
    if len(sections) > MAX_SECTIONS:
        raise ObserverError(f"{where}: at most {MAX_SECTIONS} sections")
    for n, section in enumerate(sections):
        at = f"{where}[{n}]"
        if not isinstance(section, dict) or not isinstance(section.get("id"), str):
            raise ObserverError(f"{at}: an object with an id")
        _texts(section.get("heading"), languages, f"{at}.heading")
        paragraphs = section.get("paragraphs", [])
        if not isinstance(paragraphs, list):
            raise ObserverError(f"{at}.paragraphs: a list")
        for k, p in enumerate(paragraphs):
            _texts(p, languages, f"{at}.paragraphs[{k}]")
        inner = section.get("sections", [])
        if not isinstance(inner, list):
            raise ObserverError(f"{at}.sections: a list")
        _sections(inner, languages, f"{at}.sections", depth + 1)


def edit(
    doc: Mapping[str, Any], section: str, lang: str, paragraphs: Sequence[str]
) -> dict[str, Any]:
    """`doc` with the paragraphs of `section` (its id; a new top-level section if none has it)
    replaced in `lang`; other languages keep theirs (a new paragraph gets the same text in each
    until translated)."""
    out = check_document(_copy(doc))
    languages = out["languages"]
    if lang not in languages:
        raise ObserverError(f"{lang!r} is not a language of this statement")
    target = _find(out["sections"], section)
    if target is None:
        target = {"id": section, "heading": {x: section for x in languages}, "paragraphs": []}
        out["sections"].append(target)
    old = target.get("paragraphs", [])
    target["paragraphs"] = [
        {**(old[i] if i < len(old) else {x: text for x in languages}), lang: text}
        for i, text in enumerate(paragraphs)
    ]
    return check_document(out)


def _find(sections: list[dict[str, Any]], section: str) -> dict[str, Any] | None:
    for s in sections:
        if s["id"] == section:
            return s
        found = _find(s.get("sections", []), section)
        if found is not None:
            return found
    return None


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
