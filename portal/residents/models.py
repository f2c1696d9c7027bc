"""Households, residents and doses as the register and the screeners know them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.scope import ScopedBy, Within
from portal.timeutil import utcnow
from portal.units.models import AdministrativeUnit, str_enum


class Sex(enum.StrEnum):
    """Sex as recorded in the population register."""

    MALE = "male"
    FEMALE = "female"


class ResidentStatus(enum.StrEnum):
    """Whether the person still lives here; moved away and deceased leave every target population."""

    PRESENT = "present"
    MOVED_AWAY = "moved_away"
    DECEASED = "deceased"


class RecordSource(enum.StrEnum):
    """Where a record came from."""

    REGISTER = "register"  # the police population register
    PLATFORM = "platform"  # the national vaccination platform
    SCREENING = "screening"  # entered here by a screener or a commune lead
    CARD = "card"  # seen on a vaccination card during a visit
    SESSION = "session"  # given at a vaccination session and recorded from its list


class DoseKind(enum.StrEnum):
    """Which dose of the COVID-19 schedule, in the order they are given."""

    DOSE_1 = "dose_1"
    DOSE_2 = "dose_2"
    ADDITIONAL = "additional"
    BOOSTER_1 = "booster_1"
    BOOSTER_2 = "booster_2"


class Household(db.Model):
    """A household (hộ gia đình) in a hamlet."""

    __tablename__ = "households"
    __scope__ = ScopedBy("hamlet_id", Within.HAMLETS)

    id: Mapped[int] = mapped_column(primary_key=True)
    hamlet_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(255))
    head_name: Mapped[str | None] = mapped_column(String(120))
    # Who answers for the household's children, when not said on the child.
    guardian_name: Mapped[str | None] = mapped_column(String(120))
    guardian_phone: Mapped[str | None] = mapped_column(String(16))

    hamlet: Mapped[AdministrativeUnit] = relationship()
    residents: Mapped[list[Resident]] = relationship(back_populates="household")

    __table_args__ = (UniqueConstraint("hamlet_id", "code"),)


class Resident(db.Model):
    """A person on the register or found by a screener."""

    __tablename__ = "residents"
    __scope__ = ScopedBy("hamlet_id", Within.HAMLETS)

    id: Mapped[int] = mapped_column(primary_key=True)
    hamlet_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="RESTRICT"), index=True
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    full_name: Mapped[str] = mapped_column(String(120))
    # The name without diacritics, lower case ("nguyen van duc"), for search and duplicates.
    name_folded: Mapped[str] = mapped_column(String(120))
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_year: Mapped[int] = mapped_column(Integer)
    sex: Mapped[Sex] = mapped_column(str_enum(Sex))
    # CCCD (12 digits) or CMND (9 digits); optional, unique when present.
    id_number: Mapped[str | None] = mapped_column(String(12), unique=True)
    phone: Mapped[str | None] = mapped_column(String(16))
    # A minor's parent or guardian, when it is not the household's.
    guardian_name: Mapped[str | None] = mapped_column(String(120))
    guardian_phone: Mapped[str | None] = mapped_column(String(16))
    chronic_condition: Mapped[bool] = mapped_column(Boolean, default=False)
    immunocompromised: Mapped[bool] = mapped_column(Boolean, default=False)
    pregnant: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ResidentStatus] = mapped_column(
        str_enum(ResidentStatus), default=ResidentStatus.PRESENT
    )
    # The day a status other than present took effect (moved away on, died on), when known.
    status_since: Mapped[date | None] = mapped_column(Date)
    source: Mapped[RecordSource] = mapped_column(
        str_enum(RecordSource), default=RecordSource.REGISTER
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    hamlet: Mapped[AdministrativeUnit] = relationship()
    household: Mapped[Household | None] = relationship(back_populates="residents")
    doses: Mapped[list[Dose]] = relationship(
        back_populates="resident", order_by="Dose.given_on", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_residents_hamlet_name", "hamlet_id", "name_folded"),
        Index("ix_residents_name_folded", "name_folded"),
        Index("ix_residents_phone", "phone"),
    )


class Dose(db.Model):
    """One dose of COVID-19 vaccine given to a resident."""

    __tablename__ = "doses"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    kind: Mapped[DoseKind] = mapped_column(str_enum(DoseKind))
    vaccine: Mapped[str] = mapped_column(String(60))
    # None when a card was seen but its date not written down.
    given_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(160))
    # The vial's lot number, when the site's staff write it down.
    lot: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[RecordSource] = mapped_column(str_enum(RecordSource))
    # The visit whose card check proved this dose, when that is where it came from.
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="doses")

    # A person has each dose of the schedule once; this also makes re-imports harmless.
    __table_args__ = (UniqueConstraint("resident_id", "kind"),)


# Folded words compare byte by byte on PostgreSQL too, so a prefix is one index range.
_TERM = String(40).with_variant(String(40, collation="C"), "postgresql")


class ResidentSearchTerm(db.Model):
    """One folded word of a resident's name, filed under their commune: the search index."""

    __tablename__ = "resident_search_terms"

    commune_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="CASCADE"), primary_key=True
    )
    term: Mapped[str] = mapped_column(_TERM, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class RegisterChange(db.Model):
    """One field of a person or a household changed, with what it was and what it became: the
    register is corrected, never overwritten without a trace (portal/residents/corrections.py).

    A row of a person names the resident; a row of a household's own field (its address)
    names the household only. The values are kept as text in a stable form (ISO dates, codes,
    ids), shown in words by corrections.shown. They go with the person on an erasure.
    """

    __tablename__ = "register_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The fields changed by one save share it: they are shown together.
    change_id: Mapped[str] = mapped_column(String(36))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(32))
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # corrections.Source
    # The import that made it, for a change an import made.
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who it was, as they were named then (an account may be renamed or removed later).
    user_name: Mapped[str | None] = mapped_column(String(120))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_register_changes_resident", "resident_id", "changed_at"),
        Index("ix_register_changes_household", "household_id", "changed_at"),
    )


