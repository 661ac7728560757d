"""Raw HTML, raw TeX and links as they come out: the safe elements in every format, comments
never printed, \\newpage a page break in print, every URL valid (EPUBCheck 0 errors, 0 warnings)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from lxml import etree

from folio.checks import epubcheck
from folio.text import markup, pandoc

from helpers import NS, chapter_documents, make_book, run_folio

DOI = "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
DOI_ENCODED = "https://doi.org/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-0"
IRI = "https://bücher.example/straße/ä?q=[1]&r=(2)"
IRI_ENCODED = "https://b%C3%BCcher.example/stra%C3%9Fe/%C3%A4?q=%5B1%5D&r=(2)"

# Long words in URLs, so that line ends fall inside them: hyphenation would break them there.
LONG_URLS = " ".join(f"<https://internationalization.example/{i}/representativesdocumentationorganization>" for i in range(12))

CHAPTER = f"""\
---
title: One
number: 1
---

Carbon <sup title="isotope">14</sup>C, H<sub>2</sub>O, <small>small</small>, <abbr title="World Health Organization">WHO</abbr>,
<mark>marked</mark>, <kbd>Ctrl</kbd>, <cite>Cited</cite>, <q>quoted</q>, <s>struck</s>, <u>under</u>,
long<wbr>word, first line<br>second line [@alpha2020] [@beta2021].
<!-- SECRET-COMMENT never printed -->

- item a

<!-- end of list -->

- item b

\\newpage

<div id="abstract" class="box" lang="fr">Résumé <span dir="rtl" class="rtl">span</span>.</div>

<div class="alert alert-warning">
  <p>Read <i>this</i> with <strong>care</strong> and <a href="https://example.org/alert">the alert's link</a>:
  <ol>
  <li>First <code>step_one</code></li>
  <li>Second, at \\(x + 1\\)</li>
  </ol>
  </p>
</div>

