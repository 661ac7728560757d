"""Preflight: what a printer checks in any PDF before it goes to press.

Fonts, page boxes, where the glyphs sit, image resolution and the document's metadata. It reads the
PDF as the printer gets it, so it works on any PDF, not only on ours. pikepdf reads the structure,
PDFium (pypdfium2) the positions of glyphs and images: it reads a page's content in C, five to fifteen
times faster than pdfminer on our books, which matters because every page of every build is read. All geometry
here is in PDF user space (points, y up), so a negative MediaBox origin (WeasyPrint with bleed)
needs no special case.

Its codes (F, G, T, I, D, P) are in the one catalogue, folio/checks/findings.py.
"""

from __future__ import annotations

import ctypes
import io
import json
import math
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pikepdf

from folio.checks.findings import ERROR, NOTE, WARNING, Finding
from folio.errors import UnreadableFileError
from folio.project.config import Margins, Project

if TYPE_CHECKING:  # PDFium is imported where pages are read: its bindings take 0.06 s to load, and
    # the build's check of the printer's file reads no page (what the print PDF's reading found holds for it)
    import pypdfium2

BOX_TOLERANCE = 0.5  # points: rounding in the PDF writer, not a design choice
GLYPH_TOLERANCE = 1.0  # points: rounding, and the side bearings of a glyph's box
OVERHANG = 0.25  # ems: how far a glyph's ink may reach past its advance (an italic f's hook) before it counts
MIN_PPI = 300
LINES_PER_PAGE = 3  # glyph findings reported one by one on a page; the rest are counted

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF user space


@dataclass(frozen=True)
class FontInfo:
    name: str  # BaseFont without the subset tag
    type: str  # Type1, TrueType, Type0/CIDFontType2, Type3, ...
    embedded: bool
    subset: bool


@dataclass
class Report:
    path: Path
    findings: list[Finding] = field(default_factory=list)
    fonts: list[FontInfo] = field(default_factory=list)
    pages: int = 0
    trim: tuple[float, float] | None = None  # as measured on page 1
    bleed: float = 0.0  # as measured on page 1: the narrowest side
    design: str = ""
    """Which page design the file was checked against, when a project gave one (see design_for)."""

    def add(self, page: int, code: str, message: str) -> None:
        """A finding on this page (0: the document as a whole)."""
        self.findings.append(Finding(code, self.path, 0, 0, message, page=page))

    @property
    def even(self) -> bool:
        return self.pages % 2 == 0

    @property
    def passed(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)

    def count(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)

    def to_json(self) -> str:
        data = {
            "file": str(self.path),
            "passed": self.passed,
            "pages": self.pages,
            "even": self.even,
            "trim_pt": list(self.trim) if self.trim else None,
            "bleed_pt": self.bleed,
            "design": self.design,
            "fonts": [asdict(font) for font in self.fonts],
            "findings": [f.to_json() for f in self.findings],
        }
        return json.dumps(data, indent=2)

    def format_text(self) -> str:
        """The report for a reader: each finding by page (the file is the one named), then the facts."""
        lines = [f"{f'page {f.page}' if f.page else 'document'}: {f.severity}: {f.code} {f.message}" for f in self.findings]
        fonts = ", ".join(
            f"{font.name} ({font.type}, {'embedded' if font.embedded else 'NOT embedded'}{', subset' if font.subset else ''})"
            for font in self.fonts
        )
        lines.append(f"fonts: {fonts or 'none'}")
        lines.append(f"pages: {self.pages} ({'even' if self.even else 'odd'})")
        if self.design:
            lines.append(f"checked against {self.design}")
        if self.trim:
            lines.append(f"trim: {_size(*self.trim)}; bleed: {self.bleed:g} pt ({_inches(self.bleed)} in)")
        verdict = "passed" if self.passed else "FAILED"
        lines.append(f"{verdict}: {self.count(ERROR)} error(s), {self.count(WARNING)} warning(s), {self.count(NOTE)} note(s)")
        return "\n".join(lines)


