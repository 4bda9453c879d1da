"""The audit trail: every change of state of an audited object, who, from where, when,
before and after; append-only and hash-chained; a screen and CSV for supervisors."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from webapp.accounts.services import create_user, register_device
from webapp.audit.models import AuditEntry
from webapp.audit.trail import acting_as
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.orders.models import Order
from webapp.orders.services import cancel_order
from webapp.reconciliation.services import ledger_chain_break, seal_ledger


def order_payload(make_catalog):
    """An order of the small catalog's first product."""
    make_catalog()
    return {"channel": "shop", "order_no": "A-1", "carrier": "builtin",
            "address": {"name": "Li Lei", "phone": "13800000000", "line1": "1 Renmin Rd",
                        "city": "Hangzhou", "province": "Zhejiang", "postcode": "310000"},
            "lines": [{"sku": "SKU-1", "quantity": 1}]}


def trail(object_type, object_id=None):
    """The entries of one kind (and object), oldest first."""
    query = select(AuditEntry).where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    return db.session.scalars(query.order_by(AuditEntry.id)).all()


def test_an_order_from_intake_to_cancel_is_on_the_trail(any_app, make_catalog):
    """Created with its state, each change with before and after, by whom and why."""
    result = intake(order_payload(make_catalog))
    db.session.commit()
    boss = create_user("boss", "pw-123456", ["supervisor"])
    device, _token = register_device("HH-9")
    db.session.commit()
    with acting_as(boss.id, device.id, why="customer called"):
        cancel_order(result.order_id, boss.id, "customer called")
        db.session.commit()
    created, *changes = trail("order", result.order_id)
    assert created.action == "created" and created.new_values["status"] in ("new", "ready")
    last = changes[-1]
    assert last.action == "changed" and last.new_values == {"status": "cancelled"}
    assert last.old_values["status"] == created.new_values["status"] or len(changes) > 1
    assert (last.user_id, last.device_id, last.why) == (boss.id, device.id, "customer called")
    assert db.session.get(Order, result.order_id).status == "cancelled"


def test_unchanged_values_and_unaudited_objects_write_nothing(any_app, make_catalog):
    """Touching an attribute without changing it, or a model that does not opt in, is
    not a change of state."""
    c = make_catalog()
    before = len(trail("location", c["a"].id))
    c["a"].zone = "A"          # the same zone
    c["a"].aisle = 7            # not an audited attribute
    db.session.commit()
    assert len(trail("location", c["a"].id)) == before == 1
    c["a"].active = False
    db.session.commit()
    (entry,) = trail("location", c["a"].id)[before:]
    assert (entry.old_values, entry.new_values) == ({"active": True}, {"active": False})


def test_people_roles_and_devices_are_audited(any_app):
    """Accounts: a person, each role granted, a device registered and revoked."""
    user = create_user("ana", "pw-123456", ["picker", "packer"])
    device, _token = register_device("HH-1")
    db.session.commit()
    assert trail("user", user.id)[0].new_values["username"] == "ana"
    assert sorted(e.new_values["role"] for e in trail("user_role", user.id)) == ["packer", "picker"]
    from webapp.accounts.services import revoke_device
    revoke_device(device.id)
    db.session.commit()
    assert trail("device", device.id)[-1].new_values["revoked_at"]


def test_the_trail_is_sealed_and_a_changed_entry_is_caught(app, make_catalog):
    """The ledger check seals audit entries too and names a tampered one."""
    make_catalog()
    create_user("ana", "pw-123456", ["picker"])
    db.session.commit()
    seal_ledger()
    db.session.commit()
    assert ledger_chain_break() is None
    db.session.execute(text("UPDATE audit_entry SET object_id = object_id + 1 WHERE seal_seq = 1"))
    db.session.commit()
    db.session.expire_all()
    broken = ledger_chain_break()
    assert broken.seal_seq == 1 and "audit trail" in broken.problem


