"""The one text-decoding helper for scans, vCard values, photos and attendee lists."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcap.intake.parse import decode_payload
from leadcap.intake.parse.decoding import codec_for, decode_document, decode_short


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        ("山田".encode(), None, ("山田", "utf-8")),
        ("髙橋①".encode("cp932"), None, ("髙橋①", "cp932")),
        ("山田".encode("cp932"), "Shift_JIS", ("山田", "cp932")),
        (b"\xfd\xfe", None, ("ýþ", "latin-1")),  # cp932 would give private-use characters
        ("Jäger".encode("cp1252"), "windows-1252", ("Jäger", "windows-1252")),
    ],
)
def test_decode_short(data, declared, expected):
    assert decode_short(data, declared) == expected


@pytest.mark.parametrize("name", ["SHIFT_JIS", "sjis", "Windows-31J", '"MS932"'])
def test_every_shift_jis_spelling_is_cp932(name):
    assert codec_for(name) == "cp932"


@given(st.binary(max_size=200))
def test_short_decoding_never_raises(data):
    assert isinstance(decode_short(data)[0], str) and isinstance(decode_payload(data), str)


@pytest.mark.parametrize(
    ("text", "codec", "certain"),
    [
        ("Name;Firma\nJäger;Müller & Söhne\n", "cp1252", True),
        ("氏名,会社\n山田 太郎,山田製作所\n", "cp932", True),
        ("Name\n山田\n", "cp932", False),  # four bytes that cp1252 reads too
    ],
)
def test_decode_document_detects_the_code_page(text, codec, certain):
    decoded = decode_document(text.encode(codec))
    assert (decoded.text, decoded.encoding, decoded.certain) == (text, codec, certain)


def test_decode_document_bom_and_override():
    assert decode_document("\ufeffJäger".encode()).text == "Jäger"
    assert decode_document("Jäger".encode("cp1252"), "cp1252").certain
    with pytest.raises(ValueError, match="not valid utf-8"):
        decode_document("Jäger".encode("cp1252"), "utf-8")