def preflight(
    pdf_path: Path,
    *,
    trim: tuple[float, float] | None,
    bleed: float,
    margins: Margins | None,
    data: bytes | None = None,
    positions: bool = True,
    one_sided: bool = False,
    pages: Collection[int] | None = None,
) -> Report:
    """Check a PDF for print. trim: (width, height) in points or None; bleed in points; margins: top,
    bottom, inner, outer (the inner on the left of every page if one_sided, else of odd pages).
    `data`: check these bytes, reported as `pdf_path` (the build checks a PDF before writing it).
    `positions=False` leaves out the checks that need each glyph's and image's place on the page
    (reading every content stream is the slow part), for a file whose pages were checked so already;
    `pages` limits them to these page numbers (the build knows the others' findings from its cache)."""
    report = Report(pdf_path)
    source: Path | io.BytesIO = io.BytesIO(data) if data is not None else pdf_path
    try:
        pdf = pikepdf.open(source)
    except (OSError, pikepdf.PdfError) as exc:
        raise UnreadableFileError(f"cannot read {pdf_path}: {exc}") from None
    with pdf:
        report.pages = len(pdf.pages)
        _check_metadata(pdf, report)
        _check_fonts(pdf, report)
        for number, page in enumerate(pdf.pages, start=1):
            _check_boxes(page, number, trim, bleed, report)
        _check_image_colour(pdf, report)
    if positions:
        placed = range(1, report.pages + 1) if pages is None else [n for n in pages if 1 <= n <= report.pages]
        source_data = data if data is not None else pdf_path.read_bytes()
        report.findings += placed_findings(pdf_path, source_data, pages=placed, margins=margins, one_sided=one_sided)
    if not report.even:
        report.add(0, "P001", f"{report.pages} page(s): the printer will add a blank page to make the count even")
    report.findings.sort(key=lambda f: (f.page, f.code))
    return report


def placed_findings(
    pdf_path: Path, data: bytes, *, pages: Collection[int], margins: Margins | None, one_sided: bool = False, first: int = 1
) -> list[Finding]:
    """Only the checks that need each glyph's and image's place on the page, on these pages, read
    with PDFium alone (the trim box too): `preflight`'s, and the build's, which reads each part of
    the book on its own (`first`: the number in the book of `data`'s first page, which tells a
    page's side of the spread). Opening the book with pikepdf as well would double each worker's
    memory (some 100 MB at 669 pages)."""
    import pypdfium2

    report = Report(pdf_path)
    ordered = sorted(pages)
    for at in range(0, len(ordered), PAGES_AN_OPENING):
        try:
            reader = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError as exc:
            raise UnreadableFileError(f"cannot read {pdf_path}: {exc}") from None
        with reader:
            for number in ordered[at : at + PAGES_AN_OPENING]:
                placed = reader[number - first]
                trim_box = _box(placed.get_trimbox())  # falls back to the CropBox, then the MediaBox, as pikepdf's
                _check_placed(placed, number, trim_box, margins, report, one_sided)
    return report.findings


PAGES_AN_OPENING = 48
"""PDFium keeps every font a document's pages have used until the document is closed, and a book
joined from parts has each part's own subsets: read 48 pages to an opening of the document, the
memory stays that of 48 pages' fonts. Half the 160-chapter book's pages in one process: 113 -> 78 MB
at most, in the same time."""


def _check_placed(placed: pypdfium2.PdfPage, number: int, trim_box: Box, margins: Margins | None, report: Report, one_sided: bool) -> None:
    _check_glyphs(_lines(placed), number, trim_box, margins, report, one_sided)
    _check_images(placed, number, report)
    placed.close()  # a page's glyphs are not kept: memory stays that of one page, whatever the book's length


@dataclass(frozen=True)
class Design:
    """The page design a PDF of a project is checked against."""

    trim: tuple[float, float]
    margins: Margins
    bleed: float
    name: str
    one_sided: bool = False
    """Every page has its gutter on the left (the draft), rather than recto and verso alternating."""


DRAFT_NUMBERS = 36.0
"""Points left of the draft's text block that its line numbers take (templates/draft-margin.html.j2)."""
DRAFT_COMMENTS_EDGE = 12.0
"""The draft's comments run in the wide right margin up to this far from the paper's edge (draft.css)."""


