"""Row: 100,000 doses of the national platform's export imported into one commune, against a
bare bulk insert of the same doses, in the same run and database.

The commune is first given the 100,000-person register of bench/import_residents.py. The
export then holds, for people of that register, one to three doses each, their ID number on
four rows in five and only name and birth date on the others, plus one row in twenty for
people the register does not know (set aside for matching by hand). The figure is the job's
path as in the residents row: upload, then the job matching each row (ID number, else folded
name and birth date, unique) and writing doses and set-aside rows. The second import of the
same file finds every dose and changes nothing. The baseline inserts the matched doses with
one executemany into doses and nothing else (then deletes them, before the import).
"""

from __future__ import annotations

import csv
import io
import random
import time

from sqlalchemy import delete, insert, select

from bench.common import Backend, BenchError, Row, Settings, note
from bench.import_residents import COMMUNE, demo_commune, portal_import, register_file

DOSES = 100_000
QUICK_DOSES = 5_000
TARGET = "≤ 30 s"
TARGET_SECONDS = 30.0
HEADER = ["Họ và tên", "Ngày sinh", "Số CCCD", "Số điện thoại", "Mũi tiêm", "Tên vắc xin",
          "Ngày tiêm", "Nơi tiêm"]
SCHEDULE = (("Mũi 1", "01/08/2021"), ("Mũi 2", "05/09/2021"), ("Mũi 3", "10/03/2022"))
VACCINES = ("AstraZeneca", "Pfizer-BioNTech", "Moderna", "Vero Cell")


def title(settings: Settings) -> str:
    return f"doses import, {QUICK_DOSES if settings.quick else DOSES:,} rows"


def doses_file(register: bytes, doses: int, seed: int = 5) -> bytes:
    """The platform's export for people of the register (good rows of it), as a UTF-8 CSV."""
    chance = random.Random(seed)
    people = [row for row in list(csv.reader(io.StringIO(register.decode("utf-8-sig"))))[1:]
              if len(row[4]) == 12 and not row[2].startswith("31/02") and row[7] != "Ấp Không Có"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    written = 0
    for number, name, birth, _sex, id_number, phone, _address, _hamlet, _code in people:
        for dose, day in SCHEDULE[:chance.randint(1, 3)]:
            if written >= doses:
                break
            if chance.random() < 0.05:  # someone the register does not know
                writer.writerow([f"Người Lạ {written}", "01/01/1970", "", "", dose,
                                 chance.choice(VACCINES), day, "Trạm Y tế"])
            else:
                writer.writerow([name, birth, id_number if chance.random() < 0.8 else "", phone,
                                 dose, chance.choice(VACCINES), day, "Trạm Y tế phường Cái Khế"])
            written += 1
        if written >= doses:
            break
    if written < doses:
        raise BenchError(f"the register gives only {written:,} doses")
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def bare_insert(app, data: bytes, commune_id: int) -> tuple[float, int]:
    """The doses of people found by ID number, resolved beforehand, with one executemany."""
    from portal.extensions import db
    from portal.imports.doses import parse_dose
    from portal.residents.models import Dose, Resident
    from portal.units.models import AdministrativeUnit

    with app.app_context():
        hamlets = select(AdministrativeUnit.id).where(AdministrativeUnit.parent_id == commune_id)
        ids = dict(db.session.execute(select(Resident.id_number, Resident.id).where(
            Resident.hamlet_id.in_(hamlets), Resident.id_number.is_not(None))).all())
        rows = []
        for name, birth, id_number, phone, dose, vaccine, day, site in list(
                csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]:
            if id_number in ids:
                d, m, y = (int(part) for part in day.split("/"))
                from datetime import date

                rows.append({"resident_id": ids[id_number], "kind": parse_dose(dose).value,
                             "vaccine": vaccine, "given_on": date(y, m, d), "place": site,
                             "source": "platform"})
        existing = set(db.session.scalars(select(Dose.id)))
        started = time.perf_counter()
        db.session.execute(insert(Dose), rows)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.execute(delete(Dose).where(Dose.id.not_in(existing)) if existing
                           else delete(Dose))
        db.session.commit()
        return seconds, len(rows)


def run(backend: Backend, settings: Settings) -> list[Row]:
    from portal.imports.models import ImportKind

    size = QUICK_DOSES if settings.quick else DOSES
    with demo_commune(backend) as (app, commune_id, hamlets):
        register = register_file(hamlets, size)
        seconds, counts = portal_import(app, register, COMMUNE)
        note(f"register of {size:,} people imported in {seconds:.1f} s: {counts}")
        data = doses_file(register, size)
        bare_seconds, bare_rows = bare_insert(app, data, commune_id)
        note(f"bare insert of {bare_rows:,} doses: {bare_seconds:.1f} s")
        first, counts = portal_import(app, data, COMMUNE, kind=ImportKind.DOSES,
                                      name="xuat-nen-tang.csv")
        note(f"first import: {first:.1f} s {counts}")
        second, again = portal_import(app, data, COMMUNE, kind=ImportKind.DOSES,
                                      name="xuat-nen-tang.csv")
        note(f"second import: {second:.1f} s {again}")
    if again["created"] or again["updated"]:
        raise BenchError(f"the second import changed something: {again}")
    return [Row(
        benchmark=title(settings), database=backend.label,
        figure=f"{first:.1f} s first import ({counts['created']:,} doses added, "
               f"{counts['unmatched']:,} set aside); {second:.1f} s again (all unchanged)",
        baseline=f"bare executemany INSERT of the {bare_rows:,} doses matched by ID number: "
                 f"{bare_seconds:.1f} s",
        ratio=f"{first / bare_seconds:.1f}× the bare insert",
        target=f"{TARGET}: {'met' if first <= TARGET_SECONDS else 'MISSED'}",
        runs="1 run each",
    )]
