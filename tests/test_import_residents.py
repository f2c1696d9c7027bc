"""The population register imported through the screens: good rows in, bad rows reported, twice
the same file changes nothing."""

from __future__ import annotations

import io
import re

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.imports.legacy import from_unicode
from portal.imports.models import Import, ImportState
from portal.jobs import runner
from portal.residents.models import Household, Resident, ResidentSearchTerm, Sex

HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Số điện thoại", "Địa chỉ",
          "Thôn/Ấp/Tổ", "Mã hộ"]
ROWS = [
    # new people, hamlet typed without accents or its kind word
    ["1", "Phạm Thị Hường", "12/03/1985", "Nữ", "092185001111", "0901234567",
     "Số 9, đường Trần Phú", "khu vuc 1", "HGĐ-0009"],
    ["2", "Huỳnh Ngọc Ẩn", "1950", "Nam", "", "", "Số 9, đường Trần Phú", "KV1", "HGĐ-0009"],
    # already there: Nguyễn Văn Đức by his ID number, with a new phone number
    ["3", "Nguyễn Văn Đức", "02/03/1960", "Nam", "092060001234", "0987654321",
     "Số 1, đường Trần Phú", "Khu vực 1", "HGĐ-0001"],
    # already there: Lê Thị Hoa by name, birth date and household, nothing new
    ["4", "Lê Thị Hoa", "30/11/1975", "Nữ", "092175000777", "", "Số 3, đường Trần Phú",
     "Khu vực 2", "HGĐ-0101"],
    # broken rows
    ["5", "Đặng Thùy Trâm", "31/02/1990", "Nữ", "", "", "", "Khu vực 1", "HGĐ-0010"],
    ["6", "Võ Thị Sáu", "01/01/1995", "Nữ", "12345", "", "", "Khu vực 1", "HGĐ-0010"],
    ["7", "Trần Văn Tư", "01/01/1980", "Nam", "", "", "", "Ấp Mỹ Khánh", "HGĐ-0011"],
    ["8", "", "01/01/1980", "Nam", "", "", "", "Khu vực 2", "HGĐ-0012"],
    ["9", "Lý Thị Năm", "01/01/1985", "Nữ", "092185001111", "", "", "Khu vực 2", "HGĐ-0012"],
    ["10", "Mai Văn Sơn", "05/05/2099", "Nam", "", "", "", "Khu vực 2", "HGĐ-0012"],
]


def _csv(rows, header=HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(f'"{cell}"' for cell in row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines)).encode("utf-8")


