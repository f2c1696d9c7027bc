"""Imports of the registers: each upload, the mapping a commune uses, doses no one matched."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from portal.extensions import db
from portal.scope import ScopedBy, Within
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit, str_enum


class ImportKind(enum.StrEnum):
    """What a file brings in."""

    RESIDENTS = "residents"  # the police population register
    DOSES = "doses"  # the national vaccination platform's export


class ImportState(enum.StrEnum):
    """Where an import stands: its file being read (in a job), refused by the reading, uploaded
    (read, columns to map), running, done or failed."""

    READING = "reading"
    REFUSED = "refused"
    UPLOADED = "uploaded"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Import(db.Model):
    """One uploaded file, imported into one commune, with what came of it."""

    __tablename__ = "imports"
    __scope__ = ScopedBy("commune_id", Within.COMMUNES)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ImportKind] = mapped_column(str_enum(ImportKind))
    commune_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="RESTRICT"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    # The file itself, kept only until it is imported (it holds personal data).
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # The legacy encoding the text was converted from (tcvn3, vni), if any.
    scheme: Mapped[str | None] = mapped_column(String(16))
    headers: Mapped[list] = mapped_column(JSON, default=list)
    # The first rows, cut to what the mapping screen's preview shows (read by the job that
    # reads the upload; portal.imports.service.preview).
    sample: Mapped[list] = mapped_column(JSON, default=list)
    # Field name -> column index, as confirmed on the mapping screen.
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[ImportState] = mapped_column(str_enum(ImportState), default=ImportState.READING)
    # Why the file was refused when it was read: a key of portal.imports.reading.REFUSALS.
    refusal: Mapped[str | None] = mapped_column(String(40))
    job_id: Mapped[str | None] = mapped_column(String(36))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, default=0)
    # Fields corrected by hand since that the register would have changed back: not applied.
    conflicts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The rows that were not imported, with the reason for each (XLSX).
    report: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    commune: Mapped[AdministrativeUnit] = relationship()
    created_by = relationship("User")


class ImportMapping(db.Model):
    """The columns a commune's files use, remembered from its last confirmed import."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="CASCADE"))
    kind: Mapped[ImportKind] = mapped_column(str_enum(ImportKind))
    # Field name -> the folded header it was read from.
    columns: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("unit_id", "kind"),)


class UnmatchedDose(db.Model):
    """A dose of the platform's export that matched no resident: to be matched by hand."""

    __tablename__ = "unmatched_doses"
    __scope__ = ScopedBy("commune_id", Within.COMMUNES)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"),
                                           index=True)
    commune_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    id_number: Mapped[str | None] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # a DoseKind value
    vaccine: Mapped[str] = mapped_column(String(60))
    given_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(160))
    # Set when someone matched it by hand (the dose is then recorded).
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"))
    matched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    matched_at: Mapped[datetime | None] = mapped_column()
