"""Imports every model so the metadata is complete (Alembic, relationships by name)."""

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User, UserSession, user_hamlets
from portal.campaigns.models import Campaign
from portal.coverage.models import CampaignStanding, CoverageCount, CoverageDay
from portal.imports.models import Import, ImportKind, ImportMapping, ImportState, UnmatchedDose
from portal.jobs.models import Job, JobState
from portal.lists.models import (
    ComplianceList, ComplianceListRow, ComplianceReason, ListFile, ListState,
)
from portal.residents.models import (
    Dose, DoseKind, Household, RecordSource, Resident, ResidentSearchTerm, ResidentStatus, Sex,
)
from portal.units.models import AdministrativeUnit, UnitLevel
from portal.vaccination.models import (
    Appointment, AppointmentState, SiteKind, VaccinationSession, VaccinationSite, session_campaigns,
)
from portal.visits.models import Outcome, RefusalReason, ScreeningCategory, Visit

__all__ = [
    "AdministrativeUnit", "AuditEvent", "Campaign", "CampaignStanding", "CoverageCount",
    "CoverageDay", "ComplianceList", "ComplianceListRow",
    "ComplianceReason", "Dose", "DoseKind", "Household", "Import", "ImportKind", "ImportMapping", "ImportState", "Job", "JobState", "ListFile", "ListState", "Outcome", "RecordSource",
    "RefusalReason", "Resident", "ResidentSearchTerm", "ResidentStatus", "Role", "ScreeningCategory", "Sex",
    "UnitLevel", "UnmatchedDose", "User", "UserSession", "Visit", "user_hamlets",
    "Appointment", "AppointmentState", "SiteKind", "VaccinationSession", "VaccinationSite",
    "session_campaigns",
]