def _upload(client, name: str, data: bytes, kind: str = "residents"):
    """Upload a file and wait for the job that reads it: its page then asks for the columns."""
    answer = client.post_form("/imports", {"kind": kind, "file": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")
    runner.join_threads()
    return answer


def _import(app, client, name: str, data: bytes) -> int:
    answer = _upload(client, name, data)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    import_id = int(re.search(r"/imports/(\d+)$", answer.headers["Location"]).group(1))
    page = client.get(f"/imports/{import_id}").get_data(as_text=True)
    fields = dict(re.findall(
        r'<select id="map-(\w+)" name="\w+">(?:(?!</select>).)*?<option selected value="(\d+)"',
        page, flags=re.S))
    started = client.post_form(f"/imports/{import_id}/start", fields)
    assert started.status_code == 302, started.get_data(as_text=True)
    runner.join_threads()
    return import_id


def _residents(app) -> dict[str, Resident]:
    with app.app_context():
        return {r.full_name: r for r in db.session.scalars(select(Resident)).all()}


def test_the_commune_lead_imports_good_rows_and_gets_the_bad_ones_back(app, client, world):
    client.login("commune_lead")
    before = _residents(app)
    import_id = _import(app, client, "nhan-khau.csv", _csv(ROWS))
    with app.app_context():
        done = db.session.get(Import, import_id)
        assert done.state is ImportState.DONE
        assert (done.rows_total, done.created, done.updated, done.unchanged, done.rejected) == \
            (10, 2, 1, 1, 6)
        assert done.content is None  # the file itself is not kept once imported
    after = _residents(app)
    assert set(after) - set(before) == {"Phạm Thị Hường", "Huỳnh Ngọc Ẩn"}
    huong, an = after["Phạm Thị Hường"], after["Huỳnh Ngọc Ẩn"]
    assert huong.sex is Sex.FEMALE and huong.birth_date.isoformat() == "1985-03-12"
    assert an.birth_date is None and an.birth_year == 1950
    assert huong.household_id == an.household_id  # one household, made once
    with app.app_context():  # updated in place (a namesake lives in Bình Thủy: by id)
        assert db.session.get(Resident, world["duc"]).phone == "0987654321"
    with app.app_context():  # the new people are found by search, without accents
        terms = set(db.session.scalars(select(ResidentSearchTerm.term).where(
            ResidentSearchTerm.resident_id == huong.id)))
        assert {"pham", "thi", "huong"} <= terms

    page = client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert "Bị từ chối" in page and f"/imports/{import_id}/report" in page
    report = load_workbook(io.BytesIO(client.get(f"/imports/{import_id}/report").data)).active
    rows = list(report.iter_rows(values_only=True))
    assert rows[0][0] == "Dòng" and rows[0][-1] == "Lý do"
    reasons = {row[2]: row[-1] for row in rows[1:]}
    assert set(reasons) == {"Đặng Thùy Trâm", "Võ Thị Sáu", "Trần Văn Tư", None, "Lý Thị Năm",
                            "Mai Văn Sơn"}
    assert "không phải là ngày" in reasons["Đặng Thùy Trâm"]
    assert "12 chữ số" in reasons["Võ Thị Sáu"]
    assert "Ấp Mỹ Khánh" in reasons["Trần Văn Tư"] and "Phường Cái Khế" in reasons["Trần Văn Tư"]
    assert "Họ và tên để trống" in reasons[None]
    assert "dòng 2" in reasons["Lý Thị Năm"]  # the same ID number as line 2 (the header is 1)
    assert "tương lai" in reasons["Mai Văn Sơn"]
    assert [row[0] for row in rows[1:]] == [6, 7, 8, 9, 10, 11]  # lines as Excel shows them


def test_importing_the_same_file_twice_changes_nothing(app, client, world):
    client.login("commune_lead")
    first = _import(app, client, "nhan-khau.csv", _csv(ROWS))
    with app.app_context():
        counts = (db.session.scalar(select(func.count()).select_from(Resident)),
                  db.session.scalar(select(func.count()).select_from(Household)),
                  db.session.scalar(select(func.count()).select_from(ResidentSearchTerm)))
    answer = _upload(client, "nhan-khau.csv", _csv(ROWS))
    assert "nhập lại sẽ không thay đổi gì" in client.get(answer.headers["Location"]).get_data(
        as_text=True)
    second = _import(app, client, "nhan-khau.csv", _csv(ROWS))
    with app.app_context():
        again = db.session.get(Import, second)
        assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 4, 6)
        assert (db.session.scalar(select(func.count()).select_from(Resident)),
                db.session.scalar(select(func.count()).select_from(Household)),
                db.session.scalar(select(func.count()).select_from(ResidentSearchTerm))) == counts
        assert first != second


def test_an_old_xlsx_typed_in_tcvn3_with_a_title_and_dates_as_numbers(app, client, world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([from_unicode("DANH SÁCH NHÂN KHẨU PHƯỜNG CÁI KHẾ", "tcvn3")])
    sheet.append([])
    sheet.append([from_unicode(header, "tcvn3") for header in HEADER])
    sheet.append(["1", from_unicode("Trần Thị Ánh Tuyết", "tcvn3"), 31118,  # 1985-03-12
                  from_unicode("Nữ", "tcvn3"), "", "", "", from_unicode("Khu vực 2", "tcvn3"),
                  "HGĐ-0200"])
    out = io.BytesIO()
    workbook.save(out)
    client.login("commune_lead")
    import_id = _import(app, client, "nk-cu.xlsx", out.getvalue())
    with app.app_context():
        done = db.session.get(Import, import_id)
        assert done.scheme == "tcvn3" and done.created == 1, (done.rejected, done.scheme)
    tuyet = _residents(app)["Trần Thị Ánh Tuyết"]
    assert tuyet.birth_date.isoformat() == "1985-03-12"


def test_a_file_that_cannot_be_read_is_refused_and_nothing_is_kept(app, client, world):
    client.login("commune_lead")
    answer = _upload(client, "nhan-khau.pdf", b"%PDF-1.7")
    assert answer.status_code == 422 and ".csv, .xlsx" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Import)) == 0
    # One that takes reading to tell is refused by the job that reads it, and dropped.
    answer = _upload(client, "nhan-khau.xlsx", b"PK\x03\x04 not really a workbook")
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Tệp bị hỏng" in page and 'id="map-full_name"' not in page
    with app.app_context():
        refused = db.session.scalars(select(Import)).one()
        assert refused.state is ImportState.REFUSED and refused.refusal == "damaged"
        assert refused.content is None and refused.headers == []
    assert "Tệp bị hỏng" in client.get("/imports").get_data(as_text=True)  # in the history too


