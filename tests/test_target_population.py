"""The target population is one rule: the SQL that counts it selects exactly whom Python accepts.

`campaigns.rules.is_targeted` (a resident at a time: the card, the walk) and `target_clause`
(the database: the lists, the counts) are the same rule written twice. This grid puts residents
at every boundary (born on the day, the day before, the day after; year-only births; leap days;
each risk flag; each status) against campaigns of every shape, on a few reference dates.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.campaigns.models import Campaign
from portal.campaigns.rules import HIGH_RISK_AGE, is_targeted, target_clause
from portal.extensions import db
from portal.residents.models import DoseKind, Resident, ResidentStatus, Sex
from portal.units.models import AdministrativeUnit, UnitLevel

# A leap day, the day after one, the day before, and the demo's day.
REFERENCE_DAYS = (date(2024, 2, 29), date(2023, 3, 1), date(2023, 2, 28), date(2022, 7, 8))
# (min_age, max_age, risk_groups_only, sex): open-ended, ranges with an exclusive upper bound
# ("5 to under 12"), risk groups only with and without a lower age, one sex only.
CAMPAIGN_SHAPES = (
    (18, None, False, None), (5, 12, False, None), (12, 18, False, None), (0, 5, False, None),
    (60, 65, False, None), (18, None, True, None), (0, None, True, None), (12, 50, True, None),
    (50, None, False, None), (65, None, False, None), (18, 50, False, Sex.FEMALE),
    (50, None, True, Sex.MALE),
)
AGES = sorted({age for low, high, _, _ in CAMPAIGN_SHAPES for age in (low, high) if age} |
              {HIGH_RISK_AGE})
RISKS = ({}, {"chronic_condition": True}, {"immunocompromised": True}, {"pregnant": True})


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _births() -> set[tuple[date | None, int]]:
    """(birth date or None, birth year) at and around every age boundary of every day."""
    births = {(date(2008, 2, 29), 2008), (date(1972, 2, 29), 1972), (date(2000, 3, 1), 2000)}
    for day, age in itertools.product(REFERENCE_DAYS, AGES):
        turned = _years_before(day, age)
        for shift in (-1, 0, 1):
            born = turned + timedelta(days=shift)
            births.add((born, born.year))
            births.add((None, turned.year + shift))  # the register knows the year only
    return births


@pytest.fixture
def grid(app):
    """About four thousand residents of one hamlet, every birth with every risk, status, sex."""
    with app.app_context():
        province = AdministrativeUnit(code="92", name="Cần Thơ", kind="Thành phố",
                                      level=UnitLevel.PROVINCE, path="/1/", depth=0)
        db.session.add(province)
        db.session.flush()
        hamlet = AdministrativeUnit(code="92-01", name="Khu vực 1", kind="Khu vực",
                                    level=UnitLevel.HAMLET, parent_id=province.id,
                                    path=f"/{province.id}/2/", depth=1)
        db.session.add(hamlet)
        db.session.flush()
        residents = [
            Resident(hamlet_id=hamlet.id, full_name="Nguyễn Văn A", name_folded="nguyen van a",
                     birth_date=born, birth_year=year, sex=sex, status=status,
                     **{"chronic_condition": False, "immunocompromised": False,
                        "pregnant": False, **risk})
            for (born, year), risk, status, sex in itertools.product(
                sorted(_births(), key=lambda b: (b[1], b[0] or date.min)), RISKS,
                list(ResidentStatus), list(Sex))
        ]
        db.session.add_all(residents)
        db.session.commit()
        yield db.session.scalars(select(Resident)).all()


def test_the_database_selects_exactly_whom_the_rule_accepts(app, grid):
    differences = {}
    with app.app_context():
        for (min_age, max_age, risk_only, sex), reference in itertools.product(
                CAMPAIGN_SHAPES, REFERENCE_DAYS):
            campaign = Campaign(name="grid", required_dose=DoseKind.BOOSTER_1, min_age=min_age,
                                max_age=max_age, risk_groups_only=risk_only, sex=sex,
                                age_reference_date=reference, starts_on=reference,
                                deadline=reference)
            selected = set(db.session.scalars(
                select(Resident.id).where(target_clause(campaign))))
            accepted = {r.id for r in grid if is_targeted(r, campaign)}
            # The grid reaches both sides of every rule: someone is in, someone is out.
            assert accepted and len(accepted) < len(grid), (min_age, max_age, risk_only, sex)
            if selected != accepted:
                differences[(min_age, max_age, risk_only, sex, reference)] = sorted(
                    (r.birth_date or r.birth_year, r.status.value) for r in grid
                    if r.id in selected ^ accepted)[:5]
    assert differences == {}
