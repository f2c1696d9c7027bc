"""Which campaign a user works on: the newest active one that covers their unit."""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from portal.campaigns.models import Campaign
from portal.extensions import db


def active_campaign(user) -> Campaign | None:
    """The newest active campaign that covers the user's unit (or runs inside it).

    Looked up once per request: a view and the templates it renders may all ask.
    """
    cache = g.setdefault("active_campaigns", {}) if has_request_context() else {}
    if user.id not in cache:
        unit = user.unit
        campaigns = db.session.scalars(
            select(Campaign)
            .join(Campaign.unit)
            .options(contains_eager(Campaign.unit))
            .where(Campaign.is_open)
            .order_by(Campaign.starts_on.desc(), Campaign.id.desc())
        )
        cache[user.id] = next(
            (c for c in campaigns if unit.lies_within(c.unit) or c.unit.lies_within(unit)),
            None,
        )
    return cache[user.id]
