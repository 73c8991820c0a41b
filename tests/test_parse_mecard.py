"""MECARD, BIZCARD and KDDI au MEMORY cards, checked against ZXing's parsers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from leadcap.intake.parse import parse_payload
from leadcap.intake.parse.mecard import (
    parse_au_memory,
    parse_bizcard,
    parse_mecard,
    split_unescaped,
)

DATA = Path(__file__).parent / "data" / "zxing"


def _zxing_rows() -> list[dict]:
    lines = (DATA / "zxing-core-3.4.1_parse_output.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _zxing_list(parsed: str, name: str) -> list[str]:
    match = re.search(rf"\b{name}=(null|\[(.*?)\])", parsed)
    assert match, (name, parsed)
    return [] if match[1] == "null" else match[2].split(", ")


ADDRESS_BOOK_ROWS = [
    row
    for row in _zxing_rows()
    if row["zxing_3_4_1_parsed"].startswith("type=ADDRESSBOOK")
    and "BEGIN:VCARD" not in row["payload"].upper()
]


def test_corpus_has_the_non_vcard_address_books():
    assert len(ADDRESS_BOOK_ROWS) == 17


@pytest.mark.parametrize(
    "row", ADDRESS_BOOK_ROWS, ids=[f"{r['test']}-{i}" for i, r in enumerate(ADDRESS_BOOK_ROWS)]
)
def test_names_phones_emails_match_zxing(row):
    contact = parse_payload(row["payload"]).contacts[0]
    expected = row["zxing_3_4_1_parsed"]
    phones = [p for p in (contact.phone, contact.mobile, *contact.extra_phones) if p]
    emails = [e for e in (contact.email, *contact.extra_emails) if e]
    assert ([contact.full_name] if contact.full_name else []) == _zxing_list(expected, "names")
    assert phones == _zxing_list(expected, "tel")
    assert emails == _zxing_list(expected, "email")
    assert (contact.company or "null") == re.search(r"\borg=(.*?) title=", expected)[1]
    assert (contact.notes or "null") == re.search(r"\bnote=(.*)$", expected)[1]


def test_docomo_card_with_note_url_and_email():
    payload = "MECARD:NOTE:ZXing Team;N:Sean Owen;URL:google.com;EMAIL:srowen@example.org;;"
    contact = parse_mecard(payload)
    assert contact.full_name == "Sean Owen"
    assert contact.email == "srowen@example.org"
    assert contact.website == "google.com"
    assert contact.notes == "ZXing Team"


def test_key_counts_only_at_a_field_boundary():
    contact = parse_mecard("MECARD:NOTE:ATTN: Sales;N:Sean;;")
    assert contact.notes == "ATTN: Sales"
    assert contact.full_name == "Sean"


def test_name_inside_a_value_is_not_a_name():
    contact = parse_mecard("MECARD:NOTE:Badge N:12 at desk;ORG:ACME;;")
    assert contact.full_name is None
    assert contact.notes == "Badge N:12 at desk"


@pytest.mark.parametrize(
    ("payload", "field", "expected"),
    [
        (r"MECARD:N:Owen\, Sean;;", "full_name", "Owen, Sean"),
        (r"MECARD:N:Sean;NOTE:a\;b\:c\\d;;", "notes", r"a;b:c\d"),
        (r"MECARD:ORG:R\&D\; Sales;N:X;;", "company", "R&D; Sales"),
        ("mecard:n:Owen,Sean;;", "given_name", "Sean"),
    ],
)
def test_escapes_and_case(payload, field, expected):
    assert getattr(parse_mecard(payload), field) == expected


def test_japanese_mecard_splits_family_given_and_reading():
    payload = "MECARD:N:山田,太郎;SOUND:ﾔﾏﾀﾞ,ﾀﾛｳ;TEL:03-1234-5678;EMAIL:taro@example.jp;;"
    contact = parse_payload(payload).contacts[0]
    assert (contact.family_name, contact.given_name) == ("山田", "太郎")
    assert contact.full_name == "山田 太郎"  # family first, as the vCard parser composes CJK
    assert contact.name_reading == "ﾔﾏﾀﾞ ﾀﾛｳ"
    assert contact.phone == "03-1234-5678"


def test_japanese_mecard_from_a_real_qr_photo():
    payload = (DATA / "blackbox_qrcode-2" / "30.txt").read_bytes()
    result = parse_payload(payload)
    assert result.source == "mecard"
    assert result.contacts[0].full_name == "測試"


def test_shift_jis_bytes_are_decoded():
    result = parse_payload("MECARD:N:山田,太郎;;".encode("cp932"))
    assert result.raw == "MECARD:N:山田,太郎;;"
    assert result.contacts[0].family_name == "山田"


def test_seven_part_docomo_address_is_split():
    contact = parse_mecard("MECARD:N:X;ADR:,,1-2-3 Dogenzaka,Shibuya-ku,Tokyo,150-0043,Japan;;")
    assert contact.street == "1-2-3 Dogenzaka"
    assert (contact.city, contact.region) == ("Shibuya-ku", "Tokyo")
    assert (contact.postal_code, contact.country) == ("150-0043", "Japan")


def test_further_phones_and_emails_are_extras():
    contact = parse_mecard("MECARD:N:X;TEL:1;TEL:2;TEL-AV:3;EMAIL:a@x.org;EMAIL:b@x.org;;")
    assert (contact.phone, contact.extra_phones) == ("1", ["2", "3"])
    assert (contact.email, contact.extra_emails) == ("a@x.org", ["b@x.org"])


def test_bizcard_from_a_real_qr_photo():
    payload = (DATA / "blackbox_qrcode-2" / "7.txt").read_text("utf-8")
    contact = parse_bizcard(payload)
    assert (contact.given_name, contact.family_name) == ("Todd", "Ogasawara")
    assert (contact.title, contact.company) == ("Tech Geek", "MobileViews.com")
    assert (contact.street, contact.email) == ("MobileTown USA", "editor@mobileviews.com")


def test_bizcard_phone_mobile_and_fax():
    contact = parse_bizcard("BIZCARD:N:A;X:B;B:+1 111;M:+1 222;F:+1 333;;")
    assert (contact.phone, contact.mobile, contact.extra_phones) == ("+1 111", "+1 222", ["+1 333"])


def test_au_memory_card():
    payload = "MEMORY:met at booth\r\nNAME1:Sean\r\nNAME2:ショーン\r\nTEL1:+1212\r\nTEL2:+1313\r\n"
    contact = parse_au_memory(payload + "MAIL1:s@example.org\r\nADD:123 Main St\r\n")
    assert (contact.full_name, contact.name_reading) == ("Sean", "ショーン")
    assert (contact.phone, contact.extra_phones) == ("+1212", ["+1313"])
    assert (contact.email, contact.street, contact.notes) == (
        "s@example.org",
        "123 Main St",
        "met at booth",
    )


def test_not_a_card_returns_none():
    assert parse_mecard("N:Sean Owen;TEL:+12125551212;;") is None
    assert parse_bizcard("MECARD:N:x;;") is None
    assert parse_au_memory("NAME1:Sean\r\nTEL1:1") is None


def test_split_keeps_escapes_for_later():
    assert split_unescaped(r"a\;b;c\\;d", ";") == [r"a\;b", r"c\\", "d"]


def test_regression_rows_cover_every_non_vcard_address_book_test():
    lines = (DATA / "zxing_result_parser_test_payloads.jsonl").read_text("utf-8").splitlines()
    upstream = [json.loads(line) for line in lines]
    wanted = ("testAddressBook", "testBizcard", "testSeveralAddresses")
    payloads = {r["payload"] for r in upstream if r["test"].startswith(wanted)}
    # Only a MECARD body without its prefix is left out: ZXing and leadcap both refuse it.
    left_out = payloads - {row["payload"] for row in ADDRESS_BOOK_ROWS}
    assert left_out == {"N:Sean Owen;TEL:+12125551212;;"}
