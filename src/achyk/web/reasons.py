"""A refusal's reasons in the page's language.

The record keeps every reason in English, exactly as the checks wrote it (a verifier compares
those texts, record-format.md). A page shows them translated: each reason the protocol checks and
the signature checks write (achyk.domain.protocol, achyk.domain.submission, the conflict of
achyk.services.protocols) is recognised by its pattern and rendered from the catalog; anything
else (a free-text reason, a new check) is shown as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from achyk.domain.protocol import LINE_LABEL
from achyk.web.i18n import translations

Gettext = Callable[[str], str]

_N = r"(-?\d+)"
# (what the check wrote, after "WHERE: ", as a pattern) → its msgid; the groups fill the names.
_WHAT: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"$"), msgid)
    for pattern, msgid in (
        (rf"{_N} ≠ issued in station {_N} \+ issued outside {_N} \+ cancelled {_N} = {_N}",
         "%(received)s ≠ issued in station %(inside)s + issued outside %(outside)s + cancelled "
         "%(cancelled)s = %(sum)s"),
        (rf"valid {_N} \+ invalid {_N} = {_N} ≠ ballots found {_N} \(mobile {_N} \+ stationary "
         rf"{_N}\)",
         "valid %(valid)s + invalid %(invalid)s = %(sum)s ≠ ballots found %(found)s (mobile "
         "%(mobile)s + stationary %(stationary)s)"),
        (rf"{_N} ≠ sum of option votes {_N}", "%(valid)s ≠ sum of option votes %(total)s"),
        (rf"{_N} found in boxes > {_N} ballots issued",
         "%(found)s found in boxes > %(issued)s ballots issued"),
        (rf"{_N} > {_N} ballots issued outside the station",
         "%(mobile)s > %(outside)s ballots issued outside the station"),
        (rf"{_N} voters received ballots > {_N} voters on the list",
         "%(issued)s voters received ballots > %(listed)s voters on the list"),
        (rf"{_N} is negative", "%(value)s is negative"),
        (r"required: this station's protocols are signed by its device",
         "required: this station's protocols are signed by its device"),
        (r"device (\S+): signature does not verify", "device %(device)s: signature does not verify"),
        (r"'([^']*)' is not a device of station (\S+)",
         "'%(device)s' is not a device of station %(station)s"),
        (r"already holds protocol ([0-9a-f]+)…; this one is ([0-9a-f]*)… \(a correction must be "
         r"filed as one\)",
         "already holds protocol %(held)s…; this one is %(this)s… (a correction must be filed as "
         "one)"),
    )
)  # fmt: skip
_NAMES = re.compile(r"%\((\w+)\)s")


def _what(text: str, gettext: Gettext) -> str:
    for pattern, msgid in _WHAT:
        found = pattern.match(text)
        if found:
            names = _NAMES.findall(msgid)
            return gettext(msgid) % dict(zip(names, found.groups(), strict=True))
    return text


def _where(text: str, gettext: Gettext) -> str:
    line = re.fullmatch(r"line (\d+) \(([^)]+)\)", text)
    if line:
        label = line.group(2)
        shown = gettext(label) if label in LINE_LABEL.values() else label
        return gettext("line %(n)s (%(label)s)") % {"n": line.group(1), "label": shown}
    votes = re.fullmatch(r"votes for (\S+)", text)
    if votes:
        return gettext("votes for %(option)s") % {"option": votes.group(1)}
    slot = re.fullmatch(r"station (\S+) (\S+/\S+)", text)
    if slot:
        return gettext("station %(station)s %(slot)s") % {"station": slot[1], "slot": slot[2]}
    if text in ("ballots found", "ballots issued", "signature", "device"):
        return gettext(text)
    return text


def reason_text(reason: str, lang: str) -> str:
    """One reason (`WHERE: WHAT`) as `lang` reads it; as written where it is not recognised."""
    gettext = translations(lang).gettext
    where, sep, what = reason.partition(": ")
    if not sep:
        return _what(reason, gettext)
    return f"{_where(where, gettext)}: {_what(what, gettext)}"
