"""`make bench`: every benchmark in --quick mode, one after the other, output as it comes.

    .venv/bin/python benchmarks/run_all.py            # quick runs (a few minutes)
    .venv/bin/python benchmarks/run_all.py --full     # the full runs (much longer)

Runs scan_throughput.py, sync_batch.py and, when present, wave_planning.py,
wave_planning_db.py and handoff_throughput.py. Exit
status 0 when every script exited 0; otherwise 1, after running the rest.
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ("scan_throughput.py", "sync_batch.py", "wave_planning.py", "wave_planning_db.py",
           "handoff_throughput.py", "receiving.py")


def main(argv=None):
    """Run each script present; report which failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="full runs instead of --quick")
    args = parser.parse_args(argv)
    failed = []
    for name in SCRIPTS:
        script = HERE / name
        if not script.exists():
            print(f"\n<!-- {name}: not present, skipped -->", flush=True)
            continue
        command = [sys.executable, str(script)] + ([] if args.full else ["--quick"])
        print(f"\n<!-- {' '.join([Path(command[0]).name, *command[1:]])} -->\n", flush=True)
        started = time.monotonic()
        code = subprocess.call(command, cwd=HERE.parent)
        print(f"\n<!-- {name}: exit {code} after {time.monotonic() - started:.0f} s -->",
              flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
