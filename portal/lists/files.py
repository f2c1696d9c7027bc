"""A list's files (PDF, Excel, CSV): rendering them once, storing them, serving them.

A list's rows are frozen when it is submitted and an approved list never changes, so each
file is rendered once, by a job, and stored with its SHA-256 (ListFile); every download is
those bytes. A list not yet approved gets draft files, marked DỰ THẢO; its approved files
are rendered when it is approved.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.jobs.models import Job
from portal.jobs.runner import Progress, active, handler, start
from portal.lists import spreadsheets
from portal.lists.document import document_of, is_final
from portal.lists.models import ComplianceList, ListFile
from portal.lists.pdf import render_pdf

FORMATS = ("pdf", "xlsx", "csv")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
JOB_KIND = "list_files"


def stored_files(compliance_list: ComplianceList) -> dict[str, ListFile]:
    """The files of the list's current edition already rendered, by format (content not loaded)."""
    found = db.session.scalars(select(ListFile).where(
        ListFile.list_id == compliance_list.id, ListFile.final == is_final(compliance_list)))
    return {file.format: file for file in found}


def stored_file(compliance_list: ComplianceList, file_format: str) -> ListFile | None:
    """One stored file of the list's current edition (its bytes not loaded: see local_copy)."""
    return db.session.scalar(select(ListFile).where(
        ListFile.list_id == compliance_list.id, ListFile.final == is_final(compliance_list),
        ListFile.format == file_format))


def local_copy(stored: ListFile) -> Path:
    """The file's bytes on this machine's disk, copied from the database on first use.

    A stored file never changes, so a copy named by its SHA-256 is the file for good: every
    later download is a read of the disk, not a megabyte through the database driver. The
    copy is written aside and renamed into place, so a reader never sees half of it; a copy
    of the wrong size (a disk error) is written again.
    """
    folder = Path(current_app.config["LIST_FILE_COPIES"])
    path = folder / f"{stored.sha256}.{stored.format}"
    if path.is_file() and path.stat().st_size == stored.size:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    content = db.session.scalar(select(ListFile.content).where(ListFile.id == stored.id))
    if hashlib.sha256(content).hexdigest() != stored.sha256:
        raise RuntimeError(f"list file {stored.id}: its bytes no longer match their SHA-256")
    partial = folder / f".{stored.sha256}.{os.getpid()}.{threading.get_ident()}"
    partial.write_bytes(content)
    os.replace(partial, path)
    return path


def prepare(compliance_list: ComplianceList, user) -> Job | None:
    """Start rendering the files the list still lacks; None when every one is stored."""
    if len(stored_files(compliance_list)) == len(FORMATS):
        return None
    return start(JOB_KIND, subject_type="list", subject_id=compliance_list.id,
                 unit_id=compliance_list.commune_id, user=user)


def job_under_way(compliance_list: ComplianceList) -> Job | None:
    return active(JOB_KIND, "list", compliance_list.id)


def file_name(compliance_list: ComplianceList, file_format: str) -> str:
    """"DS-Phuong-Cai-Khe-v2.pdf": ASCII, so every browser and mail client keeps it."""
    from portal.text import fold

    commune = "-".join(fold(compliance_list.commune.name).title().split())
    draft = "" if is_final(compliance_list) else "-du-thao"
    return f"DS-{commune}-v{compliance_list.version}{draft}.{file_format}"


@handler(JOB_KIND)
def render_files(job: Job, progress: Progress) -> None:
    """The job: render the formats of the list's current edition not yet stored, store each."""
    compliance_list = db.session.get(ComplianceList, job.subject_id)
    progress(2, "reading")
    final = is_final(compliance_list)
    todo = [fmt for fmt in FORMATS if fmt not in stored_files(compliance_list)]
    document = document_of(compliance_list)
    list_id = compliance_list.id
    db.session.rollback()  # no transaction held open while rendering
    renderers = {
        "pdf": lambda: render_pdf(
            document, progress=lambda share: progress(5 + 85 * share, "pdf")),
        "xlsx": lambda: spreadsheets.xlsx_bytes(document),
        "csv": lambda: spreadsheets.csv_bytes(document),
    }
    # The PDF is nearly all of the work: it gets 5-90 %, the spreadsheets share the rest.
    share = {"pdf": 85, "xlsx": 7, "csv": 3}
    done = 5
    for fmt in todo:
        progress(done, fmt)
        content = renderers[fmt]()
        db.session.add(ListFile(list_id=list_id, format=fmt, final=final,
                                sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                                content=content, created_by_id=job.created_by_id))
        try:
            db.session.commit()
        except IntegrityError:  # another job stored it meanwhile: theirs is kept
            db.session.rollback()
        done += share[fmt]
