"""The national platform's doses imported into a commune: matched by ID number, else by name
and birth date when only one resident answers, the rest set aside once for matching by hand."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.extensions import db
from portal.imports.base import ImportResult
from portal.imports.doses import import_doses, parse_dose
from portal.imports.models import Import, ImportKind, UnmatchedDose
from portal.imports.reading import DOSE_FIELDS, SourceRow, Table, guess_mapping, read_table
from portal.residents.models import Dose, DoseKind, RecordSource, Resident, Sex
from portal.text import fold
from portal.units.models import AdministrativeUnit

TODAY = date(2022, 7, 8)
HEADERS = ["Họ và tên", "Ngày sinh", "Số CCCD", "Số điện thoại", "Mũi tiêm", "Tên vắc xin",
           "Ngày tiêm", "Cơ sở tiêm"]
MAPPING = {"full_name": 0, "birth_date": 1, "id_number": 2, "phone": 3, "dose": 4,
           "vaccine": 5, "date": 6, "site": 7}
SITE = "Trạm Y tế phường Cái Khế"
STRANGER = ["Phạm Văn Mới", "12/12/1985", "092085001111", "+84 912 000 111", "Mũi 1",
            "Vero Cell", "10/10/2021", SITE]


def _table(*rows) -> Table:
    """Rows as reading.py gives them: text cells, None where blank, lines from 2."""
    return Table(HEADERS, [SourceRow(line, [cell or None for cell in cells])
                           for line, cells in enumerate(rows, start=2)])


def _import(app, table: Table, mapping=MAPPING, commune_code="31117") -> ImportResult:
    """Import the table as the platform's file of a new upload, committed, in Vietnamese."""
    with app.app_context(), force_locale("vi"):
        commune = db.session.scalars(select(AdministrativeUnit).filter_by(
            code=commune_code)).one()
        upload = Import(kind=ImportKind.DOSES, commune_id=commune.id, filename="mui-tiem.csv",
                        sha256="0" * 64, size=1)
        db.session.add(upload)
        db.session.flush()
        result = import_doses(table, mapping, commune, upload.id, TODAY)
        db.session.commit()
        return result


def _doses(app, resident_id: int) -> dict[DoseKind, Dose]:
    with app.app_context():
        doses = db.session.scalars(select(Dose).filter_by(resident_id=resident_id)).all()
        db.session.expunge_all()
        return {dose.kind: dose for dose in doses}


def _unmatched(app) -> list[UnmatchedDose]:
    with app.app_context():
        rows = db.session.scalars(select(UnmatchedDose).order_by(UnmatchedDose.id)).all()
        db.session.expunge_all()
        return rows


def _snapshot(app) -> tuple[list, list]:
    """Every dose and every unmatched row, as stored."""
    with app.app_context():
        doses = [tuple(row) for row in db.session.execute(select(
            Dose.id, Dose.resident_id, Dose.kind, Dose.vaccine, Dose.given_on, Dose.place,
            Dose.source).order_by(Dose.id))]
        unmatched = [tuple(row) for row in db.session.execute(select(
            UnmatchedDose.id, UnmatchedDose.import_id, UnmatchedDose.line,
            UnmatchedDose.full_name, UnmatchedDose.id_number, UnmatchedDose.kind,
            UnmatchedDose.resident_id).order_by(UnmatchedDose.id))]
        return doses, unmatched


def _add_resident(app, name: str, born: date | int, hamlet_code: str = "31117-02",
                  id_number: str | None = None) -> int:
    """A resident of Cái Khế, born on a day or (an int) in a year only."""
    with app.app_context():
        hamlet = db.session.scalars(select(AdministrativeUnit).filter_by(code=hamlet_code)).one()
        resident = Resident(hamlet_id=hamlet.id, full_name=name, name_folded=fold(name),
                            birth_date=born if isinstance(born, date) else None,
                            birth_year=born.year if isinstance(born, date) else born,
                            sex=Sex.FEMALE, id_number=id_number)
        db.session.add(resident)
        db.session.commit()
        return resident.id


