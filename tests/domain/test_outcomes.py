"""Presidential and district decisions, against published results where one exists."""

from __future__ import annotations

import pytest

from achyk.domain.outcomes import Decision, decide_district, decide_presidential
from achyk.errors import InputError


def test_kazakhstan_2022_presidential_elected_in_first_round() -> None:
    # CEC final results, 22 Nov 2022 (Kazinform, https://www.inform.kz/en/cec-announces-final-
    # results-of-nov-20-presidential-election_a4004726; candidate figures as in The Astana Times,
    # 21 Nov 2022, since Kazinform misprints two of them): 8,300,046 received ballots; Tokayev
    # 6,456,393, Dairabayev 271,641, Abden 206,206, Kazhyken 200,907, Auesbayev 176,116,
    # Tursynbekova 168,731, against all 460,484. Tokayev was declared elected (> 50%).
    votes = {
        "Tokayev": 6_456_393,
        "Dairabayev": 271_641,
        "Abden": 206_206,
        "Kazhyken": 200_907,
        "Auesbayev": 176_116,
        "Tursynbekova": 168_731,
    }
    outcome = decide_presidential(votes, voted=8_300_046, against_all=460_484)
    assert outcome.decision is Decision.ELECTED
    assert outcome.winner == "Tokayev"
    assert outcome.runoff == ()
    assert outcome.ranking[1] == ("Dairabayev", 271_641)
    assert "Tokayev is elected" in outcome.summary
    assert "77.78%" in outcome.summary  # of all 8,300,046 who received a ballot


def test_ukraine_2019_presidential_goes_to_runoff() -> None:
    # CEC protocol of 7 Apr 2019 (opinionua.com, "The CEC officially announced the results of the
    # first round and appointed a run-off"): 18,893,864 took part; Zelensky 5,714,034 (30.24%),
    # Poroshenko 3,014,609 (15.95%), Tymoshenko 13.40% = 2,532,452 (the article's "2,503,452"
    # would be 13.25%). Ukraine, like Kazakhstan, requires more than half of those who took part;
    # the runoff of 21 April was set between Zelensky and Poroshenko. No "against all" line.
    votes = {"Tymoshenko": 2_532_452, "Poroshenko": 3_014_609, "Zelensky": 5_714_034}
    outcome = decide_presidential(votes, voted=18_893_864, against_all=None)
    assert outcome.decision is Decision.RUNOFF
    assert outcome.winner is None
    assert outcome.runoff == ("Zelensky", "Poroshenko")
    assert outcome.tied == ()
    assert "runoff between Zelensky (5714034) and Poroshenko (3014609)" in outcome.summary


def test_exactly_half_is_not_a_majority() -> None:
    outcome = decide_presidential({"A": 500, "B": 400}, voted=1_000, against_all=100)
    assert outcome.decision is Decision.RUNOFF
    assert decide_presidential({"A": 501, "B": 399}, 1_000, 100).winner == "A"


def test_invalid_ballots_count_in_the_base() -> None:
    # 510 of 1,000 valid votes, but 1,030 took part: not more than half.
    outcome = decide_presidential({"A": 510, "B": 490}, voted=1_030, against_all=None)
    assert outcome.decision is Decision.RUNOFF


def test_against_all_above_the_leader_repeats_the_election() -> None:
    outcome = decide_presidential({"A": 300, "B": 250, "C": 100}, voted=1_000, against_all=320)
    assert outcome.decision is Decision.REPEAT
    assert outcome.runoff == ()
    assert "repeated" in outcome.summary
    # Equal to the leader is not "more than": a runoff.
    tie = decide_presidential({"A": 300, "B": 250, "C": 100}, voted=1_000, against_all=300)
    assert tie.decision is Decision.RUNOFF


def test_single_candidate_without_majority_repeats() -> None:
    outcome = decide_presidential({"A": 450}, voted=1_000, against_all=400)
    assert outcome.decision is Decision.REPEAT
    assert "no runoff is possible" in outcome.summary


def test_tie_for_the_runoff_place_is_reported() -> None:
    outcome = decide_presidential({"C": 200, "A": 400, "B": 200}, voted=1_000, against_all=None)
    assert outcome.runoff == ("A", "B")
    assert outcome.tied == ("B", "C")
    assert "law's tie rule" in outcome.summary


def test_presidential_bad_input() -> None:
    with pytest.raises(InputError) as err:
        decide_presidential({"A": 10, "B": -1}, voted=5, against_all=-2)
    assert {p.where for p in err.value.problems} == {"candidate B", "against all", "voted"}


def test_district_single_seat_plurality() -> None:
    outcome = decide_district({"A": 120, "B": 340, "C": 90}, seats=1)
    assert outcome.elected == ("B",)
    assert outcome.vacant == 0
    assert outcome.tied == ()
    assert outcome.summary == "Elected (1 of 1): B (340)."


def test_district_multi_seat_and_boundary_tie() -> None:
    outcome = decide_district({"A": 50, "B": 80, "C": 50, "D": 70}, seats=3)
    assert outcome.elected == ("B", "D", "A")
    assert outcome.tied == ("A", "C")
    assert "law's tie rule" in outcome.summary
    # A tie inside the elected set is no tie across the line.
    assert decide_district({"A": 80, "B": 80, "C": 10}, seats=2).tied == ()


def test_district_against_all_leaves_seats_vacant() -> None:
    # Kyrgyzstan 2021: in the Sverdlovsk and Pervomaisky districts of Bishkek "against all"
    # outpolled every candidate and repeat elections were held on 27 Feb 2022 (UTRK, azattyk.org).
    # Counts here are constructed.
    outcome = decide_district({"A": 900, "B": 700}, seats=1, against_all=1_000)
    assert outcome.elected == ()
    assert outcome.vacant == 1
    assert "repeat election" in outcome.summary
    two = decide_district({"A": 900, "B": 700, "C": 650}, seats=2, against_all=800)
    assert (two.elected, two.vacant) == (("A",), 1)


def test_district_fewer_candidates_than_seats() -> None:
    outcome = decide_district({"A": 10}, seats=2)
    assert (outcome.elected, outcome.vacant) == (("A",), 1)
    assert "too few candidates" in outcome.summary


def test_district_bad_input() -> None:
    with pytest.raises(InputError) as err:
        decide_district({}, seats=0)
    assert {p.where for p in err.value.problems} == {"votes", "seats"}
