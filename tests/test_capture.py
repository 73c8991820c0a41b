import json

import pytest

from leadcap.intake import capture
from leadcap.intake.capture import SessionDefaults
from leadcap.store import leads, tags

MECARD = "MECARD:N:山田,太郎;SOUND:ﾔﾏﾀﾞ,ﾀﾛｳ;ORG:ナノテク株式会社;EMAIL:taro@example.jp;;"


def test_scan_becomes_a_committed_lead(store, db_path):
    import sqlite3

    outcome = capture.capture(store, MECARD)
    assert outcome.kind == "new" and outcome.source == "mecard"
    other = sqlite3.connect(db_path)  # another connection sees it: committed
    row = other.execute("SELECT family_name, name_reading, raw_payload, source FROM leads")
    assert row.fetchone() == ("山田", "ヤマダ タロウ", MECARD, "mecard")


def test_returning_visitor_counts_a_visit_not_a_lead(store):
    first = capture.capture(store, MECARD).lead
    again = capture.capture(store, "MECARD:N:Yamada,Taro;EMAIL:TARO@EXAMPLE.JP;;")
    assert again.kind == "duplicate"
    assert again.lead["id"] == first["id"] and again.lead["visits"] == 2
    assert again.first_seen["captured_by"] == "anna"
    assert len(list(leads.iter_leads(store))) == 1


def test_same_badge_is_the_same_person(store):
    capture.capture(store, "NT26-004211")
    assert capture.capture(store, "nt26-004211").kind == "duplicate"


def test_duplicate_only_within_the_event(store):
    capture.capture(store, MECARD)
    store.set_setting("event", "another fair")
    assert capture.capture(store, MECARD).kind == "new"


def test_unparseable_scan_is_saved_raw_and_flagged(store):
    outcome = capture.capture(store, "§§ unreadable ¿¿")
    lead = outcome.lead
    assert (lead["source"], lead["raw_payload"]) == ("unknown", "§§ unreadable ¿¿")
    assert lead["needs_review"] and capture.UNREADABLE in lead["review_reasons"]


def test_badge_not_in_attendee_list_is_flagged(store):
    lead = capture.capture(store, "NT26-004211").lead
    assert lead["badge_id"] == "NT26-004211"
    assert capture.NOT_IN_ATTENDEE_LIST in lead["review_reasons"]


def test_several_cards_in_one_payload_become_several_leads(store):
    payload = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Weber;Jan\nEMAIL:jan@acme.de\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nN:Koch;Eva\nEMAIL:eva@acme.de\nEND:VCARD\n"
    )
    outcome = capture.capture(store, payload)
    assert [lead["family_name"] for lead in outcome.leads] == ["Weber", "Koch"]


def test_session_defaults_apply(store):
    defaults = SessionDefaults(tags=["AI"], rating="warm", exhibitor="ACME GmbH")
    lead = capture.capture(store, MECARD, defaults=defaults).lead
    assert (lead["tags"], lead["rating"], lead["exhibitor"]) == (["AI"], "warm", "ACME GmbH")


def test_keyboard_mismatch_is_repaired_and_flagged(store):
    outcome = capture.capture(store, 'MECARDÖNÖDoe,JohnöEMAILÖjohn.doe"example.comöö')
    assert outcome.keyboard_layout == "de"
    assert outcome.lead["email"] == "john.doe@example.com"
    assert any("keyboard layout" in r for r in outcome.lead["review_reasons"])


@pytest.mark.parametrize(
    ("code", "check"),
    [
        ("LEADCAP:TAG:Sensors", lambda lead: lead["tags"] == ["Sensors"]),
        ("LEADCAP:RATE:hot", lambda lead: lead["rating"] == "hot"),
        ("LEADCAP:CONSENT:marketing", lambda lead: lead["consent"]["marketing"] == "granted"),
        ("LEADCAP:NOTE:send samples", lambda lead: lead["notes"].endswith("send samples")),
    ],
)
def test_command_codes_act_on_the_last_lead(store, code, check):
    last = capture.capture(store, MECARD).lead
    outcome = capture.capture(store, code, last_lead=last)
    assert outcome.kind == "command" and check(outcome.lead)
    assert len(list(leads.iter_leads(store))) == 1


def test_command_code_consent_records_the_method(store):
    last = capture.capture(store, MECARD).lead
    capture.capture(store, "LEADCAP:CONSENT:followup", last_lead=last)
    method = store.conn.execute("SELECT method FROM consent_records").fetchone()[0]
    assert method == "scanned code"


def test_undo_code_reverts_the_last_change(store):
    last = capture.capture(store, MECARD).lead
    capture.capture(store, "LEADCAP:RATE:hot", last_lead=last)
    assert capture.capture(store, "LEADCAP:UNDO", last_lead=last).lead["rating"] is None


def test_unknown_command_code_is_refused(store):
    capture.capture(store, MECARD)
    with pytest.raises(Exception, match="unknown command code"):
        capture.capture(store, "LEADCAP:DANCE")


