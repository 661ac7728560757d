"""The print PDF: the book laid out in pages (the print layout), tagged PDF/UA-1.

The print layout is made a part at a time (the front matter, each chapter) in worker processes
and from the layout cache (render/parts.py), then joined: the same pages as one pass of the whole
book, but an edit lays out only the chapter it touched. It is also what the EPUB takes its print
page numbers from, and what the layout checks read.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import lru_cache, partial
from pathlib import Path

from folio import __version__, heap
from folio.checks.findings import Finding
from folio.formats import Inputs, Rendered
from folio.formats.output import file_hash, write_atomic
from folio.project.config import Margins, Project
from folio.render.weasy import Laid
from folio.text.fragment import Fragment
from folio.workers import side_by_side


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
    cache = inputs.out / ".cache" / "preflight"
    return preflight_findings(
        inputs.project, rendered.data, path, bleed=0.0, print_data=rendered.data, cache=cache, jobs=inputs.options.jobs
    )


BUILD_OWN = {"I001", "P001"}


def preflight_findings(
    project: Project, data: bytes, path: Path, *, bleed: float, print_data: bytes, cache: Path | None = None, jobs: int = 0
) -> list[Finding]:
    """The preflight's findings on `data` (a PDF made from the print layout), reported as `path`.
    Where each glyph sits is read once a build, from the print layout (`print_data`): the printer's
    file has the same pages at the same coordinates, so the same glyph findings hold for it."""
    from folio.checks.preflight import preflight

    geometry = project.geometry()
    trim, margins = (geometry.width, geometry.height), Margins(geometry.top, geometry.bottom, geometry.inner, geometry.outer)
    structure = preflight(path, trim=trim, bleed=bleed, margins=margins, data=data, positions=False).findings
    placed = [replace(f, path=path) for f in _positions(print_data, trim, margins, cache, jobs)]
    return [f for f in [*structure, *placed] if f.code not in BUILD_OWN]


@lru_cache(maxsize=1)
def _positions(print_data: bytes, trim: tuple[float, float], margins: Margins, cache: Path | None, jobs: int) -> tuple[Finding, ...]:
    """The glyph findings (T001, T002) on the print layout's pages: reading where every glyph sits
    is the slow part of a preflight (some 10 ms a page), so it is done once for the PDF and the
    printer's file, and only for the pages that changed: each page's findings are kept in `cache`
    (OUT/.cache/preflight) under a key of what places its glyphs (its content, the fonts and forms
    it draws, its side of the spread, the page design), so an edit reads the pages it moved. Many
    pages (a cold build) are read side by side in `jobs` processes (0: one per core)."""
    keys = _page_keys(print_data, (trim, margins))
    known: dict[int, list[Finding]] = {}
    for number, key in enumerate(keys, start=1):
        entry = _read_entry(cache / f"{key}.json") if cache else None
        if entry is not None:
            known[number] = [Finding(code, Path("print.pdf"), 0, 0, message, page=number) for code, message in entry]
    todo = [number for number in range(1, len(keys) + 1) if number not in known]
    if todo:
        found = _read_pages(print_data, margins, todo, jobs)
        for number in todo:
            known[number] = [f for f in found if f.page == number and f.code in GLYPHS]
            if cache:
                entry_data = json.dumps([[f.code, f.message] for f in known[number]]).encode("utf-8")
                write_atomic(cache / f"{keys[number - 1]}.json", entry_data)
    return tuple(f for number in sorted(known) for f in known[number])


PAGES_A_JOB = 24  # fewer pages than this are read in this process: a worker costs more than it saves


def _read_pages(print_data: bytes, margins: Margins, pages: list[int], jobs: int) -> list[Finding]:
    """The glyph (and image) findings on these pages, read in up to `jobs` worker processes (0: one
    per core; one share of the pages, read in this process, below PAGES_A_JOB pages a worker)."""
    from folio.checks.preflight import placed_findings

    read = partial(placed_findings, Path("print.pdf"), print_data, margins=margins)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(pages) // PAGES_A_JOB))
    shares = [pages[i::workers] for i in range(workers)]  # interleaved: long and short pages alike
    reports = side_by_side(partial(_read_share, read), shares, workers)
    return [f for report in reports for f in report]


def _read_share(read: Callable[..., list[Finding]], pages: list[int]) -> list[Finding]:
    return read(pages=pages)


def _page_keys(data: bytes, design: object) -> list[str]:
    """One key per page: a hash of the page's content streams, of every font and form it names (by
    their bytes, each read once), of its parity (inner margin left or right) and of the design."""
    import pikepdf

    digests: dict[tuple[int, int], bytes] = {}

    def digest(stream: pikepdf.Object) -> bytes:
        if stream.objgen not in digests:
            digests[stream.objgen] = hashlib.sha256(stream.read_raw_bytes()).digest() if isinstance(stream, pikepdf.Stream) else b""
        return digests[stream.objgen]

    def resources(holder: pikepdf.Object, seen: set[tuple[int, int]]) -> Iterator[bytes]:
        found = holder.get("/Resources", pikepdf.Dictionary())
        for name, font in sorted(found.get("/Font", pikepdf.Dictionary()).items()):
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get("/FontDescriptor", pikepdf.Dictionary())
                for kind in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if kind in descriptor:
                        yield name.encode() + digest(descriptor[kind])
            yield repr(font.get("/Widths", "")).encode()
        for name, xobject in sorted(found.get("/XObject", pikepdf.Dictionary()).items()):
            yield name.encode() + digest(xobject)
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                yield from resources(xobject, seen)

    keys, checker = [], _checker()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            hasher = hashlib.sha256(f"{PREFLIGHT_CACHE} {__version__} {checker} {number % 2} {design!r}".encode())
            contents = page.obj.get("/Contents")
            for stream in contents if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []:
                hasher.update(stream.read_raw_bytes())
            hasher.update(repr([float(v) for v in page.mediabox]).encode())
            for part in resources(page.obj, set()):
                hasher.update(part)
            keys.append(hasher.hexdigest())
    heap.give_back()  # the book's objects, freed: the preflight's workers fork from this process next
    return keys


def _read_entry(path: Path) -> list[list[str]] | None:
    """A page's cached findings, or None when there is none or it cannot be read whole."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(entry, list) and all(isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e) for e in entry):
        return entry
    return None


PREFLIGHT_CACHE = "2"  # bump when what an entry holds changes


def _checker() -> str:
    """The preflight's code, hashed: a change to how glyphs are read or judged reads every page again."""
    from folio.checks import preflight

    return file_hash(Path(preflight.__file__))


GLYPHS = {"T001", "T002"}
