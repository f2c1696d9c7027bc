"""A list's files: what they print, rendered once by a job (thread or RQ), the same bytes served."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.jobs import runner
from portal.jobs.models import Job, JobState
from portal.lists.document import document_of
from portal.lists.models import ComplianceList, ComplianceListRow, ListFile, ListState

from helpers import list_id_of

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"  # a database of its own, emptied by the tests


def _submitted(client) -> int:
    client.login("commune_lead")
    list_id = list_id_of(client.post_form("/lists/submit", {
        "signer_title": "KT. Chủ tịch", "signer_name": "Lê Văn Thành"}))
    client.post_form("/logout")
    return list_id


def _approve(client, list_id: int):
    client.login("district_officer")
    answer = client.post_form(f"/lists/{list_id}/approve", {})
    assert answer.status_code == 302
    client.post_form("/logout")


def _files_job(app, list_id: int) -> str:
    with app.app_context():
        return db.session.scalar(select(Job.id).where(
            Job.subject_type == "list", Job.subject_id == list_id).order_by(Job.created_at.desc()))


def _wait(app, job_id: str) -> Job:
    with app.app_context():
        job = runner.wait(job_id)
        assert job.state is JobState.DONE, (job.state, job.error)
        return job


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_document_prints_the_frozen_rows_in_vietnamese_with_ids_masked(app, client, world):
    list_id = _submitted(client)
    with app.test_request_context(), app.app_context():
        from flask_babel import force_locale

        with force_locale("en"):  # the screen's language does not change the document
            document = document_of(db.session.get(ComplianceList, list_id))
    assert document.issuing_body == "ỦY BAN NHÂN DÂN\nPHƯỜNG CÁI KHẾ"
    assert document.place_and_date.startswith("Phường Cái Khế, ngày ")
    assert "trên địa bàn phường Cái Khế" in document.subject
    assert document.signer_caption == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert document.signer_name == "Lê Văn Thành"
    assert document.recipients[0] == "- UBND Quận Ninh Kiều;"
    assert document.draft and document.approved_note is None
    by_name = {row.full_name: row for row in document.rows}
    assert set(by_name) == {"Nguyễn Văn Đức", "Trần Văn Nam", "Lê Thị Hoa"}
    assert by_name["Nguyễn Văn Đức"].id_number_masked.endswith("1234")
    assert "092060" not in by_name["Nguyễn Văn Đức"].id_number_masked
    assert by_name["Nguyễn Văn Đức"].reason == "Chưa được rà soát"
    assert by_name["Trần Văn Nam"].birth == "20/01/1990"
    assert [row.hamlet for row in document.rows] == ["Khu vực 1", "Khu vực 1", "Khu vực 2"]


def test_approval_renders_the_files_once_and_the_clerk_gets_the_same_bytes(app, client, world):
    list_id = _submitted(client)
    _approve(client, list_id)
    job = _wait(app, _files_job(app, list_id))  # started by the approval, run in a thread
    assert job.progress == 100 and job.stage == "done"

    client.login("clerk")
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert f"/lists/{list_id}/download/pdf" in page and f"/lists/{list_id}/download/csv" in page
    first = client.get(f"/lists/{list_id}/download/pdf")
    second = client.get(f"/lists/{list_id}/download/pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == second.data
    digest = hashlib.sha256(first.data).hexdigest()
    assert first.headers["ETag"] == f'"{digest}"'
    assert first.headers["Cache-Control"] == "no-store"
    assert 'filename="DS-Phuong-Cai-Khe-v1.pdf"' in first.headers["Content-Disposition"]
    with app.app_context():
        stored = db.session.scalars(select(ListFile).where(ListFile.list_id == list_id)).all()
        assert sorted(f.format for f in stored) == ["csv", "pdf", "xlsx"]
        assert all(f.final for f in stored)
        assert {f.format: f.sha256 for f in stored}["pdf"] == digest
        downloads = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "list.download")).all()
        assert len(downloads) == 2 and downloads[0].after["sha256"] == digest
        assert downloads[0].username == "clerk"

    text = _pdf_text(first.data)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "PHƯỜNG CÁI KHẾ", "Nguyễn Văn Đức",
                     "Trần Văn Nam", "Lê Thị Hoa", "Chưa được rà soát", "PHÓ CHỦ TỊCH",
                     "đã phê duyệt trên Từng Nhà bởi Cán bộ district_officer (Quận Ninh Kiều)"):
        assert expected in text, expected
    assert "DỰ THẢO" not in text
    assert "092060001234" not in text

    # Downloads read a local copy named by the hash; a damaged copy is written again.
    copy = Path(app.config["LIST_FILE_COPIES"]) / f"{digest}.pdf"
    assert copy.read_bytes() == first.data
    copy.write_bytes(first.data[:100])
    assert client.get(f"/lists/{list_id}/download/pdf").data == first.data

    # Preparing again renders nothing: every file is stored.
    assert client.post_form(f"/lists/{list_id}/files", {}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 1


def test_excel_and_csv_hold_the_same_rows_and_no_formula(app, client, world):
    from openpyxl import load_workbook

    from portal.residents.models import Resident

    with app.app_context():  # a note typed as a formula must reach the files as text
        db.session.get(Resident, world["hoa"]).full_name = "=HYPERLINK(\"http://x\")"
        db.session.commit()
    list_id = _submitted(client)
    _approve(client, list_id)
    _wait(app, _files_job(app, list_id))
    client.login("clerk")

    answer = client.get(f"/lists/{list_id}/download/csv")
    assert answer.data.startswith("\ufeff".encode()), "Excel needs the BOM to read UTF-8"
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["STT", "Thôn/Khu vực", "Họ và tên"]
    names = [row[2] for row in rows[1:]]
    assert names == ["Nguyễn Văn Đức", "Trần Văn Nam", "'=HYPERLINK(\"http://x\")"]
    assert rows[1][5].endswith("1234") and "092060" not in rows[1][5]

    answer = client.get(f"/lists/{list_id}/download/xlsx")
    sheet = load_workbook(io.BytesIO(answer.data)).active
    values = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    header = values.index(next(row for row in values if row[0] == "STT"))
    assert [row[2] for row in values[header + 1:header + 4]] == names
    assert values[0][0] == "ỦY BAN NHÂN DÂN PHƯỜNG CÁI KHẾ"
    assert sheet.freeze_panes == f"A{header + 2}"


def test_a_list_waiting_for_review_gets_draft_files_and_the_approved_ones_later(
        app, client, world):
    list_id = _submitted(client)
    client.login("commune_lead")
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert "Chuẩn bị tệp PDF, Excel và CSV" in page
    fragment = client.post_form(f"/lists/{list_id}/files", {}, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<progress" in body and 'hx-trigger="every 1s"' in body
    _wait(app, _files_job(app, list_id))
    draft = client.get(f"/lists/{list_id}/download/pdf")
    assert 'filename="DS-Phuong-Cai-Khe-v1-du-thao.pdf"' in draft.headers["Content-Disposition"]
    assert "DỰ THẢO" in _pdf_text(draft.data)
    client.post_form("/logout")

    _approve(client, list_id)
    _wait(app, _files_job(app, list_id))
    client.login("clerk")
    final = client.get(f"/lists/{list_id}/download/pdf")
    assert "DỰ THẢO" not in _pdf_text(final.data)
    with app.app_context():  # the draft files stay as they were
        editions = db.session.execute(select(ListFile.format, ListFile.final)
                                      .where(ListFile.list_id == list_id)).all()
        assert sorted(editions) == sorted((f, final) for f in ("csv", "pdf", "xlsx")
                                          for final in (False, True))


def test_the_progress_bar_polls_while_a_job_runs_and_loads_the_files_when_done(
        app, client, world):
    list_id = _submitted(client)
    job_id = "6f0a1c1e-0000-4000-8000-000000000001"
    with app.app_context():
        db.session.add(Job(id=job_id, kind="list_files", subject_type="list", subject_id=list_id,
                           state=JobState.RUNNING, progress=42, stage="pdf"))
        db.session.commit()
    client.login("district_officer")
    running = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'value="42"' in running and "Đang dựng PDF · 42 %" in running
    assert 'hx-trigger="every 1s"' in running
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert f"/jobs/{job_id}" in page  # the list's page shows the job under way, not a button

    with app.app_context():
        db.session.get(Job, job_id).state = JobState.DONE
        db.session.commit()
    done = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 1s" not in done and f'hx-get="/lists/{list_id}/files"' in done

    with app.app_context():
        db.session.get(Job, job_id).state = JobState.FAILED
        db.session.commit()
    failed = client.get(f"/jobs/{job_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Không làm được" in failed and "every 1s" not in failed


def test_a_job_that_fails_is_marked_failed_and_stores_nothing(app, world):
    job_id = "6f0a1c1e-0000-4000-8000-000000000002"
    with app.app_context():
        db.session.add(Job(id=job_id, kind="list_files", subject_type="list",
                           subject_id=424242, state=JobState.QUEUED))  # no such list
        db.session.commit()
        runner.perform(job_id)
        db.session.expire_all()
        failed = db.session.get(Job, job_id)
        assert failed.state is JobState.FAILED and failed.finished_at is not None
        assert "AttributeError" in failed.error
        assert db.session.scalar(select(func.count()).select_from(ListFile)) == 0


def test_a_job_on_a_list_outside_the_scope_is_not_found(app, client, world, units):
    with app.app_context():
        other = ComplianceList(campaign_id=world["campaign"], commune_id=units["31183"],
                               state=ListState.APPROVED)
        db.session.add(other)
        db.session.flush()
        db.session.add(Job(id="6f0a1c1e-0000-4000-8000-000000000003", kind="list_files",
                           subject_type="list", subject_id=other.id, state=JobState.RUNNING))
        db.session.commit()
    client.login("district_officer")  # Ninh Kiều: the list is Bình Thủy's
    assert client.get("/jobs/6f0a1c1e-0000-4000-8000-000000000003").status_code == 404
    assert client.get("/jobs/not-a-job").status_code == 404


def test_a_file_not_rendered_yet_sends_back_to_the_list(app, client, world):
    list_id = _submitted(client)
    client.login("district_officer")
    answer = client.get(f"/lists/{list_id}/download/xlsx")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/lists/{list_id}#files")


def test_the_clerk_filters_approved_lists_by_campaign_commune_and_date(app, client, world):
    from portal.timeutil import today_local

    list_id = _submitted(client)
    _approve(client, list_id)
    _wait(app, _files_job(app, list_id))
    client.login("clerk")
    today = today_local().isoformat()
    listed = client.get(f"/lists?campaign={world['campaign']}&since={today}&until={today}")
    body = listed.get_data(as_text=True)
    assert f'href="/lists/{list_id}"' in body and f"/lists/{list_id}/download/pdf" in body
    assert "3 người" in body
    assert f'href="/lists/{list_id}"' not in client.get(
        "/lists?since=2099-01-01").get_data(as_text=True)
    assert f'href="/lists/{list_id}"' not in client.get(
        f"/lists?campaign={world['campaign'] + 1}").get_data(as_text=True)
    with app.app_context():
        from portal.units.models import AdministrativeUnit

        an_hoa = db.session.scalar(select(AdministrativeUnit.id).where(
            AdministrativeUnit.code == "31120"))
    assert f'href="/lists/{list_id}"' not in client.get(
        f"/lists?commune={an_hoa}").get_data(as_text=True)
    # Bad filter values are no filter, not an error.
    assert client.get("/lists?since=31/12/2022&commune=abc&campaign=-1").status_code == 200


@pytest.fixture
def redis_app(app):
    """The same app with jobs on RQ: a Redis database of the tests' own, emptied around each."""
    from redis import Redis

    connection = Redis.from_url(REDIS_TEST_URL)
    connection.flushdb()  # fails here, loudly, when no Redis runs: CI has one
    app.config["REDIS_URL"] = REDIS_TEST_URL
    yield app
    connection.flushdb()


