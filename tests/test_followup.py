from datetime import date

import pytest

from leadcap.errors import LeadcapError, NotFound, UsageError
from leadcap.reports import worklist as followup
from leadcap.store.history import history, undo
from leadcap.store.leads import add_lead, get_lead, update_lead

TODAY = date(2026, 12, 20)


@pytest.fixture
def event(store):
    store.set_setting("timezone", "Asia/Tokyo")
    return store


def lead(store, name, *, rating=None, at="2026-12-09T10:00:00+09:00", **changes):
    created = add_lead(store, {"family_name": name}, rating=rating, captured_at=at)
    if changes:
        created = update_lead(store, created["id"], changes, command="edit")
    return created["id"]


def names(items):
    return [item["family_name"] for item in items]


def test_worklist_orders_by_rating_then_due_then_capture(event):
    lead(event, "cold")
    lead(event, "unrated")
    lead(event, "warm-late", rating="warm", due="2026-12-30")
    lead(event, "warm-early", rating="warm", due="2026-12-12")
    lead(event, "hot-second", rating="hot", at="2026-12-09T15:00:00+09:00", due="2026-12-11")
    lead(event, "hot-first", rating="hot", at="2026-12-09T16:00:00+09:00", due="2026-12-11")
    update_lead(event, 1, {"rating": "cold"}, command="rate")
    order = names(followup.worklist(event, today=TODAY))
    assert order == ["hot-second", "hot-first", "warm-early", "warm-late", "cold", "unrated"]


def test_lead_without_due_sorts_by_its_default_and_is_marked(event):
    lead(event, "explicit", rating="warm", due="2026-12-20")
    lead(event, "default", rating="warm")  # captured 12-09, +7 days -> 12-16
    items = followup.worklist(event, today=TODAY)
    assert names(items) == ["default", "explicit"]
    assert items[0]["effective_due"] == "2026-12-16" and items[0]["due_is_default"] is True
    assert items[0]["due"] is None
    assert items[1]["effective_due"] == "2026-12-20" and items[1]["due_is_default"] is False


def test_worklist_leaves_out_won_lost_and_deleted(event):
    lead(event, "open", status="offer")
    lead(event, "won", status="won")
    lead(event, "lost", status="lost")
    lead(event, "gone", deleted=True)
    assert names(followup.worklist(event, today=TODAY)) == ["open"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (followup.Filter(owner="KEN"), ["ken-hot", "ken-cold"]),
        (followup.Filter(owner=""), ["nobody"]),
        (followup.Filter(rating="cold"), ["ken-cold"]),
        (followup.Filter(rating="unrated"), ["nobody"]),
        (followup.Filter(overdue=True), ["ken-hot", "nobody"]),
    ],
)
def test_worklist_filters(event, flt, expected):
    lead(event, "ken-hot", rating="hot", owner="ken", due="2026-12-19")
    lead(event, "ken-cold", rating="cold", owner="ken", due="2026-12-21")
    lead(event, "nobody", due="2026-12-01")
    assert names(followup.worklist(event, flt, today=TODAY)) == expected


def test_default_due_counts_from_the_capture_day_in_the_event_zone(event):
    # 23:30 UTC on 12-08 is already 12-09 in Tokyo.
    lead_id = lead(event, "late", rating="hot", at="2026-12-08T23:30:00+00:00")
    assert followup.default_due(event, get_lead(event, lead_id)) == "2026-12-11"


@pytest.mark.parametrize(
    ("rating", "expected"),
    [("hot", "2026-12-11"), ("warm", "2026-12-16"), ("cold", "2027-01-08"), (None, "2026-12-23")],
)
def test_default_service_levels(event, rating, expected):
    lead_id = lead(event, "x", rating=rating)
    assert followup.default_due(event, get_lead(event, lead_id)) == expected


def test_configured_service_level_wins(event):
    event.set_setting("followup-days.hot", "1")  # `leadcap config set` stores text
    event.set_setting("followup-days.unrated", 3)
    assert followup.service_days(event) == {"hot": 1, "warm": 7, "cold": 30, "unrated": 3}


def test_bad_service_level_says_how_to_fix_it(event):
    event.set_setting("followup-days.warm", "a week")
    with pytest.raises(LeadcapError, match="config set followup-days.warm 7"):
        followup.service_days(event)


def test_assign_sets_owner_and_default_due_in_one_undoable_change(event):
    lead_id = lead(event, "yamada", rating="hot")
    assigned = followup.assign(event, lead_id, "ken")
    assert (assigned["owner"], assigned["due"]) == ("ken", "2026-12-11")
    logged = [(c["command"], c["field"], c["new_value"]) for c in history(event, lead_id)][-2:]
    assert logged == [("followup assign", "owner", "ken"), ("followup assign", "due", "2026-12-11")]
    undo(event)
    assert (get_lead(event, lead_id)["owner"], get_lead(event, lead_id)["due"]) == (None, None)


def test_assign_keeps_an_existing_due_date(event):
    lead_id = lead(event, "yamada", rating="hot", due="2027-01-15")
    assert followup.assign(event, lead_id, "ken")["due"] == "2027-01-15"


def test_assign_unassigned_gives_only_open_leads_without_owner(event):
    lead(event, "mine", owner="ken")
    lead(event, "free")
    lead(event, "closed", status="won")
    assigned = followup.assign_unassigned(event, "mia")
    assert [item["family_name"] for item in assigned] == ["free"]
    assert get_lead(event, 1)["owner"] == "ken" and get_lead(event, 3)["owner"] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2027-01-05", "2027-01-05"), (" none ", None), ("+3d", "+3"), ("+2w", "+14")],
)
def test_parse_date(event, text, expected):
    result = followup.parse_date(event, text)
    if expected and expected.startswith("+"):
        today = event.now().date()
        expected = date.fromordinal(today.toordinal() + int(expected[1:])).isoformat()
    assert result == expected


@pytest.mark.parametrize("text", ["2027-13-01", "20270105", "next week", "+3m", "05.01.2027"])
def test_parse_date_rejects(event, text):
    with pytest.raises(UsageError, match="is not a date"):
        followup.parse_date(event, text)


def test_done_sets_status_and_note_undone_together(event):
    lead_id = lead(event, "yamada")
    result = followup.done(event, lead_id, "Meeting", "call on 12 Jan")
    assert result["status"] == "meeting" and result["notes"].endswith("anna] call on 12 Jan")
    undo(event)
    assert (get_lead(event, lead_id)["status"], get_lead(event, lead_id)["notes"]) == ("new", None)


def test_done_rejects_unknown_outcome(event):
    with pytest.raises(UsageError, match="unknown outcome 'maybe'"):
        followup.done(event, lead(event, "x"), "maybe")


def test_assign_unknown_lead(event):
    with pytest.raises(NotFound):
        followup.assign(event, 99, "ken")
