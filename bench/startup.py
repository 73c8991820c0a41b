"""How long leadcap takes to start, against the floor of its stack.

The floor is a one-command Typer app that imports typer, rich and sqlite_utils, runs its
command and returns: no leadcap command can start faster than that. Runs are interleaved
so that noise on a shared machine hits every command alike; the figures to quote are the
ratios. Run by hand:  python bench/startup.py [--runs 21] [--leads 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_APP = """
import typer, rich, sqlite_utils
app = typer.Typer()
@app.command()
def main(name: str = "x") -> None:
    pass
app()
"""


def seed(db: Path, count: int) -> None:
    """Fill the database through the core (quickly, in one transaction)."""
    from leadcap.store import leads
    from leadcap.store.database import open_store

    store = open_store(db, staff="bench", device="bench")
    families = ["山田", "佐藤", "鈴木", "Müller", "Schmidt", "高橋", "Weber", "田中"]
    with store.transaction():
        for i in range(count):
            leads.add_lead(
                store,
                {
                    "family_name": families[i % len(families)],
                    "given_name": f"G{i}",
                    "company": f"Company {i % 997}",
                    "email": f"p{i}@example.jp",
                },
            )
    store.close()


def time_once(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--leads", type=int, default=1000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="leadcap-bench-"))
    db = work / "leads.db"
    env = {**os.environ, "LEADCAP_DB": str(db), "LEADCAP_HOME": str(work / "home")}
    seed(db, args.leads)
    floor_script = work / "floor.py"
    floor_script.write_text(FLOOR_APP)
    leadcap = shutil.which("leadcap") or sys.executable
    base = [leadcap] if leadcap.endswith("leadcap") else [sys.executable, "-m", "leadcap"]
    commands = {
        "floor (typer+rich+sqlite_utils)": [sys.executable, str(floor_script), "--name", "y"],
        "leadcap --help": [*base, "--help"],
        "leadcap add": [*base, "add", "--company", "Bench GmbH", "--family-name", "Test"],
        "leadcap list --limit 20": [*base, "list", "--limit", "20"],
        "leadcap find 山田": [*base, "find", "山田", "--limit", "20"],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the file cache once
        time_once(argv, env)
    for _ in range(args.runs):
        for name, argv in commands.items():
            samples[name].append(time_once(argv, env))
    floor = statistics.median(samples["floor (typer+rich+sqlite_utils)"])
    print(f"{args.runs} runs each, {args.leads} leads stored, median wall time")
    for name, times in samples.items():
        median = statistics.median(times)
        print(f"  {name:34s} {median * 1000:7.1f} ms   {median / floor:5.2f}x floor")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
