"""What the HTTP benchmarks share: throwaway databases, seeded pick lists, a real gunicorn,
a real RQ worker, a small asyncio HTTP/1.1 keep-alive client, and table printing.

Not a benchmark itself (run_all.py skips files starting with "_"). Nothing here times
anything on its own; the scripts decide what to time.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
HOST = "127.0.0.1"
PASSWORD = "bench-password"
LOCKED = "database is locked"


# ---------------------------------------------------------------- databases
@contextmanager
def sqlite_database():
    """A SQLite file in a temporary folder (a file, so every process shares it)."""
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_database():
    """A throwaway PostgreSQL database, dropped at the end whatever happens."""
    import psycopg
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def parse_args(doc, argv, quick_help):
    """The options every HTTP benchmark takes: --quick, --db (repeatable), gunicorn size."""
    import argparse
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--db", action="append", choices=("sqlite", "postgres"),
                        help="database(s) to run on (default: both)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    return parser.parse_args(argv)


def databases(names):
    """(label, context manager factory) for each requested backend."""
    known = {"sqlite": ("SQLite", sqlite_database), "postgres": ("PostgreSQL", postgres_database)}
    return [known[name] for name in names]


class Environment:
    """The environment variables the app, gunicorn and the worker all read."""

    def __init__(self, database_url, folder):
        self.folder = Path(folder)
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}-"
        self.vars = {"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
                     "INSTANCE_PATH": str(self.folder / "instance"),
                     "SECRET_KEY": "bench-secret", "QUEUE_PREFIX": self.prefix,
                     "LOG_LEVEL": "WARNING", "DEMO_MODE": "0"}

    def child_env(self):
        """os.environ plus ours, for subprocesses."""
        return {**os.environ, **self.vars, "PYTHONUNBUFFERED": "1"}

    def app(self):
        """Build the app in this process on the benchmark's database and migrate it."""
        os.environ.update(self.vars)
        from flask_migrate import upgrade

        from webapp import create_app
        app = create_app()
        with app.app_context():
            upgrade()
        return app

    def drop_queues(self):
        """Remove the RQ keys made under our queue prefix (they would linger in Redis)."""
        from redis import Redis
        redis = Redis.from_url(REDIS_URL)
        for key in redis.scan_iter(match=f"*{self.prefix}*", count=500):
            redis.delete(key)


# ---------------------------------------------------------------- seeding
@dataclass
class Task:
    """What a client needs to scan one task: where, what, and the ids it reports."""

    list_id: int
    task_id: int
    location: str
    barcode: str


@dataclass
class Picker:
    """A picker, their handheld and the tasks of their in-progress lists in route order."""

    username: str
    user_id: int
    device_id: int
    token: str
    tasks: list[Task] = field(default_factory=list)


@contextmanager
def _cheap_password_hashing():
    """Seed people with a fast hash: password hashing is not what is measured here.

    scrypt takes about a second per person on this machine; 100 pickers would
    spend minutes in setup. The hash stays a real werkzeug hash that sign-in checks.
    """
    from werkzeug.security import generate_password_hash

    from webapp.accounts import models
    original = models.generate_password_hash
    models.generate_password_hash = lambda pw: generate_password_hash(pw, "pbkdf2:sha256:1000")
    try:
        yield
    finally:
        models.generate_password_hash = original