def test_qualify_by_tag_number(store):
    tags.set_predefined_tags(store, ["AI", "Materials", "Sensors"])
    lead = capture.capture(store, MECARD).lead
    assert capture.qualify(store, lead, "tag", "3")["tags"] == ["Sensors"]


def test_forgotten_person_is_not_captured_silently(store):
    from leadcap.store import tombstones

    with store.transaction():
        tombstones.bury(store, {"email": "taro@example.jp"}, "2026-12-09")
    assert capture.capture(store, MECARD).kind == "forgotten"
    assert list(leads.iter_leads(store)) == []
    assert capture.capture(store, MECARD, allow_forgotten=True).kind == "new"


# -- the fallback journal -------------------------------------------------------


def break_writes(store, monkeypatch):
    import sqlite3

    def refuse():
        raise sqlite3.OperationalError("database or disk is full")

    class Broken:
        def __enter__(self):
            refuse()

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(store, "transaction", lambda: Broken())


def test_unwritable_database_sends_scan_to_journal(store, monkeypatch):
    break_writes(store, monkeypatch)
    outcome = capture.capture(store, MECARD)
    assert outcome.kind == "journaled"
    entries = capture.read_journal(capture.journal_path(store))
    assert [e["payload"] for e in entries] == [MECARD]


def test_recover_imports_journal_exactly_once(store, monkeypatch):
    with monkeypatch.context() as patch:
        break_writes(store, patch)
        outcome = capture.capture(store, MECARD)
        capture.journal_qualify(store, outcome.journal_id, "rate", "hot")
    report = capture.recover(store)
    assert report.imported == 2 and len(report.leads) == 1
    assert [(x["family_name"], x["rating"]) for x in leads.iter_leads(store)] == [("山田", "hot")]
    again = capture.recover(store)
    assert (again.imported, again.already) == (0, 2)
    assert len(list(leads.iter_leads(store))) == 1


def test_torn_last_journal_line_is_skipped(store):
    path = capture.journal_path(store)
    capture.append_journal(path, {"id": "a", "type": "scan", "payload": MECARD})
    with open(path, "a") as handle:
        handle.write('{"id": "b", "type": "sc')
    assert [e["id"] for e in capture.read_journal(path)] == ["a"]


def test_read_only_database_file_goes_to_journal(tmp_path, unprivileged):
    from leadcap.store.database import open_store

    path = tmp_path / "ro.db"
    open_store(path, staff="a", device="d").close()
    path.chmod(0o400)
    result = unprivileged("--db", str(path), "scan", "--json", input=MECARD + "\n")
    assert json.loads(result.stdout.splitlines()[0])["kind"] == "journaled", result.stderr
    path.chmod(0o600)
    store = open_store(path, staff="a", device="d")
    assert capture.recover(store).imported == 1
    assert [x["family_name"] for x in leads.iter_leads(store)] == ["山田"]


def test_database_turned_read_only_sends_scan_to_journal(store):
    store.conn.execute("PRAGMA query_only = ON")
    outcome = capture.capture(store, MECARD)
    assert outcome.kind == "journaled" and "read-only" in outcome.message
    store.conn.execute("PRAGMA query_only = OFF")
    assert capture.recover(store).imported == 1
    assert [x["family_name"] for x in leads.iter_leads(store)] == ["山田"]


def test_consent_in_the_scan_loop_records_the_text_version(store):
    from leadcap.store import consent_texts

    store.set_setting("consent-text.en", "I agree to be contacted about this conversation.")
    lead = capture.capture(store, MECARD).lead
    capture.qualify(store, lead, "consent", "followup")
    version = store.conn.execute("SELECT text_version FROM consent_records").fetchone()[0]
    assert version and version == consent_texts.current_text_version(store)


def test_badge_scan_is_filled_from_the_attendee_list(store, tmp_path):
    from leadcap.intake import attendees

    source = tmp_path / "attendees.csv"
    source.write_text(
        "登録番号,姓,名,会社名\nNT26-004211,鈴木,一郎,ナノ材料株式会社\n", encoding="utf-8"
    )
    attendees.import_attendees(store, source)
    lead = capture.capture(store, "NT26-004211").lead
    assert (lead["family_name"], lead["given_name"], lead["company"]) == (
        "鈴木",
        "一郎",
        "ナノ材料株式会社",
    )
    assert lead["source"] == "badge" and not lead["needs_review"]


def test_a_mecard_with_a_japanese_country_name_gets_valid_phones(store):
    payload = "MECARD:N:Sato,Ken;TEL:03-1234-5678;ADR:,,1-2-3 Chiyoda,Tokyo,,100-0001,日本;;"
    lead = capture.capture(store, payload).lead
    assert (lead["country"], lead["country_code"], lead["phone_e164"]) == (
        "日本",
        "JP",
        "+81312345678",
    )
    assert not lead["needs_review"]
