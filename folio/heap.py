"""Freed memory given back to the system.

QPDF (through pikepdf) allocates the whole book's objects in many small pieces: after a join, a
printer's file or a preflight's pass over the book, Python and QPDF have freed them, but the C
library keeps the pages for later (at 160 chapters, 345 MB of resident memory stays after a join
whose result is 8 MB; `malloc_trim` brings it to 56 MB). The next stage then starts from that
height, and so do the worker processes forked from it. `give_back` asks glibc to return what it
keeps; elsewhere (no glibc) it does nothing."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


def give_back() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> ctypes._NamedFuncPointer | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc
        return None