def seed(tasks_per_picker, tasks_per_list=60, lines_per_order=4, max_products=2000, seed=11):
    """Create a warehouse, stocked products and one picker per entry of tasks_per_picker.

    Each picker gets a registered device and in-progress pick lists holding that
    many tasks of quantity 1 (lists of tasks_per_list, orders of lines_per_order,
    each line reserved). Orders are 'picking'. Call inside an app context; commits.
    """
    from webapp.accounts.services import create_user, record_sign_in, register_device
    from webapp.catalog.models import Location, Warehouse
    from webapp.catalog.stock import move_stock, reserve
    from webapp.extensions import db

    rng = random.Random(seed)
    total = sum(tasks_per_picker)
    warehouse = Warehouse(code="BENCH", name="Benchmark warehouse")
    db.session.add(warehouse)
    db.session.flush()
    db.session.add(Location(warehouse_id=warehouse.id, type="packing", zone="PACK",
                            code="PACK-01"))
    products, locations = _catalog(db, rng, warehouse, min(total, max_products))
    uses = [0] * len(products)
    for n in range(total):
        uses[n % len(products)] += 1
    for product, location, count in zip(products, locations, uses):
        move_stock(product.id, count + 5, reason="opening", to_location_id=location.id,
                   source="bench-seed")
        if count:
            reserve(product.id, location.id, count)
    pickers = []
    with _cheap_password_hashing():
        for number, _count in enumerate(tasks_per_picker):
            user = create_user(f"bench-picker-{number:03d}", PASSWORD, ["picker"])
            device, token = register_device(f"bench-handheld-{number:03d}", roles=["picker"])
            record_sign_in(device.id, user.id)  # its scans may name only who held it
            pickers.append(Picker(user.username, user.id, device.id, token))
    cursor = 0
    for picker, count in zip(pickers, tasks_per_picker):
        slots = [cursor + n for n in range(count)]
        cursor += count
        for start in range(0, count, tasks_per_list):
            chunk = [(products[s % len(products)], locations[s % len(products)])
                     for s in slots[start:start + tasks_per_list]]
            picker.tasks += _pick_list(db, picker, chunk, lines_per_order)
    db.session.commit()
    return pickers


