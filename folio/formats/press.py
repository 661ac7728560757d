"""The printer's file: the print layout's pages on a larger sheet, PDF/X (1a by default).

The book is laid out once (formats/pdf.py), a part at a time; the printer's file takes those parts
as they are, places each page on a sheet grown by the bleed and the room for crop marks, and joins
the parts as the print PDF was joined (render/join.py), written as the standard asks (PDF 1.4 and a
cross-reference table for PDF/X-1a). Each part's sheets are kept (OUT/.cache/press): an edit makes
its own part's again, and the join writes the others as they were. The sheet grows outwards
(the MediaBox's origin becomes negative, as WeasyPrint's own bleed does), so the page's content,
its links and its named destinations keep their coordinates and need no moving. Then the file is
made what a printer expects:

- TrimBox at the print page, BleedBox the bleed beyond it, the page's content clipped to the
  BleedBox (whatever the print layout draws past the trim shows in the bleed; the digital PDF,
  whose page is the trim, never shows it);
- crop marks and registration crosses beyond the bleed, in registration colour (every ink);
- every colour in CMYK: greys (the only colours the templates use) as black ink alone, so text
  never prints in four-colour black; any other RGB through the output intent's profile; images to
  the declared standard's rules (render/images.py);
- a registered output intent, the PDF/X identification, the PDF version the standard asks, an even
  page count, dates from the build's one time stamp, and no PDF/UA claim (the tags stay with the
  digital edition), so the same book gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image, ImageCms

from folio import __version__
from folio.checks.findings import Finding
from folio.formats import Inputs, Rendered
from folio.formats.output import Entries, file_hash
from folio.project.config import PageGeometry, Project
from folio.render import images
from folio.render.join import join
from folio.render.layout import Page, Piece
from folio.workers import PAGES_A_JOB, side_by_side

CONFORMANCE = {"pdf/x-1a": "PDF/X-1a:2003", "pdf/x-3": "PDF/X-3:2003", "pdf/x-4": "PDF/X-4"}
PDF_VERSION = {"pdf/x-1a": "1.4", "pdf/x-3": "1.4", "pdf/x-4": "1.6"}
"""PDF/X-1a:2003 and X-3:2003 are PDF 1.4 files (no object streams); PDF/X-4 is PDF 1.6."""
MARKS = pikepdf.Name("/FolioMarks")
CROP_LINE = 0.75  # points: the crop marks' stroke (WeasyPrint's 1 CSS px, as before)


def requirements(project: Project) -> list[str]:
    """The CMYK profile the output intent names must be there before anything is laid out."""
    profile = Path(project.config.print.cmyk_profile)
    if profile.is_file():
        return []
    line = project.line_of("print.cmyk_profile")
    return [
        f"{project.book_file}:{line}: print.cmyk_profile: no such file: {profile} (hint: run 'make setup', which installs libgs-common)"
    ]


def render(inputs: Inputs) -> Rendered:
    """The printer's file from the print layout's parts: no layout of its own."""
    laid = inputs.print
    assert laid is not None
    geometry = inputs.project.geometry()
    data = press_file(laid.pieces, inputs.project, inputs.out / ".cache" / "press", inputs.options.jobs)
    pages = list(laid.pages)
    if len(pages) % 2:
        pages.append(Page(len(pages) + 1, None))  # the blank page press_file adds
    return Rendered(data, pages, geometry, list(laid.warnings), list(laid.findings))


def press_file(pieces: list[Piece], project: Project, cache: Path | None = None, jobs: int = 0) -> bytes:
    """The print PDF's parts made a printer's file for this project's press settings: each part's
    pages on their sheets (kept in `cache`, OUT/.cache/press, and made in `jobs` workers when
    several are new), joined. The first part carries the PDF/X identification; a blank page ends an
    odd book."""
    odd = sum(piece.pages + piece.blank_before for piece in pieces) % 2 == 1
    parts = [_Part(piece.data, i == 0, piece.blank_before, odd and i == len(pieces) - 1) for i, piece in enumerate(pieces)]
    common = _settings_key(project)
    stamp = f"{project.build_time().seconds}\n{project.config.identifier}\n"  # what the first part's identification says
    keys = [hashlib.sha256(f"{common}{stamp if part.first else ''}{part.roles}\n".encode() + part.data).hexdigest() for part in parts]
    entries = Entries(cache, ".pdf")
    pressed = [entries.get(key) for key in keys]
    missing = [i for i, data in enumerate(pressed) if data is None]
    workers = 1 if sum(pieces[i].pages for i in missing) < PAGES_A_JOB else jobs  # a worker costs more than a few pages
    for i, data in zip(missing, side_by_side(partial(_pressed, project), [parts[i] for i in missing], workers), strict=True):
        entries.put(keys[i], data)
        pressed[i] = data
    entries.forget_the_rest()
    standard = project.config.print.press_standard
    placed = cache / "placed" if cache else None
    sheets = [data for data in pressed if data is not None]  # every part's, found or made
    return join(sheets, cache=placed, version=PDF_VERSION[standard], streams=False)


@dataclass
class _Part:
    """A part of the print PDF, and what its sheets carry besides its pages."""

    data: bytes
    first: bool  # the PDF/X identification, which the joined file takes from its first part
    blank_before: bool  # the blank verso the print PDF has before it
    blank_after: bool  # the blank page that ends an odd book

    @property
    def roles(self) -> str:
        return f"{self.first} {self.blank_before} {self.blank_after}"


def _settings_key(project: Project) -> str:
    """What a part's sheets depend on besides its pages: this code and the images' conversion,
    Folio's version, the standard, the profile, the sheet."""
    settings, geometry = project.config.print, project.geometry()
    profile = Path(settings.cmyk_profile)
    code = f"{file_hash(Path(__file__))} {file_hash(Path(images.__file__))} {__version__}"
    return f"{code}\n{settings.press_standard}\n{profile}\n{file_hash(profile)}\n{geometry}\n"


