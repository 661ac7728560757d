"""Work done side by side in worker processes, forked from this one so that they start with what it
has loaded (a layout's fonts, a PDF's bytes); or in this process when one worker is all there is.
Ctrl-C and SIGTERM end them (folio/stopping.py)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Generic, TypeVar

PAGES_A_JOB = 24
"""Fewer pages than this to work on (read, put on sheets) are done in this process: forking a worker
from a process that holds a layout costs more than it saves."""

T = TypeVar("T")
R = TypeVar("R")


def side_by_side(function: Callable[[T], R], items: Sequence[T], jobs: int = 0) -> list[R]:
    """`function` of each item, in order, in up to `jobs` workers (0: one per core)."""
    workers = min(jobs or os.cpu_count() or 1, len(items))
    if workers <= 1:
        return [function(item) for item in items]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(function, items))


class Beside(Generic[R]):
    """`function()` run in a worker process forked now, while this process goes on; `result()` waits
    for it. The worker starts with everything this process holds: nothing is pickled but the result.
    With `beside=False` it runs in this process, when its result is asked for. A context manager:
    leaving it ends the worker, whether its result was taken or not."""

    def __init__(self, function: Callable[[], R], beside: bool = True):
        self.function = function
        self.pool: ProcessPoolExecutor | None = None
        if beside:
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(1, mp_context=context, initializer=_given, initargs=(function,))
            self.future = self.pool.submit(_run_given)

    def __enter__(self) -> Beside[R]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def result(self) -> R:
        if self.pool is None:
            return self.function()
        result: R = self.future.result()
        return result


_GIVEN: Callable[[], Any] | None = None


def _given(function: Callable[[], Any]) -> None:
    global _GIVEN
    _GIVEN = function


def _run_given() -> Any:
    assert _GIVEN is not None
    return _GIVEN()
