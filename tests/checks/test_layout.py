"""folio/checks/layout.py (and render/weasy.read_pages): each layout warning, on small documents laid out by WeasyPrint to trigger it."""

from __future__ import annotations

import re
from pathlib import Path

import weasyprint

from folio.checks import layout
from folio.render import layout as pages
from folio.render.fonts import font_faces
from folio.render.weasy import read_pages

from helpers import make_book, run_folio

PDF = Path("book.pdf")
# 8 lines of 20pt fit a page: 200pt high, 20pt margins.
STYLE = """
@page { size: 300pt 200pt; margin: 20pt; }
html { font: 12pt/20pt serif; }
body { margin: 0; }
p, h2 { margin: 0; widows: 1; orphans: 1; }
h2 { font-size: 12pt; }
.chapter { break-before: right; }
"""
TEXT_BLOCK = (20.0, 180.0)


def pages_of(body: str, style: str = STYLE) -> list[pages.Page]:
    html = f"<html><head><style>{style}</style></head><body>{body}</body></html>"
    return read_pages(weasyprint.HTML(string=html).render(), space_width=0.25)


def lines(n: int, word: str = "line") -> str:
    return "<br>".join(f"{word} {i}" for i in range(1, n + 1))


def codes(pages: list[pages.Page], previous: list[str] | None = None) -> list[tuple[str, int]]:
    return [(f.code, f.page) for f in layout.check(pages, PDF, TEXT_BLOCK, previous)]


def chapter(body: str, id: str = "ch01") -> str:
    return f'<section class="chapter" id="{id}">{body}</section>'


def test_clean_pages_give_no_warnings():
    pages = pages_of(chapter(f"<p>{lines(8)}</p><p>{lines(3)}</p>"))
    assert [len(p.lines) for p in pages] == [8, 3]
    assert codes(pages) == []


def test_widow_and_orphan():
    pages = pages_of(chapter(f"<p>{lines(7)}</p><p>{lines(2, 'split')}</p><p>{lines(6)}</p>"))
    assert codes(pages) == [("L002", 1), ("L001", 2)]


def test_heading_stranded_at_the_foot():
    # WeasyPrint keeps headings with what follows; break-after: auto lets one strand, as a long
    # unbreakable block after a heading can in a real book.
    pages = pages_of(chapter(f"<p>{lines(7)}</p><h2>Stranded</h2><p>{lines(5)}</p>"), STYLE + "h2 { break-after: auto; }")
    assert codes(pages) == [("L003", 1)]


def test_underfull_page_but_not_a_chapters_last():
    body = chapter(f"<p>{lines(8)}</p><p>{lines(1)}</p><div style='break-before: page'><p>{lines(8)}</p></div>")
    assert codes(pages_of(body)) == [("L004", 2)]
    # the same short page at the end of the chapter is fine
    assert codes(pages_of(chapter(f"<p>{lines(8)}</p><p>{lines(1)}</p>"))) == []


def test_blank_pages_parity_asked_for_and_not():
    # chapter two must open on a right-hand page: the blank page 2 is asked for
    asked = pages_of(chapter(f"<p>{lines(3)}</p>") + chapter(f"<p>{lines(3)}</p>", "ch02"))
    assert [p.blank for p in asked] == [False, True, False]
    assert codes(asked) == []
    unasked = pages_of(chapter(f"<p>{lines(3)}</p><div style='break-before: page'></div><div style='break-before: page'><p>x</p></div>"))
    assert ("L005", 2) in codes(unasked)


def test_loose_line():
    style = STYLE + "p { text-align: justify; width: 200pt; }"
    tight = pages_of(chapter("<p>" + "ab cd ef gh " * 30 + "</p>"), style)
    assert not [c for c in codes(tight) if c[0] == "L006"]
    loose = pages_of(chapter("<p>a b c Incomprehensibilities Incomprehensibilities</p>"), style)
    assert ("L006", 1) in codes(loose)
    assert max(line.stretch for line in loose[0].lines) > layout.LOOSE


