"""What users see for the codes the data stores: roles, levels, doses, outcomes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.auth.models import Role
from portal.auth.throttle import THROTTLED, Throttle
from portal.lists.models import ComplianceReason, ListState
from portal.residents.models import DoseKind, ResidentStatus, Sex
from portal.units.models import UnitLevel
from portal.units.tree import reviewed_by_province
from portal.vaccination.models import AppointmentState, SiteKind
from portal.visits.followup import FollowUp
from portal.visits.models import Outcome, RefusalReason, ScreeningCategory
from portal.visits.outcomes import Standing

ROLE = {
    Role.SCREENER: _l("Screener"),
    Role.COMMUNE_LEAD: _l("Commune lead"),
    Role.DISTRICT_OFFICER: _l("District officer"),
    Role.CLERK: _l("Clerk"),
    Role.ADMIN: _l("Administrator"),
}

# A district officer bound to a province works for its health department: under the 2025
# two-level list no district lies between the province and its communes.
PROVINCE_OFFICER = _l("Provincial health officer")


def role_label(user) -> str:
    """The user's role as the screens name it, the province's officer's as such."""
    if user.role is Role.DISTRICT_OFFICER and user.unit.level is UnitLevel.PROVINCE:
        return str(PROVINCE_OFFICER)
    return str(ROLE[user.role])


LEVEL = {
    UnitLevel.PROVINCE: _l("Provinces"),
    UnitLevel.DISTRICT: _l("Districts"),
    UnitLevel.COMMUNE: _l("Communes and wards"),
    UnitLevel.HAMLET: _l("Hamlets and residential groups"),
}

DOSE = {
    DoseKind.DOSE_1: _l("Dose 1"),
    DoseKind.DOSE_2: _l("Dose 2"),
    DoseKind.ADDITIONAL: _l("Additional dose"),
    DoseKind.BOOSTER_1: _l("Booster 1 (dose 3)"),
    DoseKind.BOOSTER_2: _l("Booster 2 (dose 4)"),
}

OUTCOME = {
    Outcome.UP_TO_DATE: _l("Up to date (card seen)"),
    Outcome.WILLING: _l("Willing, not yet vaccinated"),
    Outcome.ABSENT: _l("Not at home"),
    Outcome.REFUSED: _l("Refused"),
    Outcome.CONTRAINDICATED: _l("Contraindication or deferral"),
    Outcome.HOMEBOUND: _l("Cannot leave home"),
    Outcome.HOSPITALISED: _l("In hospital or COVID treatment"),
    Outcome.MOVED_AWAY: _l("Moved away"),
    Outcome.DECEASED: _l("Deceased"),
}

REFUSAL_REASON = {
    RefusalReason.SIDE_EFFECTS: _l("Afraid of side effects"),
    RefusalReason.OTHER_VACCINE: _l("Waiting for another vaccine"),
    RefusalReason.RELIGIOUS: _l("Religious reasons"),
    RefusalReason.FAMILY: _l("Family objects"),
    RefusalReason.OTHER: _l("Other reason"),
}

SCREENING_CATEGORY = {
    ScreeningCategory.CONTRAINDICATION: _l("Contraindicated"),
    ScreeningCategory.DEFERRAL: _l("Deferred until a date"),
    ScreeningCategory.CAUTION: _l("Caution: vaccinate at a hospital"),
}

STANDING = {
    Standing.NOT_TARGETED: _l("Not in this campaign"),
    Standing.LEFT: _l("No longer lives here"),
    Standing.UP_TO_DATE: _l("Up to date"),
    Standing.TO_VISIT: _l("To visit"),
    Standing.WILLING: _l("Willing: needs an appointment"),
    Standing.REFUSED: _l("Refused"),
    Standing.CONTRAINDICATED: _l("Contraindicated"),
    Standing.DEFERRED: _l("Deferred"),
    Standing.DEFERRAL_ENDED: _l("Deferral ended: visit again"),
    Standing.CAUTION: _l("Vaccinate at a hospital"),
    Standing.HOMEBOUND: _l("Cannot leave home"),
    Standing.HOSPITALISED: _l("In hospital"),
    Standing.ABSENT: _l("Not at home: visit again"),
}

