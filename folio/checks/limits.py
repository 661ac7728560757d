"""Limits on the size of what a book may hold, checked before anything is converted or laid out.

A publisher's build server takes manuscripts from many hands: a chapter pasted twice over, a table
exported from a database, a scan at full resolution. WeasyPrint keeps the whole document in memory
(about 0.7 MB a page) and decodes every image whole, so past some size a build does not fail, it
takes the machine down with it. These limits are far beyond any real book, and each is reported
as a finding on the file and line that crossed it (README.md, "Limits"):

- Z001: a chapter file bigger than 2 MB (a 300,000-word chapter, about a thousand printed pages);
- Z002: a table of more than 1,000 rows (about 25 printed pages of one table);
- Z003: an image of more than 40 megapixels (an 8 x 10 in plate at 600 ppi is 29), read from the
  image's header, never decoded (Pillow's decompression-bomb guard stops only at 179).

And S003, a control character in a chapter's text, which no output can hold.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from folio.checks.findings import Finding

if TYPE_CHECKING:
    from folio.project.manuscript import Chapter

CHAPTER_BYTES = 2 * 1024 * 1024
TABLE_ROWS = 1000
IMAGE_PIXELS = 40_000_000

PIPE_ROW = re.compile(r"^[ \t]*\|.*\|")  # two bars at least: "| a line" alone is a line block, a poem's line
GRID_RULE = re.compile(r"^[ \t]*\+[-=:+]+\+[ \t]*$")
RULE_ONLY = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$")


def chapter_too_big(path: Path) -> Finding | None:
    """Z001 when the file is bigger than CHAPTER_BYTES (checked from its size, before it is read)."""
    size = path.stat().st_size
    if size <= CHAPTER_BYTES:
        return None
    hint = "split it into chapters of their own in book.yaml"
    return Finding("Z001", path, 1, 1, f"chapter file of {size:,} bytes, more than the limit of {CHAPTER_BYTES:,}", hint)


def table_rows(path: Path, text: str, first_line: int = 1) -> list[Finding]:
    """Z002 for each pipe or grid table of more than TABLE_ROWS rows, on the table's first line.
    `text` is the chapter's body with code masked, starting at `first_line` of the file. A pipe
    table's rows are its lines but the rule under the header; a grid table's, its rules less one."""
    findings = []
    start = cells = rules = 0
    for index, line in enumerate([*text.split("\n"), ""]):
        if GRID_RULE.match(line):
            start, rules = (index if not (cells or rules) else start), rules + 1
            continue
        if PIPE_ROW.match(line):
            start = index if not (cells or rules) else start
            cells += 0 if RULE_ONLY.match(line) else 1
            continue
        rows = rules - 1 if rules else cells
        if rows > TABLE_ROWS:
            hint = "split the table, or give its data as a file readers can download"
            message = f"table of {rows:,} rows, more than the limit of {TABLE_ROWS:,}"
            findings.append(Finding("Z002", path, first_line + start, 1, message, hint))
        cells = rules = 0
    return findings


CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Characters XML 1.0 forbids (every C0 control but tab and line breaks): a NUL pasted from a
database export, an escape sequence copied from a terminal. No EPUB, ONIX record or Word file can
hold them, and Pandoc passes them through."""


def control_characters(chapter: Chapter) -> list[Finding]:
    """S003 for the first control character on each line of the chapter's body."""
    findings, lines = [], set()
    for match in CONTROL.finditer(chapter.body):
        line, col = chapter.position_of(match.start())
        if line not in lines:
            lines.add(line)
            message = f"control character U+{ord(match[0]):04X} in the text"
            findings.append(Finding("S003", chapter.path, line, col, message, "delete it: no book can print it"))
    return findings


def image_pixels(path: Path) -> str | None:
    """Why this image is too big to lay out, or None. Only its header is read."""
    guard, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # the header only: Pillow's own guard need not fire
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as picture:
                width, height = picture.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # not an image Pillow reads (SVG): its own checks say so
    finally:
        Image.MAX_IMAGE_PIXELS = guard
    if width * height > IMAGE_PIXELS:
        megapixels = width * height / 1e6
        return f"image of {width:,} x {height:,} px ({megapixels:.0f} megapixels), more than the limit of {IMAGE_PIXELS / 1e6:.0f}"
    return None
