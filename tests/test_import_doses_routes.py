"""The platform's doses imported through the screens, and the ones no one matched, by hand."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.imports.models import Import, UnmatchedDose
from portal.residents.models import Dose, DoseKind, RecordSource

HEADER = ["Họ và tên", "Ngày sinh", "Số CCCD", "Số điện thoại", "Mũi tiêm", "Tên vắc xin",
          "Ngày tiêm", "Nơi tiêm"]
ROWS = [
    ["Nguyễn Văn Đức", "02/03/1960", "092060001234", "", "Mũi 3", "Pfizer", "15/07/2022",
     "Trạm Y tế phường Cái Khế"],
    # Trần Văn Nam, with a birth date one day off and no ID number: set aside for a person
    ["Trần Văn Nam", "21/01/1990", "", "", "Mũi nhắc lại lần 1", "Moderna", "16/07/2022", ""],
    ["Không Ai Cả", "01/01/1970", "", "", "Mũi 1", "Vero Cell", "01/08/2021", ""],
    ["Lê Thị Hoa", "30/11/1975", "092175000777", "", "Mũi 9", "Pfizer", "15/07/2022", ""],
]


def _csv() -> bytes:
    lines = [",".join(HEADER)] + [",".join(f'"{cell}"' for cell in row) for row in ROWS]
    return ("\ufeff" + "\r\n".join(lines)).encode("utf-8")


def test_doses_match_by_id_the_rest_wait_and_are_matched_by_hand(app, client, world):
    from portal.jobs import runner

    client.login("commune_lead")
    answer = client.post_form("/imports", {"kind": "doses", "file": (io.BytesIO(_csv()), "ntc.csv")},
                              content_type="multipart/form-data")
    runner.join_threads()  # the job that reads the file
    import_id = int(re.search(r"/imports/(\d+)$", answer.headers["Location"]).group(1))
    page = client.get(f"/imports/{import_id}").get_data(as_text=True)
    fields = {}
    for block in re.findall(r'(<select id="map-\w+".*?</select>)', page, flags=re.S):
        chosen = re.search(r'<option selected value="(\d+)"', block)
        if chosen:
            fields[re.search(r'name="(\w+)"', block).group(1)] = chosen.group(1)
    assert fields == {"full_name": "0", "birth_date": "1", "id_number": "2", "phone": "3",
                      "dose": "4", "vaccine": "5", "date": "6", "site": "7"}
    assert client.post_form(f"/imports/{import_id}/start", fields).status_code == 302
    runner.join_threads()
    with app.app_context():
        done = db.session.get(Import, import_id)
        assert (done.created, done.unmatched, done.rejected) == (1, 2, 1)
        booster = db.session.scalar(select(Dose).where(Dose.resident_id == world["duc"],
                                                       Dose.kind == DoseKind.BOOSTER_1))
        assert booster.source is RecordSource.PLATFORM and booster.vaccine == "Pfizer"
        assert booster.place == "Trạm Y tế phường Cái Khế"

    waiting = client.get("/imports/unmatched").get_data(as_text=True)
    assert "Trần Văn Nam" in waiting and "Không Ai Cả" in waiting
    assert "Là Trần Văn Nam, sinh 20/01/1990, Khu vực 1" in waiting
    assert "hãy thêm người này khi rà soát" in waiting  # nobody is called Không Ai Cả
    with app.app_context():  # the page, one bulk read: how many rows it showed
        look = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "dose.unmatched_view"))
        assert look.after == {"people": 2}
        row = db.session.scalar(select(UnmatchedDose).where(UnmatchedDose.full_name == "Trần Văn Nam"))
        row_id = row.id
    answer = client.post_form(f"/imports/unmatched/{row_id}/match", {"resident_id": world["nam"]})
    assert answer.status_code == 302
    with app.app_context():
        dose = db.session.scalar(select(Dose).where(Dose.resident_id == world["nam"],
                                                    Dose.kind == DoseKind.BOOSTER_1))
        assert dose.vaccine == "Moderna" and dose.given_on.isoformat() == "2022-07-16"
        assert db.session.get(UnmatchedDose, row_id).matched_by_id is not None
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "dose.match"))
    assert "Trần Văn Nam" not in client.get("/imports/unmatched").get_data(as_text=True)
    # A resident of another commune cannot be chosen (Bình Thủy's namesake of Đức).
    with app.app_context():
        other = db.session.scalar(select(UnmatchedDose).where(UnmatchedDose.full_name == "Không Ai Cả"))
        other_id = other.id
    assert client.post_form(f"/imports/unmatched/{other_id}/match",
                            {"resident_id": world["other"]}).status_code == 404


MAPPING = {"full_name": "0", "birth_date": "1", "id_number": "2", "phone": "3", "dose": "4",
           "vaccine": "5", "date": "6", "site": "7"}


def _imported(client) -> int:
    """Upload ROWS as the platform's file, start it as mapped, wait for the job: its id."""
    from portal.jobs import runner

    answer = client.post_form("/imports", {"kind": "doses", "file": (io.BytesIO(_csv()), "ntc.csv")},
                              content_type="multipart/form-data")
    runner.join_threads()  # the job that reads the file
    import_id = int(re.search(r"/imports/(\d+)$", answer.headers["Location"]).group(1))
    assert client.post_form(f"/imports/{import_id}/start", MAPPING).status_code == 302
    runner.join_threads()
    return import_id


def test_the_report_lists_the_rows_refused_and_those_set_aside_in_file_order(app, client, world):
    from openpyxl import load_workbook

    client.login("commune_lead")
    import_id = _imported(client)
    report = load_workbook(io.BytesIO(client.get(f"/imports/{import_id}/report").data)).active
    rows = list(report.iter_rows(values_only=True))[1:]
    assert [(row[0], row[1]) for row in rows] == [
        (3, "Trần Văn Nam"), (4, "Không Ai Cả"), (5, "Lê Thị Hoa")]
    assert "Không có người dân nào" in rows[0][-1] and "không phải là mũi tiêm" in rows[2][-1]


def test_a_dose_matched_twice_is_recorded_once(app, client, world):
    client.login("commune_lead")
    _imported(client)
    with app.app_context():
        row_id = db.session.scalar(select(UnmatchedDose.id).where(
            UnmatchedDose.full_name == "Trần Văn Nam"))
    first = client.post_form(f"/imports/unmatched/{row_id}/match", {"resident_id": world["nam"]})
    # A second tap, or a colleague choosing someone else meanwhile: the list, and no change.
    again = client.post_form(f"/imports/unmatched/{row_id}/match", {"resident_id": world["be"]})
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"].endswith("/imports/unmatched")
    with app.app_context():
        assert db.session.get(UnmatchedDose, row_id).resident_id == world["nam"]
        assert db.session.scalar(select(Dose).where(Dose.resident_id == world["be"])) is None
        assert len(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "dose.match")).all()) == 1
    nothing = client.post_form(f"/imports/unmatched/{row_id}/match", {"resident_id": ""})
    assert nothing.status_code == 302