FOLLOW_UP = {
    FollowUp.REVISITS: _l("Revisits due"),
    FollowUp.DEFERRALS: _l("Deferrals ending"),
    FollowUp.REFUSALS: _l("Refusals to revisit"),
    FollowUp.HOMEBOUND: _l("Homebound (mobile team)"),
}

VACCINES = ["AstraZeneca", "Pfizer-BioNTech", "Moderna", "Vero Cell", "Sputnik V", "Abdala",
            "Hayat-Vax", "Janssen"]


# Why a resident is on a compliance list, as the list prints it.
COMPLIANCE_REASON = {
    ComplianceReason.CONTRAINDICATED: _l("Contraindicated"),
    ComplianceReason.DEFERRED: _l("Deferred"),
    ComplianceReason.CAUTION: _l("Vaccinate at a hospital"),
    ComplianceReason.REFUSED: _l("Refused"),
    ComplianceReason.ABSENT: _l("Not at home"),
    ComplianceReason.HOMEBOUND: _l("Cannot leave home"),
    ComplianceReason.HOSPITALISED: _l("In hospital"),
    ComplianceReason.WILLING: _l("Willing: needs an appointment"),
    ComplianceReason.NOT_VISITED: _l("Not yet visited"),
}

LIST_STATE = {
    ListState.DRAFT: _l("Draft"),
    ListState.SUBMITTED: _l("Waiting for review"),
    ListState.APPROVED: _l("Approved"),
    ListState.RETURNED: _l("Returned"),
}

# The audit trail's actions, by what was done to what.
AUDIT_ACTION = {
    "user.login": _l("Logged in"),
    "user.logout": _l("Logged out"),
    "user.create": _l("Account created"),
    "user.update": _l("Account changed"),
    "user.deactivate": _l("Account deactivated"),
    "user.reactivate": _l("Account reactivated"),
    "user.password_reset": _l("Password reset"),
    "resident.view": _l("Looked at a resident's health details"),
    "resident.create": _l("Resident added"),
    "resident.correct": _l("A person's record corrected"),
    "household.correct": _l("A household's record corrected"),
    "resident.merge": _l("Two records of one person merged"),
    "household.create": _l("Household added"),
    "unit.rename": _l("A hamlet renamed"),
    "report.download": _l("Downloaded a daily report"),
    "units.load": _l("The official list of units loaded"),
    "unit.create": _l("A hamlet added"),
    "household.merge": _l("Two households merged"),
    "resident.hand_over": _l("A person handed over to another commune"),
    "resident.receive": _l("A person received from another commune"),
    "resident.unmerge": _l("A merge undone"),
    "resident.not_duplicate": _l("Two records kept apart: different people"),
    "duplicates.view": _l("Looked at the likely duplicates"),
    "mismatches.view": _l("Looked at the identities to check with the police"),
    "mismatches.download": _l("Downloaded the identities to check with the police"),
    "mismatches.answer": _l("Applied the police's answer to the identities to check"),
    "resident.search_id": _l("Searched by ID number"),
    "resident.erase": _l("A person's data erased"),
    "visit.create": _l("Visit recorded"),
    "visit.undo": _l("Visit undone"),
    "audit.view": _l("Looked at the audit trail"),
    "follow_up.view": _l("Looked at a follow-up list"),
    "offline.copy": _l("Copied a hamlet to a phone for work offline"),
    "list.preview": _l("Looked at a commune's list"),
    "coverage.people": _l("Looked at the people behind a coverage figure"),
    "list.view": _l("Looked at a submitted list"),
    "list.submit": _l("List submitted"),
    "list.approve": _l("List approved"),
    "list.return": _l("List returned"),
    "list.download": _l("List downloaded"),
    "import.upload": _l("File uploaded for import"),
    "import.run": _l("File imported"),
    "import.refuse": _l("File refused for import"),
    "dose.unmatched_view": _l("Looked at the doses to match by hand"),
    "dose.match": _l("Dose matched by hand"),
    "campaign.create": _l("Campaign created"),
    "campaign.update": _l("Campaign changed"),
    "campaign.close": _l("Campaign closed"),
    THROTTLED: _l("Login paused or slowed"),
    "campaign.purge": _l("A closed campaign's data purged after its retention period"),
    "site.create": _l("Vaccination site added"),
    "site.close": _l("Vaccination site closed"),
    "session.create": _l("Vaccination session planned"),
    "session.cancel": _l("Vaccination session cancelled"),
    "session.view": _l("Looked at a session's list of people"),
    "appointment.book": _l("Appointment booked"),
    "appointment.cancel": _l("Appointment cancelled"),
    "appointment.vaccinated": _l("Dose given at a session"),
    "appointment.missed": _l("Did not come to the session"),
    "appointment.deferred": _l("Deferred at the pre-vaccination screening"),
    "appointment.undo": _l("Session record undone"),
}

