"""Counts (盘点): plans make tasks once, counting is blind, variances are judged against
the book at the moment of the scan, recounts go to someone else, an approved variance
is one ledger line that lifts the block. On SQLite and PostgreSQL."""
from sqlalchemy import func, select

from outbound_support import barcode_of, level, order_payload, skus_by_bins
from webapp.catalog.blocks import active_block
from webapp.catalog.models import Location, Product, StockLevel, StockMovement
from webapp.catalog.stock import ledger_mismatches, move_stock
from webapp.counts import plans, services as counts, variances
from webapp.counts.jobs import generate_counts
from webapp.counts.models import CountTask
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.picking.models import Reservation
from webapp.picking.shortage import short_pick
from webapp.supervision import kpis


def a_stocked_bin(min_qty=3, bins=-2):
    """(product, location) of a storage bin holding at least min_qty of a product that
    is held in `bins` bins (or more when negative)."""
    (sku,) = skus_by_bins(1, bins, min_qty=min_qty)
    product = db.session.scalar(select(Product).where(Product.sku == sku))
    level_row = db.session.scalar(select(StockLevel).join(Location).where(
        StockLevel.product_id == product.id, Location.type == "storage",
        StockLevel.quantity >= min_qty).order_by(StockLevel.location_id))
    return product, level_row.location


def on_the_books(location_id):
    """{product_id: book quantity} of everything the books hold at a location."""
    return {pid: level(pid, location_id)[0] for pid in db.session.scalars(
        select(StockLevel.product_id).where(StockLevel.location_id == location_id,
                                            StockLevel.quantity > 0))}


def count_bin(task, user_id, found):
    """Count a task: the location, then {product_id: units} (typed, one scan each)."""
    assert counts.scan(task.id, user_id, task.location.code).ok
    for product_id, units in found.items():
        outcome = counts.scan(task.id, user_id, barcode_of(product_id), quantity=units)
        assert outcome.ok, outcome.message
    return counts.finish(task.id, user_id)


def test_a_zone_plan_makes_one_task_per_bin_and_a_second_run_adds_none(warehouse, user_id):
    zone = db.session.scalar(select(Location.zone).where(Location.type == "storage"))
    bins = db.session.scalar(select(func.count()).where(
        Location.type == "storage", Location.zone == zone, Location.active.is_(True)))
    kind, params = plans.parse_plan({"kind": "zone", "zone": zone})
    plan = plans.create_plan(kind, params, user_id("supervisor"))
    db.session.commit()
    assert generate_counts(plan.id)["tasks"] == bins
    assert generate_counts(plan.id)["tasks"] == bins  # run twice: nothing added
    assert db.session.scalar(select(func.count()).where(CountTask.plan_id == plan.id)) == bins
    # Another plan over the same bins adds none while these wait to be counted.
    again = plans.create_plan("zone", {"zone": zone}, None)
    db.session.commit()
    assert generate_counts(again.id)["tasks"] == 0


def test_plans_refuse_what_names_nothing(warehouse):
    for form in ({"kind": "shelf"}, {"kind": "zone", "zone": "ZZ"},
                 {"kind": "range", "first": "B", "last": "A"},
                 {"kind": "product", "sku": "NO-SUCH"}):
        try:
            plans.parse_plan(form)
        except plans.PlanError as error:
            assert str(error)
        else:
            raise AssertionError(f"{form} was taken")


