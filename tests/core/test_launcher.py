"""`make run`'s launcher: a child that dies (the worker) is restarted, not the end of the app."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psutil
from redis import Redis
from rq import Worker

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, what, seconds=90):
    """Poll check() until it returns something true, and return that."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds} s")


def healthy(port):
    """True when the web app answers /healthz with 200."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return response.status == 200 and json.load(response)["status"] == "ok"


def worker_pid(launcher, other_than=None):
    """The pid of the launcher's RQ worker process (python -m worker), if one runs."""
    for child in psutil.Process(launcher.pid).children():
        try:
            if child.cmdline()[-2:] == ["-m", "worker"] and child.pid != other_than:
                return child.pid
        except psutil.NoSuchProcess:
            continue
    return None


def test_a_killed_worker_is_restarted_and_the_app_stays_up(tmp_path, redis_url):
    port, prefix = free_port(), f"launch-{uuid.uuid4().hex[:8]}-"
    log_path = tmp_path / "launcher.log"
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "PORT": str(port),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}", "REDIS_URL": redis_url,
           "QUEUE_PREFIX": prefix, "DEMO_MODE": "0", "SECRET_KEY": "launch-test",
           "LOG_LEVEL": "WARNING"}
    with open(log_path, "wb") as log:
        launcher = subprocess.Popen([sys.executable, "-m", "webapp.launcher"], cwd=ROOT,
                                    env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: healthy(port), "the app answering")
        first = wait_for(lambda: worker_pid(launcher), "a worker running")
        psutil.Process(first).send_signal(signal.SIGKILL)

        second = wait_for(lambda: worker_pid(launcher, other_than=first), "a new worker")
        text = log_path.read_text()
        assert f"worker (pid {first}) exited with code -9; restarting it in 1 s" in text
        assert f"worker restarted (pid {second})" in text
        assert launcher.poll() is None and healthy(port)
        connection = Redis.from_url(redis_url)
        wait_for(lambda: any(w.pid == second for w in Worker.all(connection=connection)
                             if f"{prefix}reconciliation" in w.queue_names()),
                 "the new worker listening on the queues")
        children = psutil.Process(launcher.pid).children()
    finally:
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=60) == 0
    # Ctrl+C stops every child, the restarted worker included: no pending restart revives it.
    gone, alive = psutil.wait_procs(children, timeout=30)
    assert alive == [] and len(gone) == 3
