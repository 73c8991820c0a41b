"""Interest tags: counts, renaming and merging, and the event's predefined, numbered list."""

from __future__ import annotations

from leadcap.errors import NotFound
from leadcap.store.database import Store
from leadcap.store.leads import get_lead, lead_tags, log_changes, tag_id, update_lead


def tag_counts(store: Store) -> list[tuple[str, int, bool]]:
    """(name, live leads carrying it, predefined?) in the event's order, then by name."""
    rows = store.conn.execute(
        "SELECT t.name, COUNT(l.id), t.position IS NOT NULL FROM tags t"
        " LEFT JOIN lead_tags lt ON lt.tag_id = t.id"
        " LEFT JOIN leads l ON l.id = lt.lead_id AND l.deleted_at IS NULL"
        " GROUP BY t.id ORDER BY t.position IS NULL, t.position, t.name COLLATE NOCASE"
    )
    return [(name, count, bool(predefined)) for name, count, predefined in rows]


def rename_tag(store: Store, old: str, new: str) -> int:
    """Rename a tag everywhere; if `new` exists already the two are merged."""
    return merge_tags(store, old, new, command="tags rename")


def merge_tags(store: Store, source: str, target: str, *, command: str = "tags merge") -> int:
    """Move every lead tagged `source` to `target`, logging each lead's change (so that
    `undo` takes back this command and no other). The event's predefined list follows the
    new name. Returns how many leads changed."""
    target = target.strip()
    batch = store.new_batch()
    with store.transaction():
        row = store.conn.execute(
            "SELECT id, name FROM tags WHERE name = ? COLLATE NOCASE", [source]
        ).fetchone()
        if not row:
            raise NotFound(f"no tag {source!r}. `leadcap tags` lists the tags in use")
        source_id, source_name = row
        lead_ids = [
            r[0]
            for r in store.conn.execute(
                "SELECT lead_id FROM lead_tags WHERE tag_id = ? ORDER BY lead_id", [source_id]
            )
        ]
        if source_name.casefold() == target.casefold():
            # A change of spelling only: rename in place, nothing to move, but log it.
            before = {lead_id: lead_tags(store, lead_id) for lead_id in lead_ids}
            store.conn.execute("UPDATE tags SET name = ? WHERE id = ?", [target, source_id])
            rename_predefined(store, source_name, target)
            at = store.now().isoformat()
            for lead_id, old in before.items():
                lead_uuid = store.conn.execute(
                    "UPDATE leads SET updated_at = ? WHERE id = ? RETURNING uuid", [at, lead_id]
                ).fetchone()[0]
                new = lead_tags(store, lead_id)
                log_changes(store, batch, lead_uuid, [("tags", old, new)], command, at)
            return len(lead_ids)
        target_id = tag_id(store, target)
        for lead_id in lead_ids:
            lead = get_lead(store, lead_id)
            new = [target if t == source_name else t for t in lead["tags"]]
            update_lead(
                store, lead_id, {"tags": list(dict.fromkeys(new))}, command=command, batch=batch
            )
        store.conn.execute(
            "UPDATE tags SET position = coalesce(position, (SELECT position FROM tags"
            " WHERE id = ?)) WHERE id = ?",
            [source_id, target_id],
        )
        store.conn.execute("DELETE FROM tags WHERE id = ?", [source_id])
        target_name = store.conn.execute("SELECT name FROM tags WHERE id = ?", [target_id])
        rename_predefined(store, source_name, target_name.fetchone()[0])
    return len(lead_ids)


def rename_predefined(store: Store, old: str, new: str) -> None:
    """Rewrite a name in the event's predefined tag list (the scan loop numbers it): in place,
    or dropped when `new` is on the list already (a merge)."""
    names = store.setting("tags") or []
    if old.casefold() not in {n.casefold() for n in names}:
        return
    merging = old.casefold() != new.casefold() and new.casefold() in {n.casefold() for n in names}
    if merging:
        names = [n for n in names if n.casefold() != old.casefold()]
    else:
        names = [new if n.casefold() == old.casefold() else n for n in names]
    store.set_setting("tags", names)


def restore_tag_spelling(store: Store, old_tags: list[str], new_tags: list[str]) -> None:
    """Undo of a spelling-only rename: the lead's tags are the same tags, so put back the
    name itself (only if the tag still carries the spelling that command gave it)."""
    before = {name.casefold(): name for name in old_tags}
    for name in new_tags:
        old = before.get(name.casefold())
        if old is None or old == name:
            continue
        renamed = store.conn.execute(
            "UPDATE tags SET name = ? WHERE name = ? COLLATE BINARY", [old, name]
        ).rowcount
        if renamed:
            rename_predefined(store, name, old)


def set_predefined_tags(store: Store, names: list[str]) -> None:
    """The event's interest areas, in order: the scan loop numbers them 1, 2, 3..."""
    with store.transaction():
        store.conn.execute("UPDATE tags SET position = NULL")
        for position, name in enumerate(names, start=1):
            store.conn.execute(
                "UPDATE tags SET position = ? WHERE id = ?", [position, tag_id(store, name)]
            )
    store.set_setting("tags", names)
