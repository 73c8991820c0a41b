"""Small payload formats: URLs, e-mail and phone URIs, JSON objects, key=value lists, badge ids.

Badge QR codes at fairs mostly carry one of these rather than a full vCard: a registration URL
with the badge number in the query, a JSON blob from the registration system, `ID=...|NAME=...`,
or just the badge number.
"""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import parse_qsl, unquote, unquote_plus, urlsplit

from leadcap.intake.parse.contact import ParsedContact
from leadcap.intake.parse.mecard import split_fields, unescape

# Badge numbers like 123456, A1B2C3 or NT26-004211: 4-32 letters, digits and hyphens with at
# least one digit, so that a plain word such as "hello" is not taken for a badge.
DEFAULT_BADGE_PATTERN = r"(?i)^(?=[A-Z-]*[0-9])[A-Z0-9][A-Z0-9-]{3,31}$"

# Key spellings (lower-cased, without `_ - . ` and spaces) -> contact field.
_FIELD_KEYS = {
    "badge_id": ("id", "badge", "badgeid", "badgeno", "badgenumber", "attendeeid"),
    "full_name": ("name", "fullname"),
    "given_name": ("first", "firstname", "given", "givenname"),
    "family_name": ("last", "lastname", "family", "familyname", "surname"),
    "company": ("company", "org", "organization", "organisation", "firma"),
    "email": ("email", "mail"),
    "phone": ("phone", "tel", "telephone"),
    "mobile": ("mobile", "cell"),
    "title": ("title", "jobtitle", "position"),
    "country": ("country",),
    "department": ("department", "dept"),
    "name_reading": ("reading", "kana", "furigana"),
    "city": ("city",),
    "postal_code": ("zip", "postalcode", "postcode"),
    "street": ("street", "address"),
    "website": ("website", "url"),
}
FIELD_FOR_KEY = {key: field for field, keys in _FIELD_KEYS.items() for key in keys}

# Objects whose `id` is not the attendee's badge.
_FOREIGN_ID_PARENTS = {"event", "exhibitor", "venue", "booth", "session", "company", "org"}

_EMAIL = re.compile(r"[^@\s,;:<>()\"']+@[A-Za-z0-9.-]+")
_BARE_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")
_PHONE = re.compile(r"\+?[0-9][0-9 ()./-]*")
# ZXing's allowed URI characters; anything else (look-alike slashes, bidi controls) is suspicious.
_URL_CHARS = re.compile(r"[-._~:/?#\[\]@!$&'()*+,;=%A-Za-z0-9]+")
_BIDI = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_URL_START = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]*(https?://|www\.)", re.I)
_KV_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_ .-]{0,39}")


def normalise_key(key: str) -> str:
    return re.sub(r"[^0-9a-z]", "", key.casefold())


def _set_first(contact: ParsedContact, field: str, value: str) -> None:
    """Fill a field once; further e-mails and phones are kept as extras."""
    value = value.strip()
    if not value:
        return
    current = getattr(contact, field)
    if current is None:
        setattr(contact, field, value)
    elif field == "email" and value != current and value not in contact.extra_emails:
        contact.extra_emails.append(value)
    elif field in ("phone", "mobile") and value != current and value not in contact.extra_phones:
        contact.extra_phones.append(value)


# --- e-mail and phone URIs ---------------------------------------------------------------


def _emails(text: str) -> list[str]:
    return [a.strip() for a in unquote(text).split(",") if _EMAIL.fullmatch(a.strip())]


def parse_email(text: str) -> ParsedContact | None:
    """`mailto:a@b?subject=..`, `MATMSG:TO:..;SUB:..;BODY:..;;`, `SMTP:a@b:subject:body`, or a
    bare address."""
    text = text.strip()
    lowered = text.lower()
    contact = ParsedContact(source="url")
    notes: list[str] = []
    if lowered.startswith("mailto:"):
        address, _, query = text[7:].partition("?")
        params = [(k.lower(), v) for k, v in parse_qsl(query, keep_blank_values=True)]
        to = _emails(address) + [a for k, v in params if k == "to" for a in _emails(v)]
        # A mailto with only cc/bcc still names someone to follow up (ZXing reports no address).
        copies = [a for k, v in params if k in ("cc", "bcc") for a in _emails(v)]
        addresses = to or copies
        notes = [f"{k.capitalize()}: {v}" for k, v in params if k in ("subject", "body") and v]
    elif lowered.startswith("matmsg:"):
        fields = split_fields(text[7:])
        addresses = [a for k, v in fields if k == "TO" for a in _emails(unescape(v))]
        labels = {"SUB": "Subject", "BODY": "Body"}
        notes = [f"{labels[k]}: {unescape(v)}" for k, v in fields if k in labels and unescape(v)]
    elif lowered.startswith("smtp:"):
        address, _, rest = text[5:].partition(":")
        addresses = _emails(address)
        subject, _, body = rest.partition(":")
        notes = [f"Subject: {subject}"] * bool(subject) + [f"Body: {body}"] * bool(body)
    elif _BARE_EMAIL.fullmatch(text):
        addresses = [text]
    else:
        return None
    for address in addresses:
        _set_first(contact, "email", address)
    contact.notes = "\n".join(notes) or None
    if not addresses:
        contact.warnings.append("e-mail link without an address")
    return contact


def parse_tel(text: str) -> ParsedContact | None:
    """`tel:+49 30 1234567`."""
    scheme, colon, number = text.strip().partition(":")
    if not colon or scheme.lower() != "tel" or not _PHONE.fullmatch(number.strip()):
        return None
    return ParsedContact(source="url", phone=number.strip())


