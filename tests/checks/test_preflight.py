"""Preflight on real PDFs: small ones laid out by WeasyPrint, and a few made by hand with pikepdf."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from PIL import Image

from folio.checks.findings import CODES
from folio.checks.preflight import Report, preflight
from folio.cli import main
from folio.project.config import Margins
from folio.render.fonts import font_faces

TRIM = (432.0, 648.0)  # 6 x 9 in
MARGINS = Margins(top=54.0, bottom=61.2, inner=63.0, outer=45.0)  # the book.yaml defaults
MARGIN_ARG = "0.75in,0.85in,0.875in,0.625in"
BREAK = 'style="break-before: page"'
TEXT = "The partnership forged in Syria did not end there; it evolved into a full-blown strategic axis. " * 12


def preflight_main(argv: list[str]) -> int:
    return main(["preflight", *argv])


def write_html_pdf(path: Path, body: str, *, page_css: str = "", head: str = "<title>Test</title>", lang: str = ' lang="en"') -> Path:
    """A 6x9in book page design (alternating margins, running head, folio) in EB Garamond, embedded."""
    faces = "".join(
        f'@font-face {{ font-family: "EB Garamond"; font-style: {f.style}; src: url("{f.url}"); }}' for f in font_faces("EB Garamond")
    )
    m = MARGINS
    html = f"""<!DOCTYPE html><html{lang}><head><meta charset="utf-8">{head}<style>
{faces}
@page {{ size: 6in 9in; margin: {m.top}pt 0 {m.bottom}pt 0; font-family: "EB Garamond"; font-size: 9pt;
  @top-center {{ content: "Running Head"; vertical-align: bottom; padding-bottom: 12pt; }}
  @bottom-center {{ content: counter(page); vertical-align: top; padding-top: 12pt; }} {page_css} }}
@page :right {{ margin-left: {m.inner}pt; margin-right: {m.outer}pt; }}
@page :left {{ margin-left: {m.outer}pt; margin-right: {m.inner}pt; }}
html {{ font-family: "EB Garamond"; font-size: 11pt; line-height: 14.5pt; }}
body {{ margin: 0; }}
p {{ margin: 0; text-align: justify; hyphens: auto; }}
</style></head><body>{body}</body></html>"""
    weasyprint.HTML(string=html, base_url=path.parent.as_uri() + "/").write_pdf(path)
    return path


def codes(report: Report) -> list[str]:
    return [f.code for f in report.findings]


def errors(report: Report) -> list[str]:
    return [f.code for f in report.findings if f.severity == "error"]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three pages of justified text with a sharp image: should pass every check."""
    folder = tmp_path_factory.mktemp("good")
    Image.new("RGB", (600, 600), (90, 120, 160)).save(folder / "sharp.png")
    body = f'<p>{TEXT}</p><p><img src="sharp.png" alt="" style="width: 1in; height: 1in"></p>' + f"<p {BREAK}>{TEXT}</p>" * 3
    return write_html_pdf(folder / "good.pdf", body)


