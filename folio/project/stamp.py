"""The one time a build stamps into its outputs, and the ways each format writes it.

SOURCE_DATE_EPOCH when it is set (the reproducible-builds convention), otherwise the newest input
file: an unchanged manuscript gives byte-identical outputs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ZIP_EPOCH = 315532800  # 1980-01-01: a zip file cannot store an earlier date


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


def build_time(inputs: Iterable[Path]) -> Stamp:
    """SOURCE_DATE_EPOCH, else the modification time of the newest of these input files."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        return Stamp(float(os.environ["SOURCE_DATE_EPOCH"]))
    return Stamp(max(path.stat().st_mtime for path in inputs))


def now() -> Stamp:
    """SOURCE_DATE_EPOCH, else the current time (for records made outside a build)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return Stamp(float(epoch) if epoch.isdigit() else time.time())
