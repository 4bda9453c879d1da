"""A believable demo warehouse: zones, 1,200+ locations, 500 products, stock, users."""
import random

from sqlalchemy import func, select

from .accounts.models import ROLES, User
from .accounts.services import create_user
from .catalog.models import Barcode, Location, Product, Warehouse
from .catalog.plain_codes import gs1_check_digit
from .catalog.stock import move_stock
from .extensions import db

DEMO_PASSWORD = "demo"
STORAGE_ZONES = ("A", "B", "C")
AISLES, BAYS, LEVELS = 10, 10, 4
SPECIAL = (("RCV", "receiving", 4), ("PACK", "packing", 6), ("SHIP", "shipping", 4),
           ("DEF", "defective", 2), ("RET", "returns", 2))

_ITEMS = ("water bottle", "phone case", "USB-C cable", "desk lamp", "notebook", "backpack",
          "wireless mouse", "tea set", "rice cooker", "yoga mat", "umbrella", "sneakers",
          "power bank", "face cream", "thermos", "hair dryer", "kettle", "earbuds",
          "keyboard", "socks (3 pairs)", "T-shirt", "bed sheet", "storage box", "pillow")
_TRAITS = ("Classic", "Eco", "Mini", "Pro", "Travel", "Family", "Kids", "Premium", "Basic",
           "Slim", "Smart", "Outdoor")
_VARIANTS = ("black", "white", "blue", "red", "green", "grey", "pink", "S", "M", "L", "XL")


def already_seeded():
    """True when demo users exist, so `make run` seeds only the first time."""
    return bool(db.session.scalar(select(func.count(User.id)).where(User.username == "picker")))


def ean13(rng):
    """A real-looking EAN-13 with a Chinese GS1 prefix (690-699) and a valid check digit."""
    body = f"69{rng.randint(0, 9)}{rng.randint(0, 999_999_999):09d}"
    return body + gs1_check_digit(body)


def seed(products=500, rng_seed=7, returns=False):
    """Create the demo warehouse; the caller commits. `returns` also ships three orders
    and logs two returns (`make run`; the test fixtures leave them out)."""
    rng = random.Random(rng_seed)
    warehouse = Warehouse(code="MAIN", name="Main warehouse")
    db.session.add(warehouse)
    db.session.flush()
    storage = _locations(warehouse)
    catalog = _products(rng, products)
    _opening_stock(rng, catalog, storage)
    for role in ROLES:
        create_user(role, DEMO_PASSWORD, [role], display_name=f"Demo {role.replace('_', ' ')}")
    shipped = _returns(catalog) if returns else 0
    orders = _orders(rng, catalog)
    receipts = _receipts(rng, catalog)
    counts = _counts(storage)
    return {"locations": len(storage), "products": len(catalog), "orders": orders,
            "receipts": receipts, "returns": shipped, "counts": counts}


def _returns(products):
    """Shipped orders and returns in different states (webapp/returns/demo.py). Before
    the other orders: its wave must find no one else's order waiting."""
    from .returns.demo import seed_returns
    return seed_returns(products[-4:])


def _counts(storage):
    """Six bins of the first aisle waiting to be counted (盘点): a zone count begun."""
    from .counts.services import raise_count
    for location in storage[:6]:
        raise_count(location.id, None, "demo-seed")
    return 6


def _receipts(rng, products):
    """Two receipts expected today at the docks: a purchase, and a production run with a
    line whose SKU the catalog does not know (held for the supervisor to see)."""
    from .receiving.intake import intake
    from .receiving.services import warehouse_today
    today = warehouse_today().isoformat()
    picked = rng.sample(products, 5)
    intake({"source": "purchase", "reference": "PO-2026-0001", "supplier": "Yiwu Trading Co.",
            "expected_date": today, "dock": "RCV-01",
            "lines": [{"sku": p.sku, "quantity": rng.randint(4, 12)} for p in picked[:3]]})
    intake({"source": "production", "reference": "MO-2026-0042", "supplier": "Plant 2",
            "expected_date": today, "dock": "RCV-02",
            "lines": [{"sku": p.sku, "quantity": rng.randint(4, 12), "lot": "L2611"}
                      for p in picked[3:]] + [{"sku": "SKU-NOT-IN-CATALOG", "quantity": 3}]})
    return 2


