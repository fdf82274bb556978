"""School calendars: holidays by zone, and the zone of a territory's communes.

The holidays come from ``vacances-scolaires-france``, which ships the Ministry of
Education's calendar as a CSV inside the package (no download; 1990 to its last
published year). Metropolitan France is split into zones A, B and C by académie; the
package knows the zones, not which département is in which, so :data:`ZONE_DEPARTEMENTS`
lists them (académies since 2020, Normandie in zone B). Corsica and the overseas
départements have calendars of their own, in no zone: set ``period.school_zone`` there.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from vacances_scolaires_france import SchoolHolidayDates

from itinerant.errors import ScenarioError
from itinerant.scenario import DateRange, SchoolZone, dates_cover

if TYPE_CHECKING:
    from itinerant.scenario import Period

__all__ = [
    "ZONE_DEPARTEMENTS",
    "SchoolCalendar",
    "departement_of",
    "school_calendar",
    "school_zone",
    "zone_of_communes",
]

# fmt: off
ZONE_DEPARTEMENTS: dict[SchoolZone, tuple[str, ...]] = {
    "A": (
        "25", "39", "70", "90",  # Besançon
        "24", "33", "40", "47", "64",  # Bordeaux
        "03", "15", "43", "63",  # Clermont-Ferrand
        "21", "58", "71", "89",  # Dijon
        "07", "26", "38", "73", "74",  # Grenoble
        "19", "23", "87",  # Limoges
        "01", "42", "69",  # Lyon
        "16", "17", "79", "86",  # Poitiers
    ),
    "B": (
        "04", "05", "13", "84",  # Aix-Marseille
        "02", "60", "80",  # Amiens
        "59", "62",  # Lille
        "54", "55", "57", "88",  # Nancy-Metz
        "44", "49", "53", "72", "85",  # Nantes
        "06", "83",  # Nice
        "14", "27", "50", "61", "76",  # Normandie
        "18", "28", "36", "37", "41", "45",  # Orléans-Tours
        "08", "10", "51", "52",  # Reims
        "22", "29", "35", "56",  # Rennes
        "67", "68",  # Strasbourg
    ),
    "C": (
        "77", "93", "94",  # Créteil
        "11", "30", "34", "48", "66",  # Montpellier
        "75",  # Paris
        "09", "12", "31", "32", "46", "65", "81", "82",  # Toulouse
        "78", "91", "92", "95",  # Versailles
    ),
}
"""Metropolitan départements (INSEE prefix) of each school zone, by académie."""
# fmt: on

_ZONE_OF = {dep: zone for zone, deps in ZONE_DEPARTEMENTS.items() for dep in deps}


class SchoolCalendar(BaseModel):
    """The school holidays of one zone over the years the package covers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zone: SchoolZone
    holidays: tuple[DateRange, ...]
    covers: DateRange

    def is_holiday(self, day: dt.date) -> bool:
        """Whether schools of the zone are on holiday that day.

        Raises
        ------
        ScenarioError
            The date is outside the years the package's calendar covers.
        """
        if not self.covers.start <= day <= self.covers.end:
            msg = (
                f"period.week: {day.isoformat()} is outside the school calendar "
                f"(vacances-scolaires-france knows {self.covers.start.year} to "
                f"{self.covers.end.year}): update the package, or drop the term-time "
                "opening rules"
            )
            raise ScenarioError([msg])
        return dates_cover(self.holidays, day)


@functools.cache
def school_calendar(zone: SchoolZone) -> SchoolCalendar:
    """Return the school holidays of a zone (read once from the package's data)."""
    data = SchoolHolidayDates()
    key = data.zone_key(zone)
    days = sorted(day for day, row in data.data.items() if row[key])
    ranges: list[DateRange] = []
    for day in days:
        if ranges and (day - ranges[-1].end).days == 1:
            ranges[-1] = DateRange(start=ranges[-1].start, end=day)
        else:
            ranges.append(DateRange(start=day, end=day))
    covers = DateRange(start=dt.date(data.min_year, 1, 1), end=dt.date(data.max_year, 12, 31))
    return SchoolCalendar(zone=zone, holidays=tuple(ranges), covers=covers)


def departement_of(insee: str) -> str:
    """Département of an INSEE commune code: 2 characters, 3 overseas (``97...``)."""
    return insee[:3] if insee.startswith("97") else insee[:2]


def zone_of_communes(codes: Iterable[str]) -> SchoolZone:
    """Return the school zone of communes, from their départements.

    Raises
    ------
    ValueError
        A département in no zone, or communes in several zones (the message says which).
    """
    deps = sorted({departement_of(code) for code in codes})
    outside = [dep for dep in deps if dep not in _ZONE_OF]
    if outside:
        msg = f"département(s) {', '.join(outside)} are in no zone A, B or C"
        raise ValueError(msg)
    zones = sorted({_ZONE_OF[dep] for dep in deps})
    if len(zones) != 1:
        msg = f"the communes are in zones {' and '.join(zones)}"
        raise ValueError(msg)
    return zones[0]


def school_zone(period: Period, codes: Iterable[str], *, needed_by: str) -> SchoolZone:
    """Return the period's school zone, or the communes' one when it is not set.

    Raises
    ------
    ScenarioError
        No zone is set and none can be derived; the message names ``needed_by`` (the
        field whose opening rule needs the zone).
    """
    if period.school_zone is not None:
        return period.school_zone
    try:
        return zone_of_communes(codes)
    except ValueError as exc:
        msg = (
            f"period.school_zone: is not set and cannot be derived ({exc}), and {needed_by} "
            "needs it: set school_zone to A, B or C"
        )
        raise ScenarioError([msg]) from None
