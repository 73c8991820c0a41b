"""The schema, as sqlite-utils migrations. Append-only: never edit or reorder one that
has shipped; add m00N_... instead. Each runs in a transaction with its record."""

from __future__ import annotations

import re

from leadcap.store.loading import load_sqlite_utils

migrations = load_sqlite_utils().Migrations("leadcap")


def applied_names(conn) -> set[str]:
    """The leadcap migrations a database file has had (empty: not a leadcap file)."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "_sqlite_migrations" not in tables:
        return set()
    rows = conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'leadcap'")
    return {row[0] for row in rows}


def unknown_names(applied: set[str]) -> set[str]:
    """Migrations this leadcap does not know: the file was written by a newer one."""
    return applied - {m.name for m in migrations._migrations}


LEAD_COLUMNS_SQL = """
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    event TEXT,
    badge_id TEXT, given_name TEXT, family_name TEXT, full_name TEXT, name_reading TEXT,
    company TEXT, department TEXT, title TEXT, email TEXT, phone TEXT, mobile TEXT,
    website TEXT, street TEXT, city TEXT, postal_code TEXT, country TEXT, notes TEXT,
    rating TEXT CHECK (rating IN ('hot', 'warm', 'cold')),
    consent TEXT NOT NULL DEFAULT '{}',
    captured_by TEXT, device TEXT,
    captured_at TEXT NOT NULL, captured_utc TEXT NOT NULL, updated_at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'manual',
    raw_payload TEXT,
    needs_review INTEGER NOT NULL DEFAULT 0,
    review_reasons TEXT NOT NULL DEFAULT '[]',
    visits INTEGER NOT NULL DEFAULT 1,
    exhibitor TEXT,
    status TEXT NOT NULL DEFAULT 'new',
    owner TEXT, due TEXT,
    deleted_at TEXT,
    email_norm TEXT, phone_e164 TEXT, mobile_e164 TEXT, badge_norm TEXT,
    sort_key TEXT, search_text TEXT NOT NULL DEFAULT ''
