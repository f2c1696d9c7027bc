"""Build the demo: wards of Cần Thơ with households, residents, doses, visits, accounts; under
Quận Ninh Kiều (the 2019 three-level list) or directly under the city (the 2025 two-level one)."""

from __future__ import annotations

import bisect
import itertools
import math
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import selectinload

from portal.auth.accounts import create_user
from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.campaigns.models import Campaign
from portal.demo import DEMO_PASSWORD, REFERENCE_DAY, SCHEMES, names
from portal.bulk import bulk_insert
from portal.extensions import db
from portal.lists.workflow import approve, submit
from portal.residents.models import (
    Dose,
    DoseKind,
    Household,
    RecordSource,
    Resident,
    ResidentStatus,
    Sex,
)
from portal.residents.guardians import ADULT_AGE
from portal.residents.identity import century_and_sex_digit
from portal.residents.search import ENTRY_COLUMNS, search_entries
from portal.text import fold
from portal.timeutil import stored_time, utcnow
from portal.coverage import summary
from portal.units.models import AdministrativeUnit, UnitLevel, create_unit
from portal.visits.models import Outcome, RefusalReason, ScreeningCategory
from portal.visits.recording import VisitInput, record_knock
from portal.visits.standings import standings_in

# What screeners write on the visits of each outcome that takes only a note.
VISIT_NOTES = {
    Outcome.WILLING: names.WILLING_NOTES,
    Outcome.ABSENT: names.ABSENT_NOTES,
    Outcome.HOMEBOUND: names.HOMEBOUND_NOTES,
    Outcome.HOSPITALISED: names.HOSPITALISED_NOTES,
}

RESIDENTS_PER_COMMUNE = 20_000
# Rows per bulk insert: big enough to amortise round trips, small enough to bound memory.
CHUNK_ROWS = 10_000
# Share of the first ward's households with someone to visit that screeners have knocked at.
VISITED_SHARE = 0.4

# Days of the 2021-2022 schedule in the delta, as ordinals (the generator counts in days).
PRIMARY_FROM = date(2021, 7, 1).toordinal()
EARLY_PRIMARY_UNTIL = date(2021, 9, 30).toordinal()  # early enough for a fourth dose later
PRIMARY_UNTIL = date(2021, 12, 31).toordinal()
TEENS_FROM = date(2021, 10, 20).toordinal()
LAST_DAY = REFERENCE_DAY.toordinal() - 1
# The least days between two doses, as the demo's campaigns require them (min_interval_days).
PRIMARY_INTERVAL = 28  # dose 2 of adults and teenagers
CHILDREN_DOSE_INTERVAL = 56  # a child's dose 2: eight weeks
BOOSTER_1_INTERVAL = 90  # three months after dose 2
BOOSTER_2_INTERVAL = 120  # four months after booster 1
CHILDREN_FROM = date(2022, 4, 15).toordinal()
CHILDREN_SECOND_DOSE_START_BY = LAST_DAY - CHILDREN_DOSE_INTERVAL
BOOSTERS_FROM = date(2021, 11, 20).toordinal()
THIRD_DOSE_FOR_FOURTH_BY = LAST_DAY - BOOSTER_2_INTERVAL
FOURTH_DOSES_FROM = date(2022, 5, 15).toordinal()
# Of the boosted adults, the share who had booster 2: of 50 and over, of those younger at high
# risk, of the others (front-line workers); some 9 % of all adults (seed 002).
BOOSTER_2_SHARES = (0.36, 0.25, 0.03)

# Stored values, looked up once: enum attribute access is slow in the inner loop.
MALE, FEMALE = Sex.MALE.value, Sex.FEMALE.value
PRESENT, MOVED_AWAY = ResidentStatus.PRESENT.value, ResidentStatus.MOVED_AWAY.value
DECEASED = ResidentStatus.DECEASED.value
REGISTER, PLATFORM = RecordSource.REGISTER.value, RecordSource.PLATFORM.value
DOSE_1, DOSE_2 = DoseKind.DOSE_1.value, DoseKind.DOSE_2.value
BOOSTER_1, BOOSTER_2 = DoseKind.BOOSTER_1.value, DoseKind.BOOSTER_2.value

HOUSEHOLD_COLUMNS = ("id", "hamlet_id", "code", "address", "head_name", "guardian_name",
                     "guardian_phone")
RESIDENT_COLUMNS = (
    "id", "hamlet_id", "household_id", "full_name", "name_folded", "birth_date", "birth_year",
    "sex", "id_number", "phone", "chronic_condition", "immunocompromised", "pregnant", "status",
    "source", "created_at", "updated_at",
)
DOSE_COLUMNS = (
    "id", "resident_id", "kind", "vaccine", "given_on", "place", "source", "created_at",
)


class DemoError(Exception):
    """The demo cannot be loaded; the message says why."""


