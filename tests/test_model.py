import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcap.store import model


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ﾔﾏﾀﾞ", "やまだ"),  # half-width katakana
        ("ヤマダ", "やまだ"),  # full-width katakana
        ("ＡＢＣ　１２３", "abc 123"),  # full-width Latin and digits
        ("Müller", "müller"),
        ("STRASSE", "strasse"),
    ],
)
def test_fold_makes_widths_and_scripts_match(text, expected):
    assert model.fold(text) == expected


@given(st.text())
def test_fold_is_idempotent(text):
    assert model.fold(model.fold(text)) == model.fold(text)


def test_widen_kana_composes_voiced_marks():
    assert model.widen_kana("ｱﾝﾄﾞｳ ﾛｲﾄﾞ") == "アンドウ ロイド"


def test_widen_kana_leaves_other_text_alone():
    assert model.widen_kana("ＡＢ やまだ") == "ＡＢ やまだ"


@pytest.mark.parametrize(
    ("phone", "region", "e164"),
    [("03-1234-5678", "JP", "+81312345678"), ("+49 30 1234567", None, "+49301234567")],
)
def test_phone_becomes_e164(phone, region, e164):
    assert model.normalise_phone(phone, region) == (e164, None)


def test_wrong_phone_is_reported_not_raised():
    e164, problem = model.normalise_phone("12", "JP")
    assert e164 is None and "12" in problem


@pytest.mark.parametrize("email", ["foo@bar", "foo bar@x.jp", "@example.com"])
def test_bad_email_is_reported(email):
    assert model.email_problem(email)


def test_email_normalised_lower_case():
    assert model.normalise_email(" Taro.Yamada@Example.JP ") == "taro.yamada@example.jp"


def test_display_name_is_family_first_for_japanese():
    assert model.display_name({"family_name": "山田", "given_name": "太郎"}) == "山田 太郎"
    assert model.display_name({"family_name": "Müller", "given_name": "Jan"}) == "Jan Müller"


def test_sort_key_prefers_reading():
    assert model.sort_key({"family_name": "山田", "name_reading": "ヤマダ"}) == "やまだ"


def test_search_text_holds_the_displayed_name_and_the_run_together_kanji():
    text = model.search_text({"family_name": "山田", "given_name": "太郎"}).split("\n")
    assert "山田 太郎" in text and "山田太郎" in text
    assert "jan müller" in model.search_text({"given_name": "Jan", "family_name": "Müller"})


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("JP", "JP"),
        ("jp", "JP"),
        ("日本", "JP"),
        ("中国", "CN"),
        ("韓国", "KR"),
        ("台湾", "TW"),
        ("Deutschland", "DE"),
        ("Allemagne", "DE"),
        ("Germany", "DE"),
        ("ｄｅｕｔｓｃｈｌａｎｄ", "DE"),
        ("Österreich", "AT"),
        ("UK", "GB"),
        ("日本 ", "JP"),
        ("Narnia", None),
        ("XQ", None),
        ("", None),
        (None, None),
    ],
)
def test_country_code_from_names_in_several_languages(written, code):
    assert model.country_code(written) == code