"""


@migrations()
def m001_initial(db):
    db.execute(f"CREATE TABLE leads ({LEAD_COLUMNS_SQL})")
    for column in ("captured_utc", "badge_norm", "email_norm", "rating", "device"):
        db.execute(f"CREATE INDEX idx_leads_{column} ON leads({column})")
    db.execute(
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
        " position INTEGER)"
    )
    db.execute(
        "CREATE TABLE lead_tags ("
        " lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,"
        " tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,"
        " PRIMARY KEY (lead_id, tag_id))"
    )
    db.execute("CREATE INDEX idx_lead_tags_tag ON lead_tags(tag_id)")
    db.execute(
        "CREATE TABLE changes (id INTEGER PRIMARY KEY, batch TEXT NOT NULL,"
        " lead_uuid TEXT NOT NULL, field TEXT NOT NULL, old_value TEXT, new_value TEXT,"
        " staff TEXT, device TEXT, changed_at TEXT NOT NULL, command TEXT NOT NULL,"
        " undone_by TEXT)"
    )
    db.execute("CREATE INDEX idx_changes_lead ON changes(lead_uuid)")
    db.execute("CREATE INDEX idx_changes_device ON changes(device, id)")
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE consent_records (id INTEGER PRIMARY KEY, lead_uuid TEXT NOT NULL,"
        " purpose TEXT NOT NULL, status TEXT NOT NULL, recorded_at TEXT NOT NULL,"
        " staff TEXT, device TEXT, method TEXT, text_version TEXT)"
    )
    db.execute("CREATE INDEX idx_consent_lead ON consent_records(lead_uuid)")
    # Trigram FTS over the folded search text: substring search in kanji and kana,
    # kept in step with leads by triggers (external content, so no second copy of the text).
    db.execute(
        "CREATE VIRTUAL TABLE leads_fts USING fts5(search_text, content='leads',"
        " content_rowid='id', tokenize='trigram')"
    )
    db.execute(
        "CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN"
        " INSERT INTO leads_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    )
    db.execute(
        "CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN"
        " INSERT INTO leads_fts(leads_fts, rowid, search_text)"
        " VALUES ('delete', old.id, old.search_text); END"
    )
    db.execute(
        "CREATE TRIGGER leads_fts_update AFTER UPDATE OF search_text ON leads BEGIN"
        " INSERT INTO leads_fts(leads_fts, rowid, search_text)"
        " VALUES ('delete', old.id, old.search_text);"
        " INSERT INTO leads_fts(rowid, search_text) VALUES (new.id, new.search_text); END"
    )


@migrations()
def m002_sync_and_privacy(db):
    """What several laptops and erasure need: a global id per change so merging can union
    change logs, visits counted per device, aliases for one person captured twice,
    tombstones for forgotten people, the organiser's attendee list, export profiles."""
    for table in ("changes", "consent_records"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN uid TEXT")
        db.execute(f"UPDATE {table} SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL")
        db.execute(f"CREATE UNIQUE INDEX idx_{table}_uid ON {table}(uid)")
    db.execute(
        "CREATE TABLE visits (lead_uuid TEXT NOT NULL, device TEXT NOT NULL,"
        " count INTEGER NOT NULL DEFAULT 1, last_at TEXT, PRIMARY KEY (lead_uuid, device))"
    )
    db.execute(
        "INSERT INTO visits (lead_uuid, device, count, last_at)"
        " SELECT uuid, coalesce(device, ''), visits, captured_at FROM leads"
    )
    db.execute(
        "CREATE TABLE lead_aliases (alias_uuid TEXT PRIMARY KEY, lead_uuid TEXT NOT NULL,"
        " linked_at TEXT)"
    )
    db.execute(
        "CREATE TABLE tombstones (hash TEXT PRIMARY KEY, salt TEXT NOT NULL,"
        " kind TEXT NOT NULL, forgotten_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE attendees (badge_norm TEXT PRIMARY KEY, badge_id TEXT NOT NULL,"
        " data TEXT NOT NULL DEFAULT '{}', imported_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE export_marks (profile TEXT NOT NULL, lead_uuid TEXT NOT NULL,"
        " exported_at TEXT NOT NULL, PRIMARY KEY (profile, lead_uuid))"
    )


@migrations()
def m003_merge(db):
    """Merging replays change logs from several laptops: changes made on one device within
    the same second need that device's own order, which random uids cannot give. `seq`
    counts each device's changes; merged rows keep the seq their device gave them."""
    db.execute("ALTER TABLE changes ADD COLUMN seq INTEGER")
    db.execute("UPDATE changes SET seq = id")
    db.execute("CREATE INDEX idx_changes_device_seq ON changes(device, seq)")
    db.execute(
        "CREATE TRIGGER changes_seq AFTER INSERT ON changes WHEN new.seq IS NULL BEGIN"
        " UPDATE changes SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM changes"
        " WHERE device IS new.device) WHERE id = new.id; END"
    )


def _refresh_search_text(db, columns: tuple[str, ...]) -> None:
    """Recompute each lead's stored search text from `columns` (those the search text was
    made of when the migration was written); the update trigger refreshes the index."""
    from leadcap.store import model

    rows = db.execute(f"SELECT id, search_text, {', '.join(columns)} FROM leads").fetchall()
    for lead_id, old, *values in rows:
        new = model.search_text(dict(zip(columns, values, strict=True)))
        if new != old:
            db.execute("UPDATE leads SET search_text = ? WHERE id = ?", [new, lead_id])


@migrations()
def m004_search_names(db):
    """`find` now also looks through the name as displayed ("Jan Müller", "山田太郎"):
    recompute the stored search text; the update trigger refreshes the index."""
    columns = ("full_name", "given_name", "family_name", "name_reading", "company")
    columns += ("department", "email", "notes")
    _refresh_search_text(db, columns)


@migrations()
def m005_lead_numbers_never_reused(db):
    """A lead's number is never given twice in one database: debrief lines, draft file names
    and paper notes that say "lead 2" must not come to mean someone else after `forget` or
    `purge`. SQLite only guarantees that with AUTOINCREMENT, which needs the table rebuilt;
    every row keeps its id, and the highest id ever seen is where numbering goes on. The
    table's current SQL is reused, so columns added by any migration before this one stay.

    Inside the migration's transaction foreign keys stay on, so dropping the old table
    would cascade to lead_tags: those rows are set aside and put back."""
    conn = db.conn
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type='table' AND name='leads'")
    create = sql.fetchone()[0]
    if "AUTOINCREMENT" in create.upper():
        return
    dependents = conn.execute(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'leads'"
        " AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
    ).fetchall()
    new_create, count = re.subn(
        r"\bid\s+INTEGER\s+PRIMARY\s+KEY\b",
        "id INTEGER PRIMARY KEY AUTOINCREMENT",
        create.replace("CREATE TABLE leads", "CREATE TABLE leads_m005", 1),
        count=1,
        flags=re.IGNORECASE,
    )
    if count != 1 or "leads_m005" not in new_create:
        raise RuntimeError("m005: unexpected shape of the leads table")
    conn.execute(new_create)
    conn.execute("INSERT INTO leads_m005 SELECT * FROM leads")
    conn.execute("CREATE TEMP TABLE m005_lead_tags AS SELECT * FROM lead_tags")
    conn.execute("DROP TABLE leads")
    conn.execute("ALTER TABLE leads_m005 RENAME TO leads")
    for _kind, statement in dependents:
        conn.execute(statement)
    conn.execute("INSERT INTO lead_tags SELECT * FROM temp.m005_lead_tags")
    conn.execute("DROP TABLE temp.m005_lead_tags")


@migrations()
def m005_search_badges_phones_variants(db):
    """`find` now also finds badge ids and phone numbers (by their digits), and folds kanji
    variants (髙 -> 高): recompute the stored search text; the update trigger refreshes
    the index."""
    columns = ("full_name", "given_name", "family_name", "name_reading", "company")
    columns += ("department", "email", "notes", "badge_id", "phone", "mobile")
    columns += ("phone_e164", "mobile_e164")
    _refresh_search_text(db, columns)


@migrations()
def m012_region_and_materials(db):
    """The address region (`東京都`, `CA`, `Bayern`), which vCards and MECARDs carry and every
    export now writes, and the materials staff promised the visitor (brochure, samples),
    the only booth words a draft e-mail may quote."""
    db.execute("ALTER TABLE leads ADD COLUMN region TEXT")
    db.execute("ALTER TABLE leads ADD COLUMN materials TEXT")


@migrations()
def m008_incremental_merge(db):
    """Incremental merges and laptops that cannot be mistaken for each other. Each database
    gets its own identity (a copy made by backup or snapshot keeps it; a database made
    anew, or a cloned laptop's, has another). `merge_marks` remembers, per source database
    and device, how far its change log and consent records were merged (their row ids and
    the uid found there, so a restored or rewound source is noticed). `device_ids` keeps
    the device ids this database has used, so a renamed laptop's history stays readable."""
    import uuid
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat(timespec="seconds")
    db.execute(
        "CREATE TABLE database_identity (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " uid TEXT NOT NULL, device TEXT, created_at TEXT NOT NULL)"
    )
    db.execute(
        "INSERT INTO database_identity (id, uid, created_at) VALUES (1, ?, ?)",
        [uuid.uuid4().hex, now],
    )
    db.execute(
        "CREATE TABLE merge_marks (source_uid TEXT NOT NULL, source_device TEXT NOT NULL,"
        " change_id INTEGER NOT NULL, change_uid TEXT, consent_id INTEGER NOT NULL,"
        " consent_uid TEXT, tombstones INTEGER NOT NULL, aliases INTEGER NOT NULL,"
        " merged_at TEXT NOT NULL, PRIMARY KEY (source_uid, source_device))"
    )
    db.execute(
        "CREATE TABLE device_ids (device TEXT PRIMARY KEY, replaced_by TEXT,"
        " reason TEXT, changed_at TEXT NOT NULL)"
    )