def database_is_empty() -> bool:
    """True when there are no administrative units, so nothing the demo builds can clash."""
    return db.session.scalar(select(AdministrativeUnit.id).limit(1)) is None


def seed_demo(residents: int, seed: int, scheme: str = "2019") -> dict[str, int]:
    """Fill an empty database with the demo, its tree under the scheme's list, in one
    transaction; returns what it added."""
    if residents < 1:
        raise DemoError("The demo needs at least one resident.")
    if scheme not in SCHEMES:
        raise DemoError(f"Unknown list of units {scheme!r}: choose one of {', '.join(SCHEMES)}.")
    if not database_is_empty():
        raise DemoError(
            "The database already has administrative units: the demo only loads into an "
            "empty database. Point DATABASE_URL at a new database, or use --if-empty."
        )
    try:
        counts = _Builder(random.Random(seed), residents, scheme).build()
        db.session.commit()
    except BaseException:
        # One transaction: a failure half way leaves the database as empty as it was.
        db.session.rollback()
        raise
    _vacuum()
    return counts


def _vacuum() -> None:
    """On PostgreSQL, mark the new rows all-visible and refresh statistics, as autovacuum would
    later: until then, index-only scans (the search index) would visit the table too."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("resident_search_terms", "residents", "households", "doses", "visits"):
            connection.execute(text(f"VACUUM (ANALYZE) {table}"))


# Values go to the database driver as plain text, numbers and booleans, bypassing
# SQLAlchemy's per-value type processing, which would dominate the run time. Dates and
# datetimes are written the way SQLAlchemy stores them on SQLite, which PostgreSQL parses too.
def _day_text(day: date) -> str:
    """A date as the database stores it: 2022-07-08."""
    return day.isoformat()


def _moment_text(moment: datetime) -> str:
    """A naive UTC datetime as SQLAlchemy stores it on SQLite: 2022-07-08 01:30:00.000000."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class _BulkWriter:
    """Inserts rows of tuples fast: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self) -> None:
        self.connection = db.session.connection()
        self.dialect = self.connection.dialect
        if self.dialect.name != "postgresql" and self.dialect.paramstyle not in (
                "qmark", "format", "pyformat"):
            raise DemoError(f"Unsupported database driver parameter style {self.dialect.paramstyle!r}.")

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        """Insert rows (tuples in the order of columns) into table, inside the session's transaction."""
        bulk_insert(table, columns, rows)

    def next_id(self, model) -> int:
        """The first free primary key of model's table: ids are assigned here, not read back."""
        return (db.session.scalar(select(func.max(model.id))) or 0) + 1

    def finish(self, tables: Sequence[str]) -> None:
        """After explicit ids, move PostgreSQL sequences past them (statistics: _vacuum)."""
        if self.dialect.name != "postgresql":
            return
        for table in tables:
            self.connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))


