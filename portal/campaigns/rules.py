"""Who a campaign targets, and who counts as up to date for it."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from sqlalchemy import and_, true

from portal.campaigns.models import Campaign
from portal.residents.ages import age_of, aged_at_least, aged_under
from portal.residents.guardians import ADULT_AGE
from portal.residents.models import DoseKind, Resident, ResidentStatus

DOSE_ORDER = list(DoseKind)
HIGH_RISK_AGE = 50


def age_in_campaign(resident: Resident, campaign: Campaign) -> int:
    """Whole years on the campaign's reference date."""
    return age_of(resident, campaign.age_reference_date)


def in_high_risk_group(resident: Resident, age: int) -> bool:
    """50 and over, chronic conditions, immunocompromised or pregnant (DESIGN.md section 2)."""
    return (
        age >= HIGH_RISK_AGE
        or resident.chronic_condition
        or resident.immunocompromised
        or resident.pregnant
    )


def is_targeted(resident: Resident, campaign: Campaign) -> bool:
    """In the campaign's target population: present, of the right age (and sex, if it says),
    of a risk group if asked."""
    if resident.status is not ResidentStatus.PRESENT:
        return False
    if campaign.sex is not None and resident.sex is not campaign.sex:
        return False
    age = age_in_campaign(resident, campaign)
    if age < campaign.min_age:
        return False
    if campaign.max_age is not None and age >= campaign.max_age:
        return False
    return not campaign.risk_groups_only or in_high_risk_group(resident, age)


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
