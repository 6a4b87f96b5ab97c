"""Just enough of JSON Schema draft-04 to check a document against the NIST SP 1500-100 schema.

Supports $ref (local), type, enum, required, properties, additionalProperties: false, items,
minItems, oneOf and pattern; `format` and the NIST `refTypes` annotation are not assertions in
draft-04 and are ignored, as a conforming validator would.
"""

from __future__ import annotations

import re
from typing import Any

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


def errors(
    schema: dict[str, Any], doc: Any, root: dict[str, Any] | None = None, at: str = "$"
) -> list[str]:
    root = root or schema
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/definitions/")
        return errors(root["definitions"][name], doc, root, at)
    out: list[str] = []
    kind = schema.get("type")
    if kind is not None:
        ok = isinstance(doc, _TYPES[kind]) and not (
            kind in ("integer", "number") and isinstance(doc, bool)
        )
        if not ok:
            return [f"{at}: {doc!r} is not of type {kind}"]
    if "enum" in schema and doc not in schema["enum"]:
        out.append(f"{at}: {doc!r} not in {schema['enum']}")
    if "pattern" in schema and isinstance(doc, str) and not re.search(schema["pattern"], doc):
        out.append(f"{at}: {doc!r} does not match {schema['pattern']}")
    if "oneOf" in schema:
        passing = [s for s in schema["oneOf"] if not errors(s, doc, root, at)]
        if len(passing) != 1:
            out.append(f"{at}: matches {len(passing)} of the oneOf alternatives, not exactly 1")
    if isinstance(doc, dict):
        for key in schema.get("required", []):
            if key not in doc:
                out.append(f"{at}: missing required {key!r}")
        props = schema.get("properties", {})
        for key, value in doc.items():
            if key in props:
                out.extend(errors(props[key], value, root, f"{at}.{key}"))
            elif schema.get("additionalProperties") is False:
                out.append(f"{at}: unexpected property {key!r}")
    if isinstance(doc, list):
        if len(doc) < schema.get("minItems", 0):
            out.append(f"{at}: fewer than {schema['minItems']} items")
        if "items" in schema:
            for i, item in enumerate(doc):
                out.extend(errors(schema["items"], item, root, f"{at}[{i}]"))
    return out
