"""KPI definitions on both databases (no data, one order, a list spanning midnight,
zones and people), the page with its charts and tables, and the CSV export."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from webapp.catalog.models import Product
from webapp.extensions import db
from webapp.supervision import kpis

# 12:30 in Shanghai (the default warehouse timezone) on 20 November.
NOON = datetime(2026, 11, 20, 4, 30, tzinfo=timezone.utc)
UTC = timezone.utc


def at(hour, minute, day=20):
    """A moment in UTC on a November day."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_percentile_is_nearest_rank():
    assert kpis.percentile({}, .5) is None
    assert kpis.percentile({7: 1}, .9) == 7
    assert kpis.percentile({n: 1 for n in range(1, 11)}, .5) == 5
    assert kpis.percentile({n: 1 for n in range(1, 11)}, .9) == 9
    assert kpis.percentile({1: 5, 2: 4, 30: 1}, .9) == 2 and kpis.percentile({1: 5, 2: 5}, .5) == 1


def test_cycle_times_are_quantised_keeping_their_order():
    """Steps of 1, 5, 15 and 60 minutes; never out of order at a step's edge, so the
    percentile of quantised values is the quantised percentile."""
    from webapp.supervision.orderfacts import quantise
    assert [quantise(m) for m in (-3, 0.4, 0.6, 59.5, 119.4, 119.5, 123, 597, 597.5,
                                  1432, 1433, 1530)] == [
        0, 0, 1, 60, 119, 120, 125, 595, 600, 1425, 1440, 1560]
    values = [n / 10 for n in range(0, 30000)]
    assert [quantise(v) for v in values] == sorted(quantise(v) for v in values)


def test_no_data(floor):
    for name, func in kpis.KPIS.items():
        result = func(period="30d", now=NOON)
        if name == "stock_watch":  # the floor's one product has no stock: out of stock
            assert [row[0] for row in result.rows] == ["SKU-1"]
        else:
            assert result.rows == [] and result.bars == [], name


def test_one_order(floor):
    floor.packed(created=at(2, 0), packed_at=at(3, 0), cutoff=at(8, 0))
    db.session.commit()
    cycle = kpis.cycle_time("today", now=NOON)
    assert cycle.rows[0][1:] == [1, 60, 60] and cycle.rows[-1][1:] == [1, 60, 60]
    on_time = kpis.on_time("today", now=NOON)
    assert on_time.rows == [["11-20", 1, 0, 100.0]]


def test_cycle_time_percentiles_and_late_orders(floor):
    for minutes in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100):
        floor.packed(created=at(3, 0) - timedelta(minutes=minutes), packed_at=at(3, 0),
                     cutoff=at(2, 0) if minutes == 100 else None)
    db.session.commit()
    cycle = kpis.cycle_time("today", now=NOON)
    assert cycle.rows[-1][1:] == [10, 50, 90]
    assert kpis.on_time("today", now=NOON).rows == [["11-20", 0, 1, 0.0]]


@pytest.fixture
def picked(floor):
    """Alice picks in zone A over two clock hours, Bob one line and a short in zone B,
    and a list of Alice's runs over midnight (local) into the day before."""
    f = floor
    f.pick_list(f.alice, tasks=[("done", "A", at(3, 5)), ("done", "A", at(3, 40)),
                                ("done", "A", at(4, 10))])
    f.pick_list(f.bob, tasks=[("done", "B", at(4, 0)), ("short", "B", at(4, 5))])
    # 23:50 and 00:10 in Shanghai: one line on each side of midnight
    f.pick_list(f.alice, status="done", tasks=[("done", "B", at(15, 50, day=19)),
                                               ("done", "B", at(16, 10, day=19))])
    for n in range(4):
        f.scan(f.alice, "applied", at=at(3, n))
    f.scan(f.alice, "rejected", at=at(3, 9), reason="refused on the device: wrong item")
    f.scan(f.bob, "applied", at=at(3, 0) - timedelta(days=40))  # outside every period
    db.session.commit()
    return f


def rows_by_person(kpi):
    """A KPI's rows keyed by the person's name."""
    return {row[0]: row[1:] for row in kpi.rows}


