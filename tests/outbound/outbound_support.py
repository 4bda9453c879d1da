"""Helpers shared by the outbound tests: payloads, walking lists, reading barcodes.

A plain module (not conftest.py) so that test files can import from it: every
conftest is imported under the same name, so importing from one is a lottery.
"""
import re
import threading
import xml.etree.ElementTree as ET

import zxingcpp
from sqlalchemy import func, select

from webapp.catalog.models import Barcode, Location, Product, StockLevel
from webapp.extensions import db
from webapp.orders.models import Order
from webapp.packing import booking
from webapp.packing import services as packing
from webapp.packing.documents import render_label
from webapp.picking import services as picking
from webapp.picking.models import PickList, PickTask, Reservation

SVG = "{http://www.w3.org/2000/svg}"


def stocked_skus(count, min_qty=3):
    """SKUs with at least min_qty free units in one storage location."""
    rows = db.session.execute(
        select(Product.sku).join(StockLevel, StockLevel.product_id == Product.id)
        .join(Location, Location.id == StockLevel.location_id)
        .where(Location.type == "storage",
               StockLevel.quantity - StockLevel.reserved >= min_qty)
        .group_by(Product.sku).order_by(Product.sku).limit(count))
    return [r[0] for r in rows]


def skus_by_bins(count, bins, min_qty=3):
    """SKUs held in exactly `bins` storage locations (in `-bins` or more when negative),
    each location holding at least min_qty free units."""
    bins_held = func.count() == bins if bins > 0 else func.count() >= -bins
    rows = db.session.execute(
        select(Product.sku).join(StockLevel, StockLevel.product_id == Product.id)
        .join(Location, Location.id == StockLevel.location_id)
        .where(Location.type == "storage", StockLevel.quantity > 0)
        .group_by(Product.sku)
        .having(bins_held, func.min(StockLevel.quantity - StockLevel.reserved) >= min_qty)
        .order_by(Product.sku).limit(count))
    return [r[0] for r in rows]


