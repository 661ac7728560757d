"""folio/heap.py: what QPDF freed goes back to the system, not only to the C library's free lists."""

from __future__ import annotations

import gc

import pikepdf

from folio import heap


def resident_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))


def test_what_qpdf_freed_is_given_back():
    """Many small objects, as a joined book's structure tree is: freed, their memory stays in the
    process until give_back (measured: 234 MB -> 40 MB)."""
    pdf = pikepdf.Pdf.new()
    made = [pdf.make_indirect(pikepdf.Dictionary(N=i, S=pikepdf.String("x" * 50))) for i in range(200_000)]
    del made
    pdf.close()
    del pdf
    gc.collect()
    before = resident_mb()
    heap.give_back()
    assert before - resident_mb() > 100
