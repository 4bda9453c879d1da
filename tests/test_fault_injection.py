"""The short fault-injection run (benchmarks/fault_injection.py --quick) as part of the suite:
two web servers, two RQ workers, a private Redis, 60 faults; nothing lost or doubled."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg

from real_parts import missing

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")


def test_sixty_faults_lose_nothing_and_double_nothing():
    try:
        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        missing(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {error}")
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed: the fault run restarts a private one")
    done = subprocess.run([sys.executable, "benchmarks/fault_injection.py", "--quick"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "BENCH_PG_ADMIN_URL": PG_ADMIN_URL})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| lost | 0 |" in done.stdout and "| doubled | 0 |" in done.stdout
    survived = int(done.stdout.split("**faults survived** | **")[1].split("**")[0].replace(",", ""))
    assert survived >= 60
