"""Checks of what identifies a person: ID numbers (CCCD, CMND), phone numbers, birth dates.

Each check returns the value to store, or raises InvalidValue with a message for the user.
ID numbers and phones are first made ASCII digits (identity_digits), so the same number is
the same value however it was typed: what is checked, stored and compared for duplicates.
"""

from __future__ import annotations

import unicodedata
from datetime import date

import phonenumbers
from flask_babel import gettext as _

# The 63 province codes that open a 12-digit CCCD (Circular 07/2016/TT-BCA, appendix).
PROVINCE_CODES = frozenset({
    "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020",
    "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036", "037", "038",
    "040", "042", "044", "045", "046", "048", "049", "051", "052", "054", "056", "058", "060",
    "062", "064", "066", "067", "068", "070", "072", "074", "075", "077", "079", "080", "082",
    "083", "084", "086", "087", "089", "091", "092", "093", "094", "095", "096",
})


class InvalidValue(ValueError):
    """A value a user typed is not acceptable; str(error) says why, in their language."""


# What people put between the digits of a number: "092 163 004 321", "001.205.123456".
_SEPARATORS = str.maketrans("", "", " .-")


def identity_digits(raw: str) -> str:
    """An ID number or a phone as typed, with every digit an ASCII digit and no separators.

    NFKC makes fullwidth digits ("１２３", from a Chinese or Japanese keyboard), circled and
    superscript ones, and fullwidth "＋" and "－" plain; digits of other scripts (Arabic-Indic
    "١٢٣", Devanagari...), which NFKC leaves, become ASCII by their decimal value. Anything
    else, letters say, is left for the checks to refuse.
    """
    text = "".join(map(_ascii_digit, unicodedata.normalize("NFKC", raw)))
    return "".join(text.split()).translate(_SEPARATORS)


def _ascii_digit(ch: str) -> str:
    """A digit of any script as its ASCII digit; any other character as it is."""
    value = unicodedata.decimal(ch, None)
    return ch if value is None else str(value)


def century_and_sex_digit(birth_year: int, female: bool) -> str:
    """The 4th digit of a CCCD: 0/1 for the 1900s, 2/3 for the 2000s... (even male, odd female)."""
    century_index = (birth_year // 100) - 19  # 1900s -> 0, 2000s -> 1, ...
    if century_index < 0:
        century_index += 5  # the 1800s are 8/9
    return str(2 * century_index + (1 if female else 0))


def female_from_id_number(id_number: str | None) -> bool | None:
    """What a CCCD says of its holder's sex, the inverse of century_and_sex_digit: True for a
    woman (an odd 4th digit), False for a man; None for a CMND, which does not say, or none."""
    if not id_number or len(id_number) != 12 or not id_number.isdigit():
        return None
    return int(id_number[3]) % 2 == 1


def clean_id_number(raw: str | None, birth_year: int | None = None,
                    female: bool | None = None) -> str | None:
    """A 12-digit CCCD or a 9-digit CMND in ASCII digits (identity_digits), spaces and dots
    removed; None when left empty."""
    if raw is None:
        return None
    digits = identity_digits(raw)
    if not digits:
        return None
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidValue(_("An ID number has digits only."))
    if len(digits) == 9:
        return digits  # the old CMND carries no checkable structure
    if len(digits) != 12:
        raise InvalidValue(_("An ID number has 12 digits (CCCD) or 9 digits (CMND)."))
    if digits[:3] not in PROVINCE_CODES:
        raise InvalidValue(
            _("The first three digits (%(code)s) are not a province code.", code=digits[:3])
        )
    if birth_year is not None and digits[4:6] != f"{birth_year % 100:02d}":
        raise InvalidValue(
            _("Digits 5 and 6 of this CCCD are %(found)s, but born in %(year)s they must be "
              "%(yy)s: check the ID number or the birth year.",
              found=digits[4:6], year=birth_year, yy=f"{birth_year % 100:02d}")
        )
    if birth_year is not None and female is not None:
        expected = century_and_sex_digit(birth_year, female)
        if digits[3] != expected:
            raise InvalidValue(
                _("The 4th digit of this CCCD is %(found)s, but for a %(sex)s born in %(year)s "
                  "it must be %(digit)s: check the ID number, the birth year or the sex.",
                  found=digits[3], sex=_("woman") if female else _("man"), year=birth_year,
                  digit=expected)
            )
    return digits


def clean_phone(raw: str | None) -> str | None:
    """A Vietnamese mobile number in its national form, ASCII digits only (0912345678).

    Typed with +84 or 84 before it, spaces, dots or dashes, or in other digits
    (identity_digits), it is the same number, stored the same way: so one phone is found,
    and compared, whichever way it was typed.
    """
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(identity_digits(raw), "VN")
    except phonenumbers.NumberParseException:
        raise InvalidValue(_("This is not a phone number.")) from None
    mobile_types = (phonenumbers.PhoneNumberType.MOBILE,
                    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if (number.country_code != 84 or not phonenumbers.is_valid_number(number)
            or phonenumbers.number_type(number) not in mobile_types):
        raise InvalidValue(_("Enter a Vietnamese mobile number, for example 0912 345 678."))
    return "0" + str(number.national_number)


def check_birth_date(value: date | None, today: date) -> date | None:
    """A birth date that is not in the future nor impossibly old."""
    if value is None:
        return None
    if value > today:
        raise InvalidValue(_("The date of birth cannot be in the future."))
    if value.year < today.year - 120:
        raise InvalidValue(_("The date of birth is more than 120 years ago."))
    return value


def check_birth_year(value: int | None, today: date) -> int | None:
    """A birth year that is not in the future nor impossibly old."""
    if value is None:
        return None
    if value > today.year:
        raise InvalidValue(_("The year of birth cannot be in the future."))
    if value < today.year - 120:
        raise InvalidValue(_("The year of birth is more than 120 years ago."))
    return value


def mask_id_number(value: str | None) -> str:
    """Only the last four digits show: •••••••• 1234."""
    if not value:
        return ""
    return "•" * (len(value) - 4) + value[-4:]
