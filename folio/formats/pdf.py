"""The print PDF: the book laid out in pages (the print layout), tagged PDF/UA-1.

The print layout is made a part at a time (the front matter, each chapter) in worker processes
and from the layout cache (render/parts.py), then joined: the same pages as one pass of the whole
book, but an edit lays out only the chapter it touched. It is also what the EPUB takes its print
page numbers from, and what the layout checks read.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from folio.checks.findings import Finding
from folio.formats import Inputs, Rendered
from folio.project.config import Margins, Project
from folio.render.weasy import Laid
from folio.text.fragment import Fragment


def lay_out_print(project: Project, fragments: list[Fragment], *, jobs: int = 0, cache_dir: Path | None = None) -> Laid:
    """The print layout: the book's fragments in the print design, finished, laid out in `jobs`
    worker processes (0: one per core), with its parts kept in `cache_dir` (OUT/.cache) if given."""
    from folio.render.parts import lay_out_parts

    return lay_out_parts(project, fragments, jobs=jobs, cache_dir=cache_dir)


def render(inputs: Inputs) -> Rendered:
    assert inputs.print is not None
    return Rendered.laid_out(inputs.print, inputs.project.geometry())


# The build and the preflight agree (issue 10): the print PDF is preflighted before it is written.
def validate(inputs: Inputs, rendered: Rendered, path: Path) -> list[Finding]:
    """`folio preflight --project` on the print PDF the build made, before it is written: a PDF the
    preflight would fail is not a product. Two of the preflight's findings are the build's own
    business and not repeated: image resolution (checks/resolution.py finds it at the printed
    size, I004/I005) and an odd page count (the digital edition may have one; the printer's file
    is made even)."""
    return preflight_findings(inputs.project, rendered.data, path, bleed=0.0, print_data=rendered.data)


BUILD_OWN = {"I001", "P001"}


def preflight_findings(project: Project, data: bytes, path: Path, *, bleed: float, print_data: bytes) -> list[Finding]:
    """The preflight's findings on `data` (a PDF made from the print layout), reported as `path`.
    Where each glyph sits is read once a build, from the print layout (`print_data`): the printer's
    file has the same pages at the same coordinates, so the same glyph findings hold for it."""
    from folio.checks.preflight import preflight

    geometry = project.geometry()
    trim, margins = (geometry.width, geometry.height), Margins(geometry.top, geometry.bottom, geometry.inner, geometry.outer)
    structure = preflight(path, trim=trim, bleed=bleed, margins=margins, data=data, positions=False).findings
    placed = [replace(f, path=path) for f in _positions(print_data, trim, margins)]
    return [f for f in [*structure, *placed] if f.code not in BUILD_OWN]


@lru_cache(maxsize=1)
def _positions(print_data: bytes, trim: tuple[float, float], margins: Margins) -> tuple[Finding, ...]:
    """The glyph findings (T001, T002) on the print layout's pages: pdfminer's reading of every page
    is the slow part of a preflight (about 0.1 s a page), so it is done once for the PDF and the
    printer's file."""
    from folio.checks.preflight import preflight

    report = preflight(Path("print.pdf"), trim=trim, bleed=0.0, margins=margins, data=print_data)
    return tuple(f for f in report.findings if f.code in GLYPHS)


GLYPHS = {"T001", "T002"}
