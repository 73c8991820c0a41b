from __future__ import annotations

from datetime import date

import pytest

from leadcap.reports import debrief
from leadcap.store.leads import LeadFilter, add_lead

TODAY, YESTERDAY = date(2026, 12, 10), date(2026, 12, 9)


def queue(report) -> dict[int, list[str]]:
    return {item["id"]: [p["command"] for p in item["problems"]] for item in report["fixups"]}


def test_counts_of_the_day(fair):
    report = debrief.debrief(fair, TODAY)
    assert (report["date"], report["new_leads"], report["returning_visitors"]) == (
        "2026-12-10", 5, 1)  # fmt: skip
    assert report["per_rating"] == {"hot": 2, "warm": 1, "cold": 1, "unrated": 1}
    assert report["per_staff"] == {"anna": 3, "ben": 2}
    assert report["per_tag"] == {"AI": 2, "Robotics": 2, "Sensors": 1}
    assert report["consent_rate"] == {"followup": 0.6, "marketing": 0.2, "share": 0.0}
    assert report["needs_review"] == 1


def test_fixup_commands_of_the_day(fair):
    assert queue(debrief.debrief(fair, TODAY)) == {
        10: [
            "leadcap edit 10 --email <e-mail>",
            "leadcap consent 10 followup <granted|refused>",
            "leadcap rate 10 <hot|warm|cold>",
            "leadcap tag 10 <tag>",
        ],
        11: ["leadcap edit 11 --email <e-mail>"],  # 'bad@' flagged for review
        12: ["leadcap consent 12 followup <granted|refused>"],
    }


def test_fixups_are_grouped_by_problem(fair):
    groups = debrief.debrief(fair, TODAY)["fixup_groups"]
    assert [(g["kind"], [lead["id"] for lead in g["leads"]]) for g in groups] == [
        ("email", [10]), ("consent", [10, 12]), ("rating", [10]), ("tags", [10]),
        ("review", [11])]  # fmt: skip
    assert groups[1]["command"] == "leadcap consent <id> followup <granted|refused>"


def test_yesterday_holds_the_lead_captured_at_2330_utc_and_not_the_deleted_one(fair):
    report = debrief.debrief(fair, YESTERDAY)
    assert (report["new_leads"], report["returning_visitors"]) == (4, 0)
    assert report["per_exhibitor"] == {"PartnerCo": 2}
    assert queue(report) == {
        6: [
            "leadcap edit 6 --email <e-mail>",
            "leadcap consent 6 followup <granted|refused>",
            "leadcap rate 6 <hot|warm|cold>",
        ]
    }


def test_refused_followup_is_a_decision_not_a_gap(store):
    lead = add_lead(store, {"email": "a@b.jp"}, tags=["AI"], rating="hot",
                    consent={"followup": "refused"})  # fmt: skip
    assert debrief.problems(lead) == []


def test_a_non_validation_review_reason_is_fixed_by_marking_reviewed(store):
    lead = add_lead(store, {"email": "a@b.jp"}, tags=["AI"], rating="hot",
                    consent={"followup": "granted"}, review_reasons=["not parsed"])  # fmt: skip
    [problem] = debrief.problems(lead)
    assert (problem["problem"], problem["command"]) == (
        "check: not parsed", "leadcap edit 1 --reviewed")  # fmt: skip


@pytest.mark.parametrize(
    ("path", "prefix"),
    [(None, "leadcap"), ("/tmp/fair leads.db", "leadcap --db '/tmp/fair leads.db'")],
)
def test_fix_commands_reach_the_file_given_with_db(path, prefix):
    assert debrief.fix_command_prefix(path) == prefix


def test_workbook_sheets_rows_and_no_formulas(fair, tmp_path):
    from openpyxl import load_workbook

    add_lead(fair, {"company": "=HYPERLINK(\"http://x\")", "family_name": "@SUM(A1)"},
             captured_at="2026-12-10T16:00:00+09:00")  # fmt: skip
    report = debrief.debrief(fair, TODAY)
    book = load_workbook(debrief.write_workbook(report, tmp_path / "d.xlsx"))
    assert book.sheetnames == ["Summary", "Fix-up"]
    rows = list(book["Fix-up"].iter_rows(values_only=True))
    assert rows[0] == ("id", "name", "company", "missing", "fix")
    assert [row[0] for row in rows[1:]] == [10, 11, 12, 14]
    assert rows[-1][1:3] == ("@SUM(A1)", '=HYPERLINK("http://x")')
    cells = [c for ws in book for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    summary = dict(book["Summary"].iter_rows(values_only=True))
    assert (summary["new leads"], summary["leads to fix"]) == (6, 4)


def test_a_visit_that_came_in_by_merge_is_a_returning_visitor(fair, tmp_path):
    from leadcap.laptops import merge
    from leadcap.reports import stats
    from leadcap.store.database import open_store

    other = open_store(tmp_path / "laptop-b.db", staff="ben", device="laptop-b")
    try:  # Abe, captured today on this laptop, was scanned on laptop b too
        other.set_setting("event", "fair")
        fields = {"family_name": "Abe", "email": "a@a.jp"}
        add_lead(other, fields, captured_at="2026-12-10T13:00:00+09:00")
        assert merge.merge_file(fair, other.path).linked == 1
    finally:
        other.close()
    since, until = stats.day_bounds(fair.zone(), TODAY)
    assert (
        stats.totals(fair, LeadFilter(since=since, until=until))["returning_visitors"] == 1
    )  # Abe, captured today
    assert debrief.debrief(fair, TODAY)["returning_visitors"] == 2  # Abe, and Yamada scanned again
    assert debrief.debrief(fair, YESTERDAY)["returning_visitors"] == 0
