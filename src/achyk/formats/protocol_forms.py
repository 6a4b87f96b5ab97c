"""The protocol form in a definition file ⇄ the core `ProtocolForm`; the presets' files.

A definition names its form either by a preset's id (``form: ru-duma``) or in full. Either way the
stored, hashed definition holds the form in full, so an election's form can never change under it
when a preset file is edited. A definition without ``form`` keeps the standard nine lines and its
hash (the key is omitted from the canonical document).
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from achyk.domain.forms import (
    BASE_KEYS,
    KEY_PATTERN,
    NUMBER_PATTERN,
    RESERVED,
    VOTES,
    FormLine,
    OnFail,
    ProtocolForm,
    Relation,
    parse_relation,
)
from achyk.errors import DefinitionError, Problem

PRESETS = ("kg", "kz", "ru-duma")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FormLineModel(_Model):
    number: str = Field(min_length=1)
    key: str = Field(min_length=1)
    label: str = Field(min_length=1)


class FormRelationModel(_Model):
    check: str = Field(min_length=1)
    on_fail: OnFail


class FormModel(_Model):
    id: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = Field(min_length=1)
    source: str = ""
    lines: list[FormLineModel] = Field(min_length=1)
    relations: list[FormRelationModel] = []


def form_problems(f: FormModel, at: str = "form") -> list[Problem]:
    """Cross-checks pydantic cannot make: line keys and numbers, relations that parse."""
    problems: list[Problem] = []
    keys = [line.key for line in f.lines]
    numbers = [line.number for line in f.lines]
    for i, line in enumerate(f.lines):
        if not KEY_PATTERN.match(line.key) or line.key in RESERVED:
            problems.append(Problem(f"{at}.lines[{i}].key", f"{line.key!r} cannot name a line"))
        if not NUMBER_PATTERN.match(line.number):
            problems.append(Problem(f"{at}.lines[{i}].number",
                                    f"{line.number!r}: a line number is digits, then at most one "
                                    "letter (\"1\", \"10\", \"1a\")"))  # fmt: skip
    for what, values in (("key", keys), ("number", numbers)):
        for value, n in Counter(values).items():
            if n > 1:
                problems.append(Problem(f"{at}.lines", f"line {what} {value!r} is used {n} times"))
    problems += [
        Problem(f"{at}.lines", f"the form has no line for {key!r} (every form has the nine lines "
                "tabulation reads)")
        for key in BASE_KEYS if key not in keys
    ]  # fmt: skip
    for i, r in enumerate(f.relations):
        try:
            left, _, right = parse_relation(r.check)
        except ValueError as err:
            problems.append(Problem(f"{at}.relations[{i}].check", str(err)))
            continue
        unknown = sorted({k for _, k in left + right if k not in keys and k != VOTES})
        problems += [
            Problem(f"{at}.relations[{i}].check", f"{k!r} is not a line of the form")
            for k in unknown
        ]
    return problems


def form_to_core(f: FormModel) -> ProtocolForm:
    relations = []
    for r in f.relations:
        left, op, right = parse_relation(r.check)
        relations.append(Relation(left, op, right, r.on_fail, r.check))
    return ProtocolForm(
        id=f.id,
        name=f.name,
        lines=tuple(FormLine(line.number, line.key, line.label) for line in f.lines),
        relations=tuple(relations),
        source=f.source,
    )


def form_to_document(form: ProtocolForm) -> dict[str, Any]:
    return {
        "id": form.id,
        "name": form.name,
        "source": form.source,
        "lines": [{"number": x.number, "key": x.key, "label": x.label} for x in form.lines],
        "relations": [{"check": r.text, "on_fail": r.on_fail.value} for r in form.relations],
    }


@cache
def preset_document(name: str) -> dict[str, Any]:
    """A preset form as the document a definition would hold (from its file, sources cited)."""
    if name not in PRESETS:
        raise DefinitionError("form", [Problem("form", f"no preset {name!r}; the presets are "
                                               f"{', '.join(PRESETS)}")])  # fmt: skip
    text = resources.files("achyk.formats").joinpath("forms", f"{name}.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)
    return doc


def preset(name: str) -> ProtocolForm:
    model = FormModel.model_validate(preset_document(name))
    problems = form_problems(model, f"forms/{name}.yaml")
    if problems:
        raise DefinitionError(f"preset {name}", problems)
    return form_to_core(model)
