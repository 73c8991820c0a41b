"""vCard parser against real exporter output (AOSP, ez-vcard, vobject, RFCs, ZXing)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcap.intake.parse.contact import ParsedContact
from leadcap.intake.parse.vcard import looks_like_vcard, parse_vcard

DATA = Path(__file__).parent / "data" / "vcard"
ALL_FILES = sorted(
    p for p in DATA.rglob("*") if p.suffix in (".vcf", ".txt") and "license" not in p.name
)
ZXING_JSONL = DATA / "zxing" / "zxing_result_parser_test_payloads.jsonl"
ZXING_PAYLOADS = {
    json.loads(line)["payload"] for line in ZXING_JSONL.read_text("utf-8").splitlines()
}
# Cards holding only IM handles or custom Android rows: nothing a lead has a column for.
NO_CONTACT_FIELDS = {"v21_android_custom_prop.vcf", "v21_im.vcf"}


def one_card(path: str) -> ParsedContact:
    contacts = parse_vcard((DATA / path).read_bytes())
    assert len(contacts) == 1
    return contacts[0]


def test_v21_shift_jis_name_reading_and_qp_address():
    contact = one_card("android_vcard/v21_japanese_2.vcf")
    assert (contact.family_name, contact.given_name) == ("安藤", "ロイド1")
    assert contact.full_name == "安藤 ロイド 1"
    assert contact.name_reading == "ｱﾝﾄﾞｳ ﾛｲﾄﾞ1"  # SOUND;X-IRMC-N, half-width kept
    assert contact.street == "東京都渋谷区桜丘町26-1セルリアンタワー6階"
    assert contact.postal_code == "150-8512"
    assert contact.notes == "メモ"
    assert contact.warnings == []


@pytest.mark.parametrize(
    "path", ["android_vcard/v21_japanese_3.vcf", "android_vcard/v30_japanese.vcf"]
)
def test_cp932_trail_byte_0x5c_is_not_a_backslash(path):
    contact = one_card(path)
    assert (contact.family_name, contact.given_name) == ("伊能", "圭一")
    assert contact.full_name == "伊能 圭一 伊予"


def test_sound_without_separators_is_kept_whole():
    contact = one_card("android_vcard/v21_japanese_1.vcf")
    assert contact.family_name == contact.full_name == "安藤ロイド"
    assert contact.name_reading == "ｱﾝﾄﾞｳﾛｲﾄﾞ"
    assert contact.phone == "0300000000"


def test_several_cards_become_several_contacts():
    contacts = parse_vcard((DATA / "android_vcard/v21_multiple_entry.vcf").read_bytes())
    assert [c.family_name for c in contacts] == ["安藤ロイド3", "安藤ロイド4", "安藤ロイド5"]
    assert contacts[2].name_reading == "ｱﾝﾄﾞｳﾛｲﾄﾞ5"
    assert contacts[0].phone == "9" and contacts[0].extra_phones == ["10", "11", "12"]
    assert all(c.source == "vcard" for c in contacts)


def test_v40_sort_as_gives_the_reading():
    contact = one_card("android_vcard/v40_sort_as.vcf")
    assert contact.full_name == "安藤 ロイド"
    assert contact.name_reading == "あんどう ろいど"
    assert (contact.company, contact.department) == ("グーグル", "検索部門")


def test_gmail_phonetic_names_and_30_escapes():
    contact = one_card("ez-vcard/John_Doe_GMAIL.vcf")
    assert contact.name_reading == "Dow Jon"  # family first
    assert contact.full_name == "Mr. John Richter, James Doe Sr."
    assert contact.website == "http://www.ibm.com"  # `http\://`
    assert (contact.mobile, contact.phone) == ("905-555-1234", "905-666-1234")
    assert contact.street.startswith("Crescent moon drive\n555-asd\nNice Area, Albaney")
    assert contact.notes.endswith("POSSIBILITY OF SUCH DAMAGE.\nFavotire Color: Blue")


def test_sort_string_is_the_reading_of_last_resort():
    contact = one_card("android_vcard/v30_simple.vcf")
    assert contact.name_reading == "android"
    assert (contact.company, contact.department) == ("Open", "Handset Alliance")


@pytest.mark.parametrize(
    ("lines", "reading"),
    [
        (
            "SORT-STRING:sort\r\nX-PHONETIC-FIRST-NAME:Taro\r\nX-PHONETIC-LAST-NAME:Yamada",
            "Yamada Taro",
        ),
        ("SOUND;X-IRMC-N:ﾔﾏﾀﾞ;ﾀﾛｳ\r\nX-PHONETIC-FIRST-NAME:Taro", "Taro"),
        ('N;SORT-AS="やまだ,たろう":山田;太郎;;;\r\nSOUND;X-IRMC-N:ﾔﾏﾀﾞ;ﾀﾛｳ;;;', "ﾔﾏﾀﾞ ﾀﾛｳ"),
        ('SORT-STRING:yamada\r\nN;SORT-AS="やまだ,たろう":山田;太郎;;;', "やまだ たろう"),
    ],
)
def test_reading_priority(lines, reading):
    [contact] = parse_vcard(f"BEGIN:VCARD\r\nVERSION:4.0\r\n{lines}\r\nEND:VCARD\r\n")
    assert contact.name_reading == reading


def test_rfc6868_caret_escapes_in_parameters():
    payload = "BEGIN:VCARD\nVERSION:4.0\nN;SORT-AS=\"O^'Hara^^s,Kim\":O'Hara;Kim;;;\nEND:VCARD"
    [contact] = parse_vcard(payload)
    assert contact.name_reading == 'O"Hara^s Kim'
    assert contact.full_name == "Kim O'Hara"


def test_v21_backslash_rules_follow_aosp():
    contact = one_card("android_vcard/v21_backslash.vcf")
    assert contact.family_name is None
    assert contact.given_name == "A;B\\"
    assert contact.full_name == "A;B\\C\\;D:E\\\\"  # 2.1 text values are not unescaped


def test_outlook_2007_multiline_quoted_printable_note():
    contact = one_card("ez-vcard/outlook-2007.vcf")
    assert contact.notes == (
        "This is the NOTE field\t\r\nI assume it encodes this text inside a NOTE vCard type.\r\n"
        "But I'm not sure because there's text formatting going on here.\r\n"
        "It does not preserve the formatting"
    )
    assert (contact.phone, contact.mobile) == ("(111) 555-1111", "(111) 555-4444")
    assert contact.extra_phones == ["(111) 555-2222", "(111) 555-3333"]


def test_comment_lines_are_ignored_but_qp_continuations_are_not():
    contact = one_card("android_vcard/v21_invalid_comment_line.vcf")
    assert contact.notes == (
        "This is an (sharp ->#<- sharp) example. This message must NOT be ignored."
    )
    assert contact.full_name == "Conference Call"


def test_complicated_v21_card_skips_photo():
    contact = one_card("android_vcard/v21_complicated.vcf")
    assert (contact.family_name, contact.given_name, contact.full_name) == (
        "Gump", "Forrest", "Joe Due"
    )  # fmt: skip
    assert contact.department == "Sales Dept.;Manager Fish keeper"
    assert contact.notes.endswith(
        "Now's the time for all folk to come to the aid of their country."
    )
    assert (contact.phone, contact.mobile) == ("(111) 555-1212", "0311111111")
    assert contact.email == "forrestgump@walladalla.com"
    assert contact.extra_emails == ["cell@example.com"]


def test_group_prefixes_and_lower_case_names():
    contact = one_card("vobject/vcard_with_groups.vcf")
    assert (contact.family_name, contact.given_name) == ("Berger", "Meister")
    assert contact.title == "Mayor"
    assert contact.email == "mb@goerlitz.de"
    assert contact.notes == (
        "The Mayor of the great city of Goerlitz in the great country of Germany.\nNext line."
    )
    assert contact.extra_phones == ["+49 3581 123456"]  # home.tel;type=fax


def test_ios_cr_cr_lf_lines_and_item_groups():
    contact = one_card("android_vcard/v30_ios_613_multiline.vcf")
    assert contact.email == "bob@smithauto.com"  # item1.EMAIL
    assert contact.website == "www.smithauto.com"  # item2.URL
    assert contact.mobile == "(650) 555-1212"
    assert contact.company == "Smith Auto Repair"


def test_v21_backslash_line_continuation_in_adr():
    data = (DATA / "android_vcard/v21_adr_multiple_line.vcf").read_bytes()
    # The file's first ADR would win; drop it to look at the continued one.
    data = data.replace(b"ADR;HOME:;;Grindelberg 999;Hamburg;;99999;Deutschland\r\n", b"")
    [contact] = parse_vcard(data)
    assert contact.street == "Hermann v. Brevern\n9999999\nPackstation 999"
    assert (contact.city, contact.postal_code) == ("Hamburg", "99999")


def test_android_export_with_qp_soft_breaks():
    contacts = parse_vcard((DATA / "ez-vcard/John_Doe_ANDROID.vcf").read_bytes())
    assert len(contacts) == 6
    assert [c.email for c in contacts[:2]] == ["john.doe@company.com", "jane.doe@company.com"]
    assert contacts[3].full_name == " ".join(["Ñ"] * 11)
    assert (contacts[3].mobile, contacts[3].phone) == ("123456", "234567")
    assert contacts[5].company == "Ñ" * 44


def test_rfc2426_example_two_cards_mixed_case_begin():
    contacts = parse_vcard((DATA / "ez-vcard/rfc2426-example.vcf").read_bytes())
    assert [c.full_name for c in contacts] == ["Frank Dawson", "Tim Howes"]
    frank = contacts[0]
    assert frank.email == "Frank_Dawson@Lotus.com"
    assert frank.extra_emails == ["fdawson@earthlink.net"]
    assert (frank.phone, frank.extra_phones) == ("+1-919-676-9515", ["+1-919-676-9564"])
    assert (frank.street, frank.city, frank.postal_code) == (
        "6544 Battleford Drive", "Raleigh", "27613-3502"
    )  # fmt: skip


def test_rfc6350_tel_uris_and_quoted_type_lists():
    contact = one_card("rfc/rfc6350-8-example-simon-perreault.vcf")
    assert contact.phone == "+1-418-656-9254;ext=102"
    assert contact.mobile == "+1-418-262-6501"  # TYPE="work,cell,voice,video,text"
    assert (contact.street, contact.city, contact.country) == (
        "2875 Laurier Suite D2-630", "Quebec", "Canada"
    )  # fmt: skip


def test_pref_picks_phone_and_email():
    contact = one_card("android_vcard/v21_pref_handling.vcf")
    assert (contact.phone, contact.extra_phones) == ("2", ["1", "3"])
    assert (contact.company, contact.title) == ("Company", "Engineer")


def test_quoted_parameter_may_contain_a_colon():
    contact = one_card("android_vcard/v30_comma_separated.vcf")
    assert (contact.family_name, contact.phone) == ("F", "1")


def test_work_address_beats_the_first_one():
    contact = one_card("ez-vcard/fullcontact.vcf")
    assert (contact.street, contact.city) == ("WorkStreet WorkExtended", "WorkCity")
    assert contact.mobile == "555-555-1113"


def test_issue114_caret_encoded_label_does_not_break_the_card():
    contact = one_card("ez-vcard/issue114.vcf")
    assert (contact.full_name, contact.company) == ("Dummy, Dummy", "Dummy GmbH")
    assert (contact.mobile, contact.phone) == ("+49 1234 56789", "+49 9876 54321")
    assert (contact.city, contact.postal_code, contact.country) == (
        "Bad Homburg", "61352", "Germany"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Owen;Sean;T;Mr.;Esq.\r\nEND:VCARD",
            {"full_name": "Sean Owen"},
        ),
        ("BEGIN:VCARD\r\nVERSION:2.1\r\nN:;Sean;;;\r\nEND:VCARD", {"full_name": "Sean"}),
        (
            "begin:vcard\r\nadr;HOME:123 Main St\r\nVersion:2.1\r\nn:Owen;Sean\r\nEND:VCARD",
            {"family_name": "Owen", "street": "123 Main St"},
        ),
        (
            "BEGIN:VCARD\r\nADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;=38=38=20=4C=79=6E="
            "62=72=6F=6F=6B=0D=0A=43=\r\n=4F=20=36=39=39=\r\n=39=39;;;\r\nEND:VCARD",
            {"street": "88 Lynbrook\r\nCO 69999"},
        ),
        ("BEGIN:VCARD\r\nNOTE:foo\\nbar\r\nEND:VCARD", {"notes": "foo\nbar"}),
        ("BEGIN:VCARD\r\nNOTE:foo\\;bar\r\nEND:VCARD", {"notes": "foo;bar"}),
        ("BEGIN:VCARD\r\nNOTE:foo\\\\bar\r\nEND:VCARD", {"notes": "foo\\bar"}),
        ("BEGIN:VCARD\r\nNOTE:foo\\,bar\r\nEND:VCARD", {"notes": "foo,bar"}),
        (
            "BEGIN:VCARD\r\nTEL;VALUE=uri:tel:+1-555-555-1212\r\nEND:VCARD",
            {"phone": "+1-555-555-1212"},
        ),
        (
            "BEGIN:VCARD\r\nTEL;HOME:\r\nTEL;WORK:10\r\nTEL:20\r\nTEL;CELL:30\r\nEND:VCARD",
            {"phone": "10", "mobile": "30", "extra_phones": ["20"]},
        ),
        ("BEGIN:VCARD\r\nEND:VCARD", {}),
    ],
)
def test_zxing_payloads(payload, expected):
    assert payload in ZXING_PAYLOADS  # real ZXing test inputs, expected values from its tests
    [contact] = parse_vcard(payload)
    got = contact.fields() | (
        {"extra_phones": contact.extra_phones} if contact.extra_phones else {}
    )
    assert {k: got.get(k) for k in expected} == expected
    if not expected:
        assert contact.is_empty()


def test_card_without_end_is_read_with_a_warning():
    payload = (DATA / "android_vcard/v21_simple_3.vcf").read_bytes().replace(b"END:VCARD", b"")
    [contact] = parse_vcard(payload)
    assert contact.full_name == "Ando Roid"
    assert contact.warnings == ["vCard has no END:VCARD; read to the end"]


def test_str_and_bytes_give_the_same_contact():
    data = (DATA / "android_vcard/v40_sort_as.vcf").read_bytes()
    assert parse_vcard(data.decode("utf-8")) == parse_vcard(data)


def test_utf16_export_is_read():
    text = (DATA / "ez-vcard/gmail-single.vcf").read_text(encoding="utf-8")
    [contact] = parse_vcard(text.encode("utf-16"))
    assert (contact.full_name, contact.name_reading) == ("Greg Dartmouth", "Dart-mowth Grregg")


def test_unknown_charset_falls_back_with_a_warning():
    [contact] = parse_vcard(b"BEGIN:VCARD\r\nFN;CHARSET=X-KLINGON:Worf\r\nEND:VCARD\r\n")
    assert contact.full_name == "Worf"
    assert contact.warnings and "X-KLINGON" in contact.warnings[0]


def test_qp_without_charset_falls_back_to_latin1():
    # From vobject's more_tests.txt: `N;ENCODING=QUOTED-PRINTABLE:;=E9`.
    [contact] = parse_vcard(
        "BEGIN:VCARD\nVERSION:2.1\nN;ENCODING=QUOTED-PRINTABLE:;=E9\nEND:VCARD\n"
    )
    assert contact.given_name == "é"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("BEGIN:VCARD\r\nN:x\r\nEND:VCARD", True),
        (b"home.begin:vcard\r\nversion:3.0\r\n", True),
        ("Scan:\n  begin:vCard\n", True),
        ("MECARD:N:Owen,Sean;;", False),
        ("see BEGIN:VCARD inside a sentence", False),
        ("BEGIN:VCARDX", False),
        (b"", False),
    ],
)
def test_looks_like_vcard(payload, expected):
    assert looks_like_vcard(payload) is expected


def test_text_without_a_card_gives_no_contact():
    assert parse_vcard("MECARD:N:Owen,Sean;;") == []


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(DATA)))
def test_every_corpus_card_gives_vcard_contacts(path):
    contacts = parse_vcard(path.read_bytes())
    assert contacts and all(c.source == "vcard" for c in contacts)
    assert any(not c.is_empty() for c in contacts) or path.name in NO_CONTACT_FIELDS


@given(st.one_of(st.text(), st.binary(), st.text().map(lambda t: "BEGIN:VCARD\r\n" + t)))
def test_never_raises_and_is_deterministic(payload):
    first = parse_vcard(payload)
    assert [asdict(c) for c in first] == [asdict(c) for c in parse_vcard(payload)]
    assert all(c.source == "vcard" for c in first)


@given(
    st.lists(
        st.sampled_from(
            [
                "N;CHARSET=SHIFT_JIS:",
                "ENCODING=QUOTED-PRINTABLE:=",
                "=\r\n",
                ";",
                "\\",
                '"',
                ":",
                " ",
                "\r\n",
                'TEL;TYPE="a,',
                "^",
                "END:VCARD",
                "BEGIN:VCARD\r\n",
                "\x94\x5c",
                "=E9",
            ]
        )  # fmt: skip
    ).map("".join)
)
def test_never_raises_on_vcard_shaped_noise(body):
    for payload in ("BEGIN:VCARD\r\n" + body, ("BEGIN:VCARD\r\n" + body).encode("latin-1")):
        assert all(c.source == "vcard" for c in parse_vcard(payload))


@pytest.mark.parametrize(
    ("adr", "city", "region"),
    [(";;1-1 Marunouchi;千代田区;東京都;100-0005;日本", "千代田区", "東京都"),
     (";;1 Infinite Loop;Cupertino;CA;95014;USA", "Cupertino", "CA"),
     (";;Hauptstr. 1;;Bayern;80331;DE", None, "Bayern")],
)  # fmt: skip
def test_adr_region_is_kept(adr, city, region):
    (contact,) = parse_vcard(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\nADR:{adr}\r\nEND:VCARD\r\n")
    assert (contact.city, contact.region) == (city, region)
