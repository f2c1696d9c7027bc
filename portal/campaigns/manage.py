"""Managing campaigns: create, change and close them within the admin's unit, each change audited.

One set of checks serves the screens and `flask campaigns`. The functions flush and record their
audit event; the caller commits. An actor of None is the command line: any unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.access import Action, can
from portal.audit.log import record
from portal.campaigns.models import Campaign
from portal.campaigns.rules import DOSE_ORDER
from portal.extensions import db
from portal.labels import DOSE
from portal.lists.models import ComplianceList, ListState
from portal.rejections import Rejected
from portal.residents.models import DoseKind, Sex
from portal.scope import in_scope, units_in_scope
from portal.text import fold, normalise_name
from portal.timeutil import local_time, utcnow
from portal.units.models import AdministrativeUnit, UnitLevel
from portal.units.tree import unit_by_code

MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_AGE = 120
# Three years: longer than any interval the Ministry of Health has set between two doses.
MAX_INTERVAL_DAYS = 3 * 365
# What an approved list does not depend on: these may change after a district approved one.
CHANGEABLE_WHEN_APPROVED = {"description", "deadline"}
RUNNING_LEVELS = (UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE)


class CampaignRejected(Rejected):
    """A campaign change that breaks a rule, with its messages by field ("" for the whole form)."""


@dataclass
class CampaignDetails:
    """What an admin sets on a campaign, as typed (the fields of the form and the command)."""

    name: str | None
    unit_code: str | None
    required_dose: str | None
    starts_on: date | None
    deadline: date | None
    min_age: int | None = 18
    max_age: int | None = None  # exclusive; None for no upper bound
    age_reference_date: date | None = None  # None: the start date
    risk_groups_only: bool = False
    sex: str | None = None  # None or "": everyone
    prior_doses: list[str] = field(default_factory=list)
    min_interval_days: int | None = 0
    description: str | None = None

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignDetails:
        """What the campaign holds now, as the edit form shows it."""
        return cls(
            name=campaign.name, unit_code=campaign.unit.code,
            required_dose=campaign.required_dose.value, starts_on=campaign.starts_on,
            deadline=campaign.deadline, min_age=campaign.min_age, max_age=campaign.max_age,
            age_reference_date=campaign.age_reference_date,
            risk_groups_only=campaign.risk_groups_only,
            sex=campaign.sex.value if campaign.sex else "",
            prior_doses=list(campaign.prior_doses or []),
            min_interval_days=campaign.min_interval_days, description=campaign.description or "",
        )


# Every field an admin sets, by the names the form and the command give them.
DETAILS = tuple(f.name for f in fields(CampaignDetails))
# The campaign's columns an admin sets, as `_checked` gives them.
_SETTABLE = ("name", "description", "unit", "required_dose", "prior_doses", "min_age", "max_age",
             "risk_groups_only", "sex", "min_interval_days", "age_reference_date", "starts_on",
             "deadline")
# The form's field for a column, where the names differ.
_FIELD_OF = {"unit": "unit_code"}


def snapshot(campaign: Campaign) -> dict:
    """What the audit trail keeps of a campaign, field by field."""
    return _as_record({name: getattr(campaign, name) for name in _SETTABLE})


def _as_record(values: dict) -> dict:
    """Values as JSON for the trail: codes for the unit and enums, ISO dates."""
    shown = {}
    for name, value in values.items():
        if isinstance(value, AdministrativeUnit):
            value = value.code
        elif isinstance(value, (DoseKind, Sex)):
            value = value.value
        elif isinstance(value, date):
            value = value.isoformat()
        elif name == "prior_doses":
            value = list(value or [])
        shown[name] = value
    return shown


def _checked(actor, details: CampaignDetails, campaign: Campaign | None) -> dict:
    """The columns to set, every rule checked; raises CampaignRejected with all that is wrong."""
    errors: dict[str, list] = {}

    def refuse(name: str, message) -> None:
        errors.setdefault(name, []).append(message)

    name = normalise_name(details.name or "")
    if not name:
        refuse("name", _l("Enter the name of the campaign."))
    elif len(name) > MAX_NAME:
        refuse("name", _l("At most %(max)d characters.", max=MAX_NAME))
    description = (details.description or "").strip() or None
    if description and len(description) > MAX_DESCRIPTION:
        refuse("description", _l("At most %(max)d characters.", max=MAX_DESCRIPTION))

    code = (details.unit_code or "").strip()
    unit = unit_by_code(code) if code else None
    problem = _unit_problem(actor, code, unit)
    if problem:
        refuse("unit_code", problem)
    elif name and _name_taken(name, unit, campaign):
        refuse("name", _l("This unit already has a campaign of this name."))

    required = _dose_or_none(details.required_dose)
    if required is None:
        refuse("required_dose", _l("Choose the dose that counts as up to date."))
    prior = _prior_doses(details.prior_doses or [], required, refuse)

    min_age, max_age = details.min_age, details.max_age
    if min_age is None:
        refuse("min_age", _l("Enter the youngest age of the campaign, in whole years."))
    elif not 0 <= min_age <= MAX_AGE:
        refuse("min_age", _l("An age lies between 0 and %(max)d.", max=MAX_AGE))
    if max_age is not None:
        if not 0 < max_age <= MAX_AGE:
            refuse("max_age", _l("An age lies between 0 and %(max)d.", max=MAX_AGE))
        elif min_age is not None and max_age <= min_age:
            refuse("max_age", _l("The upper age must be above the lower age (it is not included: "
                                 "\"5 to under 12\")."))

    sex = _sex_or_none(details.sex)
    if details.sex and sex is None:
        refuse("sex", _l("Choose men, women or everyone."))

    interval = details.min_interval_days
    if interval is None:
        refuse("min_interval_days", _l("Enter the days since the previous dose (0 for none)."))
    elif not 0 <= interval <= MAX_INTERVAL_DAYS:
        refuse("min_interval_days",
               _l("Between 0 and %(max)d days.", max=MAX_INTERVAL_DAYS))

    if details.starts_on is None:
        refuse("starts_on", _l("Enter the day the campaign starts."))
    if details.deadline is None:
        refuse("deadline", _l("Enter the deadline."))
    elif details.starts_on is not None and details.deadline < details.starts_on:
        refuse("deadline", _l("The deadline cannot come before the start."))

    if errors:
        raise CampaignRejected(errors)
    return {
        "name": name, "description": description, "unit": unit, "required_dose": required,
        "prior_doses": prior, "min_age": min_age, "max_age": max_age,
        "risk_groups_only": bool(details.risk_groups_only), "sex": sex,
        "min_interval_days": interval,
        "age_reference_date": details.age_reference_date or details.starts_on,
        "starts_on": details.starts_on, "deadline": details.deadline,
    }


def _unit_problem(actor, code: str, unit: AdministrativeUnit | None):
    """Why the campaign may not be run by this unit, or None when it may."""
    if not code:
        return _l("Choose the unit that runs the campaign.")
    if unit is None:
        return _l("No administrative unit has this code.")
    if actor is not None and not actor.unit.contains(unit):
        return _l("This unit lies outside your area.")
    if unit.level not in RUNNING_LEVELS:
        return _l("A campaign is run by a province, a district or a commune, not a hamlet.")
    return None


def _saved_once(change) -> None:
    """Make the change and flush it in a savepoint: two admins saving the same name at the same
    moment both pass _name_taken, and the database's constraint then refuses the second, which
    is told so beside the name, as the first check would have."""
    try:
        with db.session.begin_nested():
            change()
            db.session.flush()
    except IntegrityError:
        raise CampaignRejected(
            {"name": [_l("This unit already has a campaign of this name.")]}) from None


def _name_taken(name: str, unit: AdministrativeUnit, campaign: Campaign | None) -> bool:
    """Another campaign of the unit has this name, ignoring case and accents."""
    others = select(Campaign.name).where(Campaign.unit_id == unit.id)
    if campaign is not None:
        others = others.where(Campaign.id != campaign.id)
    wanted = fold(name)
    # A unit runs a handful of campaigns: folding in Python keeps both databases alike.
    return any(fold(other) == wanted for other in db.session.scalars(others))


def _dose_or_none(value) -> DoseKind | None:
    try:
        return DoseKind(value)
    except ValueError:
        return None


def _sex_or_none(value) -> Sex | None:
    try:
        return Sex(value) if value else None
    except ValueError:
        return None


def _prior_doses(values: list[str], required: DoseKind | None, refuse) -> list[str]:
    """The doses that must come first, in the order they are given; each one before `required`."""
    doses = [_dose_or_none(v) for v in values]
    if None in doses:
        refuse("prior_doses", _l("Choose doses from the list."))
        return []
    if required is not None and any(DOSE_ORDER.index(d) >= DOSE_ORDER.index(required) for d in doses):
        refuse("prior_doses", _l("Only doses given before %(dose)s can be asked for first.",
                                 dose=DOSE[required]))
    return [d.value for d in DOSE_ORDER if d in doses]


def _require_manages(actor, campaign: Campaign | None = None) -> None:
    """Views answer 403 or 404 before this; callers without a request must not get past either."""
    if actor is None:
        return
    if not can(actor, Action.MANAGE_CAMPAIGNS):
        raise PermissionError("this role does not manage campaigns")
    if campaign is not None and db.session.scalar(
            in_scope(actor, Campaign).where(Campaign.id == campaign.id)) is None:
        raise PermissionError("campaign outside the actor's scope")


def has_approved_list(campaign: Campaign) -> bool:
    """A district has approved a list of this campaign: what it targets is settled."""
    return db.session.scalar(select(ComplianceList.id).where(
        ComplianceList.campaign_id == campaign.id,
        ComplianceList.state == ListState.APPROVED).limit(1)) is not None


def create_campaign(actor, details: CampaignDetails) -> Campaign:
    """Add a campaign within the actor's unit; raises CampaignRejected and adds nothing otherwise."""
    _require_manages(actor)
    values = _checked(actor, details, None)
    campaign = Campaign(**values, created_by_id=getattr(actor, "id", None))
    _saved_once(lambda: db.session.add(campaign))
    record("campaign.create", "campaign", campaign.id, unit_id=campaign.unit_id, user=actor,
           after=snapshot(campaign))
    return campaign