# Which count stopped a login (portal/auth/throttle.py).
THROTTLE = {
    Throttle.ACCOUNT_AT_ADDRESS: _l("This account from this address: paused"),
    Throttle.ADDRESS: _l("Every account from this address: paused"),
    Throttle.ACCOUNT: _l("This account from every address: slowed"),
}

# What a running job is doing (portal.jobs), shown above its progress bar.
JOB_STAGE = {
    "queued": _l("Waiting for its turn"),
    "started": _l("Starting"),
    "reading": _l("Reading the list"),
    "reading_file": _l("Reading the file"),
    "pdf": _l("Making the PDF"),
    "xlsx": _l("Making the Excel file"),
    "csv": _l("Making the CSV file"),
    "importing": _l("Checking and importing the rows"),
    "done": _l("Done"),
}

# The fields an import maps columns to (portal/imports/reading.py).
IMPORT_FIELD = {
    "full_name": _l("Full name"),
    "birth_date": _l("Date of birth"),
    "sex": _l("Sex"),
    "id_number": _l("ID number (CCCD/CMND)"),
    "phone": _l("Phone"),
    "address": _l("Address"),
    "hamlet": _l("Hamlet"),
    "household_code": _l("Household code"),
    "guardian_name": _l("Parent or guardian's name"),
    "guardian_phone": _l("Parent or guardian's phone"),
    "dose": _l("Dose"),
    "vaccine": _l("Vaccine"),
    "date": _l("Date of the dose"),
    "site": _l("Where it was given"),
}

IMPORT_KIND = {"residents": _l("Residents (population register)"),
               "doses": _l("Doses (national vaccination platform)")}

IMPORT_STATE = {"reading": _l("Reading the file"), "refused": _l("File refused"),
                "uploaded": _l("Columns to map"), "running": _l("Importing"),
                "done": _l("Imported"), "failed": _l("Failed")}


# The columns of the commune lead's table of a campaign (visits/progress.PROGRESS_COLUMNS).
PROGRESS_COLUMN = {
    "to_visit": _l("To visit"),
    "willing": _l("Willing"),
    "refused": _l("Refused"),
    "contraindicated": _l("Contraindicated"),
    "deferred": _l("Deferred"),
    "homebound": _l("Cannot leave home"),
    "hospitalised": _l("In hospital"),
    "absent": _l("Not at home"),
    "up_to_date": _l("Up to date"),
}


# The fields of other events' before and after (a visit's, a user's), for the audit trail.
AUDIT_FIELD = {
    "resident_id": _l("Resident"), "campaign_id": _l("Campaign"), "outcome": _l("Outcome"),
    "standing": _l("Where they stand"), "refusal_reason": _l("Reason for refusing"),
    "screening_category": _l("Screening result"), "deferred_until": _l("Deferred until"),
    "reason": _l("Medical reason"), "note": _l("Note"), "role": _l("Role"),
    "full_name": _l("Full name"), "undone": _l("Undone"),
    "appointment": _l("Appointment"), "session_id": _l("Session"), "dose_id": _l("Dose"),
    "dose": _l("Dose"), "vaccine": _l("Vaccine"), "visit_id": _l("Visit"), "site": _l("Site"),
    "day": _l("Day"), "starts_at": _l("From"), "capacity": _l("Room for (people)"),
    "campaigns": _l("Campaigns"), "appointments_cancelled": _l("Appointments cancelled"),
}

