import sqlite3

import pytest

from leadcap.errors import DatabaseError
from leadcap.store.database import open_store
from leadcap.store.migrations import migrations


def schema(path):
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
    finally:
        conn.close()


def test_blank_database_gets_every_migration(store):
    applied = [m.name for m in migrations.applied(store.db)]
    assert applied == [m.name for m in migrations._migrations]
    assert store.schema_version() == len(applied)
    assert {"leads", "tags", "lead_tags", "changes", "settings"} <= set(store.db.table_names())


def test_applying_twice_changes_nothing(db_path):
    open_store(db_path, staff="a", device="d").close()
    before = schema(db_path)
    open_store(db_path, staff="a", device="d").close()
    assert schema(db_path) == before


def test_pragmas_make_commits_durable_and_shared(store):
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_missing_folders_are_created_only_when_asked(tmp_path):
    path = tmp_path / "a" / "b" / "leads.db"
    with pytest.raises(DatabaseError, match="does not exist \\(is the drive mounted\\?\\)"):
        open_store(path, staff="a", device="d")
    assert not (tmp_path / "a").exists()
    open_store(path, staff="a", device="d", make_folders=True).close()
    assert path.exists()


def test_a_missing_file_is_created_only_when_asked(db_path):
    from leadcap.errors import NotFound

    with pytest.raises(NotFound, match="no database at"):
        open_store(db_path, staff="a", device="d", create=False)
    assert not db_path.exists()
    store = open_store(db_path, staff="a", device="d")
    assert store.created
    store.close()
    assert not open_store(db_path, staff="a", device="d", create=False).created


def test_a_lead_number_beyond_sqlite_integers_is_not_found(store):
    from leadcap.errors import NotFound
    from leadcap.store import leads

    with pytest.raises(NotFound, match="no lead with id 99999999999999999999999"):
        leads.get_lead(store, "99999999999999999999999")


def test_newer_schema_is_refused_and_not_modified(db_path):
    open_store(db_path, staff="a", device="d").close()
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at)"
        " VALUES ('leadcap', 'm999_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseError, match="newer leadcap"):
        open_store(db_path, staff="a", device="d")
    assert db_path.read_bytes() == before


def test_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="not a leadcap one"):
        open_store(path, staff="a", device="d")


def test_non_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("just some text, not a database\n" * 100)
    with pytest.raises(DatabaseError, match="not a leadcap database"):
        open_store(path, staff="a", device="d")
    assert path.read_text().startswith("just some text")


def test_settings_round_trip(store):
    store.set_setting("exhibitors", ["Fraunhofer", "ACME GmbH"])
    assert store.setting("exhibitors") == ["Fraunhofer", "ACME GmbH"]


def test_tombstone_matches_email_and_badge_but_keeps_nothing_readable(store):
    from leadcap.store import tombstones

    with store.transaction():
        tombstones.bury(store, {"email": "Taro@Example.jp", "badge_id": "NT-0042"}, "2026-12-09")
    assert tombstones.is_forgotten(store, {"email": "taro@example.jp"})
    assert tombstones.is_forgotten(store, {"badge_id": "nt-0042"})
    assert not tombstones.is_forgotten(store, {"email": "hanako@example.jp"})
    dump = "\n".join(store.conn.iterdump())
    assert "taro" not in dump.lower() and "0042" not in dump


def test_the_scan_loop_checkpoints_between_visitors(store):
    from leadcap.store import leads

    store.defer_checkpoints()
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    leads.add_lead(store, {"company": "ACME"})
    store.checkpoint()
    busy, wal_frames, moved = store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and wal_frames == moved


def test_system_timezone_comes_from_tzlocal_where_unix_files_say_nothing(monkeypatch):
    """Windows has no TZ or /etc/localtime: tzlocal reads the registry there."""
    import tzlocal

    from leadcap.store import database

    monkeypatch.setattr(database, "_unix_zone_name", lambda: "")
    monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "America/New_York")
    database.system_timezone.cache_clear()
    try:
        assert database.system_timezone() == "America/New_York"
        monkeypatch.setattr(tzlocal, "get_localzone_name", lambda: "Not/AZone")
        database.system_timezone.cache_clear()
        assert database.system_timezone() == "UTC"
    finally:
        database.system_timezone.cache_clear()


