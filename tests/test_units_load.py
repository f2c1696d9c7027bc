"""`flask units load`: the official list goes in once, keeps every id, and follows the package."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from vietnamadminunits.database import query

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.units.load import LoadError, find_province, load_units
from portal.units.models import AdministrativeUnit, UnitLevel, create_unit

TABLES = {"2025": "admin_units", "2019": "admin_units_legacy"}


def _package_codes(scheme: str, province: str | None = None) -> dict[UnitLevel, set[str]]:
    """The codes the package lists, by level, read straight from its dataset."""
    where = f" WHERE provinceCode = '{province}'" if province else ""
    rows = query(f"SELECT * FROM {TABLES[scheme]}{where}")
    codes = {
        UnitLevel.PROVINCE: {r["provinceCode"] for r in rows},
        UnitLevel.DISTRICT: {r["districtCode"] for r in rows if r.get("districtCode")},
        UnitLevel.COMMUNE: {r["wardCode"] for r in rows if r["wardCode"]},
    }
    return {level: found for level, found in codes.items() if found}


def _tree(app) -> dict[str, SimpleNamespace]:
    """Every unit in the database, by code, with its parent's code."""
    parent = aliased(AdministrativeUnit)
    unit = AdministrativeUnit
    with app.app_context():
        rows = db.session.execute(
            select(unit.code, unit.id, unit.name, unit.kind, unit.level, unit.path, unit.depth,
                   unit.parent_id, parent.code.label("parent_code"))
            .outerjoin(parent, unit.parent_id == parent.id)
        ).mappings()
        return {row["code"]: SimpleNamespace(**row) for row in rows}


def _codes_by_level(tree) -> dict[UnitLevel, set[str]]:
    found: dict[UnitLevel, set[str]] = {}
    for code, node in tree.items():
        found.setdefault(node.level, set()).add(code)
    return found


def _assert_paths_are_consistent(tree) -> None:
    by_id = {node.id: node for node in tree.values()}
    for node in tree.values():
        if node.parent_id is None:
            assert (node.path, node.depth) == (f"/{node.id}/", 0), node
        else:
            parent = by_id[node.parent_id]
            assert node.path == f"{parent.path}{node.id}/", node
            assert node.depth == parent.depth + 1, node


def _load(app, scheme, province=None):
    with app.app_context():
        report = load_units(scheme, province)
        db.session.commit()
        return report


def _count_units(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AdministrativeUnit))


def test_loading_one_province_builds_its_districts_and_communes(app):
    report = _load(app, "2019", "92")

    tree = _tree(app)
    expected = _package_codes("2019", "92")
    assert _codes_by_level(tree) == expected
    assert {level: len(codes) for level, codes in expected.items()} == report.created
    can_tho, ninh_kieu, cai_khe = tree["92"], tree["916"], tree["31117"]
    assert (can_tho.name, can_tho.kind, can_tho.level, can_tho.parent_code) == (
        "Thành phố Cần Thơ", "Thành phố", UnitLevel.PROVINCE, None)
    assert (ninh_kieu.name, ninh_kieu.kind, ninh_kieu.level, ninh_kieu.parent_code) == (
        "Quận Ninh Kiều", "Quận", UnitLevel.DISTRICT, "92")
    assert (cai_khe.name, cai_khe.kind, cai_khe.level, cai_khe.parent_code) == (
        "Phường Cái Khế", "Phường", UnitLevel.COMMUNE, "916")
    assert cai_khe.path == f"/{can_tho.id}/{ninh_kieu.id}/{cai_khe.id}/"
    assert cai_khe.depth == 2
    _assert_paths_are_consistent(tree)
    assert report.province == "Thành phố Cần Thơ"


def test_the_2025_list_puts_communes_straight_under_the_province(app):
    report = _load(app, "2025", "can tho")

    tree = _tree(app)
    assert _codes_by_level(tree) == _package_codes("2025", "92")
    assert UnitLevel.DISTRICT not in report.listed
    communes = [node for node in tree.values() if node.level is UnitLevel.COMMUNE]
    assert communes and all(node.parent_code == "92" and node.depth == 1 for node in communes)
    # The 2025 list gives 31120, An Hòa's old code, to the new, larger Phường Cái Khế.
    assert tree["31120"].name == "Phường Cái Khế"
    _assert_paths_are_consistent(tree)


