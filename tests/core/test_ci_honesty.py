"""A missing real part fails a CI run (CI=true) and is a named skip on a person's machine."""
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ONE_PG_TEST = ["tests/sync/test_conflicts_page.py", "tests/reconciliation/test_jobs.py",
               "-k", "check_finds_nothing"]


def closed_port():
    """A TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_suite(ci, *args, **env):
    """Run pytest on a small part of the suite; return (exit code, output)."""
    variables = {k: v for k, v in os.environ.items() if k != "CI"}
    variables.update(env, **({"CI": "true"} if ci else {}))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *args], cwd=ROOT, env=variables, capture_output=True, text=True,
                          timeout=600)
    return done.returncode, done.stdout + done.stderr


def test_a_closed_postgresql_port_fails_ci_and_is_a_named_skip_elsewhere():
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/test"
    code, output = run_suite(True, *ONE_PG_TEST, TEST_PG_ADMIN_URL=url)
    assert code != 0 and "CI=true: a missing part fails the run" in output
    assert f"PostgreSQL is not reachable at {url}" in output
    code, output = run_suite(False, *ONE_PG_TEST, TEST_PG_ADMIN_URL=url)
    assert code == 0 and "skipped" in output and f"PostgreSQL is not reachable at {url}" in output


def test_ensure_services_fails_ci_when_a_part_is_missing():
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/test"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    for ci, expected in ((True, 1), (False, 0)):
        done = subprocess.run([sys.executable, "tests/ensure_services.py"], cwd=ROOT,
                              env={**env, "TEST_PG_ADMIN_URL": url, **({"CI": "true"} if ci
                                                                      else {})},
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == expected, done.stdout
        assert "PostgreSQL: MISSING" in done.stdout and "TEST_PG_ADMIN_URL" in done.stdout
