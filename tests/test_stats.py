"""Dashboard counts on the fair with known numbers (tests/fair_data.py, fixture `fair` in
conftest.py): 12 live leads over three days in Tokyo, one deleted lead, one returning
visitor, one lead captured at 23:30 UTC (next day in Tokyo)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from fair_data import TOKYO

from leadcap.reports import stats
from leadcap.store import answers as answering
from leadcap.store.database import open_store
from leadcap.store.leads import LeadFilter, add_lead


def test_totals_leave_out_the_deleted_lead(fair):
    data = stats.compute(fair)
    assert (data["total"], data["today"], data["needs_review"], data["returning_visitors"]) == (
        12, 5, 1, 1)  # fmt: skip


def test_days_are_tokyo_days(fair):
    # By UTC date the 23:30 lead would make it 4 / 3 / 5.
    per_day, _ = stats.timeline(fair)
    assert per_day == {"2026-12-08": 3, "2026-12-09": 4, "2026-12-10": 5}


def test_hours_are_tokyo_hours(fair):
    _, per_hour = stats.timeline(fair)
    busy = {hour: n for hour, n in per_hour.items() if n}
    assert busy == {"08": 1, "09": 2, "10": 2, "11": 2, "12": 1, "13": 1, "14": 2, "17": 1}
    assert list(per_hour) == [f"{h:02d}" for h in range(24)]


def test_breakdowns(fair):
    data = stats.compute(fair)
    assert data["per_staff"] == {"anna": 7, "ben": 5}
    assert data["per_tag"] == {"AI": 6, "Robotics": 4, "Sensors": 3}
    assert data["untagged"] == 1
    assert data["per_exhibitor"] == {"PartnerCo": 2}
    assert data["per_rating"] == {"hot": 4, "warm": 4, "cold": 2, "unrated": 2}


def test_consent_rates(fair):
    data = stats.compute(fair)
    assert data["consent_granted"] == {"followup": 9, "marketing": 3, "share": 0}
    assert data["consent_rate"] == {"followup": 0.75, "marketing": 0.25, "share": 0.0}


def test_bounds_select_one_tokyo_day(fair):
    since, until = stats.day_bounds(TOKYO, date(2026, 12, 9))
    data = stats.compute(fair, LeadFilter(since=since, until=until))
    assert (data["total"], data["per_day"], data["per_staff"]) == (
        4, {"2026-12-09": 4}, {"anna": 2, "ben": 2})  # fmt: skip


def test_no_leads_gives_zeros_and_no_rates(store):
    data = stats.compute(store)
    assert (data["total"], data["per_day"], data["consent_rate"]["followup"]) == (0, {}, None)


@pytest.mark.parametrize(
    ("day", "hours", "start"),
    [
        (date(2026, 3, 29), 23, "2026-03-28T23:00:00+00:00"),  # clocks go forward
        (date(2026, 10, 25), 25, "2026-10-24T22:00:00+00:00"),  # clocks go back
        (date(2026, 7, 1), 24, "2026-06-30T22:00:00+00:00"),
    ],
)
def test_day_bounds_across_dst(day, hours, start):
    since, until = stats.day_bounds(ZoneInfo("Europe/Berlin"), day)
    length = datetime.fromisoformat(until) - datetime.fromisoformat(since)
    assert (since, length.total_seconds() / 3600) == (start, hours)


def test_dst_day_groups_by_the_offset_of_each_moment(store):
    """Berlin, 25 Oct 2026: 00:30 UTC is 02:30 CEST (+2), 01:30 UTC is 02:30 CET (+1),
    22:30 UTC is 23:30 CET - still the 25th, where a fixed +2 would say the 26th."""
    store.set_setting("timezone", "Europe/Berlin")
    for at in ("2026-10-25T00:30:00+00:00", "2026-10-25T01:30:00+00:00",
               "2026-10-25T22:30:00+00:00", "2026-10-24T21:50:00+00:00"):  # fmt: skip
        add_lead(store, {"company": "X"}, captured_at=at)
    per_day, per_hour = stats.timeline(store)
    assert per_day == {"2026-10-24": 1, "2026-10-25": 3}
    assert {h: n for h, n in per_hour.items() if n} == {"02": 2, "23": 2}


def test_a_scan_from_another_connection_appears_on_the_next_refresh(fair, db_path):
    before = stats.compute(fair)["total"]
    other = open_store(db_path, staff="ben", device="laptop-b")
    try:
        add_lead(other, {"company": "Late KK"}, captured_at="2026-12-10T14:55:00+09:00")
    finally:
        other.close()
    after = stats.compute(fair)
    assert (before, after["total"], after["today"]) == (12, 13, 6)


def test_no_read_transaction_is_left_open_after_a_refresh(fair, db_path):
    stats.compute(fair)
    other = open_store(db_path, staff="ben", device="laptop-b")
    try:
        # A reader holding a snapshot would make a TRUNCATE checkpoint report "busy".
        busy, _log, _done = other.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()[0]
    finally:
        other.close()
    assert busy == 0


def test_answers_are_counted_per_choice_and_filter_the_stats(store):

    from leadcap.store import questions as q
    from leadcap.store.leads import LeadFilter

    q.add_question(store, "Cooperation", "multi", choices=["R&D", "Job", "Supplier"])
    q.add_question(store, "Notes", "text")
    both = add_lead(store, {"family_name": "A"})
    job = add_lead(store, {"family_name": "B"})
    add_lead(store, {"family_name": "C"})
    answering.answer(store, both["id"], "Cooperation", ["R&D", "Job"])
    answering.answer(store, job["id"], "Cooperation", ["Job"])
    data = stats.compute(store)
    assert data["per_answer"] == {
        "Cooperation": {"R&D": 1, "Job": 2, "Supplier": 0, "(no answer)": 1}
    }
    only = stats.compute(store, LeadFilter(answers=[("Cooperation", "R&D", False)]))
    assert only["total"] == 1
    assert only["per_answer"]["Cooperation"] == {"R&D": 1, "Job": 1, "Supplier": 0,
                                                 "(no answer)": 0}  # fmt: skip
