"""The editorial review draft: the print pipeline with the draft template, plus what only a draft
has. Line numbers and change bars go in the margin after layout (WeasyPrint cannot number lines),
drawn on a second, transparent PDF laid over each page.

The draft is laid out once. Comments sit in the margin as floats beside their line; the list of
comments at the end needs the page and line of each, which only the layout knows, so the list is
laid out with those two cells empty (its columns of fixed width) and the numbers are drawn into
them by the same overlay that numbers the lines, at the rows the layout put them in.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf

from folio.formats import Inputs, Rendered
from folio.project.config import PageGeometry, Project
from folio.render import templates
from folio.render.document import design_folders, lay_out_book, reproducible
from folio.render.fonts import font_faces
from folio.render.layout import Line, Page
from folio.render.weasy import lay_out
from folio.text import citestyle
from folio.text.fragment import Fragment
from folio.text.pandoc import bibliography_html
from folio.tools import version


@dataclass(frozen=True)
class Comment:
    chapter: str  # the chapter's label or title
    number: str
    text: str
    page: int = 0
    line: int = 0


COLUMNS = (0.24, 0.1, 0.1)
"""The comment list's first three columns (comment, page, line) as fractions of the text width;
the text of the comment takes the rest. Fixed, so the overlay knows where the page and line go."""
LIST_FONT_SIZE = 9.0  # points: the list's type size (draft.css)


def render(inputs: Inputs) -> Rendered:
    project, checked, fragments = inputs.project, inputs.checked, inputs.review
    geometry = project.draft_geometry()
    against = inputs.options.against
    cited = {c.key for c in checked.citations}
    uncited = [ref.id for ref in checked.references if ref.id not in cited]
    context = {
        "version": version.describe(project.manuscript_dir),
        "against": version.describe_rev(project.root, against) if against else None,
        "uncited": uncited,
        "uncited_html": bibliography_html(uncited, project.config.language, citestyle.settings(project)),
        "comments": locate_comments(fragments, []),  # the rows; their page and line come after the layout
        "columns": COLUMNS,
    }
    laid = lay_out_book(project, fragments, "draft.html.j2", geometry, context=context)
    comments = locate_comments(fragments, laid.pages)
    cells = list_cells(comments, laid.pages, geometry)
    margin = margin_pdf(project, laid.pages, geometry, project.config.draft.line_numbers, cells)
    data = reproducible(overlay(reproducible(laid.data), margin))
    return Rendered.laid_out(laid, geometry, data)


@dataclass(frozen=True)
class Cell:
    """A number the overlay draws into the comment list: on this page (index), at this place (points)."""

    page: int
    left: float
    top: float
    height: float
    text: str


def list_cells(comments: list[Comment], pages: list[Page], geometry: PageGeometry) -> list[Cell]:
    """The page and line of each comment, placed in the list's empty cells. Each row of the list
    carries a marker (data-n="row-N", read back like a comment's reference) on its first line."""
    rows: dict[int, tuple[int, Line]] = {}
    for index, page in enumerate(pages):
        for line in page.lines:
            for ref in line.refs:
                if ref.startswith("row-") and line.chapter is None:
                    rows.setdefault(int(ref[4:]), (index, line))
    measure = geometry.width - geometry.inner - geometry.outer
    page_left = geometry.inner + COLUMNS[0] * measure
    line_left = page_left + COLUMNS[1] * measure
    cells = []
    for number, comment in enumerate(comments, start=1):
        if number not in rows:
            continue
        index, line = rows[number]
        height = line.bottom - line.top
        cells.append(Cell(index, page_left, line.top, height, str(comment.page)))
        cells.append(Cell(index, line_left, line.top, height, str(comment.line)))
    return cells


def line_numbers(page: Page, every: int) -> list[int]:
    """The number printed beside each line of the page (0: none), restarting on every page; the
    cells of a table row share one number, printed once."""
    shown, numbers = set(), []
    for row in page.line_rows():
        numbers.append(row if every and row % every == 0 and row not in shown else 0)
        shown.add(row)
    return numbers


def locate_comments(fragments: list[Fragment], pages: list[Page]) -> list[Comment]:
    """Each comment with the page and the line (as numbered in the margin) where it was made."""
    where: dict[tuple[str, str], tuple[int, int]] = {}
    for page in pages:
        for row, line in zip(page.line_rows(), page.lines, strict=True):
            for ref in line.refs:
                where.setdefault((line.chapter or "", ref), (page.number, row))
    located = []
    for fragment in fragments:
        chapter = fragment.chapter
        for number, text in fragment.comments:
            page_number, row = where.get((chapter.id, number), (0, 0))
            located.append(Comment(chapter.label or chapter.title, number, text, page_number, row))
    return located


def margin_pdf(project: Project, pages: list[Page], geometry: PageGeometry, every: int, cells: list[Cell] | None = None) -> bytes:
    """Line numbers, change bars and the comment list's page and line numbers, page for page, on an
    otherwise empty PDF of the same size."""
    faces = font_faces(project.config.print.font)
    by_page: dict[int, list[Cell]] = {}
    for cell in cells or []:
        by_page.setdefault(cell.page, []).append(cell)
    html = templates.render(
        project.root,
        "draft-margin.html.j2",
        pages=[(page, line_numbers(page, every), by_page.get(index, [])) for index, page in enumerate(pages)],
        page=geometry,
        faces=faces,
        book=project.config,
        list_font_size=LIST_FONT_SIZE,
    )
    return lay_out(html, allowed=design_folders(project)).data


def overlay(base: bytes, top: bytes) -> bytes:
    """Each page of `top` drawn over the same page of `base`. The forms are named by page number
    (pikepdf's add_overlay names them at random), so the same draft gives the same bytes."""
    with pikepdf.open(io.BytesIO(base)) as document, pikepdf.open(io.BytesIO(top)) as margin:
        for number, (page, marks) in enumerate(zip(document.pages, margin.pages, strict=True), start=1):
            form = document.copy_foreign(marks.as_form_xobject())
            name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/FolioMargin{number}"))
            page.contents_add(b"q\n", prepend=True)
            page.contents_add(b"Q\nq\n" + name.unparse() + b" Do\nQ\n")
            page.contents_coalesce()
        out = io.BytesIO()
        document.save(out)
    return out.getvalue()
