"""Search by name without accents, by word prefix, ID number, phone or household, in scope only."""

from __future__ import annotations

import time

import pytest
import time_machine
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.extensions import db
from portal.residents.search import search_residents

from helpers import HX


def _names(app, role: Role, query: str) -> list[str]:
    with app.app_context():
        user = db.session.query(User).filter_by(role=role).one()
        return [r.full_name for r in search_residents(user, query)]


@pytest.mark.parametrize("query", ["nguyen van duc", "Nguyễn Văn Đức", "NGUYEN VAN DUC",
                                   "duc", "van duc", "ng v d", "đức"])
def test_a_name_typed_without_accents_finds_the_accented_name(app, world, query):
    assert "Nguyễn Văn Đức" in _names(app, Role.SCREENER, query)


def test_words_match_at_their_start_only(app, world):
    assert _names(app, Role.SCREENER, "uc") == []
    assert _names(app, Role.SCREENER, "guyen") == []
    assert _names(app, Role.SCREENER, "tran") == ["Trần Ngọc Bảo Anh", "Trần Văn Nam"]


def test_search_stays_within_the_users_scope(app, world):
    # Two men named Nguyễn Văn Đức: one in Cái Khế, one in Bình Thủy (another district).
    assert _names(app, Role.SCREENER, "nguyen van duc") == ["Nguyễn Văn Đức"]
    assert _names(app, Role.COMMUNE_LEAD, "duc") == ["Nguyễn Văn Đức"]
    district = _names(app, Role.DISTRICT_OFFICER, "duc")  # Ninh Kiều: Cái Khế and An Hòa
    assert sorted(district) == ["Nguyễn Văn Đức", "Nguyễn Văn Đức Khánh"]
    assert sorted(_names(app, Role.ADMIN, "nguyen van duc")) == [
        "Nguyễn Văn Đức", "Nguyễn Văn Đức", "Nguyễn Văn Đức Khánh"]


def test_the_exact_start_of_a_name_ranks_first(app, world):
    assert _names(app, Role.DISTRICT_OFFICER, "nguyen van duc")[0] == "Nguyễn Văn Đức"


@pytest.mark.parametrize("query, expected", [
    ("092060001234", ["Nguyễn Văn Đức"]),
    ("092 060 001 234", ["Nguyễn Văn Đức"]),
    ("0912345678", ["Nguyễn Văn Đức"]),
    ("+84 912 345 678", ["Nguyễn Văn Đức"]),
    ("0387.654.321", ["Trần Văn Nam"]),
])
def test_id_numbers_and_phones_find_their_owner(app, world, query, expected):
    assert _names(app, Role.SCREENER, query) == expected


def test_a_household_code_finds_its_members(app, world):
    assert sorted(_names(app, Role.SCREENER, "HGĐ-0002")) == ["Trần Ngọc Bảo Anh", "Trần Văn Nam"]


@pytest.mark.parametrize("query", ["' OR 1=1 --", "%", "_", "\\", "nguyen%' --", "'; DROP TABLE residents; --"])
def test_sql_characters_are_just_text(app, world, query):
    assert _names(app, Role.ADMIN, query) == []
    assert _names(app, Role.ADMIN, "tran") == ["Trần Ngọc Bảo Anh", "Trần Văn Nam"]


def test_at_most_twenty_results(app, world):
    from portal.residents.models import Resident
    from portal.residents.search import index_resident
    from portal.text import fold

    with app.app_context():
        duc = db.session.get(Resident, world["duc"])
        for n in range(30):
            twin = Resident(hamlet_id=duc.hamlet_id, full_name=f"Nguyễn Văn Út {n}",
                            name_folded=fold(f"Nguyễn Văn Út {n}"), birth_year=1970, sex=duc.sex)
            db.session.add(twin)
            db.session.flush()
            index_resident(twin, duc.hamlet.parent_id)
        db.session.commit()
    assert len(_names(app, Role.SCREENER, "nguyen van ut")) == 20


def test_a_rare_combination_of_common_words_is_found(app, world):
    """Both words have more index entries than the search reads; their one meeting is found."""
    from portal.residents.models import Resident
    from portal.residents.search import CANDIDATES, index_resident
    from portal.text import fold

    with app.app_context():
        duc = db.session.get(Resident, world["duc"])
        names = [f"Nguyễn Thị Hoa {n}" for n in range(CANDIDATES + 20)]
        names += [f"Trần Văn Hải {n}" for n in range(CANDIDATES + 20)]
        names.append("Trần Thị Hoa")
        for name in names:
            person = Resident(hamlet_id=duc.hamlet_id, full_name=name, name_folded=fold(name),
                              birth_year=1970, sex=duc.sex)
            db.session.add(person)
            db.session.flush()
            index_resident(person, duc.hamlet.parent_id)
        db.session.commit()
    assert _names(app, Role.COMMUNE_LEAD, "tran hoa") == ["Trần Thị Hoa"]
    assert _names(app, Role.COMMUNE_LEAD, "hoa tran") == ["Trần Thị Hoa"]