def design_for(pdf_path: Path, project: Project, press: bool) -> Design:
    """The design of the project's product this PDF is: the review draft when its pages are the
    draft's paper (book.yaml `draft:`), else the print trim, with the press file's bleed under
    `press`. The draft is told from its page size, so a renamed draft is still recognised. It is
    one-sided, has no bleed, and its glyphs may run into its margins as far as its own furniture
    does: line numbers at the left, comments in the right margin."""
    draft = project.draft_geometry()
    page = project.geometry()
    try:
        with pikepdf.open(pdf_path) as pdf:
            x0, y0, x1, y1 = _box(pdf.pages[0].mediabox) if len(pdf.pages) else (0.0, 0.0, 0.0, 0.0)
    except (OSError, pikepdf.PdfError) as exc:
        raise UnreadableFileError(f"cannot read {pdf_path}: {exc}") from None
    is_draft = abs(x1 - x0 - draft.width) <= BOX_TOLERANCE and abs(y1 - y0 - draft.height) <= BOX_TOLERANCE
    if is_draft and not press:
        margins = Margins(draft.top, draft.bottom, max(draft.inner - DRAFT_NUMBERS, 0.0), DRAFT_COMMENTS_EDGE)
        name = f"the review draft's page (book.yaml draft:): {_size(draft.width, draft.height)}, one-sided"
        return Design((draft.width, draft.height), margins, 0.0, name, one_sided=True)
    margins = Margins(page.top, page.bottom, page.inner, page.outer)
    what = "the printer's file's trim and bleed" if press else "the print trim"
    name = f"{what} (book.yaml print:): {_size(page.width, page.height)}"
    return Design((page.width, page.height), margins, page.bleed if press else 0.0, name)


# --- document -------------------------------------------------------------------------------


def _check_metadata(pdf: pikepdf.Pdf, report: Report) -> None:
    title = str(pdf.docinfo.get("/Title", "")).strip()
    if not title:
        title = str(pdf.open_metadata().get("dc:title", "")).strip()  # read, not opened for writing
    if not title:
        report.add(0, "D001", "no Title in the document info or XMP metadata")
    if not str(pdf.Root.get("/Lang", "")).strip():
        report.add(0, "D002", "no /Lang in the document catalog (screen readers and hyphenation need it)")


# --- fonts ----------------------------------------------------------------------------------


def _check_fonts(pdf: pikepdf.Pdf, report: Report) -> None:
    seen: set[tuple[int, int]] = set()
    for number, page in enumerate(pdf.pages, start=1):
        for font in _fonts_in(page.obj.get("/Resources"), set()):
            key = font.objgen
            if key in seen and key != (0, 0):
                continue
            seen.add(key)
            info = _font_info(font)
            report.fonts.append(info)
            if info.type == "Type3":
                report.add(number, "F002", f"font {info.name} is a Type 3 font (glyphs drawn by procedures; printers reject them)")
            elif not info.embedded:
                report.add(number, "F001", f"font {info.name} is not embedded")


def _fonts_in(resources: Any, visited: set[tuple[int, int]]) -> list[Any]:
    """Fonts of a resource dictionary and of the forms (and Type 3 glyphs) it draws, which carry their own resources."""
    if not isinstance(resources, pikepdf.Dictionary) or (resources.objgen != (0, 0) and resources.objgen in visited):
        return []
    visited.add(resources.objgen)
    found = []
    fonts = resources.get("/Font")
    if isinstance(fonts, pikepdf.Dictionary):
        for _, font in fonts.items():
            found.append(font)
            if font.get("/Subtype") == "/Type3":
                found += _fonts_in(font.get("/Resources"), visited)
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for _, xobject in xobjects.items():
            if xobject.get("/Subtype") == "/Form":
                found += _fonts_in(xobject.get("/Resources"), visited)
    return found


def _font_info(font: Any) -> FontInfo:
    subtype = str(font.get("/Subtype", "/Unknown"))[1:]
    base = str(font.get("/BaseFont", "/(unnamed)"))[1:]
    subset = bool(re.match(r"[A-Z]{6}\+", base))
    name = base[7:] if subset else base
    if subtype == "Type3":
        return FontInfo(name if base != "(unnamed)" else "Type 3 font", subtype, True, False)
    described = font
    if subtype == "Type0":
        descendants = font.get("/DescendantFonts")
        described = descendants[0] if isinstance(descendants, pikepdf.Array) and len(descendants) else font
        subtype = f"Type0/{str(described.get('/Subtype', '/Unknown'))[1:]}"
    descriptor = described.get("/FontDescriptor")
    embedded = isinstance(descriptor, pikepdf.Dictionary) and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return FontInfo(name, subtype, embedded, subset)