def test_with_redis_the_job_waits_in_the_queue_for_a_worker(redis_app, client, world):
    from redis import Redis
    from rq import SimpleWorker

    app = redis_app
    list_id = _submitted(client)
    _approve(client, list_id)
    job_id = _files_job(app, list_id)
    queue = runner.queue(REDIS_TEST_URL)
    assert queue.job_ids == [job_id]  # enqueued, not run by the web process
    with app.app_context():
        assert db.session.get(Job, job_id).state is JobState.QUEUED
    client.login("clerk")
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    assert "Đang chờ đến lượt" in page  # "waiting for its turn": the progress bar is up

    # `flask jobs worker` runs a forking Worker; SimpleWorker runs the same job in this process.
    with app.app_context():
        SimpleWorker([queue], connection=Redis.from_url(REDIS_TEST_URL)).work(burst=True)
        job = db.session.get(Job, job_id)
        assert job.state is JobState.DONE, job.error
        assert db.session.scalar(select(func.count()).select_from(ListFile).where(
            ListFile.list_id == list_id)) == 3
    assert client.get(f"/lists/{list_id}/download/pdf").data.startswith(b"%PDF-")


def test_the_worker_command_refuses_to_start_without_redis(app, runner):
    result = runner.invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


def test_the_next_version_is_signed_by_the_last_versions_signer_unless_changed(app, client, world):
    list_id = _submitted(client)
    client.login("district_officer")
    client.post_form(f"/lists/{list_id}/return", {"comment": "Thiếu lý do"})
    client.post_form("/logout")
    client.login("commune_lead")
    page = client.get("/lists/preview").get_data(as_text=True)
    assert 'name="signer_name" value="Lê Văn Thành"' in page
    assert 'name="signer_title" value="KT. Chủ tịch"' in page


