"""The print PDF: the book laid out once in pages (the print layout), tagged PDF/UA-1.

The print layout is also what the EPUB takes its print page numbers from.
"""

from __future__ import annotations

from folio.formats import Inputs, Rendered
from folio.project.config import Project
from folio.render.document import lay_out_book, reproducible
from folio.render.weasy import Laid
from folio.text.fragment import Fragment


def lay_out_print(project: Project, fragments: list[Fragment]) -> Laid:
    """The print layout: the book's fragments in the print design, finished."""
    laid = lay_out_book(project, fragments, "book.html.j2", project.geometry())
    laid.data = reproducible(laid.data)
    return laid


def render(inputs: Inputs) -> Rendered:
    assert inputs.print is not None
    return Rendered(inputs.print.data, inputs.print.pages, inputs.project.geometry(), inputs.print.warnings)