@pytest.fixture(scope="module")
def press(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("press")
    return write_html_pdf(folder / "press.pdf", f"<p>{TEXT}</p><p {BREAK}>{TEXT}</p>", page_css="bleed: 0.125in; marks: crop cross;")


def test_good_pdf_passes(good: Path) -> None:
    report = preflight(good, trim=TRIM, bleed=0, margins=MARGINS)
    assert report.findings == [], report.format_text()
    assert report.passed
    assert report.pages == 4 and report.even
    assert report.trim == TRIM and report.bleed == 0
    assert report.fonts and all(font.embedded and font.subset for font in report.fonts)
    assert {font.name for font in report.fonts} == {"EB-Garamond"}


def test_press_pdf_with_bleed_and_marks_passes(press: Path) -> None:
    report = preflight(press, trim=TRIM, bleed=9, margins=MARGINS)
    assert errors(report) == [], report.format_text()
    assert report.trim == TRIM and report.bleed == 9
    assert "bleed: 9 pt (0.125 in)" in report.format_text()


def test_gutter_alternates_from_a_recto_first_page(good: Path) -> None:
    # Swap inner and outer: every line now sits 18pt into the wrong side's margin, on odd and even pages alike.
    swapped = Margins(MARGINS.top, MARGINS.bottom, inner=MARGINS.outer, outer=MARGINS.inner)
    report = preflight(good, trim=TRIM, bleed=0, margins=swapped)
    by_page: dict[int, list[str]] = {}
    for f in report.findings:
        by_page.setdefault(f.page, []).append(f.message)
    assert set(by_page) == {1, 2, 3, 4} and errors(report) == ["T001"] * len(errors(report))
    assert "right margin" in by_page[1][0] and "left margin" in by_page[2][0] and "right margin" in by_page[3][0]
    assert "sticks out 18.0 pt" in by_page[1][0]
    assert by_page[1][-1].startswith("and ") and "more line(s) on this page" in by_page[1][-1]  # not one finding a line


def test_font_not_embedded_and_type3(tmp_path: Path) -> None:
    path = handmade_pdf(tmp_path / "fonts.pdf")
    report = preflight(path, trim=None, bleed=0, margins=None)
    assert sorted(errors(report)) == ["F001", "F002"]
    helvetica = next(f for f in report.findings if f.code == "F001")
    assert helvetica.format() == f"{path}:page 1: error: F001 font Helvetica is not embedded"
    fonts = {font.name: font for font in report.fonts}
    assert not fonts["Helvetica"].embedded and fonts["Helvetica"].type == "Type1"
    assert fonts["Type 3 font"].type == "Type3"
    assert "Helvetica (Type1, NOT embedded)" in report.format_text()


def test_overflowing_line_is_caught_with_its_text(tmp_path: Path) -> None:
    # An unbreakable token, no overflow-wrap: WeasyPrint runs it into the margin without a word.
    path = write_html_pdf(tmp_path / "overflow.pdf", f"<p>Before the token {'a' * 80} after.</p>")
    report = preflight(path, trim=TRIM, bleed=0, margins=MARGINS)
    assert errors(report) == ["T001"]
    finding = report.findings[-1]
    assert finding.page == 1
    assert '"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…"' in finding.message and "right margin" in finding.message
    distance = float(finding.message.split("sticks out ")[1].split(" pt")[0])
    assert 15 < distance < 45  # into the 45pt outer margin, short of the trim


def test_line_running_off_the_page_is_beyond_the_trim(tmp_path: Path) -> None:
    path = write_html_pdf(tmp_path / "offpage.pdf", f"<p>Before the token {'a' * 150} after.</p>")
    report = preflight(path, trim=TRIM, bleed=0, margins=None)  # the trim check needs no margins
    assert errors(report) == ["T002"]
    assert "right trim edge" in report.findings[-1].message


def test_wrong_trim(tmp_path: Path) -> None:
    path = write_html_pdf(tmp_path / "letter.pdf", "<p>Hello.</p>", page_css="size: letter;")
    report = preflight(path, trim=TRIM, bleed=0, margins=None)
    assert errors(report) == ["G001"]
    assert "612 x 792 pt (8.5 x 11 in), expected 432 x 648 pt (6 x 9 in)" in report.findings[-1].message


def test_bleed_expected_but_absent(good: Path) -> None:
    report = preflight(good, trim=TRIM, bleed=9, margins=MARGINS)
    assert errors(report) == ["G002"] * 4
    assert "bleed is 0 pt" in report.findings[0].message


def test_media_box_smaller_than_bleed(tmp_path: Path) -> None:
    path = handmade_pdf(tmp_path / "boxes.pdf", trim_box=[9, 9, 441, 657], bleed_box=[0, 0, 450, 666], media_box=[0, 0, 445, 666])
    report = preflight(path, trim=TRIM, bleed=9, margins=None)
    assert [f.code for f in report.findings if f.code.startswith("G")] == ["G003"]
    assert "does not contain the BleedBox [0 0 450 666]" in report.findings[-1].message


def test_low_resolution_image_is_a_warning(tmp_path: Path) -> None:
    Image.new("RGB", (20, 20), (200, 30, 30)).save(tmp_path / "tiny.png")
    path = write_html_pdf(tmp_path / "image.pdf", '<p><img src="tiny.png" alt="" style="width: 2in; height: 2in"></p>')
    report = preflight(path, trim=TRIM, bleed=0, margins=MARGINS)
    assert codes(report) == ["P001", "I001"]
    low = next(f for f in report.findings if f.code == "I001")
    assert low.page == 1 and low.severity == "warning" and "10 ppi" in low.message
    assert report.passed  # a warning, not an error


def test_missing_title_and_language(tmp_path: Path) -> None:
    path = write_html_pdf(tmp_path / "bare.pdf", "<p>Hello.</p>", head="", lang="")
    report = preflight(path, trim=TRIM, bleed=0, margins=MARGINS)
    assert errors(report) == ["D001", "D002"]
    assert all(f.page == 0 for f in report.findings)
    assert report.format_text().startswith("document: error: D001")


def test_odd_page_count_is_a_note(tmp_path: Path) -> None:
    path = write_html_pdf(tmp_path / "one.pdf", "<p>Hello.</p>")
    report = preflight(path, trim=TRIM, bleed=0, margins=MARGINS)
    assert codes(report) == ["P001"] and report.passed and not report.even
    assert "pages: 1 (odd)" in report.format_text()


def test_catalogue_codes_are_well_formed() -> None:
    assert all(code.severity in ("error", "warning", "note") for code in CODES.values())
    assert all(len(code) == 4 and code[0].isalpha() and code[1:].isdigit() for code in CODES)


# --- the command line -----------------------------------------------------------------------


def test_main_passes_a_good_pdf(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert preflight_main([str(good), "--trim", "6x9in", "--margins", MARGIN_ARG]) == 0
    out = capsys.readouterr().out
    assert "pages: 4 (even)" in out and "trim: 432 x 648 pt (6 x 9 in)" in out and out.rstrip().endswith("0 note(s)")


def test_main_fails_with_exit_1(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert preflight_main([str(good), "--trim", "letter"]) == 1
    assert "error: G001" in capsys.readouterr().out


def test_main_json(press: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert preflight_main([str(press), "--trim", "6in 9in", "--bleed", "0.125in", "--margins", MARGIN_ARG, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] is True and data["bleed_pt"] == 9 and data["trim_pt"] == [432, 648]
    assert data["pages"] == 2 and data["even"] is True
    assert data["fonts"][0] == {"name": "EB-Garamond", "type": "Type0/CIDFontType2", "embedded": True, "subset": True}


def test_main_strict_fails_on_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Image.new("RGB", (20, 20)).save(tmp_path / "tiny.png")
    path = write_html_pdf(tmp_path / "image.pdf", '<p><img src="tiny.png" alt="" style="width: 2in"></p>')
    assert preflight_main([str(path)]) == 0
    assert preflight_main([str(path), "--strict"]) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["missing.pdf"], "cannot read"),
        (["NOTPDF"], "cannot read"),
        (["GOOD", "--trim", "huge"], "is not a page size"),
        (["GOOD", "--margins", "1in,1in"], "give four lengths"),
        (["GOOD", "--bleed", "3"], "is not a length"),
        ([], "required"),
    ],
)
def test_main_usage_errors_exit_2(argv: list[str], message: str, good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "not.pdf").write_text("hello, not a PDF")
    argv = [{"GOOD": str(good), "NOTPDF": str(tmp_path / "not.pdf"), "missing.pdf": str(tmp_path / "missing.pdf")}.get(a, a) for a in argv]
    assert preflight_main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


# --- PDFs made by hand ----------------------------------------------------------------------


def handmade_pdf(
    path: Path, *, media_box: list[float] | None = None, trim_box: list[float] | None = None, bleed_box: list[float] | None = None
) -> Path:
    """A page drawn with a standard Helvetica (no font file) and a Type 3 font, titled and tagged with a language."""
    pdf = pikepdf.new()
    helvetica = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica))
    square = pdf.make_stream(b"1000 0 0 0 750 750 d1 0 0 750 750 re f")
    type3 = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type3,
            FontBBox=[0, 0, 750, 750],
            FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
            CharProcs=pikepdf.Dictionary(square=square),
            Encoding=pikepdf.Dictionary(Type=pikepdf.Name.Encoding, Differences=[97, pikepdf.Name.square]),
            FirstChar=97,
            LastChar=97,
            Widths=[1000],
        )
    )
    content = pdf.make_stream(b"BT /F1 12 Tf 72 500 Td (Hello) Tj ET BT /F2 12 Tf 72 450 Td (a) Tj ET")
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=media_box or [0, 0, 432, 648],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=helvetica, F2=type3)),
        Contents=content,
    )
    if trim_box:
        page.TrimBox = trim_box
    if bleed_box:
        page.BleedBox = bleed_box
    pdf.pages.append(pikepdf.Page(page))
    pdf.docinfo.Title = "Handmade"
    pdf.Root.Lang = "en"
    pdf.save(path)
    return path


