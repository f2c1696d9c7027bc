"""Time helpers: the database stores naive UTC on SQLite and PostgreSQL alike."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (what both databases give back)."""
    return datetime.now(UTC).replace(tzinfo=None)


def age_on(birth: date, on: date) -> int:
    """Whole years between a birth date and a day."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def today_local() -> date:
    """Today's date in Vietnam, where the screening happens (UTC+7, no daylight saving)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
