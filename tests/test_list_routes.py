"""The list workflow through the screens: preview, submit, return, resubmit, approve, timeline."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.lists.models import ComplianceList, ListState

from helpers import list_id_of


def test_submit_return_resubmit_approve_through_the_screens(app, client, world):
    client.login("commune_lead")
    preview = client.get("/lists/preview").get_data(as_text=True)
    assert "Hôm nay có 3 người trong diện chưa tiêm đủ." in preview
    assert "Nguyễn Văn Đức" in preview and "Chưa được rà soát" in preview
    assert "Nguyễn Thị Lan" not in preview  # up to date
    first = list_id_of(client.post_form("/lists/submit", {"signer_name": "Lê Văn Thành"}))
    again = client.post_form("/lists/submit", {})
    assert again.status_code == 422 and "Phiên bản 1 đang chờ" in again.get_data(as_text=True)
    client.post_form("/logout")

    client.login("district_officer")
    home = client.get("/").get_data(as_text=True)
    assert f'href="/lists/{first}"' in home
    empty = client.post_form(f"/lists/{first}/return", {"comment": "  "})
    assert empty.status_code == 422 and "phải có ý kiến" in empty.get_data(as_text=True)
    client.post_form(f"/lists/{first}/return", {"comment": "Bổ sung lý do cho hộ ông Nam"})
    client.post_form("/logout")

    client.login("commune_lead")
    assert "Bị trả lại" in client.get("/lists/preview").get_data(as_text=True)
    second = list_id_of(client.post_form("/lists/submit", {}))
    assert second != first
    client.post_form("/logout")

    client.login("district_officer")
    assert client.post_form(f"/lists/{second}/approve", {}).status_code == 302
    page = client.get(f"/lists/{second}").get_data(as_text=True)
    timeline = page.split('id="timeline"')[1].split("</ol>")[0]
    assert [m for m in re.findall(r"<strong>([^<]+)</strong>", timeline)] == [
        "Gửi danh sách", "Trả lại danh sách", "Gửi danh sách", "Phê duyệt danh sách"]
    assert "Bổ sung lý do cho hộ ông Nam" in timeline
    # An approved list cannot be approved or returned again.
    again = client.post_form(f"/lists/{second}/approve", {})
    assert again.status_code == 422 and "đã được phê duyệt" in again.get_data(as_text=True)
    client.post_form("/logout")

    client.login("clerk")
    listed = client.get("/lists").get_data(as_text=True)
    assert f"/lists/{second}" in listed and f"/lists/{first}\"" not in listed
    assert client.get(f"/lists/{first}").status_code == 404  # returned versions are not filed
    assert "Nguyễn Văn Đức" in client.get(f"/lists/{second}").get_data(as_text=True)
    with app.app_context():
        states = db.session.scalars(select(ComplianceList.state).order_by(ComplianceList.version)).all()
        assert states == [ListState.RETURNED, ListState.APPROVED]


def test_the_list_masks_id_numbers(client, world):
    client.login("commune_lead")
    preview = client.get("/lists/preview").get_data(as_text=True)
    assert "092060001234" not in preview and "1234" in preview


def _count_lists(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(ComplianceList.id)).all())


def test_a_signer_too_long_comes_back_beside_its_field_and_nothing_is_submitted(app, client, world):
    client.login("commune_lead")
    answer = client.post_form("/lists/submit", {"signer_title": "KT. " + "X" * 80,
                                                "signer_name": "Lê Văn Thành"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    title_field = page.split('for="signer_title"')[0].rsplit('<div class="field', 1)[1]
    assert title_field.startswith(" invalid")
    assert re.search(r'<p class="error" id="signer_title-error">Tối đa 80 ký tự.</p>', page)
    assert 'name="signer_name" value="Lê Văn Thành"' in page  # what the lead typed is kept
    assert _count_lists(app) == 0


def test_a_review_comment_too_long_is_refused_beside_the_field_and_the_list_waits(
        app, client, world):
    client.login("commune_lead")
    list_id = list_id_of(client.post_form("/lists/submit", {}))
    client.post_form("/logout")
    client.login("district_officer")
    returned = client.post_form(f"/lists/{list_id}/return", {"comment": "Sửa " * 300})
    assert returned.status_code == 422
    assert re.search(r'<p class="error" id="comment-error">Tối đa 1000 ký tự.</p>',
                     returned.get_data(as_text=True))
    approved = client.post_form(f"/lists/{list_id}/approve", {"comment": "Đạt " * 300})
    assert approved.status_code == 422 and "Tối đa 1000 ký tự." in approved.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ComplianceList, list_id).state is ListState.SUBMITTED
    # Within the limit, the comment is kept as typed, less the spaces around it.
    assert client.post_form(f"/lists/{list_id}/return",
                            {"comment": "  Thiếu hộ ông Nam  "}).status_code == 302
    with app.app_context():
        assert db.session.get(ComplianceList, list_id).review_comment == "Thiếu hộ ông Nam"


def test_the_list_forms_still_need_the_csrf_token(app, client, world):
    client.login("commune_lead")
    assert client.post("/lists/submit", data={"signer_name": "Lê Văn Thành"}).status_code == 400
    assert _count_lists(app) == 0


def test_a_list_preview_and_a_submitted_list_are_logged_as_bulk_reads(app, client, world):
    from portal.audit.models import AuditEvent

    client.login("commune_lead")
    client.get("/lists/preview")
    submitted = list_id_of(client.post_form("/lists/submit", {}))
    client.get(f"/lists/{submitted}")
    with app.app_context():
        events = {e.action: e for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(["list.preview", "list.view"])))}
        preview, view = events["list.preview"], events["list.view"]
        assert preview.after == {"campaign": world["campaign"], "people": 3}
        assert (view.object_id, view.after) == (str(submitted), {"people": 3})