def _pressed(project: Project, part: _Part) -> bytes:
    """One part's pages on their sheets: boxes, content clipped to the bleed and in CMYK, marks; no
    structure tree; blank pages where the book has them; the PDF/X identification on the first."""
    settings = project.config.print
    geometry = project.geometry()
    profile = Path(settings.cmyk_profile)
    with pikepdf.open(io.BytesIO(part.data)) as pdf:
        if part.blank_before:
            _add_blank_page(pdf, at_start=True)
        if part.blank_after:
            _add_blank_page(pdf)
        _untag(pdf)
        converted: set[tuple[int, int]] = set()
        marks = _marks_form(pdf, geometry)
        for page in pdf.pages:
            _place_on_sheet(pdf, page, geometry, marks, profile, converted)
        images.press_colour(pdf, settings.press_standard, profile)
        if part.first:
            _declare_pdfx(pdf, project)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


# --- the sheet ------------------------------------------------------------------------------


def _add_blank_page(pdf: pikepdf.Pdf, at_start: bool = False) -> None:
    """A blank page of the same size, which gets its boxes and crop marks like the others: the
    verso the print PDF leaves blank before a chapter that opens on a recto (`at_start`: its
    page labels move one on, so the blank page keeps the number of the page before it, as there),
    or the page that ends an odd book (print-on-demand services refuse odd counts)."""
    x0, y0, x1, y1 = (float(v) for v in pdf.pages[0 if at_start else -1].trimbox)
    blank = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([x0, y0, x1, y1]),
        Resources=pikepdf.Dictionary(),
        Contents=pdf.make_stream(b""),
    )
    if not at_start:
        pdf.pages.append(pikepdf.Page(blank))
        return
    pdf.pages.insert(0, pikepdf.Page(blank))
    if "/PageLabels" in pdf.Root:
        labels = list(pikepdf.NumberTree(pdf.Root.PageLabels).items())
        moved = pikepdf.NumberTree.new(pdf)
        for index, label in labels:
            moved[index + 1] = label
        pdf.Root.PageLabels = moved.obj