@pytest.mark.parametrize("text, kind", [
    ("1", DoseKind.DOSE_1), ("Mũi 1", DoseKind.DOSE_1), ("mũi 2", DoseKind.DOSE_2),
    ("Mũi thứ 2", DoseKind.DOSE_2), ("Mũi 3", DoseKind.BOOSTER_1),
    ("Mũi nhắc lại lần 1", DoseKind.BOOSTER_1), ("Nhắc lại 1", DoseKind.BOOSTER_1),
    ("Mũi 3 (nhắc lại lần 1)", DoseKind.BOOSTER_1), ("Mũi 4", DoseKind.BOOSTER_2),
    ("nhắc lại lần 2", DoseKind.BOOSTER_2), ("MŨI NHẮC LẠI LẦN 2", DoseKind.BOOSTER_2),
    ("Mũi bổ sung", DoseKind.ADDITIONAL), ("bổ sung", DoseKind.ADDITIONAL),
    ("", None), (None, None),
])
def test_the_platforms_names_of_doses_are_understood(text, kind):
    assert parse_dose(text) is kind


@pytest.mark.parametrize("text", ["Mũi 5", "0", "Nhắc lại 3", "Mũi nhắc lại", "Pfizer"])
def test_what_names_no_dose_is_not_guessed(text):
    with pytest.raises(ValueError):
        parse_dose(text)


def test_a_dose_is_matched_by_id_number_and_keeps_the_platforms_values(app, world):
    # The platform spells her name otherwise: the ID number decides.
    result = _import(app, _table(["Lê Thị Hồng Hoa", "30/11/1975", "092 175 000 777", "",
                                  "Mũi 3", "  Pfizer-BioNTech ", "15/03/2022", SITE]))
    assert (result.total, result.created, result.updated, result.unchanged,
            result.unmatched, result.refused) == (1, 1, 0, 0, 0, [])
    booster = _doses(app, world["hoa"])[DoseKind.BOOSTER_1]
    assert booster.source is RecordSource.PLATFORM
    assert (booster.vaccine, booster.given_on, booster.place) == \
        ("Pfizer-BioNTech", date(2022, 3, 15), SITE)
    assert _unmatched(app) == []


def test_a_dose_without_id_number_is_matched_by_name_and_birth(app, world):
    result = _import(app, _table(
        ["TRẦN VĂN NAM", "20/01/1990", "", "", "Mũi 2", "AstraZeneca", "01/10/2021", SITE],
        # a birth year alone is enough when one resident answers it
        ["Tran Van Nam", "1990", "", "", "Mũi nhắc lại lần 1", "Moderna", "01/03/2022", ""],
        # a date from a workbook, not text
        ["Trần Ngọc Bảo Anh", date(2015, 6, 1), "", "", "Mũi 1", "Pfizer-BioNTech",
         date(2022, 6, 20), SITE],
    ))
    assert (result.created, result.unmatched, result.refused) == (3, 0, [])
    nam = _doses(app, world["nam"])
    assert nam[DoseKind.DOSE_2].given_on == date(2021, 10, 1)
    assert (nam[DoseKind.BOOSTER_1].vaccine, nam[DoseKind.BOOSTER_1].place) == ("Moderna", None)
    assert _doses(app, world["be"])[DoseKind.DOSE_1].vaccine == "Pfizer-BioNTech"


def test_a_resident_known_by_the_birth_year_only_is_matched_by_the_full_date(app, world):
    grandmother = _add_resident(app, "Võ Thị Tư", 1940)
    result = _import(app, _table(["Võ Thị Tư", "15/04/1940", "", "", "Mũi 1", "AstraZeneca",
                                  "20/07/2021", SITE]))
    assert (result.created, result.unmatched) == (1, 0)
    assert set(_doses(app, grandmother)) == {DoseKind.DOSE_1}