def test_a_short_pick_raises_a_blind_count_and_the_approved_variance_lifts_the_block(
        warehouse, user_id, wave, started_task):
    """Location empty: a count is raised; the counter finds nothing (one action), the
    recount by someone else agrees, the supervisor approves: one ledger line, no block,
    the next order is never sent there (it holds nothing now)."""
    product, bin_ = a_stocked_bin(min_qty=6)
    intake(order_payload(3000, [(product.sku, 1)]))
    db.session.commit()
    wave()
    list_id, picker, task = started_task()
    receiver, boss = user_id("receiver"), user_id("supervisor")
    # The first task may be at another bin: report the bin the task names.
    bin_id, product_id = task.location_id, task.product_id
    book = level(product_id, bin_id)[0]
    short_pick(list_id, task.id, picker, "empty")
    db.session.commit()
    (count,) = db.session.scalars(select(CountTask).where(CountTask.location_id == bin_id)).all()
    assert count.source == f"pick-task:{task.id}" and count.status == "open"

    # Blind: the counter is told nothing of the book, before or after.
    started = counts.scan(count.id, receiver, count.location.code)
    assert started.ok and str(book) not in started.message
    done = counts.confirm_empty(count.id, receiver)
    db.session.commit()
    assert done.finished and str(book) not in done.message
    assert count.status == "recount" and book > 5  # over COUNT_RECOUNT_UNITS
    recount = db.session.scalar(select(CountTask).where(CountTask.recount_of_id == count.id))
    assert recount.not_by_id == receiver
    assert recount not in counts.tasks_for(receiver)
    try:
        counts.scan(recount.id, receiver, recount.location.code)
    except counts.CountError as error:
        assert "someone else" in str(error)
    else:
        raise AssertionError("the first counter recounted their own count")
    counts.scan(recount.id, picker, recount.location.code)
    counts.confirm_empty(recount.id, picker)
    db.session.commit()
    (line,) = variances.pending()
    assert (line.task_id, line.counted_qty, line.book_qty, line.variance) == (
        recount.id, 0, book, -book)
    assert active_block(bin_id, product_id) is not None

    assert variances.approve([line.id], boss) == 1
    db.session.commit()
    assert level(product_id, bin_id)[0] == 0
    movement = db.session.get(StockMovement, line.movement_id)
    assert (movement.reason, movement.quantity, movement.source, movement.user_id) == (
        "count", book, f"count:{recount.id}", boss)
    assert active_block(bin_id, product_id) is None
    assert db.session.get(CountTask, recount.id).status == "closed"
    assert variances.approve([line.id], boss) == 0  # decided once
    assert ledger_mismatches() == []
    intake(order_payload(3001, [(product_id and db.session.get(Product, product_id).sku, 1)]))
    db.session.commit()
    wave()
    reservations = db.session.scalars(select(Reservation).where(
        Reservation.product_id == product_id, Reservation.active.is_(True))).all()
    assert reservations and all(r.location_id != bin_id for r in reservations)


def test_counting_while_picks_go_on_shows_no_variance(warehouse, user_id):
    """A pick leaves the bin after the counter counted it: the book at the scan is what
    the count is judged against, so nothing differs and the bin closes by itself."""
    product, bin_ = a_stocked_bin(min_qty=4)
    counter = user_id("receiver")
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    units = level(product.id, bin_.id)[0]
    assert counts.scan(task.id, counter, bin_.code).ok
    assert counts.scan(task.id, counter, barcode_of(product.id), quantity=units).ok
    packing = db.session.scalar(select(Location.id).where(Location.type == "packing"))
    move_stock(product.id, 2, reason="pick", from_location_id=bin_.id,
               to_location_id=packing)  # a picker takes 2 while the count runs
    others = db.session.scalars(select(StockLevel.product_id).where(
        StockLevel.location_id == bin_.id, StockLevel.quantity > 0,
        StockLevel.product_id != product.id)).all()
    for other in others:
        counts.scan(task.id, counter, barcode_of(other), quantity=level(other, bin_.id)[0])
    counts.finish(task.id, counter)
    db.session.commit()
    assert task.status == "closed"
    assert all(line.variance == 0 and line.status == "ok" for line in task.lines)
    assert variances.accuracy()["share"] == 1.0


def test_an_item_the_books_do_not_expect_is_counted_and_approved_into_the_bin(
        warehouse, user_id):
    """A product found where the books hold none: a positive variance, approved into stock."""
    product, bin_ = a_stocked_bin(min_qty=3)
    stranger = db.session.scalar(select(Product).where(Product.id.not_in(
        select(StockLevel.product_id).where(StockLevel.location_id == bin_.id,
                                            StockLevel.quantity > 0))))
    counter, boss = user_id("picker"), user_id("supervisor")
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    found = on_the_books(bin_.id)
    found[stranger.id] = 2
    count_bin(task, counter, found)
    db.session.commit()
    (line,) = variances.pending()
    assert (line.product_id, line.book_qty, line.variance) == (stranger.id, 0, 2)
    assert variances.accuracy()["share"] == 0.0
    (row,) = kpis.inventory_accuracy("today").rows
    assert row[1:] == [1, 0, 0.0, f"{2 * (stranger.unit_cost_cents or 0) / 100:.2f}"]
    variances.approve([line.id], boss)
    db.session.commit()
    assert level(stranger.id, bin_.id) == (2, 0)
    assert ledger_mismatches() == []


