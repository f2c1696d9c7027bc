"""The people whose identity the commune police should check against the population data: an
ID number whose structure disagrees with the person's birth year or sex, an ID number the
vaccination platform gives to someone else, and no ID number at all (from the age a CCCD is
issued). Nationally, in August 2022, about 15 million vaccination records carried an ID number
whose details did not match the population database: this is the commune's share of that work,
as a list to send.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.imports.models import UnmatchedDose
from portal.residents.ages import age_of
from portal.residents.identity import InvalidValue, clean_id_number
from portal.residents.models import Resident, ResidentStatus, Sex
from portal.text import fold
from portal.units.models import AdministrativeUnit

# A CCCD is issued from this age (Law on Identification 2023: compulsory from 14).
CCCD_AGE = 14


class MismatchKind(enum.StrEnum):
    """What the police are asked to check."""

    STRUCTURE = "structure"  # the number's digits disagree with the birth year or sex
    HELD_BY_ANOTHER = "held_by_another"  # the platform gives this number to another person
    MISSING = "missing"  # no ID number, aged 14 or more


@dataclass(frozen=True)
class Mismatch:
    """One person to check, and what disagrees, in words."""

    resident: Resident
    kind: MismatchKind
    detail: str


def mismatches_in(commune: AdministrativeUnit, today: date) -> list[Mismatch]:
    """The commune's people to check, by hamlet, household and name; a person may be listed
    for more than one reason."""
    hamlets = select(AdministrativeUnit.id).where(AdministrativeUnit.parent_id == commune.id)
    residents = list(db.session.scalars(
        select(Resident).where(Resident.hamlet_id.in_(hamlets),
                               Resident.status == ResidentStatus.PRESENT)))
    found: list[Mismatch] = []
    for resident in residents:
        if not resident.id_number:
            if age_of(resident, today) >= CCCD_AGE:
                found.append(Mismatch(resident, MismatchKind.MISSING,
                                      _("No ID number in the register.")))
            continue
        try:
            clean_id_number(resident.id_number, resident.birth_year,
                            resident.sex is Sex.FEMALE)
        except InvalidValue as problem:
            found.append(Mismatch(resident, MismatchKind.STRUCTURE, str(problem)))
    holders = {r.id_number: r for r in residents if r.id_number}
    for number, name, born, year in db.session.execute(
            select(UnmatchedDose.id_number, UnmatchedDose.full_name, UnmatchedDose.birth_date,
                   UnmatchedDose.birth_year)
            .where(UnmatchedDose.commune_id == commune.id, UnmatchedDose.resident_id.is_(None),
                   UnmatchedDose.id_number.in_(holders)).distinct()) if holders else ():
        holder = holders[number]
        their_year = born.year if born else year
        if fold(name) != holder.name_folded or (their_year and their_year != holder.birth_year):
            birth = f"{born:%d/%m/%Y}" if born else str(year or "?")
            found.append(Mismatch(holder, MismatchKind.HELD_BY_ANOTHER, _(
                "The vaccination platform gives this number to %(name)s, born %(birth)s.",
                name=name, birth=birth)))
    order = {kind: n for n, kind in enumerate(MismatchKind)}
    found.sort(key=lambda m: (m.resident.hamlet.name, m.resident.household_id or 0,
                              m.resident.name_folded, m.resident.id, order[m.kind]))
    return found


def counts_by_kind(mismatches: list[Mismatch]) -> dict[MismatchKind, int]:
    """How many of each kind, every kind named."""
    counts = dict.fromkeys(MismatchKind, 0)
    for mismatch in mismatches:
        counts[mismatch.kind] += 1
    return counts


MISMATCH_LABEL = {
    MismatchKind.STRUCTURE: "Số định danh không khớp năm sinh hoặc giới tính",
    MismatchKind.HELD_BY_ANOTHER: "Số định danh được ghi cho người khác",
    MismatchKind.MISSING: "Chưa có số định danh",
}


def police_document(commune: AdministrativeUnit, mismatches: list[Mismatch], today: date):
    """The list as an official document for the commune police (Decree 30/2020), in Vietnamese
    whatever the screen's language: the whole ID numbers, which the police check."""
    from portal.lists.document import (
        DEFAULT_SIGNER_TITLE, ListDocument, ListRow, in_document_language, signer_caption,
    )
    from portal.lists.planning import POLICE_LAYOUT

    with in_document_language():
        rows = [ListRow(
            hamlet=m.resident.hamlet.name, full_name=m.resident.full_name,
            birth=(f"{m.resident.birth_date:%d/%m/%Y}" if m.resident.birth_date
                   else str(m.resident.birth_year)),
            sex="Nữ" if m.resident.sex is Sex.FEMALE else "Nam", id_number_masked="",
            id_number=m.resident.id_number or "",
            address=m.resident.household.address if m.resident.household else "", doses=0,
            reason=MISMATCH_LABEL[m.kind], detail=m.detail, resident_id=m.resident.id)
            for m in mismatches]
        return ListDocument(
            issuing_body=f"ỦY BAN NHÂN DÂN\n{commune.name.upper()}",
            document_number="Số:        /DS-UBND",
            place_and_date=f"{commune.name}, ngày {today:%d} tháng {today:%m} năm {today:%Y}",
            title="DANH SÁCH",
            subject=("Người có thông tin định danh cần đối chiếu với Cơ sở dữ liệu quốc gia về "
                     f"dân cư, trên địa bàn {commune.name[:1].lower() + commune.name[1:]}"),
            rows=rows, signer_caption=signer_caption(DEFAULT_SIGNER_TITLE), signer_name="",
            recipients=[f"- Công an {commune.name};", "- Lưu: VT."], draft=False,
            layout=POLICE_LAYOUT)


