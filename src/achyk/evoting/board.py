"""The ballot board's order, checked without cryptography: one implementation for the server, the
record verifier (`achyk.evoting.verify`) and `achyk verify` (`achyk.verify.remote`).

A board entry is {"seq", "status": "cast"|"challenged", "tracking_code", "ballot", "signature",
"credential"+"counter" (cast) | "opening" (challenged, i.e. audited)}. Refused here, each a named
problem and never a traceback: a seq that is not the integer position (so 1 and "1" cannot both
count), an unknown status, a tracking code seen before on the board (a ballot appended twice, a
copied ballot, an audited ballot re-cast), a credential that is not a valid key or not on the
public list, and a counter that does not increase for its credential (an old ballot replayed after
a newer one). What counts follows from the valid cast entries alone, by the re-vote policy; an
audited entry carries no credential, so it can never count.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from achyk.crypto.errors import InvalidEncoding
from achyk.evoting import credentials
from achyk.evoting.election import RevotePolicy
from achyk.evoting.tally import CastEntry, select_counted

STATUSES = ("cast", "challenged")


def where(d: Any, n: int | None = None) -> str:
    """How a problem names a board entry: its seq (as written) and the start of its tracking code."""
    seq = d.get("seq") if isinstance(d, dict) else None
    code = d.get("tracking_code") if isinstance(d, dict) else None
    label = repr(seq) if not isinstance(seq, int) or isinstance(seq, bool) else str(seq)
    if seq is None and n is not None:
        label = f"#{n}"
    return f"ballot seq {label} ({str(code)[:12] if code else '?'})"


@dataclass(frozen=True)
class BoardCheck:
    problems: tuple[tuple[str, str], ...]  # (where, what)
    counted: frozenset[int]  # seqs of the ballots that count
    cast: int
    challenged: int
    status: dict[str, str]  # tracking code → "counted" | "superseded" | "audited" | "not counted"


def check_board(
    entries: Sequence[Any], listed: Collection[str], revote: RevotePolicy
) -> BoardCheck:
    """Check the board's order; `listed` holds the canonical credential keys of the public list."""
    problems: list[tuple[str, str]] = []
    seen: dict[str, Any] = {}
    last: dict[str, int] = {}
    cast: list[CastEntry] = []
    codes: dict[int, str] = {}
    challenged = 0
    for n, d in enumerate(entries):
        w = where(d, n)
        if not isinstance(d, dict):
            problems.append((w, "not a JSON object"))
            continue
        seq = d.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq != n:
            problems.append((w, f"seq {seq!r} is not its place on the board ({n})"))
            continue
        code = d.get("tracking_code")
        if not isinstance(code, str) or len(code) != 64 or code != code.lower():
            problems.append((w, "tracking code is not 64 lowercase hex digits"))
            continue
        if code in seen:
            problems.append((w, f"tracking code already on the board at seq {seen[code]}: "
                                "the same ballot appended twice"))  # fmt: skip
            continue
        seen[code] = seq
        kind = d.get("status")
        if kind == "challenged":
            challenged += 1
            if "credential" in d or "counter" in d:
                problems.append((w, "an audited ballot carries a credential or counter"))
            continue
        if kind != "cast":
            problems.append((w, f"unknown status {kind!r}"))
            continue
        try:
            cred = credentials.parse_key(d.get("credential"))
        except InvalidEncoding as err:
            problems.append((w, f"credential: {err}"))
            continue
        if cred not in listed:
            problems.append((w, "credential is not on the public list"))
            continue
        counter = d.get("counter")
        if not isinstance(counter, int) or isinstance(counter, bool):
            problems.append((w, f"counter {counter!r} is not an integer"))
            continue
        if counter <= last.get(cred, 0):
            problems.append((w, f"counter {counter} does not increase for its credential "
                                f"(last {last.get(cred, 0)}): a replayed ballot"))  # fmt: skip
            continue
        last[cred] = counter
        cast.append(CastEntry(seq, cred))
        codes[seq] = code
    counted = select_counted(cast, revote)
    status: dict[str, str] = {}
    for e in entries:
        if isinstance(e, dict) and isinstance(e.get("tracking_code"), str):
            code = e["tracking_code"]
            if e.get("status") == "challenged":
                status.setdefault(code, "audited")
            else:
                status.setdefault(code, "not counted")
    for c in cast:
        status[codes[c.seq]] = "counted" if c.seq in counted else "superseded"
    return BoardCheck(tuple(problems), frozenset(counted), len(cast), challenged, status)


STANDINGS = ("counted", "cast", "superseded", "audited")


def standings(entries: Sequence[Any], revote: RevotePolicy, tallied: bool) -> dict[str, str]:
    """What a voter's lookup says of each tracking code: "counted" (after the tally), "cast" (the
    ballot that counts, before the tally), "superseded" (by a later ballot of the same credential)
    or "audited" (opened, never counted). Computed by the board check itself."""
    creds = {d["credential"] for d in entries if isinstance(d, dict) and isinstance(d.get("credential"), str)}  # fmt: skip
    found = check_board(entries, creds, revote).status
    out = {}
    for code, st in found.items():
        if st == "counted":
            out[code] = "counted" if tallied else "cast"
        elif st in ("superseded", "audited"):
            out[code] = st
        else:
            out[code] = "superseded"  # a cast entry the policy does not count
    return out