def test_two_residents_with_the_same_name_and_birth_are_not_guessed(app, world):
    twin = _add_resident(app, "Trần Ngọc Bảo Anh", date(2015, 6, 1))
    result = _import(app, _table(["Tran Ngoc Bao Anh", "01/06/2015", "", "", "Mũi 1",
                                  "Pfizer-BioNTech", "20/06/2022", SITE]))
    assert (result.created, result.unmatched) == (0, 1)
    assert "nhiều hơn một người dân" in result.unmatched_rows[0].reasons[0]
    assert _doses(app, world["be"]) == {} and _doses(app, twin) == {}
    [stored] = _unmatched(app)
    assert (stored.full_name, stored.birth_date, stored.resident_id) == \
        ("Tran Ngoc Bao Anh", date(2015, 6, 1), None)


def test_an_unknown_person_is_set_aside_for_matching_by_hand(app, world):
    result = _import(app, _table(
        STRANGER,
        # a resident of another commune (An Hòa) is no one in Cái Khế
        ["Nguyễn Văn Đức Khánh", "02/02/1980", "", "", "Mũi 3", "Pfizer-BioNTech",
         "01/04/2022", ""],
    ))
    assert (result.total, result.created, result.unmatched) == (2, 0, 2)
    assert [row.line for row in result.unmatched_rows] == [2, 3]
    assert "Không có người dân nào của Phường Cái Khế" in result.unmatched_rows[0].reasons[0]
    stranger, khanh = _unmatched(app)
    with app.app_context():
        commune_id = db.session.scalars(select(AdministrativeUnit.id).filter_by(
            code="31117")).one()
        import_id = db.session.scalars(select(Import.id)).one()
    assert (stranger.import_id, stranger.commune_id, stranger.line) == (import_id, commune_id, 2)
    assert (stranger.full_name, stranger.birth_date, stranger.birth_year, stranger.id_number,
            stranger.phone) == ("Phạm Văn Mới", date(1985, 12, 12), 1985, "092085001111",
                                "0912000111")
    assert (stranger.kind, stranger.vaccine, stranger.given_on, stranger.place) == \
        ("dose_1", "Vero Cell", date(2021, 10, 10), SITE)
    assert (khanh.kind, khanh.place, khanh.resident_id) == ("booster_1", None, None)
    assert DoseKind.BOOSTER_1 not in _doses(app, world["khanh"])


def test_another_id_number_on_the_namesake_is_not_matched(app, world):
    result = _import(app, _table(["Nguyễn Văn Đức", "02/03/1960", "092060009999", "", "Mũi 3",
                                  "Pfizer-BioNTech", "01/04/2022", SITE]))
    assert (result.created, result.unmatched) == (0, 1)
    assert "số định danh khác" in result.unmatched_rows[0].reasons[0]
    assert DoseKind.BOOSTER_1 not in _doses(app, world["duc"])


def test_a_dose_already_recorded_is_unchanged(app, world):
    before = _snapshot(app)
    result = _import(app, _table(["Nguyễn Văn Đức", "02/03/1960", "092060001234", "", "Mũi 1",
                                  "AstraZeneca", "01/08/2021", ""]))
    assert (result.created, result.updated, result.unchanged, result.unmatched) == (0, 0, 1, 0)
    assert _snapshot(app) == before


def test_the_platform_completes_and_corrects_doses_recorded_here(app, world):
    with app.app_context():  # a card seen on a visit, without its date or vaccine
        db.session.add(Dose(resident_id=world["be"], kind=DoseKind.DOSE_1, vaccine="",
                            given_on=None, source=RecordSource.CARD))
        db.session.commit()
    result = _import(app, _table(
        ["Trần Ngọc Bảo Anh", "01/06/2015", "", "", "Mũi 1", "Pfizer-BioNTech", "20/06/2022",
         SITE],
        # the platform dates Đức's dose 2 otherwise: it is the record of reference
        ["Nguyễn Văn Đức", "02/03/1960", "092060001234", "", "Mũi 2", "AstraZeneca",
         "15/09/2021", ""],
    ))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 0)
    card = _doses(app, world["be"])[DoseKind.DOSE_1]
    assert (card.vaccine, card.given_on, card.place, card.source) == \
        ("Pfizer-BioNTech", date(2022, 6, 20), SITE, RecordSource.PLATFORM)
    second = _doses(app, world["duc"])[DoseKind.DOSE_2]
    assert (second.given_on, second.vaccine) == (date(2021, 9, 15), "AstraZeneca")