# --- image colour against the declared PDF/X standard (issue 10) ---------------------------


def pdfx_with_image(path: Path, version: str, colour: str, soft_mask: bool) -> Path:
    """A one-page PDF that declares `version` and draws one 4x4 image in `colour`."""
    pdf = pikepdf.new()
    components = {"/DeviceRGB": 3, "/DeviceCMYK": 4, "/DeviceGray": 1}[colour]
    image = pdf.make_stream(bytes(16 * components), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=4, Height=4)
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name(colour), 8
    if soft_mask:
        mask = pdf.make_stream(bytes([128] * 16), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=4, Height=4)
        mask.ColorSpace, mask.BitsPerComponent = pikepdf.Name.DeviceGray, 8
        image.SMask = mask
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        MediaBox=pikepdf.Array([0, 0, 432, 648]),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=pdf.make_stream(b"q 100 0 0 100 100 400 cm /Im0 Do Q"),
    )
    pdf.pages.append(pikepdf.Page(page))
    pdf.docinfo.Title = "Test"
    pdf.docinfo.GTS_PDFXVersion = version
    pdf.Root.Lang = "en"
    pdf.save(path)
    return path


def test_pdfx1a_refuses_rgb_images_and_soft_masks(tmp_path):
    report = preflight(pdfx_with_image(tmp_path / "x.pdf", "PDF/X-1a:2003", "/DeviceRGB", True), trim=None, bleed=0, margins=None)
    codes = {f.code: f.message for f in report.findings}
    assert not report.passed
    assert "image 4x4 px is DeviceRGB, which PDF/X-1a:2003 forbids (convert it to CMYK" in codes["I002"]
    assert "image 4x4 px has a soft mask (transparency), which PDF/X-1a:2003 forbids" in codes["I003"]


