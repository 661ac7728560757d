"""The print PDF: the book laid out in pages (the print layout), tagged PDF/UA-1.

The print layout is made a part at a time (the front matter, each chapter) in worker processes
and from the layout cache (render/parts.py), then joined: the same pages as one pass of the whole
book, but an edit lays out only the chapter it touched. It is also what the EPUB takes its print
page numbers from, and what the layout checks read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from functools import lru_cache, partial
from pathlib import Path

from folio import __version__
from folio.checks.findings import Finding
from folio.formats import Inputs, Rendered
from folio.formats.output import Entries, file_hash
from folio.project.config import Margins, Project
from folio.render.layout import Laid, Piece, first_pages
from folio.text.fragment import Fragment
from folio.workers import PAGES_A_JOB, side_by_side


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
    assert inputs.print is not None
    cache = inputs.out / ".cache" / "preflight"
    pieces = inputs.print.pieces
    return preflight_findings(inputs.project, rendered.data, path, bleed=0.0, pieces=pieces, cache=cache, jobs=inputs.options.jobs)


BUILD_OWN = {"I001", "P001"}


def preflight_findings(
    project: Project, data: bytes, path: Path, *, bleed: float, pieces: list[Piece], cache: Path | None = None, jobs: int = 0
) -> list[Finding]:
    """The preflight's findings on `data` (a PDF made from the print layout), reported as `path`.
    Where each glyph sits is read once a build, from the print layout's parts (`pieces`): the
    printer's file has the same pages at the same coordinates, so the same glyph findings hold for it."""
    from folio.checks.preflight import preflight

    geometry = project.geometry()
    trim, margins = (geometry.width, geometry.height), Margins(geometry.top, geometry.bottom, geometry.inner, geometry.outer)
    structure = preflight(path, trim=trim, bleed=bleed, margins=margins, data=data, positions=False).findings
    placed = [replace(f, path=path) for f in _positions(tuple(pieces), trim, margins, cache, jobs)]
    return [f for f in [*structure, *placed] if f.code not in BUILD_OWN]


@lru_cache(maxsize=1)
def _positions(
    pieces: tuple[Piece, ...], trim: tuple[float, float], margins: Margins, cache: Path | None, jobs: int
) -> tuple[Finding, ...]:
    """The glyph findings (T001, T002) on the print layout's pages: reading where every glyph sits
    is the slow part of a preflight (some 10 ms a page), so it is done once for the PDF and the
    printer's file, and a part at a time: each part's findings are kept in `cache`
    (OUT/.cache/preflight) under a key of its PDF, its first page's side of the spread and the page
    design, so an edit reads the part it changed. Many pages (a cold build) are read side by side
    in `jobs` processes (0: one per core)."""
    starts = first_pages(pieces)
    design = f"{PREFLIGHT_CACHE} {__version__} {_checker()} {(trim, margins)!r}"
    keys = [
        hashlib.sha256(f"{design} {start % 2}\n".encode() + piece.data).hexdigest() for piece, start in zip(pieces, starts, strict=True)
    ]
    entries = Entries(cache, ".json")
    known: dict[int, list[tuple[int, str, str]]] = {}
    for i, key in enumerate(keys):
        if (entry := _read_entry(entries.get(key))) is not None:
            known[i] = entry
    todo = [i for i in range(len(pieces)) if i not in known]
    workers = 1 if sum(pieces[i].pages for i in todo) < PAGES_A_JOB else jobs  # a worker costs more than a few pages
    reports = side_by_side(partial(_read_piece, margins), [(pieces[i].data, starts[i], pieces[i].pages) for i in todo], workers)
    for i, report in zip(todo, reports, strict=True):
        known[i] = [(f.page - starts[i], f.code, f.message) for f in report if f.code in GLYPHS]
        entries.put(keys[i], json.dumps(known[i]).encode("utf-8"))
    entries.forget_the_rest()
    return tuple(
        Finding(code, Path("print.pdf"), 0, 0, message, page=starts[i] + index)
        for i in range(len(pieces))
        for index, code, message in known[i]
    )


def _read_piece(margins: Margins, piece: tuple[bytes, int, int]) -> list[Finding]:
    """The glyph (and image) findings on a part's pages, numbered as in the book."""
    from folio.checks.preflight import placed_findings

    data, first, count = piece
    return placed_findings(Path("print.pdf"), data, pages=range(first, first + count), margins=margins, first=first)


def _read_entry(data: bytes | None) -> list[tuple[int, str, str]] | None:
    """A part's cached findings, (page in the part from 0, code, message), or None when there is
    none or it cannot be read whole."""
    try:
        entry = json.loads(data) if data is not None else None
    except ValueError:
        return None
    if isinstance(entry, list) and all(isinstance(e, list) and len(e) == 3 and isinstance(e[0], int) for e in entry):
        return [(int(e[0]), str(e[1]), str(e[2])) for e in entry]
    return None


PREFLIGHT_CACHE = "3"  # bump when what an entry holds changes


def _checker() -> str:
    """The preflight's code, hashed: a change to how glyphs are read or judged reads every page again."""
    from folio.checks import preflight

    return file_hash(Path(preflight.__file__))


GLYPHS = {"T001", "T002"}
