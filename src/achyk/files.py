"""Files written under an output folder stay inside it, whatever the names that built their paths.

Ids in the definition are safe by construction (:mod:`achyk.domain.identifiers`); this is the
second lock, on the door itself: every file `achyk publish` writes goes through
:func:`write_inside`, which resolves the path (symbolic links included) and refuses one that is
not under the folder.
"""

from __future__ import annotations

import os
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


class Writer:
    """`write_inside` for many files under one root, with the same refusal: each directory is
    resolved once, from its parent's resolution and its own name (a symbolic link, or a name
    such as ``..``, is resolved in full), rather than every path component of every file again
    (`achyk publish` writes tens of thousands of pages, each in its own folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._base = root.resolve()
        self._prefix = str(self._base).rstrip(os.sep) + os.sep
        self._dirs: dict[Path, Path] = {}
        self._made: set[Path] = set()

    def _real(self, d: Path) -> Path:
        hit = self._dirs.get(d)
        if hit is None:
            if d.name in ("", ".", "..") or d.parent == d or os.path.islink(d):
                hit = d.resolve()
            else:
                hit = self._real(d.parent) / d.name
            self._dirs[d] = hit
        return hit

    def write(self, path: Path, data: bytes | str) -> None:
        folder = self._real(path.parent)
        target = folder / path.name
        if (
            path.name in ("", ".", "..")
            or not (folder == self._base or str(folder).startswith(self._prefix))
            or os.path.islink(target)
        ):
            write_inside(self.root, path, data)  # resolved in full: written, or refused
            return
        if folder not in self._made:
            folder.mkdir(parents=True, exist_ok=True)
            self._made.add(folder)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