def test_results_come_as_you_type_in_a_fragment(client, world):
    client.login("screener")
    fragment = client.get("/residents/search?q=nguyen", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<ul id="results"')
    assert "Nguyễn Văn Đức" in html and "Nguyễn Thị Lan" in html
    assert "Lê Thị Hoa" not in html
    page = client.get("/residents/search?q=nguyen").get_data(as_text=True)
    assert "<html" in page and "Nguyễn Văn Đức" in page


def test_a_search_that_finds_nobody_says_so(client, world):
    client.login("screener")
    html = client.get("/residents/search?q=zzz", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Không có người nào" in html


def test_a_name_is_filed_under_each_of_its_folded_words_once():
    from portal.residents.search import search_entries

    assert search_entries(7, 42, "Nguyễn  Thị Ánh  Nguyệt") == [
        (7, "anh", 42), (7, "nguyen", 42), (7, "nguyet", 42), (7, "thi", 42)]
    assert search_entries(7, 42, "Lê Lê Đức") == [(7, "duc", 42), (7, "le", 42)]
    assert search_entries(7, 42, "A" * 50) == [(7, "a" * 40, 42)]  # the column holds 40
    assert search_entries(7, 42, "  ") == []


def test_a_renamed_resident_is_filed_under_the_new_names_words_only(app, world):
    from sqlalchemy import select

    from portal.residents.models import Resident, ResidentSearchTerm
    from portal.residents.search import index_resident, search_entries
    from portal.text import fold

    with app.app_context():
        duc = db.session.get(Resident, world["duc"])
        duc.full_name, duc.name_folded = "Nguyễn Hữu Đức", fold("Nguyễn Hữu Đức")
        index_resident(duc, duc.hamlet.parent_id)
        db.session.commit()
        stored = sorted(db.session.execute(select(
            ResidentSearchTerm.commune_id, ResidentSearchTerm.term, ResidentSearchTerm.resident_id
        ).where(ResidentSearchTerm.resident_id == duc.id)).all())
        assert [tuple(row) for row in stored] == search_entries(
            duc.hamlet.parent_id, duc.id, "Nguyễn Hữu Đức")
    assert "Nguyễn Hữu Đức" in _names(app, Role.SCREENER, "huu duc")
    assert _names(app, Role.SCREENER, "van duc") == []


@pytest.mark.parametrize("query", ["0920600", "09206000123", "0921", "092060", "0921630043"])
def test_a_few_digits_of_an_id_number_confirm_nothing(app, world, query):
    # A prefix found the owner: asked digit by digit, with the last four the screens show,
    # it unmasked the number. Only the whole number is looked up.
    assert _names(app, Role.SCREENER, query) == []


@pytest.mark.parametrize("role", [Role.DISTRICT_OFFICER, Role.ADMIN])
def test_only_those_who_meet_residents_search_by_id_number(app, client, world, role):
    assert _names(app, role, "092060001234") == []
    assert _names(app, role, "0912345678") == ["Nguyễn Văn Đức"]  # a phone still finds them
    client.login(role.value)
    html = client.get("/residents/search?q=092060001234", headers=HX).get_data(as_text=True)
    assert "Nguyễn Văn Đức" not in html
    assert "Chỉ tổ rà soát và cán bộ UBND xã, phường được tìm theo số CCCD/CMND." in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "resident.search_id")) == 0


def test_a_full_id_number_search_is_limited_and_logged(app, client, world):
    app.config["ID_SEARCHES_PER_HOUR"] = 3
    client.login("screener")
    found = client.get("/residents/search?q=092060001234", headers=HX)
    assert found.status_code == 200 and "Nguyễn Văn Đức" in found.get_data(as_text=True)
    partial = client.get("/residents/search?q=0920600", headers=HX).get_data(as_text=True)
    assert "Nguyễn Văn Đức" not in partial and "phải nhập đủ: 12 chữ số" in partial
    for guess in ("092060001235", "092060001236"):  # misses count too
        assert client.get(f"/residents/search?q={guess}", headers=HX).status_code == 200
    refused = client.get("/residents/search?q=092163004321", headers=HX)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "Nguyễn Thị Lan" not in body
    assert "Bạn đã tìm theo số CCCD/CMND 3 lần trong một giờ qua" in body
    # Names and phones are not limited.
    assert "Nguyễn Thị Lan" in client.get("/residents/search?q=lan", headers=HX).get_data(
        as_text=True)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "resident.search_id").order_by(AuditEvent.id)).all()
        # Each whole-number search, the number masked; the refused one and the prefix not.
        assert [(e.username, e.after) for e in events] == [
            ("screener", {"id_number": "••••••••1234", "found": 1}),
            ("screener", {"id_number": "••••••••1235", "found": 0}),
            ("screener", {"id_number": "••••••••1236", "found": 0}),
        ]
    # The limit is each user's: the lead still searches.
    client.post_form("/logout")
    client.login("commune_lead")
    lan = client.get("/residents/search?q=092163004321", headers=HX)
    assert lan.status_code == 200 and "Nguyễn Thị Lan" in lan.get_data(as_text=True)
    client.post_form("/logout")
    # An hour on, the screener may search again (a session lasts 8 hours).
    with time_machine.travel(time.time() + 3601, tick=False):
        client.login("screener")
        again = client.get("/residents/search?q=092163004321", headers=HX)
        assert again.status_code == 200 and "Nguyễn Thị Lan" in again.get_data(as_text=True)
