"""Who answers for a child: minors by age on a day, their guardian, children's campaigns."""

from __future__ import annotations

from datetime import date

import pytest

from portal.campaigns.models import Campaign
from portal.campaigns.rules import is_childrens_campaign
from portal.residents.guardians import Guardian, guardian_of, guardian_of_minor, is_minor
from portal.residents.models import DoseKind, Household, Resident, Sex

DAY = date(2022, 7, 8)


def _household(name=None, phone=None) -> Household:
    return Household(code="HGĐ-0001", address="Số 1, đường Trần Phú", head_name="Trần Văn Nam",
                     guardian_name=name, guardian_phone=phone)


def _resident(born: date | None = None, year: int | None = None, *, household=None,
              name=None, phone=None) -> Resident:
    return Resident(full_name="Trần Ngọc Bảo Anh", birth_date=born,
                    birth_year=year or born.year, sex=Sex.FEMALE, household=household,
                    guardian_name=name, guardian_phone=phone)


def test_under_18_on_the_day_is_a_minor_and_18_is_not():
    assert is_minor(_resident(date(2015, 6, 1)), DAY)
    assert is_minor(_resident(date(2004, 7, 9)), DAY)  # 18 tomorrow
    assert not is_minor(_resident(date(2004, 7, 8)), DAY)  # 18 today
    assert not is_minor(_resident(date(1990, 1, 20)), DAY)


def test_a_birth_known_by_its_year_counts_from_1_january():
    # Born "2004": 18 from 1 January 2022, as the campaigns count ages.
    assert not is_minor(_resident(year=2004), DAY)
    assert not is_minor(_resident(year=2004), date(2022, 1, 1))
    assert is_minor(_resident(year=2004), date(2021, 12, 31))
    assert is_minor(_resident(year=2005), DAY)


def test_the_persons_own_guardian_comes_before_the_households():
    household = _household("Trần Văn Nam", "0387654321")
    child = _resident(date(2015, 6, 1), household=household, name="Lê Thị Hoa",
                      phone="0912000111")
    assert guardian_of(child) == Guardian("Lê Thị Hoa", "0912000111")
    assert guardian_of_minor(child, DAY) == Guardian("Lê Thị Hoa", "0912000111")


def test_a_child_without_a_guardian_of_its_own_has_the_households():
    child = _resident(date(2015, 6, 1), household=_household("Trần Văn Nam", "0387654321"))
    assert guardian_of_minor(child, DAY) == Guardian("Trần Văn Nam", "0387654321")
    assert str(guardian_of_minor(child, DAY)) == "Trần Văn Nam, 0387654321"


def test_a_guardian_known_by_the_phone_alone_is_still_the_guardian():
    child = _resident(date(2015, 6, 1), household=_household(None, "0387654321"))
    assert guardian_of_minor(child, DAY) == Guardian(None, "0387654321")
    assert str(guardian_of_minor(child, DAY)) == "0387654321"


def test_nobody_named_is_no_guardian():
    assert guardian_of_minor(_resident(date(2015, 6, 1), household=_household()), DAY) is None
    assert guardian_of_minor(_resident(date(2015, 6, 1)), DAY) is None


def test_an_adult_shows_no_guardian_even_where_one_is_written_down():
    adult = _resident(date(1990, 1, 20), household=_household("Trần Văn Nam", "0387654321"),
                      name="Lê Thị Hoa")
    assert guardian_of(adult) == Guardian("Lê Thị Hoa", None)
    assert guardian_of_minor(adult, DAY) is None


@pytest.mark.parametrize(("min_age", "max_age", "children"), [
    (5, 12, True),  # children 5 to under 12
    (12, 18, True),  # 12 to under 18: still minors all
    (18, None, False),  # adults
    (12, None, False),  # 12 and over: mostly adults
    (16, 19, False),
])
def test_a_childrens_campaign_ends_at_18_at_most(min_age, max_age, children):
    campaign = Campaign(name="Đợt", required_dose=DoseKind.DOSE_1, min_age=min_age,
                        max_age=max_age, age_reference_date=DAY)
    assert is_childrens_campaign(campaign) is children
