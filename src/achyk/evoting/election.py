"""The public parameters of a remote-voting election: what every ballot and proof is bound to."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from achyk.canonical import canonical_json
from achyk.crypto.errors import InvalidEncoding
from achyk.crypto.group import DEFAULT_GROUP, Group, Point
from achyk.crypto.hashing import element_hex, parse_element


class RevotePolicy(StrEnum):
    LAST = "last"  # a voter may change their mind: the latest cast ballot counts
    FIRST = "first"  # only the first cast ballot counts


@dataclass(frozen=True)
class RemoteContest:
    id: str
    options: tuple[str, ...]
    min_selections: int
    max_selections: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "options": list(self.options),
            "min_selections": self.min_selections,
            "max_selections": self.max_selections,
        }

    @staticmethod
    def from_dict(d: Any) -> RemoteContest:
        c = RemoteContest(
            str(d["id"]),
            tuple(str(o) for o in d["options"]),
            int(d["min_selections"]),
            int(d["max_selections"]),
        )
        if not 0 <= c.min_selections <= c.max_selections <= len(c.options):
            raise InvalidEncoding(
                f"contest {c.id}: selections must satisfy 0 ≤ min ≤ max ≤ options"
            )
        return c


@dataclass(frozen=True)
class ElectionParams:
    """`base_hash` is the canonical hash of the election definition; every proof hashes it in."""

    base_hash: str
    contests: tuple[RemoteContest, ...]
    revote: RevotePolicy
    public_key: Point
    group: Group = DEFAULT_GROUP

    def contest(self, contest_id: str) -> RemoteContest:
        for c in self.contests:
            if c.id == contest_id:
                return c
        raise KeyError(contest_id)

    @property
    def fingerprint(self) -> str:
        """Hex SHA-256 of the canonical parameters (definition hash, contests, policy, joint key):
        printed on every credential letter; a client refuses a server whose parameters differ."""
        return hashlib.sha256(canonical_json(self.to_dict())).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group.name,
            "base_hash": self.base_hash,
            "contests": [c.to_dict() for c in self.contests],
            "revote": self.revote.value,
            "public_key": element_hex(self.group, self.public_key),
        }

    @staticmethod
    def from_dict(d: Any, group: Group = DEFAULT_GROUP) -> ElectionParams:
        if d["group"] != group.name:
            raise InvalidEncoding(f"record uses group {d['group']!r}, this verifier {group.name!r}")
        return ElectionParams(
            str(d["base_hash"]),
            tuple(RemoteContest.from_dict(c) for c in d["contests"]),
            RevotePolicy(d["revote"]),
            parse_element(group, d["public_key"]),
            group,
        )
