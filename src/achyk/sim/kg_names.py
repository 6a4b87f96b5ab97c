"""The kg-2025 profile's names in Kyrgyz, Russian, Kazakh and English.

Regions carry their official names (the Constitution of the Kyrgyz Republic, art. 8, and the CEC's
territorial commissions: Чүй облусу / Чуйская область / Chüy Region; Kazakh by Kazakh usage, Шу
облысы). The parties are invented (see achyk.sim.profiles); their names are translated so that
each language reads a whole page in itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from achyk.domain.definition import Names


def _n(ky: str, ru: str, kk: str, en: str) -> Names:
    return (("en", en), ("kk", kk), ("ky", ky), ("ru", ru))


KG_REGIONS: dict[str, Names] = {
    "bishkek": _n("Бишкек шаары", "город Бишкек", "Бішкек қаласы", "Bishkek City"),
    "osh-city": _n("Ош шаары", "город Ош", "Ош қаласы", "Osh City"),
    "batken": _n("Баткен облусу", "Баткенская область", "Баткен облысы", "Batken Region"),
    "jalal-abad": _n(
        "Жалал-Абад облусу", "Джалал-Абадская область", "Жалалабад облысы", "Jalal-Abad Region"
    ),
    "issyk-kul": _n(
        "Ысык-Көл облусу", "Иссык-Кульская область", "Ыстықкөл облысы", "Issyk-Kul Region"
    ),
    "naryn": _n("Нарын облусу", "Нарынская область", "Нарын облысы", "Naryn Region"),
    "osh": _n("Ош облусу", "Ошская область", "Ош облысы", "Osh Region"),
    "talas": _n("Талас облусу", "Таласская область", "Талас облысы", "Talas Region"),
    "chuy": _n("Чүй облусу", "Чуйская область", "Шу облысы", "Chüy Region"),
}

KG_PARTIES: tuple[Names, ...] = (
    _n("Тоолор партиясы", "Партия гор", "Таулар партиясы", "Party of the Mountains"),
    _n("Өрөөндөр союзу", "Союз долин", "Аңғарлар одағы", "Union of Valleys"),
    _n("Жаңы муун", "Новое поколение", "Жаңа буын", "New Generation"),
    _n("Жашыл талаа", "Зелёная степь", "Жасыл дала", "Green Steppe"),
    _n("Эмгекчилер партиясы", "Партия трудящихся", "Еңбекшілер партиясы", "Working People's Party"),
    _n("Жибек жолу альянсы", "Альянс Шёлкового пути", "Жібек жолы альянсы", "Silk Road Alliance"),
    _n("Адилеттүүлүк партиясы", "Партия справедливости", "Әділет партиясы", "Party of Justice"),
    _n(
        "Биримдик жана прогресс",
        "Единство и прогресс",
        "Бірлік және прогресс",
        "Unity and Progress",
    ),
    _n("Биздин үй", "Наш дом", "Біздің үй", "Our Home"),
    _n(
        "Аялдар жана жаштар партиясы",
        "Партия женщин и молодёжи",
        "Әйелдер мен жастар партиясы",
        "Party of Women and Youth",
    ),
    _n("Дыйкандар союзу", "Союз фермеров", "Фермерлер одағы", "Farmers' Union"),
    _n("Эркин үн", "Свободный голос", "Еркін дауыс", "Free Voice"),
    _n("Республикалык блок", "Республиканский блок", "Республикалық блок", "Republican Bloc"),
    _n("Жаңылануу партиясы", "Партия обновления", "Жаңару партиясы", "Party of Renewal"),
    _n("Жарандык платформа", "Гражданская платформа", "Азаматтық платформа", "Civic Platform"),
)

KG_TITLE = _n("Жогорку Кеңешке шайлоо (синтетикалык)", "Выборы в Жогорку Кенеш (синтетические)",
              "Жогорку Кеңес сайлауы (синтетикалық)", "Jogorku Kenesh election (synthetic)")  # fmt: skip
NATIONAL_LIST = _n("Жалпы улуттук партиялык тизме", "Общенациональный партийный список",
                   "Жалпыұлттық партиялық тізім", "National party list")  # fmt: skip
ABROAD = _n("Чет өлкө", "За рубежом", "Шетел", "Abroad")
STATIONS_ABROAD = _n("Чет өлкөдөгү участкалар", "Участки за рубежом", "Шетелдегі учаскелер",
                     "Stations abroad")  # fmt: skip


def district_names(number: int, region: Names | None) -> Names:
    """A district's (or its contest's, when `region` is None) name in each language."""
    where = dict(region or ())

    def of(lang: str, name: str) -> str:
        return f"{name} ({where[lang]})" if lang in where else name

    return _n(of("ky", f"№ {number} шайлоо округу"), of("ru", f"Избирательный округ № {number}"),
              of("kk", f"№ {number} сайлау округі"), of("en", f"District No. {number}"))  # fmt: skip


@dataclass(frozen=True)
class Translator:
    """The names a generated election gives each thing: kg-2025's when `on`, else none."""

    on: bool

    def of(self, names: Names) -> Names:
        return names if self.on else ()

    def region(self, region_id: str) -> Names:
        return KG_REGIONS.get(region_id, ()) if self.on else ()

    def party(self, index: int) -> Names:
        return KG_PARTIES[index] if self.on and index < len(KG_PARTIES) else ()

    def district(self, number: int, region_id: str | None) -> Names:
        """A district's names (with its region's); `region_id` None: its contest's."""
        if not self.on:
            return ()
        return district_names(number, KG_REGIONS.get(region_id) if region_id else None)