def test_system_timezone_on_unix_is_read_without_tzlocal(monkeypatch):
    import subprocess
    import sys

    code = (
        "import sys; from leadcap.store import database; "
        "print(database.system_timezone(), 'tzlocal' in sys.modules)"
    )
    env = {**__import__("os").environ, "TZ": "Europe/Berlin"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.split() == ["Europe/Berlin", "False"]


# -- lead numbers are never given twice (m005) ----------------------------------------


def test_forget_then_add_never_reuses_a_lead_number(cli):
    for name in ("Sato", "Weber"):
        cli("add", "--family-name", name)
    cli("forget", "2", "--yes")
    assert cli("add", "--family-name", "Tanaka").stdout.strip() == "3"


def test_erased_row_number_is_not_reused_in_the_core(store):
    from leadcap.store import erasure, leads

    first = leads.add_lead(store, {"family_name": "Sato"})
    second = leads.add_lead(store, {"family_name": "Weber"})
    erasure.forget_lead(store, second, at="2026-12-09T10:00:00+09:00")
    assert leads.add_lead(store, {"family_name": "Tanaka"})["id"] == second["id"] + 1
    assert first["id"] == 1


def old_database(db_path, stop_before: str):
    """A database as an older leadcap left it: migrations up to `stop_before` only."""
    import sqlite_utils

    db = sqlite_utils.Database(db_path)
    migrations.apply(db, stop_before=stop_before)
    return db


def insert_old_lead(db, lead_id: int, search_text: str, **fields) -> None:
    row = {"id": lead_id, "uuid": f"u{lead_id}", "captured_at": "2026-12-09T10:00:00+09:00"}
    row.update(captured_utc="2026-12-09T01:00:00+00:00", updated_at=row["captured_at"])
    db["leads"].insert({**row, "search_text": search_text, **fields})


def test_m005_keeps_ids_tags_and_search_of_an_older_database(db_path):
    from leadcap.store import leads

    db = old_database(db_path, "m005_lead_numbers_never_reused")
    for lead_id, name in ((1, "佐藤"), (2, "Weber"), (3, "Tanaka")):
        insert_old_lead(db, lead_id, name.lower(), family_name=name)
    db.execute("INSERT INTO tags (name) VALUES ('AI')")
    db.execute("INSERT INTO lead_tags (lead_id, tag_id) VALUES (3, 1)")
    db.execute("DELETE FROM leads WHERE id = 2")
    db.conn.commit()
    db.close()
    store = open_store(db_path, staff="a", device="d")
    assert [x["id"] for x in leads.iter_leads(store)] == [3, 1]
    assert leads.get_lead(store, 3)["tags"] == ["AI"]
    assert [x["id"] for x in leads.find(store, "佐藤")] == [1]
    store.conn.execute("DELETE FROM leads WHERE id = 3")
    assert leads.add_lead(store, {"family_name": "Ito"})["id"] == 4
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    store.close()


def test_region_and_materials_columns_exist(store):
    columns = {row[1] for row in store.conn.execute("PRAGMA table_info(leads)")}
    assert {"region", "materials"} <= columns


def test_m005_country_codes_revalidates_phones_of_named_countries(db_path):
    from leadcap.store import leads

    db = old_database(db_path, "m005_country_codes")
    reasons = "[\"phone '03-1234-5678' is not a phone number (no country)\"]"
    insert_old_lead(
        db, 1, "", country="日本", phone="03-1234-5678", review_reasons=reasons, needs_review=1
    )
    db.conn.commit()
    db.close()
    store = open_store(db_path, staff="a", device="d")
    lead = leads.get_lead(store, 1)
    assert (lead["country"], lead["country_code"]) == ("日本", "JP")
    assert lead["phone_e164"] == "+81312345678" and not lead["needs_review"]
    store.close()


@pytest.mark.parametrize("variables", [250_000, 100])  # 100: a row per statement at most
def test_insert_lead_rows_keeps_order_and_fills_search(store, variables):
    from leadcap.store.leads import find, insert_lead_rows

    store.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, variables)
    columns = ["uuid", "company", "search_text", "captured_at", "captured_utc", "updated_at"]
    at = "2026-12-09T09:00:00+09:00"
    rows = [(f"u{n}", f"Firm {n}", f"firm {n}", at, at, at) for n in range(450)]
    with store.transaction():
        insert_lead_rows(store.conn, columns, rows)
    found = store.conn.execute("SELECT uuid FROM leads ORDER BY id").fetchall()
    assert [r[0] for r in found] == [f"u{n}" for n in range(450)]
    assert [lead["company"] for lead in find(store, "firm 449")] == ["Firm 449"]


@pytest.mark.parametrize("variables", [250_000, 7])  # 7: two leads per statement
def test_update_search_texts_sets_each_lead_and_its_index(store, variables):
    from leadcap.store.health import check_search_index
    from leadcap.store.leads import add_lead, find, update_search_texts

    ids = [add_lead(store, {"company": f"Firm{n}"})["id"] for n in range(5)]
    store.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, variables)
    with store.transaction():
        update_search_texts(store.conn, [(i, f"kobe{n}") for n, i in enumerate(ids[:4])])
    texts = store.conn.execute("SELECT id, search_text FROM leads ORDER BY id").fetchall()
    assert texts == [*[(i, f"kobe{n}") for n, i in enumerate(ids[:4])], (ids[4], "firm4")]
    assert [lead["id"] for lead in find(store, "kobe3")] == [ids[3]]
    assert find(store, "firm3") == []
    assert check_search_index(store).ok