# --- page boxes -----------------------------------------------------------------------------


def _check_boxes(page: pikepdf.Page, number: int, trim: tuple[float, float] | None, bleed: float, report: Report) -> None:
    """Check TrimBox, BleedBox and MediaBox."""
    media = _box(page.mediabox)
    has_trim = "/TrimBox" in page.obj
    trim_box = _box(page.trimbox)  # pikepdf falls back to CropBox, then MediaBox, as the PDF spec says
    bleed_box = _box(page.bleedbox)
    width, height = trim_box[2] - trim_box[0], trim_box[3] - trim_box[1]
    measured_bleed = min(trim_box[0] - bleed_box[0], trim_box[1] - bleed_box[1], bleed_box[2] - trim_box[2], bleed_box[3] - trim_box[3])
    if number == 1:
        report.trim, report.bleed = (round(width, 2), round(height, 2)), round(max(measured_bleed, 0.0), 2)
    which = "TrimBox" if has_trim else "page (it has no TrimBox)"
    if trim and (abs(width - trim[0]) > BOX_TOLERANCE or abs(height - trim[1]) > BOX_TOLERANCE):
        report.add(number, "G001", f"{which} is {_size(width, height)}, expected {_size(*trim)}")
    if bleed > 0:
        if not has_trim:
            report.add(number, "G002", f"no TrimBox: a page with {bleed:g} pt bleed must mark where it is trimmed")
        else:
            expected = (trim_box[0] - bleed, trim_box[1] - bleed, trim_box[2] + bleed, trim_box[3] + bleed)
            if any(abs(a - b) > BOX_TOLERANCE for a, b in zip(bleed_box, expected, strict=True)):
                report.add(
                    number,
                    "G002",
                    f"bleed is {max(measured_bleed, 0):g} pt (BleedBox {_fmt(bleed_box)}), expected {bleed:g} pt on every side",
                )
    for name, box in (("TrimBox", trim_box), ("BleedBox", bleed_box)):
        if not _contains(media, box):
            report.add(number, "G003", f"MediaBox {_fmt(media)} does not contain the {name} {_fmt(box)}")


def _box(array: Any) -> Box:
    x0, y0, x1, y1 = (float(v) for v in array)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _contains(outer: Box, inner: Box) -> bool:
    t = BOX_TOLERANCE
    return inner[0] >= outer[0] - t and inner[1] >= outer[1] - t and inner[2] <= outer[2] + t and inner[3] <= outer[3] + t


# --- glyphs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Glyph:
    text: str
    box: Box
    """Across: from its origin to the end of its advance, or of its ink where the ink reaches
    farther (an f's hook, an italic's overhang). Up: from the font's descent to one em above it."""
    overhang: float = 0.0
    """How far its right edge may pass a margin: its ink's reach past the advance, which PDFium
    does not tell, allowed up to OVERHANG of an em when the ink is what ends it."""


