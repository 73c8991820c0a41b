"""Photos of badges: ZXing's real QR photos, round trips through parse_payload, folders, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadcap.intake.parse import parse_payload
from leadcap.intake.photo import best_text, decode_images, payload_for_parser

DATA = Path(__file__).parent / "data" / "qr"
ZXING_PHOTOS = sorted((p.stem for p in DATA.glob("*.png")), key=int)
# 13's image says "photography of"; ZXing's expected text says "photograph of" (see SOURCES.md).
CANNOT_MATCH = {"13": "ZXing's 13.txt does not match its image (one letter less than 12.txt)"}
# 16 is a "double QR": a small code inside the big one; ZXing's expected text is the big one's.
ALSO_FOUND = {"16": ["[内側QRコード]\r\n\r\n*ダブルQR*\r\nhttp://d-qr.net/ex/"]}
FIELDS = ("family_name", "given_name", "name_reading", "company", "email")

MECARD = "MECARD:N:山田,太郎;SOUND:やまだ,たろう;ORG:株式会社テスト;EMAIL:taro@example.jp;;"
VCARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:山田;太郎;;;\r\nFN:山田 太郎\r\n"
    "X-PHONETIC-LAST-NAME:やまだ\r\nX-PHONETIC-FIRST-NAME:たろう\r\nORG:株式会社テスト\r\n"
    "EMAIL:taro@example.jp\r\nEND:VCARD\r\n"
)


def _expected(stem: str) -> str:
    # Bytes, not read_text(): universal newlines would turn the codes' CRLF into LF.
    return (DATA / f"{stem}.txt").read_bytes().decode("utf-8")


def _only_code(path: Path):
    [result] = decode_images([path])
    assert result.error is None
    [code] = result.codes
    return code


def _qr_png(tmp_path: Path, data: bytes, name: str = "qr.png") -> Path:
    import qrcode

    qr = qrcode.QRCode()
    qr.add_data(data)  # bytes: byte mode, no ECI, exactly as a badge printer would
    path = tmp_path / name
    qr.make_image().save(path)
    return path


def _zxing_png(tmp_path: Path, content: str | bytes, format_name: str) -> Path:
    import zxingcpp
    from PIL import Image

    barcode = zxingcpp.create_barcode(content, getattr(zxingcpp.BarcodeFormat, format_name))
    path = tmp_path / f"{format_name}.png"
    Image.fromarray(zxingcpp.write_barcode_to_image(barcode, scale=4)).save(path)
    return path


@pytest.mark.parametrize(
    "stem",
    [
        pytest.param(s, marks=pytest.mark.xfail(reason=CANNOT_MATCH[s], strict=True))
        if s in CANNOT_MATCH
        else s
        for s in ZXING_PHOTOS
    ],
)
def test_zxing_photo_decodes_to_expected_text(stem):
    [result] = decode_images([DATA / f"{stem}.png"])
    assert [code.text for code in result.codes] == [_expected(stem), *ALSO_FOUND.get(stem, [])]


def test_zxing_photos_include_the_japanese_cases():
    assert {"10", "16", "17", "18", "21", "24", "26", "27", "29", "30", "31"} <= set(ZXING_PHOTOS)


def test_shift_jis_photo_is_read_as_japanese():
    code = _only_code(DATA / "26.png")
    assert code.text.startswith("<ﾃﾞｻﾞｲﾝQR> \r\nｲﾗｽﾄ入りｶﾗｰQRｺｰﾄﾞ")
    assert code.raw.startswith("<ﾃﾞｻﾞｲﾝQR>".encode("cp932"))
    assert code.format == "QR Code"


def test_gb2312_photo_hands_text_to_the_parser():
    code = _only_code(DATA / "33.png")
    # The bytes alone would read as cp932 half-width katakana; zxing knows it is Hanzi mode.
    assert code.raw == b"\x01\x10AD:SUB:\xb0\xa2;;"
    assert code.payload == "\x01\x10AD:SUB:阿;;"


def test_mecard_photo_parses():
    contact = parse_payload(_only_code(DATA / "30.png").payload).contacts[0]
    assert (contact.source, contact.full_name) == ("mecard", "測試")


def test_vcard_photo_hands_bytes_to_the_parser():
    code = _only_code(DATA / "11.png")
    assert code.payload == code.raw
    contact = parse_payload(code.payload).contacts[0]
    assert (contact.family_name, contact.given_name) == ("Kennedy", "Steve")
    assert (contact.company, contact.email) == ("NetTek Ltd", "steve@nettek.co.uk")


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
@pytest.mark.parametrize("original", [MECARD, VCARD], ids=["mecard", "vcard3"])
def test_generated_qr_round_trips_to_the_same_contact(tmp_path, original, encoding):
    code = _only_code(_qr_png(tmp_path, original.encode(encoding)))
    assert code.text == original
    decoded = parse_payload(code.payload).contacts[0]
    direct = parse_payload(original).contacts[0]
    assert {f: getattr(decoded, f) for f in FIELDS} == {f: getattr(direct, f) for f in FIELDS}
    assert (direct.family_name, direct.name_reading) == ("山田", "やまだ たろう")


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_bytes_flagged_binary_are_read_as_japanese(tmp_path, encoding):
    # zxing-cpp marks bytes content as binary (ECI 899); read back, they are Latin-1 mojibake.
    code = _only_code(_zxing_png(tmp_path, MECARD.encode(encoding), "QRCode"))
    assert code.text == MECARD
    assert parse_payload(code.payload).contacts[0].company == "株式会社テスト"


@pytest.mark.parametrize(
    ("text", "raw", "expected"),
    [
        ("\x8eR\x93c", "山田".encode("cp932"), "山田"),
        ("å±±ç\x94°", "山田".encode(), "山田"),
        ("Détail", "Détail".encode("latin-1"), "Détail"),  # valid cp932 too, but no mojibake
        ("\x01\x10AD:SUB:阿;;", b"\x01\x10AD:SUB:\xb0\xa2;;", "\x01\x10AD:SUB:阿;;"),
    ],
)
def test_best_text_repairs_only_mojibake(text, raw, expected):
    assert best_text(text, raw) == expected


@pytest.mark.parametrize(
    ("text", "raw", "expected"),
    [
        ("BEGIN:VCARD\r\nN:山田\r\n", "BEGIN:VCARD\r\nN:山田\r\n".encode("cp932"), "bytes"),
        ("BEGIN:VCARD\r\nN:Wąs\r\n", "BEGIN:VCARD\r\nN:Wąs\r\n".encode("iso-8859-2"), "text"),
        ("BEGIN:VCARD\r\nN;CHARSET=ISO-8859-2:Nowak\r\n", b"-", "bytes"),
        ("MECARD:N:山田;;", "MECARD:N:山田;;".encode("cp932"), "text"),
    ],
)
def test_payload_for_parser_prefers_bytes_for_vcards_that_read_the_same(text, raw, expected):
    assert payload_for_parser(text, raw) == (raw if expected == "bytes" else text)


@pytest.mark.parametrize(
    ("format_name", "expected"),
    [("Code128", "Code 128"), ("DataMatrix", "Data Matrix"), ("PDF417", "PDF417")],
)
def test_badge_id_barcode_round_trips(tmp_path, format_name, expected):
    code = _only_code(_zxing_png(tmp_path, "EXPO-2026-004711", format_name))
    assert (code.text, code.format) == ("EXPO-2026-004711", expected)
    assert parse_payload(code.payload).contacts[0].badge_id == "EXPO-2026-004711"


def test_folder_gives_image_files_in_name_order(tmp_path):
    from PIL import Image

    _qr_png(tmp_path, b"EXPO-0001", "a_badge.PNG")
    (tmp_path / "b_notes.jpg").write_text("not a photo")
    Image.new("RGB", (300, 200), "white").save(tmp_path / "c_blank.jpg")
    (tmp_path / "notes.txt").write_text("ignored: not an image suffix")
    (tmp_path / "._a_badge.PNG").write_bytes(b"\x00\x05\x16\x07")  # macOS metadata file
    results = decode_images([tmp_path])
    assert [r.path.name for r in results] == ["a_badge.PNG", "b_notes.jpg", "c_blank.jpg"]
    assert [r.error for r in results] == [None, "not an image", None]
    assert [[c.text for c in r.codes] for r in results] == [["EXPO-0001"], [], []]


def test_missing_file_and_empty_folder_are_errors_not_exceptions(tmp_path):
    (tmp_path / "empty").mkdir()
    results = decode_images([tmp_path / "gone.jpg", tmp_path / "empty"])
    assert [(r.path.name, r.error) for r in results] == [
        ("gone.jpg", "cannot read (no such file)"),
        ("empty", "no image files in this folder"),
    ]


def test_truncated_photo_cannot_be_read(tmp_path):
    whole = _qr_png(tmp_path, b"EXPO-0001").read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    [result] = decode_images([tmp_path / "cut.png"])
    assert result.error.startswith("cannot read (") and result.codes == []


def test_code_on_transparent_background_is_found(tmp_path):
    import qrcode
    from PIL import Image

    qr = qrcode.QRCode(box_size=6)
    qr.add_data(b"EXPO-0002")
    modules = qr.make_image().convert("L").point(lambda v: 255 - v)
    clear = Image.new("RGBA", modules.size, (0, 0, 0, 0))  # black everywhere, as badge tools export
    clear.putalpha(modules)  # only the modules are opaque
    clear.save(tmp_path / "clear.png")
    assert _only_code(tmp_path / "clear.png").text == "EXPO-0002"


@pytest.mark.parametrize("stem", ["12", "28"])  # a code over an aerial photo; one on a rice cracker
def test_hard_zxing_photos_need_the_second_pass(stem):
    import zxingcpp
    from PIL import Image

    assert zxingcpp.read_barcodes(Image.open(DATA / f"{stem}.png").convert("L")) == []
    assert _only_code(DATA / f"{stem}.png").text == _expected(stem)


def test_second_pass_gives_corners_in_the_photo_pixels(tmp_path):
    from PIL import Image, ImageFilter

    qr = Image.open(_qr_png(tmp_path, b"EXPO-0003")).convert("L")
    badge = qr.point(lambda v: 128 + v * 16 // 255)  # faint print
    photo = Image.new("L", (2400, 1800), 140)
    photo.paste(badge, (1000, 700))
    photo.filter(ImageFilter.GaussianBlur(2)).save(tmp_path / "grey.jpg", quality=90)
    code = _only_code(tmp_path / "grey.jpg")
    assert code.text == "EXPO-0003"
    top_left, _, bottom_right, _ = code.position
    assert 1000 < top_left[0] < bottom_right[0] < 1000 + badge.width
    assert 700 < top_left[1] < bottom_right[1] < 700 + badge.height
