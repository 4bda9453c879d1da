"""Exception messages are stored as the English sentences the app writes and are
translated when shown: every sentence the app writes is known, the zh-CN page shows
them in Chinese, and rows written before (or notes a person typed) are kept."""
from sqlalchemy import select

from outbound_support import order_payload, pick_whole_list, stocked_skus
from webapp.extensions import db
from webapp.orders.intake import intake
from webapp.orders.messages import understood
from webapp.orders.models import OrderEvent, OrderException
from webapp.orders.services import cancel_order
from webapp.picking import services as picking
from webapp.picking.models import PickTask
from webapp.picking.shortage import short_pick

ZH_CN = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _cjk(text):
    """True when text holds a Chinese character."""
    return any("\u4e00" <= char <= "\u9fff" for char in text)


def _every_kind(make_planned, user_id):
    """Exceptions of every kind the app writes, made through the real code paths."""
    intake(order_payload(7001, [("NO-SUCH-SKU", 1)], address={"name": "Li"}))
    intake({**order_payload(7002, [("X", "two")]), "carrier": "pigeon",
            "cutoff_at": "tomorrow", "address": {**order_payload(1, [])["address"],
                                                 "city": "x" * 300}})
    intake({**order_payload(7003, []), "lines": []})
    sku_a, sku_b, sku_c = stocked_skus(3, min_qty=2)
    picked_id, short_id, cancelled_id = make_planned(
        [[(sku_a, 1)], [(sku_b, 2)], [(sku_c, 1)]], max_orders=1)
    picker = user_id("picker")
    # a short pick (the bin is blocked; the rest re-allocated, or the order short)
    task = db.session.scalar(select(PickTask).where(PickTask.order_id == short_id))
    picking.start_list(task.pick_list_id, picker)
    short_pick(task.pick_list_id, task.id, picker, "empty")
    # an order cancelled once its units were picked
    list_id = db.session.scalar(select(PickTask.pick_list_id)
                                .where(PickTask.order_id == cancelled_id))
    pick_whole_list(list_id, picker)
    cancel_order(cancelled_id, user_id("supervisor"))
    # more than the warehouse holds: out of stock (short) at allocation
    intake(order_payload(7004, [(sku_a, 10**6)]))
    make_planned([])
    db.session.commit()
    return db.session.scalars(select(OrderException).order_by(OrderException.id)).all()


def test_every_sentence_the_app_writes_is_known(warehouse, make_planned, user_id):
    exceptions = _every_kind(make_planned, user_id)
    kinds = {e.kind for e in exceptions}
    assert {"address_error", "unknown_sku", "bad_quantity", "bad_carrier", "short_pick",
            "cancelled_in_pick", "short"} <= kinds
    unknown = [e.message for e in exceptions if not understood(e.message)]
    assert unknown == []
    # The notes of the state changes the app makes, and a refused priority's reason.
    notes = db.session.scalars(select(OrderEvent.note).where(OrderEvent.note != "")).all()
    assert notes and [n for n in notes if not understood(n)] == []
    refused = intake({**order_payload(7005, [("X", 1)]), "priority": "high"})
    assert refused.outcome == "rejected" and understood(refused.problems[0])
    assert not understood("call the supplier")


def test_the_exceptions_page_shows_them_in_chinese_and_keeps_old_rows(
        warehouse, make_planned, user_id, sign_in):
    exceptions = _every_kind(make_planned, user_id)
    order_id = exceptions[0].order_id
    old = OrderException(order_id=order_id, kind="cancelled_packed",   # an earlier row
                         message="cancelled after packing: take its 2 parcel(s) off the "
                                 "dock and unpack them")
    typed = OrderException(order_id=order_id, kind="short", message="call the supplier")
    db.session.add_all([old, typed])
    db.session.commit()
    supervisor = sign_in(warehouse.test_client(), "supervisor")

    page = supervisor.get("/exceptions", headers=ZH_CN).get_data(as_text=True)

    for exception in exceptions + [old]:
        assert exception.message not in page
    assert "请将其 2 个包裹从发货区取下并拆包" in page
    assert "第 1 行：未知 SKU NO-SUCH-SKU" in page
    assert "库位已冻结" in page and "缺少" in page
    assert "call the supplier" in page  # not one of ours: shown as stored
    english = supervisor.get("/exceptions").get_data(as_text=True)
    assert not _cjk(english.split("<main", 1)[-1].split("</main>", 1)[0])
    assert "line 1: unknown SKU NO-SUCH-SKU" in english
    assert "take its 2 parcel(s) off the dock and unpack them" in english
    # The rows themselves are unchanged: the API and CSV keep answering in English.
    db.session.refresh(old)
    assert old.message.startswith("cancelled after packing")
    assert not _cjk(old.message)
