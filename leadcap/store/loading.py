"""Loading sqlite-utils on demand, so commands that never open the database (`--help`)
do not pay for it, and without numpy (see `load_sqlite_utils`)."""

from __future__ import annotations

import sys
from types import ModuleType


def load_sqlite_utils() -> ModuleType:
    """sqlite-utils imports numpy and pandas at start-up when they are installed, only to
    map their scalar types; leadcap never stores such values. The `ocr` extra brings numpy
    in, which would add ~60 ms to every command (`leadcap --help` included), so they are
    hidden while sqlite-utils loads. Later imports of numpy and pandas work as usual."""
    if "sqlite_utils" in sys.modules:
        return sys.modules["sqlite_utils"]
    hidden = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # makes `import` fail
    try:
        import sqlite_utils
    finally:
        for name in hidden:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return sqlite_utils
