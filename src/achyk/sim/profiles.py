"""Election profiles: the shape of a country's election, sized from public figures.

Sizes are taken from public figures (the CEC of the Kyrgyz Republic: about 2,500 stations at home and 100
abroad in 34 countries, about 4.3 million voters; the CEC of Kazakhstan, 2023: about 10,200 stations
and 12 million voters, 69 list seats, 29 single-member districts). Party and candidate names are
invented: the results are synthetic and must never be mistaken for real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from achyk.domain.definition import ElectionType, Method


@dataclass(frozen=True)
class RegionShape:
    id: str
    name: str
    voters: int
    turnout: float  # mean turnout of the region's stations
    leaning: tuple[float, ...]  # multipliers on national party strength (cycled over parties)


@dataclass(frozen=True)
class Profile:
    name: str
    election_id: str
    title: str
    type: ElectionType
    date: str
    seed: int
    stations_home: int
    stations_abroad: int
    countries: tuple[tuple[str, str], ...]  # (ISO code, a city)
    voters_abroad: int
    regions: tuple[RegionShape, ...]
    parties: tuple[str, ...]
    party_strength: tuple[float, ...]
    list_seats: int
    method: Method
    threshold_pct: Decimal
    region_threshold_pct: Decimal
    seat_cap: int | None
    districts: int  # electoral districts at home
    district_seats: int
    candidates_per_district: int
    against_all: bool
    # Any voter may check in at any station abroad (see Election.abroad_any_station): the law in
    # both countries modelled here.
    abroad_any_station: bool = True
    # The protocol form (a preset of achyk.formats.protocol_forms); None: the standard nine lines.
    form: str | None = None
    # False: the districts are only territorial (the commissions between region and station, as
    # Russia's ~2,750 territorial commissions), with no district contest on the ballot.
    district_contests: bool = True
    # Names in ky/ru/kk/en (achyk.sim.kg_names): kg-2025 only; other profiles keep their hashes.
    translated: bool = False


_PARTIES = (
    "Party of the Mountains", "Union of Valleys", "New Generation", "Green Steppe",
    "Working People's Party", "Silk Road Alliance", "Party of Justice", "Unity and Progress",
    "Our Home", "Party of Women and Youth", "Farmers' Union", "Free Voice", "Republican Bloc",
    "Party of Renewal", "Civic Platform",
)  # fmt: skip
_STRENGTH = (28.0, 17.0, 13.0, 9.0, 8.0, 7.0, 5.0, 4.0, 3.0, 2.0, 1.6, 1.2, 0.9, 0.7, 0.6)

SMALL = Profile(
    name="small", election_id="small-2025", title="Small test election", seed=7,
    type=ElectionType.PARLIAMENTARY, date="2025-11-30", stations_home=36, stations_abroad=4,
    countries=(("RU", "Moscow"), ("KZ", "Almaty"), ("TR", "Istanbul"), ("US", "New York")),
    voters_abroad=3_000,
    regions=(
        RegionShape("north", "North", 30_000, 0.42, (1.2, 0.8, 1.0)),
        RegionShape("south", "South", 26_000, 0.51, (0.8, 1.3, 1.0)),
        RegionShape("capital", "Capital", 24_000, 0.36, (1.0, 0.9, 1.4)),
    ),
    parties=_PARTIES[:6], party_strength=_STRENGTH[:6], list_seats=20, method=Method.HARE,
    threshold_pct=Decimal(5), region_threshold_pct=Decimal("0.5"), seat_cap=12,
    districts=3, district_seats=1, candidates_per_district=4, against_all=True,
)  # fmt: skip

_KG_COUNTRIES = (
    ("RU", "Moscow"), ("KZ", "Almaty"), ("TR", "Istanbul"), ("US", "New York"), ("DE", "Berlin"),
    ("GB", "London"), ("KR", "Seoul"), ("AE", "Dubai"), ("UZ", "Tashkent"), ("CN", "Beijing"),
    ("IT", "Rome"), ("FR", "Paris"), ("PL", "Warsaw"), ("CZ", "Prague"), ("AT", "Vienna"),
    ("BE", "Brussels"), ("CH", "Geneva"), ("SE", "Stockholm"), ("FI", "Helsinki"),
    ("ES", "Madrid"), ("JP", "Tokyo"), ("IN", "New Delhi"), ("PK", "Islamabad"),
    ("IR", "Tehran"), ("SA", "Riyadh"), ("QA", "Doha"), ("KW", "Kuwait City"), ("AZ", "Baku"),
    ("BY", "Minsk"), ("UA", "Kyiv"), ("TJ", "Dushanbe"), ("TM", "Ashgabat"), ("MN", "Ulaanbaatar"),
    ("CA", "Toronto"),
)  # fmt: skip

KG_2025 = Profile(
    name="kg-2025", election_id="kg-2025", title="Jogorku Kenesh election (synthetic)",
    type=ElectionType.PARLIAMENTARY, date="2025-11-30", seed=2025,
    stations_home=2_500, stations_abroad=100, countries=_KG_COUNTRIES, voters_abroad=110_000,
    regions=(
        RegionShape("bishkek", "Bishkek", 820_000, 0.31, (0.7, 1.3, 1.4, 1.0, 0.8)),
        RegionShape("osh-city", "Osh city", 210_000, 0.38, (1.4, 0.8, 0.9, 1.1)),
        RegionShape("batken", "Batken", 320_000, 0.43, (1.5, 0.7, 0.8, 1.0, 1.2)),
        RegionShape("jalal-abad", "Jalal-Abad", 760_000, 0.40, (1.3, 0.9, 0.7, 1.2)),
        RegionShape("issyk-kul", "Issyk-Kul", 320_000, 0.37, (0.8, 1.2, 1.1, 0.9, 1.3)),
        RegionShape("naryn", "Naryn", 180_000, 0.47, (0.9, 1.1, 1.0, 1.4)),
        RegionShape("osh", "Osh region", 810_000, 0.44, (1.4, 0.8, 0.8, 1.1, 0.9)),
        RegionShape("talas", "Talas", 170_000, 0.49, (1.0, 1.0, 1.3, 0.8)),
        RegionShape("chuy", "Chuy", 620_000, 0.33, (0.9, 1.2, 1.2, 1.0, 0.9)),
    ),
    parties=_PARTIES, party_strength=_STRENGTH, list_seats=54, method=Method.HARE,
    threshold_pct=Decimal(5), region_threshold_pct=Decimal("0.5"), seat_cap=27,
    districts=30, district_seats=3, candidates_per_district=8, against_all=True,
    translated=True,
)  # fmt: skip

_KZ_REGIONS = (
    ("astana", "Astana", 880_000), ("almaty-city", "Almaty city", 1_350_000),
    ("shymkent", "Shymkent", 640_000), ("abai", "Abai", 420_000), ("akmola", "Akmola", 540_000),
    ("aktobe", "Aktobe", 600_000), ("almaty", "Almaty region", 1_000_000),
    ("atyrau", "Atyrau", 430_000), ("west-kz", "West Kazakhstan", 440_000),
    ("zhambyl", "Zhambyl", 760_000), ("zhetisu", "Zhetisu", 480_000),
    ("karaganda", "Karaganda", 830_000), ("kostanay", "Kostanay", 620_000),
    ("kyzylorda", "Kyzylorda", 500_000), ("mangystau", "Mangystau", 450_000),
    ("pavlodar", "Pavlodar", 540_000), ("north-kz", "North Kazakhstan", 380_000),
    ("turkistan", "Turkistan", 1_230_000), ("ulytau", "Ulytau", 150_000),
    ("east-kz", "East Kazakhstan", 540_000),
)  # fmt: skip

KZ_2023 = Profile(
    name="kz-2023", election_id="kz-2023", title="Mazhilis election (synthetic)",
    type=ElectionType.PARLIAMENTARY, date="2023-03-19", seed=2023,
    stations_home=10_135, stations_abroad=65, countries=_KG_COUNTRIES[:40], voters_abroad=40_000,
    regions=tuple(
        RegionShape(rid, name, voters, 0.45 + (i % 7) * 0.06, (1.0 + (i % 3) * 0.1, 0.9, 1.1))
        for i, (rid, name, voters) in enumerate(_KZ_REGIONS)
    ),
    parties=_PARTIES[:7], party_strength=(54.0, 11.0, 8.6, 8.4, 6.8, 5.2, 2.3), list_seats=69,
    method=Method.HARE, threshold_pct=Decimal(5), region_threshold_pct=Decimal(0),
    seat_cap=None, districts=29, district_seats=1, candidates_per_district=5, against_all=True,
)  # fmt: skip

# A country of 100,000 stations, sized like the Russian State Duma election of 2021 (CEC of Russia:
# 96,325 stations, about 110 million voters, 85 regions, ~2,750 territorial commissions, 14 party
# lists): the scale test of one small machine. One party-list contest of 15 parties; the districts
# are territorial only, so each station sends one preliminary and one official protocol.
XL = Profile(
    name="xl", election_id="xl-2026", title="State election of 100,000 stations (synthetic)",
    type=ElectionType.PARLIAMENTARY, date="2026-09-20", seed=2026,
    stations_home=99_650, stations_abroad=350, countries=_KG_COUNTRIES, voters_abroad=386_941,
    regions=tuple(
        RegionShape(f"r{i:02d}", f"Region {i:02d}", 200_000 + (i * 104_729) % 2_300_000,
                    0.35 + (i % 9) * 0.05, (1.0 + (i % 4) * 0.1, 0.9 + (i % 3) * 0.1, 1.1))
        for i in range(1, 86)
    ),
    parties=_PARTIES, party_strength=_STRENGTH, list_seats=225, method=Method.HARE,
    threshold_pct=Decimal(5), region_threshold_pct=Decimal(0), seat_cap=None,
    districts=2_750, district_seats=1, candidates_per_district=0, against_all=False,
    district_contests=False,
)  # fmt: skip

PROFILES = {p.name: p for p in (SMALL, KG_2025, KZ_2023, XL)}