def police_xlsx(document) -> bytes:
    """The same list as a spreadsheet the police can filter and answer in: the answer's
    columns empty, and each row's record code."""
    from portal.exports import xlsx_of

    header = ["STT", "Thôn, khu vực", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD/CMND",
              "Địa chỉ", "Sai lệch", "Chi tiết", *ANSWER_COLUMNS.values(), KEY_COLUMN]
    return xlsx_of([("Đối chiếu định danh", header, (
        [n, row.hamlet, row.full_name, row.birth, row.sex, row.id_number, row.address,
         row.reason, row.detail, *[None] * len(ANSWER_COLUMNS), row.resident_id]
        for n, row in enumerate(document.rows, start=1)))])


# The columns the police fill in, by the field they correct (left blank: the register is right),
# and the one that names the record (not to be changed).
ANSWER_COLUMNS = {"full_name": "Họ và tên đúng", "birth_date": "Ngày sinh đúng",
                  "sex": "Giới tính đúng", "id_number": "Số CCCD/CMND đúng"}
KEY_COLUMN = "Mã hồ sơ (không sửa)"
_PRINTED = {"full_name": "Họ và tên", "birth_date": "Ngày sinh", "sex": "Giới tính",
            "id_number": "Số CCCD/CMND"}


@dataclass
class AnswerResult:
    """What the police's answer did: people corrected, rows with nothing to change, rows refused
    with their reasons (in the user's language)."""

    corrected: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str, list[str]]] = field(default_factory=list)


def apply_police_answer(table, user, today: date) -> AnswerResult:
    """The list the police answered, read back: for each row, the values they confirmed (the
    printed ones where they wrote none), checked as an import checks them, applied to the
    record with their history (source police). A row whose record is not the user's, or whose
    values fail a check, is refused with the reason; the others are applied."""
    from portal.imports.base import check_person
    from portal.residents.corrections import Source, correct_resident
    from portal.residents.registry import same_id_number
    from portal.scope import in_scope

    headers = {fold(str(h or "")): n for n, h in enumerate(table.headers)}
    printed = {name: headers.get(fold(title)) for name, title in _PRINTED.items()}
    answered = {name: headers.get(fold(title)) for name, title in ANSWER_COLUMNS.items()}
    key = headers.get(fold(KEY_COLUMN))
    if key is None or None in printed.values():
        raise ValueError("not the list this portal made")
    result = AnswerResult()
    for row in table.rows:
        cells = row.cells
        resident_id = _number(cells[key] if key < len(cells) else None)
        name = str(cells[printed["full_name"]] or "") if printed["full_name"] < len(cells) else ""
        resident = db.session.scalar(in_scope(user, Resident).where(
            Resident.id == resident_id)) if resident_id else None
        if resident is None:
            result.refused.append((row.line, name, [_(
                "This row names no one of your commune: its record code was changed.")]))
            continue
        merged = [(cells[answered[f]] if answered[f] is not None and answered[f] < len(cells)
                   and cells[answered[f]] not in (None, "") else
                   cells[printed[f]] if printed[f] < len(cells) else None) for f in _PRINTED]
        mapping = {f: n for n, f in enumerate(_PRINTED)}
        person, reasons = check_person(merged, mapping, today, birth_required=True,
                                       gives_sex=True, refuses_bad_phone=False)
        taken = same_id_number(person.id_number) if not reasons else None
        if taken is not None and taken.id != resident.id:
            reasons.append(_("This ID number already belongs to a resident."))
        if reasons:
            result.refused.append((row.line, name, reasons))
            continue
        values = {"full_name": person.full_name, "birth_date": person.birth_date,
                  "birth_year": person.birth_year, "sex": person.sex,
                  "id_number": person.id_number}
        if correct_resident(resident, values, user=user, source=Source.POLICE):
            result.corrected += 1
        else:
            result.unchanged += 1
    return result


def _number(value) -> int | None:
    text = str(value or "").strip().removesuffix(".0")
    return int(text) if text.isdigit() and len(text) < 10 else None
