"""Who is the same person, among the leads of this laptop and another one being merged:
leads linked by recorded aliases, and among live leads of one event the same badge id, else
the same e-mail (when one of them has no badge). Two leads captured on one laptop are never
joined: staff added them separately, so they are reported as possible duplicates instead.
Judged from the united change log alone, so both laptops judge alike."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from leadcap.laptops.replay import change_key
from leadcap.laptops.source import IN_KEYS, keys


class UnionFind:
    """Leads joined into one person, each person named by its smallest uuid."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent.setdefault(item, item)
        while parent != item:
            grand = self.parent[parent]
            self.parent[item] = grand
            item, parent = parent, grand
        return item

    def union(self, a: str, b: str) -> str:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)
        return min(root_a, root_b)


class People:
    """Joins the leads of both sides (`ours`, `incoming`: rows by uuid) into people, on top
    of the aliases already in `found`. `new_changes`: the source's change rows not yet
    here (CHANGE_COLUMNS + seq), for the created and deleted marks they carry."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        ours: dict[str, dict],
        incoming: dict[str, dict],
        found: UnionFind,
        new_changes: list[tuple],
    ) -> None:
        self.conn, self.ours, self.incoming = conn, ours, incoming
        self.found, self.new_changes = found, new_changes
        self.duplicates: list[tuple[str, str]] = []  # kept apart: (first captured, second)

    def group(self) -> dict[str, list[str]]:
        """Leads of both sides that are one person: recorded aliases, and among live leads
        of the same event the same badge id, else the same e-mail (if one has no badge).
        Two leads captured on one device are never joined this way: that is reported."""
        found = self.found
        rows = {**self.ours, **self.incoming}
        by_badge, by_email = buckets(rows.values())
        # Only leads sharing a badge or e-mail can be joined here: the rest are left alone.
        by_badge = {k: b for k, b in by_badge.items() if len(b) > 1}
        by_email = {k: b for k, b in by_email.items() if len(b) > 1}
        candidates = {u for b in [*by_badge.values(), *by_email.values()] for u in b}
        roots = {found.find(u) for u in candidates}
        self.devices: dict[str, set] = defaultdict(set)
        for u, row in rows.items():
            root = found.find(u)
            if root in roots:
                self.devices[root].add(row.get("device") or "")
        self.add_joined_devices(rows, roots)
        deleted = self.deleted_uuids(candidates)
        self.order = {u: (captured(u, self.ours, self.incoming), u) for u in candidates}
        self.pairs: set[tuple[str, str]] = set()
        for _key, bucket in sorted(by_badge.items(), key=bucket_order):
            live = sorted(bucket - deleted, key=self.order.__getitem__)
            if len(live) > 1:
                self.join(live[1:], live[0])
        for _key, bucket in sorted(by_email.items(), key=bucket_order):
            live = sorted(bucket - deleted, key=self.order.__getitem__)
            badgeless = [u for u in live if not rows[u]["badge_norm"]]
            if len(live) > 1 and badgeless:
                self.join([u for u in live if u != badgeless[0]], badgeless[0])
        self.duplicates = sorted(self.pairs)
        groups: dict[str, list[str]] = defaultdict(list)
        for item in list(found.parent):
            groups[found.find(item)].append(item)
        return groups

    def add_joined_devices(self, rows: dict[str, dict], roots: set[str]) -> None:
        """The laptops that captured the copies joined into a lead earlier (of the people
        `roots`): their rows are gone (aliases), their `created` changes say where they
        were captured. Without them, a lead joined with this laptop's copy would look
        like another laptop's."""
        found = self.found
        joined = [u for u in found.parent if u not in rows and found.find(u) in roots]
        if not joined:
            return
        created = self.conn.execute(
            "SELECT lead_uuid, device FROM changes"
            f" WHERE lead_uuid {IN_KEYS} AND field = 'created'",
            [keys(joined)],
        ).fetchall()
        wanted = set(joined)
        created += [(c[2], c[7]) for c in self.new_changes if c[3] == "created" and c[2] in wanted]
        for lead_uuid, device in created:
            self.devices[found.find(lead_uuid)].add(device or "")

    def join(self, others: list[str], anchor: str) -> None:
        """Join each of `others` with `anchor`, unless that would put two leads of one
        device into one person (then they are possible duplicates)."""
        found, devices = self.found, self.devices
        for other in others:
            a, b = found.find(anchor), found.find(other)
            if a == b:
                continue
            if devices[a] & devices[b]:
                first, second = sorted((anchor, other), key=self.order.__getitem__)
                self.pairs.add((first, second))
                continue
            root = found.union(a, b)
            devices[root] = devices[a] | devices[b]

    def deleted_uuids(self, candidates: set[str]) -> set[str]:
        """Which of these leads are deleted, judged from the united change log alone (so
        both laptops judge alike). A deleted duplicate is not folded into the live lead."""
        if not candidates:
            return set()
        latest: dict[str, tuple] = {}
        found = self.conn.execute(
            "SELECT lead_uuid, uid, device, changed_at, seq, field, new_value FROM changes"
            f" WHERE lead_uuid {IN_KEYS} AND field IN ('created', 'deleted')",
            [keys(candidates)],
        ).fetchall()
        found += [
            (c[2], c[0], c[7], c[8], c[11], c[3], c[5])
            for c in self.new_changes
            if c[3] in ("created", "deleted") and c[2] in candidates
        ]
        for lead_uuid, uid, device, at, seq, fld, new in found:
            key = change_key((uid, device, at, seq))
            if lead_uuid not in latest or key > latest[lead_uuid][0]:
                latest[lead_uuid] = (key, fld == "deleted" and new == "true")
        return {u for u, (_key, gone) in latest.items() if gone}


def buckets(rows) -> tuple[dict[tuple, set[str]], dict[tuple, set[str]]]:
    """Lead uuids by (event, badge) and by (event, e-mail)."""
    by_badge: dict[tuple, set[str]] = defaultdict(set)
    by_email: dict[tuple, set[str]] = defaultdict(set)
    for row in rows:
        if row["badge_norm"]:
            by_badge[(row["event"], row["badge_norm"])].add(row["uuid"])
        if row["email_norm"]:
            by_email[(row["event"], row["email_norm"])].add(row["uuid"])
    return by_badge, by_email


def bucket_order(item: tuple) -> tuple:
    (event, key), _bucket = item
    return (event or "", key)


def captured(lead_uuid: str, ours: dict, incoming: dict) -> str:
    """When a lead was captured (UTC), from either side: the earlier copy leads."""
    row = ours.get(lead_uuid) or incoming.get(lead_uuid)
    return row["captured_utc"] if row else "~"
