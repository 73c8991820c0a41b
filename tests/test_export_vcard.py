from __future__ import annotations

import pytest

from leadcap.export.vcard import card_lines, escape_text, fold, write_vcf
from leadcap.intake.parse.vcard import parse_vcard

LEAD = {
    "uuid": "3f0c8a5e-1111-4222-8333-944455556666", "given_name": "太郎", "family_name": "山田",
    "full_name": "山田 太郎", "name_reading": "ヤマダ タロウ", "company": "山田製作所; 東京",
    "department": "営業部", "title": "部長", "email": "taro@example.co.jp",
    "phone": "+81 3-1234-5678", "mobile": "090-1234-5678", "street": "丸の内1-1, 3F",
    "city": "千代田区", "region": "東京都", "postal_code": "100-0005", "country": "JP",
    "website": "https://example.co.jp", "notes": "Wants a demo\nbudget: 1,000万円 \\ Q1",
    "tags": ["AI", "Robotics, Arms"], "badge_id": "B-0042",
}  # fmt: skip


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a,b;c", "a\\,b\\;c"), ("back\\slash", "back\\\\slash"), ("l1\r\nl2\nl3", "l1\\nl2\\nl3")],
)
def test_escape_text(value, expected):
    assert escape_text(value) == expected


def test_fold_never_splits_a_utf8_character():
    line = "NOTE:" + "展示会" * 40
    folded = fold(line)
    physical = folded.split("\r\n")[:-1]
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert all(p.startswith(" ") for p in physical[1:])
    assert "".join([physical[0], *(p[1:] for p in physical[1:])]) == line


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_file_uses_crlf_and_folds(tmp_path, version):
    path = tmp_path / "leads.vcf"
    assert write_vcf(path, [LEAD, {**LEAD, "uuid": "u2", "notes": "x" * 300}], version=version) == 2
    raw = path.read_bytes()
    assert raw.count(b"BEGIN:VCARD\r\n") == 2 and raw.endswith(b"END:VCARD\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75


def test_v3_structure():
    lines = card_lines(LEAD, "3.0")
    assert "N:山田;太郎;;;" in lines and "FN:山田 太郎" in lines
    assert "X-PHONETIC-LAST-NAME:ヤマダ" in lines and "X-PHONETIC-FIRST-NAME:タロウ" in lines
    assert "ORG:山田製作所\\; 東京;営業部" in lines
    assert "TEL;TYPE=work,voice:+81 3-1234-5678" in lines
    assert "TEL;TYPE=cell,voice:090-1234-5678" in lines
    assert "ADR;TYPE=work:;;丸の内1-1\\, 3F;千代田区;東京都;100-0005;JP" in lines
    assert "CATEGORIES:AI,Robotics\\, Arms" in lines
    assert "NOTE:Wants a demo\\nbudget: 1\\,000万円 \\\\ Q1" in lines


def test_v4_reading_goes_to_sort_as():
    lines = card_lines(LEAD, "4.0")
    assert 'N;SORT-AS="ヤマダ,タロウ":山田;太郎;;;' in lines
    assert not any(line.startswith("X-PHONETIC") for line in lines)
    assert f"UID:urn:uuid:{LEAD['uuid']}" in lines


def test_a_company_only_card_is_an_organisation():
    lines = card_lines({"company": "ACME", "email": "info@acme.test"}, "3.0")
    assert "FN:ACME" in lines and "N:;;;;" in lines and "X-ABShowAs:COMPANY" in lines
    assert "KIND:org" in card_lines({"company": "ACME"}, "4.0")
    assert not any(line.startswith("N") for line in card_lines({"company": "ACME"}, "4.0"))


@pytest.mark.parametrize(
    ("lead", "fn"),
    [({"email": "a@b.example"}, "FN:a@b.example"), ({"badge_id": "B-7"}, "FN:B-7"),
     ({"family_name": "山田", "given_name": "太郎"}, "FN:山田 太郎"),
     ({"family_name": "Schmidt", "given_name": "Anna"}, "FN:Anna Schmidt")],
)  # fmt: skip
def test_fn_is_never_empty_and_japanese_is_family_first(lead, fn):
    assert fn in card_lines(lead)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "https://a b.example"])
def test_only_safe_links_become_url(url):
    assert not any(line.startswith("URL") for line in card_lines({**LEAD, "website": url}))


def test_a_full_name_alone_is_split_by_the_one_rule():
    assert "N:山田;太郎;;;" in card_lines({"full_name": "山田 太郎"})
    assert "N:Schmidt;Anna;;;" in card_lines({"full_name": "Anna Schmidt"})


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_round_trip_through_leadcap_parser(tmp_path, version):
    path = tmp_path / "leads.vcf"
    write_vcf(path, [LEAD], version=version)
    (contact,) = parse_vcard(path.read_bytes())
    for key in ("given_name", "family_name", "full_name", "name_reading", "title", "email",
                "phone", "mobile", "website", "street", "city", "region", "postal_code", "country",
                "notes", "badge_id"):  # fmt: skip
        assert getattr(contact, key) == LEAD[key], key
    assert (contact.company, contact.department) == ("山田製作所; 東京", "営業部")
