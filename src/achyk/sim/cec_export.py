"""A station table written as a CEC would publish it: Russian-style headers, `;`-separated, with
the mapping that reads it back (tests, the benchmark and the docs' example use the same one).

Party names are placeholders; the header wording follows the station protocol form of the Russian
federal law "On basic guarantees of electoral rights" (the lines achyk's protocol has).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from achyk.forensics.stations import Stations

HEADER = (
    "Регион", "ТИК", "Номер УИК",
    "Число избирателей, включенных в список",
    "Число бюллетеней, полученных участковой комиссией",
    "Число бюллетеней, выданных избирателям в помещении",
    "Число бюллетеней, выданных вне помещения",
    "Число погашенных бюллетеней",
    "Число бюллетеней в переносных ящиках",
    "Число бюллетеней в стационарных ящиках",
    "Число недействительных бюллетеней",
    "Число действительных бюллетеней",
    "Партия А", "Партия Б", "Партия В",
)  # fmt: skip

MAPPING = """\
# A Russian-style CEC export (semicolon-separated, one row per УИК).
election: {{id: {election_id}, name: "{name}", date: "2025-11-30", type: parliamentary}}
contest: {{id: list, name: "Федеральный список", kind: party-list, seats: 100, method: hare,
          threshold_pct: 5}}
columns:
  station: "Номер УИК"
  region: "Регион"
  district: "ТИК"
lines:
  voters_on_list: "Число избирателей, включенных в список"
  ballots_received: "Число бюллетеней, полученных участковой комиссией"
  issued_in_station: "Число бюллетеней, выданных избирателям в помещении"
  issued_outside: "Число бюллетеней, выданных вне помещения"
  cancelled: "Число погашенных бюллетеней"
  found_mobile: "Число бюллетеней в переносных ящиках"
  found_stationary: "Число бюллетеней в стационарных ящиках"
  invalid: "Число недействительных бюллетеней"
  valid: "Число действительных бюллетеней"
parties:
  - {{id: a, name: "Партия А", column: "Партия А"}}
  - {{id: b, name: "Партия Б", column: "Партия Б"}}
  - {{id: c, name: "Партия В", column: "Партия В"}}
abroad_regions: ["Зарубежье"]
delimiter: ";"
"""


def mapping_yaml(election_id: str = "imported-2025", name: str = "Imported results") -> str:
    return MAPPING.format(election_id=election_id, name=name)


def export_csv(s: Stations, regions: int = 10, broken: Collection[str] = ()) -> str:
    """The table as a CEC export; the leader is party A. Stations in `broken` get 3 invalid
    ballots too many (valid + invalid ≠ ballots found), as a clerk's slip would."""
    n = len(s)
    found = s.received
    outside = np.minimum(np.minimum(found, s.issued) * 3 // 100, found)
    stationary = found - outside
    invalid = np.minimum(found // 100, found - s.leader)
    valid = found - invalid
    rest = valid - s.leader
    b = rest // 2
    c = rest - b
    received = np.maximum(s.issued, -(-s.voters // 10) * 10)
    cancelled = received - s.issued
    bad = np.array([i in broken for i in s.ids], dtype=bool) if broken else np.zeros(n, bool)
    shown_invalid = invalid + 3 * bad
    index = np.arange(n)
    region = index % regions
    columns = [
        [f"Регион {r + 1}" if r + 1 < regions else "Зарубежье" for r in region.tolist()],
        [f"ТИК {r + 1}-{i % 3 + 1}" for r, i in zip(region.tolist(), index.tolist(), strict=True)],
        list(s.ids), s.voters.tolist(), received.tolist(), (s.issued - outside).tolist(),
        outside.tolist(), cancelled.tolist(), outside.tolist(), stationary.tolist(),
        shown_invalid.tolist(), valid.tolist(), s.leader.tolist(), b.tolist(), c.tolist(),
    ]  # fmt: skip
    lines = [";".join(HEADER)]
    lines += [";".join(map(str, row)) for row in zip(*columns, strict=True)]
    return "\n".join(lines) + "\n"
