"""The fair with known numbers that the stats, debrief and report tests count on:
12 live leads over three days in Tokyo, one deleted lead, one returning visitor, one lead
captured at 23:30 UTC (next day in Tokyo). The `fair` fixture in conftest.py builds it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from leadcap.intake.capture import SessionDefaults, count_visit
from leadcap.store.database import Store
from leadcap.store.leads import add_lead, get_lead, update_lead

TOKYO = ZoneInfo("Asia/Tokyo")
# "Now" for every test using the fair: the third day, in the afternoon.
NOW = datetime(2026, 12, 10, 15, 0, tzinfo=TOKYO)

# (staff, captured_at, fields, tags, rating, consent, exhibitor)
FAIR = [
    ("anna", "2026-12-08T10:15:00+09:00", {"family_name": "Yamada", "email": "y@a.jp"},
     ["AI"], "hot", ["followup", "marketing"], None),
    ("anna", "2026-12-08T11:40:00+09:00", {"family_name": "Suzuki", "email": "s@a.jp"},
     ["AI", "Robotics"], "warm", ["followup"], None),
    ("ben", "2026-12-08T14:05:00+09:00", {"family_name": "Tanaka", "email": "t@a.jp"},
     ["Robotics"], "cold", ["followup"], None),
    # 23:30 UTC on the 8th is 08:30 on the 9th in Tokyo.
    ("ben", "2026-12-08T23:30:00+00:00", {"family_name": "Kato", "email": "k@a.jp"},
     ["Sensors"], "warm", ["followup"], "PartnerCo"),
    ("anna", "2026-12-09T09:10:00+09:00", {"family_name": "Ito", "email": "i@a.jp"},
     ["AI"], "hot", ["followup", "marketing"], "PartnerCo"),
    ("anna", "2026-12-09T13:00:00+09:00", {"family_name": "Sato", "company": "Sato KK"},
     ["Sensors"], None, [], None),
    ("ben", "2026-12-09T16:45:00+09:00", {"family_name": "Deleted", "email": "d@a.jp"},
     ["AI"], "cold", ["followup"], None),
    ("ben", "2026-12-09T17:20:00+09:00", {"family_name": "Mori", "email": "m@a.jp"},
     ["AI"], "warm", ["followup"], None),
    ("anna", "2026-12-10T09:05:00+09:00", {"family_name": "Abe", "email": "a@a.jp"},
     ["AI"], "hot", ["followup", "marketing"], None),
    ("anna", "2026-12-10T10:30:00+09:00", {"family_name": "Ono", "company": "Ono GmbH"},
     [], None, [], None),
    ("ben", "2026-12-10T11:15:00+09:00", {"family_name": "Ueda", "email": "bad@"},
     ["Robotics"], "warm", ["followup"], None),
    ("ben", "2026-12-10T12:00:00+09:00", {"family_name": "Kudo", "email": "ku@a.jp"},
     ["Sensors"], "cold", [], None),
    ("anna", "2026-12-10T14:00:00+09:00", {"family_name": "Endo", "email": "e@a.jp"},
     ["AI", "Robotics"], "hot", ["followup"], None),
]  # fmt: skip
DELETED_ID = 7
RETURNING_ID = 1


def build_fair(store: Store) -> Store:
    store.set_setting("timezone", "Asia/Tokyo")
    store.set_setting("event", "fair")
    for staff, at, fields, tags, rating, consent, exhibitor in FAIR:
        store.staff = staff
        add_lead(store, fields, tags=tags, rating=rating, exhibitor=exhibitor,
                 consent=dict.fromkeys(consent, "granted"), captured_at=at)  # fmt: skip
    store.staff = "anna"
    update_lead(store, DELETED_ID, {"deleted": True}, command="delete")
    count_visit(store, get_lead(store, RETURNING_ID), SessionDefaults())  # scanned again today
    return store