class NotDuplicate(db.Model):
    """Two residents a commune lead judged to be two people: not offered as a pair again."""

    __tablename__ = "not_duplicates"

    first_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True)
    second_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResidentMerge(db.Model):
    """Two records of one person made one: the survivor holds every visit and dose of both.

    The merged person's record (its columns) and what moved to the survivor (ids by table) are
    kept, and the survivor's empty fields it filled, so that an admin can undo it exactly.
    """

    __tablename__ = "resident_merges"
    __scope__ = ScopedBy("commune_id", Within.COMMUNES)

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"))
    merged_id: Mapped[int] = mapped_column(Integer)
    commune_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="CASCADE"))
    merged_record: Mapped[dict] = mapped_column(JSON)
    moved: Mapped[dict] = mapped_column(JSON)
    filled: Mapped[dict] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column()

    survivor: Mapped[Resident | None] = relationship(foreign_keys=[survivor_id])

    __table_args__ = (Index("ix_resident_merges_commune", "commune_id", "merged_at"),)


class ResidentHandover(db.Model):
    """A person who moved to another commune of the portal: handed over by the commune they
    left (where they are moved away from that day), received by the other into a hamlet."""

    __tablename__ = "resident_handovers"
    __scope__ = ScopedBy("to_commune_id", Within.COMMUNES)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    from_commune_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="CASCADE"))
    to_commune_id: Mapped[int] = mapped_column(
        ForeignKey("administrative_units.id", ondelete="CASCADE"))
    handed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handed_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    received_at: Mapped[datetime | None] = mapped_column()

    resident: Mapped[Resident] = relationship()
    from_commune: Mapped[AdministrativeUnit] = relationship(foreign_keys=[from_commune_id])

    __table_args__ = (Index("ix_resident_handovers_to", "to_commune_id", "received_at"),)
