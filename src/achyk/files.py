"""Files written under an output folder stay inside it, whatever the names that built their paths.

Ids in the definition are safe by construction (:mod:`achyk.domain.identifiers`); this is the
second lock, on the door itself: every file `achyk publish` writes goes through
:func:`write_inside`, which resolves the path (symbolic links included) and refuses one that is
not under the folder.
"""

from __future__ import annotations

from pathlib import Path

from achyk.errors import AchykError


class OutsideOutput(AchykError):
    """A file would have been written outside the output folder."""


def inside(root: Path, path: Path) -> Path:
    """``path``, resolved, if it is within ``root`` (resolved); else OutsideOutput."""
    base = root.resolve()
    target = path.resolve()
    if target != base and base not in target.parents:
        raise OutsideOutput(f"refused to write {path}: it is not inside {root}")
    return target


def write_inside(root: Path, path: Path, data: bytes | str) -> None:
    """Write ``data`` (text as UTF-8) to ``path``, which must be inside ``root``."""
    target = inside(root, path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.encode() if isinstance(data, str) else data)
