"""What a build tells while it runs, and what it counts for its report.

The pipeline's modules never print: they say what they are doing through this module's functions
(`stage`, `step`, `cache`, `pages`), and whoever listens decides what to show. A build always
listens with a `Progress`, which only counts (cache hits and misses, pages laid out: `folio build
--json` reports them); on a terminal the command line listens with a `Display`, which shows the
same things as they happen with rich: the stage, chapter k of N, pages laid out, cache hits.

The calls come from the build's own process and its threads (Pandoc converts chapters in
threads). A worker process cannot reach its parent's listener: what a worker did is told by the
parent when the worker's result comes back.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Progress:
    """Counts what a build does; a subclass shows it (`changed` is called after each event)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()
        self.laid_out = 0
        """Pages laid out so far (a page laid out for two products counts twice)."""
        self.current = ""
        self.done = 0
        self.total = 0

    def stage(self, name: str, total: int = 0) -> None:
        """A new stage begins; `total` is how many steps it has (chapters, layouts), 0 if untold."""
        with self.lock:
            self.current, self.done, self.total = name, 0, total
        self.changed()

    def step(self, count: int = 1) -> None:
        with self.lock:
            self.done += count
        self.changed()

    def cache(self, kind: str, hit: bool) -> None:
        """A cache of this kind (pandoc, build, a laid-out part...) was asked, and had it or not."""
        with self.lock:
            (self.hits if hit else self.misses)[kind] += 1
        self.changed()

    def pages(self, count: int) -> None:
        with self.lock:
            self.laid_out += count
        self.changed()

    def counts(self) -> dict[str, Any]:
        """For the build report: cache hits and misses by kind, and pages laid out."""
        with self.lock:
            return {"hits": dict(sorted(self.hits.items())), "misses": dict(sorted(self.misses.items())), "pages laid out": self.laid_out}

    def changed(self) -> None:
        """Called after every event: a display redraws here."""

    def close(self) -> None:
        """The build is over (done or failed): a display clears itself here."""


class Display(Progress):
    """A live line on the terminal's standard error, drawn by rich, cleared when the build ends:
    the stage, k of N with a bar when the stage has steps, pages laid out and cache hits.
    `console`: where to draw (a rich Console); the standard error by default."""

    def __init__(self, console: Any = None) -> None:
        super().__init__()
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self.bar = Bar(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self.task = self.bar.add_task("starting", total=None, counts="")
        self.bar.start()

    def changed(self) -> None:
        with self.lock:
            hits = sum(self.hits.values())
            counts = f"{self.laid_out} pages laid out, {hits} cache hit{'s' * (hits != 1)}"
            self.bar.update(self.task, description=self.current, completed=self.done, total=self.total or None, counts=counts, refresh=True)

    def close(self) -> None:
        self.bar.stop()


_listener = Progress()


@contextmanager
def listening(progress: Progress) -> Iterator[Progress]:
    """Send this build's events to `progress` (and back to the previous listener after it)."""
    global _listener
    previous, _listener = _listener, progress
    try:
        yield progress
    finally:
        _listener = previous
        progress.close()


def stage(name: str, total: int = 0) -> None:
    _listener.stage(name, total)


def step(count: int = 1) -> None:
    _listener.step(count)


def cache(kind: str, hit: bool) -> None:
    _listener.cache(kind, hit)


def pages(count: int) -> None:
    _listener.pages(count)
