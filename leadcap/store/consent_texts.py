"""The event's consent wording in each language, and an archive of every version shown,
so that each consent record can quote what the visitor actually agreed to."""

from __future__ import annotations

import hashlib
import json

from leadcap.store import model
from leadcap.store.database import Store

CONSENT_LANGUAGES = ("de", "en", "ja")
CONSENT_METHODS = ("verbal", "ticked", "scanned")
TEXT_ARCHIVE_SETTING = "consent_text_versions"


def configured_texts(store: Store) -> dict[str, str]:
    """The event's consent texts by language (`leadcap config set consent-text.de ...`)."""
    texts = {}
    for lang in CONSENT_LANGUAGES:
        # `config set` stores `consent-text.de` as `consent_text.de`; accept both spellings.
        value = store.setting(f"consent_text.{lang}") or store.setting(f"consent-text.{lang}")
        if value and str(value).strip():
            texts[lang] = str(value).strip()
    return texts


def _version_of(texts: dict[str, str]) -> str | None:
    if not texts:
        return None
    encoded = json.dumps(texts, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(encoded).hexdigest()[:8]


def current_text_version(store: Store) -> str | None:
    """A short hash of all configured consent texts: any wording change gives a new
    version, so each consent record proves which wording the visitor was shown."""
    return _version_of(configured_texts(store))


def consent_text(store: Store, lang: str) -> tuple[str | None, str | None]:
    """(text, version) in `lang`, falling back to English, German, Japanese; (None, None)
    when no text is configured."""
    lang = model.check_choice(lang, CONSENT_LANGUAGES, "consent language")
    texts = configured_texts(store)
    for choice in (lang, "en", "de", "ja"):
        if choice in texts:
            return texts[choice], _version_of(texts)
    return None, None


def archive_texts(store: Store) -> str | None:
    """Keep every wording that was ever shown, by version, so the proof can quote it."""
    texts = configured_texts(store)
    version = _version_of(texts)
    archive = store.setting(TEXT_ARCHIVE_SETTING) or {}
    if version and version not in archive:
        store.set_setting(TEXT_ARCHIVE_SETTING, {**archive, version: texts})
    return version


def archived_text(store: Store, version: str | None) -> dict[str, str]:
    return (store.setting(TEXT_ARCHIVE_SETTING) or {}).get(version or "", {})
