"""Store: the one SQLite file and everything that reads or writes it directly.

Opening and pragmas (`database`), the schema (`migrations`), field rules (`model`), leads,
their change log and undo (`history`), tags, device settings (`settings`), consent records
and texts, erasure and tombstones, backups and the health check (`health`)."""
