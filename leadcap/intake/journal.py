"""The fallback journal's file: appending, reading and rewriting entries.

Each entry is one line `LCJ1 <crc32> <json>`: self-delimiting (JSON never holds a raw
newline) and checksummed, so a line torn by a crash or a full disk is recognised and
skipped on its own, without swallowing the entry written after it. An append is
complete and fsync'd before it returns; otherwise the partial bytes are cut off again
and `JournalError` says the scan was NOT saved. Appends and rewrites take an exclusive
lock on the file, so two processes never interleave their bytes and a rewrite (after
`forget`) never loses an entry appended meanwhile."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from leadcap.errors import LeadcapError

MAGIC = b"LCJ1 "


def _lock(fd: int, *, shared: bool = False) -> None:
    """An advisory lock on the journal (released when the descriptor is closed). Where
    there is no flock (Windows), appends still use O_APPEND, without the lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return
    fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)


class JournalError(LeadcapError):
    """The journal could not be written: the scan was NOT saved anywhere."""


@dataclass
class JournalContents:
    entries: list[dict] = field(default_factory=list)
    damaged: list[tuple[int, int]] = field(default_factory=list)  # (offset, length) skipped

    @property
    def damaged_bytes(self) -> int:
        return sum(length for _offset, length in self.damaged)


def encode(entry: dict) -> bytes:
    body = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return MAGIC + b"%08x " % zlib.crc32(body) + body + b"\n"


def decode(data: bytes) -> JournalContents:
    """Every intact entry in order, and where the damaged bytes were. Lines written by
    leadcap before entries were checksummed (plain JSON) are still read."""
    found = JournalContents()
    offset = 0
    for line in data.split(b"\n"):
        entry = _entry(line)
        if entry is not None:
            found.entries.append(entry)
        elif line.strip():
            found.damaged.append((offset, len(line)))
        offset += len(line) + 1
    return found


def _entry(line: bytes) -> dict | None:
    if line.startswith(MAGIC):
        checksum, _, body = line[len(MAGIC) :].partition(b" ")
        try:
            if int(checksum, 16) != zlib.crc32(body):
                return None
            entry = json.loads(body)
        except ValueError:
            return None
    elif line.startswith(b"{"):
        try:
            entry = json.loads(line)
        except ValueError:
            return None
    else:
        return None
    return entry if isinstance(entry, dict) and isinstance(entry.get("id"), str) else None


def read(path: Path) -> JournalContents:
    """The journal as it is between appends (a shared lock: an entry being written by
    another process is not mistaken for a torn one)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return JournalContents()
    try:
        _lock(fd, shared=True)
        size = os.fstat(fd).st_size
        return decode(os.pread(fd, size, 0))
    finally:
        os.close(fd)


def append(path: Path, entry: dict) -> None:
    """Append one entry, complete and fsync'd, or raise JournalError having cut off any
    partial bytes (a short write on a full disk must not leave half an entry)."""
    data = encode(entry)
    try:
        fd = _open_locked(path)
    except OSError as error:
        raise _not_saved(path, error) from None
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # after a torn line: start on a line of our own
        try:
            _write_all(fd, data)
            os.fsync(fd)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, size)
                os.fsync(fd)
            raise _not_saved(path, error) from None
    finally:
        os.close(fd)


def _not_saved(path: Path, error: OSError) -> JournalError:
    return JournalError(
        f"cannot write the scan anywhere: the database and {path} both failed"
        f" ({error.strerror or error}). Free disk space or move to a writable folder;"
        " the scan was NOT saved"
    )


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _open_locked(path: Path) -> int:
    """The journal opened for appending, exclusively locked. If a rewrite replaced the
    file while we waited for the lock, open the new one."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            _lock(fd)
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def rewrite(path: Path, keep: Callable[[dict], bool]) -> tuple[int, int]:
    """Rewrite the journal with only the entries `keep` accepts (and without damaged
    bytes, which nothing can import). Returns (entries removed, damaged bytes dropped).
    The new file replaces the old one atomically; the old one is overwritten with zeros
    first so the removed entries do not linger on disk."""
    path = Path(path)
    if not path.exists():
        return 0, 0
    fd = _open_locked(path)
    try:
        size = os.fstat(fd).st_size
        contents = decode(os.pread(fd, size, 0))
        kept = [e for e in contents.entries if keep(e)]
        removed = len(contents.entries) - len(kept)
        if not removed and not contents.damaged:
            return 0, 0
        tmp = path.with_name(f".{path.name}.rewrite")
        tmp.unlink(missing_ok=True)
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(out, b"".join(encode(e) for e in kept))
            os.fsync(out)
        finally:
            os.close(out)
        old = os.open(path, os.O_WRONLY)  # not O_APPEND: pwrite must overwrite in place
        try:
            os.replace(tmp, path)
            _fsync_dir(path.parent)
            os.pwrite(old, b"\0" * size, 0)
            os.fsync(old)
        finally:
            os.close(old)
        return removed, contents.damaged_bytes
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
