from __future__ import annotations

import csv

import pytest

from leadcap.errors import LeadcapError, UsageError
from leadcap.export import run as exporting
from leadcap.export.columns import SUMMARY_LABELS
from leadcap.export.grouping import lead_groups
from leadcap.export.run import Selection, select_leads
from leadcap.store.leads import LeadFilter, add_lead

WORDS = SUMMARY_LABELS["en"]


def add(store, name: str, day: int, **options):
    at = f"2026-12-{day:02d}T10:00:00+09:00"
    return add_lead(store, {"family_name": name}, captured_at=at, **options)


def names(leads) -> list[str]:
    return [lead["family_name"] for lead in leads]


def test_order_is_hot_warm_cold_unrated_then_newest_first(store):
    add(store, "old-hot", 1, rating="hot")
    add(store, "none", 3)
    add(store, "cold", 2, rating="cold")
    add(store, "new-hot", 2, rating="hot")
    add(store, "warm", 1, rating="warm")
    found = names(select_leads(store, Selection()))
    assert found == ["new-hot", "old-hot", "warm", "cold", "none"]


@pytest.mark.parametrize(("purpose", "expected"), [("followup", ["yes"]), ("share", [])])
def test_consent_filter_takes_only_granted(store, purpose, expected):
    add(store, "yes", 1, consent={"followup": "granted"})
    add(store, "no", 1, consent={"followup": "refused"})
    assert names(select_leads(store, Selection(LeadFilter(consent=purpose)))) == expected


def test_status_filter_comes_from_lead_filter(store):
    add(store, "a", 1)
    add(store, "b", 1)
    store.conn.execute("UPDATE leads SET status = 'won' WHERE family_name = 'b'")
    assert names(select_leads(store, Selection(LeadFilter(status="won")))) == ["b"]


def test_new_only_skips_leads_marked_under_the_same_profile(store, tmp_path):
    add(store, "first", 1)
    exporting.export_csv(store, tmp_path / "a.csv", Selection(profile="crm"))
    add(store, "second", 2)
    assert names(select_leads(store, Selection(new_only=True, profile="crm"))) == ["second"]
    assert len(names(select_leads(store, Selection(new_only=True, profile="acme")))) == 2


def test_failed_write_leaves_no_file_and_marks_nothing(store, tmp_path, monkeypatch):
    add(store, "a", 1)

    def broken(path, leads, **options):
        list(leads)
        path.write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("leadcap.export.csv.write_csv", broken)
    with pytest.raises(LeadcapError, match="No space left"):
        exporting.export_csv(store, tmp_path / "a.csv", Selection())
    assert list(tmp_path.glob("*.csv")) == []
    assert exporting.marked_uuids(store, "default") == set()


def test_marks_record_exactly_the_exported_leads(store, tmp_path):
    kept = add(store, "kept", 1, rating="hot")
    add(store, "other", 1, rating="cold")
    result = exporting.export_csv(store, tmp_path / "a.csv", Selection(LeadFilter(rating="hot")))
    assert exporting.marked_uuids(store, "default") == {kept["uuid"]}
    with open(tmp_path / "a.csv", encoding="utf-8-sig") as f:
        assert [row["family_name"] for row in csv.DictReader(f)] == ["kept"]
    assert result.exported_at.startswith("20")


ACME = {"acme": "ACME"}
SHARED = {"share": "granted"}


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        ({"exhibitor": "ACME", "tags": ["Bolt"]}, ["ACME"]),
        ({"exhibitor": None, "tags": ["acme"], "consent": SHARED}, ["(none)", "ACME"]),
        ({"exhibitor": None, "tags": ["ACME"], "consent": {"share": "refused"}}, ["(none)"]),
        ({"exhibitor": None, "tags": [], "consent": SHARED}, ["(none)"]),
    ],
)
def test_pavilion_privacy_rule(lead, expected):
    assert lead_groups(lead, "exhibitor", WORDS, dict(ACME), shared=True) == expected


@pytest.mark.parametrize(
    ("split_by", "lead", "expected"),
    [
        ("tag", {"tags": ["AI", "IoT"]}, ["AI", "IoT"]),
        ("tag", {"tags": []}, ["(no tag)"]),
        ("staff", {"owner": "ben", "captured_by": "anna"}, ["ben"]),
        ("rating", {"rating": None}, ["(no rating)"]),
    ],
)
def test_groups_for_other_splits(split_by, lead, expected):
    assert lead_groups(lead, split_by, WORDS, {}) == expected


@pytest.mark.parametrize(("split_by", "lang"), [("colour", "en"), (None, "fr")])
def test_bad_xlsx_options_are_usage_errors(split_by, lang):
    with pytest.raises(UsageError):
        exporting.check_xlsx_options(split_by, lang)


def test_exhibitor_spellings_make_one_sheet_and_one_file(store, tmp_path):
    """`--split-by exhibitor` as sheets and as files groups "ACME GmbH" and "acme  gmbh"
    alike (they used to be two sheets but one file)."""
    from openpyxl import load_workbook

    add(store, "a", 1, exhibitor="ACME GmbH")
    add(store, "b", 2, exhibitor="acme  gmbh")
    book = tmp_path / "one.xlsx"
    exporting.export_xlsx(store, book, Selection(), split_by="exhibitor")
    assert load_workbook(book, read_only=True).sheetnames == ["Summary", "ACME GmbH"]
    result = exporting.export_xlsx_files(
        store, tmp_path / "files", Selection(), split_by="exhibitor"
    )
    assert [p.name for p in result.paths] == ["ACME GmbH.xlsx"]


def test_files_per_colleague_are_named_safely(store, tmp_path):
    from leadcap.store.leads import update_lead

    for name, owner in (("a", "Jürgen/Müller"), ("b", "山田"), ("c", None)):
        lead = add(store, name, 1)
        if owner:
            update_lead(store, lead["id"], {"owner": owner}, command="edit")
    result = exporting.export_xlsx_files(store, tmp_path / "out", Selection(), split_by="staff")
    assert sorted(p.name for p in result.paths) == ["Jürgen_Müller.xlsx", "anna.xlsx", "山田.xlsx"]


def test_check_output_refuses_a_mismatched_name_and_an_existing_file(tmp_path):
    from leadcap.errors import LeadcapError, UsageError
    from leadcap.export.run import check_output

    with pytest.raises(UsageError, match="does not end in .xlsx"):
        check_output(tmp_path / "x.csv", "xlsx")
    (tmp_path / "x.xlsx").write_bytes(b"edited")
    with pytest.raises(LeadcapError, match="already exists. Add --force"):
        check_output(tmp_path / "x.xlsx", "xlsx")
    check_output(tmp_path / "x.xlsx", "xlsx", force=True)
