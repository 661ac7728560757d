"""Real manuscripts by others (../shared/corpus) build as their authors wrote them, with nothing
but a book.yaml of ours beside them (tests/fixtures/corpus/<case>/book.yaml); with the gallery
book, each is built once into every product and held to issue 10's done-when: preflight passes
the print and press files, EPUBCheck is clean, notes agree across PDF, EPUB and Word, and the
Word copy has the book's images at their printed size, real tables and each caption once.

The authors' files are copied unchanged into a temporary project and never into the repository.
A case that needs a feature not yet in Folio is an expected failure naming that feature
(strict: it turns into a failure, to be unmarked, the day the feature lands)."""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from folio.checks import markup
from folio.checks.epubcheck import check as epubcheck
from folio.checks.epubcheck import run as epubcheck_run
from folio.checks.resolution import placed_images
from folio.project.config import load_project
from folio.project.manuscript import Chapter, load_chapters

from helpers import CORPUS, FIXTURES, NS, chapter_documents, run_folio

GALLERY = FIXTURES / "gallery"
W = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
}
EMU_PER_POINT = 12700
MATHML = "http://www.w3.org/1998/Math/MathML"

WRAPPERS = FIXTURES / "corpus"
CASES = sorted(p.name for p in WRAPPERS.iterdir() if p.is_dir())

MISSING: dict[str, str] = {}
"""What each case still needs from Folio before it builds."""

# Imported with `folio import`, a case loses what import takes care of (front matter, bibliography,
# Jekyll's figures, kramdown's math, HTML blocks that Folio refuses).
IMPORT_MISSING: dict[str, str] = {}


def corpus_project(case: str, root: Path) -> Path:
    """The case's files, unchanged, as the manuscript of a project with our book.yaml."""
    manuscript = root / "manuscript"
    shutil.copytree(CORPUS / case, manuscript, ignore=shutil.ignore_patterns("SOURCE.md"))
    shutil.copyfile(WRAPPERS / case / "book.yaml", manuscript / "book.yaml")
    return root


def expected_failure(case: str, missing: dict[str, str]):  # type: ignore[no-untyped-def]
    reason = missing.get(case)
    return pytest.param(case, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"needs {reason}")) if reason else case


def test_every_corpus_case_has_a_wrapper():
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) == CASES
    assert set(MISSING) <= set(CASES) and set(IMPORT_MISSING) <= set(CASES)


@dataclass
class Built:
    """A book built once into every product, to be inspected many ways (issue 10's done-when)."""

    name: str
    root: Path
    out: Path

    def product(self, suffix: str) -> Path:
        slug = load_project(self.root).config.slug
        return self.out / f"{slug}{suffix}"


BOOKS = [*CASES, "gallery"]


