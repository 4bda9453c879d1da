"""Supervisor actions on pick lists, and what a reassignment does to offline scans."""
import re
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from webapp import demo
from webapp.accounts.models import User
from webapp.accounts.services import create_user, record_sign_in, register_device
from webapp.catalog.models import Barcode
from webapp.extensions import db
from webapp.picking import services as picking
from webapp.picking.models import PickList, PickTask
from webapp.supervision import picklists
from webapp.sync.models import ScanRecord


def test_assign_release_priority(known_floor):
    f = known_floor
    picklists.assign(f.running.id, f.bob.id)
    db.session.commit()
    assert (f.running.picker_id, f.running.status) == (f.bob.id, "in_progress")
    assert [pl.id for pl in picking.lists_for(f.bob.id)][0] == f.running.id
    assert f.running.id not in [pl.id for pl in picking.lists_for(f.alice.id)]
    picklists.release(f.running.id)
    db.session.commit()
    assert (f.running.picker_id, f.running.status) == (None, "open")
    # released: anyone may continue it; the done tasks stay done
    picking.start_list(f.running.id, f.alice.id)
    assert picking.progress(f.running) == (2, 3)
    picklists.set_priority(f.running.id, 9)
    assert f.running.priority == 9


def test_priority_orders_the_pickers_lists(floor):
    low = floor.pick_list(None, status="open", tasks=[("pending", "A", None)])
    high = floor.pick_list(None, status="open", tasks=[("pending", "A", None)])
    picklists.set_priority(high.id, 5)
    db.session.commit()
    assert [pl.id for pl in picking.lists_for(floor.alice.id)] == [high.id, low.id]


def test_refusals(known_floor):
    f = known_floor
    cs = create_user("cs", "pw-123456", ["customer_service"])
    db.session.flush()
    with pytest.raises(picklists.ListError):
        picklists.assign(f.running.id, cs.id)          # not a picker
    with pytest.raises(picklists.ListError):
        picklists.assign(f.running.id, None)
    with pytest.raises(picklists.ListError):
        picklists.set_priority(f.running.id, 10)
    with pytest.raises(picklists.ListError):
        picklists.assign(2**31 - 1, f.bob.id)          # no such list
    f.running.status = "done"
    with pytest.raises(picklists.ListError):
        picklists.release(f.running.id)                # finished


@pytest.fixture
def started(app, login_as):
    """The demo warehouse; the demo picker walks the first list on a registered device."""
    demo.seed(products=40)
    db.session.commit()
    picker = db.session.scalar(select(User).where(User.username == "picker"))
    pick_list = db.session.scalars(select(PickList).order_by(PickList.id)).first()
    picking.start_list(pick_list.id, picker.id)
    device, token = register_device("HH-OLD")
    record_sign_in(device.id, picker.id)  # the picker held it: its scans may name them
    db.session.commit()
    return {"list": pick_list, "picker": picker, "device": device,
            "headers": {"Authorization": f"Bearer {token}"},
            "supervisor": login_as("supervisor")}


def _offline_scans(picker, task):
    """The scans a device made offline for a task: location, then one item."""
    code = db.session.scalar(select(Barcode.code).where(Barcode.product_id == task.product_id))
    now = datetime.now(timezone.utc).isoformat()
    return [{"id": str(uuid.uuid4()), "seq": n + 1, "user_id": picker.id, "device_time": now,
             "action": "pick", "code": c, "quantity": 1, "pick_list_id": task.pick_list_id,
             "task_id": task.id} for n, c in enumerate((task.location.code, code))]


