"""What both importers share: the checks of who a row names, with each file's own policy, the
result they both give back, the hamlet a cell names."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.extensions import db
from portal.imports.base import (
    ImportResult, Refused, check_person, hamlet_named, hamlets_of,
)
from portal.residents.models import Sex
from portal.units.models import AdministrativeUnit

TODAY = date(2022, 7, 8)
COLUMNS = ("full_name", "birth_date", "sex", "id_number", "phone")
MAPPING = {name: index for index, name in enumerate(COLUMNS)}
# What the population register asks of a person, and what the platform's export does.
REGISTER = {"birth_required": True, "gives_sex": True, "refuses_bad_phone": True}
PLATFORM = {"birth_required": False, "gives_sex": False, "refuses_bad_phone": False}
GOOD = {"full_name": " Nguyễn  Văn Đức ", "birth_date": "02/03/1960", "sex": "Nam",
        "id_number": "092 060 001 234", "phone": "+84 912 345 678"}


def _check(app, policy: dict, **cells):
    """check_person on one row of GOOD's cells, some replaced (None: blank), in Vietnamese."""
    row = {**GOOD, **cells}
    with app.app_context(), force_locale("vi"):
        person, reasons = check_person([row[name] for name in COLUMNS], MAPPING, TODAY,
                                       **policy)
        return person, [str(reason) for reason in reasons]


@pytest.mark.parametrize("policy", [REGISTER, PLATFORM], ids=["register", "platform"])
def test_a_good_row_gives_the_person_cleaned(app, policy):
    person, reasons = _check(app, policy)
    assert reasons == []
    assert (person.full_name, person.birth_date, person.birth_year, person.id_number,
            person.phone) == ("Nguyễn Văn Đức", date(1960, 3, 2), 1960, "092060001234",
                              "0912345678")


@pytest.mark.parametrize("policy", [REGISTER, PLATFORM], ids=["register", "platform"])
@pytest.mark.parametrize("cells, message", [
    ({"full_name": "  "}, "Họ và tên để trống"),
    ({"birth_date": "31/02/1960"}, "không phải là ngày"),
    ({"birth_date": "05/05/2099"}, "tương lai"),
    ({"birth_date": "01/01/1890"}, "hơn 120 năm"),
    ({"id_number": "12345"}, "12 chữ số"),
    ({"id_number": "09206000123A"}, "chỉ gồm chữ số"),
    ({"id_number": "092061001234"}, "năm sinh"),  # digits 5-6 say 1961
])
def test_both_files_refuse_a_bad_name_birth_or_id_number_in_the_same_words(
        app, policy, cells, message):
    person, reasons = _check(app, policy, **cells)
    assert any(message in reason for reason in reasons), reasons


def test_the_register_needs_a_birth_the_platform_does_not(app):
    assert any("Ngày sinh để trống" in reason
               for reason in _check(app, REGISTER, birth_date=None)[1])
    person, reasons = _check(app, PLATFORM, birth_date=None)
    assert reasons == [] and person.birth_year is None


def test_a_bad_phone_is_refused_in_the_register_and_dropped_from_the_platform(app):
    person, reasons = _check(app, REGISTER, phone="0281234567")  # a landline
    assert any("di động" in reason for reason in reasons)
    person, reasons = _check(app, PLATFORM, phone="0281234567")
    assert reasons == [] and person.phone is None


@pytest.mark.parametrize("sex_cell, id_number, sex", [
    ("Nữ", "092163004321", Sex.FEMALE),
    ("nu", None, Sex.FEMALE),
    (None, "092163004321", Sex.FEMALE),  # the CCCD's 4th digit says it
    (None, "092060001234", Sex.MALE),
])
def test_the_registers_sex_is_read_or_taken_from_the_cccd(app, sex_cell, id_number, sex):
    person, reasons = _check(app, REGISTER, birth_date="09/05/1963" if sex is Sex.FEMALE
                             else GOOD["birth_date"], sex=sex_cell, id_number=id_number)
    assert reasons == [] and person.sex is sex


def test_the_register_refuses_a_sex_it_cannot_tell_or_that_the_cccd_contradicts(app):
    assert any("Giới tính để trống" in reason
               for reason in _check(app, REGISTER, sex=None, id_number="123456789")[1])
    assert any("không phải là giới tính" in reason
               for reason in _check(app, REGISTER, sex="Khác")[1])
    assert any("Chữ số thứ 4" in reason for reason in _check(app, REGISTER, sex="Nữ")[1])


def test_the_platform_gives_no_sex_so_the_cccd_is_checked_against_the_year_only(app):
    person, reasons = _check(app, PLATFORM, sex="Nữ")  # a column the platform has not
    assert reasons == [] and person.sex is None


def test_a_name_longer_than_its_column_is_cut(app):
    for policy in (REGISTER, PLATFORM):
        person, reasons = _check(app, policy, full_name="Nguyễn " * 30)
        assert reasons == [] and len(person.full_name) == 120


def test_the_report_lists_refused_and_unmatched_rows_in_file_order():
    result = ImportResult(refused=[Refused(5, [], ["a"]), Refused(2, [], ["b"])],
                          unmatched_rows=[Refused(3, [], ["c"])])
    assert [row.line for row in result.left_over()] == [2, 3, 5]
    assert ImportResult().left_over() == [] and ImportResult().unmatched == 0


@pytest.mark.parametrize("typed", ["Khu vực 2", "khu vuc 2", "KV2", "kv 02", "Khu vực 02"])
def test_a_hamlet_is_known_however_it_is_typed(app, units, typed):
    with app.app_context():
        commune = db.session.get(AdministrativeUnit, units["31117"])
        second = db.session.scalar(select(AdministrativeUnit.id).where(
            AdministrativeUnit.code == "31117-02"))
        hamlets = hamlets_of(commune)
        assert hamlet_named(typed, hamlets) == second
        assert hamlet_named("Khu vực 9", hamlets) is None and hamlet_named(None, hamlets) is None
