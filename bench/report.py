"""Benchmark `leadcap report` (the fair report workbook) on a fair of 42,000 leads, against
`leadcap stats --json` on the same database in the same run (the report's counts start from
the same queries, so stats is the floor it adds to).

Run by hand:  python bench/report.py [--leads 42000] [--db fair.db] [--runs 3]

The fair: 42,000 leads over four days from four laptops, 12 interest tags, 25 countries, 8
co-exhibitors, 10 staff; a fifth of them followed up afterwards (status changes through the
change log, as `leadcap followup done` makes them). Building it takes a while; `--db` keeps
the file for the next run. Each command runs as its own process (start-up, imports and all,
as a user sees it), best of `--runs`; then the parts in-process: counting and writing."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leadcap.intake.capture import SessionDefaults, count_visit  # noqa: E402
from leadcap.reports import fair_report, stats  # noqa: E402
from leadcap.store.database import open_store  # noqa: E402
from leadcap.store.leads import add_lead, get_lead, update_lead  # noqa: E402

TAGS = ["AI", "Robotics", "Sensors", "Semiconductors", "Vision", "IoT", "Materials", "Lasers",
        "Batteries", "Hydrogen", "Medtech", "Press"]  # fmt: skip
COUNTRIES = ["JP", "DE", "US", "KR", "TW", "CN", "FR", "IT", "NL", "CH", "AT", "GB", "SE",
             "FI", "PL", "CZ", "IN", "SG", "TH", "VN", "ID", "MY", "AU", "CA", "ES"]  # fmt: skip
EXHIBITORS = ["ACME GmbH", "Fraunhofer IPA", "Weber KG", "Mirai KK", "Sensorik AG",
              "Laser Nord", "Batterie Süd", "Hydro Tec"]  # fmt: skip
STAFF = ["anna", "kenji", "lukas", "yumi", "sophie", "jan", "mia", "taro", "lea", "ben"]
# The fair ended a month ago, so the follow-up sheet has overdue leads as well.
START = datetime.now(ZoneInfo("Asia/Tokyo")).replace(hour=9, minute=0, second=0, microsecond=0)
START -= timedelta(days=35)


def build(path: Path, n: int, seed: int = 14) -> None:
    rnd = random.Random(seed)
    store = open_store(path, staff="anna", device="laptop-0")
    store.conn.execute("PRAGMA synchronous = OFF")  # building the fixture, not measured
    store.set_setting("event", "nano tech 2027")
    store.set_setting("timezone", "Asia/Tokyo")
    store.set_setting("exhibitors", EXHIBITORS)
    store.set_setting("pavilion", "German Pavilion")
    with store.transaction():
        for i in range(n):
            store.device, store.staff = f"laptop-{i % 4}", rnd.choice(STAFF)
            at = START + timedelta(days=i % 4, minutes=rnd.randint(0, 540))
            add_lead(
                store,
                {"family_name": f"Person {i}", "email": f"p{i}@example-{i % 97}.com",
                 "badge_id": f"NT27-{i:06d}", "country": rnd.choice(COUNTRIES)},
                tags=rnd.sample(TAGS, rnd.randint(0, 3)),
                rating=rnd.choice(["hot", "warm", "warm", "cold", None]),
                consent={"followup": "granted", "marketing": rnd.choice(["granted", "refused"])},
                exhibitor=rnd.choice([None, None, *EXHIBITORS]),
                captured_at=at.isoformat(),
            )  # fmt: skip
        for lead_id in rnd.sample(range(1, n + 1), n // 20):  # came by again
            count_visit(store, get_lead(store, lead_id), SessionDefaults())
        after = START + timedelta(days=4)
        for lead_id in rnd.sample(range(1, n + 1), n // 5):  # followed up in the weeks after
            status = rnd.choice(["contacted", "meeting", "offer", "won", "lost"])
            at = after + timedelta(hours=rnd.randint(0, 24 * 21))
            store.now = lambda at=at: at
            update_lead(store, lead_id, {"status": status, "owner": rnd.choice(STAFF)},
                        command="followup done")  # fmt: skip
    store.close()


def best(command: list[str], runs: int, env: dict) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return min(times)


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=42_000)
    parser.add_argument("--db", type=Path, help="Database file to reuse (built if missing)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="leadcap-bench-report-"))
    db = args.db or work / "fair.db"
    if not db.exists():
        start = time.perf_counter()
        build(db, args.leads)
        print(f"built {args.leads:,} leads in {time.perf_counter() - start:.0f} s: {db}")
    env = {**os.environ, "LEADCAP_DB": str(db), "LEADCAP_HOME": str(work / "home")}
    leadcap = [sys.executable, "-m", "leadcap"]
    out = work / "report.xlsx"
    commands = [
        ("leadcap stats --json (baseline)", ["stats", "--json"]),
        ("leadcap report -o report.xlsx", ["report", "-o", str(out)]),
        ("leadcap report --lang ja", ["report", "-o", str(out), "--lang", "ja"]),
        ("leadcap report --per-exhibitor DIR (8)", ["report", "--per-exhibitor", str(work / "p")]),
    ]
    rows = [(label, best([*leadcap, *argv], args.runs, env)) for label, argv in commands]
    store = open_store(db, staff="bench", device="bench")
    count, _ = timed(lambda: stats.compute(store), args.runs)
    gather, data = timed(lambda: fair_report.gather(store), args.runs)
    write, _ = timed(lambda: fair_report.write_report(data, work / "inproc.xlsx"), args.runs)
    store.close()
    base = rows[0][1]
    total = data["stats"]["total"]
    print(f"\n{total:,} leads, best of {args.runs}, each command in its own process")
    for label, seconds in rows:
        print(f"  {label:<42} {seconds:6.2f} s  {seconds / base:5.1f}x")
    print("in-process parts")
    print(f"  {'stats.compute (the stats --json counts)':<42} {count:6.2f} s  1.0x")
    print(
        f"  {'fair_report.gather (all report counts)':<42} {gather:6.2f} s  {gather / count:5.1f}x"
    )
    print(f"  {'fair_report.write_report (openpyxl)':<42} {write:6.2f} s")
    print(f"  report file: {out.stat().st_size / 1024:.0f} KiB")
    print(f"  median per-day leads: {statistics.median(data['stats']['per_day'].values()):,.0f}")


if __name__ == "__main__":
    main()
