"""Running heads fit on one line: the stylesheet never lets them wrap (white-space: nowrap), so a
head too long for the text block would run into the margin. Measured here, before layout, from
the book face's own metrics; a head that does not fit is a warning naming the chapter and the
key to add (`short_title:`), since only the author can say how to shorten a title.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from folio.checks.findings import Finding
from folio.project.config import Project
from folio.project.manuscript import Chapter
from folio.render.fonts import font_faces

SIZE = 9.0
"""Point size of the running heads (print.css, @page)."""
LETTER_SPACING = 0.05
"""Their letter spacing in ems (print.css)."""


@cache
def _metrics(font_file: Path) -> tuple[dict[int, str], dict[str, int], dict[str, str], float]:
    """The font's character map, advance widths, small-capital substitutions (OpenType `smcp`:
    the running heads are set in small capitals) and units per em."""
    from fontTools.ttLib import TTFont

    font = TTFont(font_file, lazy=True)
    cmap = font.getBestCmap()
    widths = {name: advance for name, (advance, _) in font["hmtx"].metrics.items()}
    small_caps: dict[str, str] = {}
    if "GSUB" in font:
        table = font["GSUB"].table
        for record in table.FeatureList.FeatureRecord:
            if record.FeatureTag != "smcp":
                continue
            for index in record.Feature.LookupListIndex:
                for subtable in table.LookupList.Lookup[index].SubTable:
                    mapping = getattr(getattr(subtable, "ExtSubTable", subtable), "mapping", None)
                    if mapping:
                        small_caps.update(mapping)
    return cmap, widths, small_caps, float(font["head"].unitsPerEm)


def width_pt(text: str, font_file: Path, size: float = SIZE, letter_spacing: float = LETTER_SPACING) -> float:
    """The width of `text` set in small capitals at `size` points, without kerning (a few tenths
    of a point either way, which the margin of error below allows for)."""
    cmap, widths, small_caps, units = _metrics(font_file)
    total = 0.0
    for char in text:
        glyph = cmap.get(ord(char)) or cmap.get(ord("?"), ".notdef")
        glyph = small_caps.get(glyph, glyph)
        total += widths.get(glyph, units / 2) / units + letter_spacing
    return total * size


def measure(project: Project) -> float:
    """The width of the text block in points: what a running head may fill."""
    page = project.geometry()
    return page.width - page.inner - page.outer


def check(project: Project, chapters: list[Chapter]) -> list[Finding]:
    """M013 for each chapter (and the book) whose running head would not fit on its line."""
    face = next(f.path for f in font_faces(project.config.print.font) if f.style == "normal")
    room = measure(project) - 2.0  # a little air: no kerning in the measure
    findings = []
    book = project.config
    head = book.short_title or book.title
    if width_pt(head, face) > room:
        message = f"the book's running head '{head}' is {width_pt(head, face):.0f} pt wide; the line holds {room:.0f} pt"
        findings.append(Finding("M013", project.book_file, 1, 0, message, "add short_title: to book.yaml"))
    for chapter in chapters:
        width = width_pt(chapter.running_head, face)
        if width > room:
            message = f"running head of '{chapter.title}' is {width:.0f} pt wide; the line holds {room:.0f} pt"
            hint = "add short_title: to the chapter's front matter" if not chapter.short_title else "shorten its short_title"
            findings.append(Finding("M013", chapter.path, 1, 0, message, hint))
    return findings
