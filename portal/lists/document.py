"""What a list says, as its PDF, Excel and CSV all print it: the document and its rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale

from portal.campaigns.rules import is_childrens_campaign
from portal.extensions import db
from portal.labels import COMPLIANCE_REASON
from portal.lists.models import ComplianceList, ListState
from portal.residents.identity import mask_id_number
from portal.timeutil import local_time
from portal.units.models import AdministrativeUnit, UnitLevel

# The list is an official document, in Vietnamese by law whatever language its reader has
# chosen for the screens. Its fixed words are written in Vietnamese where it is laid out (here,
# planning.py's headings and totals, spreadsheets.py's columns, lists/pdf.html) rather than
# put through the catalogue; what it does take from the catalogue (the reasons) is read inside
# in_document_language.
DOCUMENT_LANGUAGE = "vi"


@contextmanager
def in_document_language() -> Iterator[None]:
    """The translation catalogue in the document's language, for what a list prints or freezes."""
    with force_locale(DOCUMENT_LANGUAGE):
        yield


# Who signs a list when the lead names no one else: a vice-chair for the chair, "KT. CHỦ TỊCH"
# over "PHÓ CHỦ TỊCH" (Decree 30/2020, Appendix I), the signing block of the product's design.
DEFAULT_SIGNER_TITLE = "KT. CHỦ TỊCH"


@dataclass(frozen=True)
class ListRow:
    """One resident on the list, as it is printed."""

    hamlet: str
    full_name: str
    birth: str  # "dd/mm/yyyy", or the year alone
    sex: str  # "Nam" or "Nữ"
    id_number_masked: str
    address: str
    doses: int
    reason: str
    detail: str
    guardian: str = ""  # a minor's, "Trần Văn Nam, 0387654321": printed for children's lists
    id_number: str = ""  # whole: only on the list for the police, who check it
    resident_id: int = 0  # the record a row of the police's list answers for


@dataclass(frozen=True)
class ListDocument:
    """Everything printed on a list; rows come ordered by hamlet.

    issuing_body is printed line by line ("ỦY BAN NHÂN DÂN\\nPHƯỜNG CÁI KHẾ"), in bold; when it
    has three lines or more, the first names the body above (UBND QUẬN NINH KIỀU) and is not bold.
    """

    issuing_body: str
    document_number: str
    place_and_date: str
    title: str
    subject: str
    rows: Sequence[ListRow]
    signer_caption: Sequence[str]
    signer_name: str
    recipients: Sequence[str]
    draft: bool
    approved_note: str | None = None
    # A children's campaign's list has a column of each child's parent or guardian.
    guardian_column: bool = False
    # Another document than a compliance list: its own columns (planning.Layout), and the line
    # that closes its table when it is not grouped by hamlet.
    layout: object | None = None
    total_label: str | None = None

    @property
    def issuer_lines(self) -> list[str]:
        """The lines of issuing_body, blank ones left out."""
        return [line.strip() for line in self.issuing_body.splitlines() if line.strip()]


def document_of(compliance_list: ComplianceList) -> ListDocument:
    """The list as the official document prints it, in its language whatever the screen's."""
    with in_document_language():
        return _document(compliance_list)


def _document(compliance_list: ComplianceList) -> ListDocument:
    commune = compliance_list.commune
    campaign = compliance_list.campaign
    issued = local_time(compliance_list.submitted_at or compliance_list.created_at)
    superior = commune.parent
    recipients = []
    if superior is not None:
        recipients += [f"- UBND {superior.name};", f"- {health_body(superior)};"]
    recipients.append("- Lưu: VT.")
    return ListDocument(
        issuing_body=f"ỦY BAN NHÂN DÂN\n{commune.name.upper()}",
        document_number=compliance_list.document_number or "Số:        /DS-UBND",
        place_and_date=f"{commune.name}, ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}",
        title="DANH SÁCH",
        subject=(f"Người trong diện chưa được tiêm, đợt {_lower_first(campaign.name)}, "
                 f"trên địa bàn {_lower_first(commune.name)}"),
        rows=_rows(compliance_list),
        signer_caption=signer_caption(compliance_list.signer_title),
        signer_name=compliance_list.signer_name or "",
        recipients=recipients,
        draft=not is_final(compliance_list),
        approved_note=_approved_note(compliance_list),
        guardian_column=is_childrens_campaign(campaign),
    )


