"""The scan loop in a real pseudo-terminal, typed at scanner speed like a USB scanner."""

import os
import sys
import time

import pytest

from leadcap.store import leads, tags
from leadcap.store.database import open_store

pexpect = pytest.importorskip("pexpect")

MECARD = "MECARD:N:佐藤,花子;SOUND:ｻﾄｳ,ﾊﾅｺ;ORG:ナノテク;EMAIL:hanako@example.jp;;"
VCARD_LINES = [
    "BEGIN:VCARD",
    "VERSION:3.0",
    "N:Weber;Jan",
    "ORG:ACME GmbH",
    "EMAIL:jan@acme.de",
    "END:VCARD",
]


def scanner(child, text):
    """A scanner: the payload in one quick burst, then Enter."""
    child.send(text + "\r")


def person(child, key):
    child.send(key)
    time.sleep(0.25)


@pytest.fixture
def loop(db_path):
    env = {**os.environ, "LEADCAP_DB": str(db_path), "COLUMNS": "150", "PYTHONUTF8": "1"}
    store = open_store(db_path, staff="anna", device="laptop-a")
    tags.set_predefined_tags(store, ["AI", "Materials", "Sensors"])
    store.close()
    child = pexpect.spawn(
        sys.executable,
        ["-m", "leadcap", "scan"],
        env=env,
        encoding="utf-8",
        timeout=40,
        dimensions=(40, 150),
    )
    child.expect("Ready to scan")
    yield child
    child.close(force=True)


def test_scan_loop_end_to_end(loop, db_path):
    scanner(loop, MECARD)
    loop.expect("佐藤 花子")
    person(loop, "h")
    loop.expect("rate: hot")
    person(loop, "2")
    loop.expect("tag: Materials")
    for line in VCARD_LINES:  # a vCard: line breaks typed as Enter presses
        scanner(loop, line)
        time.sleep(0.01)
    loop.expect("Jan Weber")
    scanner(loop, "LEADCAP:TAG:Sensors")
    loop.expect("tagged Sensors")
    scanner(loop, "MECARD:N:Sato,H;EMAIL:HANAKO@example.jp;;")  # the same person again
    loop.expect("Seen before")
    person(loop, "n")  # a note begins... and the next visitor's badge arrives
    loop.expect("note")
    scanner(loop, "NT26-004211")
    loop.expect("NT26-004211")
    loop.sendintr()
    loop.expect("Session ended: 5 scans, 3 new leads, 1 returning visitors")
    loop.expect(pexpect.EOF)

    store = open_store(db_path, staff="anna", device="laptop-a")
    found = {lead["family_name"] or lead["badge_id"]: lead for lead in leads.iter_leads(store)}
    assert set(found) == {"佐藤", "Weber", "NT26-004211"}
    assert (found["佐藤"]["rating"], found["佐藤"]["tags"], found["佐藤"]["visits"]) == (
        "hot",
        ["Materials"],
        2,
    )
    assert found["佐藤"]["name_reading"] == "サトウ ハナコ"
    assert found["Weber"]["tags"] == ["Sensors"]
    assert found["Weber"]["raw_payload"] == "\n".join(VCARD_LINES)
    assert not found["佐藤"]["notes"]  # the badge was not swallowed as a note
    store.close()
