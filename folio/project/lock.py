"""One build at a time per output folder: a save in the preview while a command-line build runs
must corrupt neither an output nor the cache.

Each output is already written atomically (formats/output.py), but two builds interleave their
cache entries, their page signatures and their outputs: the last writer of one file and the
first of another can leave a PDF and an EPUB made from different texts side by side. So a build
holds an exclusive lock on its output folder from its first read of the cache to its last write.
A second build waits for it (saying so once), and gives up with a clear message after
LOCK_WAIT seconds. The lock is the kernel's (fcntl.flock): a build that is killed releases it.

The lock file lives in the temporary folder, named by the output folder's resolved path, not in
OUT itself: a build that fails must leave OUT as it was (not even create it), and a lock file
cannot be removed safely while another build may be waiting on it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from folio.errors import EXIT_USAGE, FolioError

LOCK_WAIT = 600.0
"""Seconds a build waits for another build of the same output folder before it gives up."""
POLL = 0.2


class BuildBusyError(FolioError):
    """Another build of the same output folder held the lock for longer than we would wait."""

    exit_code = EXIT_USAGE


def lock_path(out: Path) -> Path:
    """The lock of an output folder: one file per folder (however it is named), private to the user."""
    folder = Path(tempfile.gettempdir()) / f"folio-locks-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / f"{hashlib.sha256(str(out.resolve()).encode('utf-8')).hexdigest()[:32]}.lock"


@contextmanager
def build_lock(out: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Hold OUT's build lock while the block runs; wait up to `wait` seconds for another build."""
    path = lock_path(out)
    with open(path, "a+") as handle:
        if not _try_lock(handle):
            holder = _holder(path)
            print(f"folio: waiting for another build of {out}{holder} to finish", file=sys.stderr, flush=True)
            deadline = time.monotonic() + wait
            while not _try_lock(handle):
                if time.monotonic() > deadline:
                    raise BuildBusyError(
                        f"{out}: another build{holder} is still writing here after {wait:g} s "
                        "(hint: wait for it to finish, or build into another folder with --out)"
                    )
                time.sleep(POLL)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")  # who holds it, for the message of the build that waits
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _try_lock(handle: object) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[arg-type]
    except BlockingIOError:
        return False
    return True


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""
