"""The project's exceptions. Each message says what was wrong and what to do about it."""

from __future__ import annotations


class LeadcapError(Exception):
    """Base class: the CLI prints the message on one line and exits 1."""


class UsageError(LeadcapError):
    """A value the user typed is not acceptable (the CLI exits 2)."""


class NotFound(LeadcapError):
    pass


class DatabaseError(LeadcapError):
    """The database file cannot be used as it is."""


class DatabaseBusy(DatabaseError):
    pass


class CardError(LeadcapError):
    """A business-card image that cannot be read or stored."""


class OcrUnavailable(CardError):
    """No OCR engine is installed (the `ocr` extra)."""