@pytest.fixture(scope="module", params=[expected_failure(case, MISSING) for case in BOOKS])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Each corpus case (the authors' files unchanged, our book.yaml beside them) and the gallery
    book, built once into the print and press PDFs, the EPUB and the Word copy."""
    name = request.param
    folder = tmp_path_factory.mktemp(name)
    root = GALLERY if name == "gallery" else corpus_project(name, folder / "book")
    out = folder / "out"
    code, _, err = run_folio(["build", "pdf", "press", "epub", "docx", "--project", str(root), "--out", str(out)])
    assert code == 0, err
    return Built(name, root, out)


def test_case_builds_as_written(built):
    if built.name == "gallery":
        return
    for path in (CORPUS / built.name).rglob("*"):  # nothing of the authors' was changed
        if path.is_file() and path.name != "SOURCE.md":
            assert (built.root / "manuscript" / path.relative_to(CORPUS / built.name)).read_bytes() == path.read_bytes()


def test_epub_passes_epubcheck_without_a_warning(built):
    epub = built.product(".epub")
    assert [m for m in epubcheck_run(epub) if m.severity != "INFO"] == []
    chapters, _ = load_chapters(load_project(built.root))
    assert epubcheck(epub.read_bytes(), epub, chapters) == []


@pytest.mark.parametrize("press", [False, True], ids=["print", "press"])
def test_folio_preflight_passes_the_print_and_the_press_file(built, press):
    pdf = built.product("-press.pdf" if press else ".pdf")
    code, out, err = run_folio(["preflight", str(pdf), "--project", str(built.root), *(["--press"] if press else [])])
    assert code == 0, out + err


def pdf_note_calls(path: Path) -> int:
    """The note calls of a PDF: links to a note (each counted once, however many lines it spans)."""
    with pikepdf.open(path) as pdf:
        targets = {str(a.Dest) for page in pdf.pages for a in page.get("/Annots", []) if "/Dest" in a}
        notes = {t for t in targets if re.search(r"-fn\d+$", t)}
        backs = {t for t in targets if re.search(r"-fnref\d+$", t)}
    assert len(notes) == len(backs)  # and each note links back to its call
    return len(notes)


def word_parts(path: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(path) as archive:
        return {n: etree.fromstring(archive.read(n)) for n in archive.namelist() if n.endswith(".xml") and n.startswith("word/")}


def test_note_counts_agree_across_pdf_epub_and_word(built):
    epub = sum(len(doc.xpath("//h:a[@role='doc-noteref']", namespaces=NS)) for _, doc in chapter_documents(built.product(".epub")))
    epub_notes = sum(len(doc.xpath("//h:li[@class='note']", namespaces=NS)) for _, doc in chapter_documents(built.product(".epub")))
    word = word_parts(built.product("-review.docx"))
    calls = len(word["word/document.xml"].xpath("//w:endnoteReference", namespaces=W))
    notes = word["word/endnotes.xml"].xpath("//w:endnote[not(@w:type)]", namespaces=W) if "word/endnotes.xml" in word else []
    assert epub == epub_notes == pdf_note_calls(built.product(".pdf")) == pdf_note_calls(built.product("-press.pdf"))
    assert calls == len(notes) == epub


def test_word_copy_has_its_images_at_the_printed_size(built):
    """Every image of the book is in the Word copy (word/media), drawn at the size print gives it."""
    word = word_parts(built.product("-review.docx"))
    extents = word["word/document.xml"].xpath("//w:drawing//wp:extent", namespaces=W)
    sizes = sorted((int(e.get("cx")) / EMU_PER_POINT, int(e.get("cy")) / EMU_PER_POINT) for e in extents)
    printed = sorted(p.size for p in placed_images(built.product(".pdf").read_bytes()))
    images = [img for _, doc in chapter_documents(built.product(".epub")) for img in doc.xpath("//h:img", namespaces=NS)]
    assert len(sizes) == len(printed) == len(images)
    for (width, height), (print_width, print_height) in zip(sizes, printed, strict=True):
        assert abs(width - print_width) < 1.5 and abs(height - print_height) < 1.5, (width, height, print_width, print_height)
    with zipfile.ZipFile(built.product("-review.docx")) as archive:
        media = [n for n in archive.namelist() if n.startswith("word/media/")]
    assert len(media) == len({img.get("src") for img in images})


def test_word_copy_has_real_tables_and_each_caption_once(built):
    word = word_parts(built.product("-review.docx"))["word/document.xml"]
    docs = [doc for _, doc in chapter_documents(built.product(".epub"))]
    tables = sum(len(doc.xpath("//h:table", namespaces=NS)) for doc in docs)
    assert len(word.xpath("//w:tbl", namespaces=W)) == tables
    # Compared as words, formulas left out: Word writes a formula as an equation of its own; code
    # too (aosa-sampler's class DamageDistribution is not its caption "Damage Distribution").
    prose = ".//w:r[not(w:rPr/w:rStyle[@w:val='VerbatimChar' or contains(@w:val, 'Tok')])]/w:t/text()"
    paragraphs = [re.sub(r"\s+", "", "".join(p.xpath(prose, namespaces=W))) for p in word.iter(f"{{{W['w']}}}p")]
    found = [c for doc in docs for c in doc.xpath("//h:figcaption | //h:table/h:caption", namespaces=NS)]
    in_caption = ".//text()[not(ancestor::m:math) and not(ancestor::h:code)]"  # code left out on both sides
    captions = [re.sub(r"\s+", "", "".join(c.xpath(in_caption, namespaces={**NS, "m": MATHML}))) for c in found]
    for caption in captions:
        assert sum(caption in p for p in paragraphs) == 1, caption


def author_chapter(case: str) -> Chapter:
    """The case's manuscript file as one chapter, the whole file its body (line 1 is line 1)."""
    name = load_project_names(case)[0]
    path = CORPUS / case / name
    return Chapter(path, 1, case, None, path.read_text(encoding="utf-8"), 1)


def load_project_names(case: str) -> list[str]:
    text = (WRAPPERS / case / "book.yaml").read_text(encoding="utf-8")
    return re.findall(r"^  - (.+)$", text, re.M)


def lines_of(chapter: Chapter, pattern: str) -> list[int]:
    masked = chapter.masked_body
    return [masked[: m.start()].count("\n") + 1 for m in re.finditer(pattern, masked, re.M)]


def test_liquid_tags_are_warned_with_their_line_and_what_was_done():
    """ph-radiocarbon's nine figure includes are read as figures (a note each, their images found
    in images/<slug>/ as Jekyll finds them); its table-of-contents include is dropped with a warning."""
    chapter = author_chapter("ph-radiocarbon")
    found = [f for f in markup.lint(chapter, CORPUS / "ph-radiocarbon") if f.code in ("R002", "R020")]
    assert sorted(f.line for f in found) == lines_of(chapter, r"\{%") and len(found) == 10
    assert [f.line for f in found if f.code == "R020"] == lines_of(chapter, r"\{% include figure")
    assert all(f.message.startswith("Jekyll figure include read as a figure") and not f.is_error for f in found if f.code == "R020")
    assert [f.message for f in found if f.code == "R002"] == ["Liquid tag {% include toc.html %} dropped"]


def test_tex_macros_and_pseudo_html_are_warned_with_their_line():
    chapter = author_chapter("aosa-sampler")
    found = markup.lint(chapter, CORPUS / "aosa-sampler")
    tex = [(f.line, f.message.split()[2]) for f in found if f.code == "R001"]
    names = [name for _, name in tex]
    assert "\\noindent" in names and "\\aosafigref" not in names
    # the book's figure macro, its image beside the chapter, is read as a figure, and its reference as a link to it
    assert [f.line for f in found if f.code == "R020"] == lines_of(chapter, r"\\aosafigref|^\\aosafigure")
    assert [line for line, name in tex if name == "\\noindent"] == lines_of(chapter, r"\\noindent")
    assert [f.line for f in found if f.code == "R003"] == lines_of(chapter, r"</?(markdown|latex)>")
    assert not [f for f in found if f.is_error]  # nothing in it fails the build


FIGURES = {"poisot-links-species": 7, "ph-radiocarbon": 9, "aosa-sampler": 1}
"""The figures each case's authors drew: every one reaches the print and the EPUB, whatever
dialect it is written in (Markdown, a Jekyll include, a TeX macro)."""


def test_every_figure_of_the_case_is_printed_and_in_the_epub(built):
    if built.name == "gallery":
        return
    printed = placed_images(built.product(".pdf").read_bytes())
    captioned = "//h:figure[h:img and h:figcaption]"
    figures = [f for _, doc in chapter_documents(built.product(".epub")) for f in doc.xpath(captioned, namespaces=NS)]
    assert len(printed) == len(figures) == FIGURES[built.name]


IMPORTS = {
    "poisot-links-species": ("manuscript.md", ["--metadata-file", "metadata.json", "--bibliography", "references.json"], 5, 7),
    "ph-radiocarbon": ("fr/lecons/calibration-radiocarbone-avec-r.md", [], 1, 9),  # Jekyll's figures found in images/<slug>/
    "aosa-sampler": ("sampler/sampler.markdown", ["--split-level", "2"], 7, 1),  # the bio, 6 sections; \\aosafigure's image
}
"""Each single-file case: its file, the options it needs, the chapters and images it gives."""


@pytest.mark.parametrize("case", [expected_failure(case, IMPORT_MISSING) for case in CASES])
def test_folio_import_brings_the_case_in(case, tmp_path):
    name, options, chapters, images = IMPORTS[case]
    options = [str(CORPUS / case / o) if o.endswith((".json", ".bib", ".yaml")) else o for o in options]
    target = tmp_path / "imported"
    code, out, err = run_folio(["import", str(CORPUS / case / name), str(target), *options])
    assert code == 0, err
    assert f"made a Folio project in {target}" in out
    project = load_project(target)
    assert len(project.config.chapters) == chapters
    assert len(list((target / "manuscript").rglob("*.png"))) == images
    assert project.config.title and project.config.author != "Unknown Author"
    # EPUBCheck runs below, on what the build wrote: the build need not run it first
    code, _, err = run_folio(["build", "epub", "--no-validate", "--project", str(target), "--out", str(tmp_path / "out")])
    assert code == 0, err
    epub = next((tmp_path / "out").glob("*.epub"))
    assert epubcheck(epub.read_bytes(), epub, load_chapters(project)[0]) == []
