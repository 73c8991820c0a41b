"""A merge beside the scan loop (issue 16): `merge big.db --dry-run` held the write lock for
the whole merge, and scans beside it waited seconds and went to the journal. A scan in
another process must commit within a second while a big file is merged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from leadcap.laptops import merge
from leadcap.store import leads
from leadcap.store.database import open_store

SCANNER = textwrap.dedent(
    """
    import json, os, sys, time
    from leadcap.store import leads
    from leadcap.store.database import open_store
    db, stop = sys.argv[1], sys.argv[2]
    store = open_store(db, staff="kenji", device="laptop-a")
    store.defer_checkpoints()  # as the scan loop does
    waits = []
    print("ready", flush=True)
    while not os.path.exists(stop):
        started = time.perf_counter()
        leads.add_lead(store, {"company": "Scanned KK"}, command="scan")
        waits.append(time.perf_counter() - started)
        store.checkpoint()
        time.sleep(0.02)
    print(json.dumps(waits))
    """
)


@pytest.fixture
def big_file(tmp_path):
    """Another laptop's file with 8,000 leads (a few seconds of merging)."""
    store = open_store(tmp_path / "big.db", staff="anna", device="laptop-b")
    store.conn.execute("PRAGMA synchronous = OFF")
    with store.transaction():
        for n in range(8000):
            fields = {"company": f"Firm {n}", "email": f"p{n}@example.jp", "title": "CTO"}
            leads.add_lead(store, fields, tags=["AI", "Vision"], note="met at the booth")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return tmp_path / "big.db"


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "merge"])
def test_a_scan_beside_a_merge_commits_within_a_second(tmp_path, big_file, dry_run):
    store = open_store(tmp_path / "fair.db", staff="anna", device="laptop-a")
    leads.add_lead(store, {"company": "First visitor"})
    stop = tmp_path / "stop"
    env = {**os.environ, "LEADCAP_BUSY_TIMEOUT": "30"}
    scanner = subprocess.Popen(
        [sys.executable, "-c", SCANNER, str(store.path), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert scanner.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        report = merge.merge_file(store, big_file, dry_run=dry_run)
        took = time.perf_counter() - started
    finally:
        stop.touch()
        waits = json.loads(scanner.communicate(timeout=60)[0])
        store.close()
    assert report.added == 8000
    assert len(waits) >= 3, f"the merge took {took:.1f} s"
    assert max(waits) < 1.0, f"a scan waited {max(waits):.2f} s beside a {took:.1f} s merge"


def test_a_writer_that_waited_long_still_takes_a_short_gap_in_the_lock(tmp_path):
    """SQLite's own wait tries every 100 ms after a while and misses a merge's pauses
    between steps; Store.transaction tries every few milliseconds."""
    import sqlite3
    import threading

    path = tmp_path / "fair.db"
    open_store(path, staff="anna", device="laptop-a").close()
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    written = threading.Event()

    def scan() -> None:
        store = open_store(path, staff="kenji", device="laptop-a")
        leads.add_lead(store, {"company": "Scanned KK"}, command="scan")
        written.set()
        store.close()

    scanner = threading.Thread(target=scan)
    scanner.start()
    time.sleep(0.6)  # long enough for SQLite's own wait to be at 100 ms between tries
    holder.execute("COMMIT")
    time.sleep(0.03)
    try:
        holder.execute("BEGIN IMMEDIATE")
        scan_went_first = written.is_set()  # the scan took the gap, wrote and let go
        holder.execute("COMMIT")
    except sqlite3.OperationalError:
        scan_went_first = True  # the scan holds the lock now
    scanner.join(timeout=15)
    holder.close()
    assert scan_went_first and written.is_set()