def test_the_mapping_needs_the_required_columns_once_each(app, client, world):
    client.login("commune_lead")
    answer = _upload(client, "nk.csv", _csv(ROWS[:1]))
    import_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    refused = client.post_form(f"/imports/{import_id}/start", {"full_name": "1"})
    assert refused.status_code == 422 and "dấu *" in refused.get_data(as_text=True)
    twice = client.post_form(f"/imports/{import_id}/start",
                             {"full_name": "1", "birth_date": "1", "hamlet": "7"})
    assert twice.status_code == 422 and "một mục" in twice.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Import, import_id).state is ImportState.UPLOADED


def test_an_admin_imports_into_a_commune_of_their_scope_and_the_history_shows_it(
        app, client, world, units):
    client.login("admin")
    answer = client.post_form("/imports", {"kind": "residents",
                                           "file": (io.BytesIO(_csv(ROWS[:1])), "nk.csv")},
                              content_type="multipart/form-data")
    assert answer.status_code == 422 and "Hãy chọn xã, phường" in answer.get_data(as_text=True)
    answer = client.post_form("/imports", {
        "kind": "residents", "commune": str(units["31117"]),
        "file": (io.BytesIO(_csv(ROWS[:1])), "nk.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 302
    history = client.get("/imports").get_data(as_text=True)
    assert "nk.csv" in history and "Phường Cái Khế" in history and "admin" in history


def test_a_file_over_the_size_limit_is_refused_in_vietnamese(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    client.login("commune_lead")
    answer = _upload(client, "rat-lon.csv", _csv(ROWS * 400))  # about 100 KB
    assert answer.status_code == 413
    assert "quá lớn" in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Import)) == 0


def test_a_resident_renamed_by_the_register_is_found_under_the_new_name_only(app, client, world):
    client.login("commune_lead")
    renamed = ["1", "Nguyễn Hữu Đức", "02/03/1960", "Nam", "092060001234", "", "",
               "Khu vực 1", "HGĐ-0001"]
    import_id = _import(app, client, "doi-ten.csv", _csv([renamed]))
    with app.app_context():
        assert db.session.get(Import, import_id).updated == 1
        terms = set(db.session.scalars(select(ResidentSearchTerm.term).where(
            ResidentSearchTerm.resident_id == world["duc"])))
    assert terms == {"nguyen", "huu", "duc"}  # "van" is gone


def test_an_upload_form_left_empty_says_what_is_missing_beside_each_field(app, client, world):
    client.login("admin")
    answer = client.post_form("/imports", {}, content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Hãy chọn tệp chứa dữ liệu gì." in page
    assert 'id="commune-error">Hãy chọn xã, phường của tệp.</p>' in page
    assert 'id="file-error">Hãy chọn tệp để tải lên.</p>' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Import)) == 0


def _district_admin(app) -> str:
    """An administrator of Quận Ninh Kiều only (Cái Khế, An Hòa; not Bình Thủy): their name."""
    from portal.auth.models import Role, User
    from portal.units.models import AdministrativeUnit

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        db.session.add(User(username="admin.ninhkieu", full_name="Quản trị Ninh Kiều",
                            password_hash=admin.password_hash, role=Role.ADMIN,
                            unit=db.session.scalar(select(AdministrativeUnit).where(
                                AdministrativeUnit.code == "916"))))
        db.session.commit()
    return "admin.ninhkieu"


def test_an_upload_takes_only_a_known_kind_and_a_commune_in_scope(app, client, world, units):
    client.login(_district_admin(app))
    data = _csv(ROWS[:1])
    answer = client.post_form("/imports", {"kind": "vaccines", "commune": str(units["31117"]),
                                           "file": (io.BytesIO(data), "nk.csv")},
                              content_type="multipart/form-data")
    assert answer.status_code == 422 and "Hãy chọn tệp chứa dữ liệu gì." in answer.get_data(
        as_text=True)
    answer = client.post_form("/imports", {"kind": "residents", "commune": str(units["31183"]),
                                           "file": (io.BytesIO(data), "nk.csv")},
                              content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and 'id="commune-error">Hãy chọn xã, phường' in page
    assert re.search(r'<input checked[^>]*value="residents"', page)  # the choice is kept
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Import)) == 0


