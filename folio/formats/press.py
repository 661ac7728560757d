"""The printer's file: the book on pages with bleed and crop marks, PDF/X (1a by default).

WeasyPrint lays it out with the press stylesheet (templates/press.css); the finishing here gives
exact bleed boxes, crop marks in registration colour, a registered output condition, an even page
count, and dates from the build's one time stamp, so the same book gives the same bytes.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pikepdf

from folio.formats import Inputs, Rendered
from folio.project.config import Project
from folio.render.document import lay_out_book, reproducible
from folio.render.layout import Page


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
    project = inputs.project
    settings = project.config.print
    profile = Path(settings.cmyk_profile)
    geometry = project.geometry()
    laid = lay_out_book(
        project,
        inputs.book,
        "book.html.j2",
        geometry,
        variant=settings.press_standard,
        allowed=[profile.parent],
        context={"press": True, "cmyk_profile": profile.as_uri()},
    )
    data = reproducible(laid.data, lambda pdf: _finish_press(pdf, project))
    pages = laid.pages
    if len(pages) % 2:
        pages.append(Page(len(pages) + 1, None))  # the blank page _finish_press adds
    return Rendered(data, pages, geometry, laid.warnings)


def _finish_press(pdf: pikepdf.Pdf, project: Project) -> None:
    if len(pdf.pages) % 2:
        _add_blank_page(pdf)
    bleed = project.geometry().bleed
    stamp = project.build_time()
    document_id = f"uuid:{uuid.uuid5(uuid.NAMESPACE_URL, project.config.identifier)}"
    for page in pdf.pages:
        x0, y0, x1, y1 = (float(v) for v in page.TrimBox)
        page.BleedBox = pikepdf.Array([x0 - bleed, y0 - bleed, x1 + bleed, y1 + bleed])
    # Pages share one resource dictionary: rewrite each form once, not once per page.
    forms = {x.objgen: x for page in pdf.pages for x in page.Resources.get("/XObject", {}).values() if x.get("/Subtype") == "/Form"}
    for xobject in forms.values():
        _gray_to_cmyk(xobject)
    for intent in pdf.Root.get("/OutputIntents", []):
        # The Artifex profile characterises SWOP coated stock: name it as registered with the ICC.
        intent.OutputConditionIdentifier = pikepdf.String("CGATS TR 001")
        intent.OutputCondition = pikepdf.String("SWOP (Publication) Grade 5 Paper")
        intent.RegistryName = pikepdf.String("http://www.color.org")
    pdf.docinfo.CreationDate = stamp.pdf
    pdf.docinfo.ModDate = stamp.pdf
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as xmp:
        for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
            xmp[key] = stamp.xmp
        xmp["xmpMM:DocumentID"] = document_id
        xmp["xmpMM:InstanceID"] = document_id


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