def order_payload(number, lines, **extra):
    """A valid order payload with the given (sku, quantity) lines."""
    return {"channel": "shop", "order_no": str(number), "carrier": "builtin",
            "address": {"name": "Li Lei", "phone": "13800000000", "line1": "1 Renmin Rd",
                        "city": "Hangzhou", "province": "Zhejiang", "postcode": "310000"},
            "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines], **extra}


def barcode_of(product_id):
    """The first barcode of a product."""
    return db.session.scalar(select(Barcode.code).where(Barcode.product_id == product_id)
                             .order_by(Barcode.id))


def walk_task(list_id, picker_id, task):
    """Scan the task's location, then each of its units; assert every scan is accepted."""
    outcome = picking.scan(list_id, picker_id, task.location.code)
    assert outcome.ok, outcome.message
    for _ in range(task.quantity - task.picked_qty):
        outcome = picking.scan(list_id, picker_id, barcode_of(task.product_id))
        assert outcome.ok, outcome.message


def pick_whole_list(list_id, picker_id):
    """Claim a list and walk every task the right way, then commit."""
    picking.start_list(list_id, picker_id)
    pick_list = db.session.get(PickList, list_id)
    while (task := picking.current_task(pick_list)) is not None:
        walk_task(list_id, picker_id, task)
    db.session.commit()


def reserved_total():
    """Sum of stock_level.reserved over every level."""
    return db.session.scalar(select(func.coalesce(func.sum(StockLevel.reserved), 0)))


def active_reservations_total():
    """Sum of the quantities of active reservations."""
    return db.session.scalar(select(func.coalesce(func.sum(Reservation.quantity), 0))
                             .where(Reservation.active.is_(True)))


def level(product_id, location_id):
    """(quantity, reserved) of a stock level, read afresh; (0, 0) when it does not exist."""
    row = db.session.execute(select(StockLevel.quantity, StockLevel.reserved).where(
        StockLevel.product_id == product_id, StockLevel.location_id == location_id)).first()
    return tuple(row) if row else (0, 0)


PACK_BOX = {"weight_g": "850", "length_mm": "300", "width_mm": "200", "height_mm": "100"}


def free_in_storage(product_id):
    """Units of a product in storage bins that no order holds."""
    return db.session.scalar(select(func.coalesce(func.sum(
        StockLevel.quantity - StockLevel.reserved), 0)).join(Location).where(
        StockLevel.product_id == product_id, Location.type == "storage"))


def a_small_stock_sku():
    """A product whose free storage stock is small enough for one order to take all."""
    rows = db.session.execute(select(Product.id, Product.sku).order_by(Product.id)).all()
    return next((pid, sku) for pid, sku in rows if 2 <= free_in_storage(pid) <= 200)


def packed_order_of_all(make_planned, user_id):
    """Plan, pick, verify and pack (booked) an order taking a product's whole free stock;
    return (order id, product id, units)."""
    product_id, sku = a_small_stock_sku()
    units = free_in_storage(product_id)
    (order_id,) = make_planned([[(sku, units)]])
    list_id = db.session.scalar(select(PickTask.pick_list_id).where(PickTask.order_id == order_id))
    pick_whole_list(list_id, user_id("picker"))
    order = db.session.get(Order, order_id)
    assert order.status == "picked"
    for _ in range(units):
        assert packing.verify_scan(order.id, barcode_of(product_id)).ok
    shipment = packing.pack(order.id, [PACK_BOX], user_id("packer"))
    booking.book(shipment.id, render_label)
    db.session.commit()
    assert free_in_storage(product_id) == 0
    return order_id, product_id, units


# ---------------------------------------------------------------- barcodes
def _mm(value):
    """A length attribute in millimetres ('12.500mm') as a float."""
    return float(value.removesuffix("mm"))


def barcode_bars(svg_text):
    """The bars of each barcode group in an SVG document: lists of (x_mm, width_mm)."""
    root = ET.fromstring(svg_text)
    groups = []
    for group in root.iter(f"{SVG}g"):
        if group.get("id") != "barcode_group":
            continue
        groups.append([(_mm(rect.get("x")), _mm(rect.get("width")))
                       for rect in group.iter(f"{SVG}rect")
                       if not rect.get("width", "").endswith("%")])  # the white background
    return groups


def decode_code128(bars, px_per_mm=20):
    """Draw the bars into a one-pixel-high-per-row image and read it with ZXing.

    An independent decoder: it knows nothing of python-barcode, so a wrong bar,
    a wrong width or a wrong check symbol in our SVG makes it fail.
    """
    start = min(x for x, _w in bars)
    end = max(x + w for x, w in bars)
    quiet = 10 * px_per_mm
    width = round((end - start) * px_per_mm) + 2 * quiet
    row = bytearray(b"\xff" * width)
    for x, w in bars:
        left = round((x - start) * px_per_mm) + quiet
        right = round((x + w - start) * px_per_mm) + quiet
        row[left:right] = bytes(right - left)
    height = 40
    image = memoryview(bytes(row) * height).cast("B", (height, width))
    result = zxingcpp.read_barcode(image, formats=zxingcpp.BarcodeFormat.Code128, is_pure=True)
    return result.text if result else None


def svg_documents(html):
    """Every top-level <svg>...</svg> in an HTML page, as standalone XML text."""
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


def run_in_threads(app, jobs):
    """Run each job in its own thread and app context (own session), all at once.

    Returns the errors raised. The test's own session is closed first: on SQLite
    an open transaction holds the write lock and every thread would wait on it.
    """
    errors = []
    barrier = threading.Barrier(len(jobs))
    db.session.close()

    def work(job):
        with app.app_context():
            barrier.wait()
            try:
                job()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - collected and asserted on
                db.session.rollback()
                errors.append(repr(error))
            finally:
                db.session.remove()
    threads = [threading.Thread(target=work, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
