from __future__ import annotations

import csv
from pathlib import Path

import pytest

from leadcap.export.columns import HUBSPOT_COLUMNS, LEAD_COLUMNS, SALESFORCE_COLUMNS
from leadcap.export.csv import write_csv
from leadcap.export.safety import neutralise

PAYLOADS = Path(__file__).parent / "data" / "owasp" / "payloads.txt"
FORMULA_STARTS = tuple("=+-@\t\r\n＝＋－＠")

LEAD = {
    "id": 1, "uuid": "uuid-1", "event": "Hannover Messe 2026", "given_name": "Jürgen",
    "family_name": "Müller", "full_name": "Jürgen Müller", "company": "Müller & Söhne GmbH",
    "title": "Einkauf", "email": "j.mueller@example.de", "phone": "+49 511 123456",
    "mobile": "0170 1234567", "street": "Hauptstraße 1", "city": "Hannover",
    "postal_code": "01234", "country": "DE", "website": "https://example.de",
    "notes": 'Ruft zurück,\n"dringend"', "rating": "hot", "tags": ["Robotik", "KI"],
    "consent": {"followup": "granted", "marketing": "granted", "share": "refused"},
    "status": "meeting", "needs_review": True, "captured_at": "2026-04-20T09:00:00+02:00",
}  # fmt: skip


def payloads() -> list[str]:
    lines = PAYLOADS.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("# ")]
    return [x.replace("\\t", "\t").replace("\\r", "\r").replace("\\n", "\n") for x in lines]


def read(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_file_starts_with_bom_and_quotes_every_field(tmp_path):
    path = tmp_path / "leads.csv"
    write_csv(path, [LEAD])
    raw = path.read_bytes()
    assert raw.startswith(b'\xef\xbb\xbf"rating","status"')
    assert b',"",' in raw  # empty fields are quoted too


def test_leadcap_layout_round_trips(tmp_path):
    path = tmp_path / "leads.csv"
    assert write_csv(path, [LEAD]) == 1
    (row,) = read(path)
    assert list(row) == [c.key for c in LEAD_COLUMNS]
    assert row["notes"] == 'Ruft zurück,\n"dringend"' and row["tags"] == "Robotik, KI"
    assert row["postal_code"] == "01234" and row["consent_marketing"] == "granted"
    assert row["phone"] == "'+49 511 123456"  # OWASP: a leading + is a formula start
    assert row["needs_review"] == "true"


def test_semicolon_delimiter(tmp_path):
    path = tmp_path / "leads.csv"
    write_csv(path, [LEAD], delimiter=";")
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[1][[c.key for c in LEAD_COLUMNS].index("company")] == "Müller & Söhne GmbH"


@pytest.mark.parametrize("payload", payloads())
def test_payloads_are_neutralised_in_the_spreadsheet_layout(tmp_path, payload):
    path = tmp_path / "leads.csv"
    write_csv(path, [{**LEAD, "company": payload, "given_name": payload}])
    (row,) = read(path)
    assert row["given_name"] == neutralise(payload)
    assert not any(v.lstrip(" \u3000").startswith(FORMULA_STARTS) for v in row.values())


@pytest.mark.parametrize("format", ["salesforce", "hubspot"])
@pytest.mark.parametrize("payload", ["=1+2", "+49 511 123456", "-Ltd-", "@home"])
def test_crm_files_hold_values_as_the_crm_should_store_them(tmp_path, format, payload):
    path = tmp_path / "crm.csv"
    write_csv(path, [{**LEAD, "given_name": payload}], format=format)
    (row,) = read(path)
    assert row["First Name"] == payload  # no spreadsheet apostrophe carried into the CRM


@pytest.mark.parametrize(
    ("format", "phone", "mobile"),
    [("salesforce", "Phone", "Mobile Phone"), ("hubspot", "Phone Number", "Mobile Phone Number")],
)
def test_crm_phones_are_e164(tmp_path, format, phone, mobile):
    path = tmp_path / "crm.csv"
    write_csv(path, [LEAD], format=format)
    (row,) = read(path)
    assert (row[phone], row[mobile]) == ("+49511123456", "+491701234567")


def test_crm_phones_prefer_the_stored_e164(tmp_path):
    path = tmp_path / "crm.csv"
    write_csv(path, [{**LEAD, "country": None, "mobile_e164": "+491701234567"}], format="hubspot")
    (row,) = read(path)
    assert row["Mobile Phone Number"] == "+491701234567"


def test_salesforce_imports_a_won_lead_as_working_and_says_so(tmp_path):
    path = tmp_path / "sf.csv"
    write_csv(path, [{**LEAD, "status": "won"}], format="salesforce")
    (row,) = read(path)
    assert row["Lead Status"] == "Working - Contacted"  # "Closed - Converted" cannot import
    assert row["Description"].startswith("Won at the fair: convert this lead in Salesforce.")


def test_salesforce_layout(tmp_path):
    path = tmp_path / "sf.csv"
    write_csv(path, [LEAD, {**LEAD, "company": None, "rating": None}], format="salesforce")
    first, second = read(path)
    assert list(first) == [header for header, _ in SALESFORCE_COLUMNS]
    assert (first["First Name"], first["Last Name"], first["Company"]) == (
        "Jürgen", "Müller", "Müller & Söhne GmbH",
    )  # fmt: skip
    assert first["Lead Source"] == "Hannover Messe 2026" and first["Rating"] == "Hot"
    assert first["Description"] == 'Ruft zurück,\n"dringend"\nInterests: Robotik, KI\nRating: hot'
    assert first["Email Opt Out"] == "0" and first["Lead Status"] == "Working - Contacted"
    assert second["Company"] == "[not provided]" and second["Rating"] == ""


def test_hubspot_layout(tmp_path):
    path = tmp_path / "hs.csv"
    write_csv(path, [LEAD], format="hubspot")
    (row,) = read(path)
    assert list(row) == [header for header, _ in HUBSPOT_COLUMNS]
    assert row["Company Name"] == "Müller & Söhne GmbH" and row["Postal Code"] == "01234"
    assert row["Mobile Phone Number"] == "+491701234567" and row["Marketing consent"] == "granted"
    assert row["Lead Status"] == "Connected"


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="format must be one of"):
        write_csv(tmp_path / "x.csv", [LEAD], format="excel")


def test_lang_translates_values_in_the_writer(tmp_path):
    path = tmp_path / "leads.csv"
    write_csv(path, [LEAD], lang="ja")
    (row,) = read(path)
    assert (row["rating"], row["status"], row["consent_share"], row["needs_review"]) == (
        "ホット", "商談", "拒否", "はい")  # fmt: skip


def test_the_writer_streams_to_an_open_file_without_bom():
    import io

    out = io.StringIO()
    assert write_csv(out, [LEAD], format="hubspot") == 1
    assert out.getvalue().startswith('"First Name"')
