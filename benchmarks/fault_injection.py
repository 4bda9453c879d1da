"""Fault injection: devices keep syncing while processes die, connections drop and Redis
restarts; afterwards nothing is lost, nothing is doubled, stock equals the ledger.

    .venv/bin/python benchmarks/fault_injection.py            # 1,000 faults
    .venv/bin/python benchmarks/fault_injection.py --quick    # 60 faults (in `make test`)

Shaped like production: two gunicorn web servers (2 workers x 4 threads each) and two
RQ workers (`python -m worker`) with rq's cron scheduler (`python -m worker.cron`),
sharing a throwaway PostgreSQL database and a PRIVATE redis-server on a port of its
own (never the shared 6379: this script stops and starts it). Handhelds (device
tokens, POST /api/v1/scans) walk their pick lists and send random batches from an
outbox, as static/js/outbox.js does: a scan leaves the outbox only once the server
answered for it. Faults strike at random meanwhile:

- cut: a batch sent, the connection closed before the answer (or halfway through
  the body); the device sends it again later;
- replay: an already-answered batch sent again (every scan must answer `duplicate`);
- two tabs: the same batch sent to both web servers at the same moment;
- web killed: SIGKILL of a gunicorn master and its workers, then a restart;
- worker killed: SIGKILL of an RQ worker with its work horse (mid-job when one runs);
- Redis restarted: the private redis-server killed and started again, empty (the
  queued jobs are gone with it, as after a crash without persistence).

A dead process is started again by a supervisor loop, as systemd or `make run` would.
When the faults are done the devices send what their outboxes still hold, then the
run waits (no help from this script) until no scan is left `stored`. Checked then:
every scan the devices made is held exactly once; every stored scan was applied or is
a conflict; each task's picked quantity is at most its quantity and equals its pick
movements; stock levels equal the ledger. Exit status 0 only when all of that holds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (ROOT, ApiScanner, Connection, Environment, free_port,  # noqa: E402
                      postgres_database, seed)

# heavy: how many of the faults must be processes killed. Counted together, the light
# faults (six devices, 30 % of their sends) reached 1,000 in 140 s while only 22
# processes had died: a run of "1,000 faults" that was nearly all replays. The full plan
# caps the light ones so the heavy ones make up a fifth, and paces the devices (pause:
# seconds between sends, as a person scans) so their walk lasts as long as the faults.
PLANS = {"full": dict(faults=1000, heavy=200, devices=6, tasks=2000, pause=0.2),
         "quick": dict(faults=60, heavy=0, devices=3, tasks=200, pause=0)}
LIGHT = ("cut", "replay", "two tabs")
HEAVY = ("web killed", "worker killed", "redis restarted")
# Once the faults stop: no scan applied for this long is a stall (the sweep runs every 60 s).
STALL_SECONDS = 180


# ---------------------------------------------------------------- processes
class Proc:
    """A process of the deployment that can be killed and started again."""

    def __init__(self, name, argv, env, folder):
        self.name, self.argv, self.env = name, argv, env
        self.log = open(Path(folder) / f"{name.replace(' ', '-')}.log", "ab")
        self.process = None

    def start(self):
        """Start it (again)."""
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT)

    def alive(self):
        """True while it runs."""
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL it with every descendant (rq's work horse sits in a group of its own)."""
        import psutil
        try:
            family = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        self.process.kill()
        for child in family:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        self.process.wait()
        psutil.wait_procs(family, timeout=10)

    def stop(self):
        """Warm shutdown, then SIGKILL if it hangs."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Deployment:
    """Two web servers, two RQ workers, rq's cron scheduler and a private Redis."""

    def __init__(self, env, folder):
        self.redis_port = free_port()
        env.vars["REDIS_URL"] = f"redis://127.0.0.1:{self.redis_port}/0"
        child_env = env.child_env()
        self.redis = Proc("redis", ["redis-server", "--port", str(self.redis_port), "--bind",
                                    "127.0.0.1", "--save", "", "--appendonly", "no"],
                          child_env, folder)
        self.ports = [free_port(), free_port()]
        self.webs = [Proc(f"web {n}", [sys.executable, "-m", "gunicorn", "-w", "2",
                                       "--threads", "4", "-b", f"127.0.0.1:{port}",
                                       "--no-control-socket", "webapp:create_app()"],
                          child_env, folder) for n, port in enumerate(self.ports)]
        self.workers = [Proc(f"worker {n}", [sys.executable, "-m", "worker"], child_env, folder)
                        for n in range(2)]
        self.cron = Proc("scheduler", [sys.executable, "-m", "worker.cron"], child_env, folder)
        self.restarts = Counter()
        # The fault thread and the keep-alive thread both restart processes: one at a time,
        # or both start the same one and the first Popen is lost (a zombie, a stall).
        self.lock = threading.RLock()

    def all(self):
        """Every process, Redis first."""
        return [self.redis, *self.webs, *self.workers, self.cron]

    def start(self):
        """Start everything and wait for Redis and both web servers."""
        for proc in self.all():
            proc.start()
            if proc is self.redis:
                self.wait_for_redis()
        for port in self.ports:
            _wait(lambda p=port: _healthy(p), f"web server on {port}")

    def wait_for_redis(self):
        """Until the private Redis answers PING."""
        from redis import Redis
        _wait(lambda: Redis(port=self.redis_port, socket_connect_timeout=0.5,
                            socket_timeout=2).ping(), "redis")

    def supervise(self):
        """Start again whatever died (as systemd or `make run` would)."""
        with self.lock:
            for proc in self.all():
                if not proc.alive():
                    proc.start()
                    self.restarts[proc.name.split()[0]] += 1
                    if proc is self.redis:
                        self.wait_for_redis()

    def kill(self, proc):
        """SIGKILL one process (never while the other thread restarts it)."""
        with self.lock:
            proc.kill()

    def busy_worker(self, rng, seconds=5):
        """A worker running a job, waiting up to `seconds` for one (rq's Worker API);
        else any worker. Returns (proc, mid_job)."""
        from redis import Redis
        from rq import Worker
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                redis = Redis(port=self.redis_port, socket_connect_timeout=1, socket_timeout=2)
                busy = {w.pid for w in Worker.all(connection=redis) if w.get_current_job_id()}
            except Exception:  # noqa: BLE001 - Redis restarting: try again
                busy = set()
            running = [w for w in self.workers if w.alive() and w.process.pid in busy]
            if running:
                return rng.choice(running), True
            time.sleep(0.05)
        return rng.choice(self.workers), False

    def stop(self):
        """Stop everything."""
        for proc in reversed(self.all()):
            proc.stop()


