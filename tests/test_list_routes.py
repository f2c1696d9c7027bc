"""The list workflow through the screens: preview, submit, return, resubmit, approve, timeline."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.lists.models import ComplianceList, ListState


def _list_id(response) -> int:
    return int(re.search(r"/lists/(\d+)$", response.headers["Location"]).group(1))


def test_submit_return_resubmit_approve_through_the_screens(app, client, world):
    client.login("commune_lead")
    preview = client.get("/lists/preview").get_data(as_text=True)
    assert "Hôm nay có 3 người trong diện chưa tiêm đủ." in preview
    assert "Nguyễn Văn Đức" in preview and "Chưa được rà soát" in preview
    assert "Nguyễn Thị Lan" not in preview  # up to date
    first = _list_id(client.post_form("/lists/submit", {"signer_name": "Lê Văn Thành"}))
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
    second = _list_id(client.post_form("/lists/submit", {}))
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
