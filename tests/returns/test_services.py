"""Logging a return: the search by each key, the quantity limits, reasons, photos, the
state machine with who and when, the label's Code128."""
import pytest
from sqlalchemy import select

from returns_support import JPEG, order_in, stocked, tracking_of
from webapp.audit.models import AuditEntry
from webapp.catalog.labels import modules
from webapp.extensions import db
from webapp.returns import resolution, services, states
from webapp.returns.models import ReturnEvent, ReturnRequest


@pytest.fixture
def shipped(warehouse, user_id):
    """A handed-over order: 3 units of one product, 1 of another."""
    p1, p2 = stocked(2)
    return order_in([(p1.sku, 3), (p2.sku, 1)], user_id=user_id), p1, p2


def lines_of(order):
    """{sku: order line id}."""
    return {line.sku: line.id for line in order.lines}


def test_search_finds_the_order_by_each_key(shipped, user_id):
    order, _p1, _p2 = shipped
    order_in([(stocked(3)[2].sku, 1)], number="OTHER", phone="13700000000", name="李雷",
             state="new")
    keys = [f"ORD{order.id:08d}", order.channel_order_no, order.number, tracking_of(order),
            "韩梅梅", "13911112222", tracking_of(order).lower()]
    for key in keys:
        assert [o.id for o in services.search_orders(key)] == [order.id], key
    assert services.search_orders("") == []
    assert services.search_orders("nobody-like-this") == []


def test_a_return_within_what_was_shipped_is_logged_with_its_first_event(shipped, user_id):
    order, p1, _p2 = shipped
    cs = user_id("customer_service")
    rma = services.open_return(order.id, cs, {lines_of(order)[p1.sku]: 2}, reason="defective",
                               resolution="refund", photos=[JPEG])
    db.session.commit()
    assert rma.number == f"RMA{rma.id:08d}"
    assert rma.status == "requested" and rma.created_by_id == cs
    assert [(line.product_id, line.quantity) for line in rma.lines] == [(p1.id, 2)]
    assert [p.content_type for p in rma.photos] == ["image/jpeg"]
    (event,) = rma.events
    assert (event.from_status, event.to_status, event.user_id) == (None, "requested", cs)
    assert event.at is not None


def test_never_more_than_shipped_minus_already_returned(shipped, user_id):
    order, p1, p2 = shipped
    cs, line = user_id("customer_service"), lines_of(order)[p1.sku]
    with pytest.raises(services.ReturnError, match="at most 3"):
        services.open_return(order.id, cs, {line: 4}, reason="defective", resolution="refund")
    services.open_return(order.id, cs, {line: 2}, reason="defective", resolution="refund")
    with pytest.raises(services.ReturnError, match="at most 1"):
        services.open_return(order.id, cs, {line: 2}, reason="wrong_item", resolution="refund")
    services.open_return(order.id, cs, {line: 1, lines_of(order)[p2.sku]: 1},
                         reason="wrong_item", resolution="refund")
    with pytest.raises(services.ReturnError, match="already on a return"):
        services.open_return(order.id, cs, {line: 1}, reason="defective", resolution="refund")


def test_a_rejected_return_that_never_came_frees_its_units(shipped, user_id):
    order, p1, _p2 = shipped
    cs, line = user_id("customer_service"), lines_of(order)[p1.sku]
    first = services.open_return(order.id, cs, {line: 3}, reason="changed_mind",
                                 resolution="refund")
    resolution.reject(first.id, cs, "customer changed their mind again")
    again = services.open_return(order.id, cs, {line: 3}, reason="defective",
                                 resolution="refund")
    assert again.lines[0].quantity == 3


@pytest.mark.parametrize("state", ["new", "picked", "packed"])
def test_an_order_never_handed_over_is_refused_with_the_reason(warehouse, user_id, state):
    (p1,) = stocked(1)
    order = order_in([(p1.sku, 1)], state=state, user_id=user_id)
    with pytest.raises(services.ReturnError, match="never handed over") as refused:
        services.open_return(order.id, user_id("customer_service"),
                             {order.lines[0].id: 1}, reason="defective", resolution="refund")
    assert order.number in str(refused.value)
    assert db.session.scalar(select(ReturnRequest.id)) is None