def test_reassigned_list_turns_offline_scans_into_conflicts_on_the_console(started, app):
    s = started
    other = create_user("zhang", "pw-123456", ["picker"], display_name="Zhang")
    db.session.commit()
    row = s["supervisor"].post(f"/console/picklists/{s['list'].id}",
                               data={"action": "assign", "picker_id": other.id})
    assert row.status_code == 200 and 'data-picker="zhang"' in row.get_data(as_text=True)
    # the old picker's handheld comes back with scans made for the list
    task = db.session.scalars(select(PickTask).where(PickTask.pick_list_id == s["list"].id)
                              .order_by(PickTask.sequence)).first()
    sent = app.test_client().post("/api/v1/scans", headers=s["headers"], json={
        "device_id": s["device"].id, "scans": _offline_scans(s["picker"], task)})
    assert [r["status"] for r in sent.get_json()["results"]] == ["conflict", "conflict"]
    page = s["supervisor"].get("/console/picklists").get_data(as_text=True)
    assert "2 sync conflicts on this list" in page
    home = s["supervisor"].get("/").get_data(as_text=True)
    assert "reassigned to someone else" in home  # the conflicts tile
    # nothing moved: the task waits for the new picker, who picks it online
    assert db.session.get(PickTask, task.id).status == "pending"
    picking.scan(s["list"].id, other.id, task.location.code)
    assert db.session.scalar(select(ScanRecord.status).limit(1)) == "conflict"


def test_row_fragment_says_what_went_wrong(started):
    s = started
    response = s["supervisor"].post(f"/console/picklists/{s['list'].id}",
                                    data={"action": "priority", "priority": "99"})
    assert response.status_code == 200
    assert "Priority must be a whole number from 0 to 9." in response.get_data(as_text=True)
    assert s["supervisor"].post(f"/console/picklists/{s['list'].id}",
                                data={"action": "explode"}).status_code == 400
    assert s["supervisor"].post("/console/picklists/2147483647",
                                data={"action": "release"}).status_code == 404
    released = s["supervisor"].post(f"/console/picklists/{s['list'].id}",
                                    data={"action": "release"}).get_data(as_text=True)
    assert 'data-status="open"' in released and 'data-picker=""' in released


def test_only_supervisors(started, login_as):
    picker = login_as("picker")
    assert picker.get("/console/picklists").status_code == 403
    assert picker.get("/console/tiles/orders").status_code == 403
    assert started["supervisor"].get("/console/tiles/nope").status_code == 404


def test_each_rows_select_marks_its_own_picker(started):
    """The pickers' options are built once a page: each list's select must still name
    every active picker once, escaped, with that list's picker (and only it) selected."""
    s = started
    odd = create_user("odd", "pw-123456", ["picker"], display_name="<b>Odd</b>")
    open_list = db.session.scalars(select(PickList).where(PickList.id != s["list"].id)
                                   .order_by(PickList.id)).first()
    db.session.commit()
    assert s["supervisor"].post(f"/console/picklists/{open_list.id}", data={
        "action": "assign", "picker_id": odd.id}).status_code == 200
    page = s["supervisor"].get("/console/picklists").get_data(as_text=True)
    pickers = picklists.pickers()
    selects = re.findall(r'<select name="picker_id" required>(.*?)</select>', page, re.S)
    assert len(selects) == len(picklists.overview())
    for select_html in selects:
        assert re.findall(r'<option value="(\d+)"', select_html) == [str(p.id) for p in pickers]
        assert "<b>Odd</b>" not in select_html and "&lt;b&gt;Odd&lt;/b&gt;" in select_html
    rows = dict(re.findall(r'id="picklist-(\d+)".*?<select name="picker_id" required>(.*?)'
                           r'</select>', page, re.S))
    assert re.findall(r'value="(\d+)" selected', rows[str(s["list"].id)]) == [str(s["picker"].id)]
    assert re.findall(r'value="(\d+)" selected', rows[str(open_list.id)]) == [str(odd.id)]
    unassigned = [row["list"].id for row in picklists.overview() if row["picker"] is None]
    for list_id in unassigned:
        assert " selected" not in rows[str(list_id)]


def test_pick_lists_page_in_chinese(started):
    """The page looks each message up once a render (templating.gettext_once): the rows
    still come out translated, with their numbers filled in."""
    s = started
    page = s["supervisor"].get("/console/picklists",
                               headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    done, total = picking.progress(s["list"])
    assert f"{done} / {total} 个任务" in page and "改派" in page and "优先级 0" in page
    assert "Reassign" not in page and "tasks" not in page
    english = s["supervisor"].get("/console/picklists").get_data(as_text=True)
    assert f"{done} of {total} tasks" in english and "改派" not in english
