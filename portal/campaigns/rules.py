"""Who a campaign targets, and who counts as up to date for it."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, true

from portal.campaigns.models import Campaign
from portal.residents.ages import age_of, aged_at_least, aged_under, born_by, born_on
from portal.residents.guardians import ADULT_AGE
from portal.residents.models import Dose, DoseKind, Resident, ResidentStatus, Sex

DOSE_ORDER = list(DoseKind)
HIGH_RISK_AGE = 50


def age_in_campaign(resident: Resident, campaign: Campaign) -> int:
    """Whole years on the campaign's reference date."""
    return age_of(resident, campaign.age_reference_date)


@dataclass(frozen=True)
class TargetRule:
    """A campaign's target population as the birth dates it comes to, worked out once and
    asked of many people: the same cut-offs target_clause gives the database."""

    sex: Sex | None
    oldest_birth: date  # born on or before it: old enough
    youngest_birth: date | None  # born on or before it: too old ("under 12")
    risk_birth: date | None  # born on or before it: old enough to be of a risk group

    def accepts(self, resident) -> bool:
        if resident.status is not ResidentStatus.PRESENT:
            return False
        if self.sex is not None and resident.sex is not self.sex:
            return False
        born = born_on(resident)
        if born > self.oldest_birth:
            return False
        if self.youngest_birth is not None and born <= self.youngest_birth:
            return False
        return self.risk_birth is None or born <= self.risk_birth or bool(
            resident.chronic_condition or resident.immunocompromised or resident.pregnant)


@functools.lru_cache(maxsize=256)
def _target_rule(min_age: int, max_age: int | None, risk_groups_only: bool, sex: Sex | None,
                 reference: date) -> TargetRule:
    return TargetRule(
        sex=sex, oldest_birth=born_by(min_age, reference),
        youngest_birth=born_by(max_age, reference) if max_age is not None else None,
        risk_birth=born_by(HIGH_RISK_AGE, reference) if risk_groups_only else None,
    )


def target_rule(campaign: Campaign) -> TargetRule:
    """Whom the campaign targets: present, of its ages on its reference date (and sex, if it
    says), of a high-risk group if it asks (50 and over, chronic conditions, immunocompromised,
    pregnant: DESIGN.md section 2)."""
    return _target_rule(campaign.min_age, campaign.max_age, campaign.risk_groups_only,
                        campaign.sex, campaign.age_reference_date)


def is_targeted(resident: Resident, campaign: Campaign) -> bool:
    """In the campaign's target population (target_rule)."""
    return target_rule(campaign).accepts(resident)


def target_clause(campaign: Campaign):
    """is_targeted as a SQL condition on Resident, for counting and listing in the database."""
    ref = campaign.age_reference_date
    conditions = [Resident.status == ResidentStatus.PRESENT, aged_at_least(campaign.min_age, ref)]
    if campaign.max_age is not None:
        conditions.append(aged_under(campaign.max_age, ref))
    if campaign.sex is not None:
        conditions.append(Resident.sex == campaign.sex)
    if campaign.risk_groups_only:
        conditions.append(
            aged_at_least(HIGH_RISK_AGE, ref)
            | Resident.chronic_condition.is_(True)
            | Resident.immunocompromised.is_(True)
            | Resident.pregnant.is_(True)
        )
    return and_(true(), *conditions)


def satisfying_doses(campaign: Campaign) -> list[DoseKind]:
    """The required dose and every dose after it: any of them means up to date."""
    return list(_this_or_later(campaign.required_dose))


@functools.cache
def _this_or_later(kind: DoseKind) -> frozenset[DoseKind]:
    """A dose and every dose after it in the schedule."""
    return frozenset(DOSE_ORDER[DOSE_ORDER.index(kind):])


def has_required_dose(dose_kinds: Iterable[DoseKind], campaign: Campaign) -> bool:
    """True when the resident has the campaign's dose (or a later one)."""
    return not _this_or_later(campaign.required_dose).isdisjoint(dose_kinds)


def dose_clause(campaign: Campaign):
    """has_required_dose as a SQL condition on Resident."""
    return exists().where(Dose.resident_id == Resident.id,
                          Dose.kind.in_(satisfying_doses(campaign)))


def next_dose(dose_kinds: Iterable[DoseKind], campaign: Campaign) -> DoseKind | None:
    """The dose the person needs next in the campaign: the first they lack of the doses that
    must come first (a later dose stands for it), else the campaign's own; None when they are
    up to date for it."""
    kinds = frozenset(dose_kinds)
    if has_required_dose(kinds, campaign):
        return None
    for kind in campaign.prior_doses or ():
        if _this_or_later(DoseKind(kind)).isdisjoint(kinds):
            return DoseKind(kind)
    return campaign.required_dose


def is_childrens_campaign(campaign: Campaign) -> bool:
    """For children only: its upper age is at most 18 ("5 to under 12", "12 to under 18"), so
    everyone it targets is a minor, and its list prints their guardians."""
    return campaign.max_age is not None and campaign.max_age <= ADULT_AGE
