"""folio/render/floats.py: a figure that does not fit moves later by whole paragraphs, read from real PDFs."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from PIL import Image

from folio.project.config import load_project

from helpers import make_book, run_folio

PARA = "The figure waits for its turn while the words around it keep moving, line after line, down the page and over to the next one. " * 4


def float_book(root: Path, *, heading_after: bool = False, after: int = 6) -> Path:
    """Six paragraphs, then a tall figure that falls about half-way down the chapter's second page."""
    body = "---\ntitle: Floats\nnumber: 1\n---\n\n" + "\n\n".join([PARA] * 6)
    body += "\n\n![A tall chart that cannot break.](images/tall.png){#fig-tall}\n\n"
    if heading_after:
        body += "## Next\n\n"
    body += "\n\n".join(f"After {i}. " + PARA for i in range(1, after + 1)) + "\n"
    make_book(root, {"one.md": body}, references="[]\n")
    (root / "manuscript" / "images").mkdir()
    Image.new("RGB", (1200, 1500), (30, 90, 160)).save(root / "manuscript" / "images" / "tall.png")
    return root


def pages_of(pdf_path: Path) -> list[tuple[str, int, float]]:
    """(text, number of images, bottom of the lowest glyph or image in points from the top) per page."""
    found = []
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            bottoms = [c["bottom"] for c in page.chars if c["bottom"] < page.height - 70] + [i["bottom"] for i in page.images]
            found.append((page.extract_text() or "", len(page.images), max(bottoms, default=0.0)))
    return found


def test_text_after_a_figure_fills_the_hole_and_the_figure_opens_the_next_page(tmp_path):
    root = float_book(tmp_path)
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(root / "out"), "pdf"])
    assert code == 0, stderr
    assert "L008" not in stderr
    page = load_project(root).geometry()
    block_bottom = page.height - page.bottom
    pages = pages_of(root / "out" / "test-book.pdf")
    figure_page = next(i for i, (_, images, _) in enumerate(pages) if images)
    before_text, _, before_bottom = pages[figure_page - 1]
    # The paragraph written after the figure is printed before it, and the page it fills is full.
    assert "After 1." in before_text
    assert before_bottom > block_bottom - 0.4 * (block_bottom - page.top)
    with pdfplumber.open(root / "out" / "test-book.pdf") as pdf:
        image = pdf.pages[figure_page].images[0]
        first_line = min(c["top"] for c in pdf.pages[figure_page].chars if c["top"] > page.top - 2)
        assert image["top"] < first_line, "the figure heads its page"


def test_a_figure_moves_past_a_heading_but_not_to_just_after_it(tmp_path):
    root = float_book(tmp_path, heading_after=True)
    code, _, stderr = run_folio(["build", "--strict", "--project", str(root), "--out", str(root / "out"), "pdf"])
    assert code == 0, stderr
    pages = pages_of(root / "out" / "test-book.pdf")
    figure_page = next(i for i, (_, images, _) in enumerate(pages) if images)
    before_text = pages[figure_page - 1][0]
    assert "Next" in before_text and "After 1." in before_text  # the heading went up with its paragraph


def test_a_figure_with_nothing_after_it_to_move_past_is_reported(tmp_path):
    root = float_book(tmp_path, after=0)
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(root / "out"), "pdf"])
    assert code == 0
    assert "warning: L008 page" in stderr and "empty: the figure after it did not fit and could not move" in stderr
    code, _, stderr = run_folio(["build", "--strict", "--project", str(root), "--out", str(root / "strict"), "pdf"])
    assert code != 0 and "L008" in stderr
    assert not list((root / "strict").glob("*.pdf"))


def wide_table_book(root: Path, columns: int) -> Path:
    """A table of `columns` columns whose cells are 16-letter words that cannot break."""
    cells = ["".join(chr(65 + (i + j) % 26) for j in range(16)) for i in range(columns)]
    table = "| " + " | ".join(f"H{i}" for i in range(columns)) + " |\n|" + "---|" * columns + "\n"
    table += ("| " + " | ".join(cells) + " |\n") * 3
    body = f"---\ntitle: Wide\nnumber: 1\n---\n\nA table follows.\n\n: A wide one. {{#tbl-wide}}\n\n{table}\nText after.\n"
    return make_book(root, {"one.md": body}, references="[]\n")


def table_glyphs(pdf_path: Path) -> tuple[float, float, float]:
    """(smallest size, left, right) of the table's capital letters, on the page that holds it."""
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            if "wide one" not in (page.extract_text() or ""):
                continue
            chars = [c for c in page.chars if c["text"].isupper() and c["size"] < 10.5 and c["top"] > 60]  # body text is 11 pt
            if chars:
                return min(c["size"] for c in chars), min(c["x0"] for c in chars), max(c["x1"] for c in chars)
    raise AssertionError("no table")


def test_a_table_wider_than_the_measure_is_set_smaller_until_it_fits(tmp_path):
    root = wide_table_book(tmp_path, 5)
    code, _, stderr = run_folio(["build", "--strict", "--project", str(root), "--out", str(root / "out"), "pdf"])
    assert code == 0, stderr
    page = load_project(root).geometry()
    size, left, right = table_glyphs(root / "out" / "test-book.pdf")
    assert 8 <= size < 9.5  # smaller than the tables' usual 9.5 pt, not below the floor
    assert right - left <= page.width - page.inner - page.outer + 0.5


def test_a_table_too_wide_even_at_8_pt_is_reported(tmp_path):
    root = wide_table_book(tmp_path, 8)
    # Its glyphs run past the trim, which the preflight fails (T002): the build, which preflights
    # what it makes, writes nothing (issue 10: the build and the preflight agree)...
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(root / "out"), "pdf"])
    assert code == 1 and "error: T002" in stderr and not (root / "out" / "test-book.pdf").exists()
    assert "warning: L009 table #ch01-tbl-wide is wider than the measure even at 8 pt" in stderr
    # ... and built anyway (--no-validate), the table is set at the floor.
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(root / "out"), "pdf", "--no-validate"])
    assert code == 0
    assert table_glyphs(root / "out" / "test-book.pdf")[0] == pytest.approx(8, abs=0.01)
