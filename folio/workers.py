"""Work done side by side in worker processes, forked from this one so that they start with what it
has loaded (a layout's fonts, a PDF's bytes); or in this process when one worker is all there is.
Ctrl-C and SIGTERM end them (folio/stopping.py)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def side_by_side(function: Callable[[T], R], items: Sequence[T], jobs: int = 0) -> list[R]:
    """`function` of each item, in order, in up to `jobs` workers (0: one per core)."""
    workers = min(jobs or os.cpu_count() or 1, len(items))
    if workers <= 1:
        return [function(item) for item in items]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(function, items))
