"""Incremental merges (issue 15): marks per source database, rewound sources, only the
leads whose log grew; plus what a merge must never do to this laptop's leads (issue 10)
and the files it must not leave beside a source (issue 16)."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace

import pytest

from leadcap.laptops import merge, source
from leadcap.laptops.replay import merge_notes
from leadcap.store import backups, leads
from leadcap.store import history as change_log
from leadcap.store.database import open_store


@pytest.fixture
def reads(monkeypatch):
    """What each merge read from its source: (full?, change rows, lead rows)."""
    seen = []
    original = merge.read_rows

    def spy(*args, **kwargs):
        found = original(*args, **kwargs)
        seen.append((found.full, len(found.changes), len(found.leads)))
        return found

    monkeypatch.setattr(merge, "read_rows", spy)
    return seen


def uids(store) -> list[str]:
    return sorted(r[0] for r in store.conn.execute("SELECT uid FROM changes"))


def test_a_source_with_nothing_new_is_skipped_after_its_header(laptop, reads):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"company": "ACME"})
    merge.merge_file(a, b.path)
    again = merge.merge_file(a, b.path)
    assert again.unchanged and not again.changed
    assert len(reads) == 1


def test_a_second_merge_reads_only_the_new_changes(laptop, reads):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    for n in range(20):
        leads.add_lead(b, {"company": f"Firm {n}"})
    merge.merge_file(a, b.path)
    leads.add_lead(b, {"company": "New KK", "email": "new@kk.jp"})
    report = merge.merge_file(a, b.path)
    assert report.added == 1
    assert reads[-1] == (False, 3, 1)  # created, company, email: one lead


def test_a_person_captured_here_since_joins_their_copy_although_the_source_has_nothing_new(
    laptop, reads
):
    """Found by test_merge_properties: b captured Ken, a merged b, then a captured Ken too.
    Merging b again must join them as a merge of everything would (and as b does)."""
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"badge_id": "B-1", "email": "ken@acme.jp"})
    merge.merge_file(a, b.path)
    leads.add_lead(a, {"badge_id": "B-1", "email": "ken@acme.jp"})
    report = merge.merge_file(a, b.path)
    assert not report.unchanged and report.linked == 1
    assert reads[-1] == (False, 0, 1)  # no change rows: only the matching lead
    assert a.conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0] == 1
    assert merge.merge_file(a, b.path).unchanged  # matched once, then skipped again
    merge.merge_file(b, a.path)
    assert dump_people(a) == dump_people(b)


def test_a_first_merge_joins_two_leads_here_from_two_laptops_though_the_file_is_empty(laptop):
    """Found by test_merge_properties: c captured Ken, a merged c and captured Ken again.
    Merging an empty b must give what b gets from a: one Ken."""
    a, b, c = laptop("laptop-a"), laptop("laptop-b"), laptop("laptop-c")
    leads.add_lead(c, {"badge_id": "B-1", "email": "ken@acme.jp"})
    merge.merge_file(a, c.path)
    leads.add_lead(a, {"badge_id": "B-1", "email": "ken@acme.jp"})
    a_before = backups.snapshot(a, a.path.with_name("a-copy.db"))
    report = merge.merge_file(a, b.path)
    assert report.linked == 1
    merge.merge_file(b, a_before)
    assert dump_people(a) == dump_people(b) and len(dump_people(a)) == 1


def test_a_lead_joined_earlier_is_never_joined_with_a_second_copy_from_one_of_its_laptops(
    laptop,
):
    """Found by test_merge_properties: a captured Ken twice (possible duplicates), one copy
    was joined with b's Ken; a later merge took the joined lead for b's alone and joined
    a's second copy into it, putting two of a's leads into one."""
    a, b, c = laptop("laptop-a"), laptop("laptop-b"), laptop("laptop-c")
    leads.add_lead(b, {"badge_id": "B-1", "email": "sato@beta.jp"})  # first: its uuid stays
    leads.add_lead(a, {"badge_id": "B-1", "email": "ken@acme.jp"})
    leads.add_lead(a, {"badge_id": "B-1", "email": "ken@acme.jp"})
    assert merge.merge_file(a, b.path).linked == 1
    report = merge.merge_file(a, c.path)
    assert report.linked == 0 and report.possible_duplicates == [(1, 2)]
    assert a.conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0] == 2


def test_edits_here_that_match_no_one_there_still_skip_the_source(laptop, reads):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"badge_id": "B-1"})
    merge.merge_file(a, b.path)
    leads.add_lead(a, {"badge_id": "B-9", "email": "other@x.jp"})
    assert merge.merge_file(a, b.path).unchanged
    assert len(reads) == 1


def dump_people(store) -> list:
    return sorted(
        (lead["uuid"], lead["badge_id"], lead["visits"])
        for lead in leads.iter_leads(store, leads.LeadFilter())
    )


def test_a_recreated_snapshot_of_the_same_database_keeps_the_mark(laptop, tmp_path, reads):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"company": "ACME"})
    merge.merge_file(a, backups.snapshot(b, tmp_path / "usb" / "leadcap-b.db"))
    again = merge.merge_file(a, backups.snapshot(b, tmp_path / "usb" / "leadcap-b.db"))
    assert again.unchanged


def test_a_restored_source_with_new_changes_is_merged_in_full(laptop, tmp_path, reads):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"company": "Before backup"})
    old = backups.snapshot(b, tmp_path / "old.db")
    leads.add_lead(b, {"company": "Lost in the restore"})
    merge.merge_file(a, b.path)
    b.close()
    shutil.copy(old, b.path)  # the laptop restored its backup ...
    b = laptop("laptop-b")
    leads.add_lead(b, {"company": "After restore"})  # ... and reused the change ids
    report = merge.merge_file(a, b.path)
    assert reads[-1][0] is True and report.added == 1
    assert sorted(x["company"] for x in leads.iter_leads(a)) == [
        "After restore",
        "Before backup",
        "Lost in the restore",
    ]


def test_only_the_leads_whose_log_grew_are_recomputed(laptop, monkeypatch):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    first = leads.add_lead(b, {"company": "ACME"})
    for n in range(10):
        leads.add_lead(b, {"company": f"Firm {n}"})
    merge.merge_file(a, b.path)
    leads.update_lead(b, first["uuid"], {"title": "CTO"}, command="edit")
    replayed = []
    original = merge.lead_state
    monkeypatch.setattr(
        merge, "lead_state", lambda *args: replayed.append(args[1]["uuid"]) or original(*args)
    )
    assert merge.merge_file(a, b.path).updated == 1
    assert replayed == [first["uuid"]]


def test_an_undo_on_the_source_reaches_rows_merged_before(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    lead = leads.add_lead(b, {"company": "ACME"})
    leads.update_lead(b, lead["uuid"], {"title": "CTO"}, command="edit")
    merge.merge_file(a, b.path)
    change_log.undo(b)
    merge.merge_file(a, b.path)
    marks = a.conn.execute(
        "SELECT COUNT(*) FROM changes WHERE field = 'title' AND undone_by IS NOT NULL"
        " AND command = 'edit'"
    )
    assert marks.fetchone()[0] == 1
    assert leads.get_lead(a, lead["uuid"])["title"] is None


def test_merge_leaves_no_wal_or_shm_file_beside_the_source(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"company": "ACME"})
    b.close()  # a closed WAL database: no -wal file until someone opens it
    assert not b.path.with_name(b.path.name + "-wal").exists()
    merge.merge_file(a, b.path)
    merge.merge_file(a, b.path)
    assert sorted(p.name for p in b.path.parent.glob("laptop-b.db*")) == ["laptop-b.db"]


def test_another_events_database_is_refused_with_both_names(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    a.set_setting("event", "Hannover Messe 2026")
    b.set_setting("event", "CEATEC 2026")
    leads.add_lead(b, {"company": "ACME"})
    with pytest.raises(merge.SourceError, match="'CEATEC 2026'.*'Hannover Messe 2026'"):
        merge.merge_file(a, b.path)
    assert list(leads.iter_leads(a)) == []
    assert merge.merge_file(a, b.path, any_event=True).added == 1


# -- this laptop's own leads (issue 10) ------------------------------------------------


def test_two_leads_added_on_this_laptop_are_never_fused_by_a_merge(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    one = leads.add_lead(a, {"email": "Ken@ACME.jp", "company": "ACME"})
    two = leads.add_lead(a, {"email": "ken@acme.jp", "title": "CTO"})
    leads.add_lead(b, {"email": "KEN@acme.jp", "city": "Tokyo"})
    report = merge.merge_file(a, b.path)
    assert report.possible_duplicates == [(one["id"], two["id"])]
    kept = {lead["id"]: lead for lead in leads.iter_leads(a)}
    assert sorted(kept) == [one["id"], two["id"]]
    assert kept[two["id"]]["title"] == "CTO" and kept[two["id"]]["uuid"] == two["uuid"]


def test_a_lead_joined_with_an_earlier_copy_keeps_its_number_history_and_undo(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    earlier = leads.add_lead(b, {"badge_id": "B-7", "company": "ACME"})
    mine = leads.add_lead(a, {"badge_id": "b-7"})
    leads.update_lead(a, mine["id"], {"title": "CTO"}, command="edit")
    merge.merge_file(a, b.path)
    joined = leads.get_lead(a, mine["id"])
    assert (joined["uuid"], joined["company"], joined["title"]) == (
        earlier["uuid"],
        "ACME",
        "CTO",
    )
    logged = {h["field"] for h in change_log.history(a, mine["id"])}
    assert {"company", "title", "badge_id"} <= logged
    leads.update_lead(a, mine["id"], {"title": "CEO"}, command="edit")
    change_log.undo(a)
    assert leads.get_lead(a, mine["id"])["title"] == "CTO"


def test_a_merge_never_changes_a_local_lead_without_a_change_entry(laptop):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    lead = leads.add_lead(a, {"company": "ACME", "email": "ken@acme.jp"})
    merge.merge_file(b, a.path)
    leads.update_lead(b, lead["uuid"], {"city": "Osaka"}, command="edit")
    leads.add_lead(b, {"email": "KEN@acme.jp", "title": "CTO"})
    merge.merge_file(a, b.path)
    now = leads.get_lead(a, lead["id"])
    logged = {(h["field"], h["new_value"]) for h in change_log.history(a, lead["id"])}
    for name in ("company", "city", "title"):
        assert (name, now[name]) in logged


def test_cli_merge_names_possible_duplicates_and_the_combine_command(cli, tmp_path):
    other = open_store(tmp_path / "b.db", staff="kenji", device="laptop-b")
    leads.add_lead(other, {"email": "ken@acme.jp"})
    other.close()
    cli("add", "--email", "Ken@acme.jp")
    cli("add", "--new", "--email", "ken@ACME.jp")
    result = cli("merge", str(tmp_path / "b.db"))
    assert "Possible duplicates: leads 1 and 2" in result.stdout
    assert "leadcap combine 1 2" in result.stdout


def test_cli_merge_refuses_another_event_unless_any_event(cli, tmp_path):
    other = open_store(tmp_path / "b.db", staff="kenji", device="laptop-b")
    other.set_setting("event", "CEATEC 2026")
    leads.add_lead(other, {"company": "ACME"})
    other.close()
    cli("config", "set", "event", "Hannover Messe 2026")
    result = cli("merge", str(tmp_path / "b.db"), code=1)
    assert "from the event 'CEATEC 2026', this database is for 'Hannover Messe 2026'" in (
        result.stderr
    )
    assert "--any-event" in result.stderr
    assert "Merged b.db: 1 added" in cli("merge", "--any-event", str(tmp_path / "b.db")).stdout


def test_cli_merge_says_nothing_new_the_second_time(cli, tmp_path):
    other = open_store(tmp_path / "b.db", staff="kenji", device="laptop-b")
    leads.add_lead(other, {"company": "ACME"})
    other.close()
    cli("merge", str(tmp_path / "b.db"))
    assert cli("merge", str(tmp_path / "b.db")).stdout == "Nothing new in b.db.\n"


def test_a_source_of_an_older_leadcap_is_merged_in_full_every_time(laptop, reads, monkeypatch):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    leads.add_lead(b, {"company": "ACME"})
    header = merge.read_header  # a leadcap before m008 wrote no database identity
    monkeypatch.setattr(merge, "read_header", lambda c: replace(header(c), identity=None))
    merge.merge_file(a, b.path)
    again = merge.merge_file(a, b.path)
    assert not again.unchanged and not again.changed
    assert [full for full, *_ in reads] == [True, True]
    assert a.conn.execute("SELECT COUNT(*) FROM merge_marks").fetchone()[0] == 0


def test_every_database_has_its_own_identity(laptop, tmp_path):
    a, b = laptop("laptop-a"), laptop("laptop-b")
    copy = backups.snapshot(a, tmp_path / "copy.db")
    with source.open_source(copy) as conn:
        copied = source.read_header(conn).identity
    ours = source.read_header(a.conn).identity
    assert ours == copied and ours != source.read_header(b.conn).identity
    assert sqlite3.connect(copy).execute("SELECT COUNT(*) FROM database_identity").fetchone() == (
        1,
    )


def test_a_note_written_twice_in_one_minute_stays_twice_after_merging_in_steps():
    once = "[2026-12-09 10:00 anna] call"
    assert merge_notes([once, f"{once}\n{once}"]) == f"{once}\n{once}"
    assert merge_notes([f"{once}\n{once}", once]) == f"{once}\n{once}"