def test_postgres_refuses_changing_the_trail(pg_app):
    """On PostgreSQL an audit entry cannot be updated or deleted."""
    create_user("ana", "pw-123456", ["picker"])
    db.session.commit()
    for statement in ("UPDATE audit_entry SET why = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError) as caught:
            db.session.execute(text(statement))
        db.session.rollback()
        assert caught.value.orig.sqlstate == "WH001"


def test_the_screen_filters_and_exports(app, make_catalog, login_as):
    """Supervisors filter by person and object; the CSV has the same rows; others get 403."""
    result = intake(order_payload(make_catalog))
    db.session.commit()
    client = login_as("supervisor")
    boss = client.username
    from webapp.accounts.models import User
    boss_id = db.session.scalar(select(User.id).where(User.username == boss))
    with acting_as(boss_id):
        cancel_order(result.order_id, boss_id, "test")
        db.session.commit()
    page = client.get(f"/audit?person={boss}&object_type=order").get_data(as_text=True)
    assert f"order #{result.order_id}" in page and "cancelled" in page
    assert "ana" not in page
    empty = client.get("/audit?person=nobody").get_data(as_text=True)
    assert "No entries match." in empty
    export = client.get(f"/audit.csv?person={boss}&object_type=order")
    assert export.mimetype == "text/csv"
    lines = export.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert len(lines) == 2 and "status=cancelled" in lines[1] and boss in lines[1]
    history = client.get(f"/audit/order/{result.order_id}").get_data(as_text=True)
    assert history.count("audit-entry") >= 2
    assert client.get("/audit?object_id=99999999999999999999").status_code == 200
    assert login_as("picker").get("/audit").status_code == 403


@pytest.mark.parametrize("query", ["object_id=%C2%B2", "before_id=%C2%B2", "until=9999-12-31",
                                   "since=0001-01-01&until=0001-01-01",
                                   "object_id=99999999999999999999"])
def test_odd_filters_are_left_out_never_a_500(app, login_as, query):
    """A superscript digit, the day after 9999-12-31, a huge id: the screen and the CSV
    answer without that filter."""
    client = login_as("supervisor")
    for path in ("/audit?", "/audit.csv?"):
        assert client.get(path + query).status_code == 200, path + query


def test_claiming_a_pick_list_is_on_the_trail(app):
    """The claim is a guarded Core UPDATE (no race between two pickers); it is recorded
    by hand with the person who claimed it."""
    from webapp import demo
    from webapp.accounts.models import User
    from webapp.picking import services as picking
    from webapp.picking.models import PickList
    demo.seed(products=40)
    db.session.commit()
    pick_list = db.session.scalar(select(PickList).where(
        PickList.status == "open", PickList.picker_id.is_(None)))
    picker = db.session.scalar(select(User).where(User.username == "picker"))
    with acting_as(picker.id):
        picking.start_list(pick_list.id, picker.id)
        db.session.commit()
    claim = trail("pick_list", pick_list.id)[-1]
    assert claim.old_values == {"status": "open", "picker_id": None}
    assert claim.new_values == {"status": "in_progress", "picker_id": picker.id}
    assert claim.user_id == picker.id


def checked():
    """Run the ledger check; return its run."""
    from webapp.reconciliation.jobs import check_ledger
    from webapp.reconciliation.models import ReconciliationRun
    from webapp.reconciliation.services import request_run
    run = request_run(None)
    db.session.commit()
    check_ledger(run.id)
    db.session.expire_all()
    return db.session.get(ReconciliationRun, run.id)


def test_deleting_the_newest_entries_is_caught_by_the_next_check(app):
    """A walk from the first link cannot see its last links gone; the head the previous
    check recorded can."""
    for n in range(3):
        create_user(f"u{n}", "pw-123456", ["picker"])
    db.session.commit()
    assert checked().chain_error is None
    db.session.execute(text("DELETE FROM audit_entry WHERE seal_seq = "
                            "(SELECT MAX(seal_seq) FROM audit_entry)"))
    db.session.commit()
    assert "earlier check saw" in checked().chain_error


def test_postgres_truncate_of_the_trail_is_caught(pg_app):
    """TRUNCATE is not a row change (the trigger does not see it); the check does."""
    for n in range(3):
        create_user(f"u{n}", "pw-123456", ["picker"])
    db.session.commit()
    assert checked().chain_error is None
    db.session.execute(text('TRUNCATE "audit_entry"'))
    db.session.commit()
    assert "audit trail" in checked().chain_error


def test_the_object_filter_lists_each_kind_once_read_kind_by_kind(any_app):
    """The screen's object list (a walk of the object index, not a DISTINCT over the
    whole trail) holds every kind on the trail once, sorted; nothing when it is empty."""
    from webapp.audit.services import object_types
    assert object_types() == []
    kinds = ["user", "order", "count_line", "order", "device", "order", "user"]
    db.session.execute(AuditEntry.__table__.insert(), [
        {"object_type": kind, "object_id": n, "action": "changed"}
        for n, kind in enumerate(kinds)])
    db.session.commit()
    assert object_types() == sorted(set(kinds))
