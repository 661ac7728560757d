"""render/parts.py: the print layout a part at a time, in worker processes and from the layout
cache: the same book as the single pass, and only what changed is laid out again."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pikepdf
import pytest

import folio.render.parts
import folio.render.weasy
from folio.checks.book import check_book
from folio.project.config import Project, load_project
from folio.render.document import book_html, lay_out_book, reproducible
from folio.render.join import structure_problems
from folio.render.parts import lay_out_parts, place, split_parts
from folio.render.weasy import Laid, Trial

from helpers import CHAPTER_ONE, CHAPTER_TWO, REPO, font_folders, link_targets, make_book, outline, page_texts, run_folio

THIRD = """\
---
title: Third
number: 3
---

The third chapter says little [@alpha2020].
"""

PARAGRAPH = "A longer paragraph that fills the page with words, line after line, until it turns. " * 12


def single_pass(project: Project, fragments: list) -> Laid:  # type: ignore[type-arg]
    """The print layout in one pass: what the parts must add up to."""
    laid = lay_out_book(project, fragments, "book.html.j2", project.geometry())
    laid.data = reproducible(laid.data)
    return laid


def test_repository_book_a_part_at_a_time_is_the_single_pass_book(tmp_path: Path):
    project = load_project(REPO)
    fragments = check_book(project, tmp_path / ".cache").fragments
    single = single_pass(project, fragments)
    parts = lay_out_parts(project, fragments, jobs=2, cache_dir=tmp_path / ".cache")
    (tmp_path / "single.pdf").write_bytes(single.data)
    (tmp_path / "parts.pdf").write_bytes(parts.data)
    assert page_texts(tmp_path / "parts.pdf") == page_texts(tmp_path / "single.pdf")  # folios and running heads too
    with pikepdf.open(tmp_path / "single.pdf") as one, pikepdf.open(tmp_path / "parts.pdf") as joined:
        assert outline(joined) == outline(one)
        assert link_targets(joined) == link_targets(one)
        assert len(link_targets(joined)) >= 8  # note calls and backlinks
    # The pages read back: same folios, chapters, lines (blocks are numbered afresh, so compared by text and place).
    assert [(p.number, p.folio, p.main, p.chapter, p.offset) for p in parts.pages] == [
        (p.number, p.folio, p.main, p.chapter, p.offset) for p in single.pages
    ]
    assert [[(line.text, line.top, line.chapter) for line in p.lines] for p in parts.pages] == [
        [(line.text, line.top, line.chapter) for line in p.lines] for p in single.pages
    ]
    assert parts.warnings == single.warnings and parts.findings == single.findings


def test_the_book_is_cut_before_each_chapter(tmp_path: Path):
    extra = "front:\n  - chapters/preface.md\n"
    root = make_book(tmp_path, {"one.md": CHAPTER_ONE, "two.md": CHAPTER_TWO}, extra=extra)
    (root / "manuscript" / "chapters" / "preface.md").write_text("---\ntitle: Preface\n---\n\nWhy.\n", encoding="utf-8")
    project = load_project(root)
    html = book_html(project, check_book(project, tmp_path / ".cache").fragments, "book.html.j2", project.geometry())
    parts = split_parts(html)
    assert [(part.opens_recto, part.main, part.contents, part.chapters) for part in parts] == [
        (False, False, True, ()),  # title, copyright and contents pages
        (True, False, False, ("ch01",)),  # the front matter's chapters (the preface): roman folios
        (True, True, False, ("ch02",)),  # the main matter's: arabic folios
        (True, True, False, ("ch03",)),
    ]
    head = html[: html.index("<body")]
    assert all(part.html.startswith(head) and part.html.rstrip().endswith("</html>") for part in parts)
    assert 'class="titlepage"' in parts[0].html and 'role="doc-toc"' in parts[0].html and 'id="ch01"' not in parts[0].html
    assert '<div class="mainmatter">' not in parts[1].html
    assert all(part.html.count('<div class="mainmatter">') == 1 for part in parts[2:])  # named and tagged as in one pass
    assert 'id="ch02"' in parts[2].html and 'id="ch03"' not in parts[2].html
    assert 'id="ch03"' in parts[3].html and 'class="titlepage"' not in parts[3].html
    # Chapter two's link to chapter one's section is spelt for the join; links inside the part stay;
    # the contents page's links all lead to other parts.
    assert 'href="folio-anchor:ch02-part"' in parts[3].html and 'href="#ch03-fn1"' in parts[3].html
    assert 'href="folio-anchor:ch01"' in parts[0].html and 'href="#' not in parts[0].html


def test_a_fixed_element_goes_with_every_part_and_a_part_without_folios_opens_anywhere():
    html = (
        '<html><head><title>t</title></head><body><div class="draft-mark every-page">DRAFT</div>'
        '<section class="titlepage">T</section><div class="mainmatter"><section class="chapter" id="a">A</section>'
        '<section class="chapter" id="b">B</section></div></body></html>'
    )
    printed, draft = split_parts(html), split_parts(html, folios=False)
    for parts in (printed, draft):
        assert [part.html.count('<div class="draft-mark every-page">DRAFT</div>') for part in parts] == [1, 1, 1]
        assert [part.chapters for part in parts] == [(), ("a",), ("b",)]
    # The print design opens a chapter on a recto at its folio; the draft's on the next page, at none.
    assert place(printed, {0: 2, 1: 1, 2: 1}) == ([1, 3, 5], [1, 1, 3], [False, False, True])
    assert place(draft, {0: 2, 1: 1, 2: 1}) == ([1, 3, 4], [1, 1, 1], [False, False, False])


def test_the_book_is_cut_at_its_tags_not_at_what_looks_like_one():
    """The cut reads the book's tags: a tag inside a comment, a script or a style, a '>' inside an
    attribute's value, single quotes or none around a class, and void or self-closed elements leave
    the parts as they are."""
    html = (
        "<html><head><style>p > a { color: red } /* <div class='chapter'> */</style></head><body>"
        '<!-- <section class="chapter" id="no"> -->'
        "<section class='titlepage' title='a > b'>T<br><img src=x.png/></section>"
        "<div class=mainmatter>"
        '<section class="chapter" id="a" data-note="</section>">A<script>if (1 < 2) document.write(\'</div>\')</script></section>'
        '<section data-class="chapter" class="chapter" id="b">B<hr/></section>'
        "</div></body></html>"
    )
    parts = split_parts(html)
    assert [part.chapters for part in parts] == [(), ("a",), ("b",)]
    assert "titlepage" in parts[0].html and "A<script>" in parts[1].html and "B<hr/>" in parts[2].html
    assert all(part.html.count("<div class=mainmatter>") == (i > 0) for i, part in enumerate(parts))


class Counter:
    """Counts WeasyPrint layouts (jobs=1: they run in this process), by part: a chapter's id, or
    'contents' for the title, copyright and contents pages."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.calls: list[str] = []
        real = folio.render.weasy.trial

        def counted(html: str, **kwargs: object) -> Trial:
            chapter = re.search(r'<section class="chapter[^"]*" id="([^"]+)"', html)
            self.calls.append(chapter[1] if chapter else "contents")
            return real(html, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(folio.render.weasy, "trial", counted)

    def take(self) -> list[str]:
        calls, self.calls = self.calls, []
        return calls


def _lay_out(root: Path) -> tuple[Project, Laid]:
    project = load_project(root)
    fragments = check_book(project, root / "build" / ".cache").fragments
    return project, lay_out_parts(project, fragments, jobs=1, cache_dir=root / "build" / ".cache")


def _chapter(name: str, body: str) -> str:
    number = {"one": 1, "two": 2, "three": 3}[name]
    return f"---\ntitle: {name.title()}\nnumber: {number}\n---\n\n{body}\n"


def test_cache_lays_out_only_what_changed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = make_book(tmp_path, {"one.md": CHAPTER_ONE, "two.md": CHAPTER_TWO, "three.md": THIRD})
    chapters = root / "manuscript" / "chapters"
    counter = Counter(monkeypatch)

    _, cold = _lay_out(root)
    assert counter.take() == ["ch01", "ch02", "ch03", "contents"]  # the contents page last, with the chapters' folios
    assert [p.folio for p in cold.pages] == ["i", "ii", "iii", "iv", "1", "2", "3", "4", "5"]  # blank versos: iv, 2, 4

    _, warm = _lay_out(root)
    assert counter.take() == []  # nothing changed: nothing laid out
    assert warm.data == cold.data

    (chapters / "two.md").write_text(CHAPTER_TWO.replace("Later claim", "A later claim"), encoding="utf-8")
    _, edited = _lay_out(root)
    assert counter.take() == ["ch02"]  # the edited chapter only: the folios after it did not move
    assert edited.data != cold.data and len(edited.pages) == len(cold.pages)

    # Chapter one grows by two pages: it is laid out again, and the later chapters start two folios on.
    (chapters / "one.md").write_text(CHAPTER_ONE + "\n" + "\n\n".join([PARAGRAPH] * 6) + "\n", encoding="utf-8")
    _, grown = _lay_out(root)
    calls = counter.take()
    starts = {p.chapter: p.number for p in reversed(grown.pages) if p.chapter}
    assert calls[0] == "ch01" and starts["ch02"] > 7
    assert sorted(calls) == ["ch01", "ch02", "ch03", "contents"]  # the contents page prints the new folios
    texts = [" ".join(line.text for line in page.lines) for page in grown.pages]
    assert texts[starts["ch02"] - 1].startswith("Chapter 2")

    project, again = _lay_out(root)
    assert counter.take() == [] and again.data == grown.data
    single = single_pass(project, check_book(project, root / "build" / ".cache").fragments)
    assert [p.folio for p in again.pages] == [p.folio for p in single.pages]
    assert [[line.text for line in p.lines] for p in again.pages] == [[line.text for line in p.lines] for p in single.pages]


def test_a_corrupt_cache_entry_is_laid_out_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = make_book(tmp_path, {"one.md": CHAPTER_ONE, "two.md": CHAPTER_TWO})
    _, first = _lay_out(root)
    counter = Counter(monkeypatch)
    layout = root / "build" / ".cache" / "layout" / "book"
    placed = sorted((layout / "placed").glob("*.placed"))
    placed[-1].write_bytes(placed[-1].read_bytes()[:-10])  # a part as the join placed it, cut short: placed again
    _, rejoined = _lay_out(root)
    assert counter.take() == [] and rejoined.data == first.data
    assert sorted((layout / "placed").glob("*.placed")) == placed

    entries = {_first_chapter(meta): meta for meta in layout.glob("*/*.json")}
    assert set(entries) == {None, "ch01", "ch02"}
    pdf = entries["ch02"].with_suffix(".pdf")
    pdf.write_bytes(pdf.read_bytes()[:-2000])  # a partial write of chapter two's PDF
    entries[None].write_text("{not json", encoding="utf-8")  # the contents page's entry garbled
    _, rebuilt = _lay_out(root)
    assert counter.take() == ["ch02", "contents"]
    assert rebuilt.data == first.data
    with pikepdf.open(pdf) as again:  # written again, whole
        assert len(again.pages) == 1

    # A page count that lies (chapter one said to have 4 pages) sends no part to the wrong folio.
    (entries["ch01"].parent / "pages").write_text("4", encoding="ascii")
    _, recounted = _lay_out(root)
    assert recounted.data == first.data


def test_one_chapter_to_lay_out_is_laid_out_in_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An edit of one chapter: no worker is started for it (a new process costs more than the
    layout; `folio serve`'s PDF worker has WeasyPrint warm). A cold book: its parts side by side."""
    root = make_book(tmp_path, {"one.md": CHAPTER_ONE, "two.md": CHAPTER_TWO, "three.md": THIRD})
    pools: list[int] = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, workers: int, **kwargs: object):
            pools.append(workers)
            super().__init__(workers, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(folio.render.parts, "ProcessPoolExecutor", Counted)

    def lay_out() -> Laid:
        project = load_project(root)
        fragments = check_book(project, root / "build" / ".cache").fragments
        return lay_out_parts(project, fragments, jobs=2, cache_dir=root / "build" / ".cache")

    cold = lay_out()
    assert pools == [2]
    chapter = root / "manuscript" / "chapters" / "two.md"
    chapter.write_text(CHAPTER_TWO.replace("Later claim", "A later claim"), encoding="utf-8")
    edited = lay_out()
    assert pools == [2]  # no new workers
    assert edited.data != cold.data and "A later claim" in "".join(page_texts_of(edited))


def page_texts_of(laid: Laid) -> list[str]:
    return [" ".join(line.text for line in page.lines) for page in laid.pages]


def _first_chapter(meta: Path) -> str | None:
    import json

    pages = json.loads(meta.read_text(encoding="utf-8"))["layout"]["pages"]
    return next((page["chapter"] for page in pages if page["chapter"]), None)


TABLE = """
| Sample | Age (years) | Error |
|--------|------------:|------:|
| A-1    | 1200        | 30    |
| A-2    | 1450        | 35    |

Table: Ages of the samples.
"""


def test_front_matter_back_matter_and_tables_a_part_at_a_time(tmp_path: Path):
    """Roman folios before the chapters (a preface after the contents page), an appendix in the
    main matter, and a table in each chapter (laid out by trial, render/floats.py): the joined
    book is the single pass's, and the table headers' ids stay unique across the parts."""
    extra = "front:\n  - chapters/preface.md\nback:\n  - chapters/appendix.md\n"
    one = CHAPTER_ONE + TABLE + "\n" + PARAGRAPH + "\n"
    two = CHAPTER_TWO + TABLE.replace("Ages", "More ages") + "\n"
    root = make_book(tmp_path, {"one.md": one, "two.md": two}, extra=extra)
    chapters = root / "manuscript" / "chapters"
    (chapters / "preface.md").write_text(f"---\ntitle: Preface\n---\n\n{PARAGRAPH}\n\n{PARAGRAPH}\n", encoding="utf-8")
    (chapters / "appendix.md").write_text("---\ntitle: The Data\n---\n\nAll of it.\n", encoding="utf-8")
    project = load_project(root)
    fragments = check_book(project, root / "build" / ".cache").fragments
    single = single_pass(project, fragments)
    parts = lay_out_parts(project, fragments, jobs=2, cache_dir=root / "build" / ".cache")
    (tmp_path / "single.pdf").write_bytes(single.data)
    (tmp_path / "parts.pdf").write_bytes(parts.data)
    assert page_texts(tmp_path / "parts.pdf") == page_texts(tmp_path / "single.pdf")
    folios = [p.folio for p in parts.pages]
    assert folios == [p.folio for p in single.pages]
    assert folios[:6] == ["i", "ii", "iii", "iv", "v", "vi"] and folios[6] == "1"  # the preface at v, on a recto
    contents = page_texts(tmp_path / "parts.pdf")[2]
    assert "Preface v" in contents and "The Data" in contents  # its folios filled in after the chapters were laid out
    with pikepdf.open(tmp_path / "single.pdf") as one_pass, pikepdf.open(tmp_path / "parts.pdf") as joined:
        assert outline(joined) == outline(one_pass)
        assert link_targets(joined) == link_targets(one_pass)
        assert structure_problems(joined) == []
        ids = [str(element.ID) for element in _elements(joined) if "/ID" in element]
        headers = [str(h) for element in _elements(joined) for h in element.get("/A", {}).get("/Headers", [])]
    assert len(ids) == 6 and len(set(ids)) == 6  # three column heads in each of two tables, from two parts
    assert headers and set(headers) <= set(ids)


def _elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every structure element of the tree."""
    found, stack = [], list(pdf.Root.StructTreeRoot.K)
    while stack:
        element = stack.pop()
        if isinstance(element, pikepdf.Dictionary) and "/S" in element:
            found.append(element)
            kids = element.get("/K")
            stack += list(kids) if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []
    return found


def test_the_build_lays_out_the_print_pdf_by_parts_from_the_cache(tmp_path: Path):
    """`folio build pdf` lays the print PDF out by parts into OUT/.cache/layout: a second build after
    an edit to chapter two lays out chapter two (and the contents page, if its folios moved)
    only; chapter one's entry is not written again, and the PDF is the one-pass book."""
    root = make_book(tmp_path, {"one.md": CHAPTER_ONE, "two.md": CHAPTER_TWO})
    out = tmp_path / "out"
    code, _, err = run_folio(["build", "pdf", "--project", str(root), "--out", str(out)])
    assert code == 0, err
    layout = out / ".cache" / "layout" / "book"

    def entries() -> dict[str, tuple[str, int]]:
        """Each part's cache entry: its first chapter (None: the contents part), file and mtime."""
        found = {}
        for meta in layout.glob("*/*.json"):
            found[str(_first_chapter(meta))] = (str(meta), meta.stat().st_mtime_ns)
        return found

    before = entries()
    assert set(before) == {"None", "ch01", "ch02"}
    chapter = root / "manuscript" / "chapters" / "two.md"
    chapter.write_text(CHAPTER_TWO.replace("Later claim", "A later claim"), encoding="utf-8")
    code, _, err = run_folio(["build", "pdf", "--project", str(root), "--out", str(out)])
    assert code == 0, err
    after = entries()
    assert after["ch01"] == before["ch01"] and after["None"] == before["None"]  # neither laid out nor written again
    assert after["ch02"] != before["ch02"]
    assert len(list(layout.glob("*/*.json"))) == 3  # the old chapter two's entry is gone
    project = load_project(root)
    single = single_pass(project, check_book(project, tmp_path / ".cache").fragments)
    (tmp_path / "single.pdf").write_bytes(single.data)
    assert page_texts(out / "test-book.pdf") == page_texts(tmp_path / "single.pdf")


def test_the_layout_workers_leave_nothing_in_the_temporary_folder(tmp_path: Path):
    """WeasyPrint keeps @font-face files in a folder of the system's temporary folder that it
    removes only when its font configuration is collected; a layout worker ends without that,
    and every build left its fonts behind (some 2 MB a worker)."""
    root = make_book(tmp_path, {"one.md": CHAPTER_ONE, "two.md": CHAPTER_TWO, "three.md": THIRD})
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    out = tmp_path / "out"
    command = [sys.executable, "-m", "folio", "build", "pdf", "--project", str(root), "--out", str(out), "--jobs", "2", "--quiet"]
    done = subprocess.run(command, env={**os.environ, "TMPDIR": str(temporary)}, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert (out / "test-book.pdf").is_file()
    assert font_folders(temporary) == []
