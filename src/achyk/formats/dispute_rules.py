"""The definition's optional `disputes:` section: the statutory clock as data.

    disputes:
      preset: kz                  # kg (the default) or kz: the law's figures (achyk.disputes.rules)
      decide_days: 5              # any figure the law of this election sets otherwise
      results_challenge_days: 3   # null: the law sets none
      certify_days: null
      court_challenge_days: 10
      utc_offset_minutes: 300     # the election's time zone (days are counted in it)
      source: "Constitutional Law No 2464, art. 20"

Written back in full (every figure, resolved against the preset), so the document a verifier
hashes says exactly which deadlines the site's clocks applied. Absent, nothing is written and the
definition's hash is what it was before the section existed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from achyk.disputes.rules import PRESETS, DisputeRules


class DisputesModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preset: Literal["kg", "kz"] = "kg"
    decide_days: int | None = Field(default=None, ge=1, le=365)
    results_challenge_days: int | None = Field(default=None, ge=0, le=365)
    certify_days: int | None = Field(default=None, ge=1, le=365)
    court_challenge_days: int | None = Field(default=None, ge=0, le=365)
    utc_offset_minutes: int | None = Field(default=None, ge=-720, le=840)
    source: str | None = Field(default=None, min_length=1, max_length=500)


def rules_to_core(model: DisputesModel) -> DisputeRules:
    """The preset with every figure the section gives instead (null given: the law sets none)."""
    given = model.model_fields_set - {"preset"}
    rules = PRESETS[model.preset]
    changes: dict[str, Any] = {k: getattr(model, k) for k in given}
    if "decide_days" in changes and changes["decide_days"] is None:
        changes.pop("decide_days")  # a body always has a deadline: null keeps the preset's
    if "utc_offset_minutes" in changes and changes["utc_offset_minutes"] is None:
        changes.pop("utc_offset_minutes")
    if changes.get("source") is None:
        changes.pop("source", None)
    return replace(rules, **changes)


def rules_to_document(rules: DisputeRules) -> dict[str, Any]:
    return {
        "preset": rules.name,
        "decide_days": rules.decide_days,
        "results_challenge_days": rules.results_challenge_days,
        "certify_days": rules.certify_days,
        "court_challenge_days": rules.court_challenge_days,
        "utc_offset_minutes": rules.utc_offset_minutes,
        "source": rules.source,
    }
