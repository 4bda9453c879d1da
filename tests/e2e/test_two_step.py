"""Deliberate actions take two taps in Chromium at 360x740 (issue 9): a short pick is
chosen, then confirmed or undone; "Cancel order" asks before it cancels. Nothing reaches
the server on the first tap."""
from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import fresh_pick_list, live_db, server_state, sign_in
from webapp.catalog.models import LocationBlock
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.picking.models import PickTask


def boxes(page, selector):
    """Bounding boxes of the visible elements matching selector."""
    return [b for b in (el.bounding_box() for el in page.locator(selector).all()) if b]


def test_a_short_pick_is_confirmed_or_undone_before_it_is_recorded(
        new_phone, live_server, monkeypatch, screenshot):
    list_id = fresh_pick_list(live_server, monkeypatch, orders=1, lines=((2, 1),))
    with live_db(live_server):
        first = db.session.scalar(select(PickTask).where(PickTask.pick_list_id == list_id)
                                  .order_by(PickTask.sequence, PickTask.id))
        first_id, sku, code = first.id, first.product.sku, first.location.code
    page = new_phone()
    sign_in(page, "picker")
    page.goto("/picking")
    page.locator(f"form[action$='/picking/lists/{list_id}/start'] button").click()
    expect(page.locator("#pick-task .loc")).to_have_text(code)

    page.locator("details.short summary").click()
    page.locator("button[data-step-choose=empty]").click()
    step = page.locator("#pick-task .confirm-step")
    expect(step).to_be_visible()
    expect(step.locator("[data-step-ask]")).to_have_text(
        f"Report {sku} short at {code}: Location empty?")
    expect(page.locator("button[data-step-choose=damaged]")).to_be_hidden()
    for box in boxes(page, "#pick-task .confirm-step button"):
        assert box["height"] >= 40 and box["x"] >= 0 and box["x"] + box["width"] <= 360
    screenshot(page, "pick-short-confirm")
    assert server_state(live_server, list_id)["tasks"][first_id][0] == "pending"

    page.locator("#pick-task [data-step-undo]").click()  # changed their mind
    expect(step).to_be_hidden()
    expect(page.locator("button[data-step-choose=damaged]")).to_be_visible()
    assert server_state(live_server, list_id)["tasks"][first_id][0] == "pending"

    page.locator("button[data-step-choose=empty]").click()
    page.locator("#pick-task [data-step-confirm]").click()
    expect(page.locator("#pick-task [data-feedback]")).to_contain_text("Short pick recorded.")
    state = server_state(live_server, list_id)
    assert state["tasks"][first_id][0] == "short" and state["mismatches"] == []
    with live_db(live_server):
        task = db.session.get(PickTask, first_id)
        assert task.short_reason == "empty"
        block = db.session.scalar(select(LocationBlock).where(
            LocationBlock.location_id == task.location_id,
            LocationBlock.product_id == task.product_id))
        assert block is not None and block.reason == "empty" and block.cleared_at is None
    assert page.js_errors == []


def test_cancel_order_asks_before_it_cancels(new_phone, live_server, monkeypatch, screenshot):
    list_id = fresh_pick_list(live_server, monkeypatch, orders=1, lines=((1, 1),))
    with live_db(live_server):
        order_id = db.session.scalar(select(PickTask.order_id)
                                     .where(PickTask.pick_list_id == list_id))
    page = new_phone()
    sign_in(page, "supervisor")
    page.goto(f"/orders/{order_id}")
    page.locator("input[name=note]").fill("customer called")
    page.locator("button[data-step-choose=cancel]").click()
    question = page.locator(".confirm-step [data-step-ask]")
    expect(question).to_contain_text("this cannot be undone")
    screenshot(page, "order-cancel-confirm")
    page.get_by_role("button", name="Keep the order").click()
    expect(question).to_be_hidden()
    with live_db(live_server):
        assert db.session.get(Order, order_id).status != "cancelled"

    page.locator("button[data-step-choose=cancel]").click()
    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(page.locator(".flash.ok")).to_have_text("Order cancelled.")
    with live_db(live_server):
        assert db.session.get(Order, order_id).status == "cancelled"
    assert page.js_errors == []
