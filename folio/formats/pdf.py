"""PDFs from the chapter fragments: WeasyPrint lays out a Jinja-rendered HTML document.

The print edition and the review draft differ only by template and stylesheet.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pikepdf
import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from folio.errors import ConfigError, FolioError
from folio.project.config import Project, page_geometry
from folio.render import floats, images, layout, templates
from folio.render.fonts import font_dirs, font_faces
from folio.text.fragment import Fragment


@dataclass
class PdfResult:
    data: bytes
    pages: list[layout.Page]
    warnings: list[str] = field(default_factory=list)
    findings: list[tuple[str, int, str]] = field(default_factory=list)  # HOOK(figtab): (code, page, message) from floats


def render(
    project: Project,
    fragments: list[Fragment],
    template: str,
    geometry: dict[str, float],
    *,
    press: bool = False,
    context: dict[str, Any] | None = None,
) -> PdfResult:
    """Lay out the book with this template on pages of this geometry (see config.page_geometry).
    `press` makes the printer's PDF/X file with bleed and crop marks."""
    settings = project.config.print
    faces = font_faces(settings.font)
    profile = Path(settings.cmyk_profile)
    if press and not profile.is_file():
        raise ConfigError(f"print.cmyk_profile: no such file: {profile} (hint: run 'make setup', which installs libgs-common)")

    def html_for(fragments: list[Fragment]) -> str:
        return templates.render(
            project.root,
            template,
            book=project.config,
            fragments=fragments,
            faces=faces,
            page=geometry,
            press=press,
            cmyk_profile=profile.as_uri() if press else "",
            **(context or {}),
        )

    allowed = [project.root, *templates.search_path(project.root), *font_dirs(faces)]
    space = layout.space_width_em(next(face.path for face in faces if face.style == "normal"))
    if press:
        allowed.append(profile.parent)
    # HOOK(figtab): trial layouts move figures that leave a hole and squeeze wide tables (render/floats.py)
    fragments, placed = floats.settle(fragments, lambda trial: _trial_layout(html_for(trial), project, allowed))
    result = write_pdf(html_for(fragments), project, allowed, settings.press_standard if press else "pdf/ua-1", space, placed.laid_out)
    result.findings = placed.findings  # HOOK(figtab): build.lay_out turns them into L008/L009 findings
    result.data = finish(result.data, project, press)
    if press and len(result.pages) % 2:
        result.pages.append(layout.Page(len(result.pages) + 1, None))  # the blank page finish() adds
    return result


def write_pdf(html: str, project: Project, allowed: list[Path], variant: str, space_width: float, laid_out: Any = None) -> PdfResult:
    """`laid_out`: (document, warnings) of this very html from a trial layout (floats.settle), written as it is."""
    with _captured_warnings() as warnings:
        try:
            if laid_out is not None:  # HOOK(figtab): reuse the last trial layout
                document = laid_out[0]
                warnings += laid_out[1]
            else:
                document = weasyprint.HTML(
                    string=html, base_url=project.manuscript_dir.as_uri() + "/", url_fetcher=ProjectFetcher(allowed)
                ).render()
            data = document.write_pdf(pdf_variant=variant)
        except FatalURLFetchingError as exc:
            raise FolioError(f"{exc} (hint: keep images and styles inside the project folder)") from None
    return PdfResult(data, layout.read_pages(document, space_width), warnings)


def _trial_layout(html: str, project: Project, allowed: list[Path]) -> tuple[Any, list[str]]:  # HOOK(figtab): for floats.settle
    """A layout to look at (and, if nothing moves, to write): the document and its warnings."""
    with _captured_warnings() as warnings:
        try:
            base = project.manuscript_dir.as_uri() + "/"
            return weasyprint.HTML(string=html, base_url=base, url_fetcher=ProjectFetcher(allowed)).render(), warnings
        except FatalURLFetchingError as exc:
            raise FolioError(f"{exc} (hint: keep images and styles inside the project folder)") from None