def _catalog(db, rng, warehouse, count):
    """count products with an EAN-13 each, and one storage location per product."""
    from webapp.catalog.models import Barcode, Location, Product
    from webapp.demo import ean13
    codes, products = set(), []
    while len(products) < count:
        code = ean13(rng)
        if code not in codes:
            codes.add(code)
            product = Product(sku=f"BENCH-{len(products) + 1:05d}",
                              name=f"Benchmark item {len(products) + 1}")
            product.barcodes = [Barcode(code=code, symbology="ean13")]
            products.append(product)
    locations = []
    for n in range(count):
        zone, rest = "ABCDE"[n // 2000], n % 2000
        aisle, bay, level = rest // 100 + 1, rest % 100 // 4 + 1, rest % 4 + 1
        locations.append(Location(warehouse_id=warehouse.id, type="storage", zone=zone,
                                  aisle=aisle, bay=bay, level=level,
                                  code=f"{zone}-{aisle:02d}-{bay:02d}-{level}"))
    db.session.add_all(products + locations)
    db.session.flush()
    return products, locations


_ORDER_NUMBER = iter(range(1, 10**9))


def _pick_list(db, picker, chunk, lines_per_order):
    """One in-progress list for picker over chunk [(product, location)], with its orders."""
    from webapp.orders.models import Order, OrderLine
    from webapp.picking.models import PickList, PickTask, Reservation
    from webapp.timeutil import utcnow
    orders, lines = [], []
    for start in range(0, len(chunk), lines_per_order):
        order = Order(channel="bench", channel_order_no=str(next(_ORDER_NUMBER)),
                      status="picking", ship_name="Li Lei", ship_phone="13800000000",
                      ship_line1="1 Renmin Road", ship_city="Hangzhou",
                      ship_province="Zhejiang", ship_postcode="310000")
        order.lines = [OrderLine(sku=p.sku, product_id=p.id, quantity=1)
                       for p, _loc in chunk[start:start + lines_per_order]]
        orders.append(order)
        lines += [(order, line) for line in order.lines]
    pick_list = PickList(picker_id=picker.user_id, status="in_progress", started_at=utcnow())
    db.session.add_all(orders + [pick_list])
    db.session.flush()
    reservations = [Reservation(order_line_id=line.id, product_id=p.id, location_id=loc.id,
                                quantity=1) for (_o, line), (p, loc) in zip(lines, chunk)]
    db.session.add_all(reservations)
    db.session.flush()
    tasks = [PickTask(pick_list_id=pick_list.id, sequence=n + 1, order_id=order.id,
                      order_line_id=line.id, reservation_id=res.id, location_id=loc.id,
                      product_id=p.id, quantity=1, cart_slot=orders.index(order) + 1)
             for n, ((order, line), res, (p, loc)) in enumerate(zip(lines, reservations, chunk))]
    db.session.add_all(tasks)
    db.session.flush()
    return [Task(pick_list.id, t.id, loc.code, p.barcodes[0].code)
            for t, (p, loc) in zip(tasks, chunk)]


# ---------------------------------------------------------------- processes
def free_port():
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _stop(process, timeout=30):
    """Stop a process we started: SIGTERM (graceful), then SIGKILL if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def process_cpu(pid):
    """CPU seconds (user + system) of a process, its reaped children and live descendants.

    The RQ worker forks a work horse per job and reaps it, so its CPU lands in the
    worker's children_* times; gunicorn's workers live on and are counted directly.
    """
    import psutil
    process = psutil.Process(pid)
    times = process.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in process.children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


class Server:
    """The real app under gunicorn on 127.0.0.1, its output kept in a log file."""

    def __init__(self, env, workers=4, threads=4):
        self.env, self.port = env, free_port()
        self.log_path = env.folder / f"gunicorn-{self.port}.log"
        self.command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads",
                        str(threads), "-b", f"{HOST}:{self.port}", "--graceful-timeout", "20",
                        "--no-control-socket", "webapp:create_app()"]
        self.process = None

    def __enter__(self):
        """Start gunicorn and wait until /healthz answers 200 from it."""
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env.child_env(),
                                        stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_text()[-2000:]}")
            try:
                status, _h, _b = asyncio.run(_one_get(self.port, "/healthz"))
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def __exit__(self, *exc):
        """Stop gunicorn."""
        _stop(self.process)
        self._log.close()

    def log_text(self):
        """Everything gunicorn and the app wrote so far."""
        return self.log_path.read_text(errors="replace")

    def cpu_seconds(self):
        """CPU time used so far by gunicorn and its workers."""
        return process_cpu(self.process.pid)

    def count_in_log(self, needle):
        """How many lines of the server log contain needle."""
        return sum(needle in line for line in self.log_text().splitlines())


class Worker:
    """A real RQ worker (python -m worker QUEUE ...) on the benchmark's queues."""

    def __init__(self, env, *queues):
        self.env, self.queues = env, queues
        self.log_path = env.folder / "worker.log"

    def __enter__(self):
        """Start the worker and give it time to register with Redis."""
        from redis import Redis
        from rq import Worker as RQWorker
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "worker", *self.queues],
                                        cwd=ROOT, env=self.env.child_env(),
                                        stdout=self._log, stderr=subprocess.STDOUT)
        redis = Redis.from_url(REDIS_URL)
        names = {f"{self.env.prefix}{q}" for q in self.queues}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-2000:]}")
            if any(names & set(w.queue_names()) for w in RQWorker.all(connection=redis)):
                return self
            time.sleep(0.2)
        raise RuntimeError("the RQ worker did not register within 60 s")

    def cpu_seconds(self):
        """CPU time used so far by the worker and its work horses."""
        return process_cpu(self.process.pid)

    def __exit__(self, *exc):
        """Stop the worker (warm shutdown)."""
        _stop(self.process)
        self._log.close()


# ---------------------------------------------------------------- HTTP client
class Stale(Exception):
    """The server closed a kept-alive connection before answering."""


class Connection:
    """One HTTP/1.1 keep-alive connection with a tiny cookie jar."""

    def __init__(self, port):
        self.port, self.reader, self.writer = port, None, None
        self.cookies, self.reconnects = {}, 0

    async def request(self, method, path, headers=None, body=b""):
        """Send a request and read the whole answer: (status, headers, body)."""
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            try:
                self.writer.write(self._encode(method, path, headers or {}, body))
                return await self._read()
            except (Stale, ConnectionResetError, BrokenPipeError):
                # An idle keep-alive connection the server closed: open a new one and
                # send again. Safe for scans: they are idempotent by their uuid.
                self.close()
                if attempt == 2:
                    raise
                self.reconnects += 1

    def _encode(self, method, path, headers, body):
        """The request bytes."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}",
                 f"Content-Length: {len(body)}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def _read(self):
        """Parse one response (Content-Length or chunked)."""
        status_line = await self.reader.readline()
        if not status_line:
            raise Stale()
        status = int(status_line.split()[1])
        headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _sep, value = line.decode("latin-1").partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"][0]))
        elif "chunked" in ",".join(headers.get("transfer-encoding", [])):
            body = await self._chunks()
        else:
            body = await self.reader.read()
        for cookie in headers.get("set-cookie", []):
            name, _sep, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        if "close" in ",".join(headers.get("connection", [])).lower():
            self.close()
        return status, headers, body

    async def _chunks(self):
        """Read a chunked body."""
        body = b""
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            body += await self.reader.readexactly(size)
            await self.reader.readline()
        await self.reader.readline()
        return body

    def close(self):
        """Drop the socket."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _one_get(port, path):
    """A single GET on a new connection."""
    conn = Connection(port)
    try:
        return await asyncio.wait_for(conn.request("GET", path), 5)
    finally:
        conn.close()


@dataclass
class Sample:
    """One request as the client saw it."""

    kind: str
    latency: float
    status: int
    ok: bool
    detail: str = ""


class HealthClient:
    """The baseline: GET /healthz (SELECT 1 and a Redis PING)."""

    kind = "healthz"

    async def prepare(self, conn):
        """Nothing to set up."""

    async def send(self, conn):
        """One health check; ok when 200 and both checks pass."""
        status, _h, body = await conn.request("GET", "/healthz")
        ok = status == 200 and json.loads(body).get("status") == "ok"
        return self.kind, status, ok, "" if ok else body[:300].decode(errors="replace")


