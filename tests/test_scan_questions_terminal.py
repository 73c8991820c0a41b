"""The `q` key of the scan loop in a real pseudo-terminal: the qualifying questions for
the lead on screen, a digit per choice, typed text, Enter skips, a badge ends them."""

import os
import re
import sys
import time

import pytest

from leadcap.store import leads
from leadcap.store import questions as q
from leadcap.store.database import open_store

pexpect = pytest.importorskip("pexpect")

MECARD = "MECARD:N:佐藤,花子;ORG:ナノテク;EMAIL:hanako@example.jp;;"


_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]|\x07")


def person(child, keys: str) -> None:
    for key in keys:
        child.send(key)
        time.sleep(0.12)  # slower than a scanner's burst


def shows(child, *texts: str, timeout: float = 15) -> str:
    """Wait until the last screen drawn shows every text (words, whitespace folded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            child.screen_raw = getattr(child, "screen_raw", "") + child.read_nonblocking(
                100_000, timeout=0.2
            )
        except pexpect.TIMEOUT:
            pass
        raw = getattr(child, "screen_raw", "")
        words = " ".join(_CONTROL.sub("", raw[raw.rfind("\x1b[H") :]).replace("│", " ").split())
        if all(text in words for text in texts):
            return words
    raise AssertionError(f"screen lacks {texts}:\n{words}")


@pytest.fixture
def loop(db_path):
    store = open_store(db_path, staff="anna", device="laptop-a")
    q.add_question(store, "Cooperation", "multi", choices=["R&D", "Distribution", "Supplier"])
    q.add_question(store, "Timeframe", "single", choices=["soon", "later"])
    q.add_question(store, "Application", "text")
    q.add_question(store, "Decision maker", "yesno")
    store.close()
    env = {**os.environ, "LEADCAP_DB": str(db_path), "COLUMNS": "100", "LINES": "30"}
    child = pexpect.spawn(
        sys.executable, ["-m", "leadcap", "scan"], env={**env, "PYTHONUTF8": "1"},
        encoding="utf-8", timeout=40, dimensions=(30, 100),
    )  # fmt: skip
    shows(child, "READY")
    yield child
    child.close(force=True)


def test_questions_are_answered_by_key_and_a_badge_ends_them(loop, db_path):
    loop.send(MECARD + "\r")
    shows(loop, "NEW LEAD", "q questions")
    person(loop, "q")
    shows(loop, "Cooperation – · Timeframe – · Application – · Decision maker –")
    shows(loop, "1 R&D 2 Distribution 3 Supplier")
    person(loop, "1")
    shows(loop, "Cooperation: R&D (saved)")
    person(loop, "3")
    shows(loop, "Cooperation: R&D, Supplier (saved)")
    person(loop, "\r")
    shows(loop, "Timeframe 1 soon 2 later")
    person(loop, "\r")  # skipped
    shows(loop, "Question 3 of 4", "Application")
    person(loop, "cells\r")
    shows(loop, "Application: cells (saved)", "Decision maker")
    person(loop, "y")
    shows(loop, "Questions done: Cooperation ✓ · Timeframe – · Application ✓ · Decision maker ✓")
    person(loop, "q")
    shows(loop, "Answer so far: R&D, Supplier")
    loop.send("NT26-000123\r")  # the next visitor: ends the questions, is captured
    shows(loop, "NT26-000123", "CHECK THIS SCAN")  # a bare badge, no attendee list
    loop.sendintr()
    loop.expect("Session ended: 2 scans, 2 new leads")
    loop.expect(pexpect.EOF)

    store = open_store(db_path, staff="anna", device="laptop-a")
    found = {lead["family_name"] or lead["badge_id"]: lead for lead in leads.iter_leads(store)}
    answers = {"Cooperation": ["R&D", "Supplier"], "Application": "cells", "Decision maker": "yes"}
    assert found["佐藤"]["answers"] == answers
    assert found["NT26-000123"]["answers"] == {}
    store.close()