def finish(data: bytes, project: Project, press: bool) -> bytes:
    """What WeasyPrint leaves to us: the same bytes for the same book (the font subsetter stamps
    the time into each font), and in a PDF/X file exact bleed boxes and a registered output condition."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        _fix_font_timestamps(pdf)
        if "/ID" in pdf.trailer:
            del pdf.trailer.ID  # WeasyPrint's is random for PDF/X; pikepdf derives one from the content
        if press:
            _finish_press(pdf, project)
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


def _finish_press(pdf: pikepdf.Pdf, project: Project) -> None:
    if len(pdf.pages) % 2:
        _add_blank_page(pdf)
    bleed = page_geometry(project)["bleed"]
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(project.build_time()))
    document_id = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, project.config.identifier)}"
    for page in pdf.pages:
        x0, y0, x1, y1 = (float(v) for v in page.TrimBox)
        page.BleedBox = pikepdf.Array([x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed])
    # Pages share one resource dictionary: rewrite each form once, not once per page.
    forms = {x.objgen: x for page in pdf.pages for x in page.Resources.get("/XObject", {}).values() if x.get("/Subtype") == "/Form"}
    for xobject in forms.values():
        _gray_to_cmyk(xobject)
    # HOOK(figtab): images to the colour and transparency rules of the declared PDF/X standard
    images.press_colour(pdf, project.config.print.press_standard, Path(project.config.print.cmyk_profile))
    for intent in pdf.Root.get("/OutputIntents", []):
        # The Artifex profile characterises SWOP coated stock: name it as registered with the ICC.
        intent.OutputConditionIdentifier = pikepdf.String("CGATS TR 001")
        intent.OutputCondition = pikepdf.String("SWOP (Publication) Grade 5 Paper")
        intent.RegistryName = pikepdf.String("http://www.color.org")
    pdf_date = "D:" + stamp[:19].replace("-", "").replace("T", "").replace(":", "") + "+00'00'"
    pdf.docinfo.CreationDate = pdf_date
    pdf.docinfo.ModDate = pdf_date
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
            xmp[key] = stamp
        xmp["xmpMM:DocumentID"] = document_id
        xmp["xmpMM:InstanceID"] = document_id


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


def _add_blank_page(pdf: pikepdf.Pdf) -> None:
    """A book block has an even number of pages (print-on-demand services refuse odd counts): end
    with a blank page that keeps the boxes and the crop marks of the page before it."""
    last = pdf.pages[-1]
    marks: list[Any] = []
    for instruction in pikepdf.parse_content_stream(last):
        marks.append(instruction)
        if str(instruction.operator) == "Do":  # WeasyPrint draws the crop marks first, as one form
            name = instruction.operands[0]
            break
    else:
        return
    depth = sum({"q": 1, "Q": -1}.get(str(i.operator), 0) for i in marks)
    marks += [pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q"))] * depth
    blank = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=last.MediaBox,
        TrimBox=last.TrimBox,
        BleedBox=last.BleedBox,
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary({str(name): last.Resources.XObject[str(name)]})),
        Contents=pdf.make_stream(pikepdf.unparse_content_stream(marks)),
    )
    pdf.pages.append(pikepdf.Page(blank))


def _gray_to_cmyk(stream: Any) -> None:
    """WeasyPrint draws crop marks in RGB black, which PDF/X-1a forbids: draw them in
    registration colour (every ink), so they show on each separation."""
    operations = []
    for instruction in pikepdf.parse_content_stream(stream):
        operands: list[Any] = list(instruction.operands)
        operator = instruction.operator
        if str(operator) in ("rg", "RG") and len({float(v) for v in operands}) == 1:
            level = 1 - float(operands[0])
            operator = pikepdf.Operator("k" if str(operator) == "rg" else "K")
            operands = [level] * 4
        operations.append(pikepdf.ContentStreamInstruction(operands, operator))
    stream.write(pikepdf.unparse_content_stream(operations))


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
