"""Counts (盘点) in a real Chromium at 360x740, each step by the person who does it: a
picker reports a bin empty and a count is raised; a receiver counts the bin blind (the
book is never on the screen), someone else recounts a big variance, the supervisor
approves it; the adjustment is one ledger line, the block is lifted, the ledger check
holds, and the next wave sends nobody to the bin it emptied."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from offline_support import fresh_pick_list, live_db, sign_in
from test_outbound import typed_scan
from webapp.catalog.blocks import active_block
from webapp.catalog.models import Barcode, StockLevel, StockMovement
from webapp.catalog.stock import ledger_mismatches
from webapp.counts.models import CountLine, CountTask
from webapp.picking.models import PickTask, Reservation


def count_the_bin(page, task_id, code, found):
    """Open a count from the list, scan its location, count `found` {barcode: units}
    with a typed quantity each, finish; the counter is told nothing of the book."""
    page.goto("/counts")
    link = page.locator(f"#my-counts a[href='/counts/{task_id}']")
    expect(link).to_be_visible(timeout=20_000)
    link.click()
    expect(page.locator("#count-task")).to_have_attribute("data-status", "open")
    page.locator("#scan").focus()
    typed_scan(page, code)
    expect(page.locator("#count-task")).to_have_attribute("data-status", "counting")
    for barcode, units in found.items():
        page.locator("#qty").fill(str(units))
        page.locator("#scan").focus()
        typed_scan(page, barcode)
        expect(page.locator("#count-task [data-feedback='ok']")).to_contain_text(
            f"{units} counted")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-action='finish']").click()
    expect(page.locator("[data-count-done='1']")).to_be_visible(timeout=20_000)
    assert "books" not in page.locator("main").inner_text()


def test_a_short_pick_is_counted_blind_recounted_approved_and_the_next_wave_skips_the_bin(
        new_phone, live_server, monkeypatch):
    list_id = fresh_pick_list(live_server, monkeypatch, lines=((1, 1),), orders=1)
    with live_db(live_server) as session:
        task = session.scalar(select(PickTask).where(PickTask.pick_list_id == list_id)
                              .order_by(PickTask.sequence))
        task_id, bin_id, product_id = task.id, task.location_id, task.product_id
        code = task.location.code
        book = session.scalar(select(StockLevel.quantity).where(
            StockLevel.product_id == product_id, StockLevel.location_id == bin_id))
        # The rest of the shelf is there; the reported product is not (the picker was right).
        others = {session.scalar(select(Barcode.code).where(Barcode.product_id == pid)
                                 .order_by(Barcode.id)): units
                  for pid, units in session.execute(select(
                      StockLevel.product_id, StockLevel.quantity).where(
                      StockLevel.location_id == bin_id, StockLevel.quantity > 0,
                      StockLevel.product_id != product_id)).all()}

    picker = new_phone()
    sign_in(picker, "picker")
    picker.goto("/picking")
    picker.locator(f"form[action$='/picking/lists/{list_id}/start'] button").click()
    expect(picker.locator("#pick-task .loc")).to_have_text(code)
    picker.locator("details.short summary").click()
    picker.locator("details.short button[data-step-choose='empty']").click()
    picker.locator("details.short [data-step-confirm]").click()
    expect(picker.locator("#pick-task [data-feedback]")).to_contain_text("Short pick recorded")
    with live_db(live_server) as session:
        count = session.scalar(select(CountTask).where(CountTask.location_id == bin_id,
                                                       CountTask.status == "open"))
        assert count is not None and count.source == f"pick-task:{task_id}"
        count_id = count.id

    receiver = new_phone()
    sign_in(receiver, "receiver")
    count_the_bin(receiver, count_id, code, others)
    with live_db(live_server) as session:
        first = session.get(CountTask, count_id)
        assert first.status == ("recount" if book > 5 else "counted")
        recount_id = session.scalar(select(CountTask.id).where(
            CountTask.recount_of_id == count_id))
    if recount_id:  # a big variance: someone else counts it again
        receiver.goto("/counts")
        expect(receiver.locator(f"a[href='/counts/{recount_id}']")).to_have_count(0)
        count_the_bin(picker, recount_id, code, others)

    supervisor = new_phone()
    sign_in(supervisor, "supervisor")
    supervisor.goto("/counts/variances")
    row = supervisor.locator(f"li[data-line-id]:has-text('{code}')")
    expect(row.locator("[data-variance]")).to_have_text(f"-{book}")
    expect(row).to_contain_text(f"books {book}")
    row.locator("input[name=line]").check()
    supervisor.get_by_role("button", name="Approve the ticked").click()
    expect(supervisor.locator("#variances [data-feedback='ok']")).to_contain_text("1 approved")

    with live_db(live_server) as session:
        line = session.scalar(select(CountLine).where(CountLine.product_id == product_id,
                                                      CountLine.status == "approved"))
        movement = session.get(StockMovement, line.movement_id)
        assert (movement.reason, movement.quantity, movement.from_location_id) == (
            "count", book, bin_id)
        assert session.scalar(select(StockLevel.quantity).where(
            StockLevel.product_id == product_id, StockLevel.location_id == bin_id)) == 0
        assert active_block(bin_id, product_id) is None
        assert ledger_mismatches() == []

    # The next wave: an order for the product is reserved elsewhere, never at the bin.
    next_list = fresh_pick_list(live_server, monkeypatch, lines=((1, 1),), orders=1)
    with live_db(live_server) as session:
        assert session.scalar(select(Reservation.id).where(
            Reservation.product_id == product_id, Reservation.location_id == bin_id,
            Reservation.active.is_(True))) is None
        assert session.scalar(select(PickTask.id).where(
            PickTask.pick_list_id == next_list, PickTask.location_id == bin_id,
            PickTask.product_id == product_id)) is None
    tile = supervisor.request.get("/console/tiles/counts", headers={"HX-Request": "true"})
    assert re.search(r"账实相符率 \(30 days\): [\d.]+%", tile.text())


def test_a_supervisor_plans_a_range_count_on_the_phone_and_a_worker_makes_the_tasks(
        new_phone, live_server, run_worker):
    """Count plans at 360x740: a bad range is refused with a message; a good one polls
    until the reconciliation worker made one task per bin; the counters see them."""
    supervisor = new_phone()
    sign_in(supervisor, "supervisor")
    supervisor.goto("/counts/plans")
    form = supervisor.locator("form[hx-post='/counts/plans']")
    form.locator("select[name=kind]").select_option("range")
    form.locator("input[name=first]").fill("B-09-02-4")
    form.locator("input[name=last]").fill("B-09-02-1")
    form.get_by_role("button", name="Plan the count").click()
    expect(supervisor.locator("body")).to_contain_text("first and the last location code")
    form.locator("input[name=first]").fill("B-09-02-1")
    form.locator("input[name=last]").fill("B-09-02-4")
    form.get_by_role("button", name="Plan the count").click()
    plan = supervisor.locator("#plans [id^=plan-]").first
    expect(plan).to_have_attribute("hx-trigger", "load delay:1s")
    run_worker(live_server.db_url, "reconciliation")
    expect(plan.locator(".ok")).to_have_text("4 bins to count.", timeout=20_000)
    counter = new_phone()
    sign_in(counter, "receiver")
    counter.goto("/counts")
    for level in range(1, 5):
        expect(counter.locator("#my-counts")).to_contain_text(f"B-09-02-{level}")
