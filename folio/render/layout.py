"""Laid-out pages as Folio reads them back from WeasyPrint (render/weasy.py `read_pages`): per text
line, its block, its text, its position and its word-space stretch. The layout checks
(checks/layout.py), the draft's margin and the EPUB's print page numbers all use them.
"""

from __future__ import annotations

import re
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


@dataclass
class Page:
    number: int  # the folio: pages are numbered from 1 through the whole book
    chapter: str | None  # id of the chapter whose text is on the page (None: front matter or blank)
    offset: int = 0  # letters and digits of the chapter's text before this page starts
    lines: list[Line] = field(default_factory=list)

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


@cache
def space_width_em(font_file: Path) -> float:
    """The width of the font's word space, in ems, from its metrics."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_file, lazy=True)
    glyph = font.getBestCmap()[ord(" ")]
    return float(font["hmtx"][glyph][0]) / float(font["head"].unitsPerEm)
