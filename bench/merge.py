"""Benchmark `leadcap merge` and `leadcap sync`, against a plain `INSERT ... SELECT` copy of
the same rows through ATTACH (what merging costs over copying):

- ten laptop files of 5,000 leads each merged into one database (first merge);
- the same files again, nothing new (target <= 0.1x the copy);
- one more lead on one laptop, then all files again (target <= 0.2x the copy);
- `sync` of eleven laptops' snapshots of 4,000 leads each: one laptop's first sync
  (merging the ten others) and the repeated sync with nothing new.

Run by hand:  python bench/merge.py [--laptops 10] [--leads 5000] [--sync-laptops 11]
              [--sync-leads 4000] [--runs 3]

Each laptop file has 20% overlap with its neighbour: 10% the same people captured
separately (same badge id, or same e-mail), 10% leads with shared uuids from an earlier
sync (including edits made on both laptops since)."""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leadcap.laptops import merge, source, sync  # noqa: E402
from leadcap.store import leads  # noqa: E402
from leadcap.store.database import open_store  # noqa: E402

FAMILY = ["Müller", "Schmidt", "山田", "佐藤", "鈴木", "Weber", "田中", "Becker"]
GIVEN = ["Anna", "Jörg", "太郎", "花子", "健一", "Lea", "由美", "Lukas"]
COMPANY = ["ACME GmbH", "東京精密工業株式会社", "大阪ロボティクス", "Weber KG", "Mirai KK"]
TAGS = ["AI", "Robotics", "Sensors", "Vision", "IoT"]


def fast(store) -> None:
    store.conn.execute("PRAGMA synchronous = OFF")


