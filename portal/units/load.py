"""Load the official administrative units, with their GSO codes, from a maintained package."""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version

from flask_babel import gettext as _
from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import aliased

from portal.audit.log import record
from portal.extensions import db
from portal.text import fold
from portal.units.models import AdministrativeUnit, UnitLevel, path_of

PACKAGE = "vietnamadminunits"
# The two lists and the tables of the package's dataset that hold them (both taken from the
# statistics office's catalogue, danhmuchanhchinh.gso.gov.vn): "2025" is the two-level list in
# force since 1 July 2025 (province, commune); "2019" the three-level list before it.
SCHEMES = {"2025": "admin_units", "2019": "admin_units_legacy"}
OFFICIAL_LEVELS = (UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE)
# What a unit calls itself, as the first words of its name; the longest first, so that a name
# is never cut after a shorter kind.
KINDS = sorted(("Tỉnh", "Thành phố", "Quận", "Huyện", "Thị xã", "Phường", "Xã", "Thị trấn",
                "Đặc khu"), key=len, reverse=True)
# Official codes have 2 (province), 3 (district) or 5 digits (commune); hamlets' codes are
# longer ("31117-01").
OFFICIAL_CODE_LENGTH = 5


class LoadError(ValueError):
    """The units could not be loaded; the message says why and nothing was written."""


@dataclass(frozen=True)
class OfficialUnit:
    """One unit of an official list, as the package gives it, with the kind taken from its name."""

    code: str
    name: str
    kind: str
    level: UnitLevel
    parent_code: str | None
    province_code: str


@dataclass
class LoadReport:
    """What a load found in the list and what it did to the database."""

    scheme: str
    source: str  # the package and its version: "vietnamadminunits 1.0.4"
    province: str | None  # the province's name when one was asked for, else None (whole list)
    listed: Counter = field(default_factory=Counter)  # units of the list, by level
    created: Counter = field(default_factory=Counter)  # by level
    renamed: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (before, after)
    moved: list[str] = field(default_factory=list)  # codes given another parent
    unchanged: int = 0
    # Codes in the database, in the area loaded, that the list no longer has: kept, since users,
    # hamlets and residents may point at them.
    not_listed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the load wrote anything."""
        return bool(sum(self.created.values()) or self.renamed or self.moved)


@dataclass(slots=True)
class _Row:
    """A unit already in the database, as far as the load needs it."""

    id: int
    level: UnitLevel
    name: str
    kind: str
    parent_id: int | None
    path: str
    depth: int


def official_units(scheme: str) -> list[OfficialUnit]:
    """Every unit of the scheme's list, parents before children, each level in code order."""
    if scheme not in SCHEMES:
        raise LoadError(_("Unknown list %(scheme)s: choose one of %(choices)s.",
                          scheme=scheme, choices=", ".join(SCHEMES)))
    # Imported here: the package loads its address parser too, a third of a second.
    from vietnamadminunits.database import get_data

    two_levels = scheme == "2025"
    columns = ["provinceCode", "province", "wardCode", "ward", "wardType"]
    if not two_levels:
        columns += ["districtCode", "district", "districtType"]
    units: dict[str, OfficialUnit] = {}

    def add(code, name, fallback_kind, level, parent_code, province_code):
        kind, name = _kind_and_name(name, fallback_kind)
        unit = OfficialUnit(code, name, kind, level, parent_code, province_code)
        if units.setdefault(code, unit) != unit:
            raise LoadError(_("The package %(source)s gives code %(code)s to two different units.",
                              source=PACKAGE, code=code))

    for row in get_data(fields=columns, table=SCHEMES[scheme]):
        province = row["provinceCode"]
        add(province, row["province"], "Tỉnh", UnitLevel.PROVINCE, None, province)
        parent = province
        if not two_levels:
            add(row["districtCode"], row["district"], row["districtType"], UnitLevel.DISTRICT,
                province, province)
            parent = row["districtCode"]
        # A few island districts have no commune: their row has no ward.
        if row["wardCode"]:
            add(row["wardCode"], row["ward"], row["wardType"], UnitLevel.COMMUNE, parent, province)
    rank = {level: n for n, level in enumerate(OFFICIAL_LEVELS)}
    return sorted(units.values(), key=lambda u: (rank[u.level], u.code))