@migrations()
def m009_journal_done(db):
    """The journal entries `recover` has imported, one row each (was one JSON list in
    settings, rewritten per entry: quadratic). A row is written in the same transaction
    as the leads its entry became (`lead_uuid`: the lead a scan became, so codes and
    qualifying input journaled for that scan find it), and `restore` carries them over."""
    db.execute("CREATE TABLE journal_done (id TEXT PRIMARY KEY, done_at TEXT, lead_uuid TEXT)")
    db.execute(
        "INSERT OR IGNORE INTO journal_done (id) SELECT j.value FROM settings s,"
        " json_each(s.value) j WHERE s.key = 'journal_recovered' AND json_valid(s.value)"
    )
    db.execute("DELETE FROM settings WHERE key = 'journal_recovered'")


@migrations()
def m005_country_codes(db):
    """A country written as a name (`日本`, `Deutschland`, `Allemagne`) was taken for no
    country, so every phone of such a lead was flagged "not a phone number". Store the ISO
    code beside the country as written, and validate those leads' phones again."""
    import json

    from leadcap.store import model

    db.execute("ALTER TABLE leads ADD COLUMN country_code TEXT")
    row = db.execute("SELECT value FROM settings WHERE key = 'country'").fetchone()
    event_country = json.loads(row[0]) if row else None
    columns = [c[1] for c in db.execute("PRAGMA table_info(leads)").fetchall()]
    fields = [c for c in model.LEAD_FIELDS if c in columns]
    rows = db.execute(
        f"SELECT id, review_reasons, {', '.join(fields)} FROM leads WHERE country IS NOT NULL"
    ).fetchall()
    for lead_id, reasons, *values in rows:
        lead = dict(zip(fields, values, strict=True))
        derived = model.derived_columns(event_country, lead, json.loads(reasons or "[]"))
        assignments = ", ".join(f"{name} = ?" for name in derived)
        db.execute(f"UPDATE leads SET {assignments} WHERE id = ?", [*derived.values(), lead_id])


