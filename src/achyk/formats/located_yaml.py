"""YAML read with the line of every value, and refused when a mapping repeats a key.

PyYAML keeps the last of two equal keys without a word, so a definition with `seats: 20` and, lower
down, `seats: 2` would load as 2 — the kind of typo that must be caught before it is signed into a
log. Composing the node tree first gives both checks: every path's line for error messages, and
every duplicate key named with both lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from achyk.errors import Problem


@dataclass
class Located:
    document: Any
    lines: dict[str, int] = field(default_factory=dict)  # "contests[0].parties[3].name" → line
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: str) -> int | None:
        """The line of `path`, or of its nearest enclosing value that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def _walk(node: yaml.Node, path: str, out: Located) -> None:
    out.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                out.problems.append(
                    Problem(
                        f"{path + '.' if path else ''}{key} (line {line})",
                        f"key {key!r} appears twice in one mapping (lines {seen[key]} and {line}); "
                        "YAML would silently keep the last",
                    )
                )
            seen.setdefault(key, line)
            _walk(value_node, f"{path}.{key}" if path else key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, f"{path}[{i}]", out)


def load_located(text: str) -> Located:
    """Parse YAML (or JSON) text; `yaml.YAMLError` for text that is not YAML at all."""
    # libyaml where it is installed: the same nodes and marks, several times faster
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Located(None)
        located = Located(None)
        _walk(node, "", located)
        located.document = loader.construct_document(node)
        return located
    finally:
        loader.dispose()
