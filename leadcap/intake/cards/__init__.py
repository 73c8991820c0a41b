"""Business cards (meishi): read a photo or scan of a card into a lead, offline.

engine: the OCR engine behind a small interface; prepare: find, straighten and keep the
card image; fields: lead fields from OCR lines; reader: QR first, then OCR; importing:
cards to leads; storage: the card images in the database; watcher: a folder polled by the
scan loop. Nothing here imports numpy, OpenCV or the engine at module level."""
