"""The fallback journal under faults: short writes on a full disk, torn lines, codes
journaled while the database was locked, two `recover` at once, erasure, and size."""

import json
import os
import sqlite3
import stat
import threading
import time

import pytest

from leadcap.intake import capture, journal
from leadcap.store import erasure, leads
from leadcap.store.database import open_store

MECARD = "MECARD:N:山田,太郎;ORG:ナノテク株式会社;EMAIL:taro@example.jp;;"
BOB = "MECARD:N:Bauer,Bob;EMAIL:bob@example.de;;"


@pytest.fixture
def locked(store, db_path):
    """Another process holds the write lock past the busy timeout."""
    store.conn.execute("PRAGMA busy_timeout = 50")
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    yield blocker
    if blocker.in_transaction:
        blocker.execute("ROLLBACK")
    blocker.close()


def release(blocker):
    blocker.execute("ROLLBACK")


def short_writes(monkeypatch, then_fail=True):
    """A full disk: the first write takes only half the bytes, the next one fails."""
    real = os.write
    calls = []

    def write(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real(fd, bytes(data[: len(data) // 2]))
        if then_fail:
            raise OSError(28, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(journal.os, "write", write)
    return calls


def test_a_short_write_on_a_full_disk_is_reported_not_saved(store, locked, monkeypatch):
    capture.capture(store, BOB)  # journaled: complete
    path = capture.journal_path(store)
    before = path.read_bytes()
    short_writes(monkeypatch)
    outcome = capture.capture(store, MECARD)
    assert (outcome.kind, outcome.saved) == ("error", False)
    assert "NOT saved" in outcome.message
    assert path.read_bytes() == before  # the half entry was cut off again


def test_a_short_write_that_completes_is_journaled(store, locked, monkeypatch):
    calls = short_writes(monkeypatch, then_fail=False)
    outcome = capture.capture(store, MECARD)
    assert outcome.kind == "journaled" and outcome.saved and len(calls) == 2
    monkeypatch.undo()
    release(locked)
    assert capture.recover(store).imported == 1


def test_not_saved_is_in_the_scan_json(cli, db_path, monkeypatch):
    cli("add", "--company", "seed")
    monkeypatch.setenv("LEADCAP_BUSY_TIMEOUT", "0.1")
    short_writes(monkeypatch)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        result = cli("scan", "--json", input="NT26-000020\n")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    outcome = json.loads(result.stdout.splitlines()[0])
    assert outcome["kind"] == "error" and outcome["saved"] is False
    assert "NOT saved" in outcome["message"]


def test_a_torn_line_does_not_swallow_the_next_entry(store):
    path = capture.journal_path(store)
    capture.append_journal(path, {"id": "a", "type": "scan", "payload": MECARD})
    with open(path, "ab") as handle:
        handle.write(journal.encode({"id": "b", "type": "scan", "payload": BOB})[:30])
    capture.append_journal(path, {"id": "c", "type": "scan", "payload": BOB})
    contents = journal.read(path)
    assert [e["id"] for e in contents.entries] == ["a", "c"]
    assert contents.damaged_bytes == 30


def test_a_flipped_byte_is_caught_by_the_checksum(store):
    path = capture.journal_path(store)
    for entry_id in "abc":
        capture.append_journal(path, {"id": entry_id, "type": "scan", "payload": MECARD})
    data = bytearray(path.read_bytes())
    middle = data.index(b'"b"') + 1
    data[middle] = ord("x")
    path.write_bytes(bytes(data))
    assert [e["id"] for e in capture.read_journal(path)] == ["a", "c"]


def test_recover_reports_the_damaged_bytes(cli, db_path):
    store = open_store(db_path, staff="anna", device="laptop-a")
    path = capture.journal_path(store)
    capture.append_journal(path, {"id": "a", "type": "scan", "payload": MECARD})
    with open(path, "ab") as handle:
        handle.write(b"LCJ1 0000 {torn")
    capture.append_journal(path, {"id": "c", "type": "scan", "payload": BOB})
    store.close()
    out = cli("recover").stdout
    assert "Recovered 2 journal entries (2 leads)" in out
    assert "Skipped 15 damaged byte(s)" in out


def test_an_old_style_journal_line_is_still_read(store):
    path = capture.journal_path(store)
    path.write_text(json.dumps({"id": "old", "type": "scan", "payload": MECARD}) + "\n")
    assert capture.recover(store).imported == 1


def test_the_journal_is_private(store):
    path = capture.journal_path(store)
    capture.append_journal(path, {"id": "a", "type": "scan", "payload": MECARD})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- codes journaled while the database was locked --------------------------------


def test_a_journaled_code_goes_to_the_lead_it_was_meant_for(store, locked):
    release(locked)
    alice = leads.add_lead(store, {"family_name": "Alice", "email": "alice@example.com"})
    locked.execute("BEGIN IMMEDIATE")
    assert capture.capture(store, "LEADCAP:RATE:hot", last_lead=alice).kind == "journaled"
    release(locked)
    leads.add_lead(store, {"family_name": "Bob", "email": "bob@example.com"})  # newest now
    capture.recover(store)
    rated = {x["family_name"]: x["rating"] for x in leads.iter_leads(store)}
    assert rated == {"Alice": "hot", "Bob": None}


def test_a_code_after_a_journaled_scan_goes_to_that_scan(store, locked):
    release(locked)
    leads.add_lead(store, {"family_name": "Alice", "email": "alice@example.com"})
    locked.execute("BEGIN IMMEDIATE")
    scan = capture.capture(store, BOB)
    assert scan.kind == "journaled"
    release(locked)  # the database is writable again, but Bob is not a lead yet
    code = capture.capture(store, "LEADCAP:NOTE:wants a demo", last_journal_id=scan.journal_id)
    assert code.kind == "journaled" and code.journal_id == scan.journal_id
    capture.recover(store)
    notes = {x["family_name"]: x["notes"] for x in leads.iter_leads(store)}
    assert "wants a demo" in notes["Bauer"] and not notes["Alice"]


def test_a_code_bound_to_nothing_is_reported_not_applied(store):
    path = capture.journal_path(store)
    leads.add_lead(store, {"family_name": "Newest"})
    capture.append_journal(path, {"id": "x", "type": "command", "payload": "LEADCAP:RATE:hot"})
    report = capture.recover(store)
    assert report.not_applied and [x["rating"] for x in leads.iter_leads(store)] == [None]


def test_a_code_for_a_scan_recovered_earlier_finds_its_lead(store, locked):
    scan = capture.capture(store, BOB)
    release(locked)
    capture.recover(store)
    path = capture.journal_path(store)
    entry = {"id": "late", "type": "command", "payload": "LEADCAP:RATE:warm"}
    capture.append_journal(path, {**entry, "scan": scan.journal_id})
    leads.add_lead(store, {"family_name": "Someone else"})
    capture.recover(store)
    rated = {x["family_name"]: x["rating"] for x in leads.iter_leads(store)}
    assert rated == {"Bauer": "warm", "Someone else": None}


# -- exactly once, linear ------------------------------------------------------------


def test_two_recovers_at_once_import_each_entry_once(store, db_path):
    path = capture.journal_path(store)
    for n in range(300):
        payload = f"MECARD:N:P{n},X;EMAIL:p{n}@example.com;;"
        capture.append_journal(path, {"id": f"e{n}", "type": "scan", "payload": payload})
    barrier = threading.Barrier(2)
    reports = []

    def run():
        mine = open_store(db_path, staff="anna", device="laptop-a")
        barrier.wait()
        reports.append(capture.recover(mine))
        mine.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.imported for r in reports) == 300
    assert store.conn.execute("SELECT COUNT(*) FROM leads").fetchone() == (300,)


def test_recover_time_grows_linearly(store):
    def timed(count):
        path = capture.journal_path(store)
        path.unlink(missing_ok=True)
        with open(path, "wb") as handle:
            for n in range(count):
                entry = {"id": f"{count}-{n}", "type": "qualify", "scan": "none"}
                handle.write(journal.encode(entry))
        start = time.perf_counter()
        assert capture.recover(store).imported == count
        return time.perf_counter() - start

    small, large = timed(500), timed(4000)
    # Quadratic would be 64x; allow generous noise on a shared machine.
    assert large < small * 8 * 3 + 0.5


# -- erasure -------------------------------------------------------------------------


def test_forget_removes_the_person_from_the_journal(cli, db_path):
    store = open_store(db_path, staff="anna", device="laptop-a")
    path = capture.journal_path(store)
    capture.append_journal(path, {"id": "t", "type": "scan", "payload": MECARD})
    capture.append_journal(path, {"id": "q", "type": "qualify", "scan": "t", "action": "note"})
    capture.append_journal(path, {"id": "b", "type": "scan", "payload": BOB})
    store.close()
    cli("recover")
    out = cli("forget", "taro@example.jp", "--yes").stdout
    assert "Removed 2 entries from leads.db.journal." in out
    data = path.read_bytes()
    assert b"taro" not in data and "山田".encode() not in data and b"bob@example.de" in data


def test_forget_removes_an_unrecovered_scan_of_the_person(store):
    path = capture.journal_path(store)
    capture.append_journal(path, {"id": "t", "type": "scan", "payload": MECARD})
    lead = leads.add_lead(store, {"family_name": "Yamada", "email": "taro@example.jp"})
    erasure.forget_lead(store, lead, at=store.now().isoformat())
    assert capture.scrub_journal(store) == (1, 0)
    assert capture.read_journal(path) == []


def test_purge_removes_journal_entries_of_purged_leads(cli, db_path):
    store = open_store(db_path, staff="anna", device="laptop-a")
    path = capture.journal_path(store)
    old = "2020-01-01T10:00:00+09:00"
    capture.append_journal(path, {"id": "o", "type": "scan", "payload": BOB, "received_at": old})
    store.close()
    cli("recover")
    out = cli("purge", "--older-than", "1y", "--yes").stdout
    assert "Removed 1 entry from leads.db.journal." in out
    assert b"bob" not in path.read_bytes()


def test_scan_session_binds_a_code_to_the_journaled_scan_before_it(cli, db_path, monkeypatch):
    cli("add", "--company", "Alice KK", "--email", "alice@example.com")
    monkeypatch.setenv("LEADCAP_BUSY_TIMEOUT", "0.1")
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        result = cli("scan", "--json", input=f"{BOB}\nLEADCAP:RATE:hot\n")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    kinds = [json.loads(line)["kind"] for line in result.stdout.splitlines()]
    assert kinds == ["journaled", "journaled"]
    cli("recover")
    rated = {x["company"] or x["family_name"]: x["rating"] for x in cli.json("list")}
    assert rated == {"Alice KK": None, "Bauer": "hot"}


def test_merge_that_erases_a_person_also_removes_them_from_the_journal(cli, db_path, tmp_path):
    store = open_store(db_path, staff="anna", device="laptop-a")
    capture.append_journal(
        capture.journal_path(store), {"id": "t", "type": "scan", "payload": MECARD}
    )
    store.close()
    cli("recover")
    other = open_store(tmp_path / "laptop-b.db", staff="kenji", device="laptop-b")
    lead = leads.add_lead(other, {"family_name": "Yamada", "email": "taro@example.jp"})
    erasure.forget_lead(other, lead, at=other.now().isoformat())
    other.close()
    out = cli("merge", str(tmp_path / "laptop-b.db")).stdout
    assert "Removed 1 entry from leads.db.journal." in out
    assert b"taro" not in capture.journal_path(store).read_bytes()


def test_appends_from_several_processes_never_interleave(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "leads.db.journal"
    script = (
        "import sys; from leadcap.intake import journal\n"
        "for n in range(150):\n"
        "    journal.append(sys.argv[1], {'id': f'{sys.argv[2]}-{n}', 'type': 'scan',"
        " 'payload': 'x' * 5000})\n"
    )
    runs = [subprocess.Popen([sys.executable, "-c", script, str(path), str(k)]) for k in range(4)]
    assert all(run.wait(timeout=120) == 0 for run in runs)
    contents = journal.read(path)
    assert len(contents.entries) == 600 and contents.damaged == []


def test_two_recover_commands_at_once_import_each_entry_once(store, db_path, tmp_path):
    import subprocess
    import sys

    path = capture.journal_path(store)
    for n in range(400):
        payload = f"MECARD:N:P{n},X;EMAIL:p{n}@example.com;;"
        capture.append_journal(path, {"id": f"e{n}", "type": "scan", "payload": payload})
    env = {**os.environ, "LEADCAP_DB": str(db_path), "LEADCAP_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "leadcap", "recover"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE) for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert store.conn.execute("SELECT COUNT(*) FROM leads").fetchone() == (400,)
    imported = [int(out.split("Recovered ")[1].split(" ")[0]) for out in outputs]
    assert sum(imported) == 400