_CITIES = (("Hangzhou", "Zhejiang", "310000"), ("Shanghai", "Shanghai", "200000"),
           ("Guangzhou", "Guangdong", "510000"), ("Chengdu", "Sichuan", "610000"))


def _orders(rng, products, count=36, planned=24):
    """Orders from two channels; the first `planned` are put into pick lists by a wave,
    the rest wait for a supervisor to run one. Two are held with errors to fix."""
    import json

    from .orders.intake import intake
    from .picking.models import Wave
    from .picking.waves import run_wave
    for n in range(count):
        city, province, postcode = rng.choice(_CITIES)
        lines = [{"sku": p.sku, "quantity": rng.randint(1, 3), "unit_price": demo_price(p)}
                 for p in rng.sample(products, rng.randint(1, 3))]
        address = {"name": f"Customer {n + 1}", "phone": f"138{rng.randint(0, 10**8 - 1):08d}",
                   "line1": f"{rng.randint(1, 300)} Renmin Road", "city": city,
                   "province": province, "postcode": postcode}
        if n == count - 1:
            address.pop("city")  # 地址错误: shows up in the exception list
        if n == count - 2:
            lines.append({"sku": "SKU-UNKNOWN", "quantity": 1})
        intake({"channel": rng.choice(("tmall", "jd")), "order_no": f"{880000 + n}",
                "priority": 1 if n % 7 == 0 else 0, "address": address, "lines": lines,
                "cutoff_at": _demo_cutoff(n)})
        if n == planned - 1:
            db.session.flush()
            wave = Wave(params_json=json.dumps({"max_orders": 8, "max_lines": 30}))
            db.session.add(wave)
            db.session.flush()
            run_wave(wave)
    return count


def _demo_cutoff(n):
    """Carrier cut-offs around the time the demo is seeded, so the supervisor's console
    shows orders late, at risk and due later (every fourth order has none)."""
    from datetime import timedelta

    from .timeutil import utcnow
    offsets = (None, -0.5, 1, 5)
    hours = offsets[n % 4]
    return None if hours is None else (utcnow() + timedelta(hours=hours)).isoformat()


def _locations(warehouse):
    """Storage bins in walking order plus docks, stations and stores."""
    rows = []
    for zone in STORAGE_ZONES:
        for aisle in range(1, AISLES + 1):
            for bay in range(1, BAYS + 1):
                for level in range(1, LEVELS + 1):
                    rows.append(Location(warehouse_id=warehouse.id, type="storage", zone=zone,
                                         aisle=aisle, bay=bay, level=level,
                                         code=f"{zone}-{aisle:02d}-{bay:02d}-{level}"))
    for prefix, kind, count in SPECIAL:
        rows += [Location(warehouse_id=warehouse.id, type=kind, zone=prefix,
                          code=f"{prefix}-{n:02d}") for n in range(1, count + 1)]
    db.session.add_all(rows)
    db.session.flush()
    return [row for row in rows if row.type == "storage"]


def demo_price(product):
    """A demo selling price (单价): about 1.8 × the unit cost, whole yuan, as a channel sends
    it. From the cost, not the generator, so the demo's other data stay as they were."""
    return f"{product.unit_cost_cents * 18 // 1000}.00"


def _products(rng, count):
    """Products with a unique EAN-13 each."""
    codes, rows = set(), []
    while len(rows) < count:
        code = ean13(rng)
        if code in codes:
            continue
        codes.add(code)
        name = f"{rng.choice(_TRAITS)} {rng.choice(_ITEMS)}, {rng.choice(_VARIANTS)}"
        # A unit cost from the index, not the generator: the demo's SKUs and stock stay
        # as they were (tests rely on them); counts weigh variances by it.
        product = Product(sku=f"SKU-{len(rows) + 1:05d}", name=name,
                          unit_cost_cents=500 + (len(rows) * 1373) % 20000)
        product.barcodes = [Barcode(code=code, symbology="ean13")]
        rows.append(product)
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _opening_stock(rng, products, storage):
    """One to three bins per product, through the ledger like any other stock."""
    for product in products:
        for location in rng.sample(storage, rng.randint(1, 3)):
            move_stock(product.id, rng.randint(5, 120), reason="opening",
                       to_location_id=location.id, source="demo-seed")