@migrations()
def m006_cards(db):
    """Business cards (meishi): the card image, downscaled to what is readable, kept with
    the lead so that backup, merge and sync carry it and forget and purge erase it. `uid`
    is global like a change's; `fields` holds what was read, with a confidence per field."""
    db.execute(
        "CREATE TABLE cards (uid TEXT PRIMARY KEY, lead_uuid TEXT NOT NULL,"
        " image BLOB NOT NULL, media_type TEXT NOT NULL, sha256 TEXT NOT NULL,"
        " file_name TEXT, width INTEGER, height INTEGER, source TEXT NOT NULL,"
        " fields TEXT NOT NULL DEFAULT '{}', added_at TEXT NOT NULL, staff TEXT, device TEXT)"
    )
    db.execute("CREATE INDEX idx_cards_lead ON cards(lead_uuid)")
    db.execute("CREATE UNIQUE INDEX idx_cards_lead_image ON cards(lead_uuid, sha256)")


@migrations()
def m007_questions(db):
    """Qualifying questions are event settings that travel with merges: each row carries
    when and where it was last changed, so two laptops settle on the latest version.
    `removed` hides a question but keeps its answers. Answers are the current state per
    lead and question; the change log (field `answer:<question>`) is their history."""
    db.execute(
        "CREATE TABLE questions (name TEXT PRIMARY KEY COLLATE NOCASE, type TEXT NOT NULL,"
        " choices TEXT NOT NULL DEFAULT '[]', labels TEXT NOT NULL DEFAULT '{}',"
        " position INTEGER NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0,"
        " changed_at TEXT NOT NULL, device TEXT NOT NULL DEFAULT '')"
    )
    db.execute(
        "CREATE TABLE lead_answers ("
        " lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,"
        " question TEXT NOT NULL COLLATE NOCASE, value TEXT NOT NULL,"
        " PRIMARY KEY (lead_id, question))"
    )
    db.execute("CREATE INDEX idx_lead_answers_question ON lead_answers(question)")


@migrations()
def m013_merge_marks_own_position(db):
    """A merge mark also keeps how far this database's own change log reached when that
    merge began: leads captured or edited here since may be people the source has, and
    are matched against it although the source has nothing new (0: from the start)."""
    db.execute("ALTER TABLE merge_marks ADD COLUMN own_change_id INTEGER NOT NULL DEFAULT 0")