class ApiScanner:
    """A handheld sending one pick scan per POST /api/v1/scans: location, item, location..."""

    def __init__(self, picker, device_time_offset=timedelta(0)):
        self.picker, self.offset = picker, device_time_offset
        self.position, self.seq, self.sent = 0, 0, 0

    def next_scan(self):
        """The next scan of this picker's walk as the device would queue it."""
        task = self.picker.tasks[self.position // 2]
        item = self.position % 2 == 1
        self.position += 1
        self.seq += 1
        return ("item" if item else "location"), {
            "id": str(uuid.uuid4()), "seq": self.seq,
            "device_time": (datetime.now(timezone.utc) - self.offset).isoformat(),
            "user_id": self.picker.user_id, "action": "pick",
            "code": task.barcode if item else task.location, "quantity": 1,
            "pick_list_id": task.list_id, "task_id": task.task_id}

    def body(self, scans, pending=0):
        """The JSON body of a sync request."""
        return json.dumps({"device_id": self.picker.device_id, "pending": pending,
                           "scans": scans}).encode()

    def headers(self):
        """Device token auth."""
        return {"Authorization": f"Bearer {self.picker.token}",
                "Content-Type": "application/json"}

    async def prepare(self, conn):
        """Nothing to set up: the token is the credential."""

    async def send(self, conn):
        """One scan in one request; ok when it was applied."""
        kind, scan = self.next_scan()
        status, _h, body = await conn.request("POST", "/api/v1/scans", self.headers(),
                                              self.body([scan]))
        self.sent += 1
        return kind, status, *_applied(status, body)


def _applied(status, body):
    """(ok, detail) of a one-scan sync answer."""
    if status != 200:
        return False, body[:300].decode(errors="replace")
    result = json.loads(body)["results"][0]
    return result["status"] == "applied", f"{result['status']}: {result['reason']}"


class OnlineScanner:
    """A picker on the htmx screen: session cookie + CSRF, POST /picking/lists/<id>/scan."""

    def __init__(self, picker):
        self.picker, self.position, self.csrf = picker, 0, None

    async def prepare(self, conn):
        """Sign in and read the CSRF token from the task page (not timed)."""
        _s, _h, page = await conn.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        form = f"username={self.picker.username}&password={PASSWORD}&csrf_token={token}"
        status, _h, _b = await conn.request(
            "POST", "/login", {"Content-Type": "application/x-www-form-urlencoded"},
            form.encode())
        if status != 302:
            raise RuntimeError(f"sign-in failed with {status}")
        _s, _h, page = await conn.request("GET", f"/picking/lists/{self.picker.tasks[0].list_id}")
        self.csrf = re.search(rb'"X-CSRFToken": "([^"]+)"', page).group(1).decode()

    async def send(self, conn):
        """One scan typed into the scan field; ok when the fragment says ok."""
        task = self.picker.tasks[self.position // 2]
        item = self.position % 2 == 1
        self.position += 1
        code = task.barcode if item else task.location
        status, _h, body = await conn.request(
            "POST", f"/picking/lists/{task.list_id}/scan",
            {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true",
             "HX-Target": "pick-task", "X-CSRFToken": self.csrf}, f"code={code}".encode())
        ok = status == 200 and b'data-feedback="ok"' in body
        return ("item" if item else "location"), status, ok, "" if ok else body[:300].decode(
            errors="replace")


async def _drive(port, client, count, think, rng, samples):
    """One client: prepare, then count requests back to back (or with think time)."""
    conn = Connection(port)
    try:
        await client.prepare(conn)
        for _ in range(count):
            started = time.perf_counter()
            try:
                kind, status, ok, detail = await asyncio.wait_for(client.send(conn), 120)
            except (OSError, asyncio.TimeoutError, Stale, asyncio.IncompleteReadError) as error:
                kind, status, ok = getattr(client, "kind", "scan"), 0, False
                detail = f"{type(error).__name__}: {error}"
                conn.close()
            samples.append(Sample(kind, time.perf_counter() - started, status, ok, detail))
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))
    finally:
        conn.close()
    return conn.reconnects


def run_load(port, clients, count, think=0.0, seed=3):
    """Drive every client count times concurrently; return (samples, wall seconds, reconnects)."""
    rng = random.Random(seed)

    async def main():
        samples = []
        started = time.perf_counter()
        reconnects = await asyncio.gather(
            *(_drive(port, c, count, think, rng, samples) for c in clients))
        return samples, time.perf_counter() - started, sum(reconnects)
    return asyncio.run(main())


# ---------------------------------------------------------------- figures
@dataclass
class Summary:
    """Latency and throughput of one set of samples."""

    n: int
    failed: int
    median_ms: float
    p95_ms: float
    per_s: float


def summarize(samples, wall, kinds=None):
    """Median, p95 (ms), failures and requests per second of the samples of kinds."""
    chosen = [s for s in samples if kinds is None or s.kind in kinds]
    latencies = sorted(s.latency * 1000 for s in chosen)
    return Summary(len(chosen), sum(not s.ok for s in chosen), statistics.median(latencies),
                   percentile(latencies, 95), len(chosen) / wall if wall else 0.0)


def percentile(sorted_values, pct):
    """The pct-th percentile by linear interpolation between closest ranks."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def table(header, rows):
    """A Markdown table; numbers already formatted by the caller."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(value):
    """A latency in ms for a table."""
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def ratio(value):
    """A ratio for a table."""
    return f"{value:.1f}×" if value < 100 else f"{value:.0f}×"
