"""What coverage is cut by besides the unit: the standard age bands and the risk groups.

A person's age band is their age on the campaign's reference day (the day its target ages are
counted on), so a child of 11 on it stays "5 to under 12" for that campaign all along.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, literal, or_

from portal.campaigns.rules import HIGH_RISK_AGE
from portal.residents.ages import aged_at_least
from portal.residents.models import Resident


@dataclass(frozen=True)
class AgeBand:
    code: int
    label: object  # a lazy string
    from_age: int  # turned it by the reference day


# The bands seed 002 reports in, and DESIGN.md's 50+ and 65+. Code 0: under 5, in no
# campaign's target; kept so that every targeted person is in a band.
AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand(0, _l("under 5"), 0),
    AgeBand(1, _l("5 to under 12"), 5),
    AgeBand(2, _l("12 to 17"), 12),
    AgeBand(3, _l("18 to 49"), 18),
    AgeBand(4, _l("50 to 64"), HIGH_RISK_AGE),
    AgeBand(5, _l("65 and over"), 65),
)
BAND_BY_CODE = {band.code: band for band in AGE_BANDS}
# The band from which a person is of a high-risk group by age alone (50 and over).
HIGH_RISK_BANDS = frozenset(b.code for b in AGE_BANDS if b.from_age >= HIGH_RISK_AGE)

# The conditions of DESIGN.md's high-risk groups, one bit each.
CHRONIC, IMMUNOCOMPROMISED, PREGNANT = 1, 2, 4


@dataclass(frozen=True)
class RiskGroup:
    code: str
    label: object

    def includes(self, band: int, risk: int) -> bool:
        """Whether a person of this band with these condition bits is of the group."""
        if self.code == "any":
            return band in HIGH_RISK_BANDS or risk != 0
        if self.code == "none":
            return band not in HIGH_RISK_BANDS and risk == 0
        return bool(risk & _BITS[self.code])

    def clause(self, band, risk):
        """includes, as a SQL condition on a band and a risk column."""
        if self.code == "any":
            return or_(band.in_(sorted(HIGH_RISK_BANDS)), risk != 0)
        if self.code == "none":
            return and_(band.not_in(sorted(HIGH_RISK_BANDS)), risk == 0)
        return risk.op("&")(_BITS[self.code]) != 0


_BITS = {"chronic": CHRONIC, "immunocompromised": IMMUNOCOMPROMISED, "pregnant": PREGNANT}
RISK_GROUPS: tuple[RiskGroup, ...] = (
    RiskGroup("any", _l("Any high-risk group (50+ or a condition)")),
    RiskGroup("chronic", _l("Chronic condition")),
    RiskGroup("immunocompromised", _l("Immunocompromised")),
    RiskGroup("pregnant", _l("Pregnant")),
    RiskGroup("none", _l("No risk group")),
)
RISK_BY_CODE = {group.code: group for group in RISK_GROUPS}


def band_of_age(age: int) -> int:
    """The band of a whole age in years."""
    return max(band.code for band in AGE_BANDS if age >= band.from_age)


def band_clause(reference: date):
    """band_of_age of each resident's age on `reference`, as a SQL expression on Resident."""
    return case(*[(aged_at_least(band.from_age, reference), literal(band.code))
                  for band in reversed(AGE_BANDS) if band.from_age > 0], else_=literal(0))


def risk_clause():
    """The condition bits of each resident, as a SQL expression on Resident."""
    return (case((Resident.chronic_condition.is_(True), CHRONIC), else_=0)
            + case((Resident.immunocompromised.is_(True), IMMUNOCOMPROMISED), else_=0)
            + case((Resident.pregnant.is_(True), PREGNANT), else_=0))