def test_reason_resolution_replacement_and_lines_are_checked(shipped, user_id):
    order, p1, p2 = shipped
    cs, line = user_id("customer_service"), lines_of(order)[p1.sku]
    bad = [({line: 1}, dict(reason="broken", resolution="refund"), "why the customer"),
           ({line: 1}, dict(reason="other", resolution="refund"), "reason: other"),
           ({line: 1}, dict(reason="defective", resolution="credit"), "refund or an exchange"),
           ({}, dict(reason="defective", resolution="refund"), "at least one unit"),
           ({999999: 1}, dict(reason="defective", resolution="refund"), "not part of order"),
           ({line: 1}, dict(reason="defective", resolution="exchange",
                            replacements={line: "NO-SUCH-SKU"}), "No product NO-SUCH-SKU")]
    for quantities, options, message in bad:
        with pytest.raises(services.ReturnError, match=message):
            services.open_return(order.id, cs, quantities, **options)
    rma = services.open_return(order.id, cs, {line: 1}, reason="other", reason_note="too big",
                               resolution="exchange", replacements={line: p2.sku})
    assert rma.lines[0].replacement_product_id == p2.id


def test_photos_are_limited_in_size_and_type(shipped, user_id, warehouse):
    order, p1, _p2 = shipped
    cs, line = user_id("customer_service"), lines_of(order)[p1.sku]
    warehouse.config["MAX_PHOTO_BYTES"] = 1024
    try:
        for data, message in ((b"GIF89a" + b"\0" * 50, "JPEG, PNG or WebP"),
                              (b"\xff\xd8\xff" + b"\0" * 2000, "larger than 1 KB")):
            with pytest.raises(services.ReturnError, match=message):
                services.open_return(order.id, cs, {line: 1}, reason="defective",
                                     resolution="refund", photos=[data])
        with pytest.raises(services.ReturnError, match="At most 5"):
            services.open_return(order.id, cs, {line: 1}, reason="defective",
                                 resolution="refund", photos=[JPEG] * 6)
    finally:
        warehouse.config.pop("MAX_PHOTO_BYTES")


def test_transitions_follow_the_machine_with_who_and_when(shipped, user_id):
    order, p1, _p2 = shipped
    cs = user_id("customer_service")
    rma = services.open_return(order.id, cs, {lines_of(order)[p1.sku]: 1},
                               reason="defective", resolution="refund")
    with pytest.raises(states.TransitionError):
        states.transition(rma, "refunded", cs)
    with pytest.raises(services.ReturnError, match="not inspected"):
        resolution.refund(rma.id, cs, "10", "REF-1")
    services.label_sent(rma.id, cs)
    with pytest.raises(states.TransitionError):
        services.label_sent(rma.id, cs)
    db.session.commit()
    events = db.session.scalars(select(ReturnEvent).where(ReturnEvent.return_id == rma.id)
                                .order_by(ReturnEvent.id)).all()
    assert [(e.from_status, e.to_status, e.user_id) for e in events] == [
        (None, "requested", cs), ("requested", "awaiting_arrival", cs)]
    audited = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "return_request", AuditEntry.object_id == rma.id)).all()
    assert any((a.new_values or {}).get("status") == "awaiting_arrival" for a in audited)


def test_the_return_is_found_by_its_label_its_waybill_and_the_outbound_tracking(shipped,
                                                                                user_id):
    order, p1, _p2 = shipped
    rma = services.open_return(order.id, user_id("customer_service"),
                               {lines_of(order)[p1.sku]: 1}, reason="defective",
                               resolution="refund", return_tracking="sf1234567890")
    db.session.commit()
    assert rma.return_tracking == "SF1234567890"
    for code in (rma.number, rma.number.lower(), "SF1234567890", tracking_of(order)):
        assert services.by_code(code).id == rma.id, code
    assert services.by_code("RMA99999999") is None
    assert services.by_code("") is None
    assert modules(rma.number)  # the label's Code128 encodes the number