def update_campaign(actor, campaign: Campaign, details: CampaignDetails) -> bool:
    """Change the campaign; audits what changed, before and after. False when nothing did.

    A closed campaign no longer changes. Once a list of it is approved, only its description
    and deadline may: the rest decided who is on that list.
    """
    _require_manages(actor, campaign)
    if not campaign.is_open:
        raise CampaignRejected({"": [_l("This campaign is closed: it can no longer be changed.")]})
    values = _checked(actor, details, campaign)
    before, after = snapshot(campaign), _as_record(values)
    changed = [name for name in after if after[name] != before[name]]
    locked = [name for name in changed if name not in CHANGEABLE_WHEN_APPROVED]
    if locked and has_approved_list(campaign):
        message = _l("A list of this campaign has been approved: this can no longer change.")
        errors = {_FIELD_OF.get(name, name): [message] for name in locked}
        errors[""] = [_l("A list of this campaign has been approved: only its description and "
                         "deadline can change.")]
        raise CampaignRejected(errors)
    if not changed:
        return False
    _saved_once(lambda: [setattr(campaign, name, values[name]) for name in changed])
    record("campaign.update", "campaign", campaign.id, unit_id=campaign.unit_id, user=actor,
           before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return True


def close_campaign(actor, campaign: Campaign) -> None:
    """Close the campaign: it leaves the walk and the screens; its lists stay as they are."""
    _require_manages(actor, campaign)
    if not campaign.is_open:
        raise CampaignRejected({"": [_l("This campaign was already closed on %(day)s.",
                                        day=closed_on(campaign).strftime("%d/%m/%Y"))]})
    campaign.closed_at = utcnow()
    campaign.closed_by_id = getattr(actor, "id", None)
    db.session.flush()
    record("campaign.close", "campaign", campaign.id, unit_id=campaign.unit_id, user=actor,
           before={"is_open": True}, after={"is_open": False})


def closed_on(campaign: Campaign) -> date | None:
    """The day in Vietnam the campaign was closed."""
    return local_time(campaign.closed_at).date() if campaign.closed_at else None


def campaigns_in_scope(actor) -> list[Campaign]:
    """The campaigns of units within the actor's (all of them for None): open ones first, the
    newest start first, then those closed, the latest closed first."""
    statement = select(Campaign) if actor is None else in_scope(actor, Campaign)
    return list(db.session.scalars(statement.order_by(
        Campaign.closed_at.is_not(None), Campaign.closed_at.desc(), Campaign.starts_on.desc(),
        Campaign.id.desc())))


def units_to_run(actor) -> list[AdministrativeUnit]:
    """The provinces, districts and communes within the actor's unit, each after its parent,
    by name: the units that may run a campaign of theirs."""
    units = list(db.session.scalars(select(AdministrativeUnit).where(
        AdministrativeUnit.id.in_(units_in_scope(actor)),
        AdministrativeUnit.level.in_(RUNNING_LEVELS))))
    below: dict[int | None, list[AdministrativeUnit]] = {}
    for unit in units:
        below.setdefault(unit.parent_id, []).append(unit)
    ordered: list[AdministrativeUnit] = []

    def walk(unit: AdministrativeUnit) -> None:
        ordered.append(unit)
        for child in sorted(below.get(unit.id, []), key=lambda u: fold(u.name)):
            walk(child)

    walk(actor.unit)
    return ordered


def target_in_words(campaign: Campaign) -> str:
    """Who the campaign is for, as a person says it: "5 to under 12 years, risk groups only"."""
    low, high = campaign.min_age, campaign.max_age
    if high is None:
        ages = _l("all ages") if low == 0 else _l("%(min)s years and older", min=low)
    elif low == 0:
        ages = _l("under %(max)s years", max=high)
    else:
        ages = _l("%(min)s to under %(max)s years", min=low, max=high)
    parts = [str(ages)]
    if campaign.risk_groups_only:
        parts.append(str(_l("risk groups only")))
    if campaign.sex is Sex.MALE:
        parts.append(str(_l("men only")))
    elif campaign.sex is Sex.FEMALE:
        parts.append(str(_l("women only")))
    return ", ".join(parts)
