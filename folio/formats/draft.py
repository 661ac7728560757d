"""The editorial review draft: the print pipeline with the draft template, plus what only a draft
has. Line numbers and change bars go in the margin after layout (WeasyPrint cannot number lines),
drawn on a second, transparent PDF laid over each page; the list of comments gives the page and
line of each, so the draft is laid out a second time once those are known.
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
from folio.render.layout import Page
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
        "comments": [],
    }
    laid = lay_out_book(project, fragments, "draft.html.j2", geometry, context=context)
    comments = locate_comments(fragments, laid.pages)
    if comments:
        # The list starts on a page of its own after the text, so the text's pages do not move.
        laid = lay_out_book(project, fragments, "draft.html.j2", geometry, context={**context, "comments": comments})
    margin = margin_pdf(project, laid.pages, geometry, project.config.draft.line_numbers)
    data = reproducible(overlay(reproducible(laid.data), margin))
    return Rendered.laid_out(laid, geometry, data)


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


def margin_pdf(project: Project, pages: list[Page], geometry: PageGeometry, every: int) -> bytes:
    """Line numbers and change bars, page for page, on an otherwise empty PDF of the same size."""
    faces = font_faces(project.config.print.font)
    html = templates.render(
        project.root,
        "draft-margin.html.j2",
        pages=[(page, line_numbers(page, every)) for page in pages],
        page=geometry,
        faces=faces,
        book=project.config,
    )
    return lay_out(html, allowed=design_folders(project)).data


def overlay(base: bytes, top: bytes) -> bytes:
    # HOOK(contain): pikepdf's add_overlay names each form with Name.random(), so two builds of one
    # book differed; the same overlay under a name of our own (the page's number) is reproducible.
    with pikepdf.open(io.BytesIO(base)) as document, pikepdf.open(io.BytesIO(top)) as margin:
        for number, (page, marks) in enumerate(zip(document.pages, margin.pages, strict=True), start=1):
            form = marks.as_form_xobject()
            name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/FolioMargin{number}"))
            page.contents_add(b"q\n", prepend=True)
            page.contents_add(b"Q\n" + page.calc_form_xobject_placement(form, name, pikepdf.Rectangle(page.trimbox), allow_expand=True))
            page.contents_coalesce()
        out = io.BytesIO()
        document.save(out)
    return out.getvalue()