def test_loading_again_adds_nothing_and_keeps_every_id(app):
    first = _load(app, "2019", "92")
    before = {code: (node.id, node.path) for code, node in _tree(app).items()}

    second = _load(app, "2019", "Cần Thơ")

    assert {code: (node.id, node.path) for code, node in _tree(app).items()} == before
    assert sum(second.created.values()) == 0
    assert second.renamed == {} and second.moved == []
    assert second.unchanged == sum(first.created.values()) == len(before)
    assert not second.changed


def test_a_renamed_unit_is_updated_in_place_with_its_hamlets(app):
    _load(app, "2019", "92")
    with app.app_context():
        cai_khe = db.session.scalars(select(AdministrativeUnit).filter_by(code="31117")).one()
        cai_khe.name, cai_khe.kind = "Xã Cái Khế Cũ", "Xã"
        hamlet = create_unit(code="31117-01", name="Khu vực 1", kind="Khu vực",
                             level=UnitLevel.HAMLET, parent=cai_khe)
        db.session.commit()
        ids = (cai_khe.id, hamlet.id)
    before = _tree(app)

    report = _load(app, "2019", "92")

    after = _tree(app)
    assert report.renamed == {"31117": ("Xã Cái Khế Cũ", "Phường Cái Khế")}
    assert (after["31117"].id, after["31117"].name, after["31117"].kind) == (
        ids[0], "Phường Cái Khế", "Phường")
    assert after["31117-01"] == before["31117-01"]
    assert sum(report.created.values()) == 0
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).filter_by(action="units.load")
                                   .order_by(AuditEvent.id.desc())).first()
        assert event.before == {"names": {"31117": "Xã Cái Khế Cũ"}}
        assert event.after["names"] == {"31117": "Phường Cái Khế"}


def test_a_unit_under_the_wrong_parent_moves_with_its_hamlets(app):
    with app.app_context():
        can_tho = create_unit(code="92", name="Thành phố Cần Thơ", kind="Thành phố",
                              level=UnitLevel.PROVINCE, parent=None)
        binh_thuy = create_unit(code="918", name="Quận Bình Thủy", kind="Quận",
                                level=UnitLevel.DISTRICT, parent=can_tho)
        cai_khe = create_unit(code="31117", name="Phường Cái Khế", kind="Phường",
                              level=UnitLevel.COMMUNE, parent=binh_thuy)
        create_unit(code="31117-01", name="Khu vực 1", kind="Khu vực", level=UnitLevel.HAMLET,
                    parent=cai_khe)
        db.session.commit()

    report = _load(app, "2019", "92")

    tree = _tree(app)
    assert report.moved == ["31117"]
    assert tree["31117"].parent_code == "916"
    assert tree["31117-01"].parent_code == "31117"
    assert tree["31117-01"].path == f"{tree['916'].path}{tree['31117'].id}/{tree['31117-01'].id}/"
    _assert_paths_are_consistent(tree)


def test_official_units_go_beside_the_demo_units_with_the_same_codes(app, units):
    before = _tree(app)

    report = _load(app, "2019", "92")

    after = _tree(app)
    # The demo and the fixtures use the plain official codes: their units are found, not doubled.
    for code, node in before.items():
        assert after[code].id == node.id
        assert after[code].path == node.path
    assert len(after) == len(before) + sum(report.created.values())
    # The fixture's 31183 is not Phường Bình Thủy in the official list.
    assert report.renamed == {"31183": ("Phường Bình Thủy", "Phường Long Tuyền")}
    _assert_paths_are_consistent(after)


def test_the_2025_list_is_refused_beside_the_three_level_list(app, units):
    before = _count_units(app)
    with app.app_context(), pytest.raises(LoadError, match="danh mục ba cấp"):
        load_units("2025", "92")
    assert _count_units(app) == before


def test_the_2019_list_is_refused_beside_the_2025_list(app):
    _load(app, "2025", "92")
    before = _count_units(app)
    with app.app_context(), pytest.raises(LoadError, match="danh mục hai cấp 2025"):
        load_units("2019", "92")
    assert _count_units(app) == before


def test_a_code_taken_at_another_level_is_refused(app):
    with app.app_context():
        create_unit(code="916", name="Tỉnh Lạ", kind="Tỉnh", level=UnitLevel.PROVINCE, parent=None)
        db.session.commit()
        with pytest.raises(LoadError, match="cấp khác: 916"):
            load_units("2019", "92")
    assert _count_units(app) == 1


