"""Labels to a network label printer: ZPL over raw TCP (port 9100) by a packing job,
through a real worker to a local listener that keeps the bytes; retry, visible failure."""
import re
import socket
import threading

import pytest
from sqlalchemy import select

from outbound_support import barcode_of, stocked_skus
from test_packing import BOX, picked
from webapp.extensions import db
from webapp.packing import printing, stations
from webapp.packing.models import LabelPrint, Parcel, Shipment
from webapp.queues import queue


class Listener:
    """A TCP server on 127.0.0.1 that keeps what each connection sends, like a printer."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        """Accept connections until closed; read each to its end."""
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            with conn:
                chunks = []
                while data := conn.recv(65536):
                    chunks.append(data)
                self.received.append(b"".join(chunks).decode("utf-8"))

    def close(self):
        """Stop listening."""
        self.sock.close()


@pytest.fixture
def listener():
    """A stand-in printer's TCP port (a real socket: the bytes are what a printer gets)."""
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def packer(sqlite_warehouse, sign_in, monkeypatch):
    """The demo packer; label prints retried at once (the burst worker runs the retries);
    the packing queue empty before and after."""
    monkeypatch.setenv("LABEL_PRINT_RETRY_SECONDS", "0,0")
    queue("packing").empty()
    yield sign_in(sqlite_warehouse.test_client(), "packer")
    queue("packing").empty()  # a booking queued and never run must not run in a later test


def pack_at(packer, make_planned, user_id, port):
    """Choose a station whose printer is 127.0.0.1:port, verify and pack an order there."""
    station = stations.save_station({"code": "P1", "name": "Bench 1",
                                     "printer_host": "127.0.0.1", "printer_port": str(port)})
    db.session.commit()
    assert packer.get(f"/packing?station={station.id}").status_code == 200
    sku_a, sku_b = stocked_skus(2)
    order = picked(make_planned, user_id, lines=[(sku_a, 1), (sku_b, 1)])[0]
    for line in order.lines:
        packer.post(f"/packing/orders/{order.id}/scan", data={"code": barcode_of(line.product_id)})
    assert packer.post(f"/packing/orders/{order.id}/pack", data=BOX).status_code == 302
    ids = order.id, station.id
    db.session.commit()
    db.session.close()  # the worker writes to the same SQLite file
    return ids


def test_the_label_reaches_the_printer_as_zpl_with_a_code128_tracking_number(
        packer, make_planned, user_id, sqlite_url, run_worker, listener):
    order_id, _station = pack_at(packer, make_planned, user_id, listener.port)
    run_worker(sqlite_url, "packing")
    parcel = db.session.scalar(select(Parcel).join(Shipment).where(Shipment.order_id == order_id))
    (row,) = db.session.scalars(select(LabelPrint)).all()
    assert (row.status, row.attempts, row.error) == ("sent", 1, None)
    (zpl,) = listener.received
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "^PW800" in zpl and "^LL1200" in zpl  # 100 x 150 mm at 8 dots/mm
    barcode = re.search(r"\^BC[^\^]*\^FH\\\^FD([^\^]*)\^FS", zpl)
    assert barcode and barcode[1] == parcel.tracking_number
    page = packer.get(f"/packing/orders/{order_id}/shipment").get_data(as_text=True)
    assert 'data-print-status="sent"' in page and "Label sent to P1" in page
    download = packer.get(f"/packing/parcels/{parcel.id}/label.zpl")
    assert download.status_code == 200 and download.get_data(as_text=True) == zpl
    assert "attachment" in download.headers["Content-Disposition"]


def test_nothing_listening_is_retried_then_shown_failed_and_sent_again(
        packer, make_planned, user_id, sqlite_url, run_worker, listener):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead_port = dead.getsockname()[1]  # bound, never listening: connections are refused
    try:
        order_id, station_id = pack_at(packer, make_planned, user_id, dead_port)
        run_worker(sqlite_url, "packing")
    finally:
        dead.close()
    (row,) = db.session.scalars(select(LabelPrint)).all()
    assert row.status == "failed" and row.attempts == 3  # one try and two retries
    assert f"127.0.0.1:{dead_port} not reachable (attempt 3)" in row.error
    page = packer.get(f"/packing/orders/{order_id}/shipment").get_data(as_text=True)
    assert "Label not printed" in page and "not reachable" in page
    # The printer is back (at another port): the packer sends the labels again.
    station = stations.save_station({"code": "P1", "name": "Bench 1", "printer_host":
                                     "127.0.0.1", "printer_port": str(listener.port)},
                                    station_id)
    db.session.commit()
    again = packer.post(f"/packing/orders/{order_id}/labels/print", headers={"HX-Request": "true"})
    assert again.status_code == 200 and 'data-print-status="queued"' in again.get_data(as_text=True)
    db.session.close()
    run_worker(sqlite_url, "packing")
    assert [r.status for r in db.session.scalars(select(LabelPrint).order_by(LabelPrint.id))] == [
        "failed", "sent"]
    assert len(listener.received) == 1 and "^BC" in listener.received[0]
    assert station.printer_port == listener.port


def test_a_print_job_run_twice_prints_once(packer, make_planned, user_id, sqlite_url,
                                           run_worker, listener):
    order_id, _station = pack_at(packer, make_planned, user_id, listener.port)
    run_worker(sqlite_url, "packing")
    (row,) = db.session.scalars(select(LabelPrint)).all()
    assert printing.send_print(row.id, final_attempt=True).status == "sent"
    assert len(listener.received) == 1


def test_a_printer_removed_meanwhile_fails_the_print_plainly(packer, make_planned, user_id,
                                                            listener):
    order_id, station_id = pack_at(packer, make_planned, user_id, listener.port)
    shipment = db.session.scalar(select(Shipment).where(Shipment.order_id == order_id))
    shipment.status = "booked"
    for n, parcel in enumerate(shipment.parcels):
        parcel.tracking_number = f"TEST{n}"
    (row,) = printing.queue_prints(shipment)
    stations.save_station({"code": "P1", "name": "Bench 1", "printer_host": ""}, station_id)
    db.session.commit()
    assert printing.send_print(row.id, final_attempt=False).status == "failed"
    assert "no label printer" in row.error and listener.received == []


def test_zpl_fields_cannot_be_broken_by_the_address(sqlite_warehouse):
    assert printing._field("a^XZ~JR\\b") == "^FH\\^FDa\\5EXZ\\7EJR\\5Cb^FS"
    assert printing._field("北京\n") == "^FH\\^FD北京\\0A^FS"


def test_station_printer_addresses_are_checked(sqlite_warehouse):
    for host, port in (("bad host!", "9100"), ("127.0.0.1", "0"), ("127.0.0.1", "70000"),
                       ("127.0.0.1", "abc")):
        with pytest.raises(stations.StationError):
            stations.save_station({"code": "X", "name": "X", "printer_host": host,
                                   "printer_port": port})
    ok = stations.save_station({"code": "x", "name": "X", "printer_host": "printer-3.lan"})
    assert (ok.code, ok.printer_port) == ("X", 9100)
