"""Time from Enter to committed lead, with 100,000 leads already stored.

Measures `leadcap.intake.capture.capture()` (parse, attendee lookup, duplicate check, insert, change
log, FTS update, commit) for realistic payloads, against the floor: a bare sqlite3 INSERT of
one row + COMMIT into the same kind of file with the same pragmas (WAL, synchronous=FULL).
Both run interleaved in one process so disk and CPU noise hit them alike; quote the ratios.
Like `leadcap scan`, the capture connection checkpoints the WAL after each lead is shown,
outside the timed path (the floor keeps SQLite's automatic checkpoints).
Run by hand:  python bench/scan.py [--leads 100000] [--scans 400]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

FAMILY = ["山田", "佐藤", "鈴木", "高橋", "田中", "Müller", "Schmidt", "Weber", "Fischer"]
GIVEN = ["太郎", "花子", "健", "Jan", "Eva", "Lukas", "さくら"]


def payload(i: int) -> str:
    family, given = FAMILY[i % len(FAMILY)], GIVEN[i % len(GIVEN)]
    kind = i % 3
    if kind == 0:
        return f"MECARD:N:{family},{given};SOUND:ﾔﾏﾀﾞ,ﾀﾛｳ;ORG:Company {i};EMAIL:s{i}@example.jp;;"
    if kind == 1:
        return (
            f"BEGIN:VCARD\nVERSION:3.0\nN:{family};{given}\nORG:Firma {i}\n"
            f"EMAIL:v{i}@example.de\nTEL;TYPE=work:+49 30 {i:07d}\nEND:VCARD"
        )
    return f"NT27-{i:06d}"


def seed(db: Path, count: int) -> None:
    """Fill quickly with plain SQL inserts that keep the indexes and FTS as real use does."""
    from leadcap.store import leads
    from leadcap.store.database import open_store

    store = open_store(db, staff="bench", device="seed")
    with store.transaction():
        for i in range(count):
            leads.add_lead(
                store,
                {
                    "family_name": FAMILY[i % 9],
                    "given_name": GIVEN[i % 7],
                    "company": f"Company {i % 997}",
                    "email": f"seed{i}@example.jp",
                    "badge_id": f"SEED-{i:06d}",
                },
                source="badge",
            )
    store.close()


def floor_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE scans (id INTEGER PRIMARY KEY, payload TEXT, at TEXT)")
    return conn


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=400)
    parser.add_argument("--keep", type=Path, help="Seeded database to reuse (made if missing)")
    args = parser.parse_args()

    from leadcap.intake import capture
    from leadcap.store.database import open_store

    work = Path(tempfile.mkdtemp(prefix="leadcap-scan-bench-"))
    db = work / "leads.db"
    if args.keep and args.keep.exists():
        shutil.copyfile(args.keep, db)
    else:
        start = time.perf_counter()
        seed(db, args.leads)
        print(f"seeded {args.leads} leads in {time.perf_counter() - start:.1f} s")
        if args.keep:
            shutil.copyfile(db, args.keep)
    store = open_store(db, staff="bench", device="booth-1")
    store.defer_checkpoints()  # as `leadcap scan` does
    for i in range(5):  # the loop is long-running: its first scan loads the parsers
        capture.capture(store, payload(args.scans + i))
    floor = floor_db(work / "floor.db")
    ours, bare = [], []
    order = list(range(args.scans))
    random.Random(7).shuffle(order)
    for i in order:
        text = payload(i)
        t0 = time.perf_counter()
        floor.execute("BEGIN")
        floor.execute("INSERT INTO scans (payload, at) VALUES (?, datetime('now'))", [text])
        floor.execute("COMMIT")
        t1 = time.perf_counter()
        capture.capture(store, text)
        t2 = time.perf_counter()
        store.checkpoint()  # as the scan loop does, after the lead is on screen
        bare.append(t1 - t0)
        ours.append(t2 - t1)
    for name, values in (("bare insert+commit (floor)", bare), ("leadcap capture", ours)):
        print(
            f"  {name:28s} median {statistics.median(values) * 1000:6.2f} ms"
            f"   p99 {percentile(values, 0.99) * 1000:6.2f} ms"
        )
    print(
        f"  ratio median {statistics.median(ours) / statistics.median(bare):.2f}x,"
        f" p99 {percentile(ours, 0.99) / percentile(bare, 0.99):.2f}x"
        f" ({args.scans} scans, {args.leads} leads stored)"
    )


if __name__ == "__main__":
    main()