def test_moved_page_breaks_against_the_previous_build():
    before = pages_of(chapter(f"<p>{lines(8)}</p><p>{lines(8, 'second')}</p><p>{lines(4, 'third')}</p>"))
    after = pages_of(chapter(f"<p>{lines(9)}</p><p>{lines(8, 'second')}</p><p>{lines(4, 'third')}</p>"))
    previous = [p.first_words for p in before]
    assert codes(before, previous) == []
    moved = [f for f in layout.check(after, PDF, TEXT_BLOCK, previous) if f.code == "L007"]
    assert len(moved) == 1
    assert moved[0].message.endswith("on pages 2–3")


def test_page_offsets_count_the_chapters_letters():
    pages = pages_of(chapter(f"<p>{lines(8)}</p><p>{lines(2, 'more')}</p>"))
    assert pages[0].offset == 0
    assert pages[1].offset == sum(len(f"line{i}") for i in range(1, 9))


def test_space_width_from_the_font():
    face = next(f for f in font_faces("EB Garamond") if f.style == "normal")
    assert 0.15 < pages.space_width_em(face.path) < 0.3


def test_strict_build_fails_on_a_layout_warning(tmp_path):
    long_words = " ".join(["Incomprehensibilities"] * 40)
    chapter_text = f"---\ntitle: One\n---\n\nA b c {long_words} [@alpha2020] [@beta2021].\n"
    root = make_book(tmp_path, {"01-one.md": chapter_text}, extra="print:\n  trim: 4in 6in\n")
    code, _, err = run_folio(["build", "pdf", "--project", str(root)])
    assert code == 0 and "L006 loose line" in err
    code, _, err = run_folio(["build", "pdf", "--project", str(root), "--strict"])
    assert code == 1 and "L006" in err and "nothing was written" in err


def test_a_rebuild_reports_the_pages_whose_breaks_moved(tmp_path):
    paragraph = " ".join(["A sentence of ordinary length that fills the line."] * 12)
    text = "---\ntitle: One\n---\n\n" + "\n\n".join([paragraph] * 8) + "\n\nEnd [@alpha2020] [@beta2021].\n"
    root = make_book(tmp_path, {"01-one.md": text})
    code, _, err = run_folio(["build", "pdf", "--project", str(root)])
    assert code == 0 and "L007" not in err
    code, _, err = run_folio(["build", "pdf", "--project", str(root)])
    assert code == 0 and "L007" not in err  # nothing changed, nothing moved
    chapter = root / "manuscript" / "chapters" / "01-one.md"
    chapter.write_text(
        text.replace("\n\n", "\n\nA new opening sentence, long enough to push the text down a line or two.\n\n", 1), encoding="utf-8"
    )
    code, _, err = run_folio(["build", "pdf", "--project", str(root)])
    assert code == 0 and re.search(r"test-book\.pdf: warning: L007 page breaks moved since the last build on pages 5–\d+", err), err


def test_a_page_of_the_print_pdf_and_the_printers_file_is_reported_once(tmp_path):
    """The printer's file is the print PDF's pages on a larger sheet: a loose line on a page of
    both is told once, against the print PDF; built alone, the printer's file tells it itself."""
    long_words = " ".join(["Incomprehensibilities"] * 40)
    chapter_text = f"---\ntitle: One\n---\n\nA b c {long_words} [@alpha2020] [@beta2021].\n"
    root = make_book(tmp_path, {"01-one.md": chapter_text}, extra="print:\n  trim: 4in 6in\n")
    code, _, err = run_folio(["build", "pdf", "press", "--project", str(root)])
    loose = [line for line in err.splitlines() if "L006" in line]
    assert code == 0 and loose and all("test-book.pdf" in line for line in loose), err
    code, _, err = run_folio(["build", "press", "--project", str(root)])
    loose = [line for line in err.splitlines() if "L006" in line]
    assert code == 0 and loose and all("test-book-press.pdf" in line for line in loose), err
