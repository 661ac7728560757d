"""The print PDF: the book laid out in pages (the print layout), tagged PDF/UA-1.

The print layout is made a part at a time (the front matter, each chapter) in worker processes
and from the layout cache (render/parts.py), then joined: the same pages as one pass of the whole
book, but an edit lays out only the chapter it touched. It is also what the EPUB takes its print
page numbers from, and what the layout checks read.
"""

from __future__ import annotations

from pathlib import Path

from folio.formats import Inputs, Rendered
from folio.project.config import Project
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
