"""Hostile input: script in names and notes stays text, oversize bodies and bad ids are refused."""

from __future__ import annotations

import importlib
import io
import pkgutil
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import Integer, String, Text, select
from werkzeug.exceptions import NotFound

import portal
from portal.access import PERMISSIONS
from portal.auth.models import Role, User
from portal.extensions import db
from portal.forms import Form
from portal.ids import MAX_ID, IdConverter, numbers_up_to
from portal.residents.models import Resident
from portal.text import has_control_characters
from portal.timeutil import filter_days, today_local

from helpers import HX, uuid_for

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_script_in_a_name_or_a_note_renders_as_text_everywhere(app, client, world):
    from portal.residents.models import Resident
    from portal.residents.search import index_resident
    from portal.text import fold

    with app.app_context():
        resident = db.session.get(Resident, world["nam"])
        resident.full_name = f"Trần {SCRIPT}"
        resident.name_folded = fold(resident.full_name)
        index_resident(resident, resident.hamlet.parent_id)
        hamlet_id = resident.hamlet_id
        db.session.commit()
    client.login("screener")
    page = client.get(f"/residents/{world['nam']}").get_data(as_text=True)
    client.post_form(f"/residents/{world['nam']}/visits", {
        "outcome": "refused", "client_uuid": uuid_for(page, "refused"),
        "refusal_reason": "other", "note": SCRIPT}, headers=HX)
    pages = [
        client.get(f"/residents/{world['nam']}").get_data(as_text=True),
        client.get("/residents/search?q=tran", headers=HX).get_data(as_text=True),
        client.get(f"/walk/{hamlet_id}").get_data(as_text=True),
        client.get("/follow-up/refusals").get_data(as_text=True),
    ]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html
    client.post_form("/logout")
    client.login("district_officer")
    trail = client.get("/audit").get_data(as_text=True)  # the note's words are not in the trail
    assert "Ghi kết quả rà soát" in trail and "<script>alert" not in trail


def test_a_body_over_the_limit_is_refused_with_a_message(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    client.login("screener")
    answer = client.post_form(f"/residents/{world['nam']}/visits",
                              {"outcome": "absent", "note": "x" * 20_000})
    assert answer.status_code == 413
    assert "quá lớn" in answer.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/residents/abc", "/residents/-1", "/walk/1e3", "/walk/%00",
                                  "/residents/99999999999999999999", "/follow-up/../../etc"])
def test_malformed_ids_answer_404_never_500(client, world, path):
    client.login("screener")
    assert client.get(path).status_code == 404


def test_huge_numbers_in_query_strings_are_ignored(client, world):
    client.login("screener")
    huge = "99999999999999999999"
    assert client.get(f"/residents/{world['nam']}?saved={huge}").status_code == 200
    assert client.get(f"/follow-up/refusals?hamlet={huge}").status_code == 404
    assert client.get("/follow-up/refusals?hamlet=-5").status_code == 404
    hamlet = client.get("/walk").get_data(as_text=True).split('href="/walk/')[1].split('"')[0]
    assert client.get(f"/walk/{hamlet}?page={huge}").status_code == 200
    client.post_form("/logout")
    client.login("admin")
    assert client.get("/audit?before=99999999999999999999").status_code == 200


# --- Ids beyond the columns' range -------------------------------------------------------

BEYOND_THE_COLUMNS = (2**31, 2**63 - 1)


def _id_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if any(isinstance(rule._converters[name], IdConverter) for name in rule.arguments)]


def _role_for(app, endpoint: str) -> Role:
    """A role that may use the endpoint (so that only the id can be what is refused)."""
    needed = getattr(app.view_functions[endpoint], "required_action", None)
    return next(role for role in Role if needed is None or needed in PERMISSIONS[role])


def test_every_id_column_is_the_32_bit_integer_the_id_converter_assumes(app):
    columns = [column for table in db.metadata.sorted_tables for column in table.columns
               if column.primary_key or column.foreign_keys]
    integers = [column for column in columns if column.type.python_type is int]
    assert len(integers) > 20
    for column in integers:
        assert type(column.type) is Integer, f"{column}: update portal.ids.MAX_ID"
    assert MAX_ID == 2**31 - 1


@pytest.mark.parametrize("limit", [1, 9, 10, 57, 100, 305, 1000, MAX_ID])
def test_the_id_pattern_takes_exactly_the_numbers_from_1_to_its_limit(limit):
    pattern = re.compile(rf"(?:{numbers_up_to(limit)})\Z")
    numbers = [*range(0, 1200), limit - 1, limit, limit + 1, limit * 10, 2**63 - 1]
    assert [n for n in numbers if bool(pattern.match(str(n))) != (1 <= n <= limit)] == []