def _healthy(port):
    """True when the server answers /healthz at all (503 while Redis is down counts)."""
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _wait(check, what, seconds=90):
    """Poll check() until true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - still starting
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {seconds} s")


# ---------------------------------------------------------------- faults
class Faults:
    """The tally of faults and of what the devices saw."""

    def __init__(self, target, rng, heavy=0):
        self.target, self.rng, self.count = target, rng, Counter()
        self.heavy = heavy
        self.lock = threading.Lock()
        self.violations = []

    def done(self):
        """True once enough faults struck, enough of them heavy."""
        return self.total() >= self.target and self.struck(HEAVY) >= self.heavy

    def light_wanted(self):
        """True while the devices should still strike light faults."""
        return not self.done() and self.struck(LIGHT) < self.target - self.heavy

    def struck(self, kinds):
        """How many faults of these kinds struck."""
        return sum(self.count[kind] for kind in kinds)

    def total(self):
        """Every fault that struck (a worker killed mid-job is counted once, as a kill)."""
        return self.struck(LIGHT) + self.struck(HEAVY)

    def add(self, kind):
        """Count one fault."""
        with self.lock:
            self.count[kind] += 1


def heavy_faults(deployment, faults, stop, quick):
    """Kill a web server, kill a worker (mid-job when one runs), restart Redis, in turn."""
    rng = random.Random(7)
    order = list(HEAVY)
    while not stop.is_set():
        rng.shuffle(order)
        for kind in order:
            if stop.wait(rng.uniform(1.0, 3.0) if quick else rng.uniform(2.0, 6.0)):
                return
            # An exception here used to end the thread in silence: the long run's faults
            # stopped striking after ~5 minutes and nobody saw why. Say it, and go on.
            if _survive(f"heavy fault {kind}", _strike, deployment, faults, kind, rng):
                faults.add(kind)
                print(f"[{time.strftime('%H:%M:%S')}] {kind}; so far {dict(faults.count)}",
                      file=sys.stderr, flush=True)
            _survive("restart after a fault", deployment.supervise)


def _strike(deployment, faults, kind, rng):
    """One heavy fault of the given kind."""
    if kind == "web killed":
        deployment.kill(rng.choice(deployment.webs))
    elif kind == "worker killed":
        worker, mid_job = deployment.busy_worker(rng)
        deployment.kill(worker)
        if mid_job:
            faults.add("worker killed mid-job")
    else:
        deployment.kill(deployment.redis)
        time.sleep(rng.uniform(0.2, 2.0))


def _survive(what, func, *args):
    """Run func(*args); on an exception print it with its traceback and return False."""
    import traceback
    try:
        func(*args)
        return True
    except Exception:  # noqa: BLE001 - the run must go on, and say what went wrong
        print(f"[{time.strftime('%H:%M:%S')}] {what} failed:\n{traceback.format_exc()}",
              file=sys.stderr, flush=True)
        return False


def keep_alive(deployment, stop):
    """Restart what died between faults (a worker that lost Redis exits, for one)."""
    while not stop.wait(0.5):
        _survive("keep-alive restart", deployment.supervise)


# ---------------------------------------------------------------- devices
class Device:
    """A handheld: its walk, its outbox, and every answer it got."""

    def __init__(self, picker, rng):
        self.scanner, self.rng = ApiScanner(picker), rng
        self.outbox, self.sent_batches, self.made = [], [], []
        self.answered = {}  # scan id -> first final answer

    def top_up(self, size):
        """Make new scans (the walk goes on) until the outbox holds size or the walk ends."""
        while len(self.outbox) < size and self.scanner.position < 2 * len(
                self.scanner.picker.tasks):
            scan = self.scanner.next_scan()[1]
            self.outbox.append(scan)
            self.made.append(scan["id"])

    def batch_size(self):
        """Mostly a few scans, sometimes a backlog larger than the inline limit."""
        roll = self.rng.random()
        return self.rng.randint(1, 5) if roll < .7 else self.rng.randint(6, 100) \
            if roll < .92 else self.rng.randint(201, 450)

    def take(self, results, faults):
        """Drop the answered scans from the outbox, as outbox.js does; check no scan is
        ever answered applied, stored, conflict or rejected twice (after the first such
        answer every resend must say duplicate; a duplicate may come first when the
        answer that decided it was lost or went to the other tab)."""
        done = {}
        for result in results:
            status = result.get("status")
            if status in ("applied", "stored", "conflict", "rejected", "duplicate"):
                done[result["id"]] = status
                if status == "duplicate":
                    continue
                if result["id"] in self.answered:  # decided twice: done twice
                    faults.violations.append(
                        f"{result['id']}: {self.answered[result['id']]} then {status}")
                self.answered[result["id"]] = status
        self.outbox = [s for s in self.outbox if s["id"] not in done]


async def post(port, device, scans, timeout=60):
    """POST a batch on a fresh connection; (status, results) or (None, []) on failure."""
    conn = Connection(port)
    try:
        status, _h, body = await asyncio.wait_for(conn.request(
            "POST", "/api/v1/scans", device.scanner.headers(),
            device.scanner.body(scans, len(device.outbox))), timeout)
        return status, (json.loads(body).get("results", []) if status == 200 else [])
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError,
            Exception):  # noqa: BLE001 - a dead server is what this run is about
        return None, []
    finally:
        conn.close()


async def cut(port, device, scans, rng):
    """Send a batch and hang up before the answer, or halfway through the body."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    body = device.scanner.body(scans, len(device.outbox))
    head = (f"POST /api/v1/scans HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {device.scanner.picker.token}\r\n\r\n").encode()
    payload = head + (body if rng.random() < .5 else body[:len(body) // 2])
    try:
        writer.write(payload)
        await writer.drain()
        await asyncio.sleep(rng.uniform(0, 0.05))
    except OSError:
        pass
    writer.close()


async def drive(device, ports, faults, fault_rate, rng, pause=0.0):
    """Walk and sync until the faults are done and the outbox is empty."""
    while True:
        light = faults.light_wanted() and rng.random() < fault_rate
        if faults.done() and not device.outbox:
            device.top_up(0)
            return
        if not faults.done():
            device.top_up(device.batch_size())
        batch = device.outbox[:2000]
        if not batch and not light:
            await asyncio.sleep(0.1)
            continue
        port = rng.choice(ports)
        if light and (batch or device.sent_batches):
            # With the walk over, the faults strike resends of batches already answered.
            batch = batch or rng.choice(device.sent_batches)
            kind = rng.choice(LIGHT)
            if kind == "cut":
                try:  # a server that stopped reading must not hold the device forever
                    await asyncio.wait_for(cut(port, device, batch, rng), 15)
                except asyncio.TimeoutError:
                    pass
            elif kind == "replay" and device.sent_batches:
                old = rng.choice(device.sent_batches)
                status, results = await post(port, device, old)
                if status == 200 and {r["status"] for r in results} - {"duplicate"}:
                    faults.violations.append(
                        f"replay answered {Counter(r['status'] for r in results)}")
            elif kind == "two tabs":
                answers = await asyncio.gather(*(post(p, device, batch) for p in ports))
                for status, results in answers:
                    if status == 200:
                        device.take(results, faults)
                        device.sent_batches.append(batch)
            else:
                continue
            faults.add(kind)
            continue
        status, results = await post(port, device, batch)
        if status == 200:
            device.take(results, faults)
            device.sent_batches.append(batch)
            if pause:
                await asyncio.sleep(rng.uniform(0, 2 * pause))
        else:
            await asyncio.sleep(rng.uniform(0.1, 0.5))  # the outbox's backoff


# ---------------------------------------------------------------- checks
def settle(app, stall_seconds):
    """Wait until no scan is stored; return the wait.

    A stall is what fails the run, not a long wait: the long run leaves tens of
    thousands of scans that a loaded machine applies for minutes after the faults stop.
    The wait ends when nothing was applied for `stall_seconds` (longer than the sweep's
    period, so a lost job is found again first), or after an hour in all.
    """
    from sqlalchemy import func, select

    from webapp.extensions import db
    from webapp.sync.models import ScanRecord
    started = last_progress = time.monotonic()
    before = None
    with app.app_context():
        while time.monotonic() - last_progress < stall_seconds \
                and time.monotonic() - started < 3600:
            left = db.session.scalar(select(func.count()).where(ScanRecord.status == "stored"))
            db.session.rollback()
            if not left:
                break
            if left != before:
                print(f"[{time.strftime('%H:%M:%S')}] settling: {left:,} scans still stored",
                      file=sys.stderr, flush=True)
                before, last_progress = left, time.monotonic()
            time.sleep(5)
    return time.monotonic() - started


def check(app, devices):
    """The figures of the run: lost, doubled, statuses, ledger."""
    from sqlalchemy import func, select

    from webapp.catalog.models import StockMovement
    from webapp.catalog.stock import ledger_mismatches
    from webapp.extensions import db
    from webapp.picking.models import PickTask
    from webapp.sync.models import ScanRecord
    with app.app_context():
        held = dict(db.session.execute(select(ScanRecord.scan_uuid, ScanRecord.status)).all())
        made = [scan_id for device in devices for scan_id in device.made]
        over = db.session.scalar(select(func.count()).where(PickTask.picked_qty > PickTask.quantity))
        picked = db.session.scalar(select(func.coalesce(func.sum(PickTask.picked_qty), 0)))
        moved = db.session.scalar(select(func.coalesce(func.sum(StockMovement.quantity), 0))
                                  .where(StockMovement.reason == "pick"))
        return {"scans made": len(made), "scans held": len(held),
                "lost": sum(scan_id not in held for scan_id in made),
                "left stored": sum(status == "stored" for status in held.values()),
                "doubled": over + abs(moved - picked), "statuses": Counter(held.values()),
                "ledger mismatches": len(ledger_mismatches())}


# ---------------------------------------------------------------- run
def run(plan, seed_value):
    """Seed, start the deployment, sync under faults, settle, check; return the figures."""
    rng = random.Random(seed_value)
    with postgres_database() as url, tempfile.TemporaryDirectory(prefix="faults-") as folder:
        env = Environment(url, folder)
        app = env.app()
        with app.app_context():
            pickers = seed([plan["tasks"]] * plan["devices"], tasks_per_list=60)
        deployment = Deployment(env, folder)
        deployment.start()
        faults, stop = Faults(plan["faults"], rng, plan["heavy"]), threading.Event()
        threads = [threading.Thread(target=heavy_faults, args=(deployment, faults, stop,
                                                              plan["faults"] < 200)),
                   threading.Thread(target=keep_alive, args=(deployment, stop))]
        for thread in threads:
            thread.start()
        devices = [Device(picker, random.Random(rng.random())) for picker in pickers]
        started = time.monotonic()
        try:
            async def all_devices():
                await asyncio.gather(*(drive(d, deployment.ports, faults, 0.3,
                                             random.Random(rng.random()), plan["pause"])
                                       for d in devices))
            asyncio.run(all_devices())
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        deployment.supervise()
        faulty = time.monotonic() - started
        waited = settle(app, STALL_SECONDS)
        figures = check(app, devices)
        deployment.stop()
        figures.update(faults=faults.count, restarts=deployment.restarts, seconds=faulty,
                       settle=waited, violations=faults.violations)
        return figures


def report(figures):
    """Print the figures as Markdown; return True when nothing was lost or doubled."""
    total = sum(v for k, v in figures["faults"].items() if k != "worker killed mid-job")
    print("| fault | times |\n|---|---|")
    for kind in (*LIGHT, *HEAVY, "worker killed mid-job"):
        print(f"| {kind} | {figures['faults'][kind]:,} |")
    print(f"| **faults survived** | **{total:,}** |\n")
    print("| after the run | value |\n|---|---|")
    for key in ("scans made", "scans held", "lost", "doubled", "left stored",
                "ledger mismatches"):
        print(f"| {key} | {figures[key]:,} |")
    print(f"| scan states | {dict(figures['statuses'])} |")
    print(f"| processes restarted | {dict(figures['restarts'])} |")
    print(f"| answers contradicting an earlier one | {len(figures['violations'])} |")
    print(f"\nFaults struck for {figures['seconds']:.0f} s; the last stored scans were "
          f"applied {figures['settle']:.0f} s after the devices finished.")
    for line in figures["violations"][:10]:
        print(f"  contradiction: {line}", file=sys.stderr)
    return not (figures["lost"] or figures["doubled"] or figures["left stored"]
                or figures["ledger mismatches"] or figures["violations"]
                or figures["scans held"] != figures["scans made"])


def main(argv=None):
    """Run the quick or full plan and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 faults instead of 1,000")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    plan = PLANS["quick" if args.quick else "full"]
    print(f"Fault injection: {plan['faults']:,} faults, {plan['devices']} devices, "
          f"PostgreSQL, 2 web servers, 2 RQ workers, a private Redis\n", flush=True)
    return 0 if report(run(plan, args.seed)) else 1


if __name__ == "__main__":
    sys.exit(main())
