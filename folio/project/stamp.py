"""The one time a build stamps into its outputs, and the ways each format writes it.

Printers and distributors ask for the same file again months later, from another clone of the
same repository: the time must come from the source, never from the clock or from the moment
the files were checked out. In order:

1. SOURCE_DATE_EPOCH, when it is set (the reproducible-builds convention);
2. the date of the last commit that touched the project's inputs (manuscript/ and templates/),
   when the project is in a git repository and those inputs are as committed: two clones of one
   commit, made at different times in different folders, get the same date;
3. otherwise (no git, not a repository, uncommitted changes) the newest input file's
   modification time: an unchanged manuscript still gives byte-identical outputs.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ZIP_EPOCH = 315532800  # 1980-01-01: a zip file cannot store an earlier date
GIT_TIMEOUT = 10.0  # seconds: a hung git (a network file system, a prompt) must not hang the build
TRACKED = ("manuscript", "templates")
"""The project's folders whose last commit dates a build."""


@dataclass(frozen=True)
class Stamp:
    seconds: float

    def _format(self, pattern: str) -> str:
        return time.strftime(pattern, time.gmtime(self.seconds))

    @property
    def iso(self) -> str:
        """2026-11-28T09:30:00Z: the EPUB's dcterms:modified, Word's document properties."""
        return self._format("%Y-%m-%dT%H:%M:%SZ")

    @property
    def xmp(self) -> str:
        """2026-11-28T09:30:00+00:00: XMP and PDF metadata dates."""
        return self._format("%Y-%m-%dT%H:%M:%S+00:00")

    @property
    def pdf(self) -> str:
        """D:20261128093000+00'00': a PDF document information date."""
        return self._format("D:%Y%m%d%H%M%S+00'00'")

    @property
    def onix(self) -> str:
        """20261128T093000Z: ONIX's SentDateTime."""
        return self._format("%Y%m%dT%H%M%SZ")

    @property
    def zip(self) -> tuple[int, int, int, int, int, int]:
        """A zip entry's date and time."""
        year, month, day, hour, minute, second = time.gmtime(max(self.seconds, ZIP_EPOCH))[:6]
        return year, month, day, hour, minute, second


def build_time(inputs: Iterable[Path], root: Path | None = None) -> Stamp:
    """SOURCE_DATE_EPOCH; else the last commit that touched `root`'s inputs (when they are as
    committed); else the modification time of the newest of these input files."""
    epoch = source_date_epoch()
    if epoch is not None:
        return Stamp(epoch)
    committed = commit_time(root) if root is not None else None
    if committed is not None:
        return Stamp(committed)
    return Stamp(max(path.stat().st_mtime for path in inputs))


def source_date_epoch() -> float | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return float(epoch) if epoch.isdigit() else None


def commit_time(root: Path) -> float | None:
    """The commit time of the last commit touching the project's manuscript/ and templates/,
    or None: git missing, not a repository, no such commit, or uncommitted changes there
    (then the text is not the commit's, and the commit's date would be a false one)."""
    folders = [name for name in TRACKED if (root / name).exists()]
    if not folders:
        return None
    changed = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *folders)
    if changed is None or changed.strip():
        return None
    out = _git(root, "log", "-1", "--format=%ct", "--", *folders)
    return float(out.strip()) if out and out.strip().isdigit() else None


def _git(root: Path, *arguments: str) -> str | None:
    """git's output, or None whatever went wrong: the stamp then falls back, it never fails."""
    command = ["git", "--no-optional-locks", "-C", str(root), *arguments]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        result = subprocess.run(command, capture_output=True, timeout=GIT_TIMEOUT, env=env, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", errors="replace")


def now() -> Stamp:
    """SOURCE_DATE_EPOCH, else the current time (for records made outside a build)."""
    epoch = source_date_epoch()
    return Stamp(time.time() if epoch is None else epoch)
