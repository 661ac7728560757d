"""The editorial review draft: the print pipeline with the draft template, plus what only a draft
has. Line numbers, change bars, the version and "page X of Y" go in the margin after layout
(WeasyPrint cannot number lines), drawn on a second, transparent PDF laid over each page.

The draft is laid out a part at a time like the print edition (render/parts.py): its pages carry
no folio of their own, and its chapters open on the next page, so a part is laid out once for
wherever it lands, and an edit lays out the one chapter it touched. The margin is laid out a
chapter's pages at a time, each kept under a hash of what it prints: an edit that moves no page
redraws the margin of its own chapter only.

Comments sit in the margin as floats beside their line; the list of comments at the end needs
the page and line of each, which only the layout knows, so the list is laid out with those two
cells empty (its columns of fixed width) and the numbers are drawn into them by the same overlay
that numbers the lines, at the rows the layout put them in.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf

from folio.formats import Inputs, Rendered
from folio.formats.output import Entries
from folio.project.config import PageGeometry, Project
from folio.render import templates
from folio.render.document import design_folders, reproducible
from folio.render.fonts import font_faces
from folio.render.layout import Line, Page
from folio.render.parts import design_key, lay_out_parts
from folio.render.running_heads import width_pt
from folio.text import citestyle
from folio.text.fragment import Fragment
from folio.text.pandoc import bibliography_html
from folio.tools import version
from folio.tools.version import Version
from folio.workers import side_by_side

if TYPE_CHECKING:
    from folio.checks.book import Checked
    from folio.project.manuscript import Chapter


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
    project, fragments, against = inputs.project, inputs.review, inputs.options.against
    geometry = project.draft_geometry()
    cache = inputs.out / ".cache"
    laid = lay_out_parts(
        project, fragments, template="draft.html.j2", geometry=geometry, context=document_context(project, inputs.checked, fragments),
        folios=False, jobs=inputs.options.jobs, cache_dir=cache,
    )  # fmt: skip
    comments = locate_comments(fragments, laid.pages)
    stamp = Stamp(version.describe(project.manuscript_dir), version.describe_rev(project.root, against) if against else None)
    margin = Margin(project, geometry, project.config.draft.line_numbers, stamp)
    margins = margin.pdfs(laid.pages, list_cells(comments, laid.pages, geometry), inputs.options.jobs, cache / "margin")
    return Rendered.laid_out(laid, geometry, overlay(laid.data, margins))


def document_context(project: Project, checked: Checked, fragments: list[Fragment]) -> dict[str, Any]:
    """What draft.html.j2 lays out besides the chapters: the rows of the comment list (their page
    and line come after the layout) and the sources no chapter cites."""
    cited = {c.key for c in checked.citations}
    uncited = [ref.id for ref in checked.references if ref.id not in cited]
    return {
        "uncited": uncited,
        "uncited_html": bibliography_html(uncited, project.config.language, citestyle.settings(project)),
        "comments": locate_comments(fragments, []),
        "columns": COLUMNS,
        "head_prefix": head_prefix(project, [fragment.chapter for fragment in fragments]),
    }


HEAD_SIZE, MARK_SPACING = 8.5, 0.2
"""The draft's running head and its DRAFT mark: their size in points, the mark's letter spacing in
ems (draft.css, @top-left and @top-right)."""


def head_prefix(project: Project, chapters: list[Chapter]) -> str:
    """What the draft's running head prints before the chapter's: the book's title and a dash,
    when every chapter's head still fits on its line with it, beside the DRAFT mark; else nothing
    (a head that wrapped ran into the mark), as when the book's title is its chapter's."""
    book = project.config.short_title or project.config.title
    face = next(f.path for f in font_faces(project.config.print.font) if f.style == "normal")
    page = project.draft_geometry()
    room = page.width - page.inner - page.outer - width_pt("DRAFT", face, HEAD_SIZE, MARK_SPACING) - 12.0  # 12 pt between them
    prefix = f"{book} — "
    fits = all(
        chapter.running_head != book and width_pt(prefix + chapter.running_head, face, HEAD_SIZE, 0.0) <= room for chapter in chapters
    )
    return prefix if fits else ""


@dataclass(frozen=True)
class Stamp:
    """What the margin prints at the foot of every page besides its number: the version of the
    manuscript (and the one a redline is against)."""

    version: Version
    against: Version | None = None

    @property
    def text(self) -> str:
        return f"Version: {self.version.text}" + (f" · changes since {self.against.text}" if self.against else "")


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


@dataclass(frozen=True)
class Margin:
    """The draft's margin overlay: for each page, its line numbers, change bars, stamp, "page X of
    Y", and in the comment list the page and line of each comment."""

    project: Project
    geometry: PageGeometry
    every: int
    """Number every nth line (0: none)."""
    stamp: Stamp

    def pdfs(self, pages: list[Page], cells: list[Cell], jobs: int = 0, cache: Path | None = None) -> list[bytes]:
        """The overlay as PDFs of a run of pages each (a chapter's, the front matter's, the lists at
        the end), in order: one page for each page of the draft. Each is kept in `cache` under a
        hash of its HTML and of what lays it out; the ones missing are laid out in up to `jobs`
        worker processes."""
        by_page: dict[int, list[Cell]] = {}
        for cell in cells:
            by_page.setdefault(cell.page, []).append(cell)
        runs: list[list[int]] = []
        for index, page in enumerate(pages):
            if not runs or page.chapter != pages[runs[-1][-1]].chapter:
                runs.append([])
            runs[-1].append(index)
        htmls = [self.html([(index, pages[index], by_page.get(index, [])) for index in run], len(pages)) for run in runs]
        entries = Entries(cache, ".margin")  # not .pdf: each starts with its hash
        design = design_key(self.project, htmls[0]) if htmls else ""  # the same fonts in every run
        keys = [hashlib.sha256(f"{design}\n{html}".encode()).hexdigest() for html in htmls]
        found = {key: data for key in keys if (data := entries.get(key)) is not None}
        missing = list({key: html for key, html in zip(keys, htmls, strict=True) if key not in found}.items())
        made = side_by_side(partial(_lay_out_margin, design_folders(self.project)), [html for _, html in missing], jobs)
        for (key, _), data in zip(missing, made, strict=True):
            entries.put(key, data)
            found[key] = data
        entries.forget_the_rest()
        return [found[key] for key in keys]

    def html(self, pages: list[tuple[int, Page, list[Cell]]], total: int) -> str:
        """The overlay of these pages (index in the draft, page, comment-list cells on it)."""
        return templates.render(
            self.project.root,
            "draft-margin.html.j2",
            pages=[(index + 1, page, line_numbers(page, self.every), cells) for index, page, cells in pages],
            total=total,
            stamp=self.stamp,
            page=self.geometry,
            faces=font_faces(self.project.config.print.font),
            book=self.project.config,
            list_font_size=LIST_FONT_SIZE,
        )


def _lay_out_margin(allowed: list[Path], html: str) -> bytes:
    from folio.render.weasy import lay_out  # WeasyPrint is imported only where something is laid out

    return reproducible(lay_out(html, allowed=allowed).data)


def overlay(base: bytes, tops: list[bytes]) -> bytes:
    """Each page of the `tops`, one after the other, drawn over the same page of `base`. The forms
    are named by page number (pikepdf's add_overlay names them at random), so the same draft gives
    the same bytes."""
    with pikepdf.open(io.BytesIO(base)) as document:
        margins = [pikepdf.open(io.BytesIO(top)) for top in tops]
        try:
            marks = [page for margin in margins for page in margin.pages]
            for number, (page, mark) in enumerate(zip(document.pages, marks, strict=True), start=1):
                form = document.copy_foreign(mark.as_form_xobject())
                name = page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name(f"/FolioMargin{number}"))
                page.contents_add(b"q\n", prepend=True)
                page.contents_add(b"Q\nq\n" + name.unparse() + b" Do\nQ\n")
                page.contents_coalesce()
            out = io.BytesIO()
            document.save(out, deterministic_id=True)
        finally:
            for margin in margins:
                margin.close()
    return out.getvalue()