def _kind_and_name(name: str, fallback_kind: str) -> tuple[str, str]:
    """The kind a name starts with, and the name with that kind spelt as the law spells it.

    The name is the better witness: the package's type column says "Xã" for "Phường Việt Hòa",
    and a few names read "Thị Xã ..." or "Thành Phố ...".
    """
    name = " ".join(unicodedata.normalize("NFC", name).split())
    lowered = name.casefold()
    for kind in KINDS:
        if lowered.startswith(kind.casefold() + " "):
            return kind, kind + name[len(kind):]
    return fallback_kind, name


def find_province(scheme: str, wanted: str,
                  units: list[OfficialUnit] | None = None) -> OfficialUnit:
    """The province of the scheme's list given by its code ("92") or name, accents optional."""
    provinces = [u for u in (units or official_units(scheme)) if u.level is UnitLevel.PROVINCE]
    text = wanted.strip()
    if text.isdigit() and len(text) <= 2:
        matches = [p for p in provinces if p.code == text.zfill(2)]
    else:
        key = fold(text).replace(".", " ")
        key = " ".join(key.split())
        for prefix in ("tp ", "thanh pho ", "tinh "):
            key = key.removeprefix(prefix)
        matches = [p for p in provinces
                   if key in (fold(p.name), fold(p.name.removeprefix(p.kind + " ")))]
    if not matches:
        raise LoadError(_('No province or city "%(province)s" in the %(scheme)s list: give its '
                          'code (for example 92) or its name (for example "Cần Thơ" or '
                          '"can tho").', province=wanted, scheme=scheme))
    return matches[0]


def load_units(scheme: str, province: str | None = None) -> LoadReport:
    """Add or update the units of one list (one province, or all); run again, it adds nothing.

    Units are matched by their official code: one already there keeps its id (users and hamlets
    point at it) and gets the list's name, kind and parent. Nothing is deleted. Flushes, never
    commits: the caller decides. Raises LoadError, having written nothing, when the list cannot
    go into this database.
    """
    units = official_units(scheme)
    area = None
    if province is not None:
        area = find_province(scheme, province, units)
        units = [u for u in units if u.province_code == area.code]
    _refuse_the_other_scheme(scheme)
    known = _existing()
    clashes = sorted(u.code for u in units
                     if u.code in known and known[u.code].level is not u.level)
    if clashes:
        raise LoadError(_("These codes already belong to units of another level: %(codes)s. "
                          "Nothing was loaded.", codes=", ".join(clashes[:10])))
    report = LoadReport(scheme=scheme, source=f"{PACKAGE} {version(PACKAGE)}",
                        province=area.name if area else None)
    report.listed.update(u.level for u in units)
    for level in OFFICIAL_LEVELS:
        _load_level([u for u in units if u.level is level], known, report)
    report.not_listed = _not_listed(units, known, area)
    if report.changed:
        _record(report, known[area.code].id if area else None, area)
    # Units already in the session were changed behind its back: read them again when used.
    db.session.expire_all()
    return report


def _refuse_the_other_scheme(scheme: str) -> None:
    """One database holds one list: the two reuse the same codes for different units."""
    if scheme == "2025":
        district = db.session.scalar(
            select(AdministrativeUnit.name)
            .where(AdministrativeUnit.level == UnitLevel.DISTRICT).limit(1)
        )
        if district is not None:
            raise LoadError(_("This database holds the three-level list (for example %(unit)s): "
                              "the 2025 list reuses its codes for other units and cannot be loaded "
                              "beside it. Load --scheme 2019, or use a new database.",
                              unit=district))
        return
    parent = aliased(AdministrativeUnit)
    commune = db.session.scalar(
        select(AdministrativeUnit.name)
        .join(parent, AdministrativeUnit.parent_id == parent.id)
        .where(AdministrativeUnit.level == UnitLevel.COMMUNE, parent.level == UnitLevel.PROVINCE)
        .limit(1)
    )
    if commune is not None:
        raise LoadError(_("This database holds the 2025 two-level list (for example %(unit)s): "
                          "the 2019 list reuses its codes for other units and cannot be loaded "
                          "beside it. Load --scheme 2025, or use a new database.", unit=commune))


