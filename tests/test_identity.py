"""ID numbers, phone numbers and birth dates: what is accepted, and what the user is told."""

from __future__ import annotations

from datetime import date

import pytest

from portal.residents.identity import (
    InvalidValue, century_and_sex_digit, check_birth_date, check_birth_year, clean_id_number,
    clean_phone, female_from_id_number, mask_id_number,
)

TODAY = date(2022, 7, 8)


@pytest.mark.parametrize(
    "raw, year, female, expected",
    [
        ("092060001234", 1960, False, "092060001234"),  # Cần Thơ, 1900s male
        ("092 163 004 321", 1963, True, "092163004321"),  # spaces are fine
        ("001.205.123456", 2005, False, "001205123456"),  # Hà Nội, 2000s male
        ("079310654321", 2010, True, "079310654321"),  # HCMC, 2000s female
        ("123456789", 1970, False, "123456789"),  # old 9-digit CMND
        ("", 1970, False, None),
        ("   ", None, None, None),
    ],
)
def test_valid_id_numbers_are_kept_as_digits(raw, year, female, expected):
    assert clean_id_number(raw, year, female) == expected


@pytest.mark.parametrize(
    "raw, year, female, message",
    [
        ("09206000123", 1960, False, "12 chữ số"),  # 11 digits
        ("0920600012345", 1960, False, "12 chữ số"),
        ("09206000123A", 1960, False, "chỉ gồm chữ số"),
        ("999060001234", 1960, False, "không phải mã tỉnh"),  # no province 999
        ("092160001234", 1960, False, "chữ số thứ 4"),  # female digit for a man
        ("092260001234", 1960, False, "chữ số thứ 4"),  # 2000s digit for 1960
        ("092061001234", 1960, False, "năm sinh"),  # year digits 61 for 1960
    ],
)
def test_bad_id_numbers_are_explained_in_vietnamese(app, raw, year, female, message):
    with app.test_request_context():
        with pytest.raises(InvalidValue) as error:
            clean_id_number(raw, year, female)
    assert message in str(error.value).lower()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("0387654321", "0387654321"),
        ("", None),
    ],
)
def test_vietnamese_mobile_numbers_are_normalised(raw, expected):
    assert clean_phone(raw) == expected


@pytest.mark.parametrize("raw", ["0281234567", "091234567", "+1 650 555 0100", "not a phone"])
def test_other_numbers_are_refused(app, raw):
    with app.test_request_context():
        with pytest.raises(InvalidValue) as error:
            clean_phone(raw)
    assert "điện thoại" in str(error.value) or "di động" in str(error.value)


def test_birth_in_the_future_is_refused(app):
    with app.test_request_context():
        with pytest.raises(InvalidValue, match="tương lai"):
            check_birth_date(date(2022, 7, 9), TODAY)
        with pytest.raises(InvalidValue, match="tương lai"):
            check_birth_year(2023, TODAY)
    assert check_birth_date(date(2022, 7, 8), TODAY) == date(2022, 7, 8)


def test_id_numbers_are_masked_to_the_last_four_digits():
    assert mask_id_number("092060001234") == "••••••••1234"
    assert mask_id_number(None) == ""


@pytest.mark.parametrize("year", [1885, 1960, 1999, 2005, 2010, 2099])
@pytest.mark.parametrize("female", [True, False])
def test_the_sex_a_cccd_says_is_the_one_it_was_made_for(year, female):
    number = f"092{century_and_sex_digit(year, female)}{year % 100:02d}001234"
    assert female_from_id_number(number) is female
    assert clean_id_number(number, year, female) == number


@pytest.mark.parametrize("number", ["092060001234", "092260001234", "001805123456"])
def test_an_even_4th_digit_is_a_man(number):
    assert female_from_id_number(number) is False


@pytest.mark.parametrize("number", [None, "", "123456789", "09216000123", "09216000123A"])
def test_a_cmnd_or_no_cccd_does_not_tell_the_sex(number):
    assert female_from_id_number(number) is None


@pytest.mark.parametrize("typed", [
    "１２３４５６７８９",  # fullwidth, from a Chinese or Japanese keyboard
    "١٢٣٤٥٦٧٨٩",  # Arabic-Indic
    "۱۲۳۴۵۶۷۸۹",  # Extended Arabic-Indic (Persian)
    "１２３ ４５６．７８９",  # fullwidth, with spaces and a fullwidth dot
])
def test_a_fullwidth_id_number_is_the_same_number_as_its_ascii_digits(typed):
    assert clean_id_number(typed) == "123456789"
    assert clean_id_number("０９２０６０００１２３４", 1960, False) == "092060001234"


@pytest.mark.parametrize("typed", ["０９１２ ３４５ ６７８", "＋８４ ９１２ ３４５ ６７８",
                                   "٠٩١٢٣٤٥٦٧٨", "84912345678", "0912-345-678"])
def test_a_phone_typed_in_other_digits_or_with_84_is_stored_as_its_national_ascii_digits(typed):
    assert clean_phone(typed) == "0912345678"


@pytest.mark.parametrize("typed", ["12345678９A", "０９２０６０００１２３Ａ", "١٢٣x٤٥٦٧٨٩"])
def test_what_is_not_a_digit_once_normalised_is_still_refused(app, typed):
    with app.test_request_context():
        with pytest.raises(InvalidValue, match="chỉ gồm chữ số"):
            clean_id_number(typed)


def test_a_fullwidth_id_number_is_the_same_person_as_its_ascii_digits(app, client, world):
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.residents.models import Resident

    from helpers import field_error, unit

    client.login("screener")
    with app.app_context():
        hamlet = unit("31117-01").id
    form = {"full_name": "Nguyễn Văn Đức", "sex": "male", "birth_date": "1960-03-02",
            "household_id": "", "new_household_address": "Số 1, đường Trần Phú",
            "confirm_duplicate": "y"}
    # Đức's CCCD, 092060001234, typed on a fullwidth keyboard: the same number, so refused.
    taken = client.post_form(f"/hamlets/{hamlet}/residents/new",
                             {**form, "id_number": "０９２０６０００１２３４"})
    assert taken.status_code == 422
    assert "đã có trong danh sách" in field_error(taken.get_data(as_text=True), "id_number")
    # Someone new, typed in Arabic-Indic digits and a fullwidth phone: stored in ASCII digits.
    added = client.post_form(f"/hamlets/{hamlet}/residents/new", {
        **form, "full_name": "Lê Văn Tám", "birth_date": "1990-01-01",
        "id_number": "٠٩٢٠٩٠٠٠٥٥٥٥", "phone": "０９０１ ２３４ ５６７"})
    assert added.status_code == 302, added.get_data(as_text=True)
    with app.app_context():
        tam = db.session.scalars(select(Resident).where(Resident.full_name == "Lê Văn Tám")).one()
        assert (tam.id_number, tam.phone) == ("092090005555", "0901234567")
        assert db.session.scalar(select(func.count()).select_from(Resident).where(
            Resident.id_number.like("%092060001234%"))) == 1


def test_a_search_typed_in_fullwidth_digits_finds_the_number(app, world):
    from portal.auth.models import Role, User
    from portal.extensions import db
    from portal.residents.search import search_residents

    with app.app_context():
        screener = db.session.query(User).filter_by(role=Role.SCREENER).one()
        for typed in ("０９２０ ６０００ １２３４", "٠٩١٢٣٤٥٦٧٨"):  # a whole ID number, a phone
            assert [r.full_name for r in search_residents(screener, typed)] == ["Nguyễn Văn Đức"]
