"""The ledger cannot be changed after the fact: sealed into a hash chain that the ledger
check verifies, and on PostgreSQL refused by a trigger."""
import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from webapp.audit import chain
from webapp.catalog.models import StockMovement
from webapp.catalog.stock import move_stock
from webapp.extensions import db
from webapp.reconciliation.jobs import check_ledger
from webapp.reconciliation.models import ReconciliationRun
from webapp.reconciliation.services import ledger_chain_break, request_run, seal_ledger


@pytest.fixture
def moves(any_app, make_catalog):
    """Four ledger lines on the small catalog."""
    c = make_catalog()
    move_stock(c["p1"].id, 5, reason="opening", to_location_id=c["a"].id)
    move_stock(c["p2"].id, 4, reason="opening", to_location_id=c["b"].id)
    move_stock(c["p1"].id, 2, reason="transfer", from_location_id=c["a"].id,
               to_location_id=c["b"].id)
    move_stock(c["p2"].id, 1, reason="pick", from_location_id=c["b"].id)
    db.session.commit()
    return c


def sealed():
    """The ledger lines in chain order."""
    return db.session.scalars(select(StockMovement).order_by(StockMovement.seal_seq)).all()


def checked_run():
    """Run the ledger check job on a new run; return the run."""
    run = request_run(None)
    db.session.commit()
    check_ledger(run.id)
    db.session.expire_all()
    return db.session.get(ReconciliationRun, run.id)


def test_the_check_seals_new_lines_and_finds_the_chain_whole(moves):
    """Each line gets the next link; a second check seals only what came since."""
    run = checked_run()
    assert (run.chain_sealed, run.chain_checked, run.chain_error) == (4, 4, None)
    rows = sealed()
    assert [r.seal_seq for r in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:]))
    move_stock(moves["p1"].id, 1, reason="pick", from_location_id=moves["b"].id)
    db.session.commit()
    again = checked_run()
    assert (again.chain_sealed, again.chain_checked, again.chain_error) == (1, 5, None)


def test_a_line_changed_after_sealing_is_named_as_the_first_broken_link(app, make_catalog):
    """SQLite has no trigger: the chain is what shows the change, at the changed line."""
    c = make_catalog()
    for n in range(1, 4):
        move_stock(c["p1"].id, n, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    seal_ledger()
    db.session.commit()
    second = sealed()[1]
    db.session.execute(text("UPDATE stock_movement SET quantity = 20 WHERE id = :id"),
                       {"id": second.id})
    db.session.commit()
    db.session.expire_all()
    broken = ledger_chain_break()
    assert (broken.seal_seq, broken.row_id) == (2, second.id)
    assert broken.problem == "changed after it was sealed"
    run = checked_run()
    assert run.chain_error == str(broken)


def test_a_deleted_line_breaks_the_chain(app, make_catalog):
    """Removing a sealed line leaves a gap the check names."""
    c = make_catalog()
    for n in range(1, 4):
        move_stock(c["p1"].id, n, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    seal_ledger()
    db.session.commit()
    db.session.execute(text("DELETE FROM stock_movement WHERE seal_seq = 2"))
    db.session.commit()
    db.session.expire_all()
    broken = ledger_chain_break()
    assert broken.seal_seq == 2 and broken.problem == "missing: a sealed row was deleted"


def test_the_page_says_whether_the_chain_holds(app, make_catalog, login_as):
    """The ledger check's card shows the chain's state beside the levels'."""
    c = make_catalog()
    move_stock(c["p1"].id, 3, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    run = checked_run()
    page = login_as("supervisor").get(f"/reconciliation/runs/{run.id}").get_data(as_text=True)
    assert 'data-chain="holds"' in page and "over 1 lines" in page
    db.session.execute(text("UPDATE stock_movement SET reason = 'count'"))
    db.session.commit()
    run = checked_run()
    page = login_as("supervisor").get(f"/reconciliation/runs/{run.id}").get_data(as_text=True)
    assert 'data-chain="broken"' in page and "link 1" in page


def refused(statement, **params):
    """Run a statement on PostgreSQL; return the database's error (rolled back)."""
    with pytest.raises(DBAPIError) as caught:
        db.session.execute(text(statement), params)
        db.session.flush()
    db.session.rollback()
    return caught.value.orig


def test_postgres_refuses_update_and_delete_of_ledger_lines(pg_app, make_catalog):
    """The trigger refuses a change to a line, sealed or not, and a second sealing; the
    sealing itself goes through."""
    c = make_catalog()
    move_stock(c["p1"].id, 5, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    line = db.session.scalar(select(StockMovement.id))
    for statement in ("UPDATE stock_movement SET quantity = 9 WHERE id = :id",
                      "DELETE FROM stock_movement WHERE id = :id"):
        error = refused(statement, id=line)
        assert isinstance(error, psycopg.errors.RaiseException) or error.sqlstate == "WH001"
        assert error.sqlstate == "WH001" and "append-only" in str(error)
    assert seal_ledger() == 1
    db.session.commit()
    error = refused("UPDATE stock_movement SET row_hash = :h, prev_hash = :h WHERE id = :id",
                    id=line, h="f" * 64)
    assert error.sqlstate == "WH001"
    assert ledger_chain_break() is None


def test_postgres_tampering_behind_the_trigger_is_still_caught(pg_app, make_catalog):
    """Someone who disables the trigger and edits a line is named by the chain check."""
    c = make_catalog()
    for n in range(1, 3):
        move_stock(c["p1"].id, n, reason="opening", to_location_id=c["a"].id)
    db.session.commit()
    seal_ledger()
    db.session.commit()
    db.session.execute(text("ALTER TABLE stock_movement DISABLE TRIGGER stock_movement_append_only"))
    try:
        db.session.execute(text("UPDATE stock_movement SET user_id = NULL, source = 'x' "
                                "WHERE seal_seq = 1"))
    finally:
        db.session.execute(text("ALTER TABLE stock_movement ENABLE TRIGGER stock_movement_append_only"))
    db.session.commit()
    broken = ledger_chain_break()
    assert broken.seal_seq == 1 and broken.problem == "changed after it was sealed"
