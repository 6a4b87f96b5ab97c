"""The three apportionment methods on their own: n seats among parties that all take part.

Pure integer arithmetic: a quota or an average is never a float, every comparison is a
cross-multiplication, so two machines (or two implementations) cannot disagree by rounding.

Ties are broken the same way everywhere, so the result never depends on dictionary order:
1. the larger exact remainder (largest remainder) or the larger exact average (divisor methods);
2. on equal footing, more votes first;
3. on equal votes, party id in ascending code-point order (``"A" < "B" < "a"``).
Real laws often draw lots for an exact tie; achyk does not, and says so in the record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from achyk.domain.definition import Method


def _order_key(votes: Mapping[str, int]) -> Callable[[str], tuple[int, str]]:
    """Tie order: more votes first, then party id ascending."""
    return lambda party: (-votes[party], party)


def hare_niemeyer(votes: Mapping[str, int], seats: int) -> dict[str, int]:
    """Largest remainder with the Hare quota (total votes / seats).

    Each party first gets floor(votes * seats / total); the seats left go one each to the
    largest remainders. The remainder of party p is (votes_p * seats) mod total over the common
    denominator ``total``, so comparing the integer numerators compares the exact remainders.
    """
    total = sum(votes.values())
    if seats == 0 or total == 0:
        return dict.fromkeys(votes, 0)
    result: dict[str, int] = {}
    remainders: dict[str, int] = {}
    for party, v in votes.items():
        result[party], remainders[party] = divmod(v * seats, total)
    left = seats - sum(result.values())
    order = _order_key(votes)
    ranked = sorted(votes, key=lambda p: (-remainders[p], *order(p)))
    for party in ranked[:left]:
        result[party] += 1
    return result


def _divisor(method: Method) -> Callable[[int], int]:
    """The divisor for a party that already holds s seats."""
    if method is Method.DHONDT:
        return lambda s: s + 1
    if method is Method.SAINTE_LAGUE:
        return lambda s: 2 * s + 1
    raise ValueError(f"{method} is not a divisor method")


def highest_averages(votes: Mapping[str, int], seats: int, method: Method) -> dict[str, int]:
    """D'Hondt (divisors 1, 2, 3, ...) or Sainte-Laguë (1, 3, 5, ...), seat by seat.

    Each seat goes to the party with the largest average votes / divisor(seats held);
    v1/d1 > v2/d2 is decided as v1*d2 > v2*d1.
    """
    divisor = _divisor(method)
    result = dict.fromkeys(votes, 0)
    order = _order_key(votes)
    contenders = [p for p, v in votes.items() if v > 0]
    if not contenders:
        return result
    for _ in range(seats):
        best = contenders[0]
        for party in contenders[1:]:
            lhs = votes[party] * divisor(result[best])
            rhs = votes[best] * divisor(result[party])
            if lhs > rhs or (lhs == rhs and order(party) < order(best)):
                best = party
        result[best] += 1
    return result


def apportion(votes: Mapping[str, int], seats: int, method: Method) -> dict[str, int]:
    """n seats among all the parties given, by the named method (no thresholds, no cap)."""
    if method is Method.HARE:
        return hare_niemeyer(votes, seats)
    return highest_averages(votes, seats, method)
