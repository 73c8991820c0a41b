"""Store: the one SQLite file and everything that reads or writes it directly.

Opening and pragmas (`database`), the schema (`migrations`), field rules (`model`), leads,
their change log and undo (`history`), tags, device settings (`settings`), consent records
and texts, erasure and tombstones, backups and the health check (`health`)."""

import sys as _sys


def _import_sqlite_utils_without_numpy() -> None:
    """sqlite-utils imports numpy and pandas at start-up when they are installed, only to
    map their scalar types; leadcap never stores such values. The `ocr` extra brings numpy
    in, which would add ~60 ms to every command (`leadcap --help` included), so they are
    hidden while sqlite-utils loads. Later imports of numpy and pandas work as usual."""
    if "sqlite_utils" in _sys.modules:
        return
    hidden = [name for name in ("numpy", "pandas") if name not in _sys.modules]
    for name in hidden:
        _sys.modules[name] = None  # type: ignore[assignment]  # makes `import` fail
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            if _sys.modules.get(name, 0) is None:
                del _sys.modules[name]


_import_sqlite_utils_without_numpy()
