"""Files and folders that hold personal data: the database, backups, snapshots, journals.

Created readable by their owner only (files 0600, folders 0700), as the scan journal always
was: on a shared laptop another account must not read the visitors' details. On file systems
without Unix permissions (FAT USB sticks, Windows) the modes are ignored and nothing fails."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def make_private_dirs(folder: Path) -> None:
    """Create `folder` and any missing parents, each one 0700 (existing ones are left as
    they are: they may be the user's own)."""
    folder = Path(folder)
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # another process was quicker
        _chmod(path, FOLDER_MODE)


def create_private_file(path: Path) -> None:
    """Create an empty file 0600 unless it exists, so that whatever writes it next (SQLite
    included, whose -wal and -shm files copy the database file's mode) keeps it private."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)
    _chmod(path, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    try:
        os.chmod(path, mode)
    except OSError:
        pass  # a file system without Unix permissions