def _existing() -> dict[str, _Row]:
    """The units already in the database whose code could be an official one, by code.

    One query for all of them: a few hundred codes per IN list made a reload take seconds on
    PostgreSQL.
    """
    unit = AdministrativeUnit
    rows = db.session.execute(
        select(unit.code, unit.id, unit.level, unit.name, unit.kind, unit.parent_id, unit.path,
               unit.depth).where(func.length(unit.code) <= OFFICIAL_CODE_LENGTH)
    )
    return {code: _Row(*values) for code, *values in rows}


def _load_level(units: list[OfficialUnit], known: dict[str, _Row], report: LoadReport) -> None:
    """Rename, move and add the units of one level, in a few statements rather than one per unit."""
    renames = []
    new = []
    for unit in units:
        parent = known[unit.parent_code] if unit.parent_code else None
        row = known.get(unit.code)
        if row is None:
            new.append((unit, parent))
            continue
        touched = False
        if (row.name, row.kind) != (unit.name, unit.kind):
            renames.append({"id": row.id, "name": unit.name, "kind": unit.kind})
            report.renamed[unit.code] = (row.name, unit.name)
            row.name, row.kind = unit.name, unit.kind
            touched = True
        if row.parent_id != (parent.id if parent else None):
            _move(row, parent, known)
            report.moved.append(unit.code)
            touched = True
        if not touched:
            report.unchanged += 1
    if renames:
        db.session.execute(update(AdministrativeUnit), renames)
    if not new:
        return
    # The path holds the unit's own id: insert the whole level, read the ids back, then set the
    # paths in one executemany, instead of one flush per unit as create_unit does.
    table = AdministrativeUnit.__table__
    ids = db.session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True),
        [{"code": unit.code, "name": unit.name, "kind": unit.kind, "level": unit.level,
          "parent_id": parent.id if parent else None, "path": "",
          "depth": parent.depth + 1 if parent else 0} for unit, parent in new],
    ).all()
    paths = []
    for (unit, parent), unit_id in zip(new, ids, strict=True):
        path = path_of(unit_id, parent.path if parent else None)
        known[unit.code] = _Row(unit_id, unit.level, unit.name, unit.kind,
                                parent.id if parent else None, path,
                                parent.depth + 1 if parent else 0)
        paths.append({"id": unit_id, "path": path})
        report.created[unit.level] += 1
    db.session.execute(update(AdministrativeUnit), paths)


def _move(row: _Row, parent: _Row | None, known: dict[str, _Row]) -> None:
    """Put a unit under another parent, and rewrite the paths of all below it (hamlets too)."""
    old = row.path
    new = path_of(row.id, parent.path if parent else None)
    shift = (parent.depth + 1 if parent else 0) - row.depth
    unit = AdministrativeUnit
    db.session.execute(
        update(unit).where(unit.lies_within(row))
        .values(path=literal(new) + func.substr(unit.path, len(old) + 1), depth=unit.depth + shift)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(unit).where(unit.id == row.id).values(parent_id=parent.id if parent else None)
        .execution_options(synchronize_session=False)
    )
    for other in known.values():
        if other.path.startswith(old):
            other.path = new + other.path[len(old):]
            other.depth += shift
    row.parent_id = parent.id if parent else None


def _not_listed(units: list[OfficialUnit], known: dict[str, _Row],
                area: OfficialUnit | None) -> list[str]:
    """Codes of provinces, districts and communes in the loaded area that the list does not have."""
    listed = {u.code for u in units}
    query = select(AdministrativeUnit.code).where(AdministrativeUnit.level.in_(OFFICIAL_LEVELS))
    if area is not None:
        query = query.where(AdministrativeUnit.lies_within(known[area.code]))
    return sorted(code for code in db.session.scalars(query) if code not in listed)


def _record(report: LoadReport, unit_id: int | None, area: OfficialUnit | None) -> None:
    """One audit event for the load, with every renamed unit's name before and after."""
    record(
        "units.load",
        "administrative_unit",
        area.code if area else None,
        unit_id=unit_id,
        before={"names": {code: names[0] for code, names in report.renamed.items()}}
        if report.renamed else None,
        after={
            "scheme": report.scheme,
            "source": report.source,
            "created": {level.value: n for level, n in report.created.items()},
            "names": {code: names[1] for code, names in report.renamed.items()},
            "moved": report.moved,
        },
    )