@pytest.mark.parametrize("scheme", ["2025", "2019"])
def test_the_whole_country_matches_the_package(app, scheme):
    report = _load(app, scheme)

    tree = _tree(app)
    expected = _package_codes(scheme)
    assert _codes_by_level(tree) == expected
    assert report.listed == {level: len(codes) for level, codes in expected.items()}
    lengths = {UnitLevel.PROVINCE: 2, UnitLevel.DISTRICT: 3, UnitLevel.COMMUNE: 5}
    assert all(len(code) == lengths[node.level] and code.isdigit() for code, node in tree.items())
    _assert_paths_are_consistent(tree)


@pytest.mark.parametrize("scheme, text, code", [
    ("2019", "92", "92"),
    ("2019", " 92 ", "92"),
    ("2019", "Cần Thơ", "92"),
    ("2019", "can tho", "92"),
    ("2019", "CAN  THO", "92"),
    ("2019", "Thành phố Cần Thơ", "92"),
    ("2019", "TP. Cần Thơ", "92"),
    ("2019", "1", "01"),
    ("2019", "kien giang", "91"),
    ("2025", "an giang", "91"),
    ("2025", "ho chi minh", "79"),
    ("2025", "Tỉnh Đắk Lắk", "66"),
])
def test_a_province_is_found_by_code_or_name_without_accents(app, scheme, text, code):
    with app.app_context():
        assert find_province(scheme, text).code == code


def test_an_unknown_province_is_a_clear_error_and_loads_nothing(app):
    with app.app_context(), pytest.raises(LoadError, match='thành phố "atlantis" trong danh mục'):
        load_units("2025", "atlantis")
    assert _count_units(app) == 0


def test_the_command_loads_a_province_and_reports_in_vietnamese(app, runner):
    result = runner.invoke(args=["units", "load", "--scheme", "2019", "--province", "can tho"])

    assert result.exit_code == 0, result.output
    assert "Danh mục đơn vị hành chính 2019" in result.output
    assert "Thành phố Cần Thơ: 1 đơn vị cấp tỉnh, 9 đơn vị cấp huyện, 80 đơn vị cấp xã" \
        in result.output
    assert "Thêm mới 90, đổi tên 0" in result.output
    assert _codes_by_level(_tree(app)) == _package_codes("2019", "92")

    again = runner.invoke(args=["units", "load", "--scheme", "2019", "--province", "92"])

    assert again.exit_code == 0, again.output
    assert "Thêm mới 0, đổi tên 0, chuyển sang đơn vị cấp trên khác 0, không đổi 90." \
        in again.output


def test_the_command_loads_the_2025_list_by_default(app, runner):
    result = runner.invoke(args=["units", "load", "--province", "92", "--lang", "en"])

    assert result.exit_code == 0, result.output
    assert "Administrative units, 2025 list" in result.output
    assert "Added 104," in result.output
    tree = _tree(app)
    assert UnitLevel.DISTRICT not in _codes_by_level(tree)
    assert len(tree) == 104


def test_the_command_says_which_province_it_cannot_find(app, runner):
    result = runner.invoke(args=["units", "load", "--province", "atlantis"])

    assert result.exit_code != 0
    assert 'Không tìm thấy tỉnh, thành phố "atlantis"' in result.output
    assert _count_units(app) == 0


def test_the_command_names_the_units_no_longer_listed(app, runner):
    with app.app_context():
        can_tho = create_unit(code="92", name="Thành phố Cần Thơ", kind="Thành phố",
                              level=UnitLevel.PROVINCE, parent=None)
        ninh_kieu = create_unit(code="916", name="Quận Ninh Kiều", kind="Quận",
                                level=UnitLevel.DISTRICT, parent=can_tho)
        # Merged into Phường Tân An at the start of 2025: gone from the list, kept here.
        create_unit(code="31132", name="Phường An Hội", kind="Phường", level=UnitLevel.COMMUNE,
                    parent=ninh_kieu)
        db.session.commit()
    result = runner.invoke(args=["units", "load", "--scheme", "2019", "--province", "92"])

    assert result.exit_code == 0, result.output
    assert "1 đơn vị trong cơ sở dữ liệu không còn trong danh mục, vẫn được giữ lại: 31132." \
        in result.output
    assert _tree(app)["31132"].parent_code == "916"
