"""The book as one HTML document laid out in pages: a template, a page design and the fragments.

The print edition, the printer's file and the review draft differ only by template, stylesheet
and page geometry; each is laid out here, through WeasyPrint's one door, and finished so that the
same book gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf

from folio.project.config import PageGeometry, Project
from folio.render import templates
from folio.render.fonts import font_dirs, font_faces
from folio.render.layout import Laid, space_width_em
from folio.text.fragment import Fragment


def lay_out_book(
    project: Project,
    fragments: list[Fragment],
    template: str,
    geometry: PageGeometry,
    *,
    variant: str = "pdf/ua-1",
    allowed: list[Path] | None = None,
    context: dict[str, Any] | None = None,
) -> Laid:
    """The book laid out with this template on pages of this geometry, its pages read back.
    Figures are placed like floats and wide tables set smaller by trial layouts (render/floats.py);
    the last trial is the layout written."""
    from folio.render import floats  # WeasyPrint is imported only where something is laid out
    from folio.render.weasy import Trial, trial, write

    folders = [*design_folders(project), *(allowed or [])]

    def lay_out_trial(trial_fragments: list[Fragment]) -> Trial:
        return trial(book_html(project, trial_fragments, template, geometry, context), allowed=folders, base_url=base_url(project))

    settled, placed = floats.settle(fragments, lay_out_trial)
    laid = write(placed.laid_out or lay_out_trial(settled), variant=variant, space_width=body_space_width(project))
    laid.findings = placed.findings
    return laid


def book_html(
    project: Project, fragments: list[Fragment], template: str, geometry: PageGeometry, context: dict[str, Any] | None = None
) -> str:
    """The book as one HTML document in this template and page geometry (render/parts.py lays the
    same HTML out a part at a time)."""
    faces = font_faces(project.config.print.font)
    context = {"press": False, "cmyk_profile": "", **(context or {})}
    return templates.render(project.root, template, book=project.config, fragments=fragments, faces=faces, page=geometry, **context)


def base_url(project: Project) -> str:
    return project.manuscript_dir.as_uri() + "/"


def body_space_width(project: Project) -> float:
    """The body face's word space in ems (for reading the laid-out lines back)."""
    roman = next(face.path for face in font_faces(project.config.print.font) if face.style == "normal")
    return space_width_em(roman)


def design_folders(project: Project) -> list[Path]:
    """What a layout may read: the project, the templates and the book face's files."""
    return [project.root, *templates.search_path(project.root), *font_dirs(font_faces(project.config.print.font))]


def reproducible(data: bytes, edit: Callable[[pikepdf.Pdf], None] | None = None) -> bytes:
    """What WeasyPrint leaves to us: the same bytes for the same book. The font subsetter stamps the
    time into each font, and PDF/X files get a random ID. `edit` may change the document first."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        _fix_font_timestamps(pdf)
        if "/ID" in pdf.trailer:
            del pdf.trailer.ID  # WeasyPrint's is random for PDF/X; pikepdf derives one from the content
        if edit:
            edit(pdf)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _fix_font_timestamps(pdf: pikepdf.Pdf) -> None:
    from fontTools.ttLib import TTFont

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor" and "/FontFile2" in obj:
            stream = obj.FontFile2
            font = TTFont(io.BytesIO(stream.read_bytes()), recalcTimestamp=False)
            font["head"].modified = font["head"].created
            buffer = io.BytesIO()
            font.save(buffer, reorderTables=False)
            stream.write(buffer.getvalue())
            stream.Length1 = len(buffer.getvalue())
