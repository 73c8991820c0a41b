"""parse_payload: dispatch order, links, JSON, key=value, badge numbers, and never raising."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcap.intake.parse import DEFAULT_BADGE_PATTERN, SOURCES, parse_payload

DATA = Path(__file__).parent / "data" / "zxing"
ZXING_ROWS = [
    json.loads(line)
    for line in (DATA / "zxing-core-3.4.1_parse_output.jsonl").read_text("utf-8").splitlines()
]


def _rows(prefix: str, payload_pattern: str = "") -> list[dict]:
    return [
        row
        for row in ZXING_ROWS
        if row["zxing_3_4_1_parsed"].startswith(prefix)
        and re.match(payload_pattern, row["payload"])
    ]


def _emails(contact) -> list[str]:
    return [e for e in (contact.email, *contact.extra_emails) if e]


# --- regression against ZXing ----------------------------------------------------------------


@pytest.mark.parametrize("row", _rows("type=EMAIL_ADDRESS"), ids=lambda r: r["payload"][:40])
def test_email_links_match_zxing(row):
    contact = parse_payload(row["payload"]).contacts[0]
    match = re.search(r"to=(null|\[(.*?)\]) subj=(.*)$", row["zxing_3_4_1_parsed"])
    expected = [] if match[1] == "null" else match[2].split(", ")
    if row["payload"].startswith("mailto:?") and not expected:
        # Deliberate deviation: a mailto with only cc/bcc still names someone to follow up.
        assert contact.email == "srowen@example.org"
    else:
        assert _emails(contact) == expected
    if match[3] != "null":
        assert f"Subject: {match[3]}" in contact.notes


@pytest.mark.parametrize("row", _rows("type=URI", r"(?i)https?://"), ids=lambda r: r["payload"])
def test_web_addresses_zxing_accepts_become_the_website(row):
    result = parse_payload(row["payload"])
    assert (result.source, result.contacts[0].website) == ("url", row["payload"])


@pytest.mark.parametrize("row", _rows("type=TEXT", r"(?i)https?://"), ids=lambda r: r["payload"])
def test_web_addresses_zxing_refuses_are_not_the_website(row):
    result = parse_payload(row["payload"])
    assert result.contacts[0].website is None
    assert result.source == "unknown"
    assert "not used as website" in result.warnings[0]


@pytest.mark.parametrize("row", _rows("type=TEL"), ids=lambda r: r["payload"])
def test_tel_links_match_zxing(row):
    result = parse_payload(row["payload"])
    display = row["zxing_3_4_1_parsed"].removeprefix("type=TEL display=")
    assert (result.source, result.contacts[0].phone) == ("url", display)


# ZXing types leadcap does not turn into contacts (SMS, geo, calendar, bare domains, URLTO...)
# and plain text: they must stay unknown (all-digit product codes read as badge numbers).
NOT_CONTACTS = [
    row
    for row in ZXING_ROWS
    if not row["zxing_3_4_1_parsed"].startswith(("type=ADDRESSBOOK", "type=EMAIL", "type=TEL"))
    and not re.match(r"(?i)(https?://|MEBKM:)", row["payload"])
]


@pytest.mark.parametrize("row", NOT_CONTACTS, ids=lambda r: r["payload"][:40])
def test_other_zxing_payloads_give_no_contact(row):
    result = parse_payload(row["payload"])
    if row["payload"].isdigit():
        assert (result.source, result.contacts[0].badge_id) == ("badge", row["payload"])
    else:
        assert result.source == "unknown"
        assert result.contacts[0].is_empty()


def test_bookmark_from_a_real_qr_photo():
    result = parse_payload((DATA / "blackbox_qrcode-2" / "25.txt").read_text("utf-8"))
    assert (result.source, result.contacts[0].website) == ("url", "http://d.kaywa.com/2020400102")


# --- links -----------------------------------------------------------------------------------


def test_registration_url_with_badge_parameter():
    result = parse_payload("https://reg.example.com/b?id=XY-1234&e=2025\r\n")
    assert (result.source, result.contacts[0].badge_id) == ("badge", "XY-1234")
    assert result.contacts[0].website == "https://reg.example.com/b?id=XY-1234&e=2025"


def test_badge_url_params_are_configurable():
    url = "https://reg.example.com/?ticket=T-99&id=5"
    result = parse_payload(url, badge_url_params=("ticket",))
    assert result.contacts[0].badge_id == "T-99"


def test_mailto_with_subject_and_two_addresses():
    contact = parse_payload("mailto:a@example.org,b@example.org?subject=Brochure").contacts[0]
    assert (contact.email, contact.extra_emails) == ("a@example.org", ["b@example.org"])
    assert contact.notes == "Subject: Brochure"


def test_right_to_left_trick_is_kept_raw_with_a_warning():
    payload = "\u202ehttps://dylankatz.com/moc.elgoog.www//:sptth"
    result = parse_payload(payload)
    assert (result.raw, result.source) == (payload, "unknown")
    assert "right-to-left" in result.warnings[0]


# --- JSON and key=value ----------------------------------------------------------------------


def test_json_with_common_keys():
    payload = '{"badgeId": "NT26-1", "First_Name": "Taro", "lastName": "Yamada", "E-Mail": "t@x"}'
    contact = parse_payload(payload).contacts[0]
    assert contact.source == "json"
    assert (contact.badge_id, contact.given_name, contact.family_name) == (
        "NT26-1",
        "Taro",
        "Yamada",
    )
    assert contact.email == "t@x"


def test_nested_json():
    payload = json.dumps(
        {
            "event": {"id": "EXPO26"},
            "attendee": {
                "id": 4711,
                "name": {"first": "Anna", "last": "Berg"},
                "company": {"id": 9, "name": "ACME GmbH"},
                "address": {"city": "Köln", "zip": "50667"},
            },
        }
    )
    contact = parse_payload(payload).contacts[0]
    assert (contact.badge_id, contact.full_name) == ("4711", "Anna Berg")
    assert contact.company == "ACME GmbH"
    assert (contact.city, contact.postal_code) == ("Köln", "50667")


def test_json_list_gives_one_contact_per_object():
    result = parse_payload('[{"name": "A", "email": "a@x.org"}, {"name": "B", "id": "7"}]')
    assert [c.full_name for c in result.contacts] == ["A", "B"]


def test_json_without_contact_keys_is_unknown():
    assert parse_payload('{"zone": "Hall 3"}').source == "unknown"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("ID=NT26-0042|NAME=Yamada Taro|COMPANY=ACME", ("NT26-0042", "Yamada Taro", "ACME")),
        ("name=Anna+Berg&company=Smith+%26+Sons&email=a@b.de", (None, "Anna Berg", "Smith & Sons")),
        ("Name: Anna Berg; Firma: Müller & Söhne", (None, "Anna Berg", "Müller & Söhne")),
        ("badge=77812", ("77812", None, None)),
    ],
)
def test_key_value_payloads(payload, expected):
    result = parse_payload(payload)
    contact = result.contacts[0]
    assert result.source == "kv"
    assert (contact.badge_id, contact.full_name, contact.company) == expected


def test_one_unknown_key_is_not_enough_for_key_value():
    assert parse_payload("zone=Hall 3;name=Anna").source == "unknown"


# --- badge numbers and unknown payloads ------------------------------------------------------


@pytest.mark.parametrize("payload", ["123456", "A1B2C3", "NT26-004211", "  nt26-004211 \n"])
def test_bare_badge_numbers(payload):
    result = parse_payload(payload)
    assert (result.source, result.contacts[0].badge_id) == ("badge", payload.strip())


@pytest.mark.parametrize("payload", ["hello", "ABC", "A-1", "12 34", "-1234"])
def test_words_and_short_codes_are_not_badges(payload):
    assert not re.fullmatch(DEFAULT_BADGE_PATTERN, payload)
    assert parse_payload(payload).source == "unknown"


def test_custom_badge_pattern():
    assert parse_payload("hello", badge_pattern=r"[a-z]{5}").contacts[0].badge_id == "hello"
    result = parse_payload("hello", badge_pattern="(")
    assert result.source == "unknown"
    assert "not a valid regex" in result.warnings[0]


def test_garbage_is_kept_raw_with_a_warning():
    payload = "Da65cV1g^>%^f0bAbPn1CJB6lV7ZY8hs0Sm:DXU0cd]GyEeWBz8]bUHLB"
    result = parse_payload(payload)
    assert (result.raw, result.source, len(result.contacts)) == (payload, "unknown", 1)
    assert result.contacts[0].is_empty()
    assert result.warnings == ["format not recognised; kept as raw text"]


def test_raw_keeps_everything_but_one_trailing_line_end():
    assert parse_payload("  A1B2C3 \r\n\r\n").raw == "  A1B2C3 \r\n"


def test_undecodable_bytes_fall_back_to_latin1():
    result = parse_payload(b"\xff\xfe\x00A")
    assert result.raw == "\xff\xfe\x00A"


# --- vCards go to the vCard parser -----------------------------------------------------------


def test_vcard_is_dispatched_to_the_vcard_parser():
    result = parse_payload(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Sean Owen\r\nEND:VCARD\r\n")
    assert (result.source, result.contacts[0].full_name) == ("vcard", "Sean Owen")


def test_vcard_check_comes_before_key_value():
    result = parse_payload("BEGIN:VCARD\nN:Owen;Sean\nEMAIL:s@x.org\nTEL:1\nEND:VCARD")
    assert result.source == "vcard"


# --- properties ------------------------------------------------------------------------------


def _check_result(result) -> None:
    assert result.source in SOURCES
    assert len(result.contacts) >= 1
    assert all(c.source in SOURCES for c in result.contacts)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_parses_deterministically(text):
    result = parse_payload(text)
    _check_result(result)
    assert result.raw == re.sub(r"(\r\n|\r|\n)\Z", "", text)
    assert parse_payload(text) == result


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_any_bytes_parse(data):
    result = parse_payload(data)
    _check_result(result)
    assert isinstance(result.raw, str)
    assert parse_payload(data) == result


PREFIXES = ["MECARD:", "BIZCARD:", "MEMORY:", "MATMSG:", "mailto:", "https://", "{", "ID=", "tel:"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PREFIXES + ["MECARDÖ", "MECARD+", "`*", "ÜÄ"]), st.text())
def test_format_prefixes_with_any_tail_never_raise(prefix, tail):
    result = parse_payload(prefix + tail)
    _check_result(result)
    assert result.raw == re.sub(r"(\r\n|\r|\n)\Z", "", prefix + tail)


def test_latin1_bytes_that_are_not_japanese():
    assert parse_payload(b"NAME=M\xfcller|ID=NT26-1").contacts[0].full_name == "Müller"