def _place_on_sheet(
    pdf: pikepdf.Pdf, page: pikepdf.Page, geometry: PageGeometry, marks: Any, profile: Path, converted: set[tuple[int, int]]
) -> None:
    """The page on its sheet: boxes, its content in CMYK clipped to the bleed, the marks on top."""
    x0, y0, x1, y1 = (float(v) for v in page.trimbox)
    bleed, sheet = geometry.bleed, geometry.bleed + geometry.marks
    page.MediaBox = pikepdf.Array([x0 - sheet, y0 - sheet, x1 + sheet, y1 + sheet])
    page.TrimBox = pikepdf.Array([x0, y0, x1, y1])
    page.BleedBox = pikepdf.Array([x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed])
    for box in ("/CropBox", "/ArtBox"):
        if box in page.obj:
            del page.obj[box]
    resources = page.obj.get("/Resources")
    if not isinstance(resources, pikepdf.Dictionary):
        resources = page.obj.Resources = pikepdf.Dictionary()
    _convert_resources(resources, profile, converted)
    clip = [
        _op("q"),
        _op("re", x0 - bleed, y0 - bleed, x1 - x0 + 2 * bleed, y1 - y0 + 2 * bleed),
        _op("W"),
        _op("n"),
    ]
    if "/XObject" not in resources:
        resources.XObject = pikepdf.Dictionary()
    resources.XObject[MARKS] = marks  # pages may share one resource dictionary: the same form for all
    after = [_op("Q"), _op("q"), _op("Do", MARKS), _op("Q")]
    content = pikepdf.unparse_content_stream(_cmyk(pikepdf.parse_content_stream(page), profile)) if "/Contents" in page.obj else b""
    drawn = [pikepdf.unparse_content_stream(clip), content, pikepdf.unparse_content_stream(after)]
    page.obj.Contents = pdf.make_stream(b"\n".join(part for part in drawn if part))


def _marks_form(pdf: pikepdf.Pdf, geometry: PageGeometry) -> pikepdf.Stream:
    """Crop marks at the four corners and registration crosses at the middle of each side, in the
    room beyond the bleed, as WeasyPrint's `marks: crop cross` drew them: each crop mark on the
    line of a trim edge, from the sheet's edge to half-way to the trim; each cross a circle and two
    strokes, centred a quarter of the way in from the sheet's edge."""
    w, h, room = geometry.width, geometry.height, geometry.bleed + geometry.marks
    half, quarter = room / 2, room / 4
    crop: list[tuple[float, float, float, float]] = []
    for x, out_x in ((0.0, -1), (w, 1)):
        for y, out_y in ((0.0, -1), (h, 1)):
            crop.append((x + out_x * room, y, x + out_x * half, y))  # along the horizontal trim line
            crop.append((x, y + out_y * room, x, y + out_y * half))  # along the vertical trim line
    ops: list[pikepdf.ContentStreamInstruction] = [_op("q"), _op("K", 1, 1, 1, 1), _op("w", CROP_LINE)]
    for ax, ay, bx, by in crop:
        ops += [_op("m", ax, ay), _op("l", bx, by)]
    ops.append(_op("S"))
    sides = [((w / 2, h + room - quarter), (0, 1)), ((w / 2, quarter - room), (0, -1))]
    sides += [((quarter - room, h / 2), (-1, 0)), ((w + room - quarter, h / 2), (1, 0))]
    for (cx, cy), (dx, dy) in sides:  # (dx, dy): from the cross towards the sheet's edge
        edge_x, edge_y = cx + dx * quarter, cy + dy * quarter
        ops += [_op("w", CROP_LINE / 2), _op("m", cx - dy * quarter, cy - dx * quarter), _op("l", cx + dy * quarter, cy + dx * quarter)]
        ops += [_op("m", edge_x, edge_y), _op("l", edge_x - dx * half, edge_y - dy * half), _op("S")]
        ops += [_op("w", CROP_LINE / 4), *_circle(cx, cy, room / 8), _op("S")]
    ops.append(_op("Q"))
    form = pdf.make_stream(pikepdf.unparse_content_stream(ops))
    form.Type = pikepdf.Name.XObject
    form.Subtype = pikepdf.Name.Form
    form.BBox = pikepdf.Array([-room, -room, w + room, h + room])
    form.Resources = pikepdf.Dictionary()
    return form


