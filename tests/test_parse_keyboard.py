"""Payloads typed by a US-configured scanner into a German or Japanese host layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import leadcap.intake.parse.keyboard
from leadcap.intake.parse import parse_payload
from leadcap.intake.parse.keyboard import detect_layout, repair

LAYOUTS_FILE = Path(leadcap.intake.parse.keyboard.__file__).with_name("keyboard_layouts.json")
EXAMPLES = json.loads(LAYOUTS_FILE.read_text("utf-8"))["examples"]
MECARD, URL, JSON = EXAMPLES
CASES = [(example, layout) for example in EXAMPLES for layout in ("de", "jp")]
CASE_IDS = [f"{e['sent'][:6]}-{layout}" for e, layout in CASES]


@pytest.mark.parametrize(("example", "layout"), CASES, ids=CASE_IDS)
def test_examples_are_detected(example, layout):
    assert detect_layout(example[f"{layout}_host_receives"]) == layout


@pytest.mark.parametrize(("example", "layout"), CASES, ids=CASE_IDS)
def test_examples_repair_to_what_was_sent(example, layout):
    repaired, _ = repair(example[f"{layout}_host_receives"], layout)
    assert repaired == example["sent"]


@pytest.mark.parametrize(
    ("example", "layout", "complete"),
    [(MECARD, "de", True), (MECARD, "jp", True), (URL, "de", False), (URL, "jp", True)],
)
def test_lost_dead_key_characters_make_the_repair_incomplete(example, layout, complete):
    assert repair(example[f"{layout}_host_receives"], layout)[1] is complete


@pytest.mark.parametrize("layout", ["de", "jp"])
def test_repaired_mecard_gives_the_contact(layout):
    result = parse_payload(MECARD[f"{layout}_host_receives"])
    contact = result.contacts[0]
    assert (result.source, result.keyboard_layout) == ("mecard", layout)
    assert (contact.family_name, contact.given_name) == ("Doe", "John")
    assert (contact.email, contact.phone) == ("john.doe@example.com", "+49-30-1234567")


@pytest.mark.parametrize("layout", ["de", "jp"])
def test_repaired_registration_url_gives_the_badge(layout):
    result = parse_payload(URL[f"{layout}_host_receives"])
    assert (result.source, result.contacts[0].badge_id) == ("badge", "XY-1234")
    assert result.contacts[0].website == URL["sent"]


@pytest.mark.parametrize("layout", ["de", "jp"])
def test_repaired_json_gives_the_badge(layout):
    result = parse_payload(JSON[f"{layout}_host_receives"])
    assert (result.source, result.contacts[0].badge_id) == ("json", "A1B2")


def test_warning_says_what_happened():
    assert parse_payload(MECARD["de_host_receives"]).warnings[0] == (
        "arrived through a US-configured scanner on a German keyboard layout; repaired"
    )
    assert "could not be fully repaired" in parse_payload(URL["de_host_receives"]).warnings[0]


def test_german_host_swaps_y_and_z():
    assert repair("ZamahaÖ yone", "de") == ("Yamaha: zone", True)


def test_japanese_tilde_is_ambiguous():
    # `)` and `+` both arrive as `~`: guessed from context, reported as incomplete.
    assert repair("TEL+~81 3", "jp") == ("TEL:+81 3", False)
    assert repair("a~", "jp") == ("a)", False)


def test_badge_number_with_hyphen_typed_on_german_host():
    result = parse_payload("NT26ß004211")
    assert (result.source, result.keyboard_layout) == ("badge", "de")
    assert result.contacts[0].badge_id == "NT26-004211"


@pytest.mark.parametrize(
    "payload",
    [
        "MECARD:N:Doe,John;;",
        "https://example.com/?id=1",
        '{"id": "A1B2"}',
        "Straße",
        "Müller+Söhne",
        "BEGIN:VCARD",
    ],
)
def test_correctly_typed_payloads_are_left_alone(payload):
    assert detect_layout(payload) is None


def test_layout_hint_repairs_a_payload_without_a_signature():
    # `ID=NT26-0042|NAME=Yamada` through a jp host: no tell-tale prefix, unknown as typed.
    received = "ID^NT26-0042}NAME^Yamada"
    assert parse_payload(received).source == "unknown"
    result = parse_payload(received, layout_hint="jp")
    assert (result.source, result.keyboard_layout) == ("kv", "jp")
    assert result.contacts[0].badge_id == "NT26-0042"


def test_layout_hint_does_not_touch_a_payload_that_parses():
    result = parse_payload("MECARD:N:Doe,John;;", layout_hint="de")
    assert result.keyboard_layout is None
    assert result.contacts[0].given_name == "John"
