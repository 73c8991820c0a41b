"""Two leads of one person on this laptop: likely duplicates and `combine`, with undo."""

import pytest

from leadcap.errors import UsageError
from leadcap.intake import capture
from leadcap.laptops.combine import combine, find_duplicates
from leadcap.store import history, leads


def add(store, **fields):
    tags = fields.pop("tags", [])
    return leads.add_lead(store, fields, tags=tags)


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        ({"email": "ken@example.jp"}, {"email": "KEN@example.jp"}, "same e-mail"),
        ({"badge_id": "NT27-1"}, {"badge_id": "nt27-1"}, "same badge"),
        ({"phone": "+81 90 1234 5678"}, {"mobile": "090-1234-5678"}, "same mobile"),
        (
            {"family_name": "Sato", "given_name": "Ken", "company": "ACME"},
            {"full_name": "ken sato", "company": "acme"},
            "same name and company",
        ),
    ],
)
def test_likely_duplicates_are_listed_with_the_command(store, first, second, reason):
    store.set_setting("country", "JP")
    a, b = add(store, **first), add(store, **second)
    add(store, family_name="Weber", company="ACME", email="jan@acme.de")
    (found,) = find_duplicates(store)
    assert found.ids == [a["id"], b["id"]] and found.reasons == [reason]
    assert found.command == f"leadcap combine {a['id']} {b['id']}"


def test_other_events_and_deleted_leads_are_not_duplicates(store):
    add(store, email="ken@example.jp", event="fair 2026")
    add(store, email="ken@example.jp", event="fair 2027")
    gone = add(store, email="ken@example.jp", event="fair 2027")
    leads.update_lead(store, gone["id"], {"deleted": True}, command="delete")
    assert find_duplicates(store) == []


def test_combine_unites_fields_tags_notes_and_visits(store):
    keep = add(store, family_name="Sato", email="ken@example.jp", tags=["AI"], notes="[x] a")
    other = add(store, email="KEN@example.jp", phone="+81 3 1234 5678", tags=["IoT"])
    capture.count_visit(store, other, capture.SessionDefaults())
    lead = combine(store, keep["id"], other["id"])
    assert lead["id"] == keep["id"] and lead["family_name"] == "Sato"
    assert lead["phone"] == "+81 3 1234 5678" and lead["tags"] == ["AI", "IoT"]
    assert lead["visits"] == 3
    with pytest.raises(Exception, match="no lead with id"):
        leads.get_lead(store, other["id"])
    fields = [c["field"] for c in history.history(store, keep["id"])]
    assert "combined" in fields and "combined_into" in fields


def test_undo_separates_combined_leads_exactly(store):
    keep = add(store, family_name="Sato", email="ken@example.jp", tags=["AI"])
    other = add(store, email="KEN@example.jp", company="ACME", tags=["IoT"])
    before = (leads.get_lead(store, keep["id"]), leads.get_lead(store, other["id"]))
    combine(store, keep["id"], other["id"])
    history.undo(store)
    after = (leads.get_lead(store, keep["id"]), leads.get_lead(store, other["id"]))
    for old, new in zip(before, after, strict=True):
        assert {k: v for k, v in new.items() if k != "updated_at"} == {
            k: v for k, v in old.items() if k != "updated_at"
        }
    assert find_duplicates(store)[0].ids == [keep["id"], other["id"]]


def test_a_later_scan_of_the_combined_person_counts_on_the_kept_lead(store):
    keep = add(store, family_name="Sato")
    other = add(store, email="ken@example.jp")
    combine(store, keep["id"], other["id"])
    outcome = capture.capture(store, "MECARD:N:Sato,Ken;EMAIL:ken@example.jp;;")
    assert outcome.kind == "duplicate" and outcome.lead["id"] == keep["id"]
    assert outcome.lead["visits"] == 3


def test_combine_refuses_one_lead_twice(store):
    lead = add(store, family_name="Sato")
    with pytest.raises(UsageError, match="cannot be combined with itself"):
        combine(store, lead["id"], lead["id"])


def test_add_of_a_known_email_counts_a_visit_and_fills_empty_fields(store):
    lead = add(store, email="ken@example.jp", company="ACME")
    existing = leads.find_same_person(store, {"email": "KEN@example.jp"})
    again, filled = capture.revisit(
        store, existing, {"email": "KEN@example.jp", "company": "Other", "phone": "03-1234-5678"}
    )
    assert again["id"] == lead["id"] and again["visits"] == 2
    assert again["company"] == "ACME" and again["phone"] == "03-1234-5678"
    assert filled == ["phone"]
    history.undo(store)
    assert leads.get_lead(store, lead["id"])["visits"] == 1
    assert leads.get_lead(store, lead["id"])["phone"] is None


def test_a_combine_merged_since_is_set_aside_by_undo_with_a_reason(store):
    from leadcap.errors import LeadcapError

    keep = add(store, family_name="Sato", email="ken@example.jp")
    other = add(store, email="KEN@example.jp", company="ACME")
    combine(store, keep["id"], other["id"])
    # What a later merge may leave: the removed lead's uuid is the person's lead again.
    store.conn.execute(
        "INSERT INTO leads (uuid, captured_at, captured_utc, updated_at)"
        " VALUES (?, '2026-12-09T09:00:00+09:00', '2026-12-09T00:00:00+00:00', 'x')",
        [other["uuid"]],
    )
    with pytest.raises(LeadcapError, match="merged with another laptop since"):
        history.undo(store)
    reverted, _changes = history.undo(store)  # goes on with the command before it
    assert [lead["uuid"] for lead in reverted] == [other["uuid"]]


def test_combine_unites_answers_and_undo_separates_them(store):
    from leadcap.store import answers
    from leadcap.store import questions as q

    q.add_question(store, "Cooperation", "multi", choices=["R&D", "Job"])
    q.add_question(store, "Timeframe", "single", choices=["soon", "later"])
    keep = add(store, family_name="Sato", email="ken@example.jp")
    other = add(store, email="KEN@example.jp")
    answers.answer(store, keep["id"], "Cooperation", ["R&D"])
    answers.answer(store, other["id"], "Cooperation", ["Job"])
    answers.answer(store, other["id"], "Timeframe", ["later"])
    lead = combine(store, keep["id"], other["id"])
    assert lead["answers"] == {"Cooperation": ["R&D", "Job"], "Timeframe": "later"}
    history.undo(store)
    assert leads.get_lead(store, keep["id"])["answers"] == {"Cooperation": ["R&D"]}
    assert leads.get_lead(store, other["id"])["answers"] == {
        "Cooperation": ["Job"],
        "Timeframe": "later",
    }
