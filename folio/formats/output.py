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