def test_lines_per_hour_counts_clock_hours_and_splits_at_midnight(picked):
    today = rows_by_person(kpis.lines_per_hour("today", now=NOON))
    assert today["Alice"] == [4, 3, 1.3]   # 03:xx, 04:xx and the 00:10 line's hour
    assert today["Bob"] == [1, 1, 1.0]     # the short line is not a picked line
    week = rows_by_person(kpis.lines_per_hour("7d", now=NOON))
    assert week["Alice"] == [5, 4, 1.2]    # now with the 23:50 line of the day before


def test_zone_and_person_filters(picked):
    zone_a = rows_by_person(kpis.lines_per_hour("today", zone="A", now=NOON))
    assert zone_a == {"Alice": [3, 2, 1.5]}
    bob = rows_by_person(kpis.short_pick_rate("today", person=picked.bob.id, now=NOON))
    assert bob == {"Bob": [2, 1, 50.0]}
    everyone = rows_by_person(kpis.short_pick_rate("today", now=NOON))
    assert everyone["Alice"] == [4, 0, 0.0]


def test_pick_accuracy_per_thousand(picked):
    rows = rows_by_person(kpis.pick_accuracy("today", now=NOON))
    assert rows == {"Alice": [5, 1, 200.0]}
    assert kpis.pick_accuracy("30d", person=picked.bob.id, now=NOON).rows == []


def test_stock_watch_against_reorder_points(floor):
    f = floor
    low = f.product  # default reorder point 10
    out = Product(sku="SKU-OUT", name="Kettle")
    fine = Product(sku="SKU-OK", name="Cup", reorder_point=3)
    own = Product(sku="SKU-OWN", name="Lamp", reorder_point=50)
    db.session.add_all([out, fine, own])
    db.session.flush()
    f.stock(low, f.loc["A"], 8, reserved=2)
    f.stock(out, f.pack, 30)          # in the packing area: not on a shelf
    f.stock(fine, f.loc["B"], 4)
    f.stock(own, f.loc["A"], 40)
    db.session.commit()
    result = kpis.stock_watch()
    assert [row[:4] for row in result.rows] == [["SKU-OUT", "Kettle", 0, 10],
                                                ["SKU-1", "Tea set", 6, 10],
                                                ["SKU-OWN", "Lamp", 40, 50]]
    assert [values for _label, values in result.bars] == [[1], [2]]


def test_page_and_csv(app, login_as, make_catalog):
    make_catalog()["p1"].name = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    client = login_as("supervisor")
    page = client.get("/console/kpis?period=7d&zone=Z&person=abc")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="card kpi"') == len(kpis.KPIS)  # placeholders, each loads itself
    assert 'hx-get="/console/kpis/chart/stock_watch?period=7d"' in html  # bad filters dropped
    stock = client.get("/console/kpis/chart/stock_watch?period=7d").get_data(as_text=True)
    assert 'id="chart-stock_watch"' in stock and "<table" in stock
    assert 'href="/console/kpis/stock_watch.csv?period=7d"' in stock
    empty = client.get("/console/kpis/chart/on_time?period=today").get_data(as_text=True)
    assert "No data for this period." in empty
    assert client.get("/console/kpis/chart/nope").status_code == 404
    export = client.get("/console/kpis/stock_watch.csv?period=30d")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    text = export.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["SKU", "Product", "Available", "Reorder point", "State"]
    assert ["SKU-1", "'=HYPERLINK(\"http://evil\")", "0", "10", "Out of stock"] in rows
    empty = client.get("/console/kpis/lines_per_hour.csv")
    assert list(csv.reader(io.StringIO(empty.get_data(as_text=True).lstrip("\ufeff")))) == [
        ["Person", "Lines", "Hours with picking", "Lines per hour"]]
    assert client.get("/console/kpis/nope.csv").status_code == 404
    assert login_as("picker").get("/console/kpis").status_code == 403


def test_zh_csv_headers(app, login_as):
    client = login_as("supervisor")
    export = client.get("/console/kpis/short_pick_rate.csv",
                        headers={"Accept-Language": "zh-CN"})
    header = next(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in cell) for cell in header), header