# --- web addresses -------------------------------------------------------------------------


def looks_like_url(text: str) -> bool:
    return bool(_URL_START.match(text.strip()))


def _url_problem(url: str) -> str | None:
    """Why a web address must not be offered as a link (ZXing's isPossiblyMaliciousURI)."""
    if _BIDI.search(url):
        return "contains right-to-left control characters"
    if not _URL_CHARS.fullmatch(url):
        return "contains spaces or characters outside plain ASCII (possible look-alike)"
    try:
        netloc = urlsplit(url if "://" in url else f"http://{url}").netloc
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return "is malformed"
    if "@" in netloc:
        return "hides its real host behind a user name (`user@host`)"
    return None


def parse_url(text: str, badge_url_params: tuple[str, ...]) -> ParsedContact | None:
    """An http(s) or www. address becomes the website; a badge parameter in its query
    (`?id=XY-1234`) makes it a badge scan. Deceptive addresses are refused with a warning."""
    url = text.strip()
    if not looks_like_url(url):
        return None
    if problem := _url_problem(url):
        warning = f"web address {problem}; not used as website"
        return ParsedContact(source="unknown", warnings=[warning])
    contact = ParsedContact(source="url", website=url)
    wanted = {name.casefold() for name in badge_url_params}
    for key, value in parse_qsl(urlsplit(url).query):
        if key.casefold() in wanted and value.strip():
            contact.badge_id = value.strip()
            contact.source = "badge"
            break
    return contact


def parse_bookmark(text: str) -> ParsedContact | None:
    """docomo bookmark `MEBKM:TITLE:..;URL:..;;`: the URL is a website."""
    stripped = text.strip()
    if stripped[:6].upper() != "MEBKM:":
        return None
    urls = [unescape(v) for k, v in split_fields(stripped[6:]) if k == "URL" and unescape(v)]
    if not urls:
        return None
    return ParsedContact(source="url", website=urls[0])


# --- JSON ----------------------------------------------------------------------------------


def _json_scalar(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value).strip() or None
    return None


def _contact_from_object(obj: dict) -> ParsedContact:  # noqa: C901 - one branch per JSON key spelling organisers use
    """Walk the object breadth-first so that shallow keys win over nested ones."""
    contact = ParsedContact(source="json")
    queue: list[tuple[dict, str | None, str]] = [(obj, None, "")]
    while queue:
        current, parent_field, parent_key = queue.pop(0)
        for key, value in current.items():
            field = FIELD_FOR_KEY.get(normalise_key(str(key)))
            if parent_field and parent_field != "street":
                # {"company": {"name": "ACME", "id": 7}}: the child carries the parent's meaning.
                if normalise_key(str(key)) in ("name", "value", "full", "display", "text"):
                    field = parent_field
                elif field == "badge_id":
                    field = None
            if field == "badge_id" and parent_key in _FOREIGN_ID_PARENTS:
                field = None
            if isinstance(value, dict):
                queue.append((value, field, normalise_key(str(key))))
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        queue.append((item, field, normalise_key(str(key))))
                    elif field and (scalar := _json_scalar(item)):
                        _set_first(contact, field, scalar)
            elif field and (scalar := _json_scalar(value)):
                _set_first(contact, field, scalar)
    return contact


def parse_json(text: str) -> list[ParsedContact] | None:
    """A JSON object (or a list of objects) with any of the usual contact keys."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        data = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    objects = data if isinstance(data, list) else [data]
    contacts = [_contact_from_object(o) for o in objects if isinstance(o, dict)]
    contacts = [c for c in contacts if not c.is_empty()]
    return contacts or None


# --- key=value -----------------------------------------------------------------------------


def _key_values(text: str, separator: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for part in text.split(separator):
        match = re.match(r"\s*([^=:]+?)\s*[=:](.*)", part, re.DOTALL)
        if match and _KV_KEY.fullmatch(match[1]):
            value = unquote_plus(match[2]) if separator == "&" else match[2]
            pairs.append((match[1], value.strip()))
        elif pairs and part.strip():
            # The separator was part of the value ("Smith & Sons").
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]}{separator}{part}".strip())
    return pairs


def parse_key_values(text: str) -> ParsedContact | None:
    """`ID=NT26-0042|NAME=Yamada Taro|COMPANY=ACME` (separated by `;`, `&`, `|` or lines);
    needs two recognised keys, or a badge key."""
    stripped = text.strip()
    best: list[tuple[str, str]] = []
    for separator in (";", "&", "|", "\n", "\t"):
        if separator not in stripped and separator != ";":
            continue
        pairs = _key_values(stripped, separator)
        known = [
            (FIELD_FOR_KEY[normalise_key(k)], v)
            for k, v in pairs
            if normalise_key(k) in FIELD_FOR_KEY and v
        ]
        if len(known) > len(best):
            best = known
    if len(best) < 2 and not any(field == "badge_id" for field, _ in best):
        return None
    contact = ParsedContact(source="kv")
    for field, value in best:
        _set_first(contact, field, value)
    return contact


# --- bare badge number ---------------------------------------------------------------------


def parse_badge(text: str, pattern: str) -> ParsedContact | None:
    """A bare badge number. A scanner or IME sending full-width characters
    (ＮＴ２６－０００００１) still matches: the pattern is tried on the NFKC form too; the
    badge id is kept as sent (matching folds it)."""
    stripped = text.strip()
    if not re.fullmatch(pattern, stripped):
        if not re.fullmatch(pattern, unicodedata.normalize("NFKC", stripped)):
            return None
    return ParsedContact(source="badge", badge_id=stripped)