def test_cmyk_images_pass_and_x4_allows_transparency(tmp_path):
    ok = preflight(pdfx_with_image(tmp_path / "a.pdf", "PDF/X-1a:2003", "/DeviceCMYK", False), trim=None, bleed=0, margins=None)
    assert not [f for f in ok.findings if f.code in ("I002", "I003")]
    x4 = preflight(pdfx_with_image(tmp_path / "b.pdf", "PDF/X-4", "/DeviceRGB", True), trim=None, bleed=0, margins=None)
    assert [f.code for f in x4.findings if f.code in ("I002", "I003")] == ["I002"]  # untagged RGB, but the mask is fine
    plain = preflight(pdfx_with_image(tmp_path / "c.pdf", "", "/DeviceRGB", True), trim=None, bleed=0, margins=None)
    assert not [f for f in plain.findings if f.code in ("I002", "I003")]  # not a PDF/X file: no colour rules


# --- the draft: checked against the draft's paper, not the print trim (issue 11) ------------


def test_a_draft_is_checked_against_the_drafts_page_and_passes(tmp_path: Path) -> None:
    """A4 paper, one-sided, its line numbers and comments in its margins: the draft's own design."""
    from helpers import CHAPTER_ONE, make_book, run_folio

    chapter = CHAPTER_ONE + "\nA remark.{>>An editor's comment in the margin.<<}\n\n" + TEXT + "\n"
    root = make_book(tmp_path, {"01-one.md": chapter}, extra="draft:\n  paper: A4\n")
    code, _, err = run_folio(["build", "draft", "pdf", "--project", str(root), "--out", str(tmp_path / "out")])
    assert code == 0, err
    draft, book = tmp_path / "out" / "test-book-draft.pdf", tmp_path / "out" / "test-book.pdf"
    code, out, _ = run_folio(["preflight", str(draft), "--project", str(root)])
    assert code == 0, out
    assert "checked against the review draft's page (book.yaml draft:): 595.276 x 841.89 pt (8.268 x 11.693 in), one-sided" in out
    code, out, _ = run_folio(["preflight", str(draft), "--project", str(root), "--trim", "6x9in"])
    assert code == 1 and "G001" in out  # the print trim is not the draft's page
    code, out, _ = run_folio(["preflight", str(book), "--project", str(root), "--json"])
    assert code == 0 and json.loads(out)["design"] == "the print trim (book.yaml print:): 432 x 648 pt (6 x 9 in)"


