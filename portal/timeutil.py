"""Time in one place: the database stores naive UTC on SQLite and PostgreSQL alike, and people
read and filter by Vietnam's day and hour (UTC+7, no daylight saving)."""

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# The days a date filter may name. Nothing the portal holds is older than the 2021 drive, nor
# dated after today (a list's day, an audit event's): 2000 and ten years ahead leave room for
# any honest question, while 0001-01-01 or 9999-12-31 are typing slips (or probes) whose day
# range would not even fit in a date.
FIRST_FILTER_DAY = date(2000, 1, 1)
FILTER_YEARS_AHEAD = 10


def utcnow() -> datetime:
    """Now, in UTC, without tzinfo (what both databases give back)."""
    return datetime.now(UTC).replace(tzinfo=None)


def today_local() -> date:
    """Today's date in Vietnam, where the screening happens."""
    return datetime.now(VIETNAM).date()


def local_time(moment: datetime) -> datetime:
    """A stored (naive UTC) time as the time in Vietnam."""
    return moment.replace(tzinfo=UTC).astimezone(VIETNAM)


def stored_time(local: datetime) -> datetime:
    """A time in Vietnam (naive, or aware of any zone) as the naive UTC time the database holds."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=VIETNAM)
    return local.astimezone(UTC).replace(tzinfo=None)


def day_start(day: date) -> datetime:
    """Midnight starting a day in Vietnam, as the naive UTC time the database holds."""
    return stored_time(datetime.combine(day, time()))


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Stored times from the start of `since` to just before the day after `until` (either open)."""
    return (day_start(since) if since else None,
            day_start(until + timedelta(days=1)) if until else None)


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later, or the month's last day if it is shorter:
    31/01 plus one month is 28/02 (29/02 in a leap year)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def filter_days(today: date) -> tuple[date, date]:
    """The first and last day a date filter may name (FIRST_FILTER_DAY, FILTER_YEARS_AHEAD)."""
    return FIRST_FILTER_DAY, months_after(today, 12 * FILTER_YEARS_AHEAD)


def age_on(birth: date, on: date) -> int:
    """Whole years between a birth date and a day."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years
