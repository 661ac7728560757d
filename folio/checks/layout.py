"""What a typesetter checks on laid-out pages (render/layout.py's Page and Line, not the PDF).

Findings are warnings with page numbers: widows, orphans, stranded headings, underfull pages,
blank pages that parity did not ask for, loose lines, and page breaks that moved since last time.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from folio.checks.findings import Finding
from folio.render.layout import Page

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
UNDERFULL = 0.25  # a page less full than this (other than a chapter's last) is worth a look
LOOSE = 2.0  # a word space stretched past this multiple of its natural width is a loose line


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