class _Weighted:
    """Draws an item by weight with one random number and a binary search (faster than choices)."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, pairs: Sequence[tuple]) -> None:
        self.items = [pair[0] for pair in pairs]
        self.cumulative = list(itertools.accumulate(pair[1] for pair in pairs))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random):
        """One item, with probability proportional to its weight."""
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.total)]


@dataclass
class _Commune:
    """A ward being built: its unit, hamlets, health station and residents per hamlet."""

    unit: AdministrativeUnit
    hamlets: list[AdministrativeUnit] = field(default_factory=list)
    hamlet_sizes: list[int] = field(default_factory=list)


@dataclass
class _ToVisit:
    """Someone of the first ward a screener may visit: a present adult without booster 1, or a
    child of 5 to under 12 without dose 2."""

    resident_id: int
    household: int
    age: int
    pregnant: bool
    dose_2_on: int | None  # ordinal of dose 2, when given


class _Builder:
    """Generates the demo row by row, deterministically from the random generator it is given."""

    def __init__(self, rng: random.Random, residents: int, scheme: str = "2019") -> None:
        self.rng = rng
        self.residents = residents
        self.scheme = scheme
        self.counts = dict.fromkeys(
            ("units", "households", "residents", "doses", "visits", "campaigns", "lists",
             "accounts"), 0
        )
        self.now_text = _moment_text(utcnow())
        self.reference = REFERENCE_DAY.toordinal()
        self.day_texts: dict[int, str] = {}
        # Folding is slow next to everything else; names repeat, so fold each part once.
        self.folded: dict[str, str] = {}
        self.family = _Weighted(names.FAMILY_NAMES)
        self.middle = {key: _Weighted(pairs) for key, pairs in names.MIDDLE_NAMES.items()}
        self.given = {key: _Weighted(pairs) for key, pairs in names.GIVEN_NAMES.items()}
        self.age_band = _Weighted(names.AGE_BANDS)
        self.household_size = _Weighted(names.HOUSEHOLD_SIZES)
        self.birth_province = _Weighted(names.BIRTH_PROVINCES)
        self.primary_vaccine = _Weighted(names.PRIMARY_VACCINES)
        self.booster_vaccine = _Weighted(names.BOOSTER_VACCINES)
        self.teen_vaccine = _Weighted(names.TEEN_VACCINES)
        self.child_vaccine = _Weighted(names.CHILD_VACCINES)
        # Going through the enums checks the codes in names.py against the model.
        self.refusal = _Weighted([((RefusalReason(code), note), weight)
                                  for code, note, weight in names.REFUSALS])
        self.screening = _Weighted([((ScreeningCategory(code), reason, days, pregnant), w)
                                    for code, reason, days, pregnant, w in names.SCREENINGS])
        self.id_counters: dict[str, int] = {}
        self.old_id_counter = 0
        self.households: list[tuple] = []
        self.people: list[tuple] = []
        self.doses: list[tuple] = []
        self.search_terms: list[tuple] = []
        self.commune_id = 0
        # The first ward's people to visit, whom the screener visits once all rows are in.
        self.to_visit: list[_ToVisit] = []
        self.collecting = False
        self.household_serial = 0
        self.force_first_name = True
        self.stations = ("", "")

    # -- the whole run ----------------------------------------------------------------------

    def build(self) -> dict[str, int]:
        """Units, campaigns and accounts through the ORM; the many rows through the bulk writer."""
        self.writer = _BulkWriter()
        province, above, communes = self.build_units()
        campaigns = self.build_campaigns(province)
        accounts = self.build_accounts(
            {"ward": communes[0].unit, "reviewing": above, "province": province}, communes[0])
        for account in accounts.values():
            # Seed 002's first drive, booster 1, is what each account works on at first.
            account.campaign_id = campaigns["booster_1"].id
        self.next_household_id = self.writer.next_id(Household)
        self.next_resident_id = self.writer.next_id(Resident)
        self.next_dose_id = self.writer.next_id(Dose)
        centre = (names.PROVINCE_VACCINATION_CENTRE if above is province
                  else f"Trung tâm Y tế {above.name}")
        for index, commune in enumerate(communes):
            self.commune_id = commune.unit.id
            self.stations = (f"Trạm Y tế {commune.unit.name}", centre)
            self.collecting = index == 0
            for hamlet, size in zip(commune.hamlets, commune.hamlet_sizes, strict=True):
                self.build_hamlet(hamlet, size)
                if len(self.people) >= CHUNK_ROWS:
                    self.flush()
        self.flush()
        # The bulk rows set their own ids: sequences move past them before the ORM's inserts.
        self.writer.finish(("households", "residents", "doses"))
        self.build_visits([c for c in campaigns.values() if c.is_open], campaigns["booster_1"],
                          accounts["screener"])
        self.counts["doses"] += db.session.scalar(
            select(func.count()).select_from(Dose).where(Dose.source == RecordSource.CARD))
        # The bulk rows went round the session: the kept standings are made from them at once.
        summary.rebuild()
        self.build_approved_list(campaigns["dose_2_2021"], communes[0], accounts)
        return self.counts

    def flush(self) -> None:
        """Write the buffered households, residents, doses, search terms (foreign keys in order)."""
        self.writer.insert("households", HOUSEHOLD_COLUMNS, self.households)
        self.writer.insert("residents", RESIDENT_COLUMNS, self.people)
        self.writer.insert("doses", DOSE_COLUMNS, self.doses)
        # In key order, the index grows at a few hundred places instead of all over.
        self.search_terms.sort()
        self.writer.insert("resident_search_terms", ENTRY_COLUMNS, self.search_terms)
        self.households, self.people, self.doses, self.search_terms = [], [], [], []

    # -- units, campaigns, accounts -----------------------------------------------------------

    def build_units(self) -> tuple[AdministrativeUnit, AdministrativeUnit, list[_Commune]]:
        """The province, the district under the 2019 list, and enough wards of 6 to 10 hamlets
        for the residents; returns the province, the unit the wards lie under (the district,
        or under 2025 the province) and the wards."""
        rng = self.rng
        province_name, province_code = names.PROVINCE
        province = create_unit(code=province_code, name=province_name, kind="Thành phố",
                               level=UnitLevel.PROVINCE, parent=None)
        above = province
        if self.scheme == "2019":
            district_name, district_code = names.DISTRICT
            above = create_unit(code=district_code, name=district_name, kind="Quận",
                                level=UnitLevel.DISTRICT, parent=province)
        count = max(3, math.ceil(self.residents / RESIDENTS_PER_COMMUNE))
        communes = []
        weights = []
        for index in range(count):
            name, code = self.ward_name_and_code(index, self.scheme)
            unit = create_unit(code=code, name=name, kind="Phường", level=UnitLevel.COMMUNE,
                               parent=above)
            commune = _Commune(unit)
            # Wards differ in size, and so do their hamlets.
            ward_weight = rng.uniform(0.8, 1.2)
            for number in range(1, rng.randint(6, 10) + 1):
                commune.hamlets.append(create_unit(
                    code=f"{code}-{number:02d}", name=f"Khu vực {number}", kind="Khu vực",
                    level=UnitLevel.HAMLET, parent=unit,
                ))
                weights.append(ward_weight * rng.uniform(0.6, 1.4))
            communes.append(commune)
        sizes = _apportion(self.residents, weights)
        if sizes[0] == 0:
            # The first hamlet holds the demo's named household; give it someone to hold.
            donor = sizes.index(max(sizes))
            sizes[donor] -= 1
            sizes[0] = 1
        position = 0
        for commune in communes:
            commune.hamlet_sizes = sizes[position:position + len(commune.hamlets)]
            position += len(commune.hamlets)
        self.counts["units"] = (1 + (above is not province) + len(communes)
                                + sum(len(c.hamlets) for c in communes))
        return province, above, communes

    @staticmethod
    def ward_name_and_code(index: int, scheme: str = "2019") -> tuple[str, str]:
        """The real wards first; past them, numbered copies with codes after the real ones."""
        wards = names.WARDS_2025 if scheme == "2025" else names.WARDS
        real = len(wards)
        if index < real:
            return wards[index]
        name, _ = wards[index % real]
        # Step by 3 as the official list does, never reusing one. Under 2019 the real codes
        # end at 31150; under 2025 the copies start past every commune of the country.
        first = names.COPY_CODES_2025_FROM if scheme == "2025" else 31153
        return f"{name} {index // real + 1}", f"{first + 3 * (index - real):05d}"

    def build_campaigns(self, province: AdministrativeUnit) -> dict[str, Campaign]:
        """The four campaigns open at once that seed 002 reports on, ages counted on its day,
        and the dose-2 drive of seed 004, closed since January 2022."""
        deadline = date(2022, 8, 31)
        open_ones = {
            "booster_2": Campaign(
                name="Tiêm mũi nhắc lại lần 2 (mũi 4) cho người từ 50 tuổi trở lên và người "
                     "có nguy cơ cao",
                description=("Mũi nhắc lại lần 2 (mũi 4) cho người từ 50 tuổi trở lên và người "
                             "từ 18 tuổi có bệnh nền, suy giảm miễn dịch: tỷ lệ hiện đạt 9%."),
                unit=province, required_dose=DoseKind.BOOSTER_2,
                prior_doses=[DoseKind.DOSE_1.value, DoseKind.DOSE_2.value,
                             DoseKind.BOOSTER_1.value],
                min_age=18, max_age=None, risk_groups_only=True,
                min_interval_days=BOOSTER_2_INTERVAL,
                age_reference_date=REFERENCE_DAY, starts_on=REFERENCE_DAY, deadline=deadline,
            ),
            "children_dose_1": Campaign(
                name="Tiêm mũi 1 cho trẻ em từ 5 đến dưới 12 tuổi",
                description="Tiêm đủ hai mũi cho trẻ từ 5 đến dưới 12 tuổi: mũi 1 hiện đạt 89%.",
                unit=province, required_dose=DoseKind.DOSE_1, prior_doses=[],
                min_age=5, max_age=12, risk_groups_only=False, min_interval_days=0,
                age_reference_date=REFERENCE_DAY, starts_on=REFERENCE_DAY, deadline=deadline,
            ),
            "children_dose_2": Campaign(
                name="Tiêm mũi 2 cho trẻ em từ 5 đến dưới 12 tuổi",
                description="Tiêm đủ hai mũi cho trẻ từ 5 đến dưới 12 tuổi: mũi 2 hiện đạt 36%.",
                unit=province, required_dose=DoseKind.DOSE_2,
                prior_doses=[DoseKind.DOSE_1.value],
                min_age=5, max_age=12, risk_groups_only=False,
                min_interval_days=CHILDREN_DOSE_INTERVAL,
                age_reference_date=REFERENCE_DAY, starts_on=REFERENCE_DAY, deadline=deadline,
            ),
            # Made last: where a screen shows one campaign, the newest, it is the booster 1
            # campaign, the one the demo's visits are recorded in.
            "booster_1": Campaign(
                name="Tiêm mũi nhắc lại lần 1 (mũi 3) cho người từ 18 tuổi trở lên",
                description=(
                    "Đi từng ngõ, gõ từng nhà, rà từng đối tượng: đẩy nhanh tiêm mũi nhắc lại "
                    "lần 1 (mũi 3) cho người từ 18 tuổi trở lên, tỷ lệ hiện đạt 58,1%."
                ),
                unit=province, required_dose=DoseKind.BOOSTER_1,
                prior_doses=[DoseKind.DOSE_1.value, DoseKind.DOSE_2.value],
                min_age=18, max_age=None, risk_groups_only=False,
                min_interval_days=BOOSTER_1_INTERVAL,
                age_reference_date=REFERENCE_DAY, starts_on=REFERENCE_DAY, deadline=deadline,
            ),
        }
        # Seed 004: dose 2 for everyone with an indication in the fourth quarter of 2021.
        closed = Campaign(
            name="Tiêm mũi 2 cho người từ 18 tuổi trở lên",
            description="Đợt tiêm mũi 2 năm 2021 (quý IV/2021), đã kết thúc.",
            unit=province, required_dose=DoseKind.DOSE_2, prior_doses=[DoseKind.DOSE_1.value],
            min_age=18, max_age=None, risk_groups_only=False,
            min_interval_days=PRIMARY_INTERVAL,
            age_reference_date=date(2021, 10, 1), starts_on=date(2021, 10, 1),
            deadline=date(2021, 12, 31), closed_at=datetime(2022, 1, 10, 2, 0),
        )
        campaigns = {"dose_2_2021": closed, **open_ones}
        db.session.add_all(campaigns.values())
        db.session.flush()
        self.counts["campaigns"] = len(campaigns)
        return campaigns

    def build_accounts(self, places: dict[str, AdministrativeUnit], first: _Commune,
                       ) -> dict[str, User]:
        """One account per role, by role, each on its place of names.ACCOUNTS; the screener
        walks the first three hamlets of Phường Cái Khế."""
        # scrypt is slow on purpose: hash the shared password once for every account.
        password_hash = hash_password(DEMO_PASSWORD)
        accounts = {}
        for username, role, place, full_name in names.ACCOUNTS:
            user = create_user(username=username, password=DEMO_PASSWORD, role=role,
                               unit_code=places[place].code, full_name=full_name,
                               password_hash=password_hash)
            if role == "screener":
                user.hamlets.extend(first.hamlets[:3])
            accounts[role] = user
        db.session.flush()
        self.counts["accounts"] = len(names.ACCOUNTS)
        return accounts

    # -- households and residents -------------------------------------------------------------

    def build_hamlet(self, hamlet: AdministrativeUnit, size: int) -> None:
        """Households of 1 to 6 people until the hamlet holds size residents."""
        rng = self.rng
        streets = rng.sample(names.STREETS, rng.randint(2, 4))
        alleys = sorted(rng.sample(range(2, 300), 6))
        number = 0
        left = size
        while left > 0:
            number += 1
            members = min(self.household_size.draw(rng), left)
            left -= members
            house = _between(rng.random, 1, 250)
            form = rng.random()
            if form < 0.45:
                address = f"Số {house}, hẻm {rng.choice(alleys)}, đường {rng.choice(streets)}"
            elif form < 0.75:
                address = f"Số {house} đường {rng.choice(streets)}"
            else:
                address = f"Số {house}, {hamlet.name}"
            household_id = self.next_household_id
            self.next_household_id += 1
            self.household_serial += 1
            head_name, guardian = self.build_household(hamlet.id, household_id, members)
            self.households.append(
                (household_id, hamlet.id, f"HGĐ-{number:04d}", address, head_name, *guardian)
            )
            self.counts["households"] += 1

    def build_household(self, hamlet_id: int, household_id: int,
                        members: int) -> tuple[str, tuple[str | None, str | None]]:
        """The people of one household, head first; returns the head's name and the
        household's guardian: the head, with the head's phone, when a child lives there."""
        rng = self.rng
        ages = [self.draw_age() for _ in range(members)]
        # The head is the oldest adult still of working age, else the oldest adult; a draw
        # with no adult at all gets one, as children are never registered alone.
        candidates = [a for a in ages if 22 <= a <= 75] or [a for a in ages if a >= 22]
        if candidates:
            head_age = max(candidates)
            ages.remove(head_age)
        else:
            head_age = self.draw_adult_age()
            ages.pop(0)
        ages.sort(reverse=True)
        head_male = rng.random() < 0.65
        head_family = self.family.draw(rng)
        if self.force_first_name:
            # A known name for demonstrations: "nguyen van duc" finds him.
            self.force_first_name = False
            head_male = True
            head_family = "Nguyễn"
            head_name, head_phone, _ = self.add_person(
                hamlet_id, household_id, head_age, True, head_family, ("Văn", "Đức"))
        else:
            head_name, head_phone, _ = self.add_person(hamlet_id, household_id, head_age,
                                                       head_male, head_family)
        minors = False
        spouse_family = None
        spouse_taken = False
        for age in ages:
            if not spouse_taken and age >= 18 and abs(age - head_age) <= 12:
                # A spouse: the other sex, and her or his own family name.
                spouse_taken = True
                spouse_family = self.family.draw(rng)
                self.add_person(hamlet_id, household_id, age, not head_male, spouse_family)
                continue
            male = rng.random() < 0.445  # heads are mostly men: keep the whole near 50/50
            if age <= head_age - 16:
                # A child or grandchild takes the father's family name.
                if head_male:
                    family = head_family
                elif spouse_family is not None:
                    family = spouse_family
                else:
                    family = self.family.draw(rng)
            elif age >= head_age + 16 and male:
                family = head_family  # the head's father
            elif rng.random() < 0.6:
                family = head_family  # a brother or sister
            else:
                family = self.family.draw(rng)
            minors |= self.add_person(hamlet_id, household_id, age, male, family)[2] < ADULT_AGE
        return head_name, (head_name, head_phone) if minors else (None, None)

    def draw_age(self) -> int:
        """An age on the reference day, following the population pyramid."""
        return self.age_band.draw(self.rng) + int(self.rng.random() * 5)

    def draw_adult_age(self) -> int:
        """An age of 22 or more, following the pyramid (the age of a household head)."""
        while True:
            age = self.draw_age()
            if age >= 22:
                return age

    def fold_part(self, part: str) -> str:
        """The folded form of one name part, computed once."""
        folded = self.folded.get(part)
        if folded is None:
            folded = self.folded[part] = fold(part)
        return folded

    def day_text(self, ordinal: int) -> str:
        """A day given as an ordinal, as the database stores it (cached: days repeat a lot)."""
        value = self.day_texts.get(ordinal)
        if value is None:
            value = self.day_texts[ordinal] = _day_text(date.fromordinal(ordinal))
        return value

    def add_person(self, hamlet_id: int, household_id: int, age: int, male: bool, family: str,
                   forced: tuple[str, str] | None = None) -> tuple[str, str | None, int]:
        """Buffer one resident and their doses; returns the full name, phone and age."""
        rng = self.rng
        random_ = rng.random
        reference = self.reference
        birth_ordinal = reference - int((age + random_()) * 365.2425) - 1
        birth = date.fromordinal(birth_ordinal)
        age = REFERENCE_DAY.year - birth.year - (
            (REFERENCE_DAY.month, REFERENCE_DAY.day) < (birth.month, birth.day)
        )
        sex = MALE if male else FEMALE
        if forced:
            middle, given = forced
        else:
            if birth.year < 1986:
                generation = "older"
            elif birth.year > 1994:
                generation = "younger"
            else:
                generation = "older" if random_() < 0.5 else "younger"
            middle = self.middle[sex, generation].draw(rng)
            given = self.given[sex, generation].draw(rng)
            if middle.endswith(given):
                given = self.given[sex, generation].draw(rng)
        full_name = f"{family} {middle} {given}"
        folded = f"{self.fold_part(family)} {self.fold_part(middle)} {self.fold_part(given)}"

        id_number = None
        if age >= 14 and random_() >= 0.03:
            if age > 40 and random_() < 0.05:
                id_number = self.old_id_number()
            else:
                id_number = self.citizen_id_number(birth.year, male)
        phone = None
        if age >= 15 and random_() < 0.85:
            prefixes = names.MOBILE_PREFIXES
            phone = f"0{prefixes[int(random_() * len(prefixes))]}{int(random_() * 1e7):07d}"
        chronic_share = 0.05 if age < 40 else 0.20 if age < 60 else 0.35
        chronic = random_() < chronic_share
        immunocompromised = random_() < 0.015
        pregnant = not male and 18 <= age <= 40 and random_() < 0.05
        # Deaths come mostly at old age; moving away at any age.
        death_share = 0.002 if age < 60 else 0.01 if age < 70 else 0.04
        draw = random_()
        if draw < death_share:
            status = DECEASED
        elif draw < death_share + 0.01:
            status = MOVED_AWAY
        else:
            status = PRESENT

        resident_id = self.next_resident_id
        self.next_resident_id += 1
        self.counts["residents"] += 1
        self.search_terms.extend(search_entries(self.commune_id, resident_id, full_name))
        self.people.append((
            resident_id, hamlet_id, household_id, full_name, folded, self.day_text(birth_ordinal),
            birth.year, sex, id_number, phone, chronic, immunocompromised, pregnant, status,
            REGISTER, self.now_text, self.now_text,
        ))
        dose_2_on, boosted = self.add_doses(resident_id, age,
                                            chronic or immunocompromised or pregnant)
        needs_a_visit = not boosted if age >= 18 else 5 <= age < 12 and dose_2_on is None
        if self.collecting and status == PRESENT and needs_a_visit:
            self.to_visit.append(_ToVisit(resident_id, self.household_serial, age, pregnant,
                                          dose_2_on))
        return full_name, phone, age

    def citizen_id_number(self, birth_year: int, male: bool) -> str:
        """A CCCD: birth province, century-and-sex digit, birth year, then a unique six digits."""
        province = self.birth_province.draw(self.rng)
        century_sex = century_and_sex_digit(birth_year, female=not male)
        key = f"{province}{century_sex}{birth_year % 100:02d}"
        serial = self.id_counters.get(key, 0)
        if serial >= 1_000_000:
            raise DemoError(f"More than a million people share the ID number prefix {key}.")
        self.id_counters[key] = serial + 1
        # An affine map with a multiplier prime to 10 is a permutation of 0..999999: the
        # numbers look scattered yet never repeat within a prefix, so no check is needed.
        return f"{key}{(serial * 738_493 + int(key) * 7_919) % 1_000_000:06d}"

    def old_id_number(self) -> str:
        """A nine-digit CMND of Cần Thơ (prefix 36), unique through the same permutation trick."""
        serial = self.old_id_counter
        if serial >= 10_000_000:
            raise DemoError("Too many old ID numbers for the demo's numbering.")
        self.old_id_counter = serial + 1
        return f"36{(serial * 7_654_321 + 1_234_567) % 10_000_000:07d}"

    # -- doses --------------------------------------------------------------------------------

    def add_doses(self, resident_id: int, age: int, at_risk: bool) -> tuple[int | None, bool]:
        """Buffer the doses the platform knows of; returns dose 2's day and whether boosted.

        Shares follow seed 002: adults 95 % dose 1, 85 % dose 2, 58 % booster 1, 9 % booster 2;
        12 to 17 years 95 % and 88 %; 5 to under 12 years 89 % and 36 %. Intervals follow the
        Ministry's schedule the demo's campaigns require: booster 1 three months after dose 2,
        booster 2 four months after booster 1, a child's dose 2 eight weeks after dose 1.
        """
        rng = self.rng
        random_ = rng.random
        draw = random_()
        if age >= 18:
            if draw >= 0.95:
                return None, False
            dose_2 = draw < 0.85
            booster_1 = draw < 0.58
            # Booster 2 was for people of 50 and over and younger adults at high risk (a chronic
            # condition, immunocompromised, pregnant), and a few front-line workers besides.
            booster_2 = booster_1 and random_() < (
                BOOSTER_2_SHARES[0] if age >= 50 else BOOSTER_2_SHARES[1] if at_risk
                else BOOSTER_2_SHARES[2])
            pick = self.primary_vaccine
            start = _between(random_, PRIMARY_FROM,
                             EARLY_PRIMARY_UNTIL if booster_2 else PRIMARY_UNTIL)
            interval = PRIMARY_INTERVAL
        elif age >= 12:
            if draw >= 0.95:
                return None, False
            dose_2, booster_1, booster_2 = draw < 0.88, False, False
            pick = self.teen_vaccine
            start = _between(random_, TEENS_FROM, PRIMARY_UNTIL)
            interval = PRIMARY_INTERVAL
        elif age >= 5:
            if draw >= 0.89:
                return None, False
            dose_2, booster_1, booster_2 = draw < 0.36, False, False
            pick = self.child_vaccine
            # A child's second dose must fit before the reference day: start early enough.
            start = _between(random_, CHILDREN_FROM,
                             CHILDREN_SECOND_DOSE_START_BY if dose_2 else LAST_DAY)
            interval = CHILDREN_DOSE_INTERVAL
        else:
            return None, False

        first = pick.draw(rng)
        self.add_dose(resident_id, DOSE_1, first, start)
        if not dose_2:
            return None, False
        second_on = _between(random_, start + interval, min(start + 84, LAST_DAY))
        # Mostly the same product twice; some switched (AstraZeneca then Pfizer, say).
        second = first if random_() < 0.9 else pick.draw(rng)
        self.add_dose(resident_id, DOSE_2, second, second_on)
        if not booster_1:
            return second_on, False
        earliest = max(second_on + BOOSTER_1_INTERVAL, BOOSTERS_FROM)
        if booster_2 and earliest > THIRD_DOSE_FOR_FOURTH_BY:
            booster_2 = False  # no room for a fourth dose four months after the third
        third_on = _between(random_, earliest,
                            THIRD_DOSE_FOR_FOURTH_BY if booster_2 else LAST_DAY)
        self.add_dose(resident_id, BOOSTER_1, self.booster_vaccine.draw(rng), third_on)
        if booster_2:
            fourth_on = _between(random_, max(third_on + BOOSTER_2_INTERVAL, FOURTH_DOSES_FROM),
                                 LAST_DAY)
            self.add_dose(resident_id, BOOSTER_2, self.booster_vaccine.draw(rng), fourth_on)
        return second_on, True

    def add_dose(self, resident_id: int, kind: str, vaccine: str, day: int) -> None:
        """Buffer one dose row, as the national platform knows it."""
        place = self.stations[0] if self.rng.random() < 0.7 else self.stations[1]
        self.doses.append((self.next_dose_id, resident_id, kind, vaccine, self.day_text(day),
                           place, PLATFORM, self.now_text))
        self.next_dose_id += 1
        self.counts["doses"] += 1

    # -- the closed campaign's list ---------------------------------------------------------

    def build_approved_list(self, campaign: Campaign, commune: _Commune,
                            accounts: dict[str, User]) -> None:
        """The first ward's list of the closed campaign, as it stood at its deadline: submitted
        by the commune lead, approved by the district officer (under 2025, the province's
        officer: the account sits on the province), through the workflow's own steps (its
        files are made when someone first asks for them)."""
        signer_title, signer_name = names.LIST_SIGNER
        compliance_list = submit(accounts["commune_lead"], campaign, commune.unit,
                                 campaign.deadline, signer_title=signer_title,
                                 signer_name=signer_name)
        approve(accounts["district_officer"], compliance_list)
        db.session.flush()
        self.counts["lists"] = 1

    # -- visits -------------------------------------------------------------------------------

    def build_visits(self, campaigns: list[Campaign], booster: Campaign, screener: User,
                     ) -> None:
        """Knocks on the doors of about 40 % of the first ward's households with someone to
        visit, recorded as a screener records them (record_knock): each person's outcome for
        every open campaign they still need, a card seen for booster 1 only."""
        rng = self.rng
        residents = {}
        ids = [person.resident_id for person in self.to_visit]
        for start in range(0, len(ids), CHUNK_ROWS):
            residents.update((r.id, r) for r in db.session.scalars(
                select(Resident).where(Resident.id.in_(ids[start:start + CHUNK_ROWS]))
                .options(selectinload(Resident.doses))))
        # What each person needs on the day the visits begin (a visit changes only its own).
        needs = standings_in(campaigns, list(residents.values()), REFERENCE_DAY)
        for _, group in itertools.groupby(self.to_visit, key=lambda person: person.household):
            if rng.random() >= VISITED_SHARE:
                continue
            day = REFERENCE_DAY + timedelta(days=rng.randint(0, 12))
            # Teams go out mornings, afternoons and evenings (when people are home), local time.
            start_minutes = rng.choice((
                rng.randint(7 * 60 + 30, 11 * 60), rng.randint(13 * 60 + 30, 17 * 60),
                rng.randint(18 * 60, 20 * 60),
            ))
            local = datetime.combine(day, datetime.min.time()) + timedelta(minutes=start_minutes)
            for person in group:
                local += timedelta(minutes=rng.randint(2, 6), seconds=rng.randint(0, 59))
                entry = self.visit_entry(person, day)
                screened = [s.campaign for s in needs[person.resident_id] if s.to_record]
                if entry.outcome is Outcome.UP_TO_DATE:
                    screened = [c for c in screened if c.id == booster.id]
                if not screened:
                    continue
                visits, _ = record_knock(
                    user=screener, resident=residents[person.resident_id],
                    entries=[(campaign, entry) for campaign in screened], today=day,
                    at=stored_time(local))
                self.counts["visits"] += len(visits)
        db.session.flush()

    def visit_entry(self, person: _ToVisit, day: date) -> VisitInput:
        """What a screener finds at one door, drawn with realistic shares."""
        rng = self.rng
        day_ordinal = day.toordinal()
        card_possible = (person.age >= 18 and person.dose_2_on is not None
                         and person.dose_2_on + 90 < day_ordinal)
        weights = [
            (Outcome.WILLING, 30), (Outcome.ABSENT, 20), (Outcome.REFUSED, 15),
            (Outcome.CONTRAINDICATED, 10), (Outcome.HOMEBOUND, 30 if person.age >= 65 else 5),
            (Outcome.HOSPITALISED, 7),
            # Only those with dose 2 can show a booster card; raise their share to keep ~10 %.
            (Outcome.UP_TO_DATE, 15 if card_possible else 0),
        ]
        outcome = _Weighted(weights).draw(rng)
        client_uuid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        details = {}
        if outcome is Outcome.REFUSED:
            details["refusal_reason"], details["note"] = self.refusal.draw(rng)
        elif outcome is Outcome.CONTRAINDICATED:
            while True:
                category, reason, deferral_days, pregnancy_only = self.screening.draw(rng)
                if person.pregnant or not pregnancy_only:
                    break
            details["screening_category"], details["reason"] = category, reason
            if deferral_days is not None:
                details["deferred_until"] = day + timedelta(days=rng.randint(*deferral_days))
        elif outcome is Outcome.UP_TO_DATE:
            details["note"] = "Đã xem thẻ tiêm chủng"
            details["dose_given_on"] = date.fromordinal(
                rng.randint(max(person.dose_2_on + 90, BOOSTERS_FROM), day_ordinal - 1))
            details["vaccine"] = self.booster_vaccine.draw(rng)
        else:
            details["note"] = rng.choice(VISIT_NOTES[outcome])
        return VisitInput(client_uuid=client_uuid, outcome=outcome, **details)


def _between(random_, low: int, high: int) -> int:
    """A whole number from low to high inclusive; cheaper than Random.randint in hot loops."""
    return low + int(random_() * (high - low + 1))


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split total into integers proportional to weights (largest remainders), summing to total."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    sizes = [int(s) for s in shares]
    short = total - sum(sizes)
    by_remainder = sorted(range(len(weights)), key=lambda i: shares[i] - sizes[i], reverse=True)
    for index in by_remainder[:short]:
        sizes[index] += 1
    return sizes

