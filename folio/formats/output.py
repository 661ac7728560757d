"""Writing outputs and cache entries atomically (a reader, or a crash, never sees half a file),
and the hashes of the files that cache entries are keyed on."""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import cache
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def file_hash(path: Path) -> str:
    """The sha256 of a file's bytes ("missing" when there is none), read again only when its size
    or modification time changed."""
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    return _file_hash(path, stat.st_size, stat.st_mtime_ns)


@cache
def _file_hash(path: Path, size: int, mtime: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Entries:
    """Cache entries in a folder (None: no cache), a file each, named `KEY` + `suffix`. Each starts
    with the sha256 of the rest: an entry that does not match (damaged, or cut short) is made
    again, never used. `forget_the_rest` removes the entries this build did not ask for."""

    def __init__(self, folder: Path | None, suffix: str):
        self.folder, self.suffix = folder, suffix
        self.used: set[str] = set()

    def get(self, key: str) -> bytes | None:
        self.used.add(key + self.suffix)
        if self.folder is None:
            return None
        try:
            entry = (self.folder / (key + self.suffix)).read_bytes()
        except OSError:
            return None
        return entry[32:] if len(entry) >= 32 and hashlib.sha256(entry[32:]).digest() == entry[:32] else None

    def put(self, key: str, data: bytes) -> None:
        self.used.add(key + self.suffix)
        if self.folder is not None:
            write_atomic(self.folder / (key + self.suffix), hashlib.sha256(data).digest() + data)

    def forget_the_rest(self) -> None:
        for entry in self.folder.glob(f"*{self.suffix}") if self.folder is not None and self.folder.is_dir() else []:
            if entry.name not in self.used:
                entry.unlink(missing_ok=True)