def test_a_books_parts_are_read_side_by_side_with_the_same_findings(tmp_path: Path) -> None:
    """A build's preflight reads where the glyphs sit a part of the book at a time (formats/pdf.py),
    in worker processes for a long book, a reader opening a part again every PAGES_AN_OPENING
    pages: the findings are the whole preflight's, page for page, whether a part opens on a recto
    or a verso (its inner margin on the other side), read in one process or side by side, from the
    cache or afresh."""
    from folio.checks.preflight import PAGES_AN_OPENING
    from folio.formats.pdf import _positions
    from folio.render.layout import Piece
    from folio.workers import PAGES_A_JOB

    paragraph = "<p>" + "A line of the book that fills its measure and runs on to the next one. " * 12 + "</p>"
    path = write_html_pdf(tmp_path / "long.pdf", paragraph * 175)
    with pikepdf.open(path) as pdf:
        count = len(pdf.pages)
        cuts = [0, 3, count]  # the second part opens on a verso, and runs past an opening
        pieces = []
        for first, last in itertools.pairwise(cuts):
            part = pikepdf.new()
            part.pages.extend(pdf.pages[first:last])
            out = io.BytesIO()
            part.save(out)
            pieces.append(Piece(out.getvalue(), last - first, False))
    assert count - cuts[1] > max(PAGES_AN_OPENING, PAGES_A_JOB)  # enough for the workers, and to open the part twice
    swapped = Margins(MARGINS.top, MARGINS.bottom, inner=MARGINS.outer, outer=MARGINS.inner)  # every line in a margin
    whole = preflight(path, trim=TRIM, bleed=0.0, margins=swapped).findings
    glyphs = sorted((f.page, f.code, f.message) for f in whole if f.code in ("T001", "T002"))
    assert {page for page, _, _ in glyphs} == set(range(1, count + 1))
    cache = tmp_path / "cache"
    for jobs, folder in ((1, None), (2, None), (2, cache), (1, cache)):  # the last from the cache alone
        found = _positions.__wrapped__(tuple(pieces), TRIM, swapped, folder, jobs)
        assert sorted((f.page, f.code, f.message) for f in found) == glyphs, (jobs, folder)
    assert len(list(cache.glob("*.json"))) == len(pieces)