def test_a_rejected_variance_keeps_the_books_and_counts_the_bin_again(warehouse, user_id):
    product, bin_ = a_stocked_bin(min_qty=3)
    counter, boss = user_id("picker"), user_id("supervisor")
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    found = on_the_books(bin_.id)
    found[product.id] -= 1
    count_bin(task, counter, {k: v for k, v in found.items() if v})
    db.session.commit()
    (line,) = variances.pending()
    before = level(product.id, bin_.id)
    assert variances.reject([line.id], boss) == 1
    db.session.commit()
    assert level(product.id, bin_.id) == before
    assert db.session.get(CountTask, task.id).status == "closed"
    again = db.session.scalar(select(CountTask).where(CountTask.location_id == bin_.id,
                                                      CountTask.status == "open"))
    assert again.source == f"rejected:{line.id}"


def test_scans_that_do_not_fit_are_refused_with_a_message(warehouse, user_id):
    product, bin_ = a_stocked_bin(min_qty=3)
    counter, other = user_id("picker"), user_id("receiver")
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    wrong = counts.scan(task.id, counter, barcode_of(product.id))
    assert not wrong.ok and bin_.code in wrong.message  # the location comes first
    counts.scan(task.id, counter, bin_.code)
    for quantity in (0, -3, "x", 2**40, True):
        outcome = counts.scan(task.id, counter, barcode_of(product.id), quantity=quantity)
        assert not outcome.ok and "whole number" in outcome.message
    assert not counts.scan(task.id, counter, "NO-SUCH-THING").ok
    another = db.session.scalar(select(Location.code).where(Location.type == "storage",
                                                            Location.id != bin_.id))
    assert "Wrong location" in counts.scan(task.id, counter, another).message
    try:
        counts.scan(task.id, other, bin_.code)
    except counts.TaskGone:
        pass
    else:
        raise AssertionError("a second person took a count being counted")
    counts.scan(task.id, counter, barcode_of(product.id))
    refused = counts.confirm_empty(task.id, counter)
    assert not refused.ok and task.status == "counting"


def test_a_count_that_finds_the_units_lifts_the_block_and_the_next_wave_uses_the_bin(
        warehouse, user_id, wave, started_task):
    """"Not found", but the counter finds every unit: no variance, the block is lifted at
    once, and the next wave reserves at that bin again (the product's only bin)."""
    (sku,) = skus_by_bins(1, 1, min_qty=3)
    intake(order_payload(3100, [(sku, 1)]))
    db.session.commit()
    wave()
    list_id, picker, task = started_task()
    bin_id, product_id = task.location_id, task.product_id
    short_pick(list_id, task.id, picker, "not_found")
    db.session.commit()
    assert active_block(bin_id, product_id) is not None
    count = db.session.scalar(select(CountTask).where(CountTask.location_id == bin_id))
    count_bin(count, user_id("receiver"), on_the_books(bin_id))
    db.session.commit()
    assert count.status == "closed" and active_block(bin_id, product_id) is None
    intake(order_payload(3101, [(sku, 1)]))
    db.session.commit()
    wave()
    held_at = set(db.session.scalars(select(Reservation.location_id).where(
        Reservation.product_id == product_id, Reservation.active.is_(True))))
    assert held_at == {bin_id}


def test_the_cycle_plan_counts_the_most_picked_bins_monthly_and_skips_bins_just_counted(
        warehouse, user_id):
    """ABC by picks in 30 days: the bin picked most is class A and due until counted;
    a bin counted today is not due again; the cycle plan makes tasks for what is due."""
    product, bin_ = a_stocked_bin(min_qty=4)
    packing = db.session.scalar(select(Location.id).where(Location.type == "packing"))
    for _ in range(3):
        move_stock(product.id, 1, reason="pick", from_location_id=bin_.id,
                   to_location_id=packing)
    db.session.commit()
    classes = plans.abc_classes()
    assert classes[bin_.id] == "A"
    assert sum(1 for k in classes.values() if k == "A") == 1  # only one bin was picked
    assert bin_.id in plans.cycle_due()
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    count_bin(task, user_id("picker"), on_the_books(bin_.id))
    db.session.commit()
    assert bin_.id not in plans.cycle_due()
    plan = plans.create_plan("cycle", {}, user_id("supervisor"))
    db.session.commit()
    made = generate_counts(plan.id)["tasks"]
    assert made == len(plans.cycle_due())
    assert db.session.scalar(select(CountTask.id).where(
        CountTask.plan_id == plan.id, CountTask.location_id == bin_.id)) is None
