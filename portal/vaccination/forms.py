"""The forms of the sessions' screens: a site, a session, a booking, and what the site records."""

from __future__ import annotations

import re
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import NOT_A_DATE, Form
from portal.ids import id_from
from portal.labels import SCREENING_CATEGORY, SITE_KIND, VACCINES
from portal.vaccination.models import SiteKind
from portal.visits.models import ScreeningCategory
from portal.visits.outcomes import deferral_end_problem

# Sessions are planned for the weeks ahead; a year is already far.
LONGEST_PLAN_DAYS = 366
# The value of the booking's choice that leaves the session to the commune.
COMMUNE_ARRANGES = "commune"
_HOUR = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _text(field) -> str | None:
    return (field.data or "").strip() or None


class SiteForm(Form):
    """A new site of a commune: its name, fixed or mobile, where it is."""

    commune = SelectField(_l("Commune"), validate_choice=False)
    name = StringField(_l("Name of the site"), render_kw={"autocomplete": "off"})
    kind = SelectField(_l("Kind of site"), validate_choice=False,
                       choices=[SelectChoice(k.value, label) for k, label in SITE_KIND.items()])
    address = StringField(_l("Address (optional)"))

    def __init__(self, *args, communes, **kwargs):
        super().__init__(*args, **kwargs)
        self.communes = {str(c.id): c for c in communes}
        self.commune.choices = [SelectChoice(str(c.id), c.name) for c in communes]

    def validate_commune(self, field):
        if field.data not in self.communes:
            raise ValidationError(_l("Choose the commune of the site."))

    def validate_name(self, field):
        name = _text(field)
        if not name:
            raise ValidationError(_l("Enter the name of the site."))
        if len(name) > 160:
            raise ValidationError(_l("At most %(n)s characters.", n=160))

    def validate_kind(self, field):
        if field.data not in set(SiteKind):
            raise ValidationError(_l("Choose the kind of site."))

    def validate_address(self, field):
        if len(_text(field) or "") > 255:
            raise ValidationError(_l("At most %(n)s characters.", n=255))

    def details(self) -> dict:
        """What the domain takes, once validated."""
        return {"commune": self.communes[self.commune.data], "name": _text(self.name),
                "kind": SiteKind(self.kind.data), "address": _text(self.address)}


