"""A lead's fields and their normalisation. Pure: no database, no I/O.

What was typed or scanned is stored as it was; the normalised copies made here live in
separate columns and are used for matching, searching and sorting only."""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, TypedDict, overload

from leadcap.errors import UsageError
from leadcap.store.scripts import ScriptClass

LEAD_FIELDS = (
    "badge_id",
    "given_name",
    "family_name",
    "full_name",
    "name_reading",
    "company",
    "department",
    "title",
    "email",
    "phone",
    "mobile",
    "website",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "notes",
)
# Fields `edit` may change besides the contact fields.
# `materials`: what staff promised to send the visitor, one item per line; drafts quote it.
EDITABLE_FIELDS = LEAD_FIELDS + ("exhibitor", "status", "owner", "due", "event", "materials")
RATINGS = ("hot", "warm", "cold")
CONSENT_PURPOSES = ("followup", "marketing", "share")
CONSENT_STATES = ("granted", "refused", "withdrawn", "not_asked")
STATUSES = ("new", "contacted", "meeting", "offer", "won", "lost")
SOURCES = ("manual", "vcard", "mecard", "bizcard", "url", "json", "kv", "badge", "unknown", "card")

# A qualifying question's answer: a choice or text, a number, a date (ISO) or yes/no, or
# the choices of a multi-choice question.
Answer = str | int | float | list[str]


class Lead(TypedDict):
    """A lead in the JSON contract's shape (`--json`, README "JSON output"): every key is
    always present, in this order. Contact fields are as typed or scanned, None when not
    given; times are ISO 8601 with offset."""

    id: int
    uuid: str
    event: str | None
    badge_id: str | None
    given_name: str | None
    family_name: str | None
    full_name: str | None
    name_reading: str | None
    company: str | None
    department: str | None
    title: str | None
    email: str | None
    phone: str | None
    mobile: str | None
    website: str | None
    street: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    notes: str | None
    phone_e164: str | None  # the phone and mobile in E.164 (+81312345678), None when not valid
    mobile_e164: str | None
    country_code: str | None  # ISO 3166 code of `country` as written (日本 -> JP)
    rating: str | None  # one of RATINGS
    score: int  # 0-100, computed when read (store.score)
    tags: list[str]
    answers: dict[str, Answer]  # question name -> answer, questions in their order
    consent: dict[str, str]  # purpose (CONSENT_PURPOSES) -> state (CONSENT_STATES)
    captured_by: str | None
    device: str | None
    captured_at: str
    updated_at: str
    source: str  # one of SOURCES
    raw_payload: str | None
    needs_review: bool
    review_reasons: list[str]
    visits: int
    exhibitor: str | None
    status: str  # one of STATUSES
    owner: str | None
    due: str | None
    materials: str | None
    deleted: bool


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_KATAKANA = re.compile(r"[\u30a1-\u30f6]")
# Kana (full and half width) and Han; Hangul. Names in these scripts are written family
# name first; Han or kana alone is what a Japanese (or Chinese) name or address looks like.
KANA_HAN = "\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f"
HANGUL = "\uac00-\ud7af"
CJK = ScriptClass(KANA_HAN + HANGUL)
JAPANESE_SCRIPT = ScriptClass(KANA_HAN)


def fold(text: str | None) -> str:
    """The search/match key: NFKC (half-width katakana and full-width Latin fold),
    case-folded, katakana as hiragana so a reading matches in either script."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _KATAKANA.sub(lambda m: chr(ord(m.group()) - 0x60), folded)


def clean(value: object) -> str | None:
    """Trim a field; empty becomes None so that 'not given' has one spelling."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def widen_kana(text: str | None) -> str | None:
    """Half-width katakana readings (common on Japanese phones) shown full-width.
    NFKC is applied to the half-width runs only, so ｶﾞ becomes ガ and nothing else changes."""
    if not text:
        return text
    return re.sub(r"[\uff61-\uff9f]+", lambda m: unicodedata.normalize("NFKC", m.group()), text)


def normalise_email(email: str | None) -> str | None:
    email = clean(email)
    if not email:
        return None
    return unicodedata.normalize("NFKC", email).strip().lower()


def email_problem(email: str | None) -> str | None:
    """Why an e-mail looks wrong, or None. A wrong one is kept: the lead is worth more."""
    normalised = normalise_email(email)
    if normalised and not _EMAIL.match(normalised):
        return f"e-mail {email!r} does not look valid"
    return None