def test_the_same_dose_twice_in_the_file_is_counted_once(app, world):
    nam_dose_2 = ["Trần Văn Nam", "20/01/1990", "", "", "Mũi 2", "AstraZeneca", "01/10/2021",
                  SITE]
    result = _import(app, _table(nam_dose_2, STRANGER, nam_dose_2, STRANGER))
    assert (result.created, result.unchanged, result.unmatched, result.refused) == (1, 1, 2, [])
    assert len(_unmatched(app)) == 1


FILE = [
    ["Nguyễn Thị Lan", "09/05/1963", "092163004321", "", "Mũi 4", "Pfizer-BioNTech",
     "01/06/2022", SITE],  # new
    ["Nguyễn Văn Đức", "02/03/1960", "092060001234", "", "Mũi 1", "AstraZeneca", "01/08/2021",
     ""],  # already recorded
    ["Nguyễn Văn Đức", "02/03/1960", "092060001234", "", "Mũi 2", "AstraZeneca", "15/09/2021",
     ""],  # corrected
    ["Tran Ngoc Bao Anh", "01/06/2015", "", "", "Mũi 1", "Pfizer-BioNTech", "20/06/2022",
     ""],  # new, by name and birth
    STRANGER,  # no one
    ["Hồ Thị Lạ", "1970", "", "0912000222", "Mũi 2", "Sinopharm", "01/11/2021", ""],  # no one
    ["", "01/01/1980", "", "", "Mũi 1", "AstraZeneca", "01/08/2021", ""],  # refused
]


def test_importing_the_same_file_twice_changes_nothing(app, world):
    first = _import(app, _table(*FILE))
    assert (first.created, first.updated, first.unchanged, first.unmatched,
            len(first.refused)) == (2, 1, 1, 2, 1)
    after_first = _snapshot(app)
    second = _import(app, _table(*FILE))
    assert (second.created, second.updated, second.unchanged, second.unmatched,
            len(second.refused)) == (0, 0, 4, 2, 1)
    assert _snapshot(app) == after_first


def test_a_row_set_aside_leaves_the_list_once_its_resident_is_there(app, world):
    _import(app, _table(STRANGER))
    newcomer = _add_resident(app, "Phạm Văn Mới", date(1985, 12, 12), id_number="092085001111")
    result = _import(app, _table(STRANGER))
    assert (result.created, result.unmatched) == (1, 0)
    assert _doses(app, newcomer)[DoseKind.DOSE_1].vaccine == "Vero Cell"
    [stored] = _unmatched(app)
    assert stored.resident_id == newcomer and stored.matched_at is not None


def test_a_row_matched_by_hand_is_not_set_aside_again(app, world):
    _import(app, _table(STRANGER))
    with app.app_context():  # as the matching screen does: the dose recorded on someone
        stored = db.session.scalars(select(UnmatchedDose)).one()
        stored.resident_id = world["nam"]
        db.session.add(Dose(resident_id=world["nam"], kind=DoseKind.ADDITIONAL,
                            vaccine=stored.vaccine, given_on=stored.given_on,
                            source=RecordSource.PLATFORM))
        db.session.commit()
    before = _snapshot(app)
    result = _import(app, _table(STRANGER))
    assert (result.created, result.unchanged, result.unmatched) == (0, 1, 0)
    assert _snapshot(app) == before