class SessionForm(Form):
    """A session: where, which day, from (and until) when, how many people, which campaigns."""

    site = SelectField(_l("Site"), validate_choice=False)
    day = DateField(_l("Day"), invalid_value_message=NOT_A_DATE)
    starts_at = StringField(_l("From (hh:mm)"), default="07:30",
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    ends_at = StringField(_l("Until (hh:mm, optional)"),
                          render_kw={"inputmode": "numeric", "autocomplete": "off"})
    capacity = IntegerField(_l("Room for (people)"), default=100,
                            invalid_value_message=_l("Enter a whole number."),
                            render_kw={"inputmode": "numeric"})
    campaigns = SelectMultipleField(_l("Campaigns"), validate_choice=False, widget=ListWidget(),
                                    option_widget=CheckboxInput())

    def __init__(self, *args, sites, campaigns, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.sites = {str(s.id): s for s in sites}
        self.site.choices = [SelectChoice(str(s.id), f"{s.name} · {s.commune.name}")
                             for s in sites]
        self.open_campaigns = {str(c.id): c for c in campaigns}
        self.campaigns.choices = [SelectChoice(str(c.id), c.name) for c in campaigns]

    def validate_site(self, field):
        if field.data not in self.sites:
            raise ValidationError(_l("Choose the site."))

    def validate_day(self, field):
        if field.errors:  # not a date: said already
            return
        if field.data is None:
            raise ValidationError(_l("Enter the day of the session."))
        last = self.today + timedelta(days=LONGEST_PLAN_DAYS)
        if not self.today <= field.data <= last:
            raise ValidationError(_l("Choose a day from %(first)s to %(last)s.",
                                     first=f"{self.today:%d/%m/%Y}", last=f"{last:%d/%m/%Y}"))

    def validate_starts_at(self, field):
        if not _HOUR.match(_text(field) or ""):
            raise ValidationError(_l("Write the hour as 07:30."))

    def validate_ends_at(self, field):
        hour = _text(field)
        if hour is not None and not _HOUR.match(hour):
            raise ValidationError(_l("Write the hour as 07:30."))
        if hour is not None and _HOUR.match(_text(self.starts_at) or "") and (
                hour <= _text(self.starts_at)):
            raise ValidationError(_l("The session must end after it starts."))

    def validate_capacity(self, field):
        if field.errors:
            return
        if field.data is None or not 1 <= field.data <= 5000:
            raise ValidationError(_l("Between 1 and 5000 people."))

    def validate_campaigns(self, field):
        chosen = field.data or []
        if not chosen or any(value not in self.open_campaigns for value in chosen):
            raise ValidationError(_l("Choose one or more open campaigns."))

    def details(self) -> dict:
        """What the domain takes, once validated."""
        return {"site": self.sites[self.site.data], "day": self.day.data,
                "starts_at": _text(self.starts_at), "ends_at": _text(self.ends_at),
                "capacity": self.capacity.data,
                "campaigns": [self.open_campaigns[value] for value in self.campaigns.data]}


class BookingForm(Form):
    """An appointment for one campaign: a session with room, or left to the commune."""

    campaign = SelectField(_l("Campaign"), validate_choice=False)
    session = SelectField(_l("Session"), validate_choice=False)

    def __init__(self, *args, offers=(), **kwargs):
        """`offers`: the campaigns the person may be booked in, each with its sessions."""
        super().__init__(*args, **kwargs)
        self.offers = {str(offer.campaign.id): offer for offer in offers}
        self.campaign.choices = [SelectChoice(k, o.campaign.name) for k, o in self.offers.items()]
        sessions = {str(s.session.id): s.session for o in offers for s in o.sessions}
        self.session.choices = [SelectChoice(COMMUNE_ARRANGES, _l("Leave it to the commune"))] + [
            SelectChoice(key, key) for key in sessions]
        self.known_sessions = sessions

    def validate_campaign(self, field):
        if field.data not in self.offers:
            raise ValidationError(_l("This person cannot be booked in this campaign now: "
                                     "reload the card."))

    def validate_session(self, field):
        if field.data == COMMUNE_ARRANGES:
            return
        if id_from(field.data) is None or field.data not in self.known_sessions:
            raise ValidationError(_l("This session is no longer offered: choose another."))

    @property
    def chosen(self):
        """(campaign, session or None), once validated."""
        offer = self.offers[self.campaign.data]
        return offer.campaign, self.known_sessions.get(self.session.data)


class DoseForm(Form):
    """The dose given at the session: which vaccine, and its lot if written down."""

    vaccine = SelectField(_l("Vaccine"), validate_choice=False,
                          choices=[SelectChoice("", "—")] + [SelectChoice(v, v) for v in VACCINES])
    lot = StringField(_l("Lot (optional)"), render_kw={"autocomplete": "off"})

    def validate_vaccine(self, field):
        if field.data not in VACCINES:
            raise ValidationError(_l("Choose the vaccine given."))

    def validate_lot(self, field):
        if len(_text(field) or "") > 40:
            raise ValidationError(_l("At most %(n)s characters.", n=40))


class DeferralForm(Form):
    """What the pre-vaccination screening found: its category, a deferral's end, the reason."""

    screening_category = SelectField(
        _l("Screening result (Ministry of Health)"), validate_choice=False,
        choices=[SelectChoice("", "—")] + [SelectChoice(c.value, label)
                                           for c, label in SCREENING_CATEGORY.items()])
    deferred_until = DateField(_l("Deferred until"), validators=[Optional()],
                               invalid_value_message=NOT_A_DATE)
    reason = StringField(_l("Medical reason"), render_kw={"autocomplete": "off"})

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_screening_category(self, field):
        if field.data not in set(ScreeningCategory):
            raise ValidationError(_l("Choose the screening result."))

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then a deferral's end (Optional() stops the field's own when empty)."""
        valid = super().validate(extra_validators)
        until = self.deferred_until
        if self.screening_category.data != ScreeningCategory.DEFERRAL or until.errors:
            return valid
        problem = (_l("A deferral needs the date it ends.") if until.data is None
                   else deferral_end_problem(until.data, self.today))
        if problem:
            until.errors = [*until.errors, problem]
        return valid and not problem

    def validate_reason(self, field):
        reason = _text(field)
        if not reason:
            raise ValidationError(_l("Write the medical reason."))
        if len(reason) > 300:
            raise ValidationError(_l("At most %(n)s characters.", n=300))