def normalise_phone(phone: str | None, region: str | None) -> tuple[str | None, str | None]:
    """(E.164 form or None, problem or None). phonenumbers is imported only when a
    number is actually given, to keep the other commands fast."""
    phone = clean(phone)
    if not phone:
        return None, None
    import phonenumbers

    text = unicodedata.normalize("NFKC", phone)
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None, f"phone {phone!r} is not a phone number{'' if region else ' (no country)'}"
    if not phonenumbers.is_possible_number(number):
        return None, f"phone {phone!r} does not look valid"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def national_number(e164: str | None) -> str | None:
    """An E.164 number as dialled inside its country (+81 90... -> 090-...)."""
    if not e164:
        return None
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


# Languages whose country names a vCard or MECARD from a fair visitor is likely to carry.
COUNTRY_NAME_LOCALES = ("en", "de", "fr", "ja", "zh_Hans", "zh_Hant", "ko", "es", "it", "nl")


@functools.cache
def _country_names() -> tuple[dict[str, str], frozenset[str]]:
    """Folded country name -> ISO 3166 code, from CLDR through babel (maintained; a hand
    list would miss spellings), and the set of codes that exist."""
    from babel import Locale
    from babel.core import get_global

    names: dict[str, str] = {}
    for locale in COUNTRY_NAME_LOCALES:
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                names.setdefault(fold(name), code)
    for alias, targets in get_global("territory_aliases").items():
        target = targets[0] if isinstance(targets, list | tuple) else targets
        if len(alias) == 2 and alias.isalpha() and len(target) == 2:
            names.setdefault(fold(alias), target)  # UK -> GB
    return names, frozenset(names.values())


def country_code(country: str | None) -> str | None:
    """The ISO 3166 code of a country as written: `JP`, `jp`, `日本`, `Deutschland`,
    `Allemagne` or `Germany`; None when it is no country CLDR knows. Only the code is
    derived: the country stays stored as it was written."""
    text = clean(country)
    if not text:
        return None
    folded = fold(text).strip(" .")
    names, codes = _country_names()
    if len(folded) == 2 and folded.isascii() and folded.isalpha():
        code = folded.upper()
        return code if code in codes else names.get(folded)
    return names.get(folded)


def display_name(lead: Mapping[str, Any]) -> str:
    """The name as people expect to read it: Japanese family-first, others given-first."""
    if lead.get("full_name"):
        return lead["full_name"]
    family, given = lead.get("family_name") or "", lead.get("given_name") or ""
    if CJK.search(family + given):
        return f"{family} {given}".strip()
    return f"{given} {family}".strip()


def split_name(name: str | None) -> tuple[str, str]:
    """(family, given) from a name written in one piece: Japanese names are written family
    first ("山田 太郎"), Latin ones family last ("Anna Schmidt"); one word is a Japanese
    family name or a Latin given name. The one rule for the booth card, exports and badges."""
    parts = (name or "").replace("\u3000", " ").split()
    if not parts:
        return "", ""
    japanese = bool(CJK.search(name or ""))
    if len(parts) == 1:
        return (parts[0], "") if japanese else ("", parts[0])
    if japanese:
        return parts[0], " ".join(parts[1:])
    return parts[-1], " ".join(parts[:-1])


UNREADABLE_LABEL = "(unreadable scan)"


def list_name(lead: Mapping[str, Any], *, width: int = 40) -> str:
    """The name column of lists and the worklist: never blank for a lead that has no name.
    A badge-only scan shows its badge id; an unreadable scan says so, with the start of
    its raw payload so that staff can recognise it."""
    name = display_name(lead)
    if name:
        return name
    if lead.get("source") == "unknown" or (not lead.get("badge_id") and lead.get("raw_payload")):
        raw = " ".join((lead.get("raw_payload") or "").split())
        raw = raw if len(raw) <= width else raw[: width - 1] + "…"
        return f"{UNREADABLE_LABEL} {raw}".strip()
    if lead.get("badge_id"):
        return f"badge {lead['badge_id']}"
    return ""


def label(lead: Mapping[str, Any]) -> str:
    """A short way to name a lead in messages, whatever is known about it."""
    return (
        display_name(lead)
        or lead.get("company")
        or lead.get("email")
        or lead.get("badge_id")
        or "no name"
    )


