"""The `q` key of the scan loop in a real pseudo-terminal: the qualifying questions for
the lead on screen, a digit per choice, typed text, Enter skips, a badge ends them."""

import os
import sys
import time

import pytest

from leadcap.store import leads
from leadcap.store import questions as q
from leadcap.store.database import open_store

pexpect = pytest.importorskip("pexpect")

MECARD = "MECARD:N:佐藤,花子;ORG:ナノテク;EMAIL:hanako@example.jp;;"


def person(child, keys: str) -> None:
    for key in keys:
        child.send(key)
        time.sleep(0.12)  # slower than a scanner's burst


@pytest.fixture
def loop(db_path):
    store = open_store(db_path, staff="anna", device="laptop-a")
    q.add_question(store, "Cooperation", "multi", choices=["R&D", "Distribution", "Supplier"])
    q.add_question(store, "Timeframe", "single", choices=["soon", "later"])
    q.add_question(store, "Application", "text")
    q.add_question(store, "Decision maker", "yesno")
    store.close()
    env = {**os.environ, "LEADCAP_DB": str(db_path), "COLUMNS": "200", "PYTHONUTF8": "1"}
    child = pexpect.spawn(
        sys.executable, ["-m", "leadcap", "scan"], env=env, encoding="utf-8", timeout=40,
        dimensions=(40, 200),
    )  # fmt: skip
    child.expect("Ready to scan")
    yield child
    child.close(force=True)


def test_questions_are_answered_by_key_and_a_badge_ends_them(loop, db_path):
    loop.send(MECARD + "\r")
    loop.expect("q questions")
    person(loop, "q")
    loop.expect("Cooperation – · Timeframe – · Application – · Decision maker –")
    loop.expect("1 R&D 2 Distribution 3 Supplier")
    person(loop, "1")
    loop.expect("Cooperation: R&D")
    person(loop, "3")
    loop.expect("Cooperation: R&D, Supplier")
    person(loop, "\r")
    loop.expect("Timeframe: 1 soon 2 later")
    person(loop, "\r")  # skipped
    loop.expect("Application")
    person(loop, "cells\r")
    loop.expect("Application: cells")
    loop.expect("Decision maker")
    person(loop, "y")
    loop.expect("answered: Cooperation ✓ · Timeframe – · Application ✓ · Decision maker ✓")
    person(loop, "q")
    loop.expect(r"Cooperation \[R&D, Supplier\]")
    loop.send("NT26-000123\r")  # the next visitor: ends the questions, is captured
    loop.expect("NT26-000123")
    loop.sendintr()
    loop.expect("Session ended: 2 scans, 2 new leads")
    loop.expect(pexpect.EOF)

    store = open_store(db_path, staff="anna", device="laptop-a")
    found = {lead["family_name"] or lead["badge_id"]: lead for lead in leads.iter_leads(store)}
    answers = {"Cooperation": ["R&D", "Supplier"], "Application": "cells", "Decision maker": "yes"}
    assert found["佐藤"]["answers"] == answers
    assert found["NT26-000123"]["answers"] == {}
    store.close()
