"""Which campaigns a user works on: every open one that covers their unit, and the one chosen.

A province runs several drives at once. The walk and the card screen a person for every open
campaign; the figures, the follow-up lists and the commune's list are for the campaign the
user has chosen (remembered on the account), the next deadline until they choose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from portal.campaigns.models import Campaign
from portal.extensions import db
from portal.timeutil import today_local


def open_campaigns(user) -> list[Campaign]:
    """The open campaigns that cover the user's unit (or run inside it), nearest deadline first.

    Looked up once per request: a view and the templates it renders may all ask.
    """
    cache = g.setdefault("open_campaigns", {}) if has_request_context() else {}
    if user.id not in cache:
        unit = user.unit
        campaigns = db.session.scalars(
            select(Campaign)
            .join(Campaign.unit)
            .options(contains_eager(Campaign.unit))
            .where(Campaign.is_open)
            .order_by(Campaign.deadline, Campaign.starts_on, Campaign.id)
        )
        cache[user.id] = [c for c in campaigns
                          if unit.lies_within(c.unit) or c.unit.lies_within(unit)]
    return cache[user.id]


def chosen_campaign(user) -> Campaign | None:
    """The campaign the user chose, while it is open and covers them; else the one whose
    deadline comes next (an overdue one only when every one is overdue)."""
    campaigns = open_campaigns(user)
    today = today_local()
    upcoming = [c for c in campaigns if c.deadline >= today] or campaigns
    return next((c for c in campaigns if c.id == user.campaign_id),
                upcoming[0] if upcoming else None)


def choose_campaign(user, campaign_id: int) -> bool:
    """Remember the campaign the user works on, if it is one of theirs; the caller commits."""
    if not any(c.id == campaign_id for c in open_campaigns(user)):
        return False
    user.campaign_id = campaign_id
    return True


@dataclass(frozen=True)
class Deadline:
    """How a campaign's deadline stands on a day: days left, or days overdue."""

    on: date
    days_left: int

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    def __str__(self) -> str:
        if self.days_left < 0:
            return str(_l("overdue by %(n)s days", n=-self.days_left))
        if self.days_left == 0:
            return str(_l("due today"))
        if self.days_left == 1:
            return str(_l("1 day left"))
        return str(_l("%(n)s days left", n=self.days_left))


def deadline_of(campaign: Campaign, today: date) -> Deadline:
    """The campaign's deadline and the days left to it (negative once it has passed)."""
    return Deadline(campaign.deadline, (campaign.deadline - today).days)


@dataclass(frozen=True)
class CampaignChoice:
    """What a screen shows of the user's campaigns: the one worked on, and the others open."""

    chosen: Campaign | None
    campaigns: list[Campaign]
    deadline: Deadline | None


def campaign_choice(user, today: date) -> CampaignChoice:
    """The user's open campaigns and the one chosen, with its deadline on `today`."""
    chosen = chosen_campaign(user)
    return CampaignChoice(chosen, open_campaigns(user),
                          deadline_of(chosen, today) if chosen else None)