def _circle(cx: float, cy: float, r: float) -> list[pikepdf.ContentStreamInstruction]:
    """A circle as four Bézier arcs."""
    k = 0.5523 * r
    return [
        _op("m", cx + r, cy),
        _op("c", cx + r, cy + k, cx + k, cy + r, cx, cy + r),
        _op("c", cx - k, cy + r, cx - r, cy + k, cx - r, cy),
        _op("c", cx - r, cy - k, cx - k, cy - r, cx, cy - r),
        _op("c", cx + k, cy - r, cx + r, cy - k, cx + r, cy),
        _op("h"),
    ]


def _op(operator: str, *operands: Any) -> pikepdf.ContentStreamInstruction:
    values = [round(v, 4) if isinstance(v, float) else v for v in operands]
    return pikepdf.ContentStreamInstruction(values, pikepdf.Operator(operator))


# --- colour ---------------------------------------------------------------------------------


def _convert_resources(resources: Any, profile: Path, converted: set[tuple[int, int]]) -> None:
    """The forms and tiling patterns a content stream draws (SVG images, formulas, the code
    continuation arrows), and what they draw in turn, in CMYK: each once."""
    children = [*resources.get("/XObject", {}).values(), *resources.get("/Pattern", {}).values()]
    for child in children:
        drawn = child.get("/Subtype") == "/Form" or child.get("/PatternType") == 1
        if not drawn or child.objgen in converted:
            continue
        converted.add(child.objgen)
        inner = child.get("/Resources")
        if isinstance(inner, pikepdf.Dictionary):
            _convert_resources(inner, profile, converted)
        child.write(pikepdf.unparse_content_stream(_cmyk(pikepdf.parse_content_stream(child), profile)))


def _cmyk(instructions: Any, profile: Path) -> list[Any]:
    """A content stream with its RGB colours in CMYK: `rg`/`RG`, and `sc`/`scn` after a
    `/DeviceRGB cs`. The colour space is part of the graphics state, so q and Q save and restore it."""
    out: list[Any] = []
    spaces = ["", ""]  # fill, stroke
    saved: list[list[str]] = []
    for instruction in instructions:
        operator = str(instruction.operator)
        operands = list(instruction.operands)
        if operator == "q":
            saved.append(list(spaces))
        elif operator == "Q" and saved:
            spaces = saved.pop()
        elif operator in ("cs", "CS"):
            stroke = operator == "CS"
            spaces[stroke] = str(operands[0])
            if spaces[stroke] == "/DeviceRGB":
                out.append(pikepdf.ContentStreamInstruction([pikepdf.Name.DeviceCMYK], instruction.operator))
                continue
        elif operator in ("rg", "RG") or (operator in ("sc", "scn", "SC", "SCN") and spaces[operator.isupper()] == "/DeviceRGB"):
            stroke = operator.isupper()
            if operator in ("rg", "RG"):
                spaces[stroke] = "/DeviceCMYK"
            cmyk = cmyk_of(*(float(v) for v in operands), profile=profile)
            out.append(_op("K" if stroke else "k", *cmyk) if operator in ("rg", "RG") else _op(operator, *cmyk))
            continue
        out.append(instruction)
    return out


def cmyk_of(r: float, g: float, b: float, *, profile: Path) -> tuple[float, float, float, float]:
    """An RGB colour for the press: a grey is black ink alone (text in four-colour black would
    print blurred and slow to dry); any other colour through the output intent's profile."""
    if r == g == b:
        return (0.0, 0.0, 0.0, round(1 - r, 4))
    return _through_profile(round(r * 255), round(g * 255), round(b * 255), str(profile))


