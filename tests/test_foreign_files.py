"""Other laptops' files that leadcap did not write as they are: extra schema objects,
values no leadcap writes, endless views. Reported and skipped; the rest is merged."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcap.laptops import merge
from leadcap.store import leads, schema_check
from leadcap.store.database import open_store


def laptop(path, company, *, tags=("AI",), email=None):
    store = open_store(path, staff="kenji", device=path.stem)
    leads.add_lead(store, {"company": company, "email": email}, tags=list(tags), rating="warm")
    store.close()
    return path


def tamper(path, *sql):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    for statement in sql:
        conn.executescript(statement)
    conn.close()


def companies(cli) -> list[str]:
    return sorted(lead["company"] for lead in cli.json("list"))


SPY = (
    "CREATE TABLE shadow (email TEXT); CREATE TRIGGER spy BEFORE DELETE ON leads BEGIN"
    " INSERT INTO shadow VALUES (old.email); END"
)
ENDLESS = (
    "ALTER TABLE leads RENAME TO real_leads; CREATE VIEW leads AS WITH RECURSIVE n(i) AS"
    " (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT real_leads.* FROM real_leads, n"
)


@pytest.mark.parametrize(("sql", "named"), [(SPY, "table shadow, trigger spy"), (ENDLESS, "view")])
def test_merge_refuses_schema_objects_leadcap_did_not_create(cli, tmp_path, sql, named):
    crafted = tamper(laptop(tmp_path / "leadcap-b.db", "Crafted"), sql) or tmp_path / "leadcap-b.db"
    result = cli("merge", str(crafted), code=1)
    assert "holds schema objects leadcap did not create" in result.stderr
    assert named in result.stderr


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("UPDATE leads SET captured_at = 'garbage'", "captured_at 'garbage' is not a time"),
        ("UPDATE leads SET consent = 'not json'", "consent is not valid JSON"),
        ("UPDATE leads SET rating = 'lukewarm'", "rating 'lukewarm' is not one of"),
        ("UPDATE changes SET new_value = '[1,2]' WHERE field = 'tags'", "tags are not a list"),
        ("UPDATE changes SET changed_at = 'garbage' WHERE field = 'rating'", "is not a time"),
    ],
)
def test_rows_with_bad_values_are_reported_and_skipped(cli, tmp_path, sql, reason):
    bad = laptop(tmp_path / "leadcap-b.db", "Bad values")
    tamper(bad, sql)
    result = cli("merge", str(bad))
    assert "with values leadcap never writes skipped" in result.stdout
    assert reason in result.stderr


def test_a_bad_file_does_not_stop_the_rest_of_the_sync_folder(cli, tmp_path):
    folder = tmp_path / "share"
    folder.mkdir()
    tamper(laptop(folder / "leadcap-a.db", "Endless"), ENDLESS)
    tamper(laptop(folder / "leadcap-b.db", "Spy"), SPY)
    bad = laptop(folder / "leadcap-c.db", "Garbage time")
    tamper(bad, "UPDATE leads SET captured_utc = 'garbage'")
    laptop(folder / "leadcap-d.db", "Good", email="good@example.com")
    start = time.monotonic()
    data = json.loads(cli("sync", str(folder), "--json").stdout)
    assert time.monotonic() - start < 30
    assert {json.loads(json.dumps(s))["file"].rsplit("/", 1)[1] for s in data["skipped"]} == {
        "leadcap-a.db",
        "leadcap-b.db",
    }
    merged = {m["source"].rsplit("/", 1)[1]: m for m in data["merged"]}
    assert merged["leadcap-c.db"]["added"] == 0 and merged["leadcap-c.db"]["rejected"]
    assert companies(cli) == ["Good"]


def test_reading_a_foreign_file_has_a_time_limit():
    conn = sqlite3.connect(":memory:")
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
    start = time.monotonic()
    with pytest.raises(schema_check.TooSlow), schema_check.time_limit(conn, 0.3):
        conn.execute(endless).fetchone()
    assert time.monotonic() - start < 5


def test_a_slow_foreign_file_is_skipped(tmp_path, store, monkeypatch):
    path = laptop(tmp_path / "leadcap-b.db", "Slow")
    tamper(
        path,
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
        " INSERT INTO changes (uid, batch, lead_uuid, field, new_value, changed_at, command)"
        " SELECT hex(randomblob(16)), 'b', lead_uuid, 'notes', 'x', changed_at, 'add'"
        " FROM (SELECT * FROM changes LIMIT 1), n",
    )
    monkeypatch.setattr(schema_check, "FOREIGN_READ_SECONDS", 0.0)
    with pytest.raises(merge.SourceError, match="reading took longer than"):
        merge.merge_file(store, path)


def test_a_file_failing_mid_merge_does_not_stop_the_next(store, tmp_path, monkeypatch):
    from leadcap.laptops import sync

    folder = tmp_path / "share"
    folder.mkdir()
    laptop(folder / "leadcap-a.db", "Breaks")
    laptop(folder / "leadcap-b.db", "Good", email="good@example.com")
    real = sync.merge_file

    def merge_file(target, path, **options):
        if path.name == "leadcap-a.db":
            raise KeyError("uuid")  # a replay bug on data no test has seen
        return real(target, path, **options)

    monkeypatch.setattr(sync, "merge_file", merge_file)
    report = sync.sync_folder(store, folder)
    assert [p.name for p, _why in report.skipped] == ["leadcap-a.db"]
    assert [x["company"] for x in leads.iter_leads(store)] == ["Good"]


def test_a_value_found_good_in_one_column_is_checked_again_in_another():
    at = "2026-12-09T09:00:00+09:00"
    change = ("u1", "b", "lead", "consent", None, '["a"]', "s", "d", at, "add", None, 1)
    lead = {
        "uuid": "lead",
        "captured_at": at,
        "captured_utc": at,
        "updated_at": at,
        "consent": "{}",
    }
    assert schema_check.lead_row_problem({**lead, "review_reasons": '["a"]'}) is None
    assert schema_check.change_row_problem(change) == "consent is not valid JSON"
    assert schema_check.lead_row_problem({**lead, "captured_at": "garbage"}) is not None


VALUES = st.one_of(
    st.none(),
    st.sampled_from(["x", "[]", '["AI"]', "[1]", "{}", "not json", "hot", "lukewarm", '"R&D"']),
    st.integers(),
    st.binary(max_size=3),
)
TIMES = st.one_of(
    st.sampled_from(["2026-12-09T10:00:00+09:00", "2026-12-09T10:00:00", "garbage", ""]),
    st.none(),
    st.integers(),
)
FIELDS = st.one_of(
    st.sampled_from(["company", "tags", "consent", "rating", "answer:Interest", "created"]),
    st.none(),
    st.integers(),
)
CHANGE = st.tuples(
    st.one_of(st.uuids().map(str), st.none(), st.integers()),  # uid
    st.just("batch"),
    st.one_of(st.uuids().map(str), st.none()),  # lead uuid
    FIELDS,
    VALUES,  # old value
    VALUES,  # new value
    st.just("kenji"),
    st.just("laptop-b"),
    TIMES,
    st.just("edit"),
    st.none(),
    st.integers(0, 9),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(CHANGE, max_size=30))
def test_checking_many_change_rows_at_once_finds_what_checking_each_finds(changes):
    one_by_one = {
        position: problem
        for position, change in enumerate(changes)
        if (problem := schema_check.change_row_problem(change))
    }
    assert schema_check.change_row_problems(changes) == one_by_one
