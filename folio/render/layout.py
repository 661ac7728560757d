"""Laid-out pages as Folio reads them back from WeasyPrint (render/weasy.py `read_pages`): per text
line, its block, its text, its position and its word-space stretch. The layout checks
(checks/layout.py), the draft's margin and the EPUB's print page numbers all use them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PX = 0.75  # WeasyPrint lays out in CSS px; a point is 4/3 px
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


@dataclass(frozen=True)
class Piece:
    """A part of a book laid out a part at a time (render/parts.py): its PDF, its page count, and
    whether a blank verso goes before it in the book. The printer's file is made of them too."""

    data: bytes
    pages: int
    blank_before: bool


def first_pages(pieces: Sequence[Piece]) -> list[int]:
    """Where each part starts in the book joined from them: its first page's number (from 1)."""
    starts, page = [], 1
    for piece in pieces:
        page += piece.blank_before
        starts.append(page)
        page += piece.pages
    return starts


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


@dataclass
class Laid:
    """A laid-out document: its PDF, its pages read back, and what WeasyPrint warned about.
    `findings` are what a layout pass of Folio's own found: (code, page, message)."""

    data: bytes
    pages: list[Page] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    findings: list[tuple[str, int, str]] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)
    """The parts it was joined from, in order (none: it was laid out in one pass)."""
    fresh_pages: int | None = None
    """Of a book laid out a part at a time: the pages laid out by this run, the others taken from the
    layout cache (None: laid out in one pass)."""


@cache
def space_width_em(font_file: Path) -> float:
    """The width of the font's word space, in ems, from its metrics."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_file, lazy=True)
    glyph = font.getBestCmap()[ord(" ")]
    return float(font["hmtx"][glyph][0]) / float(font["head"].unitsPerEm)


def number_folios(pages: list[Page]) -> None:
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
