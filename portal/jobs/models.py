"""A job: slow work (a list's PDF, an import) done off the request, with its progress."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.scope import ScopedBy
from portal.timeutil import utcnow
from portal.units.models import str_enum


class JobState(enum.StrEnum):
    """Where a job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def own_jobs(user):
    """Whoever started a job may watch it, wherever it works."""
    return Job.created_by_id == user.id


class Job(db.Model):
    """One piece of slow work; its id is a random UUID, its subject what it works on.

    A job on a subject (a list, an import) is in scope when its subject is; one on nothing
    else, when it works in the user's units or the user started it.
    """

    __tablename__ = "jobs"
    __scope__ = ScopedBy("unit_id", widened=own_jobs)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # What the job works on ("list", 12): scope checks and "is one already running?".
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[JobState] = mapped_column(str_enum(JobState), default=JobState.QUEUED)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    # What it is doing now, a key of portal.labels.JOB_STAGE.
    stage: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    created_by = relationship("User")

    __table_args__ = (db.Index("ix_jobs_subject", "subject_type", "subject_id"),)

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)
