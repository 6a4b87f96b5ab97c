"""Each stored outline keeps the stations the site asks about, as a new load writes it.

The first overview after `achyk serve` starts is rendered from the outline
(achyk.services.results.cold_results) when it keeps the first station abroad and every remote
unit (marked `"kept": ["abroad", "remote"]`). Outlines stored before lack them; this fills them
in from the stored definition, with the rule of `outline_of` written out here so that the
migration never changes with the code. Definitions and hashes are untouched.

Revision ID: 0019
Revises: 0015
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0015"
branch_labels = None
depends_on = None

KEPT = ["abroad", "remote"]


def _with_kept(outline: dict[str, Any], definition: dict[str, Any]) -> dict[str, Any]:
    kept_abroad = False
    regions = []
    for region, full in zip(outline["definition"]["regions"], definition["regions"], strict=True):
        districts = []
        for district, whole in zip(region["districts"], full["districts"], strict=True):
            kept = []
            for station in whole.get("stations", []):
                remote = station.get("channel") == "remote"
                if remote or (station.get("country") is not None and not kept_abroad):
                    kept.append(station)
                    kept_abroad = kept_abroad or not remote
            districts.append({**district, "stations": kept})
        regions.append({**region, "districts": districts})
    return {**outline, "definition": {**outline["definition"], "regions": regions}, "kept": KEPT}


def upgrade() -> None:
    elections = sa.table(
        "elections", sa.column("id", sa.String), sa.column("definition", sa.Text),
        sa.column("outline", sa.Text),
    )  # fmt: skip
    bind = op.get_bind()
    ids = [
        i
        for (i,) in bind.execute(sa.select(elections.c.id).where(elections.c.outline.is_not(None)))
    ]
    for eid in ids:
        outline_text, definition_text = bind.execute(
            sa.select(elections.c.outline, elections.c.definition).where(elections.c.id == eid)
        ).one()
        outline = json.loads(outline_text)
        if outline.get("kept") == KEPT:
            continue
        outline = _with_kept(outline, json.loads(definition_text))
        text = json.dumps(outline, ensure_ascii=False, separators=(",", ":"))
        bind.execute(elections.update().where(elections.c.id == eid).values(outline=text))


def downgrade() -> None:
    pass  # an outline with kept stations is read as before by code that does not look for them
