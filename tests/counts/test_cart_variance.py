"""A count meets a pick under way: the units a picker already holds in a cart are off
the shelf but on the books until the pick ends. The count takes them as found (no
double deduction when the pick ends), the variance screen says what approving will
post and why it may be less (a pick still has units reserved at the bin), the
ledger posts exactly that, and once the pick ends the books equal the shelf."""
import pytest
from sqlalchemy import select

from outbound_support import barcode_of, level, order_payload, skus_by_bins
from webapp.catalog.models import Location, Product, StockLevel, StockMovement
from webapp.catalog.stock import ledger_mismatches
from webapp.counts import services as counts, variances
from webapp.counts.models import CountLine, CountTask
from webapp.demo import DEMO_PASSWORD
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.picking import services as picking
from webapp.picking.shortage import short_pick

IN_CART, LOST = 3, 2


def no_recount(app, monkeypatch):
    """Small variances go straight to the supervisor whatever the product costs."""
    monkeypatch.setitem(app.config, "COUNT_RECOUNT_VALUE_CENTS", 10**9)
    return app


@pytest.fixture
def store(warehouse, monkeypatch):
    """The demo warehouse (both databases), small variances not recounted."""
    return no_recount(warehouse, monkeypatch)


@pytest.fixture
def sqlite_store(sqlite_warehouse, monkeypatch):
    """The same on SQLite only, for the pages."""
    return no_recount(sqlite_warehouse, monkeypatch)


def half_picked(wave, started_task):
    """A product held in one bin only; an order for all but one of its units; the picker
    has 3 in the cart. Returns (product_id, bin, book, list_id, pick task)."""
    (sku,) = skus_by_bins(1, 1, min_qty=9)
    product_id = db.session.scalar(select(Product.id).where(Product.sku == sku))
    bin_ = db.session.scalar(select(Location).join(StockLevel).where(
        StockLevel.product_id == product_id, Location.type == "storage",
        StockLevel.quantity > 0))
    book = level(product_id, bin_.id)[0]
    intake(order_payload(4100, [(sku, book - 1)]))
    db.session.commit()
    wave()
    list_id, picker, task = started_task()
    assert (task.location_id, task.product_id) == (bin_.id, product_id)
    assert picking.scan(list_id, picker, bin_.code).ok
    for _ in range(IN_CART):
        assert picking.scan(list_id, picker, barcode_of(product_id)).ok
    db.session.commit()
    return product_id, bin_, book, list_id, task


def count_shelf(bin_, counter, shelf):
    """Count the bin as the shelf is: {product_id: units}; everything else at its book."""
    task = counts.raise_count(bin_.id, None, "test")
    db.session.commit()
    assert counts.scan(task.id, counter, bin_.code).ok
    found = {pid: qty for pid, qty in db.session.execute(
        select(StockLevel.product_id, StockLevel.quantity).where(
            StockLevel.location_id == bin_.id, StockLevel.quantity > 0))}
    found.update(shelf)
    for pid, units in found.items():
        if units:
            assert counts.scan(task.id, counter, barcode_of(pid), quantity=units).ok
    counts.finish(task.id, counter)
    db.session.commit()
    return task


def test_units_in_a_cart_are_found_and_the_ledger_posts_what_the_screen_said(
        store, user_id, wave, started_task):
    product_id, bin_, book, list_id, pick = half_picked(wave, started_task)
    shelf = book - IN_CART - LOST
    count_shelf(bin_, user_id("receiver"), {product_id: shelf})
    (line,) = variances.pending()
    assert (line.counted_qty, line.in_carts, line.book_qty, line.variance) == (
        shelf, IN_CART, book, -LOST)
    # The pick still has book-1-3 units reserved here, so only one unit is free.
    shown = variances.posting(line)
    assert (shown.units, shown.held_back, shown.pick_lists) == (-1, 1, (list_id,))
    assert shown.reserved_for_picks == book - 1 - IN_CART

    # A screen that showed another figure approves nothing.
    changed = []
    assert variances.approve([line.id], user_id("supervisor"), {line.id: -2}, changed) == 0
    assert changed == [line.id] and db.session.get(CountLine, line.id).status == "pending"
    assert variances.approve([line.id], user_id("supervisor"), {line.id: shown.units}) == 1
    db.session.commit()
    movement = db.session.get(StockMovement, line.movement_id)
    assert (movement.quantity, movement.from_location_id, movement.reason) == (1, bin_.id, "count")
    assert level(product_id, bin_.id) == (book - 1, book - 1)

    # The pick goes on: the shelf has `shelf` units, the picker takes them all and
    # reports the last one short; the bin is counted again and found empty.
    picker = user_id("picker")
    for _ in range(shelf):
        assert picking.scan(list_id, picker, barcode_of(product_id)).ok
    short_pick(list_id, pick.id, picker, "empty")
    db.session.commit()
    assert level(product_id, bin_.id)[0] == 1  # the unit the shelf never had
    count_shelf(bin_, user_id("receiver"), {product_id: 0})
    (line,) = variances.pending()
    assert (line.variance, variances.posting(line).units) == (-1, -1)
    variances.approve([line.id], user_id("supervisor"), {line.id: -1})
    db.session.commit()
    assert level(product_id, bin_.id) == (0, 0)  # the books equal the shelf
    assert ledger_mismatches() == []


def test_a_pick_that_took_only_cart_units_is_no_variance(store, user_id, wave,
                                                         started_task):
    product_id, bin_, book, _list_id, _pick = half_picked(wave, started_task)
    task = count_shelf(bin_, user_id("receiver"), {product_id: book - IN_CART})
    assert task.status == "closed" and variances.pending() == []


def test_the_variance_screen_says_what_approving_posts_and_why_less(sqlite_store, user_id,
                                                                     wave, started_task):
    product_id, bin_, book, list_id, _pick = half_picked(wave, started_task)
    count_shelf(bin_, user_id("receiver"), {product_id: book - IN_CART - LOST})
    (line,) = variances.pending()
    boss = sqlite_store.test_client()
    boss.post("/login", data={"username": "supervisor", "password": DEMO_PASSWORD})
    page = boss.get("/counts/variances").text
    assert f"counted {book - IN_CART - LOST} + {IN_CART} in pickers' carts, books {book}" in page
    assert 'data-variance="-2"' in page and 'data-posts="-1"' in page
    assert f'name="post-{line.id}" value="-1"' in page
    assert 'data-held-back="1"' in page and f"pick list #{list_id}" in page
    zh = boss.get("/counts/variances", headers={"Accept-Language": "zh-CN"}).text
    assert "拣货车" in zh
    stale = boss.post("/counts/variances", data={"decision": "approve", "line": [line.id],
                                                 f"post-{line.id}": "-2"},
                      headers={"HX-Request": "true"})
    assert 'data-feedback="bad"' in stale.text and "changed since shown" in stale.text
    done = boss.post("/counts/variances", data={"decision": "approve_all", "shown": [line.id],
                                                f"post-{line.id}": "-1"},
                     headers={"HX-Request": "true"})
    assert "1 approved" in done.text
    db.session.expire_all()
    moved = db.session.get(StockMovement, db.session.get(CountLine, line.id).movement_id)
    assert moved.quantity == 1 and level(product_id, bin_.id)[0] == book - 1
