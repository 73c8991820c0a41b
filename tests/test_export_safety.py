from __future__ import annotations

import pytest

from leadcap.export.safety import (
    clean_xml,
    is_safe_email,
    is_safe_url,
    neutralise,
    safe_filename,
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
