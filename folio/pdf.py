"""PDFs from the chapter fragments: WeasyPrint lays out a Jinja-rendered HTML document.

The print edition and the review draft differ only by template and stylesheet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from folio import templates
from folio.config import Project, length_pt, page_size_pt
from folio.errors import FolioError
from folio.fonts import FontFace, font_dirs, font_faces
from folio.fragment import Fragment


@dataclass
class PdfResult:
    data: bytes
    pages: int
    warnings: list[str] = field(default_factory=list)


def page_geometry(project: Project) -> dict[str, float]:
    """The print page in points: trim and margins, as the stylesheet and the checks use them."""
    settings = project.config.print
    width, height = page_size_pt(settings.trim)
    return {
        "width": width,
        "height": height,
        "top": length_pt(settings.margin_top),
        "bottom": length_pt(settings.margin_bottom),
        "inner": length_pt(settings.margin_inner),
        "outer": length_pt(settings.margin_outer),
    }


def render(project: Project, fragments: list[Fragment], template: str, **extra: Any) -> PdfResult:
    faces = font_faces(project.config.print.font)
    html = templates.render(
        project.root,
        template,
        book=project.config,
        fragments=fragments,
        faces=faces,
        page=page_geometry(project),
        **extra,
    )
    return write_pdf(html, project, faces)


def write_pdf(html: str, project: Project, faces: list[FontFace]) -> PdfResult:
    allowed = [project.root, *templates.search_path(project.root), *font_dirs(faces)]
    with _captured_warnings() as warnings:
        try:
            document = weasyprint.HTML(
                string=html, base_url=project.manuscript_dir.as_uri() + "/", url_fetcher=ProjectFetcher(allowed)
            ).render()
            data = document.write_pdf(pdf_variant="pdf/ua-1")
        except FatalURLFetchingError as exc:
            raise FolioError(f"{exc} (hint: keep images and styles inside the project folder)") from None
    return PdfResult(data, len(document.pages), warnings)


class ProjectFetcher(URLFetcher):  # type: ignore[misc]
    """Reads files inside the project, Folio's templates and the font folders; nothing else."""

    def __init__(self, allowed: list[Path]):
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.allowed = [p.resolve() for p in allowed]

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(unquote(urlparse(url).path)).resolve()
            if any(path.is_relative_to(root) for root in self.allowed):
                return super().fetch(url, headers)
        raise FatalURLFetchingError(f"refused to read {url}: outside the project")


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    """WeasyPrint's warnings (unsupported CSS, missing resources) become build warnings."""
    collected: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                collected.append(record.getMessage())

    logger = logging.getLogger("weasyprint")
    handler = Collect()
    logger.addHandler(handler)
    previous = logger.propagate
    logger.propagate = False
    try:
        yield collected
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous
