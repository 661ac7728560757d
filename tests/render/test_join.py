"""render/join.py: the book laid out a part at a time and joined is the book laid out in one pass
(pages, folios, running heads, outline, links, text), and its PDF/UA structure tree is whole."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest

from folio.checks.book import check_book
from folio.project.config import load_project
from folio.render.document import lay_out_book, reproducible
from folio.render.join import furniture_as_artifacts, join, marked_content_ids, structure_problems
from folio.render.parts import lay_out_parts

from helpers import CHAPTER_ONE, CHAPTER_TWO, link_targets, make_book, outline, page_texts, run_folio

CHAPTER_THREE = """\
---
title: Three
number: 3
---

Back to [the first part](#part), and a last claim [@beta2021].^[A closing note.]

## Coda

Done.
"""


@dataclass
class Pair:
    single: Path
    joined: Path
    single_warnings: list[str]
    joined_warnings: list[str]


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """A 3-chapter book (short chapters: each ends on a recto, so a blank verso follows it),
    laid out in one pass and a part at a time in two worker processes."""
    root = make_book(tmp_path_factory.mktemp("three"), {"one.md": CHAPTER_ONE, "two.md": CHAPTER_TWO, "three.md": CHAPTER_THREE})
    project = load_project(root)
    fragments = check_book(project, root / "build" / ".cache").fragments
    single = lay_out_book(project, fragments, "book.html.j2", project.geometry())
    single.data = reproducible(single.data)
    joined = lay_out_parts(project, fragments, jobs=2, cache_dir=root / "build" / ".cache")
    (root / "single.pdf").write_bytes(single.data)
    (root / "joined.pdf").write_bytes(joined.data)
    return Pair(root / "single.pdf", root / "joined.pdf", single.warnings, joined.warnings)


def test_joined_book_is_the_single_pass_book(three: Pair):
    single, joined = page_texts(three.single), page_texts(three.joined)
    assert len(joined) == len(single) == 9  # title, copyright, contents, blank; 3 chapters of one page, each followed by a blank verso
    assert joined == single  # running heads, body and folios, page by page
    assert joined[2].split("\n")[-1] == "iii"  # the contents page's folio, roman
    assert [joined[i].split("\n")[-1] for i in (4, 6, 8)] == ["1", "3", "5"]  # the folios of the chapter openings
    assert joined[3] == joined[5] == joined[7] == ""  # the blank versos
    assert "3 Three 5" in joined[2]  # the contents page, laid out after the chapters, gives their folios
    assert three.joined_warnings == three.single_warnings
    # Each part embeds its own font subsets; object streams keep the rest as small as one pass's.
    assert three.joined.stat().st_size < 2.5 * three.single.stat().st_size


def test_outline_and_links_are_the_single_pass_ones(three: Pair):
    with pikepdf.open(three.single) as single, pikepdf.open(three.joined) as joined:
        assert outline(joined) == outline(single)
        assert [title for depth, title, _ in outline(joined) if depth == 0] == ["Chapter 1 One", "Chapter 2 Two", "Chapter 3 Three"]
        assert link_targets(joined) == link_targets(single)
        targets = link_targets(joined)
        # Chapter three's link to chapter one's section leads back to page 5, across parts, and so
        # do the contents page's links to the chapters.
        assert (9, "ch01-part", 5) in targets and (7, "ch01-part", 5) in targets
        assert {(3, "ch01", 5), (3, "ch02", 7), (3, "ch03", 9)} <= set(targets)
        assert all(to > 0 for _, _, to in targets)  # every destination exists


def test_structure_tree_is_whole(three: Pair):
    with pikepdf.open(three.joined) as pdf:
        assert structure_problems(pdf) == []
        assert sum(len(marked_content_ids(page)) for page in pdf.pages) > 50
        root = pdf.Root.StructTreeRoot
        assert len(root.K) == 1 and root.K[0].S == "/Document"
        keys = [int(key) for key, _ in pikepdf.NumberTree(root.ParentTree).items()]
        assert len(keys) == len(set(keys)) and int(root.ParentTreeNextKey) > max(keys)
        assert pdf.Root.Lang == "en" or str(pdf.Root.Lang)
        assert pdf.Root.MarkInfo.Marked is True
        assert b"pdfuaid" in pdf.Root.Metadata.read_bytes()


def test_page_furniture_becomes_artifacts(three: Pair):
    """WeasyPrint maps the running heads' and folios' marked content to elements outside the tree;
    each part's furniture is turned into /Artifact content. The check sees the difference."""
    with pikepdf.open(three.single) as pdf:
        problems = structure_problems(pdf)
        assert problems and all("not reachable" in p or "not in the structure tree" in p for p in problems)
        furniture_as_artifacts(pdf)
        assert structure_problems(pdf) == []
        texts = [page.extract_text() for page in pdfplumber.open(_saved(pdf, three.single.with_name("fixed.pdf"))).pages]
    assert texts == page_texts(three.single)  # the folios are still there, and nothing else moved
    with pikepdf.open(three.joined) as pdf:
        furniture = [ops for ops, op in pikepdf.parse_content_stream(pdf.pages[4]) if str(op) == "BDC" and ops[0] == "/Artifact"]
        assert furniture  # the folio on chapter one's opening page


def _saved(pdf: pikepdf.Pdf, path: Path) -> Path:
    pdf.save(path)
    return path


def test_structure_check_catches_a_broken_parent_tree(three: Pair):
    with pikepdf.open(three.joined) as pdf:
        pdf.pages[4].obj.StructParents = pdf.pages[2].obj.StructParents  # page 5 claims page 3's entries
        problems = structure_problems(pdf)
    assert any(p.startswith("page 5:") and "another page" in p for p in problems)
    assert any("also used by page 3" in p for p in problems)


def test_poppler_reads_the_whole_tree(three: Pair):
    def tree(path: Path) -> str:
        result = subprocess.run(["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True)
        assert "rror" not in result.stderr
        return re.sub(r"Object \d+ \d+", "Object", result.stdout)

    single, joined = tree(three.single), tree(three.joined)
    assert joined == single
    assert joined.count("\n") > 100 and "Document" in joined.split("\n")[0]


def test_join_of_parts_with_blank_versos_only(tmp_path: Path):
    """The join on its own: two tiny untagged PDFs and a blank page between them."""
    parts = []
    for _ in range(2):
        pdf = pikepdf.new()
        pdf.add_blank_page(page_size=(200, 300))
        buffer = io.BytesIO()
        pdf.save(buffer)
        parts.append(buffer.getvalue())
    with pikepdf.open(io.BytesIO(join(parts, [False, True]))) as joined:
        assert len(joined.pages) == 3
        assert [float(x) for x in joined.pages[1].mediabox] == [0, 0, 200, 300]
    with pytest.raises(ValueError):
        join(parts, [False])


def test_joined_book_passes_preflight_as_the_single_pass_one_does(three: Pair):
    reports = []
    for path in (three.single, three.joined):
        code, stdout, stderr = run_folio(["preflight", "--project", str(path.parent), str(path)])
        assert code == 0, stderr
        reports.append([line for line in stdout.splitlines() if not line.startswith("fonts:")])
    assert reports[0] == reports[1]
    assert any(line.startswith("passed: 0 error(s), 0 warning(s)") for line in reports[1])


def _parts_of(root: Path) -> tuple[list[bytes], list[bool]]:
    """The parts of the book at `root` as the build joins them (from its layout cache)."""
    project = load_project(root)
    cache = root / "build" / ".cache"
    pieces = lay_out_parts(project, check_book(project, cache).fragments, jobs=1, cache_dir=cache).pieces
    return [piece.data for piece in pieces], [piece.blank_before for piece in pieces]


def test_the_join_places_again_only_a_changed_part_and_writes_the_same_book_as_afresh(
    three: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The join keeps each part as placed in the book: joined again, a book whose one part changed
    places that part only, and its bytes are those of the same parts joined without a cache. A
    damaged placed part is placed again, not trusted."""
    import folio.render.join as join_module

    parts, blanks = _parts_of(three.joined.parent)
    assert len(parts) == 4 and blanks == [False, True, True, True]
    placed: list[int] = []
    real_place = join_module._place

    def counted(data: bytes, base: int, key_base: int, streams: bool = True) -> Any:
        placed.append(base)
        return real_place(data, base, key_base, streams)

    monkeypatch.setattr(join_module, "_place", counted)
    cache = tmp_path / "placed"
    afresh = join(parts, blanks)
    assert join(parts, blanks, cache=cache) == afresh and len(placed) == 8
    assert join(parts, blanks, cache=cache) == afresh and len(placed) == 8  # every part from the cache

    with pikepdf.open(io.BytesIO(parts[2])) as part:  # chapter two, changed: one more object
        part.pages[0].obj.Folio = part.make_indirect(pikepdf.Dictionary(Changed=True))
        buffer = io.BytesIO()
        part.save(buffer)
    edited = [*parts[:2], buffer.getvalue(), parts[3]]
    placed.clear()
    assert join(edited, blanks, cache=cache) == join(edited, blanks)
    assert len(placed) == 1 + 4  # chapter two placed again (then all four, for the join without a cache)
    assert len(list(cache.glob("*.placed"))) == 4  # the old chapter two forgotten

    damaged = sorted(cache.glob("*.placed"))[0]
    data = bytearray(damaged.read_bytes())
    data[-100] ^= 0xFF
    damaged.write_bytes(bytes(data))
    placed.clear()
    with pikepdf.open(io.BytesIO(join(edited, blanks, cache=cache))) as pdf:
        assert len(placed) == 1 and structure_problems(pdf) == [] and len(pdf.pages) == 9


def test_readers_open_the_joined_book(three: Pair):
    """The joined book is written by Folio, not by QPDF: PDFium and poppler read every page of it
    as they read the single pass's, and QPDF finds nothing wrong in its cross-reference stream."""
    import pypdfium2

    single, joined = pypdfium2.PdfDocument(three.single), pypdfium2.PdfDocument(three.joined)
    assert [joined[i].get_textpage().get_text_range() for i in range(len(joined))] == [
        single[i].get_textpage().get_text_range() for i in range(len(single))
    ]
    result = subprocess.run(["pdfinfo", str(three.joined)], capture_output=True, text=True, check=True)
    assert result.stderr == "" and "Pages:           9" in result.stdout
    with pikepdf.open(three.joined) as pdf:
        assert pdf.check_pdf_syntax() == [] and pdf.pdf_version == "1.7"
        assert pdf.trailer.ID[0] == pdf.trailer.ID[1]  # made from the content, as QPDF's deterministic id


def test_a_join_without_object_streams_is_the_same_book_as_pdf_1_4(three: Pair, tmp_path: Path):
    """The printer's PDF/X-1a is PDF 1.4: the join writes each object on its own and a cross-reference
    table. Readers read it as the same book; its placed parts are kept apart from the packed ones."""
    import pypdfium2

    parts, blanks = _parts_of(three.joined.parent)
    cache = tmp_path / "placed"
    packed = join(parts, blanks, cache=cache)
    plain = join(parts, blanks, cache=cache, version="1.4", streams=False)
    assert plain == join(parts, blanks, version="1.4", streams=False)  # the same from the cache as afresh
    assert [path.name.endswith("-plain.placed") for path in cache.glob("*.placed")] == [True] * len(parts)  # this join's, apart
    assert plain.startswith(b"%PDF-1.4\n") and b"\nxref\n0 " in plain and b"/ObjStm" not in plain and b"/XRef" not in plain
    with pikepdf.open(io.BytesIO(plain)) as pdf, pikepdf.open(io.BytesIO(packed)) as other:
        assert pdf.check_pdf_syntax() == [] and pdf.pdf_version == "1.4"
        assert outline(pdf) == outline(other) and link_targets(pdf) == link_targets(other)
    one, two = pypdfium2.PdfDocument(plain), pypdfium2.PdfDocument(packed)
    assert [one[i].get_textpage().get_text_range() for i in range(len(one))] == [
        two[i].get_textpage().get_text_range() for i in range(len(two))
    ]
    (tmp_path / "plain.pdf").write_bytes(plain)
    result = subprocess.run(["pdfinfo", str(tmp_path / "plain.pdf")], capture_output=True, text=True, check=True)
    assert result.stderr == "" and "PDF version:     1.4" in result.stdout
    with pytest.raises(ValueError, match="says its version"):
        join(parts, blanks, streams=False)


def test_a_link_to_an_anchor_outside_ascii_leads_there_across_parts(tmp_path: Path):
    """The contents page and a chapter link to a heading of another chapter whose id has a letter
    outside ASCII (a French heading): each link leads to its page, as in one pass. (WeasyPrint
    percent-encodes the link as laid out; the link used to name `%C3%A2ges`, which no page has.)"""
    one = "---\ntitle: Un\nnumber: 1\n---\n\nTexte.\n\n## Calibrer des âges\n\nLe calcul.\n"
    two = "---\ntitle: Deux\nnumber: 2\n---\n\nVoir [le calcul](#calibrer-des-âges).\n"
    root = make_book(tmp_path, {"one.md": one, "two.md": two})
    project = load_project(root)
    fragments = check_book(project, root / "build" / ".cache").fragments
    single = reproducible(lay_out_book(project, fragments, "book.html.j2", project.geometry()).data)
    joined = lay_out_parts(project, fragments, jobs=1, cache_dir=root / "build" / ".cache").data
    with pikepdf.open(io.BytesIO(single)) as one_pass, pikepdf.open(io.BytesIO(joined)) as parts:
        targets = link_targets(parts)
        assert targets == link_targets(one_pass)
    accented = [(page, to) for page, name, to in targets if "âges" in name]
    assert len(accented) >= 2 and all(to > 0 for _, to in accented)  # from the contents page and from chapter two