# The fields of a campaign as its form names them, for the audit trail's before and after.
CAMPAIGN_FIELD = {
    "name": _l("Name of the campaign"), "description": _l("Description"),
    "unit": _l("Unit that runs it"), "required_dose": _l("Dose that counts as up to date"),
    "prior_doses": _l("Doses that must come before it"), "min_age": _l("From the age of"),
    "max_age": _l("Under the age of"), "risk_groups_only": _l("Only people of a high-risk group"),
    "sex": _l("Sex"), "min_interval_days": _l("Days since the previous dose, at least"),
    "age_reference_date": _l("Ages counted on"), "starts_on": _l("Starts on"),
    "deadline": _l("Deadline"),
}
SEX = {Sex.MALE: _l("Men only"), Sex.FEMALE: _l("Women only")}
# A person's sex, as coverage is cut by it.
PERSON_SEX = {Sex.MALE: _l("Men"), Sex.FEMALE: _l("Women")}

DUPLICATE_EVIDENCE = {
    "name_and_birth_date": _l("Same name, same date of birth"),
    "phone_and_year_in_household": _l("Same household, phone and year of birth"),
}

MISMATCH_KIND = {
    "structure": _l("ID number disagrees with the birth year or sex"),
    "held_by_another": _l("ID number given to someone else"),
    "missing": _l("No ID number"),
}

SITE_KIND = {
    SiteKind.FIXED: _l("Fixed site"),
    SiteKind.MOBILE: _l("Mobile team"),
}

APPOINTMENT_STATE = {
    AppointmentState.BOOKED: _l("Expected"),
    AppointmentState.VACCINATED: _l("Vaccinated"),
    AppointmentState.MISSED: _l("Did not come"),
    AppointmentState.DEFERRED: _l("Deferred at screening"),
    AppointmentState.CANCELLED: _l("Cancelled"),
}

RESIDENT_STATUS = {
    ResidentStatus.PRESENT: _l("Lives here"),
    ResidentStatus.MOVED_AWAY: _l("Moved away"),
    ResidentStatus.DECEASED: _l("Deceased"),
}
YES_NO = {True: _l("yes"), False: _l("no")}


def register(app) -> None:
    """Make the label maps available to every template."""
    app.jinja_env.globals.update(
        ROLE_LABEL=ROLE, LEVEL_LABEL=LEVEL, DOSE_LABEL=DOSE, OUTCOME_LABEL=OUTCOME, REFUSAL_LABEL=REFUSAL_REASON, CATEGORY_LABEL=SCREENING_CATEGORY,
        STANDING_LABEL=STANDING, FOLLOW_UP_LABEL=FOLLOW_UP, AUDIT_ACTION_LABEL=AUDIT_ACTION,
        REASON_LABEL=COMPLIANCE_REASON, LIST_STATE_LABEL=LIST_STATE, JOB_STAGE_LABEL=JOB_STAGE,
        IMPORT_FIELD_LABEL=IMPORT_FIELD, IMPORT_KIND_LABEL=IMPORT_KIND,
        IMPORT_STATE_LABEL=IMPORT_STATE, PROGRESS_COLUMN_LABEL=PROGRESS_COLUMN,
        THROTTLE_LABEL=THROTTLE, RESIDENT_STATUS_LABEL=RESIDENT_STATUS,
        DUPLICATE_EVIDENCE_LABEL=DUPLICATE_EVIDENCE, PERSON_SEX_LABEL=PERSON_SEX,
        SITE_KIND_LABEL=SITE_KIND, APPOINTMENT_STATE_LABEL=APPOINTMENT_STATE,
        role_label=role_label, reviewed_by_province=reviewed_by_province,
    )