def test_bad_rows_are_refused_with_the_reason_in_vietnamese(app, world):
    good = ["Trần Văn Nam", "20/01/1990", "", "", "Mũi 2", "AstraZeneca", "01/10/2021", ""]
    bad = [
        ("Họ và tên để trống", ["", "20/01/1990", "", "", "Mũi 2", "AstraZeneca", "01/10/2021",
                                ""]),
        ("không phải là ngày", good[:6] + ["31/02/2022", ""]),
        ("Ngày tiêm để trống", good[:6] + ["", ""]),
        ("tương lai", good[:6] + ["01/01/2023", ""]),
        ("trước tháng 12/2020", good[:6] + ["01/10/2012", ""]),
        ("trước ngày sinh", ["Lê Bảo Ngọc", "01/06/2021"] + good[2:6] + ["01/03/2021", ""]),
        ("trước ngày sinh", ["Lê Bảo Châu", "2022"] + good[2:6] + ["01/03/2021", ""]),
        ("không phải là mũi tiêm", good[:4] + ["Mũi 7"] + good[5:]),
        ("Mũi tiêm để trống", good[:4] + [""] + good[5:]),
        ("Tên vắc xin để trống", good[:5] + [""] + good[6:]),
        ("12 chữ số", good[:2] + ["12345"] + good[3:]),
        ("năm sinh", good[:2] + ["092060001234"] + good[3:]),  # digits 5-6 say 1960, not 1990
        ("không có số định danh", ["Trần Văn Nam", ""] + good[2:]),
    ]
    result = _import(app, _table(good, *(row for _, row in bad)))
    assert result.created == 1 and result.unmatched == 0
    assert [refused.line for refused in result.refused] == list(range(3, 3 + len(bad)))
    for refused, (word, _) in zip(result.refused, bad):
        assert word.lower() in " ".join(refused.reasons).lower(), (word, refused.reasons)
    assert set(_doses(app, world["nam"])) == {DoseKind.DOSE_1, DoseKind.DOSE_2}


def test_the_platforms_csv_imports_through_the_reader(app, world):
    lines = [",".join(HEADERS),
             'Nguyễn Thị Lan,09/05/1963,092163004321,,Mũi 4,Pfizer-BioNTech,01/06/2022,'
             f'"{SITE}"',
             '"Phạm Văn Mới",12/12/1985,092085001111,0912000111,Mũi 1,Vero Cell,10/10/2021,']
    table = read_table("mui-tiem.csv", ("\ufeff" + "\r\n".join(lines)).encode("utf-8"))
    mapping = guess_mapping(table.headers, DOSE_FIELDS)
    assert mapping == MAPPING
    result = _import(app, table, mapping)
    assert (result.created, result.unmatched, result.refused) == (1, 1, [])
    assert _doses(app, world["lan"])[DoseKind.BOOSTER_2].place == SITE
    assert [stored.line for stored in _unmatched(app)] == [3]


# --- the platform's dose wins, in bulk and by hand ------------------------------------------


def test_the_platforms_dose_takes_what_differs_and_keeps_a_place_it_does_not_give():
    from types import SimpleNamespace

    from portal.imports.platform import platform_changes

    recorded = SimpleNamespace(given_on=None, vaccine="", place="Nhà văn hóa khu vực 1")
    assert platform_changes(recorded, "Moderna", date(2022, 3, 1), None) == {
        "given_on": date(2022, 3, 1), "vaccine": "Moderna", "source": RecordSource.PLATFORM}
    assert platform_changes(recorded, "Moderna", date(2022, 3, 1), "") == {
        "given_on": date(2022, 3, 1), "vaccine": "Moderna", "source": RecordSource.PLATFORM}
    same = SimpleNamespace(given_on=date(2022, 3, 1), vaccine="Moderna", place=SITE)
    assert platform_changes(same, "Moderna", date(2022, 3, 1), SITE) == {}
    assert platform_changes(same, "Moderna", date(2022, 3, 1), None) == {}
    assert platform_changes(None, "Moderna", date(2022, 3, 1), "") == {
        "given_on": date(2022, 3, 1), "vaccine": "Moderna", "place": None,
        "source": RecordSource.PLATFORM}


