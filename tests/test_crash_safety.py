"""Power cuts and parallel use: what the screen acknowledged must survive a SIGKILL, and
scanning next to listing or exporting never meets "database is locked"."""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest


def spawn_scan(db_path):
    env = {**os.environ, "LEADCAP_DB": str(db_path)}
    return subprocess.Popen(
        [sys.executable, "-m", "leadcap", "scan", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
        bufsize=1,
    )


def read_ack(proc) -> dict:
    """One JSON line per scan, printed after the commit."""
    line = proc.stdout.readline()
    if not line:
        raise EOFError
    return json.loads(line)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_acknowledged_scans_survive_sigkill(db_path, seed):
    rng = random.Random(seed)
    acknowledged = []
    number = 0
    for _round in range(3):
        proc = spawn_scan(db_path)
        kill_after = rng.randint(1, 12)
        for _ in range(kill_after):
            number += 1
            badge = f"KILL-{seed}-{number:05d}"
            proc.stdin.write(badge + "\n")
            proc.stdin.flush()
            ack = read_ack(proc)
            assert ack["kind"] == "new"
            acknowledged.append(badge)
        number += 1
        proc.stdin.write(f"KILL-{seed}-{number:05d}\n")  # in flight when the power goes
        proc.stdin.flush()
        time.sleep(rng.random() * 0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    conn = sqlite3.connect(db_path)
    stored = {row[0] for row in conn.execute("SELECT badge_id FROM leads")}
    assert set(acknowledged) <= stored
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_scanning_while_listing_and_exporting(store, db_path, tmp_path):
    env = {**os.environ, "LEADCAP_DB": str(db_path)}
    payloads = "".join(f"MECARD:N:Scan,No{i};EMAIL:p{i}@example.jp;;\n" for i in range(150))
    scanner = subprocess.Popen(
        [sys.executable, "-m", "leadcap", "scan"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    scanner.stdin.write(payloads)
    scanner.stdin.close()
    readers = []
    while scanner.poll() is None and len(readers) < 12:
        for args in (
            ["list", "--limit", "5"],
            ["find", "scan"],
            ["export", "csv", "-o", str(tmp_path / "x.csv"), "--force"],
        ):
            readers.append(
                subprocess.run(
                    [sys.executable, "-m", "leadcap", *args],
                    env=env,
                    capture_output=True,
                    text=True,
                )
            )
    assert scanner.wait(timeout=120) == 0, scanner.stderr.read()
    assert readers, "the scanner finished before any reader ran"
    for result in readers:
        assert result.returncode == 0, result.stderr
        assert "locked" not in result.stderr
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0] == 150