def test_the_largest_id_still_names_a_route(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match(f"/residents/{MAX_ID}") == ("visits.card", {"resident_id": MAX_ID})
    assert adapter.match("/residents/007") == ("visits.card", {"resident_id": 7})


def test_an_id_beyond_the_column_range_is_404_on_every_id_route(app, client, world):
    rules = _id_rules(app)
    assert len(rules) >= 20
    adapter = app.url_map.bind("localhost")
    for rule in rules:
        client.login(_role_for(app, rule.endpoint).value)
        for number in BEYOND_THE_COLUMNS:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda match: {
                "kind": "refusals", "file_format": "pdf"}.get(match.group(1), str(number)),
                rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                with pytest.raises(NotFound):
                    adapter.match(path, method=method)
                answer = (client.get(path) if method == "GET"
                          else client.post_form(path, {}))
                assert answer.status_code == 404, f"{method} {path}: {answer.status_code}"
        client.post_form("/logout")


def test_a_job_id_that_is_no_uuid_is_404(client, world):
    client.login("commune_lead")
    for path in ("/jobs/" + "a" * 35 + "%00", "/jobs/%00", "/jobs/00000000-0000-4000-8000-00000000%000"):
        assert client.get(path).status_code == 404, path


# --- Every form field and query-string value of every page -------------------------------

NUL = "Nguyễn\x00Văn"
HUGE = str(2**31)
DAYS = ("0001-01-01", "9999-12-31")
CONTROL_MESSAGE = "ký tự điều khiển"
# What each kind of field is sent, on top of a NUL byte: ids beyond the columns where an id
# can hide, days no filter or field can mean.
HOSTILE = {"hidden": (HUGE,), "select": (HUGE,), "radio": (HUGE,), "checkbox": (HUGE,),
           "number": (HUGE,), "date": DAYS}
# Fields a browser shows, whose message must be there to read.
SHOWN = {"text", "search", "tel", "email", "password", "textarea", "date", "file", "number"}


class _Forms(HTMLParser):
    """The forms of a page: method, action, and each field's name, kind and value as a browser
    would send it."""

    def __init__(self, url: str):
        super().__init__()
        self.url, self.forms, self._form, self._select, self._textarea = url, [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").upper()
            action = attrs.get("action") or attrs.get("hx-post") or attrs.get("hx-get") or self.url
            self._form = {"method": method, "action": action, "fields": {}, "kinds": {}}
            self.forms.append(self._form)
        elif self._form is None or not attrs.get("name"):
            return
        elif tag == "input":
            kind = attrs.get("type") or "text"
            if kind in ("submit", "button", "reset", "image"):
                return
            values = self._form["fields"].setdefault(attrs["name"], [])
            self._form["kinds"][attrs["name"]] = kind
            if kind not in ("radio", "checkbox") or "checked" in attrs:
                values.append(attrs.get("value") or "")
        elif tag == "select":
            self._select = attrs["name"]
            self._form["fields"].setdefault(self._select, [])
            self._form["kinds"][self._select] = "select"
        elif tag == "option" and self._select:
            values = self._form["fields"][self._select]
            if "selected" in attrs or not values:
                values[:] = [attrs.get("value") or ""]
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self._form["fields"][self._textarea] = [""]
            self._form["kinds"][self._textarea] = "textarea"

    def handle_data(self, data):
        if self._textarea:
            self._form["fields"][self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _forms(url: str, html: str) -> list[dict]:
    parser = _Forms(url)
    parser.feed(html)
    return parser.forms


def _query_names() -> set[str]:
    """Every query-string or form value a view reads by name, outside a form class."""
    read = re.compile(r"""(?:request\.(?:args|form|values)\.get|query_text)\(\s*["'](\w+)["']""")
    source = Path(portal.__file__).parent
    return {name for path in source.rglob("*.py") for name in read.findall(path.read_text())}


@pytest.fixture
def everything(app, client, world):
    """Something behind every id route: a list waiting for review, an import waiting for its
    columns, a dose to match by hand, a visit just recorded, a job, a session with a booking;
    made through the screens where a screen makes them."""
    from portal.imports.models import Import, UnmatchedDose
    from portal.jobs.models import Job, JobState

    client.login("commune_lead")
    client.post_form("/lists/submit", {})
    client.post_form("/imports", {"kind": "residents", "file": (io.BytesIO(
        "Họ và tên,Ngày sinh,Thôn\r\nLê Văn Tám,01/01/1990,Khu vực 1\r\n".encode()), "nk.csv")},
        content_type="multipart/form-data")
    # Willing: nam's card offers to book him at a session (hoa is booked at it already).
    page = client.get(f"/residents/{world['nam']}").get_data(as_text=True)
    client.post_form(f"/residents/{world['nam']}/visits", {
        "outcome": "willing", "client_uuid": uuid_for(page, "willing")})
    client.post_form("/logout")
    with app.app_context():
        upload = db.session.scalar(select(Import))
        db.session.add(UnmatchedDose(import_id=upload.id, commune_id=upload.commune_id, line=2,
                                     full_name="Trần Văn Nam", kind="dose_1", vaccine="Pfizer"))
        job = Job(id="00000000-0000-4000-8000-000000000001", kind="list_files",
                  subject_type="list", subject_id=1, state=JobState.DONE)
        db.session.add(job)
        resident = db.session.get(Resident, world["nam"])
        screener = db.session.scalar(select(User.id).where(User.username == "screener"))
        # A site, a session of today there, and hoa booked at it: its list has every tap.
        from portal.campaigns.models import Campaign
        from portal.timeutil import today_local, utcnow
        from portal.vaccination import booking, planning
        from portal.vaccination.models import SiteKind

        lead = db.session.scalar(select(User).where(User.username == "commune_lead"))
        site = planning.add_site(user=lead, commune=resident.hamlet.parent, name="Trạm Y tế",
                                 kind=SiteKind.FIXED, address=None)
        session = planning.plan_session(
            user=lead, site=site, day=today_local(), starts_at="07:30", ends_at=None,
            capacity=50, campaigns=[db.session.get(Campaign, world["campaign"])],
            today=today_local())
        appointment = booking.book(user=lead, resident=db.session.get(Resident, world["hoa"]),
                                   campaign=session.campaigns[0], session=session,
                                   today=today_local(), now=utcnow())
        things = {"resident_id": world["nam"], "hamlet_id": resident.hamlet_id,
                  "household_id": resident.household_id, "list_id": 1, "import_id": upload.id,
                  "dose_id": 1, "visit_id": 1, "user_id": screener,
                  "campaign_id": world["campaign"], "job_id": job.id, "kind": "refusals",
                  "site_id": site.id, "session_id": session.id,
                  "appointment_id": appointment.id}
        db.session.commit()
    return things


def _pages(app, role: Role | None, things: dict) -> list[str]:
    """The pages (full HTML) the role may open, one per GET route, filled with `things`."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or "file_format" in rule.arguments:
            continue
        needed = getattr(app.view_functions[rule.endpoint], "required_action", None)
        if role is None and rule.endpoint not in ("auth.login", "main.healthz"):
            continue
        if role is not None and needed is not None and needed not in PERMISSIONS[role]:
            continue
        pages.append(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>",
                            lambda match: str(things[match.group(1)]), rule.rule))
    return pages


def _send(client, form: dict, fields: dict):
    """The form sent as a browser would send it (GET in the query string, files attached)."""
    if form["method"] == "GET":
        return client.get(form["action"], query_string=fields)
    data = {name: values for name, values in fields.items() if name != "csrf_token"}
    for name, kind in form["kinds"].items():
        if kind == "file" and not isinstance(data[name], tuple):
            data[name] = (io.BytesIO("Họ và tên\r\nAi Đó\r\n".encode()), "nk.csv")
    return client.post_form(form["action"], data, content_type="multipart/form-data")


def _stored_control_characters(app) -> list[str]:
    """Every stored text that holds a control character, as table.column."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            texts = [c for c in table.columns if isinstance(c.type, (String, Text))]
            for row in db.session.execute(select(*texts)) if texts else ():
                found += [f"{table.name}.{column.name}" for column, value in zip(texts, row)
                          if isinstance(value, str) and has_control_characters(value,
                                                                               multiline=True)]
    return found


def _forms_of_pages(client, urls: list[str], names: set[str]) -> list[dict]:
    """The distinct forms of the pages (each once, however many pages show it), after asking
    each page with every name read outside a form set to each hostile value."""
    found = {}
    for url in urls:
        page = client.get(url)
        assert page.status_code < 500, url
        for value in (NUL, HUGE, *DAYS):
            answer = client.get(url, query_string=dict.fromkeys(names, value))
            assert answer.status_code < 500, f"{url} ?…={value!r}"
        if page.mimetype != "text/html":
            continue
        for form in _forms(url, page.get_data(as_text=True)):
            if not form["action"].endswith("/logout"):
                found.setdefault((form["method"], form["action"], tuple(sorted(form["kinds"]))),
                                 form)
    return list(found.values())


def _each_field(forms: list[dict]):
    """(form, field name, kind) for every field a user or a page could change."""
    for form in forms:
        for name, kind in form["kinds"].items():
            if name != "csrf_token":
                yield form, name, kind


@pytest.mark.parametrize("role", [None, *Role], ids=lambda role: role.value if role else "anyone")
def test_a_nul_byte_in_any_text_input_gets_a_message_not_a_500(app, client, everything, role):
    """Every field of every form of every page the role opens, sent a NUL byte one field at a
    time, then ids and days out of range where those go; and every value a view reads by name
    outside a form. Never a 500; the NUL refused, with a message beside a field the user
    sees; nothing of it kept."""
    app.config["PROPAGATE_EXCEPTIONS"] = True  # a 500 fails the test with its traceback
    if role is not None:
        client.login(role.value)
    names = _query_names()
    assert {"next", "unit_code", "before", "hamlet", "resident_id"} <= names
    forms = _forms_of_pages(client, _pages(app, role, everything), names)
    fields = list(_each_field(forms))
    assert len(fields) >= {None: 2, Role.CLERK: 4}.get(role, 10)  # the crawl found the forms
    # A NUL first, everywhere: it is never saved, so every form is still as its page showed it.
    for form, name, kind in fields:
        value = (io.BytesIO(b"x"), "nk\x00.csv") if kind == "file" else NUL
        answer = _send(client, form, {**form["fields"], name: value})
        where = f"{form['method']} {form['action']} {name}"
        assert answer.status_code in (200, 302, 400, 403, 404, 422), where
        if kind in SHOWN and answer.status_code not in (403, 404):  # refused before reading
            assert CONTROL_MESSAGE in answer.get_data(as_text=True), where
    assert _stored_control_characters(app) == []
    # Then ids beyond the columns and days no one means: these may well be saved.
    for form, name, kind in fields:
        for value in HOSTILE.get(kind, ()):
            answer = _send(client, form, {**form["fields"], name: value})
            assert answer.status_code < 500, f"{form['method']} {form['action']} {name}={value}"


@pytest.mark.parametrize("query", ["since=0001-01-01", "until=9999-12-31",
                                   "since=1999-12-31", "until=9999-12-31&since=0001-01-01"])
def test_a_day_no_filter_can_mean_gets_a_message_and_no_rows(app, client, world, query):
    client.login("commune_lead")
    client.post_form("/lists/submit", {})
    client.post_form("/logout")
    client.login("district_officer")
    for path, row in (("/lists", 'href="/lists/1"'), ("/audit", 'class="card"')):
        assert row in client.get(path).get_data(as_text=True)  # there is something to list
        for headers in ({}, HX):
            answer = client.get(f"{path}?{query}", headers=headers)
            html = answer.get_data(as_text=True)
            assert answer.status_code == 200, path
            assert "Chọn một ngày từ 01/01/2000 đến" in html, path
            assert row not in html, path
    first, last = filter_days(today_local())
    fine = client.get(f"/lists?since={first}&until={last}").get_data(as_text=True)
    assert 'href="/lists/1"' in fine and "Chọn một ngày" not in fine


def test_every_form_of_the_portal_refuses_control_characters(app):
    """Each form class derives from portal.forms.Form, where control characters are refused,
    not from FlaskForm directly: a new form cannot miss it."""
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        importlib.import_module(module.name)
    found, todo = [], [FlaskForm]
    while todo:
        for subclass in todo.pop().__subclasses__():
            todo.append(subclass)
            if subclass.__module__.startswith("portal."):
                found.append(subclass)
    assert len(found) >= 14
    assert [form for form in found if not issubclass(form, Form)] == []
    with app.test_request_context(method="POST", data={"note": "a\tb\r\nc", "reason": "a\tb"}):
        from portal.visits.forms import VisitForm

        form = VisitForm()
        form.validate()
        assert "note" not in [field.name for field in form.control_refused]  # lines are fine
        assert [field.name for field in form.control_refused] == ["reason"]  # one line is one