def sort_key(lead: Mapping[str, Any]) -> str:
    """Sort by reading where one exists (how Japanese lists are ordered), else by name."""
    return fold(lead.get("name_reading") or lead.get("family_name") or display_name(lead))


def search_fold(text: str | None) -> str:
    """`fold` plus kanji variants (髙 -> 高, 﨑 -> 崎, 邊/邉 -> 辺): the form both the search
    text and the words searched for take."""
    from leadcap.store.variants import fold_variants

    return fold_variants(fold(text))


_PHONE_LIKE = re.compile(r"^[\d\s()+\-./]+$")


def phone_digits(text: str | None) -> str:
    """The digits of something that looks like a phone number ("" otherwise): how a
    number is found whatever spaces, dashes or country prefix were typed."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not _PHONE_LIKE.match(text):
        return ""
    digits = re.sub(r"\D", "", text)
    return digits if len(digits) >= 3 else ""


def search_text(lead: Mapping[str, Any]) -> str:
    """Everything `find` looks through, folded, in one string. The name is also there as it
    is displayed ("Jan Müller", "山田 太郎"), and Japanese names run together as well
    ("山田太郎"), because that is how people type them into a search. Badge ids and phone
    numbers are there too, the numbers also as bare digits (typed and E.164)."""
    parts = [
        lead.get(k)
        for k in (
            "full_name",
            "given_name",
            "family_name",
            "name_reading",
            "company",
            "department",
            "email",
            "notes",
            "badge_id",
            "phone",
            "mobile",
        )
    ]
    name = display_name(lead)
    parts.append(name)
    for text in (name, lead.get("name_reading")):
        if text and CJK.search(text):
            parts.append(re.sub(r"\s+", "", text))
    for key in ("phone", "mobile", "phone_e164", "mobile_e164"):
        parts.append(phone_digits(lead.get(key)))
    for key in ("phone_e164", "mobile_e164"):
        parts.append(phone_digits(national_number(lead.get(key))))
    folded = [search_fold(p) for p in parts if p]
    return "\n".join(dict.fromkeys(folded))


@overload
def check_choice(value: str, choices: tuple[str, ...], what: str) -> str: ...
@overload
def check_choice(value: None, choices: tuple[str, ...], what: str) -> None: ...
@overload
def check_choice(value: str | None, choices: tuple[str, ...], what: str) -> str | None: ...
def check_choice(value: str | None, choices: tuple[str, ...], what: str) -> str | None:
    """`value` lower-cased if it is one of `choices`; a UsageError naming them if not."""
    if value is None:
        return None
    value = value.strip().lower()
    if value not in choices:
        raise UsageError(f"unknown {what} {value!r}. Use one of: {', '.join(choices)}")
    return value


# Review reasons that validation sets, and that a corrected field clears by itself.
VALIDATION_PREFIXES = ("e-mail ", "phone ", "mobile ")


def derived_columns(
    event_country: str | None, lead: Mapping[str, Any], reasons: list[str]
) -> dict[str, Any]:
    """Normalised copies of a lead's fields for matching, sorting and search, and its
    review reasons after validation. The lead's own country, written in any language, wins
    over the event's default `event_country`."""
    code = country_code(lead.get("country"))
    region = code or event_country
    kept = [r for r in reasons if not r.startswith(VALIDATION_PREFIXES)]
    problems = [email_problem(lead.get("email"))]
    phone_e164, problem = normalise_phone(lead.get("phone"), region)
    problems.append(problem)
    mobile_e164, problem = normalise_phone(lead.get("mobile"), region)
    problems.append(problem and problem.replace("phone", "mobile", 1))
    reasons = kept + [p for p in problems if p]
    return {
        "email_norm": normalise_email(lead.get("email")),
        "phone_e164": phone_e164,
        "mobile_e164": mobile_e164,
        "badge_norm": fold(lead.get("badge_id")) or None,
        "country_code": code,
        "sort_key": sort_key(lead),
        "search_text": search_text({**lead, "phone_e164": phone_e164, "mobile_e164": mobile_e164}),
        "review_reasons": json.dumps(reasons, ensure_ascii=False),
        "needs_review": 1 if reasons else 0,
    }
