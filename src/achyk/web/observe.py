"""The observer's phone page: what it needs to work with no signal, rendered into the page once —
the mission's forms as data with their labels in the page's language, the registered observers'
public keys and pseudonyms (to recognise the key the observer loads), the missions' keys (to seal
content to them), each team's drawn stations and the contests' lines for a protocol copy.

All of it is public (on the log or in the definition); the observer's key never leaves the phone.
"""

from __future__ import annotations

from typing import Any

from achyk.domain.definition import Election
from achyk.observers.fold import COPY_FIELDS, Observers
from achyk.observers.forms import STANDARD, Assessment, Incident, Kind
from achyk.observers.mission_forms import LANGUAGES
from achyk.web.i18n import translations

CHOICE_LABELS: dict[str, str] = {
    Assessment.VERY_GOOD: "Very good", Assessment.GOOD: "Good", Assessment.BAD: "Bad",
    Assessment.VERY_BAD: "Very bad",
    Incident.BALLOT_STUFFING: "Ballot stuffing", Incident.CAROUSEL: "Carousel voting",
    Incident.MOBILE_BOX: "Mobile box", Incident.CONTROL_PAPER: "Control paper",
    Incident.VOTER_LIST: "Voter list", Incident.FAMILY_VOTING: "Family voting",
    Incident.VOTE_BUYING: "Vote buying", Incident.SECRECY: "Secrecy of the vote",
    Incident.FINAL_PROTOCOL: "Final protocol",
    Incident.PRESSURE_ON_OBSERVERS: "Pressure on observers",
    Incident.UNAUTHORISED_PERSONS: "Unauthorised persons", Incident.OTHER: "Other",
}  # fmt: skip
FORM_NAMES = {"opening": "Opening", "voting": "Voting", "counting": "Counting",
              "incident": "Incident"}  # fmt: skip
COPY_LABELS = {
    "voters_on_list": "Voters on the list", "ballots_received": "Ballots received",
    "issued_in_station": "Ballots issued in the station",
    "issued_outside": "Ballots issued outside the station (mobile box)",
    "cancelled": "Ballots cancelled", "found_mobile": "Ballots found in the mobile boxes",
    "found_stationary": "Ballots found in the stationary boxes", "invalid": "Invalid ballots",
    "valid": "Valid ballots",
}  # fmt: skip
UI = (
    "Observer's phone", "Your key", "Key file", "or paste the text of its QR code", "Use this key",
    "Forget the key on this phone",
    "Your key stays on this phone: submissions are signed here, the key is never sent.",
    "This key is not the key of a registered observer.", "Not a key file.", "Station", "Form",
    "Protocol copy", "Change of station", "Yes", "No", "Photo", "Sign and queue",
    "Waiting to send", "Sent: log entry", "Refused", "Online", "Offline",
    "What you sign waits on this phone and is sent once the network returns.",
    "Quality check", "Contest", "Moved from station", "To station", "Reason", "Answer this question.",
    "Submissions", "Votes", "Observer", "Mission", "Team",
)  # fmt: skip


def own_forms(state: Observers, lang: str) -> list[dict[str, Any]]:
    """Each mission's own forms in the page's language (English where the page's is not one of
    the four a mission writes): shown only to that mission's observers."""
    pick = lang if lang in LANGUAGES else "en"
    out = []
    for mission, forms in sorted(state.forms.items()):
        for own in forms.values():
            doc = own.document
            out.append({
                "id": own.form.id, "mission": mission, "name": doc["title"][pick],
                "questions": [{
                    "id": q["id"], "kind": q["kind"], "label": q["label"][pick],
                    "required": q.get("required", True),
                    "choices": [[c, c] for c in q.get("choices", [])],
                } for q in doc["questions"]],
                "checks": [[c["left"], c["right"], c["message"][pick]] for c in doc.get("checks", [])],
            })  # fmt: skip
    return out


def page_data(election: Election, state: Observers, lang: str) -> dict[str, Any]:
    _ = translations(lang).gettext
    forms = []
    for form in STANDARD.values():
        forms.append({
            "id": form.id, "name": _(FORM_NAMES.get(form.id, form.id)),
            "questions": [{
                "id": q.id, "kind": q.kind.value, "label": _(q.label), "required": q.required,
                "choices": [[c, _(CHOICE_LABELS.get(c, c))] for c in q.choices]
                if q.kind is Kind.CHOICE else [],
            } for q in form.questions if q.id != "photos"],
            "checks": [[c.left, c.right, _(c.message)] for c in form.checks],
        })  # fmt: skip
    forms.extend(own_forms(state, lang))
    plans = {m: {t: list(s) for t, s in plan.assignments.items()}
             for m, (_i, plan) in state.plans.items()}  # fmt: skip
    return {
        "election": election.id,
        "forms": forms,
        "ui": {k: _(k) for k in UI},
        "copy_lines": [[k, _(COPY_LABELS[k])] for k in COPY_FIELDS],
        "missions": {
            m.id: {"name": m.name, "public_key": m.public_key} for m in state.missions.values()
        },
        "observers": [
            {
                "mission": o.mission,
                "observer": o.pseudonym,
                "team": o.team,
                "public_key": o.public_key,
                "role": o.role.value,
            }
            for o in state.observers.values()
        ],
        "plans": plans,
        "stations": sorted(
            p.station.id for p in election.stations() if p.station.channel == "station"
        ),
        "contests": [
            {"id": c.id, "name": c.name, "options": [[o.id, o.name] for o in c.options]}
            for c in election.contests
        ],
    }
