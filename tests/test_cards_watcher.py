"""`scan --cards DIR`: the watched folder (core) and the scan loop in a pseudo-terminal."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from leadcap.errors import CardError
from leadcap.intake.cards import engine as card_engine
from leadcap.intake.cards.watcher import CardFolderWatcher
from leadcap.store import leads
from leadcap.store.database import open_store

DATA = Path(__file__).parent / "data" / "meishi"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def no_ocr(monkeypatch):
    monkeypatch.setattr(card_engine, "ocr_available", lambda: False)


def drop(folder: Path, name: str = "01-scan.png", as_name: str | None = None) -> Path:
    target = folder / (as_name or name)
    shutil.copy(DATA / name, target)
    return target


def test_an_image_is_handed_out_once_it_is_completely_written(tmp_path):
    watcher = CardFolderWatcher(tmp_path)
    path = drop(tmp_path)
    assert watcher.new_images() == []  # first sight: maybe still being written
    assert watcher.new_images() == [path]
    assert watcher.new_images() == []


def test_images_already_in_the_folder_are_left_alone(tmp_path):
    drop(tmp_path)
    watcher = CardFolderWatcher(tmp_path)
    watcher.new_images()
    assert watcher.new_images() == []


def test_other_files_are_ignored(tmp_path):
    watcher = CardFolderWatcher(tmp_path)
    (tmp_path / "scan.txt").write_text("x")
    watcher.new_images()
    assert watcher.new_images() == []


def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(CardError, match="is not a folder"):
        CardFolderWatcher(tmp_path / "nope")


def test_a_card_soon_after_a_badge_scan_is_attached_to_that_lead(store, tmp_path, no_ocr):
    clock = Clock()
    watcher = CardFolderWatcher(tmp_path, clock=clock)
    lead = leads.add_lead(store, {"badge_id": "NT-1"})
    watcher.badge_scanned(lead)
    clock.now += 20
    drop(tmp_path)
    watcher.import_new(store)
    [result] = watcher.import_new(store)
    assert not result.created and result.lead["id"] == lead["id"]


def test_a_card_long_after_the_badge_scan_becomes_a_new_lead(store, tmp_path, no_ocr):
    clock = Clock()
    watcher = CardFolderWatcher(tmp_path, clock=clock)
    watcher.badge_scanned(leads.add_lead(store, {"badge_id": "NT-1"}))
    clock.now += 600
    drop(tmp_path)
    watcher.import_new(store)
    [result] = watcher.import_new(store)
    assert result.created


def test_a_second_card_after_one_badge_scan_becomes_a_new_lead(store, tmp_path, no_ocr):
    watcher = CardFolderWatcher(tmp_path, clock=Clock())
    watcher.badge_scanned(leads.add_lead(store, {"badge_id": "NT-1"}))
    drop(tmp_path)
    watcher.import_new(store)
    watcher.import_new(store)
    drop(tmp_path, "06-scan.png")
    watcher.import_new(store)
    [result] = watcher.import_new(store)
    assert result.created


def test_a_broken_image_is_reported_not_raised(store, tmp_path, no_ocr):
    watcher = CardFolderWatcher(tmp_path)
    (tmp_path / "half.jpg").write_bytes(b"\xff\xd8 not really")
    watcher.import_new(store)
    [result] = watcher.import_new(store)
    assert "not an image" in result.error


# -- the scan loop, in a pseudo-terminal ---------------------------------------------------


def test_scan_cards_attaches_a_card_to_the_badge_just_scanned(db_path, tmp_path):
    pexpect = pytest.importorskip("pexpect")
    folder = tmp_path / "scansnap"
    folder.mkdir()
    env = {**os.environ, "LEADCAP_DB": str(db_path), "COLUMNS": "150", "PYTHONUTF8": "1"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "leadcap", "scan", "--no-qualify", "--cards", str(folder)],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 150),
    )
    try:
        child.expect("READY")
        drop(folder, "06-scan.png")  # no badge scanned before it: a new lead
        child.expect(r"card 06-scan\.png: new lead #1")
        child.send("MECARD:N:Okada,Mayumi;EMAIL:okada@example.jp;;\r")
        child.expect("Okada")
        drop(folder, "01-scan.png")
        child.expect(r"card 01-scan\.png: attached to #2")
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    store = open_store(db_path, staff="anna", device="laptop-a")
    second = leads.get_lead(store, 2)
    assert second["email"] == "okada@example.jp"
    assert second["company"] == "株式会社みらい分析センター"
    assert leads.get_lead(store, 1)["company"] == "Isartal Quantenoptik GmbH"
    store.close()