def health_body(unit: AdministrativeUnit) -> str:
    """The health body of the unit a commune answers to, as a document names it: a district's
    health centre ("Trung tâm Y tế Quận Ninh Kiều"); a province's department of health ("Sở Y
    tế Thành phố Cần Thơ"), which reviews its communes' lists where, as under the 2025 list,
    no district lies between them."""
    if unit.level is UnitLevel.PROVINCE:
        return f"Sở Y tế {unit.name}"
    return f"Trung tâm Y tế {unit.name}"


def is_final(compliance_list: ComplianceList) -> bool:
    """Whether the list's files are its approved edition rather than a draft."""
    return compliance_list.state is ListState.APPROVED


def _rows(compliance_list: ComplianceList) -> list[ListRow]:
    """Rows grouped by hamlet, in the order the hamlets first appear in the list."""
    groups: dict[str, list[ListRow]] = {}
    for row in compliance_list.rows:
        groups.setdefault(row.hamlet_name, []).append(ListRow(
            hamlet=row.hamlet_name,
            full_name=row.full_name,
            birth=f"{row.birth_date:%d/%m/%Y}" if row.birth_date else str(row.birth_year),
            sex="Nữ" if row.sex == "female" else "Nam",
            id_number_masked=mask_id_number(row.id_number),
            address=row.household_address or "",
            doses=row.doses_received,
            reason=str(COMPLIANCE_REASON[row.reason]),
            detail=deferral_note(row.deferred_until),
            guardian=str(row.guardian or ""),
        ))
    return [row for rows in groups.values() for row in rows]


def deferral_note(deferred_until: date | None) -> str:
    """The list's note on a row: a deferral's end date, and nothing else.

    The official list says what it must and no more (Decree 13/2023): the reason column gives
    the category, this the date a deferral ends. A visit's words (a medical reason, a note)
    never reach the files, not even from rows frozen before they stopped being kept (whose
    reason_detail holds them): the portal shows those to the roles that see health details.
    """
    return f"Hoãn đến {deferred_until:%d/%m/%Y}" if deferred_until else ""


def proposed_signer(versions: Sequence[ComplianceList]) -> tuple[str, str]:
    """The title and name offered for the next version (versions newest first): the last
    version's signer, or DEFAULT_SIGNER_TITLE and no name."""
    last = versions[0] if versions else None
    return ((last and last.signer_title) or DEFAULT_SIGNER_TITLE,
            (last and last.signer_name) or "")


def signer_caption(title: str | None) -> list[str]:
    """The lines above the signature for a signer title, DEFAULT_SIGNER_TITLE when none.

    "KT. CHỦ TỊCH" signs as a vice-chair: KT. CHỦ TỊCH over PHÓ CHỦ TỊCH (Decree 30); a title
    of several lines is written with "/" or line breaks.
    """
    lines = [line.strip().upper()
             for line in (title or DEFAULT_SIGNER_TITLE).replace("/", "\n").splitlines()
             if line.strip()]
    if len(lines) == 1 and lines[0].startswith("KT. "):
        lines.append("PHÓ " + lines[0][4:])
    return ["TM. ỦY BAN NHÂN DÂN", *lines]


def _approved_note(compliance_list: ComplianceList) -> str | None:
    """"Đã phê duyệt bởi ... lúc ...": who approved the list and when, on every page."""
    from portal.auth.models import User

    if not is_final(compliance_list):
        return None
    reviewer = db.session.get(User, compliance_list.reviewed_by_id) \
        if compliance_list.reviewed_by_id else None
    superior = compliance_list.commune.parent
    if reviewer is not None:
        # The province's officer works for its department of health, not for the whole city.
        place = reviewer.unit
        body = health_body(place) if place.level is UnitLevel.PROVINCE else place.name
        who = f"{reviewer.full_name} ({body})"
    else:
        who = health_body(superior) if superior is not None else "cấp trên"
    at = local_time(compliance_list.reviewed_at)
    return (f"Phiên bản {compliance_list.version}, đã phê duyệt trên Từng Nhà bởi {who} "
            f"lúc {at:%H:%M} ngày {at:%d/%m/%Y}.")


def _lower_first(text: str) -> str:
    """"Phường Cái Khế" inside a sentence: "phường Cái Khế"."""
    return text[:1].lower() + text[1:]