See [the DOI]({DOI}), <{IRI}> and [x](<https://example.org/a b;c>).^[A note with {DOI}.]

{LONG_URLS}
"""

REFERENCES_WITH_URL = f"""\
- id: alpha2020
  type: article-journal
  author: [{{family: Alpha, given: Ann}}]
  title: An Article Found Online
  container-title: Journal One
  issued: 2020
  DOI: "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"
- id: beta2021
  type: webpage
  author: [{{family: Beta, given: Bob}}]
  title: A Page
  URL: "{IRI}"
  issued: 2021
"""


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    root = make_book(tmp_path_factory.mktemp("markup"), {"01-one.md": CHAPTER}, references=REFERENCES_WITH_URL)
    code, _, err = run_folio(["build", "pdf", "epub", "docx", "--project", str(root)])
    assert code == 0, err
    return root / "build"


def chapter(book: Path) -> etree._Element:
    return chapter_documents(book / "test-book.epub")[0][1]


def test_safe_elements_reach_the_epub_with_their_attributes(book):
    doc = chapter(book)
    for name in ("sup", "sub", "small", "abbr", "mark", "kbd", "cite", "q", "s", "u", "wbr", "br"):
        assert doc.xpath(f"//h:section[@role='doc-chapter']//h:{name}", namespaces=NS), name
    assert doc.xpath("string(//h:sup[@title='isotope'])", namespaces=NS) == "14"
    assert doc.xpath("string(//h:abbr/@title)", namespaces=NS) == "World Health Organization"
    div = doc.xpath("//h:div[contains(@class, 'box')]", namespaces=NS)[0]
    assert div.get("lang") == "fr" and div.get("id").endswith("abstract")
    assert div.xpath("h:span[@dir='rtl']/text()", namespaces=NS) == ["span"]
    assert not doc.xpath("//*[@data-folio-html]")


def test_comments_are_dropped_and_keep_lists_apart(book):
    raw = zipfile.ZipFile(book / "test-book.epub").read("OEBPS/text/ch01.xhtml").decode()
    assert "SECRET-COMMENT" not in raw and "<!--" not in raw and "end of list" not in raw
    assert len(chapter(book).xpath("//h:ul", namespaces=NS)) == 2
    assert "SECRET" not in pdf_text(book / "test-book.pdf")


def test_an_html_block_of_markdown_elements_is_read_as_structure_in_every_format(book):
    """The alert box pasted from a web page: its <p>, <i>, <strong>, <a>, <ol>, <li>, <code> are
    the book's own paragraph, emphasis, link, list and code (Pandoc's HTML reader), not raw HTML."""
    box = chapter(book).xpath("//h:div[contains(@class, 'alert-warning')]", namespaces=NS)[0]
    paragraph = box.xpath("h:p", namespaces=NS)[0]
    assert paragraph.xpath("string(h:em)", namespaces=NS) == "this" and paragraph.xpath("string(h:strong)", namespaces=NS) == "care"
    assert paragraph.xpath("h:a/@href", namespaces=NS) == ["https://example.org/alert"]
    assert "alert\u2019s link" in paragraph.xpath("string(h:a)", namespaces=NS)  # typographic, as the text around it
    items = box.xpath("h:ol/h:li", namespaces=NS)
    assert len(items) == 2 and items[0].xpath("string(h:code)", namespaces=NS) == "step_one"
    assert items[1].xpath("count(.//m:math)", namespaces={"m": "http://www.w3.org/1998/Math/MathML"}) == 1
    assert not box.xpath(".//h:i | .//h:b", namespaces=NS)
    page = next(p for p in pdf_pages(book / "test-book.pdf") if "step_one" in p)
    assert "\r\nRead this with care and the alert\u2019s link:\r\nFirst step_one\r\nSecond, at " in page
    assert "1. " in page and "2. " in page  # the list's markers (drawn apart from the items' text)
    assert "<p>" not in page and "<li>" not in page
    with zipfile.ZipFile(book / "test-book-review.docx") as archive:
        document = archive.read("word/document.xml").decode()
    paragraphs = re.findall(r"<w:p[ >].*?</w:p>", document, re.S)
    first = next(p for p in paragraphs if ">First<" in p)
    assert "<w:numPr>" in first  # a Word list item
    read = next(p for p in paragraphs if ">Read <" in p or ">Read</w:t>" in p)
    assert re.search(r"<w:i\s*/>.*?>this<", read, re.S) and re.search(r"<w:b\s*/>.*?>care<", read, re.S)


def test_every_url_is_percent_encoded_and_its_text_unchanged(book):
    doc = chapter(book)
    hrefs = [a.get("href") for a in doc.xpath("//h:a[not(starts-with(@href, '#'))]", namespaces=NS)]
    assert DOI_ENCODED in hrefs and IRI_ENCODED in hrefs and "https://example.org/a%20b;c" in hrefs
    assert all(re.fullmatch(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", h) for h in hrefs), hrefs
    shown = ["".join(a.itertext()) for a in doc.xpath("//h:a[contains(@class, 'url')]", namespaces=NS)]
    assert IRI in shown  # the autolink's visible text, unchanged
    assert any(DOI.replace("https://doi.org/", "") in text for text in shown)  # citeproc's DOI link in the note


def test_the_epub_passes_epubcheck_without_a_warning(book):
    epub = book / "test-book.epub"
    assert [m for m in epubcheck.run(epub) if m.severity != "INFO"] == []  # 0 errors, 0 warnings


def test_pdf_links_are_valid_urls(book):
    with pikepdf.open(book / "test-book.pdf") as pdf:
        uris = {str(a.A.URI) for page in pdf.pages for a in page.get("/Annots", []) if "/A" in a and "/URI" in a.A}
    assert {DOI_ENCODED, IRI_ENCODED, "https://example.org/a%20b;c"} <= uris
    assert all(" " not in u and "<" not in u and u.isascii() for u in uris)


def test_urls_are_never_hyphenated_in_print(book):
    text = pdf_text(book / "test-book.pdf")
    assert "\u2010" not in text and "-\r\n" not in text
    joined = text.replace("\r\n", "")
    assert joined.count("internationalization.example/") == 12 and "AID-ASI4>3.0.CO;2-0" in joined
    # broken only at Chicago's break points: after //, before a period, slash or hyphen
    for line_end in re.findall(r"(\S{3})\r\n(\S{2})", text):
        if "http" in "".join(line_end) or "/" in line_end[0] or line_end[1][0] in "./-":
            assert line_end[0].endswith("//") or line_end[1][0] in "./-", line_end
    assert "bücher.example" in text and "(SICI)1097-4571" in text


def test_newpage_is_a_page_break_in_print(book):
    pages = pdf_pages(book / "test-book.pdf")
    before = next(i for i, p in enumerate(pages) if "item b" in p)
    after = next(i for i, p in enumerate(pages) if "Résumé" in p)
    assert after == before + 1


def test_safe_elements_in_print(book):
    text = pdf_text(book / "test-book.pdf")
    assert "first line\r\nsecond line" in text
    assert "«" not in text and "“quoted”" in text  # <q> takes the book language's marks


def test_the_word_copy_keeps_the_elements_and_the_page_break(book):
    with zipfile.ZipFile(book / "test-book-review.docx") as archive:
        document = archive.read("word/document.xml").decode()
        rels = archive.read("word/_rels/document.xml.rels").decode()
    document = re.sub(r"\s*/>", "/>", document)  # however the writer spaces its empty elements
    assert '<w:vertAlign w:val="superscript"/>' in document and '<w:vertAlign w:val="subscript"/>' in document
    assert "<w:strike/>" in document and '<w:u w:val="single"/>' in document
    assert 'w:br w:type="page"' in document
    assert "SECRET" not in document and "&lt;sup" not in document
    assert f'Target="{DOI_ENCODED}"' in rels.replace("&amp;", "&") and f'Target="{IRI_ENCODED}"' in rels.replace("&amp;", "&")


def test_a_script_never_reaches_the_output_even_past_the_check(tmp_path):
    """The check refuses <script> (M004); were it bypassed, the filter still drops it."""
    body = 'Hello <script>alert(1)</script> <iframe src="x"></iframe> <a href="javascript:x">y</a>\n\n<script>\nalert(2)\n</script>\n'
    html, _ = pandoc.run([f"--from={pandoc.READER}", "--to=html5", *markup.filter_arguments()], body)
    assert "script" not in html and "iframe" not in html and "alert(2)" not in html


def test_refused_html_stops_the_build_and_nothing_is_written(tmp_path):
    root = make_book(tmp_path, {"01-one.md": "---\ntitle: One\n---\n\nHello <p>there</p> [@alpha2020] [@beta2021].\n"})
    code, _, err = run_folio(["build", "epub", "--project", str(root)])
    assert code == 1 and "01-one.md:5:7: error: M004 raw HTML <p> (leave a blank line between paragraphs)" in err
    assert "Traceback" not in err and not (root / "build").exists()


def pdf_pages(path: Path) -> list[str]:
    document = pdfium.PdfDocument(path)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def pdf_text(path: Path) -> str:
    return "\n".join(pdf_pages(path))


def test_a_heading_named_like_folios_own_parts_keeps_the_epub_valid(tmp_path):
    """'## Notes' in a chapter with notes: Pandoc's id for it is the one Folio gives its notes."""
    chapter = "---\ntitle: One\n---\n\nText.^[A note.] See [my notes](#notes) [@alpha2020] [@beta2021].\n\n## Notes\n\nMine.\n"
    root = make_book(tmp_path, {"01-one.md": chapter})
    code, _, err = run_folio(["build", "epub", "--project", str(root)])
    assert code == 0, err
    doc = chapter_documents(root / "build" / "test-book.epub")[0][1]
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids))
    assert doc.xpath("//h:section[@role='doc-endnotes']/@id", namespaces=NS) == ["ch01-notes"]
    heading = doc.xpath("//h:section[h:h2[contains(., 'Notes')] and not(@role)]/@id", namespaces=NS)
    assert heading == ["ch01-notes-1"] and doc.xpath("//h:a[text()='my notes']/@href", namespaces=NS) == ["#ch01-notes-1"]