def test_the_commune_is_chosen_by_those_above_a_commune_only(app, client, world):
    client.login("commune_lead")
    assert 'name="commune"' not in client.get("/imports").get_data(as_text=True)
    client.post_form("/logout")
    client.login(_district_admin(app))
    page = client.get("/imports").get_data(as_text=True)
    assert 'name="commune"' in page and "Phường Cái Khế" in page and "Phường An Hòa" in page
    assert "Phường Bình Thủy" not in page


def test_a_file_that_cannot_be_read_is_answered_beside_the_file_field(app, client, world):
    client.login("commune_lead")
    answer = _upload(client, "nhan-khau.pdf", b"%PDF-1.7")
    assert answer.status_code == 422
    assert re.search(r'id="file-error">[^<]*\.csv, \.xlsx', answer.get_data(as_text=True))


def test_an_upload_without_its_csrf_token_is_refused(app, client, world):
    client.login("commune_lead")
    answer = client.post("/imports", data={"kind": "residents",
                                           "file": (io.BytesIO(_csv(ROWS[:1])), "nk.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Import)) == 0


def test_a_mapping_refused_says_why_beside_each_field_and_keeps_the_choices(app, client, world):
    client.login("commune_lead")
    answer = _upload(client, "nk.csv", _csv(ROWS[:1]))
    import_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    page = client.post_form(f"/imports/{import_id}/start",
                            {"full_name": "1", "sex": "3"}).get_data(as_text=True)
    assert 'id="map-birth_date-error">Hãy chọn cột cho mỗi mục có dấu *.</p>' in page
    assert 'id="map-hamlet-error">Hãy chọn cột cho mỗi mục có dấu *.</p>' in page
    assert "map-full_name-error" not in page and "map-sex-error" not in page
    assert re.search(r'name="sex">(?:(?!</select>).)*<option selected value="3"', page, re.S)
    page = client.post_form(f"/imports/{import_id}/start", {
        "full_name": "1", "birth_date": "1", "hamlet": "7"}).get_data(as_text=True)
    assert 'id="map-full_name-error">Mỗi cột chỉ ứng với một mục.</p>' in page
    assert 'id="map-birth_date-error">Mỗi cột chỉ ứng với một mục.</p>' in page
    assert "map-hamlet-error" not in page
    # A column the file does not have, or no number, maps nothing.
    refused = client.post_form(f"/imports/{import_id}/start",
                               {"full_name": "1", "birth_date": "99", "hamlet": "x"})
    assert refused.status_code == 422
    assert 'id="map-birth_date-error"' in refused.get_data(as_text=True)


def test_a_childrens_register_brings_each_childs_parent_or_guardian(app, client, world):
    header = HEADER + ["Họ tên cha/mẹ", "SĐT người giám hộ"]
    rows = [
        ["1", "Phạm Gia Bảo", "03/02/2016", "Nam", "", "", "Số 9, đường Trần Phú", "Khu vực 1",
         "HGĐ-0009", "Phạm Thị   Hường", "+84 901 234 567"],
        ["2", "Phạm Gia Hân", "05/06/2018", "Nữ", "", "", "Số 9, đường Trần Phú", "Khu vực 1",
         "HGĐ-0009", "Phạm Thị Hường", "0281234567"],  # a landline: no mobile to call
        # Already there, without a guardian: the register gives her one.
        ["3", "Trần Ngọc Bảo Anh", "01/06/2015", "Nữ", "", "", "", "Khu vực 1", "HGĐ-0002",
         "Trần Văn Nam", "0387654321"],
    ]
    client.login("commune_lead")
    import_id = _import(app, client, "tre-em.csv", _csv(rows, header))
    with app.app_context():
        done = db.session.get(Import, import_id)
        assert (done.created, done.updated, done.rejected) == (1, 1, 1)
        assert done.mapping["guardian_name"] == 9 and done.mapping["guardian_phone"] == 10
    people = _residents(app)
    bao, anh = people["Phạm Gia Bảo"], people["Trần Ngọc Bảo Anh"]
    assert (bao.guardian_name, bao.guardian_phone) == ("Phạm Thị Hường", "0901234567")
    assert (anh.guardian_name, anh.guardian_phone) == ("Trần Văn Nam", "0387654321")
    assert "Phạm Gia Hân" not in people
    report = load_workbook(io.BytesIO(client.get(f"/imports/{import_id}/report").data)).active
    [(line, *_, reason)] = list(report.iter_rows(values_only=True))[1:]
    assert line == 3 and reason.startswith("Số điện thoại người giám hộ: ")
    assert "số di động Việt Nam" in reason


# Rows of people already imported once: enough words that one broken cell does not make the
# whole file look garbled (legacy.looks_garbled), so that the row itself must be refused.
UNCHANGED = [["", "Huỳnh Ngọc Ẩn", "1950", "Nam", "", "", "Số 9, đường Trần Phú", "KV1",
              "HGĐ-0009"]] * 12


def test_a_cell_with_a_nul_byte_is_a_refused_row_with_its_reason(app, client, world):
    rows = [["1", "Phạm Thị\x00Hường", "12/03/1985", "Nữ", "", "", "Số 9, đường Trần Phú",
             "Khu vực 1", "HGĐ-0009"], *UNCHANGED]
    client.login("commune_lead")
    import_id = _import(app, client, "nhan-khau.csv", _csv(rows))
    with app.app_context():
        done = db.session.get(Import, import_id)
        assert (done.state, done.created, done.rejected) == (ImportState.DONE, 1, 1)
    assert "Phạm Thị Hường" not in _residents(app)
    report = load_workbook(io.BytesIO(client.get(f"/imports/{import_id}/report").data)).active
    refused = list(report.iter_rows(values_only=True))[1]
    assert refused[2] == "Phạm Thị\ufffdHường"  # shown where it was, which XLSX cannot hold
    assert refused[-1] == ("Cột “Họ và tên” chứa ký tự điều khiển không nhìn thấy được "
                           "(như NUL).")


def test_an_id_number_in_fullwidth_digits_is_the_resident_with_those_digits(app, client, world):
    rows = [["1", "Nguyễn Văn Đức", "02/03/1960", "Nam", "０９２ ０６０ ００１ ２３４",
             "０９８７ ６５４ ３２１", "Số 1, đường Trần Phú", "Khu vực 1", "HGĐ-0001"]]
    client.login("commune_lead")
    import_id = _import(app, client, "nhan-khau.csv", _csv(rows))
    with app.app_context():
        done = db.session.get(Import, import_id)
        assert (done.created, done.updated, done.rejected) == (0, 1, 0)
        duc = db.session.get(Resident, world["duc"])
        assert (duc.id_number, duc.phone) == ("092060001234", "0987654321")