def test_the_preview_offers_the_default_signer_and_the_document_falls_back_to_it(
        app, client, world):
    client.login("commune_lead")
    page = client.get("/lists/preview").get_data(as_text=True)
    assert 'name="signer_title" value="KT. CHỦ TỊCH"' in page
    assert 'name="signer_name" value=""' in page
    list_id = list_id_of(client.post_form("/lists/submit", {"signer_title": "  "}))
    with app.app_context():
        compliance_list = db.session.get(ComplianceList, list_id)
        assert compliance_list.signer_title is None
        document = document_of(compliance_list)
    # No title given: the list is signed as the preview offers, for the chair by a vice-chair.
    assert document.signer_caption == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert document.signer_name == ""


def test_every_format_of_the_table_is_rendered_offered_and_served(app, client, world):
    from flask_babel import force_locale

    from portal.labels import JOB_STAGE
    from portal.lists.files import FORMATS

    list_id = _submitted(client)
    _approve(client, list_id)
    _wait(app, _files_job(app, list_id))
    client.login("clerk")
    page = client.get(f"/lists/{list_id}").get_data(as_text=True)
    listed = client.get("/lists").get_data(as_text=True)
    with app.test_request_context(), force_locale("vi"):
        labels = {fmt.name: str(fmt.label) for fmt in FORMATS}
    for fmt in FORMATS:
        link = f"/lists/{list_id}/download/{fmt.name}"
        assert link in page and link in listed, fmt.name
        assert labels[fmt.name] in page
        answer = client.get(link)
        assert answer.status_code == 200 and answer.content_type == fmt.media_type
        assert fmt.name in JOB_STAGE  # the progress bar names each format's step
    assert "Chuẩn bị tệp PDF, Excel và CSV" not in page  # nothing is missing
    assert client.get(f"/lists/{list_id}/download/docx").status_code == 404
    with app.app_context():
        stored = db.session.scalars(select(ListFile.format).where(ListFile.list_id == list_id))
        assert sorted(stored) == sorted(fmt.name for fmt in FORMATS)


