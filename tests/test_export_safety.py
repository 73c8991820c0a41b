from __future__ import annotations

import pytest

from leadcap.export.safety import (
    clean_xml,
    is_safe_email,
    is_safe_url,
    mailto_target,
    neutralise,
    safe_filename,
    url_target,
)


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        "+81 3 1234",
        "-2+3",
        "@SUM(1)",
        "\t=1",
        "\r=1",
        "\n=1",
        "  =1",
        "\u3000=1",
        "＝1",
        "＋1",
        "－1",
        "＠A",
    ],
)
def test_neutralise_prefixes_formula_starts(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["", "Müller GmbH", "山田", "a=b", "1-2", "'=already", "#N/A"])
def test_neutralise_leaves_plain_text(value):
    assert neutralise(value) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\x00b", "a\ufffdb"),
        ("tab\tnew\nline\r", "tab\tnew\nline\r"),
        ("\x1f\x0b", "\ufffd\ufffd"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("\ufffe\uffff", "\ufffd\ufffd"),
        ("emoji 😀 ok", "emoji 😀 ok"),
    ],
)
def test_clean_xml(text, expected):
    assert clean_xml(text) == expected


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.jp/a?b=c", True),
        ("HTTP://Example.DE", True),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
        ("https://", False),
        ("https://exa mple.com", False),
        ("https://example.com/\x00", False),
        ("www.example.com", False),
        ('https://x.com/"onmouseover', False),
        (None, False),
    ],
)
def test_is_safe_url(url, safe):
    assert is_safe_url(url) is safe


@pytest.mark.parametrize(
    ("addr", "safe"),
    [
        ("taro.yamada@example.co.jp", True),
        ("j.mueller+fair@firma.de", True),
        ("no at sign", False),
        ("a@b", False),
        ("a b@example.com", False),
        ("a@example.com?subject=x", False),
        ("a@example.com\r\nBcc: x@y.z", False),
        ("", False),
    ],
)
def test_is_safe_email(addr, safe):
    assert is_safe_email(addr) is safe


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("山田 太郎", "山田 太郎"),
        ("Müller/Schmidt: AI?", "Müller_Schmidt_ AI_"),
        ("..", "_"),
        ("CON", "_CON"),
        ("a\x00b", "a\ufffdb"),
    ],
)
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_cuts_on_character_boundary():
    name = safe_filename("展" * 100, max_bytes=10)
    assert name == "展" * 3


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://example.jp/a?b=c#d", "https://example.jp/a?b=c#d"),
        ("HTTP://Example.DE:8080/x", "http://example.de:8080/x"),
        ("https://bücher.de/straße?q=ä", "https://xn--bcher-kva.de/stra%C3%9Fe?q=%C3%A4"),
        ("https://例え.jp/資料", "https://xn--r8jz45g.jp/%E8%B3%87%E6%96%99"),
        ("https://example.com/a%20b", "https://example.com/a%20b"),
        ("https://example.com/%zz", None),
        ("https://example.com/a b", None),
        ("https://example.com/<x>", None),
        ("https://example.com/a^b", None),
        ("https://user@example.com/", None),
        ("javascript:alert(1)", None),
    ],
)
def test_url_target_makes_iris_uris_and_refuses_invalid(url, target):
    assert url_target(url) == target


@pytest.mark.parametrize(
    ("addr", "target"),
    [
        ("taro@example.co.jp", "mailto:taro@example.co.jp"),
        ("a#b@example.com", "mailto:a%23b@example.com"),
        ("100%sure@example.com", "mailto:100%25sure@example.com"),
        ("why?not@example.com", "mailto:why%3Fnot@example.com"),
        ("no at sign", None),
    ],
)
def test_mailto_target_percent_encodes(addr, target):
    assert mailto_target(addr) == target


@pytest.mark.parametrize(
    ("wanted", "title"),
    [
        ("😀" * 20, "😀" * 15),  # 2 UTF-16 units each: 15 fit in 31
        ("𠮷野家" + "あ" * 40, "𠮷野家" + "あ" * 27),  # 𠮷 is outside the BMP
        ("a" * 40, "a" * 31),
    ],
)
def test_sheet_names_fit_31_utf16_units(wanted, title):
    from leadcap.export.sheetxml import SheetNamer, utf16_units

    assert SheetNamer()(wanted) == title and utf16_units(title) <= 31
