"""A folder watched during the scan loop: a desktop card scanner (ScanSnap) or a phone's
synced photo folder drops card images there, and each becomes part of a lead.

Polling, not file-system events: it needs no extra package, works on network and synced
folders, and the scan loop already wakes up once a second."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from leadcap.errors import CardError
from leadcap.intake.cards.reader import CARD_SUFFIXES
from leadcap.store import model
from leadcap.store.database import Store

# A card arriving this soon after a badge scan belongs to that visitor.
ATTACH_WINDOW = 90.0


class CardFolderWatcher:
    """New card images in `folder` since the watch began, each handed out once."""

    def __init__(
        self,
        folder: Path,
        *,
        window: float = ATTACH_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ):
        folder = Path(folder)
        if not folder.is_dir():
            raise CardError(f"{folder} is not a folder. Give the folder the card scanner saves to")
        self.folder, self.window, self.clock = folder, window, clock
        self.seen = {path.name for path in self._files()}  # there before: not ours to read
        self.pending: dict[str, tuple[int, int]] = {}
        self.last_badge: tuple[int, float] | None = None  # (lead id, when)
        self.carded: set[int] = set()

    def _files(self) -> list[Path]:
        try:
            entries = list(self.folder.iterdir())
        except OSError:
            return []  # a synced folder that is briefly away: try again next time
        return sorted(
            p
            for p in entries
            if p.suffix.lower() in CARD_SUFFIXES and not p.name.startswith(".") and p.is_file()
        )

    def new_images(self) -> list[Path]:
        """Images that appeared since the last call and are completely written: the same
        size and time on two polls in a row (a scanner writes a file in several steps)."""
        ready = []
        for path in self._files():
            if path.name in self.seen:
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            if stat.st_size and self.pending.get(path.name) == signature:
                ready.append(path)
                self.seen.add(path.name)
                del self.pending[path.name]
            else:
                self.pending[path.name] = signature
        return ready

    def badge_scanned(self, lead: model.Lead | None) -> None:
        """The scan loop saw a badge: a card in the next `window` seconds is this lead's."""
        if lead is not None:
            self.last_badge = (lead["id"], self.clock())

    def lead_for_card(self) -> int | None:
        """The lead a card arriving now belongs to, or None for a new lead."""
        if self.last_badge is None:
            return None
        lead_id, at = self.last_badge
        if self.clock() - at > self.window or lead_id in self.carded:
            return None
        return lead_id

    def import_new(self, store: Store, *, engine: Any = None) -> list:
        """Read every new card image: attached to the visitor just scanned, else a new
        lead. Returns the CardImport results (errors in them, never raised)."""
        from leadcap.intake.cards.importing import CardImport, import_cards

        results = []
        for path in self.new_images():
            lead_id = self.lead_for_card()
            try:
                found = import_cards(store, [path], lead_id=lead_id, engine=engine)
            except CardError as error:
                found = [CardImport(path, error=str(error))]
            for result in found:
                if result.lead and lead_id is not None:
                    self.carded.add(lead_id)
            results += found
        return results
