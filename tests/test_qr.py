"""QR codes leadcap draws decode (zxing-cpp) to exactly the payload meant, and act as meant."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from leadcap.errors import LeadcapError, UsageError
from leadcap.intake import capture
from leadcap.intake.parse import DEFAULT_BADGE_PATTERN, parse_payload
from leadcap.intake.parse.vcard import parse_vcard
from leadcap.intake.photo import decode_image, decode_images
from leadcap.output import badges as badges_core
from leadcap.output import qr
from leadcap.store import leads

CARD = {
    "name": "Anna Schmidt",
    "name-ja": "アンナ・シュミット",
    "company": "German Pavilion",
    "company-ja": "ドイツ・パビリオン",
    "email": "booth@example.de",
    "phone": "+49 30 1234567",
}
TAGS = ["AI", "Materials", "Sensors"]
EXPECTED_COMMANDS = {
    "LEADCAP:TAG:AI", "LEADCAP:TAG:Materials", "LEADCAP:TAG:Sensors",
    "LEADCAP:RATE:hot", "LEADCAP:RATE:warm", "LEADCAP:RATE:cold",
    "LEADCAP:CONSENT:followup", "LEADCAP:CONSENT:marketing", "LEADCAP:CONSENT:share",
    "LEADCAP:UNDO",
}  # fmt: skip
CELL = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}


def terminal_png(text: str, path: Path, scale: int = 8) -> Path:
    """Half-block text back to an image: each character is one module wide, two tall."""
    from PIL import Image

    lines = [line for line in text.splitlines() if line and set(line) <= set(CELL)]
    rows = [[CELL[c][half] for c in line] for line in lines for half in (0, 1)]
    image = Image.new("L", (len(rows[0]), len(rows)), 255)
    image.putdata([0 if dark else 255 for row in rows for dark in row])
    image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST).save(path)
    return path


def only_text(path: Path) -> str:
    [code] = decode_image(path).codes
    return code.text


def test_card_png_decodes_to_the_vcard_and_parses_back(tmp_path):
    payload = qr.card_vcard(CARD)
    qr.save_code(payload, tmp_path / "card.png")
    [code] = decode_image(tmp_path / "card.png").codes
    assert code.text == payload
    [contact] = parse_vcard(code.payload)
    assert (contact.given_name, contact.family_name) == ("Anna", "Schmidt")
    assert (contact.company, contact.email, contact.phone) == (
        "German Pavilion", "booth@example.de", "+49 30 1234567"
    )  # fmt: skip
    assert contact.notes == "氏名: アンナ・シュミット\n会社: ドイツ・パビリオン"


def test_card_with_only_a_japanese_name_is_family_first():
    [contact] = parse_vcard(qr.card_vcard({"name-ja": "山田 太郎", "company-ja": "山田商事"}))
    assert (contact.family_name, contact.given_name, contact.full_name) == (
        "山田", "太郎", "山田 太郎"
    )  # fmt: skip
    assert contact.company == "山田商事" and contact.notes is None


def test_card_values_with_commas_and_semicolons_round_trip():
    [contact] = parse_vcard(qr.card_vcard({"company": "Müller, Weber; Söhne GmbH"}))
    assert contact.company == "Müller, Weber; Söhne GmbH"
    assert contact.full_name == "Müller, Weber; Söhne GmbH"


def test_card_svg_is_a_vector_image(tmp_path):
    qr.save_code(qr.card_vcard(CARD), tmp_path / "card.svg")
    root = ElementTree.parse(tmp_path / "card.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("width").endswith("mm")
    assert root.find("{http://www.w3.org/2000/svg}path").get("d").startswith("M4,4")


def test_no_card_details_names_the_setting():
    with pytest.raises(LeadcapError, match="leadcap config set my-card.name"):
        qr.card_details({"my-card.name": "  ", "card.name": "Booth"}, "my-card.")


def test_terminal_drawing_decodes(tmp_path):
    payload = qr.card_vcard(CARD)
    lines = qr.terminal_lines(qr.qr_matrix(payload, error_correction="L"))
    assert lines[0].strip() == lines[1].strip() == ""  # 4 modules of quiet zone above
    assert only_text(terminal_png("\n".join(lines), tmp_path / "t.png")) == payload


@pytest.mark.parametrize("name", ["card.txt", "card.jpg", "card"])
def test_unsupported_code_file_is_a_usage_error(tmp_path, name):
    with pytest.raises(UsageError, match=r"\.png or \.svg"):
        qr.save_code("x", tmp_path / name)


# -- the command sheet --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sheet_codes(tmp_path_factory) -> list[str]:
    path = tmp_path_factory.mktemp("sheet") / "sheet.png"
    result = qr.save_sheet(qr.command_items(TAGS), path, "nano tech 2027")
    assert result.pages == 1 and result.min_code_mm >= qr.MIN_CODE_MM
    return [code.text for code in decode_image(path).codes]


def test_command_sheet_holds_exactly_the_command_codes(sheet_codes):
    assert len(sheet_codes) == len(EXPECTED_COMMANDS)
    assert set(sheet_codes) == EXPECTED_COMMANDS


@pytest.mark.parametrize(
    ("payload", "field", "expected"),
    [
        ("LEADCAP:RATE:hot", "rating", "hot"),
        ("LEADCAP:TAG:Sensors", "tags", ["Sensors"]),
        ("LEADCAP:CONSENT:marketing", "consent", {"marketing": "granted"}),
    ],
)
def test_scanned_command_code_qualifies_the_last_lead(store, sheet_codes, payload, field, expected):
    [decoded] = [code for code in sheet_codes if code == payload]
    lead = capture.capture(store, "NT27-000001").lead
    outcome = capture.capture(store, decoded, last_lead=lead)
    assert outcome.kind == "command"
    value = leads.get_lead(store, lead["id"])[field]
    assert value == expected if field != "consent" else value.items() >= expected.items()


def test_scanned_undo_code_takes_back_the_rating(store, sheet_codes):
    lead = capture.capture(store, "NT27-000001").lead
    capture.capture(store, "LEADCAP:RATE:cold", last_lead=lead)
    [undo] = [code for code in sheet_codes if code.endswith("UNDO")]
    assert capture.capture(store, undo, last_lead=lead).kind == "command"  # the lead shown
    assert leads.get_lead(store, lead["id"])["rating"] is None


def test_many_tags_fill_several_pages_all_decoding(tmp_path):
    tags = [f"Interest area {n}" for n in range(1, 31)]
    result = qr.save_sheet(qr.command_items(tags), tmp_path / "sheet.png", "Event")
    assert [p.name for p in result.paths] == ["sheet.png", "sheet-2.png", "sheet-3.png"]
    found = {code.text for page in decode_images(result.paths) for code in page.codes}
    assert found == {item.payload for item in qr.command_items(tags)}
    assert result.min_code_mm >= qr.MIN_CODE_MM


def test_without_a_japanese_font_the_sheet_says_so_and_still_decodes(tmp_path, monkeypatch):
    monkeypatch.setattr(qr, "find_cjk_font", lambda: None)
    result = qr.save_sheet(qr.command_items(TAGS), tmp_path / "sheet.png", "Event")
    assert result.warnings == [qr.NO_CJK_FONT]
    assert {code.text for code in decode_image(result.paths[0]).codes} == EXPECTED_COMMANDS


def test_pdf_sheet_has_one_a4_page_per_sheet(tmp_path):
    result = qr.save_sheet(qr.command_items(TAGS), tmp_path / "sheet.pdf", "Event")
    data = (tmp_path / "sheet.pdf").read_bytes()
    assert data.startswith(b"%PDF") and result.pages == 1
    # A4 at 150 dpi: 1240 x 1754 pixels are 595.2 x 841.92 points.
    assert re.search(rb"/MediaBox \[ 0 0 595\.2\d* 841\.9\d* \]", data)


def test_html_sheet_embeds_decodable_codes(tmp_path):
    qr.save_sheet(qr.command_items(TAGS), tmp_path / "sheet.html", "Event")
    page = (tmp_path / "sheet.html").read_text(encoding="utf-8")
    assert "size: A4" in page and "Heiß / Hot" in page and "ホット" in page
    found = set()
    for number, data in enumerate(re.findall(r"base64,([A-Za-z0-9+/=]+)", page)):
        (tmp_path / f"{number}.png").write_bytes(base64.b64decode(data))
        found.add(only_text(tmp_path / f"{number}.png"))
    assert found == EXPECTED_COMMANDS


# -- test badges ------------------------------------------------------------------------------


@pytest.mark.parametrize("japanese", [False, True])
@pytest.mark.parametrize("badge_format", ["vcard", "mecard", "id"])
def test_badge_pngs_decode_and_parse(tmp_path, badge_format, japanese):
    badges = badges_core.sample_badges(3, japanese=japanese)
    paths = badges_core.save_badge_pngs(badges, badge_format, tmp_path / "badges")
    for badge, path in zip(badges, paths, strict=True):
        [code] = decode_image(path).codes
        result = parse_payload(code.payload)
        [contact] = result.contacts
        if badge_format == "id":
            assert (result.source, contact.badge_id) == ("badge", badge.badge_id)
            continue
        assert result.source == badge_format
        assert (contact.family_name, contact.given_name) == (badge.family_name, badge.given_name)
        assert (contact.company, contact.email) == (badge.company, badge.email)


def test_japanese_badge_names_and_readings_round_trip(tmp_path):
    [badge] = badges_core.sample_badges(1, japanese=True)
    badges_core.save_badge_pngs([badge], "vcard", tmp_path)
    [code] = decode_image(tmp_path / "badge-001.png").codes
    [contact] = parse_payload(code.payload).contacts
    assert contact.full_name == "中村 翔太" == badge.full_name
    assert contact.name_reading == "ナカムラ ショウタ"
    assert contact.badge_id == "NT27-000001"


def test_sample_badges_are_the_same_for_the_same_seed():
    assert badges_core.sample_badges(5) == badges_core.sample_badges(5)
    assert badges_core.sample_badges(5) != badges_core.sample_badges(5, seed=1)


def test_badge_ids_look_like_bare_badge_ids():
    ids = [b.badge_id for b in badges_core.sample_badges(12)]
    assert ids[0] == "NT27-000001" and ids[-1] == "NT27-000012"
    assert all(re.match(DEFAULT_BADGE_PATTERN, badge_id) for badge_id in ids)


def test_booth_card_with_only_a_company_is_an_organisation():
    payload = qr.card_vcard({"company": "German Pavilion"})
    assert "N:Pavilion;German" not in payload
    assert "FN:German Pavilion\r\n" in payload and "X-ABShowAs:COMPANY\r\n" in payload


def test_booth_card_and_export_share_one_writer():
    from leadcap.export.vcard import card_text

    details = {"name": "Anna Schmidt", "company": "Müller, Weber; Söhne GmbH " * 4}
    card = {"family_name": "Schmidt", "given_name": "Anna", "full_name": "Anna Schmidt",
            "company": details["company"].strip()}  # fmt: skip
    payload = qr.card_vcard({**details, "company": details["company"].strip()})
    assert payload == card_text(card)
    assert max(len(line.encode()) for line in payload.split("\r\n")) <= 75  # folded


def test_test_badges_use_the_export_badge_property():
    from leadcap.output.badges import sample_badges

    (badge,) = sample_badges(1)
    assert f"X-LEADCAP-BADGE:{badge.badge_id}\r\n" in badge.payload("vcard")


def test_without_a_japanese_font_every_code_keeps_a_number_and_a_latin_label():
    items = qr.command_items(["センサー", "AI ロボット"])
    labels = [qr.sheet_label(item, n, has_cjk=False) for n, item in enumerate(items, 1)]
    assert (labels[0].heading, labels[0].lines) == (["1.", "Interesse", "Interest"], ["code 1"])
    assert labels[1].lines == ["AI"]
    assert labels[2].heading[0] == "3." and labels[2].lines == ["Heiß / Hot"]
    assert all(not qr.model.JAPANESE_SCRIPT.search(" ".join(x.heading + x.lines)) for x in labels)


def test_with_a_japanese_font_labels_keep_their_japanese():
    (label,) = [
        qr.sheet_label(item, 1, has_cjk=True) for item in qr.command_items(["センサー"])[:1]
    ]
    assert label.lines == ["センサー"] and label.heading[0] == "1."


def test_a_japanese_title_loses_only_its_japanese_without_a_font():
    assert qr.latin_only("leadcap · ナノテク 2027") == "leadcap · 2027"
