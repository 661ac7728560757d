"""What a typesetter checks on laid-out pages, read from WeasyPrint's boxes (not from the PDF).

`read_pages` walks each page once and keeps, per text line, its block, its text, its position and
its word-space stretch; the checks below and the EPUB's print page numbers both use that.
Findings are warnings with page numbers: widows, orphans, stranded headings, underfull pages,
blank pages that parity did not ask for, loose lines, and page breaks that moved since last time.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from weasyprint.formatting_structure import boxes

from folio.checks.findings import Finding

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
PX = 0.75  # WeasyPrint lays out in CSS px; a point is 4/3 px
UNDERFULL = 0.25  # a page less full than this (other than a chapter's last) is worth a look
LOOSE = 2.0  # a word space stretched past this multiple of its natural width is a loose line
ALNUM = re.compile(r"[^\W_]", re.UNICODE)


@dataclass
class Line:
    block: int  # identifies the paragraph, list item or heading the line belongs to (same block, same number)
    tag: str
    text: str
    top: float  # points from the top of the page
    bottom: float
    stretch: float  # word space as a multiple of its natural width (1.0 = not stretched)
    chapter: str | None  # id of the chapter the line belongs to (None: front matter)
    refs: list[str] = field(default_factory=list)  # numbers of the editorial comments anchored in the line
    changed: bool = False  # the line holds an insertion or a deletion (the draft's change bars)


@dataclass
class Page:
    number: int  # the folio: pages are numbered from 1 through the whole book
    chapter: str | None  # id of the chapter whose text is on the page (None: front matter or blank)
    offset: int = 0  # letters and digits of the chapter's text before this page starts
    lines: list[Line] = field(default_factory=list)
    folio: str = ""  # the page number as printed: roman in the front matter, arabic from the first chapter
    main: bool = False  # the page belongs to the main matter (the chapters and back matter)

    @property
    def blank(self) -> bool:
        return not self.lines

    def line_rows(self) -> list[int]:
        """For each line, its row on the page (1-based): lines side by side (table cells) share a row."""
        tops = sorted({round(line.top, 1) for line in self.lines})
        return [tops.index(round(line.top, 1)) + 1 for line in self.lines]

    @property
    def first_words(self) -> str:
        return " ".join(" ".join(line.text for line in self.lines[:2]).split()[:8])


def read_pages(document: Any, space_width: float) -> list[Page]:
    """Every page's lines, in order. `space_width` is the body font's space in ems."""
    pages = []
    counted: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        info = Page(index + 1, None)
        content = [child for child in page._page_box.children if not isinstance(child, boxes.MarginBox)]
        for box in content:
            _walk(box, info, None, None, space_width)
        info.main = getattr(page._page_box, "page_type", None) is not None and page._page_box.page_type.name == "main"
        info.chapter = next((line.chapter for line in info.lines if line.chapter), None)
        if info.chapter:
            info.offset = counted.get(info.chapter, 0)
        for line in info.lines:
            if line.chapter:
                counted[line.chapter] = counted.get(line.chapter, 0) + len(ALNUM.findall(line.text))
        pages.append(info)
    _number_folios(pages)
    return pages


def _number_folios(pages: list[Page]) -> None:
    """The page numbers print.css prints: the front matter in roman numerals, then arabic from 1
    at the first page of the main matter. A document without main matter (the draft) counts
    its pages straight through."""
    first = next((page.number for page in pages if page.main), None)
    for page in pages:
        if first is None:
            page.folio = str(page.number)
        elif page.number < first:
            page.folio = roman(page.number)
        else:
            page.folio = str(page.number - first + 1)


def roman(number: int) -> str:
    """Lower-case roman numerals, as CSS's lower-roman writes them."""
    digits = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l")]
    digits += [(40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    out = ""
    for value, letters in digits:
        while number >= value:
            out += letters
            number -= value
    return out


def _walk(box: Any, page: Page, block: Any, chapter: str | None, space_width: float) -> None:
    element = getattr(box, "element", None)
    tag = getattr(box, "element_tag", "") or ""
    if tag.endswith("::marker") or box.is_absolutely_positioned():
        return  # list bullets and numbers are generated, not text; a fixed mark (DRAFT) is not text either
    if element is not None and "chapter" in (element.get("class") or "").split():
        chapter = element.get("id")
    if isinstance(box, boxes.LineBox):
        inline = list(_in_flow(box))
        texts = [t for t in inline if isinstance(t, boxes.TextBox)]
        text = "".join(t.text for t in texts)
        classes = [(b.element.get("class") or "", b.element) for b in inline if getattr(b, "element", None) is not None]
        stretch = 1.0
        spaced = [t for t in texts if t.justification_spacing and " " in t.text]
        if spaced:
            natural = space_width * spaced[0].style["font_size"]
            stretch = (natural + spaced[0].justification_spacing) / natural
        refs = list(dict.fromkeys(e.get("data-n") for c, e in classes if "critic-ref" in c.split()))
        changed = any({"critic-ins", "critic-del"} & set(c.split()) for c, _ in classes)
        top, bottom = box.position_y * PX, (box.position_y + box.height) * PX
        page.lines.append(Line(id(block), tag, text, top, bottom, stretch, chapter, refs, changed))
        return
    if isinstance(box, boxes.BlockBox) and element is not None:
        block = element
    for child in getattr(box, "children", []):
        _walk(child, page, block, chapter, space_width)


def _in_flow(box: Any) -> Any:
    """The boxes inside a line, without floats (a margin note is not part of the line's text)."""
    for child in getattr(box, "children", []):
        if child.is_floated():
            continue
        yield child
        yield from _in_flow(child)


@cache
def space_width_em(font_file: Path) -> float:
    """The width of the font's word space, in ems, from its metrics."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_file, lazy=True)
    glyph = font.getBestCmap()[ord(" ")]
    return float(font["hmtx"][glyph][0]) / float(font["head"].unitsPerEm)


def check(pages: list[Page], pdf: Path, text_block: tuple[float, float], previous: list[str] | None) -> list[Finding]:
    """Layout warnings for one PDF. text_block is (top, bottom) of the text area in points."""
    findings: list[Finding] = []

    def warn(code: str, page: Page, message: str) -> None:
        findings.append(Finding(code, pdf, 0, 0, message, page=page.number))

    for before, after in itertools.pairwise(pages):
        if before.blank or after.blank:
            continue
        last, first = before.lines[-1], after.lines[0]
        if last.block == first.block and last.tag not in HEADINGS:
            if sum(line.block == last.block for line in before.lines) == 1:
                warn("L002", before, f"orphan: the first line of a paragraph is alone at the foot: {_quote(last.text)}")
            if sum(line.block == first.block for line in after.lines) == 1:
                warn("L001", after, f"widow: the last line of a paragraph is alone at the head: {_quote(first.text)}")
        if last.tag in HEADINGS and last.block != first.block:
            warn("L003", before, f"heading stranded at the foot of the page: {_quote(last.text)}")
    height = text_block[1] - text_block[0]
    for index, page in enumerate(pages):
        following = pages[index + 1] if index + 1 < len(pages) else None
        if page.blank:
            # Parity asks for a blank left-hand page before a chapter opening, and for one at the
            # very end to give the book block an even number of pages.
            opening = following is not None and bool(following.chapter) and following.offset == 0
            if page.number % 2 or not (opening or following is None):
                warn("L005", page, "blank page that parity did not ask for")
            continue
        last_of_chapter = following is None or following.blank or following.chapter != page.chapter
        fill = (page.lines[-1].bottom - text_block[0]) / height
        if page.chapter and not last_of_chapter and fill < UNDERFULL:
            warn("L004", page, f"page only {fill:.0%} full")
        for line in page.lines:
            if line.stretch > LOOSE:
                warn("L006", page, f"loose line, word spaces at {line.stretch:.1f}× their width: {_quote(line.text)}")
    if previous is not None:
        moved = [p.number for p, old in zip(pages, previous, strict=False) if p.first_words != old]
        moved += [p.number for p in pages[len(previous) :]]
        if moved:
            findings.append(Finding("L007", pdf, 0, 0, f"page breaks moved since the last build on pages {_ranges(moved)}"))
    return findings


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return f"“{text[:40]}…”" if len(text) > 40 else f"“{text}”"


def _ranges(numbers: list[int]) -> str:
    spans: list[list[int]] = []
    for n in numbers:
        if spans and n == spans[-1][-1] + 1:
            spans[-1].append(n)
        else:
            spans.append([n])
    return ", ".join(f"{s[0]}–{s[-1]}" if len(s) > 1 else str(s[0]) for s in spans)
