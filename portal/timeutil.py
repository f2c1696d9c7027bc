"""Time in one place: the database stores naive UTC on SQLite and PostgreSQL alike, and people
read and filter by Vietnam's day and hour (UTC+7, no daylight saving)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


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


def age_on(birth: date, on: date) -> int:
    """Whole years between a birth date and a day."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years