def _set_aside(app, world, row=STRANGER) -> int:
    """Import one row that matches no one; the id of the UnmatchedDose it became."""
    _import(app, _table(row))
    [stored] = _unmatched(app)
    return stored.id


def test_a_dose_matched_by_hand_follows_the_same_rule_and_is_audited(app, world):
    from portal.audit.models import AuditEvent
    from portal.auth.models import User
    from portal.imports.platform import match_unmatched_dose

    with app.app_context():  # a card seen on a visit, at the commune's hall, date unknown
        db.session.add(Dose(resident_id=world["nam"], kind=DoseKind.BOOSTER_1, vaccine="",
                            given_on=None, place="Nhà văn hóa khu vực 1",
                            source=RecordSource.CARD))
        db.session.commit()
    # Trần Văn Nam as the platform has him: no ID number, born a day off, no place.
    row_id = _set_aside(app, world, ["Trần Văn Nam", "21/01/1990", "", "", "Mũi 3", "Moderna",
                                     "16/07/2021", ""])
    with app.app_context():
        lead = db.session.scalar(select(User).filter_by(username="commune_lead"))
        row = db.session.get(UnmatchedDose, row_id)
        match_unmatched_dose(row, db.session.get(Resident, world["nam"]), lead)
        db.session.commit()
        row = db.session.get(UnmatchedDose, row_id)
        assert (row.resident_id, row.matched_by_id) == (world["nam"], lead.id)
        assert row.matched_at is not None
        event = db.session.scalar(select(AuditEvent).filter_by(action="dose.match"))
        assert (event.object_id, event.user_id) == (str(world["nam"]), lead.id)
        assert event.after == {"kind": "booster_1", "given_on": "2021-07-16",
                               "import": row.import_id, "line": 2}
    booster = _doses(app, world["nam"])[DoseKind.BOOSTER_1]
    assert (booster.vaccine, booster.given_on, booster.place, booster.source) == \
        ("Moderna", date(2021, 7, 16), "Nhà văn hóa khu vực 1", RecordSource.PLATFORM)


def test_a_dose_matched_by_hand_to_someone_without_it_is_added(app, world):
    from portal.auth.models import User
    from portal.imports.platform import match_unmatched_dose

    row_id = _set_aside(app, world)  # Phạm Văn Mới's dose 1, at the ward's health station
    with app.app_context():
        lead = db.session.scalar(select(User).filter_by(username="commune_lead"))
        match_unmatched_dose(db.session.get(UnmatchedDose, row_id),
                             db.session.get(Resident, world["be"]), lead)
        db.session.commit()
    dose = _doses(app, world["be"])[DoseKind.DOSE_1]
    assert (dose.vaccine, dose.given_on, dose.place, dose.source) == \
        ("Vero Cell", date(2021, 10, 10), SITE, RecordSource.PLATFORM)


def test_a_dose_is_matched_once_and_only_to_a_resident_of_its_commune(app, world):
    from portal.auth.models import User
    from portal.imports.platform import (
        AlreadyMatched, ResidentElsewhere, match_unmatched_dose,
    )

    row_id = _set_aside(app, world)
    with app.app_context():
        lead = db.session.scalar(select(User).filter_by(username="commune_lead"))
        row = db.session.get(UnmatchedDose, row_id)
        with pytest.raises(ResidentElsewhere):  # Nguyễn Văn Đức Khánh lives in An Hòa
            match_unmatched_dose(row, db.session.get(Resident, world["khanh"]), lead)
        assert row.resident_id is None
        match_unmatched_dose(row, db.session.get(Resident, world["be"]), lead)
        db.session.commit()
        before = _snapshot(app)
        with pytest.raises(AlreadyMatched):
            match_unmatched_dose(db.session.get(UnmatchedDose, row_id),
                                 db.session.get(Resident, world["nam"]), lead)
        db.session.rollback()
    assert _snapshot(app) == before  # neither Khánh nor Nam got the dose