def make_laptops(folder: Path, laptops: int, size: int, seed: int = 5) -> list[Path]:
    rnd = random.Random(seed)
    clock = {"t": datetime.fromisoformat("2026-12-09T09:00:00+09:00")}

    def now():
        clock["t"] += timedelta(seconds=rnd.randint(0, 3))
        return clock["t"]

    shared = size // 10  # leads copied from the previous laptop by an earlier sync
    same_person = size // 10  # people also captured separately on the next laptop
    paths = []
    for n in range(laptops):
        store = open_store(folder / f"leadcap-laptop-{n:02d}.db", staff=f"s{n}", device=f"l{n}")
        store.now = now
        fast(store)
        with store.transaction():
            for i in range(size - shared):
                person = f"{n}-{i}"
                if i < same_person and n > 0:
                    person = f"{n - 1}-{i + same_person}"  # the previous laptop's people
                fields = {
                    "family_name": rnd.choice(FAMILY),
                    "given_name": rnd.choice(GIVEN),
                    "company": rnd.choice(COMPANY),
                }
                if i % 2:
                    fields["badge_id"] = f"B{person}"
                else:
                    fields["email"] = f"p{person}@example.jp"
                lead = leads.add_lead(store, fields, tags=rnd.sample(TAGS, 2), note="met")
                if i % 3 == 0:
                    leads.update_lead(store, lead["id"], {"title": "CTO"}, command="edit")
                if i % 5 == 0:
                    leads.append_note(store, lead["id"], "wants a demo")
        if paths:
            earlier = source.read_source(paths[-1])
            earlier.header = None  # a part of the file: no merge mark for it
            keep = set(list(earlier.leads)[2 * same_person : 2 * same_person + shared])
            earlier.leads = {u: r for u, r in earlier.leads.items() if u in keep}
            for name in ("changes", "consent", "visits"):
                column = 2 if name == "changes" else (1 if name == "consent" else 0)
                rows = [r for r in getattr(earlier, name) if r[column] in keep]
                setattr(earlier, name, rows)
            merge.merge_source(store, earlier)
            with store.transaction():
                for lead_uuid in sorted(keep)[: shared // 2]:
                    leads.update_lead(store, lead_uuid, {"city": "Tokyo"}, command="edit")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
        paths.append(folder / f"leadcap-laptop-{n:02d}.db")
    return paths


def run_merge(target: Path, files: list[Path]) -> tuple[float, list]:
    store = open_store(target, staff="hq", device="hq")
    fast(store)
    started = time.perf_counter()
    reports = [merge.merge_file(store, path) for path in files]
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, reports


def run_copy(target: Path, files: list[Path]) -> float:
    """The baseline: the same rows copied with INSERT ... SELECT, no merging rules."""
    store = open_store(target, staff="hq", device="hq")
    fast(store)
    conn = store.conn
    columns = [r[1] for r in conn.execute("PRAGMA table_info(leads)") if r[1] != "id"]
    change_columns = source.CHANGE_COLUMNS + ", seq"
    started = time.perf_counter()
    for path in files:
        conn.execute("ATTACH DATABASE ? AS src", [str(path)])
        conn.execute("BEGIN")
        conn.execute(
            f"INSERT OR IGNORE INTO leads ({', '.join(columns)})"
            f" SELECT {', '.join(columns)} FROM src.leads"
        )
        conn.execute(
            f"INSERT OR IGNORE INTO changes ({change_columns})"
            f" SELECT {change_columns} FROM src.changes"
        )
        conn.execute("INSERT OR IGNORE INTO visits SELECT * FROM src.visits")
        conn.execute(
            f"INSERT OR IGNORE INTO consent_records ({source.CONSENT_COLUMNS})"
            f" SELECT {source.CONSENT_COLUMNS} FROM src.consent_records"
        )
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE src")
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def add_one_lead(path: Path) -> None:
    store = open_store(path, staff="late", device=path.stem.removeprefix("leadcap-"))
    leads.add_lead(store, {"company": "Late visitor KK", "email": "late@example.jp"})
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def run_sync(folder: Path, files: list[Path]) -> tuple[float, float, float]:
    """Laptop 0 syncs with a folder holding the other laptops' snapshots: first, again
    (nothing new), and the plain copy of the same files as the baseline."""
    share = folder / "share"
    share.mkdir()
    for path in files[1:]:
        shutil.copy(path, share / path.name)
    mine = folder / "mine.db"
    shutil.copy(files[0], mine)
    store = open_store(mine, staff="s0", device="l0")
    fast(store)
    started = time.perf_counter()
    first = sync.sync_folder(store, share)
    first_time = time.perf_counter() - started
    started = time.perf_counter()
    again = sync.sync_folder(store, share)
    again_time = time.perf_counter() - started
    store.close()
    assert first.published and again.nothing_new, "the repeated sync should find nothing new"
    return first_time, again_time, run_copy(folder / "sync-copy.db", files[1:])


def _times(seconds: list[float]) -> str:
    return ", ".join(f"{s:.2f}" for s in seconds) + " s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--laptops", type=int, default=10)
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--sync-laptops", type=int, default=11)
    parser.add_argument("--sync-leads", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3, help="first merges and copies timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        files = make_laptops(folder, args.laptops, args.leads)
        made = time.perf_counter() - started
        rows = sum(
            sqlite3.connect(f).execute("SELECT COUNT(*) FROM leads").fetchone()[0] for f in files
        )
        print(f"made {len(files)} laptop files, {rows} lead rows in {made:.1f} s")
        # The first merge and the copy are timed `--runs` times each, alternately, into
        # fresh databases; their medians are compared (the machine is shared and noisy).
        firsts, copies, reports = [], [], []
        for run in range(args.runs):
            copies.append(run_copy(folder / f"copy-{run}.db", files))
            took, found = run_merge(folder / f"hq-{run}.db", files)
            firsts.append(took)
            reports = reports or found
        first, copy = statistics.median(firsts), statistics.median(copies)
        again, reports_again = run_merge(folder / "hq-0.db", files)
        add_one_lead(files[len(files) // 2])
        one_more, reports_more = run_merge(folder / "hq-0.db", files)
        hq = sqlite3.connect(folder / "hq-0.db")
        total = hq.execute("SELECT COUNT(*) FROM leads").fetchone()[0]
        added = sum(r.added for r in reports)
        linked = sum(r.linked for r in reports)
        print(f"merge {len(files)} files:     {first:7.2f} s  ({added} added, {linked} linked,")
        print(f"                         {total} leads in the result)")
        print(f"                         median of {args.runs}: {_times(firsts)}")
        changed = sum(r.changed for r in reports_again)
        print(f"merge them again:        {again:7.2f} s  ({changed} files changed anything)")
        added = sum(r.added for r in reports_more)
        print(f"one more lead, again:    {one_more:7.2f} s  ({added} lead added)")
        print(f"baseline INSERT..SELECT: {copy:7.2f} s  (plain copy via ATTACH, no rules)")
        print(f"                         median of {args.runs}: {_times(copies)}")
        print(f"ratio merge / copy:      {first / copy:7.2f}x  (target <= 3)")
        print(f"ratio again / copy:      {again / copy:7.2f}x  (target <= 0.1)")
        print(f"ratio one more / copy:   {one_more / copy:7.2f}x  (target <= 0.2)")
        print(f"ratio again / merge:     {again / first:7.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = make_laptops(folder, args.sync_laptops, args.sync_leads, seed=11)
        first, again, copy = run_sync(folder, files)
        print(f"sync, {len(files)} laptops x {args.sync_leads} leads (laptop 0 merges the others):")
        print(f"first sync:              {first:7.2f} s  ({first / copy:.2f}x the copy)")
        print(f"repeated, nothing new:   {again:7.2f} s  ({again / copy:.3f}x the copy)")
        print(f"baseline INSERT..SELECT: {copy:7.2f} s")


if __name__ == "__main__":
    main()
