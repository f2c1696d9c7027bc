"""A list's files (PDF, Excel, CSV): what they print, rendering them once, serving them.

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
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.jobs.models import Job
from portal.jobs.runner import Progress, active, handler, start
from portal.labels import COMPLIANCE_REASON
from portal.lists import spreadsheets
from portal.lists.models import ComplianceList, ListFile, ListState
from portal.lists.pdf import ListDocument, ListRow, render_pdf
from portal.residents.identity import mask_id_number
from portal.timeutil import local_time

FORMATS = ("pdf", "xlsx", "csv")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
JOB_KIND = "list_files"


def is_final(compliance_list: ComplianceList) -> bool:
    """Whether the list's files are its approved edition rather than a draft."""
    return compliance_list.state is ListState.APPROVED


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


# --- what the files print ----------------------------------------------------------------


def document_of(compliance_list: ComplianceList) -> ListDocument:
    """The list as the official document prints it, in Vietnamese whatever the screen's language."""
    with force_locale("vi"):
        return _document(compliance_list)


def _document(compliance_list: ComplianceList) -> ListDocument:
    commune = compliance_list.commune
    campaign = compliance_list.campaign
    issued = local_time(compliance_list.submitted_at or compliance_list.created_at)
    superior = commune.parent
    recipients = []
    if superior is not None:
        recipients += [f"- UBND {superior.name};", f"- Trung tâm Y tế {superior.name};"]
    recipients.append("- Lưu: VT.")
    return ListDocument(
        issuing_body=f"ỦY BAN NHÂN DÂN\n{commune.name.upper()}",
        document_number=compliance_list.document_number or "Số:        /DS-UBND",
        place_and_date=f"{commune.name}, ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}",
        title="DANH SÁCH",
        subject=(f"Người trong diện chưa được tiêm, đợt {_lower_first(campaign.name)}, "
                 f"trên địa bàn {_lower_first(commune.name)}"),
        rows=_rows(compliance_list),
        signer_caption=["TM. ỦY BAN NHÂN DÂN", *_signer_title(compliance_list.signer_title)],
        signer_name=compliance_list.signer_name or "",
        recipients=recipients,
        draft=not is_final(compliance_list),
        approved_note=_approved_note(compliance_list),
    )


def _rows(compliance_list: ComplianceList) -> list[ListRow]:
    """Rows grouped by hamlet, in the order the hamlets first appear in the list."""
    groups: dict[str, list[ListRow]] = {}
    for row in compliance_list.rows:
        notes = []
        if row.deferred_until:
            notes.append(f"Hoãn đến {row.deferred_until:%d/%m/%Y}")
        if row.reason_detail:
            notes.append(row.reason_detail)
        groups.setdefault(row.hamlet_name, []).append(ListRow(
            hamlet=row.hamlet_name,
            full_name=row.full_name,
            birth=f"{row.birth_date:%d/%m/%Y}" if row.birth_date else str(row.birth_year),
            sex="Nữ" if row.sex == "female" else "Nam",
            id_number_masked=mask_id_number(row.id_number),
            address=row.household_address or "",
            doses=row.doses_received,
            reason=str(COMPLIANCE_REASON[row.reason]),
            detail="; ".join(notes),
        ))
    return [row for rows in groups.values() for row in rows]


def _signer_title(title: str | None) -> list[str]:
    """"KT. CHỦ TỊCH" signs as a vice-chair: KT. CHỦ TỊCH over PHÓ CHỦ TỊCH (Decree 30)."""
    lines = [line.strip().upper() for line in (title or "CHỦ TỊCH").replace("/", "\n").splitlines()
             if line.strip()]
    if len(lines) == 1 and lines[0].startswith("KT. "):
        lines.append("PHÓ " + lines[0][4:])
    return lines


def _approved_note(compliance_list: ComplianceList) -> str | None:
    """"Đã phê duyệt bởi ... lúc ...": who approved the list and when, on every page."""
    from portal.auth.models import User

    if not is_final(compliance_list):
        return None
    reviewer = db.session.get(User, compliance_list.reviewed_by_id) \
        if compliance_list.reviewed_by_id else None
    who = f"{reviewer.full_name} ({reviewer.unit.name})" if reviewer else "cấp huyện"
    at = local_time(compliance_list.reviewed_at)
    return (f"Phiên bản {compliance_list.version}, đã phê duyệt trên Từng Nhà bởi {who} "
            f"lúc {at:%H:%M} ngày {at:%d/%m/%Y}.")


def _lower_first(text: str) -> str:
    """"Phường Cái Khế" inside a sentence: "phường Cái Khế"."""
    return text[:1].lower() + text[1:]
