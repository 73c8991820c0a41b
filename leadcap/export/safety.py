"""Make lead data harmless in files that spreadsheets and address books open.

Lead data comes from badges and QR codes that anyone can print, so every exported value is
treated as hostile: no formula, no illegal XML, no `javascript:` link.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Characters that make Excel, LibreOffice or Google Sheets read a CSV cell as a formula
# (OWASP "CSV Injection"), plus their full-width forms that Japanese IMEs type and that
# Excel folds to the ASCII ones.
_FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")

# XML 1.0 allows tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD and the astral planes; lone
# surrogates (which Python strings can hold after a lax decode) cannot be encoded at all.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f\s]")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
# Also C1 controls and the bidirectional controls that make `evil\u202egpj.exe` read as
# `evilexe.jpg` in a file manager.
_FILENAME_BAD = re.compile(
    r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]'
)
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in "123456789"
}


def neutralise(value: str) -> str:
    """Prefix a single quote when a spreadsheet would run `value` as a formula.

    Also catches formula characters hidden behind leading spaces, which Excel skips."""
    stripped = value.lstrip(" \u3000")
    if value and (value[0] in _FORMULA_STARTS or stripped[:1] in _FORMULA_STARTS):
        return "'" + value
    return value


def clean_xml(text: str) -> str:
    """Replace characters that XML 1.0 cannot hold with U+FFFD, so a file still opens."""
    return _ILLEGAL_XML.sub("\ufffd", text)


# What RFC 3986 allows in a URI besides letters and digits; "%" only before two hex digits.
_URI_ASCII = frozenset("-._~:/?#[]@!$&'()*+,;=%")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


_URI_TEXT = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9._+-]+")
_HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")


def _iri_part(text: str) -> str | None:
    """A path, query or fragment of an IRI as URI text: non-ASCII percent-encoded as UTF-8;
    None when an ASCII character a URI cannot hold (space, <, ", ^...) or a stray % is in it."""
    if _BAD_PERCENT.search(text):
        return None
    if text.isascii():  # the usual case: one regex, no loop
        return text if _URI_TEXT.fullmatch(text) else None
    out = []
    for char in text:
        if char.isascii():
            if not (char.isalnum() or char in _URI_ASCII):
                return None
            out.append(char)
        else:
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8")))
    return "".join(out)


def url_target(url: str | None) -> str | None:
    """An http(s) link target as a valid URI, or None when `url` should stay plain text.

    IRIs become URIs (RFC 3987 §3.1): the host in punycode (IDNA 2008, `idna` package),
    non-ASCII in path, query and fragment percent-encoded. Anything else that a URI cannot
    hold (spaces, `<`, `%zz`, user names before the host, other schemes) is refused: Excel
    "repairs" a workbook with such a link by dropping its links."""
    if not url or _CONTROL_OR_SPACE.search(url) or '"' in url:
        return None
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    ascii_host = host
    if not host.isascii():
        import idna

        try:
            ascii_host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            return None
    if not _HOST.fullmatch(ascii_host):
        return None
    rest = [_iri_part(x) for x in (parts.path, parts.query, parts.fragment)]
    if any(part is None for part in rest):
        return None
    path, query, fragment = rest
    netloc = ascii_host + (f":{port}" if port is not None else "")
    return (
        f"{parts.scheme.lower()}://{netloc}{path}"
        + (f"?{query}" if parts.query else "")
        + (f"#{fragment}" if parts.fragment else "")
    )


def is_safe_url(url: str | None) -> bool:
    """True for an http(s) URL that can be made a link (see url_target)."""
    return url_target(url) is not None


_CARD_PATH = re.compile(r"^[\w.\-]+/lead-\d+-card(?:-\d+)?\.jpg$", re.ASCII)


def is_safe_card_path(path: str | None) -> bool:
    """True for the relative card-image path leadcap writes (`leads-cards/lead-12-card.jpg`),
    the only relative link it makes."""
    return path is not None and bool(_CARD_PATH.match(path))


def is_safe_email(addr: str | None) -> bool:
    """True for a plain `local@domain` address that can become a `mailto:` link."""
    if not addr or len(addr) > 254:
        return False
    return bool(_EMAIL.match(addr)) and "." in addr.rsplit("@", 1)[1]


def mailto_target(addr: str | None) -> str | None:
    """`mailto:` + the address, or None. RFC 6068: in the address `#`, `%`, `?` (and `&`,
    `=`, `{`, `|`... that separate or cannot stand in a URI) are percent-encoded, else
    `a#b@x.de` would send to `a`."""
    if not is_safe_email(addr):
        return None
    from urllib.parse import quote

    local, domain = str(addr).rsplit("@", 1)
    if _PLAIN_LOCAL.fullmatch(local):  # the usual case: nothing to encode
        return f"mailto:{addr}"
    encoded = quote(local, safe="!$'()*+;")
    return f"mailto:{encoded}@{domain}"


def safe_filename(name: str, max_bytes: int = 120) -> str:
    """A file name that works on Windows, macOS and Linux, keeping Japanese and German
    letters; cut on a character boundary to `max_bytes` of UTF-8."""
    name = unicodedata.normalize("NFC", clean_xml(name))
    name = _FILENAME_BAD.sub("_", name).strip().strip(".")
    encoded = name.encode("utf-8")[:max_bytes]
    name = encoded.decode("utf-8", errors="ignore").rstrip(" .")
    if not name:
        return "_"
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return name
