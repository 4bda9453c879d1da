"""The ledger rule, on SQLite and PostgreSQL: one function moves stock, levels match."""
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.catalog.models import StockLevel, StockMovement
from webapp.catalog.stock import (InsufficientStock, StockError, ledger_mismatches,
                                  move_stock, on_hand)
from webapp.extensions import db


def test_receipt_creates_level_and_ledger_line(any_app, make_catalog):
    c = make_catalog()
    movement = move_stock(c["p1"].id, 7, reason="receipt", to_location_id=c["a"].id,
                          user_id=None, source="test")
    db.session.commit()
    assert on_hand(c["p1"].id, c["a"].id) == 7
    assert movement.id and movement.quantity == 7 and movement.from_location_id is None
    assert ledger_mismatches() == []


def test_transfer_moves_both_levels_in_one_step(any_app, make_catalog):
    c = make_catalog()
    move_stock(c["p1"].id, 10, reason="opening", to_location_id=c["a"].id)
    move_stock(c["p1"].id, 4, reason="transfer", from_location_id=c["a"].id,
               to_location_id=c["b"].id)
    db.session.commit()
    assert (on_hand(c["p1"].id, c["a"].id), on_hand(c["p1"].id, c["b"].id)) == (6, 4)
    assert db.session.scalar(select(func.count(StockMovement.id))) == 2
    assert ledger_mismatches() == []


def test_never_below_zero_and_nothing_written(any_app, make_catalog):
    c = make_catalog()
    move_stock(c["p1"].id, 3, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    with pytest.raises(InsufficientStock, match="Only 3 available"):
        move_stock(c["p1"].id, 4, reason="transfer", from_location_id=c["a"].id,
                   to_location_id=c["b"].id)
    db.session.commit()  # the caller's transaction is still usable
    assert on_hand(c["p1"].id, c["a"].id) == 3
    assert on_hand(c["p1"].id, c["b"].id) == 0
    assert db.session.scalar(select(func.count(StockMovement.id))) == 1


def test_taking_from_an_empty_location_is_refused(any_app, make_catalog):
    c = make_catalog()
    with pytest.raises(InsufficientStock):
        move_stock(c["p2"].id, 1, reason="pick", from_location_id=c["b"].id)


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "2", True, None])
def test_quantity_must_be_a_positive_whole_number(any_app, make_catalog, quantity):
    c = make_catalog()
    with pytest.raises(StockError):
        move_stock(c["p1"].id, quantity, reason="receipt", to_location_id=c["a"].id)


def test_movement_needs_a_side_and_distinct_sides(any_app, make_catalog):
    c = make_catalog()
    with pytest.raises(StockError):
        move_stock(c["p1"].id, 1, reason="receipt")
    with pytest.raises(StockError):
        move_stock(c["p1"].id, 1, reason="transfer", from_location_id=c["a"].id,
                   to_location_id=c["a"].id)
    with pytest.raises(StockError):
        move_stock(c["p1"].id, 1, reason="magic", to_location_id=c["a"].id)


def test_database_refuses_a_negative_level_written_behind_our_back(any_app, make_catalog):
    c = make_catalog()
    move_stock(c["p1"].id, 1, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    level = db.session.scalar(select(StockLevel))
    level.quantity = -5  # also below reserved (0): the first check to fire is this one
    with pytest.raises(IntegrityError, match="quantity_not_negative"):
        db.session.commit()
    db.session.rollback()


def test_database_refuses_more_reserved_than_held_written_behind_our_back(any_app, make_catalog):
    c = make_catalog()
    move_stock(c["p1"].id, 1, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    level = db.session.scalar(select(StockLevel))
    level.reserved = 2
    with pytest.raises(IntegrityError, match="reserved_within_quantity"):
        db.session.commit()
    db.session.rollback()
    level = db.session.scalar(select(StockLevel))
    level.reserved = -1
    with pytest.raises(IntegrityError, match="reserved_within_quantity"):
        db.session.commit()
    db.session.rollback()


def test_ledger_check_finds_a_tampered_level(any_app, make_catalog):
    c = make_catalog()
    move_stock(c["p1"].id, 5, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    db.session.execute(StockLevel.__table__.update().values(quantity=9))
    db.session.commit()
    assert ledger_mismatches() == [{"product_id": c["p1"].id, "location_id": c["a"].id,
                                    "book": 9, "ledger": 5}]


def _concurrent_moves(app, worker_count, moves_each, move):
    """Run `move` from several threads, each with its own session; return errors."""
    errors = []
    barrier = threading.Barrier(worker_count)
    # End the test thread's own transaction: on SQLite an open transaction holds
    # the write lock (BEGIN IMMEDIATE) and the writers would wait on it.
    db.session.close()

    def work():
        with app.app_context():
            barrier.wait()
            for _ in range(moves_each):
                try:
                    move()
                    db.session.commit()
                except InsufficientStock:
                    db.session.rollback()
                except Exception as error:  # noqa: BLE001 - collected and asserted on
                    db.session.rollback()
                    errors.append(repr(error))
            db.session.remove()
    threads = [threading.Thread(target=work) for _ in range(worker_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_transfers_lose_no_update(any_app, make_catalog):
    """20 writers shuffling stock both ways: totals hold, no lock errors, ledger agrees."""
    c = make_catalog()
    move_stock(c["p1"].id, 1000, reason="opening", to_location_id=c["a"].id)
    move_stock(c["p1"].id, 1000, reason="opening", to_location_id=c["b"].id)
    db.session.commit()
    ids = (c["p1"].id, c["a"].id, c["b"].id)
    counter = iter(range(10**6))

    def move():
        forward = next(counter) % 2 == 0
        src, dst = (ids[1], ids[2]) if forward else (ids[2], ids[1])
        move_stock(ids[0], 1, reason="transfer", from_location_id=src, to_location_id=dst)
    errors = _concurrent_moves(any_app, 20, 10, move)
    assert errors == []
    db.session.expire_all()
    assert on_hand(ids[0], ids[1]) + on_hand(ids[0], ids[2]) == 2000
    assert db.session.scalar(select(func.count(StockMovement.id))) == 2 + 200
    assert ledger_mismatches() == []


def test_concurrent_picks_never_oversell(any_app, make_catalog):
    """50 units, 20 pickers taking 5 each (100 asked): exactly 10 succeed, level is 0."""
    c = make_catalog()
    move_stock(c["p2"].id, 50, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    product_id, location_id = c["p2"].id, c["a"].id
    errors = _concurrent_moves(any_app, 20, 1, lambda: move_stock(
        product_id, 5, reason="pick", from_location_id=location_id))
    assert errors == []
    db.session.expire_all()
    assert on_hand(product_id, location_id) == 0
    assert db.session.scalar(select(func.count(StockMovement.id))
                             .where(StockMovement.reason == "pick")) == 10
    assert ledger_mismatches() == []
