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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.jobs.models import Job
from portal.jobs.runner import Progress, active, handler, start
from portal.lists import spreadsheets
from portal.lists.document import ListDocument, document_of, is_final
from portal.lists.models import ComplianceList, ListFile
from portal.lists.pdf import render_pdf

JOB_KIND = "list_files"


@dataclass(frozen=True)
class FileFormat:
    """A kind of file a list is given in."""

    name: str  # the file's extension, and its name in URLs and in list_files.format
    label: str  # on screen (a lazy string)
    media_type: str
    render: Callable[[ListDocument, Callable[[float], None]], bytes]  # progress hears 0 to 1
    share: int  # of the job's progress bar, in %


def _pdf(document: ListDocument, progress: Callable[[float], None]) -> bytes:
    return render_pdf(document, progress=progress)


def _xlsx(document: ListDocument, progress: Callable[[float], None]) -> bytes:
    return spreadsheets.xlsx_bytes(document)


def _csv(document: ListDocument, progress: Callable[[float], None]) -> bytes:
    return spreadsheets.csv_bytes(document)


# Every format a list is rendered, stored, offered and served in, in the order of all four.
# The PDF is nearly all of the work: it gets 5-90 % of the bar, the spreadsheets the rest.
FORMATS = (
    FileFormat("pdf", _l("PDF (to sign and file)"), "application/pdf", _pdf, 85),
    FileFormat("xlsx", _l("Excel"),
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _xlsx, 7),
    FileFormat("csv", _l("CSV"), "text/csv; charset=utf-8", _csv, 3),
)
FORMAT = {file_format.name: file_format for file_format in FORMATS}


def missing(stored: dict[str, ListFile]) -> list[FileFormat]:
    """The formats absent from `stored` (the files of an edition by format, as stored_files)."""
    return [file_format for file_format in FORMATS if file_format.name not in stored]


def stored_files(compliance_list: ComplianceList) -> dict[str, ListFile]:
    """The files of the list's current edition already rendered, by format (content not loaded)."""
    found = db.session.scalars(select(ListFile).where(
        ListFile.list_id == compliance_list.id, ListFile.final == is_final(compliance_list)))
    return {file.format: file for file in found}


def stored_files_of(lists: list[ComplianceList]) -> dict[int, dict[str, ListFile]]:
    """stored_files of each list, by list id, in one query; lists with none are left out."""
    final = {item.id: is_final(item) for item in lists}
    ready: dict[int, dict[str, ListFile]] = {}
    if not final:
        return ready
    for stored in db.session.scalars(select(ListFile).where(ListFile.list_id.in_(final))):
        if stored.final == final[stored.list_id]:
            ready.setdefault(stored.list_id, {})[stored.format] = stored
    return ready


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


def drafts_of(list_ids: list[int]) -> list[ListFile]:
    """The draft files (DỰ THẢO) of these lists (content not loaded)."""
    if not list_ids:
        return []
    return list(db.session.scalars(select(ListFile).where(
        ListFile.list_id.in_(list_ids), ListFile.final.is_(False))))


def discard_drafts(list_ids: list[int]) -> int:
    """Delete the draft files (DỰ THẢO) of these lists and this machine's copies of them; how
    many. The approved edition is the official document and stays. Flushes, never commits.

    For an erasure or the retention purge: a draft that printed someone is not kept for them.
    Copies other machines made (their own LIST_FILE_COPIES) are out of reach from here: no
    download serves them any more, and docs/privacy.md says to clear those folders by hand.
    """
    drafts = drafts_of(list_ids)
    folder = Path(current_app.config["LIST_FILE_COPIES"])
    for draft in drafts:
        (folder / f"{draft.sha256}.{draft.format}").unlink(missing_ok=True)
        db.session.delete(draft)
    db.session.flush()
    return len(drafts)


def prepare(compliance_list: ComplianceList, user) -> Job | None:
    """Start rendering the files the list still lacks; None when every one is stored."""
    if not missing(stored_files(compliance_list)):
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
    todo = missing(stored_files(compliance_list))
    document = document_of(compliance_list)
    list_id = compliance_list.id
    db.session.rollback()  # no transaction held open while rendering
    done = 5
    for fmt in todo:
        progress(done, fmt.name)
        content = fmt.render(document, lambda part: progress(done + fmt.share * part, fmt.name))
        db.session.add(ListFile(list_id=list_id, format=fmt.name, final=final,
                                sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                                content=content, created_by_id=job.created_by_id))
        try:
            db.session.commit()
        except IntegrityError:  # another job stored it meanwhile: theirs is kept
            db.session.rollback()
        done += fmt.share
