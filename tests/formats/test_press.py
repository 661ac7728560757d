"""The printer's file is the print layout's pages on a larger sheet (issue 12, one layout per design):
the same pages, text and links as the print PDF, boxes and crop marks around them, every colour in
CMYK, PDF/X identified, and no layout of its own."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
import weasyprint

from folio.checks.book import check_book
from folio.checks.preflight import preflight
from folio.formats import press
from folio.formats.pdf import lay_out_print
from folio.formats.press import cmyk_of, press_file
from folio.project.config import Margins, load_project
from folio.render.layout import Piece
from folio.render.weasy import lay_out

from helpers import content_streams, link_targets, make_book, outline, page_texts, run_folio

RED_SQUARE = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120"><rect width="200" height="120" fill="#d01010"/></svg>'

CHAPTER = """\
---
title: Sheets
number: 1
---

A claim that needs a source [@alpha2020], and [a link to the section below](#further).

![A red rectangle, drawn as a vector image.](images/red.svg)

## Further

More text.^[A note with [a web link](https://example.org/a-long-path/of-the-note).]
"""

CHAPTER_TWO = """\
---
title: Two
number: 2
---

The second chapter [@beta2021].
"""


@dataclass
class Press:
    root: Path
    pdf: Path
    press: Path


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Press:
    root = make_book(tmp_path_factory.mktemp("press"), {"01-sheets.md": CHAPTER, "02-two.md": CHAPTER_TWO})
    (root / "manuscript" / "images").mkdir()
    (root / "manuscript" / "images" / "red.svg").write_text(RED_SQUARE, encoding="utf-8")
    out = root / "out"
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(out), "pdf", "press"])
    assert code == 0, stderr
    return Press(root, out / "test-book.pdf", out / "test-book-press.pdf")


def test_press_pages_are_the_print_pages(book: Press) -> None:
    """Same text on every page, same outline and same links; an odd book gets one blank page."""
    printed, pressed = page_texts(book.pdf), page_texts(book.press)
    assert len(pressed) == len(printed) + len(printed) % 2
    assert pressed[: len(printed)] == printed
    assert all(not text.strip() for text in pressed[len(printed) :])
    with pikepdf.open(book.pdf) as digital, pikepdf.open(book.press) as press:
        assert outline(press) == outline(digital)
        assert link_targets(press) == link_targets(digital) != []
        rects = [[list(map(float, a.Rect)) for a in page.obj.get("/Annots", [])] for page in digital.pages]
        assert [[list(map(float, a.Rect)) for a in page.obj.get("/Annots", [])] for page in press.pages][: len(rects)] == rects


def test_pages_sit_on_a_sheet_with_bleed_and_marks(book: Press) -> None:
    geometry = load_project(book.root).geometry()
    w, h, bleed, room = geometry.width, geometry.height, geometry.bleed, geometry.bleed + geometry.marks
    with pikepdf.open(book.press) as pdf:
        for page in pdf.pages:
            assert [float(v) for v in page.TrimBox] == [0, 0, w, h]
            assert [float(v) for v in page.BleedBox] == [-bleed, -bleed, w + bleed, h + bleed]
            assert [float(v) for v in page.MediaBox] == [-room, -room, w + room, h + room]
            drawn = list(pikepdf.parse_content_stream(page))
            # the page's content is clipped to the bleed, the marks drawn after it
            assert [str(i.operator) for i in drawn[:4]] == ["q", "re", "W", "n"]
            assert [float(v) for v in drawn[1].operands] == [-bleed, -bleed, w + 2 * bleed, h + 2 * bleed]
            assert str(drawn[-2].operator) == "Do"
            marks = page.Resources.XObject[drawn[-2].operands[0]]
        instructions = list(pikepdf.parse_content_stream(marks))
    colours = [[float(v) for v in i.operands] for i in instructions if str(i.operator) == "K"]
    assert colours == [[1, 1, 1, 1]]  # registration colour: every ink
    points = [(float(i.operands[-2]), float(i.operands[-1])) for i in instructions if str(i.operator) in ("m", "l", "c")]
    assert len(points) > 16
    for x, y in points:  # every mark in the room beyond the bleed, none on the page or in the bleed
        assert not (-bleed < x < w + bleed and -bleed < y < h + bleed), (x, y)
        assert -room <= x <= w + room and -room <= y <= h + room


def test_press_file_passes_preflight_and_is_pdf_x_1a(book: Press) -> None:
    geometry = load_project(book.root).geometry()
    margins = Margins(geometry.top, geometry.bottom, geometry.inner, geometry.outer)
    report = preflight(book.press, trim=(geometry.width, geometry.height), bleed=geometry.bleed, margins=margins)
    assert report.passed and report.even, report.format_text()
    with pikepdf.open(book.press) as pdf:
        assert pdf.pdf_version == "1.4"  # PDF/X-1a:2003 is PDF 1.4: no object streams
        assert not [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Type") == "/ObjStm"]
        data = book.press.read_bytes()
        assert data.startswith(b"%PDF-1.4\n") and b"\nxref\n0 " in data and b"/XRef" not in data  # a cross-reference table
        assert str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-1a:2003" and str(pdf.docinfo.Trapped) == "/False"
        assert "/StructTreeRoot" not in pdf.Root  # the tags stay with the digital edition
        with pdf.open_metadata() as xmp:
            assert xmp["pdfxid:GTS_PDFXVersion"] == "PDF/X-1a:2003"
            assert "pdfuaid:part" not in xmp
        intent = pdf.Root.OutputIntents[0]
        assert str(intent.S) == "/GTS_PDFX" and int(intent.DestOutputProfile.N) == 4


def test_colours_are_cmyk_greys_black_ink_only(book: Press) -> None:
    """No RGB anywhere; the text in black ink alone; the red SVG through the press profile."""
    fills = set()
    with pikepdf.open(book.press) as pdf:
        for _, stream in content_streams(pdf):
            for instruction in pikepdf.parse_content_stream(stream):
                operator = str(instruction.operator)
                assert operator not in ("rg", "RG"), "RGB colour in a PDF/X-1a file"
                if operator == "k":
                    fills.add(tuple(round(float(v), 2) for v in instruction.operands))
    assert (0, 0, 0, 1) in fills  # the text
    red = [c for c in fills if c[1] > 0.7 and c[2] > 0.7]
    assert red and all(c[0] < 0.2 for c in red), fills
    assert cmyk_of(0.25, 0.25, 0.25, profile=Path("unused")) == (0, 0, 0, 0.75)


def test_odd_book_gets_a_blank_page_with_marks(book: Press) -> None:
    project = load_project(book.root)
    one_page = lay_out("<style>@page { size: 6in 9in }</style><p>One page</p>", allowed=[book.root], variant="pdf/ua-1", space_width=0.25)
    pressed = press_file([Piece(one_page.data, 1, False)], project)
    with pikepdf.open(io.BytesIO(pressed)) as pdf:
        assert len(pdf.pages) == 2
        last = pdf.pages[1]
        assert [float(v) for v in last.TrimBox] == [0, 0, 432, 648]
        assert [str(i.operator) for i in pikepdf.parse_content_stream(last)] == ["q", "re", "W", "n", "Q", "q", "Do", "Q"]
    with pdfplumber.open(io.BytesIO(pressed)) as pdf:
        assert "One page" in pdf.pages[0].extract_text() and not pdf.pages[1].extract_text()


def test_the_press_file_lays_nothing_out(book: Press, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Building the printer's file beside the print PDF asks WeasyPrint for no more layouts."""
    documents = []
    real = weasyprint.HTML

    def counting(*args: object, **kwargs: object) -> object:
        documents.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", counting)
    counts = []
    for formats in (["pdf"], ["pdf", "press"]):
        documents.clear()
        code, _, stderr = run_folio(
            ["build", "--project", str(book.root), "--out", str(tmp_path / "-".join(formats)), "--jobs", "1", *formats]
        )
        assert code == 0, stderr
        counts.append(len(documents))
    assert counts[0] == counts[1] > 0
    assert (tmp_path / "pdf-press" / "test-book-press.pdf").read_bytes() == book.press.read_bytes()  # and the same bytes


def test_each_parts_sheets_are_kept_and_an_edit_makes_its_own_again(book: Press, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The printer's file is made a part at a time, as the print PDF was laid out: each part's sheets
    are kept (OUT/.cache/press), and the file made from them is the same, byte for byte, as the one
    made afresh and as the build's. An edit makes its own part's sheets again, and the first part's
    (its PDF/X identification carries the book's new date); a damaged entry is made again, never
    used; an entry the book no longer has is forgotten."""
    project = load_project(book.root)
    out = book.root / "out" / ".cache"
    pieces = lay_out_print(project, check_book(project, out).fragments, cache_dir=out).pieces  # the build's, from its cache
    assert len(pieces) == 3  # the front matter and contents, two chapters
    made: list[bytes] = []
    real = press._pressed
    monkeypatch.setattr(press, "_pressed", lambda project, part: made.append(part.data) or real(project, part))
    cache = tmp_path / "press-cache"
    first = press_file(pieces, project, cache, jobs=1)
    entries = sorted(cache.glob("*.pdf"))
    assert len(entries) == len(made) == 3 and first == press_file(pieces, project, jobs=1) == book.press.read_bytes()
    made.clear()
    assert press_file(pieces, project, cache, jobs=1) == first and made == []

    damaged = entries[0]
    data = damaged.read_bytes()
    damaged.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # one bit changed
    assert press_file(pieces, project, cache, jobs=1) == first and len(made) == 1
    assert damaged.read_bytes() == data  # made again
    (cache / "stale.pdf").write_bytes(b"from a part the book no longer has")
    press_file(pieces, project, cache, jobs=1)
    assert sorted(cache.glob("*.pdf")) == entries

    chapter = book.root / "manuscript" / "chapters" / "02-two.md"
    original = chapter.read_text(encoding="utf-8")
    try:
        chapter.write_text(original.replace("The second chapter", "The second chapter, edited,"), encoding="utf-8")
        project = load_project(book.root)
        edited = lay_out_print(project, check_book(project, tmp_path / "checks").fragments, cache_dir=tmp_path / "layout").pieces
        made.clear()
        again = press_file(edited, project, cache, jobs=1)
        assert made == [edited[0].data, edited[2].data]  # the first part's and the edited chapter's
        assert any("The second chapter, edited," in text for text in page_texts_of(again))
    finally:
        chapter.write_text(original, encoding="utf-8")


def page_texts_of(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]