@cache
def _through_profile(r: int, g: int, b: int, profile: str) -> tuple[float, float, float, float]:
    pixel = Image.new("RGB", (1, 1), (r, g, b))
    transform = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.getOpenProfile(profile), "RGB", "CMYK", ImageCms.Intent.PERCEPTUAL
    )
    converted = ImageCms.applyTransform(pixel, transform)
    assert converted is not None
    c, m, y, k = converted.getpixel((0, 0))  # type: ignore[misc]
    return (round(c / 255, 4), round(m / 255, 4), round(y / 255, 4), round(k / 255, 4))


# --- identification -------------------------------------------------------------------------


def _untag(pdf: pikepdf.Pdf) -> None:
    """The printer's file is not the accessible edition: drop the structure tree (the digital PDF
    keeps it), which its marks and bleed would not belong to. Marked content left in the pages
    without a tree is harmless."""
    for key in ("/StructTreeRoot", "/MarkInfo"):
        if key in pdf.Root:
            del pdf.Root[key]
    for page in pdf.pages:
        for key in ("/StructParents", "/Tabs"):
            if key in page.obj:
                del page.obj[key]
        for annotation in page.obj.get("/Annots", []):
            if "/StructParent" in annotation:
                del annotation.StructParent


def _declare_pdfx(pdf: pikepdf.Pdf, project: Project) -> None:
    """The PDF/X identification (document info and XMP), the registered output intent, and dates
    from the build's time stamp."""
    settings = project.config.print
    conformance = CONFORMANCE[settings.press_standard]
    x4 = settings.press_standard == "pdf/x-4"
    stamp = project.build_time()
    document_id = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, project.config.identifier)}"
    profile = Path(settings.cmyk_profile)
    intent_profile = pdf.make_stream(profile.read_bytes())
    intent_profile.N = 4
    pdf.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFX,
                # The Artifex profile characterises SWOP coated stock: name it as registered with the ICC.
                OutputConditionIdentifier=pikepdf.String("CGATS TR 001"),
                OutputCondition=pikepdf.String("SWOP (Publication) Grade 5 Paper"),
                RegistryName=pikepdf.String("http://www.color.org"),
                Info=pikepdf.String(_profile_name(str(profile))),
                DestOutputProfile=intent_profile,
            )
        ]
    )
    if not x4:  # PDF/X-4 is identified in the XMP only
        pdf.docinfo.GTS_PDFXVersion = pikepdf.String(conformance)
        pdf.docinfo.GTS_PDFXConformance = pikepdf.String(conformance)
    pdf.docinfo.Trapped = pikepdf.Name("/False")
    pdf.docinfo.CreationDate = stamp.pdf
    pdf.docinfo.ModDate = stamp.pdf
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        if "pdfuaid:part" in xmp:
            del xmp["pdfuaid:part"]
        if not x4:
            xmp["pdfxid:part"] = conformance[6]  # "1" or "3"
        for key in ("pdfxid:GTS_PDFXVersion", "pdfx:GTS_PDFXVersion", "pdfx:GTS_PDFXConformance"):
            xmp[key] = conformance
        xmp["pdf:Trapped"] = "False"
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
            xmp[key] = stamp.xmp
        xmp["xmpMM:DocumentID"] = document_id
        xmp["xmpMM:InstanceID"] = document_id
        if x4:
            xmp["xmpMM:RenditionClass"] = "proof:pdf"
            xmp["xmpMM:VersionID"] = "1"


@cache
def _profile_name(profile: str) -> str:
    return ImageCms.getProfileDescription(ImageCms.getOpenProfile(profile)).strip() or Path(profile).stem


def validate(inputs: Inputs, rendered: Rendered, path: Path) -> list[Finding]:
    """`folio preflight --project --press` on the printer's file the build made, before it is
    written: boxes and bleed, fonts, image colour and transparency against the declared PDF/X
    standard, metadata; glyph positions are the print layout's (formats/pdf.py)."""
    from folio.formats.pdf import preflight_findings

    assert inputs.print is not None
    bleed, cache = inputs.project.geometry().bleed, inputs.out / ".cache" / "preflight"
    pieces, jobs = inputs.print.pieces, inputs.options.jobs
    return preflight_findings(inputs.project, rendered.data, path, bleed=bleed, pieces=pieces, cache=cache, jobs=jobs)