def _lines(page: pypdfium2.PdfPage) -> list[tuple[str, list[Glyph]]]:
    """The page's lines of text, each as its text and its glyphs, as PDFium reads them: in the
    order they are drawn, a line ending where PDFium puts a line break of its own."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    lines: list[tuple[str, list[Glyph]]] = []
    text: list[str] = []
    glyphs: list[Glyph] = []
    rect, matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
    x, y = ctypes.c_double(), ctypes.c_double()
    ink = [ctypes.c_double() for _ in range(4)]  # left, right, bottom, top
    try:
        for index in range(textpage.count_chars()):
            char = chr(pdfium_c.FPDFText_GetUnicode(textpage, index))
            if pdfium_c.FPDFText_IsGenerated(textpage, index) == 1:
                if char in "\r\n" and glyphs:
                    lines.append(("".join(text).strip(), glyphs))
                    text, glyphs = [], []
                elif char == " ":
                    text.append(char)
                continue
            char = "-" if char == "\x02" else char  # PDFium's mark for a hyphen that ends a line
            text.append(char)
            if char.isspace() or not pdfium_c.FPDFText_GetLooseCharBox(textpage, index, rect):
                continue
            pdfium_c.FPDFText_GetCharOrigin(textpage, index, x, y)  # the loose box starts at the ink where it reaches back (a swash J)
            pdfium_c.FPDFText_GetMatrix(textpage, index, matrix)
            em = pdfium_c.FPDFText_GetFontSize(textpage, index) * math.hypot(matrix.c, matrix.d)  # the size is in text space
            pdfium_c.FPDFText_GetCharBox(textpage, index, *ink)
            overhang = OVERHANG * em if ink[1].value >= rect.right - 0.01 else 0.0
            glyphs.append(Glyph(char, (x.value, rect.bottom, rect.right, rect.bottom + em), overhang))
        if glyphs:
            lines.append(("".join(text).strip(), glyphs))
    finally:
        textpage.close()
    return lines


def _check_glyphs(
    lines: list[tuple[str, list[Glyph]]], number: int, trim_box: Box, margins: Margins | None, report: Report, one_sided: bool = False
) -> None:
    block = _text_block(trim_box, 1 if one_sided else number, margins) if margins else None
    found: dict[str, list[tuple[str, str, float]]] = {"T002": [], "T001": []}
    for text, glyphs in lines:
        beyond = _worst(glyphs, trim_box)
        outside = _worst([g for g in glyphs if not _in_band(g.box, block, trim_box)], block) if block and not beyond else None
        if beyond:
            found["T002"].append((text, *beyond))
        elif outside:
            found["T001"].append((text, *outside))
    for code, where in (("T002", "trim edge"), ("T001", "margin")):
        out = found[code]
        for text, side, distance in out[:LINES_PER_PAGE]:
            report.add(number, code, f"{_quote(text)} sticks out {distance:.1f} pt past the {side} {where}")
        if len(out) > LINES_PER_PAGE:
            # A wrong margin moves every line: say so once rather than drown the report.
            rest = out[LINES_PER_PAGE:]
            most = max(distance for _, _, distance in rest)
            report.add(number, code, f"and {len(rest)} more line(s) on this page, by up to {most:.1f} pt")


def _text_block(trim_box: Box, number: int, margins: Margins) -> Box:
    # Page 1 is a recto: odd pages bind on the left, so their gutter (inner margin) is on the left.
    left, right = (margins.inner, margins.outer) if number % 2 else (margins.outer, margins.inner)
    return trim_box[0] + left, trim_box[1] + margins.bottom, trim_box[2] - right, trim_box[3] - margins.top


def _in_band(glyph: Box, block: Box, trim_box: Box) -> bool:
    """Running heads and folios: above or below the text block, but within its width."""
    t = GLYPH_TOLERANCE
    x0, y0, x1, y1 = glyph
    within_width = x0 >= block[0] - t and x1 <= block[2] + t
    in_head = y0 >= block[3] - t and y1 <= trim_box[3]
    in_foot = y1 <= block[1] + t and y0 >= trim_box[1]
    return within_width and (in_head or in_foot)


def _worst(glyphs: list[Glyph], box: Box) -> tuple[str, float] | None:
    """The side and distance by which these glyphs stick out of box farthest, if by more than the tolerance."""
    worst: tuple[str, float] | None = None
    for glyph in glyphs:
        x0, y0, x1, y1 = glyph.box
        for side, distance, tolerance in (
            ("left", box[0] - x0, GLYPH_TOLERANCE),
            ("bottom", box[1] - y0, GLYPH_TOLERANCE),
            ("right", x1 - box[2], max(GLYPH_TOLERANCE, glyph.overhang)),
            ("top", y1 - box[3], GLYPH_TOLERANCE),
        ):
            if distance > tolerance and (worst is None or distance > worst[1]):
                worst = (side, distance)
    return worst


def _quote(text: str) -> str:
    return f'"{text[:30]}…"' if len(text) > 30 else f'"{text}"'


# --- images ---------------------------------------------------------------------------------


def _check_images(page: pypdfium2.PdfPage, number: int, report: Report) -> None:
    import pypdfium2.raw as pdfium_c

    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):  # in forms too
        pixels_w, pixels_h = image.get_px_size()
        left, bottom, right, top = image.get_bounds()
        placed_w, placed_h = (right - left) / 72, (top - bottom) / 72  # inches
        if placed_w <= 0 or placed_h <= 0:
            continue
        ppi = min(pixels_w / placed_w, pixels_h / placed_h)
        if ppi < MIN_PPI - 0.5:  # a placed size rounded in the writer: 299.99 is 300
            report.add(
                number,
                "I001",
                f"image {pixels_w}x{pixels_h} px placed at {placed_w:.2f} x {placed_h:.2f} in is {ppi:.0f} ppi (print needs {MIN_PPI})",
            )


# --- image colour against the PDF/X standard (issue 10) --------------------------------------

# What each PDF/X flavour lets an image be: X-1a only CMYK and grey (no RGB, even tagged), no
# transparency; X-3 also colour managed (ICC-based) RGB, still no transparency; X-4 both.
DEVICE_ONLY = {"/DeviceCMYK", "/DeviceGray"}


def _declared_pdfx(pdf: pikepdf.Pdf) -> str:
    """'PDF/X-1a:2003', 'PDF/X-4', ... as the file declares it, or '' for a file that is not PDF/X."""
    version = str(pdf.docinfo.get("/GTS_PDFXVersion", "")).strip()
    if not version:
        xmp = pdf.open_metadata()  # read, not opened for writing (which would write it back, some 40 ms)
        version = str(xmp.get("pdfxid:GTS_PDFXVersion", "") or xmp.get("pdfx:GTS_PDFXVersion", "")).strip()
    return version


def _check_image_colour(pdf: pikepdf.Pdf, report: Report) -> None:
    standard = _declared_pdfx(pdf)
    if not standard:
        return
    x1a, x4 = standard.upper().startswith("PDF/X-1"), standard.upper().startswith("PDF/X-4")
    seen: set[tuple[int, int]] = set()
    for number, page in enumerate(pdf.pages, start=1):
        group = page.obj.get("/Group")
        if not x4 and isinstance(group, pikepdf.Dictionary) and group.get("/S") == "/Transparency":
            report.add(number, "I003", f"page has a transparency group, which {standard} forbids")
        for image in _image_xobjects(page.obj.get("/Resources"), set()):
            if image.objgen in seen:
                continue
            seen.add(image.objgen)
            space = image.get("/ColorSpace")
            family = str(space[0]) if isinstance(space, pikepdf.Array) else str(space)
            base = str(space[1]) if family == "/Indexed" and isinstance(space, pikepdf.Array) else family
            size = f"{image.get('/Width')}x{image.get('/Height')} px"
            allowed = base in DEVICE_ONLY or (not x1a and base == "/ICCBased") or image.get("/ImageMask", False)
            if not allowed:
                hint = "convert it to CMYK with the output intent's profile" if x1a else "tag it with an ICC profile"
                report.add(number, "I002", f"image {size} is {family[1:]}, which {standard} forbids ({hint})")
            if "/SMask" in image and not x4:
                report.add(number, "I003", f"image {size} has a soft mask (transparency), which {standard} forbids (flatten it)")


def _image_xobjects(resources: Any, visited: set[tuple[int, int]]) -> list[Any]:
    """Image XObjects of a resource dictionary and of the forms it draws."""
    if not isinstance(resources, pikepdf.Dictionary) or (resources.objgen != (0, 0) and resources.objgen in visited):
        return []
    visited.add(resources.objgen)
    found = []
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, pikepdf.Dictionary):
        for _, xobject in xobjects.items():
            if xobject.get("/Subtype") == "/Image":
                found.append(xobject)
            elif xobject.get("/Subtype") == "/Form":
                found += _image_xobjects(xobject.get("/Resources"), visited)
    return found


# --- formatting -----------------------------------------------------------------------------


def _inches(points: float) -> str:
    return f"{points / 72:.3f}".rstrip("0").rstrip(".")


def _size(width: float, height: float) -> str:
    return f"{width:g} x {height:g} pt ({_inches(width)} x {_inches(height)} in)"


def _fmt(box: Box) -> str:
    return "[" + " ".join(f"{v:g}" for v in box) + "]"
