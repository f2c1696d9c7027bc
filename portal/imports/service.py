"""An import's life: the file uploaded and kept, read by a job, its columns mapped, then
imported by another job.

The request only keeps the file and starts the job that reads it (`read_upload`): anyone who
may import can upload anything, and a spreadsheet can cost far more to read than its size
says, so no web worker reads one. That job keeps the file's headers, a bounded preview of its
first rows and the mapping suggested, or refuses the file with the reason
(portal.imports.reading refuses what no register is) and drops it.

The import job reads the stored file again, imports the rows (residents.py, doses.py), keeps
the report of refused rows (XLSX), the counts and the audit event, then drops the file itself:
it holds personal data that is now in the database, or refused and in the report.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from sqlalchemy import select

from portal.audit.log import record
from portal.exports import xlsx_of
from portal.extensions import db
from portal.imports.models import Import, ImportKind, ImportMapping, ImportState
from portal.imports.reading import (
    DOSE_FIELDS,
    RESIDENT_FIELDS,
    Cell,
    Table,
    UnreadableFile,
    check_upload,
    guess_mapping,
    read_table,
)
from portal.jobs.models import Job
from portal.jobs.runner import Progress, handler, start
from portal.text import fold, shortened
from portal.timeutil import local_time, today_local, utcnow
from portal.units.models import AdministrativeUnit

FIELDS = {ImportKind.RESIDENTS: RESIDENT_FIELDS, ImportKind.DOSES: DOSE_FIELDS}
REQUIRED = {
    ImportKind.RESIDENTS: ("full_name", "birth_date", "hamlet"),
    ImportKind.DOSES: ("full_name", "birth_date", "dose", "vaccine", "date"),
}
# The preview of the first rows on the mapping screen: enough of them, and of their columns,
# to recognise a register (a dozen or two), each cell cut to what a phone's column shows.
SAMPLE_ROWS = 5
PREVIEW_COLUMNS = 30
PREVIEW_CHARS = 40
READ_JOB_KIND = "import_read"
JOB_KIND = "import"


def upload(filename: str, data: bytes, kind: ImportKind, commune: AdministrativeUnit,
           user) -> Import:
    """Keep the file and start the job that reads it (commits). What the file shows without
    being read (no spreadsheet's name, nothing in it) raises UnreadableFile, and nothing is kept.
    """
    check_upload(filename, data)
    upload = Import(
        kind=kind, commune_id=commune.id, filename=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(), size=len(data), content=data,
        state=ImportState.READING, created_by_id=user.id,
    )
    db.session.add(upload)
    db.session.flush()
    record("import.upload", "import", upload.id, unit_id=commune.id, user=user,
           after={"kind": kind.value, "file": upload.filename, "sha256": upload.sha256,
                  "size": upload.size})
    job = start(READ_JOB_KIND, subject_type="import", subject_id=upload.id,
                unit_id=commune.id, user=user)
    upload.job_id = job.id
    db.session.commit()
    return upload


@handler(READ_JOB_KIND)
def read_upload(job: Job, progress: Progress) -> None:
    """The job: read the stored file and keep what the mapping screen shows (its headers, the
    preview, the mapping suggested), or refuse it, with the reason, and drop it."""
    upload = db.session.get(Import, job.subject_id)
    try:
        progress(10, "reading_file")
        try:
            table = read_table(upload.filename, upload.content)
        except UnreadableFile as unreadable:
            refuse(upload, unreadable.reason, job.created_by_id)
        else:
            upload.scheme, upload.headers = table.scheme, table.headers
            upload.sample = preview(table)
            upload.rows_total = len(table.rows)
            upload.mapping = suggested_mapping(upload.kind, upload.commune, table.headers)
            upload.state = ImportState.UPLOADED
        db.session.commit()
    except Exception:
        _failed(job.subject_id)
        raise


def refuse(upload: Import, reason: str, user_id: int | None) -> None:
    """The file is no register it can read (reason: a key of reading.REFUSALS): the import
    says why, the file is dropped, and the refusal is in the audit trail (which files someone
    tried is worth knowing)."""
    from portal.auth.models import User

    upload.state, upload.refusal = ImportState.REFUSED, reason
    upload.content = None
    upload.finished_at = utcnow()
    record("import.refuse", "import", upload.id, unit_id=upload.commune_id,
           user=db.session.get(User, user_id) if user_id else None,
           after={"file": upload.filename, "sha256": upload.sha256, "reason": reason})


def preview(table: Table) -> list[list]:
    """The first rows as the mapping screen shows them: SAMPLE_ROWS rows of PREVIEW_COLUMNS
    columns at most, each cell PREVIEW_CHARS characters at most, dates as dd/mm/yyyy."""
    return [[_preview_cell(cell) for cell in row.cells[:PREVIEW_COLUMNS]]
            for row in table.rows[:SAMPLE_ROWS]]


def _failed(import_id: int) -> None:
    """After an error no one foresaw: the import failed and its file is dropped (commits)."""
    db.session.rollback()
    upload = db.session.get(Import, import_id)
    upload.state = ImportState.FAILED
    upload.content = None
    upload.finished_at = utcnow()
    db.session.commit()


def suggested_mapping(kind: ImportKind, commune: AdministrativeUnit,
                      headers: list[str]) -> dict[str, int]:
    """The commune's saved mapping where its headers are in this file, else a guess from them."""
    mapping = guess_mapping(headers, FIELDS[kind])
    saved = db.session.scalar(select(ImportMapping).where(
        ImportMapping.unit_id == commune.id, ImportMapping.kind == kind))
    if saved is not None:
        folded = [fold(header) for header in headers]
        for field, header in saved.columns.items():
            if header in folded:
                mapping = {name: index for name, index in mapping.items()
                           if index != folded.index(header)}
                mapping[field] = folded.index(header)
    return mapping


def previous_import(upload: Import) -> Import | None:
    """The same file imported before into the same commune, if it was."""
    return db.session.scalar(select(Import).where(
        Import.sha256 == upload.sha256, Import.commune_id == upload.commune_id,
        Import.id != upload.id, Import.state == ImportState.DONE,
    ).order_by(Import.id.desc()).limit(1))


def begin(upload: Import, mapping: dict[str, int], user) -> Job:
    """Remember the mapping for the commune's next files and start importing (commits)."""
    upload.mapping = mapping
    saved = db.session.scalar(select(ImportMapping).where(
        ImportMapping.unit_id == upload.commune_id, ImportMapping.kind == upload.kind))
    if saved is None:
        saved = ImportMapping(unit_id=upload.commune_id, kind=upload.kind)
        db.session.add(saved)
    saved.columns = {field: fold(upload.headers[index]) for field, index in mapping.items()}
    upload.state = ImportState.RUNNING
    db.session.flush()
    job = start(JOB_KIND, subject_type="import", subject_id=upload.id, unit_id=upload.commune_id,
                user=user)
    upload.job_id = job.id
    db.session.commit()
    return job


@handler(JOB_KIND)
def run_import(job: Job, progress: Progress) -> None:
    """The job: import the stored file as mapped, keep the report and the counts."""
    from portal.auth.models import User
    from portal.imports.residents import import_residents

    upload = db.session.get(Import, job.subject_id)
    try:
        progress(2, "reading_file")
        table = read_table(upload.filename, upload.content)
        progress(10, "importing")

        # The import checks every row (fractions up to 0.5), then writes them all in one
        # transaction (above 0.5). SQLite has one writer: while that transaction holds it,
        # the progress, written on a connection of its own, would wait for it. So on SQLite
        # the bar stops at the end of the checks until the import is done.
        one_writer = db.engine.dialect.name == "sqlite"

        def share(fraction: float) -> None:
            if not (one_writer and fraction > 0.5):
                progress(10 + 85 * fraction, "importing")

        today = today_local()
        user = db.session.get(User, job.created_by_id) if job.created_by_id else None
        if upload.kind is ImportKind.RESIDENTS:
            result = import_residents(table, upload.mapping, upload.commune, today, share,
                                      import_id=upload.id, user=user)
        else:
            from portal.imports.doses import import_doses

            result = import_doses(table, upload.mapping, upload.commune, upload.id, today, share)
        upload.created, upload.updated = result.created, result.updated
        upload.unchanged, upload.rejected = result.unchanged, len(result.refused)
        upload.unmatched = result.unmatched
        upload.conflicts = len(result.conflicts)
        # The report: the refused rows, for doses those set aside for matching by hand, and
        # for the register what it changed and what it did not overwrite.
        left = result.left_over()
        upload.report = (report_xlsx(table, left, result.changes, result.conflicts)
                         if left or result.changes or result.conflicts else None)
        upload.state = ImportState.DONE
    except Exception:
        _failed(job.subject_id)
        raise
    upload.rows_total = len(table.rows)
    upload.content = None
    upload.finished_at = utcnow()
    record("import.run", "import", upload.id, unit_id=upload.commune_id, user=user,
           after={"kind": upload.kind.value, "rows": upload.rows_total,
                  "created": upload.created, "updated": upload.updated,
                  "unchanged": upload.unchanged, "rejected": upload.rejected,
                  "unmatched": upload.unmatched, "conflicts": upload.conflicts})
    db.session.commit()
    current_app.logger.info("import %s done: %s rows", upload.id, upload.rows_total)


def report_xlsx(table: Table, refused, changes=(), conflicts=()) -> bytes:
    """The import's report: the refused rows as they were in the file, with the line and the
    reasons beside them; for a register, a sheet of what it changed (each field, before and
    after) and one of the corrections made by hand that it did not overwrite."""
    from portal.residents.corrections import FIELD_LABEL, names_of, shown, stored

    names = names_of([(c.field, stored(v)) for c in changes for v in (c.before, c.after)]
                     + [(c.field, stored(v)) for c in conflicts for v in (c.kept, c.register)])

    def words(field: str, value) -> str:
        return shown(field, stored(value), names, masked=False)

    def label(field: str) -> str:
        return str(FIELD_LABEL.get(field, field))

    sheets = [("Dòng không nhập được", ["Dòng", *table.headers, "Lý do"],
               ([row.line, *row.cells, "; ".join(row.reasons)] for row in refused))]
    if changes:
        sheets.append(("Đã cập nhật", ["Dòng", "Họ và tên", "Thông tin", "Trước", "Sau"], (
            [c.line, c.name, label(c.field), words(c.field, c.before), words(c.field, c.after)]
            for c in changes)))
    if conflicts:
        sheets.append(("Đã sửa tay, chưa cập nhật", [
            "Dòng", "Họ và tên", "Thông tin", "Giữ (đã sửa tay)", "Theo sổ", "Người sửa",
            "Lúc sửa"], (
            [c.line, c.name, label(c.field), words(c.field, c.kept), words(c.field, c.register),
             c.by, local_time(c.at).strftime("%d/%m/%Y %H:%M")] for c in conflicts)))
    return xlsx_of(sheets)


def _preview_cell(cell: Cell) -> str | None:
    """A cell as the mapping screen's preview shows it (dates as dd/mm/yyyy, text cut)."""
    if cell is None:
        return None
    if isinstance(cell, str):
        return shortened(cell, PREVIEW_CHARS)
    return cell.strftime("%d/%m/%Y")
