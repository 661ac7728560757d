"""folio/text/crossref.py: labels numbered per chapter, references rewritten and linked in every format."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

import pdfplumber
import pikepdf
import pytest
from lxml import etree

from folio.checks.book import check_book
from folio.project.config import load_project
from folio.project.manuscript import Chapter
from folio.text import crossref
from folio.text.convert import convert

from helpers import NS, chapter_documents, make_book, normalise, run_folio

ONE = """\
---
title: One
number: 3
---

See @fig:map, +@tbl:data and -@fig:map; also [@eq:sum; @eq:other] and @sec:later.

![A map.](box.png){#fig:map}

| a | b |
|---|---|
| 1 | @eq:sum |

Table: Some data. {#tbl:data}

$$ z = 0 $$ (an unlabelled display before a labelled one)

$$ a + b = c $$ {#eq:sum}

$$
x = y
$$ {#eq:other}

Code is left alone: `@fig:map`.

## First

## Later {#sec:later}

Compare [@fig:quarto; @fig:map] and @tbl-q in the next chapter.
"""

TWO = """\
---
title: Two
number: 4
---

Back to @Fig:map and @sec:later.

![Another.](box.png){#fig:quarto}

: Quarto's caption style. {#tbl-q}

| x |
|---|
| 1 |
"""


def png(path: Path) -> None:
    """A small red PNG."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 40 for _ in range(30))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 40, 30, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def book(tmp_path: Path, one: str = ONE, two: str = TWO) -> Path:
    root = make_book(tmp_path, {"one.md": one, "two.md": two}, references="[]\n")
    png(root / "manuscript" / "box.png")
    return root


def chapters(root: Path) -> list[Chapter]:
    checked = check_book(load_project(root))
    assert checked.errors == []
    return checked.chapters


def test_labels_are_numbered_per_chapter_in_reading_order(tmp_path):
    labels, findings = crossref.collect(chapters(book(tmp_path)))
    assert findings == []
    assert {label: (t.kind, t.number) for label, t in labels.items()} == {
        "fig:map": ("figure", "3.1"),
        "tbl:data": ("table", "3.1"),
        "eq:sum": ("equation", "3.1"),
        "eq:other": ("equation", "3.2"),
        "sec:later": ("section", "3.2"),
        "fig:quarto": ("figure", "4.1"),
        "tbl-q": ("table", "4.1"),
    }
    assert labels["eq:other"].text("en-US") == "Equation\u00a0(3.2)"


def test_rewrite_makes_links_with_words_and_numbers(tmp_path):
    one = chapters(book(tmp_path))[0]
    labels, _ = crossref.collect(chapters(book(tmp_path / "b")))
    text = crossref.rewrite(one.body, labels, "en-US")
    nb = "\u00a0"
    assert f"See [Figure{nb}3.1](#fig:map), [Table{nb}3.1](#tbl:data) and [3.1](#fig:map);" in text
    assert f"also [Equation{nb}(3.1)](#eq:sum); [Equation{nb}(3.2)](#eq:other)" not in text
    assert f"also Equations{nb}[(3.1)](#eq:sum) and [(3.2)](#eq:other)" in text
    assert f'[[Section{nb}3.2]{{.xref-section label="sec:later"}}](#sec:later)' in text
    assert f"Compare Figures{nb}[4.1](#fig:quarto) and [3.1](#fig:map) and [Table{nb}4.1](#tbl-q)" in text
    assert "[$$ a + b = c $$ [(3.1)]{.eqno}]{#eq:sum .equation}" in text
    assert "`@fig:map`" in text  # code untouched


def test_unknown_label_is_an_error_with_line_and_hint_and_never_a_citation(tmp_path):
    one = ONE.replace("and @sec:later.", "and @sec:latter, @fig:nowhere.")
    root = book(tmp_path, one=one)
    checked = check_book(load_project(root))
    assert [f.format(root) for f in checked.findings] == [
        "manuscript/chapters/one.md:6:71: error: X001 cross-reference to 'sec:latter', which is not in the book "
        "(did you mean 'sec:later'?)",
        "manuscript/chapters/one.md:6:84: error: X001 cross-reference to 'fig:nowhere', which is not in the book "
        "(label the figure: {#fig:nowhere})",
    ]
    assert checked.citations == []


def test_a_label_defined_twice_is_an_error(tmp_path):
    root = book(tmp_path, two=TWO.replace("{#fig:quarto}", "{#fig:map}").replace("@fig:quarto", "@fig:map"))
    checked = check_book(load_project(root))
    assert [f.format(root) for f in checked.errors if f.code == "X002"] == [
        "manuscript/chapters/two.md:8:23: error: X002 label '#fig:map' is defined again (first at one.md:8)",
    ]


def test_fragments_carry_numbered_captions_and_links_across_chapters(tmp_path):
    root = book(tmp_path)
    project = load_project(root)
    fragments, findings = convert(project, chapters(root), None)
    assert findings == []
    one, two = (f.html for f in fragments)
    assert '<figure id="ch01-fig:map">' in one
    assert '<span class="caption-label">Figure\u00a03.1.</span> A map.' in one
    assert '<span class="caption-label">Table\u00a04.1.</span> Quarto' in two
    assert '<span id="ch01-eq:other" class="equation">' in one
    assert '<span class="eqno">(3.2)</span>' in one
    assert '<td><a href="#ch01-eq:sum">Equation\u00a0(3.1)</a></td>' in one
    # Links to another chapter point at its ids; a section reference carries the heading's own number.
    assert '<a href="#ch02-fig:quarto">4.1</a>' in one
    assert '<a href="#ch01-sec:later">Section\u00a03.2</a>' in two
    assert '<h2><span class="secno">3.2</span> Later</h2>' in one
    assert "citation" not in one + two


def test_cross_references_in_the_pdf_the_epub_and_the_word_copy(tmp_path):
    root = book(tmp_path)
    out = tmp_path / "out"
    code, _, stderr = run_folio(["build", "pdf", "epub", "docx", "--project", str(root), "--out", str(out)])
    assert code == 0, stderr
    # EPUB: every cross-reference is a link to an element that exists, in this file or another.
    docs = dict(chapter_documents(out / "test-book.epub"))
    ids = {(PurePosixPath(name).name, e.get("id")) for name, doc in docs.items() for e in doc.iter() if e.get("id")}
    links = [
        (PurePosixPath(name).name, a.get("href"), "".join(a.itertext()))
        for name, doc in docs.items()
        for a in doc.xpath("//h:a[@href]", namespaces=NS)
        if re.search(r"#ch\d\d-(fig|tbl|eq|sec)[:-]", a.get("href"))
    ]
    assert len(links) == 12
    for name, href, _ in links:
        file, _, anchor = href.rpartition("#")
        assert (file or name, anchor) in ids, href
    assert ("ch02.xhtml", "ch01.xhtml#ch01-fig:map", "Figure\u00a03.1") in links
    # PDF: the words and numbers are printed, and the links are internal jumps.
    with pdfplumber.open(out / "test-book.pdf") as pdf:
        raw = " ".join(page.extract_text() or "" for page in pdf.pages)
    text = normalise(raw)
    expected = ("See Figure 3.1, Table 3.1 and 3.1", "Equations (3.1) and (3.2)", "Figures 4.1 and 3.1", "Back to Figure 3.1 and Section")
    for words in expected:
        assert normalise(words) in text
    assert re.findall(r"@?(?:fig|tbl|eq|sec)[:-]\w+", raw) == ["@fig:map"]  # the code span, as written
    with pikepdf.open(out / "test-book.pdf") as pdf:
        names = {str(name) for name in pdf.Root.Names.Dests.Names[::2]} if "/Names" in pdf.Root else set()
        assert {"ch01-fig:map", "ch02-fig:quarto", "ch01-sec:later"} <= names
    # Word: the same words.
    with zipfile.ZipFile(out / "test-book-review.docx") as docx:
        document = re.sub(r"<[^>]+>", "", docx.read("word/document.xml").decode("utf-8"))
    assert "Back to Figure\u00a03.1 and Section\u00a03.2" in document


def test_in_an_unnumbered_chapter_a_section_is_referred_to_by_its_title(tmp_path):
    one = ONE.replace("number: 3\n", "")
    root = book(tmp_path, one=one)
    fragments, findings = convert(load_project(root), chapters(root), None)
    assert findings == []
    assert '<a href="#ch01-sec:later">Later</a>' in fragments[1].html
    assert '<a href="#ch01-fig:map">Figure\u00a01</a>' in fragments[1].html


@pytest.mark.parametrize("key", ["fig:map", "Fig:map", "tbl:x", "eq:a.b", "sec:intro", "fig-quarto", "tbl-q"])
def test_crossref_keys(key):
    assert crossref.is_crossref(key)


@pytest.mark.parametrize("key", ["figueroa2001", "fig", "secrest:1999", "alpha2020"])
def test_citation_keys_are_not_crossrefs(key):
    assert not crossref.is_crossref(key)


def test_an_unknown_label_stops_the_build_and_nothing_is_written(tmp_path):
    root = book(tmp_path, two=TWO.replace("@sec:later", "@sec:ltaer"))
    out = tmp_path / "out"
    code, _, stderr = run_folio(["build", "pdf", "--project", str(root), "--out", str(out)])
    assert code == 1
    expected = "manuscript/chapters/two.md:6:22: error: X001 cross-reference to 'sec:ltaer', which is not in the book"
    assert f"{expected} (did you mean 'sec:later'?)" in stderr
    assert "Traceback" not in stderr
    assert not out.exists()


MIXED = """\
---
title: Mixed
number: 2
---

As @fig:second shows, and [@fig:first; @fig:second].

![An unlabelled figure, captioned: it counts.](box.png)

Text with an inline ![icon](box.png) image, which is no figure.

![The first labelled one.](box.png){#fig:first}

![The second labelled one, with [brackets] in its caption.](box.png){#fig:second width=50%}
"""


@pytest.mark.parametrize("numbered", [True, False], ids=["figures-numbered", "figures-plain"])
def test_a_reference_names_the_figure_whose_caption_has_its_number(tmp_path, numbered):
    """Unlabelled captioned figures before labelled ones: one numbering for captions and references."""
    root = make_book(tmp_path, {"one.md": MIXED}, references="[]\n", extra="figures: numbered\n" if numbered else "")
    png(root / "manuscript" / "box.png")
    labels, _ = crossref.collect(chapters(root))
    assert {label: t.number for label, t in labels.items()} == {"fig:first": "2.2", "fig:second": "2.3"}
    project = load_project(root)
    (fragment,), findings = convert(project, check_book(project).chapters, None)
    assert not findings
    doc = etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{fragment.html}</div>')
    captions = {
        f.get("id"): " ".join("".join(f.find("h:figcaption", NS).itertext()).split()) for f in doc.xpath("//h:figure", namespaces=NS)
    }
    if numbered:
        assert next(iter(captions.values())).startswith("Figure 2.1 An unlabelled figure")  # spaces normalised
    for link in doc.xpath("//h:a[starts-with(@href, '#ch01-fig:')]", namespaces=NS):
        number = "".join(link.itertext()).split("\u00a0")[-1]
        assert captions[link.get("href")[1:]].startswith(f"Figure {number}"), (number, captions)
    assert "".join(doc.xpath("(//h:a[@href='#ch01-fig:second'])[1]//text()", namespaces=NS)) == "Figure\u00a02.3"
