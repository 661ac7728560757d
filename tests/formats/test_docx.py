"""folio/docx.py: the Word review copy, read back from its XML."""

from __future__ import annotations

import zipfile

from lxml import etree

from helpers import CHAPTER_ONE, CHAPTER_TWO, MARKED, git, make_book, run_folio

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}


def parts(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def texts(element, tag):
    return ["".join(e.itertext()) for e in element.iter(f"{{{W}}}{tag}")]


def test_marks_become_tracked_changes_comments_and_endnotes(tmp_path):
    root = make_book(tmp_path, {"02-marked.md": MARKED})
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first draft")
    code, _, err = run_folio(["build", "docx", "--project", str(root)])
    assert code == 0, err
    docx = parts(root / "build" / "test-book-review.docx")
    assert "word/footnotes.xml" not in docx
    document = etree.fromstring(docx["word/document.xml"])
    inserted = document.xpath("//w:ins", namespaces=NS)
    deleted = document.xpath("//w:del", namespaces=NS)
    assert {e.get(f"{{{W}}}author") for e in inserted + deleted} == {"Ed Itor"}
    assert ["".join(e.itertext()) for e in inserted][:2] == ["quick", "across"]
    assert ["".join(e.xpath(".//w:delText/text()", namespaces=NS)) for e in deleted][:2] == ["slowly", "over"]
    comments = etree.fromstring(docx["word/comments.xml"])
    assert ["".join(c.itertext()).strip() for c in comments.iter(f"{{{W}}}comment")] == [
        "Which source says so?",
        "Check the whole paragraph.",
    ]
    assert document.xpath("//w:commentRangeStart", namespaces=NS)
    endnotes = etree.fromstring(docx["word/endnotes.xml"])
    notes = [n for n in endnotes.iter(f"{{{W}}}endnote") if n.get(f"{{{W}}}type") is None]
    references = document.xpath("//w:endnoteReference", namespaces=NS)
    assert len(notes) == len(references) >= 3
    assert b"endnotes+xml" in docx["[Content_Types].xml"]


def test_redline_against_a_revision_as_tracked_changes(tmp_path):
    front = "---\ntitle: One\nnumber: 1\n---\n\n"
    root = make_book(tmp_path, {"01-one.md": front + "The cat sat [@alpha2020]. Still [@beta2021].\n"})
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "first")
    (root / "manuscript" / "chapters" / "01-one.md").write_text(front + "The dog sat [@alpha2020]. Still [@beta2021].\n", encoding="utf-8")
    git(root, "commit", "-qam", "second")
    code, _, err = run_folio(["build", "docx", "--against", "HEAD~1", "--project", str(root)])
    assert code == 0, err
    document = etree.fromstring(parts(root / "build" / "test-book-review.docx")["word/document.xml"])
    assert ["".join(e.itertext()) for e in document.iter(f"{{{W}}}ins")] == ["dog"]
    assert document.xpath("//w:del//w:delText/text()", namespaces=NS) == ["cat"]


def test_word_copy_follows_the_books_per_chapter_notes_and_section_numbers(tmp_path):
    """The Word copy is made from the same per-chapter conversion as the book: notes restart in each
    chapter (one Word section a chapter, endnote numbering restarting with each), sections keep their
    numbers, and each note says what the EPUB's note says."""
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO})
    code, _, err = run_folio(["build", "docx", "epub", "--project", str(root)])
    assert code == 0, err
    docx = parts(root / "build" / "test-book-review.docx")
    document = etree.fromstring(docx["word/document.xml"])
    sections = document.xpath("//w:sectPr", namespaces=NS)
    assert len(sections) == 2  # one a chapter
    assert all(s.xpath("w:endnotePr/w:numRestart/@w:val", namespaces=NS) == ["eachSect"] for s in sections)
    headings = ["".join(p.itertext()) for p in document.xpath("//w:p[w:pPr/w:pStyle[starts-with(@w:val, 'Heading')]]", namespaces=NS)]
    assert headings == ["Chapter 1: One", "1.1 Part", "Chapter 2: Two"]
    endnotes = etree.fromstring(docx["word/endnotes.xml"])
    word_notes = [" ".join("".join(n.itertext()).split()) for n in endnotes.iter(f"{{{W}}}endnote") if n.get(f"{{{W}}}type") is None]
    with zipfile.ZipFile(root / "build" / "test-book.epub") as epub:
        book_notes = []
        for name in ("OEBPS/text/ch01.xhtml", "OEBPS/text/ch02.xhtml"):
            tree = etree.fromstring(epub.read(name))
            for note in tree.xpath("//h:li[@class='note']", namespaces={"h": "http://www.w3.org/1999/xhtml"}):
                text = " ".join("".join(note.itertext()).split())
                book_notes.append(text.split(" ", 1)[1])  # without the number, which Word writes itself
    assert len(word_notes) == len(book_notes) == 6
    assert [note.strip() for note in word_notes] == book_notes
    # Each chapter's references follow its own section break: the second chapter's notes come after it.
    body = document.find("w:body", NS)
    break_at = next(i for i, p in enumerate(body) if p.xpath("w:pPr/w:sectPr", namespaces=NS))
    first = [len(p.xpath(".//w:endnoteReference", namespaces=NS)) for p in list(body)[:break_at]]
    assert sum(first) == 4