def test_the_files_url_answers_a_page_to_a_browser_and_the_section_to_htmx(app, client, world):
    list_id = _submitted(client)
    client.login("commune_lead")
    page = client.get(f"/lists/{list_id}/files")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and body.lstrip().startswith("<!doctype html>")
    assert 'id="files"' in body and "Chuẩn bị tệp PDF, Excel và CSV" in body
    assert f'href="/lists/{list_id}"' in body and "Về danh sách" in body
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get(f"/lists/{list_id}/files", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text
    assert text.lstrip().startswith('<section class="card files" id="files">')
    assert text.rstrip().endswith("</section>")


MEDICAL_REASON = "Đang sốt, mắc bệnh cấp tính"
NOTE = "Con gái ở Cần Thơ phản đối"


def _record(client, resident_id: int, fields: dict) -> None:
    from helpers import HX, uuid_for

    page = client.get(f"/residents/{resident_id}").get_data(as_text=True)
    answer = client.post_form(f"/residents/{resident_id}/visits", {
        "client_uuid": uuid_for(page, fields["outcome"]), **fields}, headers=HX)
    assert answer.status_code == 200


def _files(app, client, list_id: int) -> dict[str, bytes]:
    _wait(app, _files_job(app, list_id))
    client.login("clerk")
    files = {name: client.get(f"/lists/{list_id}/download/{name}").data
             for name in ("pdf", "xlsx", "csv")}
    client.post_form("/logout")
    return files


def _xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    return "\n".join(str(cell) for row in sheet.iter_rows(values_only=True) for cell in row
                     if cell is not None)


def test_the_official_list_carries_no_free_text(app, client, world):
    from datetime import date, timedelta

    until = date.today() + timedelta(days=20)
    client.login("screener")
    _record(client, world["duc"], {"outcome": "refused", "refusal_reason": "religious",
                                   "note": NOTE})
    _record(client, world["nam"], {"outcome": "contraindicated", "screening_category": "deferral",
                                   "deferred_until": until.isoformat(), "reason": MEDICAL_REASON})
    client.post_form("/logout")
    list_id = _submitted(client)
    with app.app_context():
        rows = db.session.get(ComplianceList, list_id).rows
        assert [r.reason_detail for r in rows] == [None, None, None]  # nothing frozen in words
    _approve(client, list_id)
    files = _files(app, client, list_id)
    texts = {"pdf": _pdf_text(files["pdf"]), "xlsx": _xlsx_text(files["xlsx"]),
             "csv": files["csv"].decode("utf-8-sig")}
    for name, text in texts.items():
        # The reason's category and the deferral's end are there...
        assert "Từ chối tiêm" in text and "Hoãn tiêm" in text, name
        # ...and no word the screener typed, nor the refusal's own reason (a religion).
        for typed in (MEDICAL_REASON, "Đang sốt", NOTE, "Lý do tôn giáo", "Hoãn tiêm đến một ngày"):
            assert typed not in text, (name, typed)
    for name in ("xlsx", "csv"):
        assert f"Hoãn đến {until:%d/%m/%Y}" in texts[name], name
    # The words stay in the portal, on the card, for those who may see health details.
    client.login("commune_lead")
    assert MEDICAL_REASON in client.get(f"/residents/{world['nam']}").get_data(as_text=True)


def test_words_frozen_in_an_older_list_reach_neither_its_files_nor_the_clerk(app, client, world):
    list_id = _submitted(client)
    with app.app_context():  # a row frozen before the list stopped keeping a visit's words
        row = db.session.get(ComplianceList, list_id).rows[0]
        db.session.execute(ComplianceListRow.__table__.update()
                           .where(ComplianceListRow.id == row.id)
                           .values(reason_detail=MEDICAL_REASON))
        db.session.commit()
    _approve(client, list_id)
    files = _files(app, client, list_id)
    assert MEDICAL_REASON not in _pdf_text(files["pdf"])
    assert MEDICAL_REASON not in _xlsx_text(files["xlsx"])
    assert MEDICAL_REASON not in files["csv"].decode("utf-8-sig")
    client.login("clerk")
    assert MEDICAL_REASON not in client.get(f"/lists/{list_id}").get_data(as_text=True)
    client.post_form("/logout")
    client.login("district_officer")  # who may open the card reads it on the screen
    assert MEDICAL_REASON in client.get(f"/lists/{list_id}").get_data(as_text=True)
