"""Headings, whatever scheme the author used.

Authors write a chapter's sections as `#` or as `##` (or start at `###`, as a chapter cut from a
bigger book does). Folio reads the body's top heading level as the section level: the chapter
title is the book's level 1, the body's top level becomes level 2 (numbered 35.1), the next
level 3 (35.1.1), and so on. The same levels drive the contents page, the PDF outline and the
EPUB nav, to `toc_depth` (book.yaml), so the three always agree.

`{.unnumbered}` (or `{-}`) keeps a heading out of the numbering; `{.unlisted}` keeps it out of
the contents as well. A level skipped in the source (`##` then `####`) is a warning with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from folio.checks.findings import Finding

if TYPE_CHECKING:  # manuscript.py and fragment.py import this module, not the other way round
    from folio.project.config import Project
    from folio.project.manuscript import Chapter
    from folio.text.fragment import Heading

XHTML = "http://www.w3.org/1999/xhtml"
NS = {"h": XHTML}

ATX = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*$", re.M)
ATTRIBUTES = re.compile(r"[ \t]*\{([^{}]*)\}[ \t]*$")


@dataclass(frozen=True)
class SourceHeading:
    """A heading as written in the Markdown: where it starts, its level and its text."""

    start: int
    end: int
    level: int
    text: str
    attributes: str = ""


def source_headings(masked: str) -> list[SourceHeading]:
    """ATX (`## Title {#id}`) and setext (`Title` over `===` or `---`) headings of a body whose code
    is already blanked out (Chapter.masked_body), so a `## comment` in an R block is not one."""
    # As Pandoc reads them (blank_before_header): a heading follows a blank line or starts the text.
    found = [_heading(m.start(), m.end(), len(m[1]), m[2]) for m in ATX.finditer(masked) if _after_blank_line(masked, m.start())]
    lines = masked.split("\n")
    offset = 0
    starts = []
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    for index in range(1, len(lines)):
        underline = re.fullmatch(r"[ ]{0,3}(=+|-+)[ \t]*", lines[index])
        text = lines[index - 1]
        before = lines[index - 2] if index >= 2 else ""
        if underline and text.strip() and not before.strip() and not re.match(r"\s*([-*+>#|]|\d+[.)])", text):
            level = 1 if underline[1][0] == "=" else 2
            found.append(_heading(starts[index - 1], starts[index] + len(lines[index]), level, text.strip()))
    return sorted(found, key=lambda h: h.start)


def _after_blank_line(text: str, start: int) -> bool:
    previous = text.rfind("\n", 0, max(start - 1, 0))
    return start == 0 or not text[previous + 1 : start].strip()


def _heading(start: int, end: int, level: int, text: str) -> SourceHeading:
    attributes = ATTRIBUTES.search(text)
    if attributes:
        text = text[: attributes.start()]
    text = re.sub(r"[ \t]+#+$", "", text)  # closing hashes: "## Title ##"
    return SourceHeading(start, end, level, text.strip(), attributes[1] if attributes else "")


def lint(chapter: Chapter) -> list[Finding]:
    """A skipped level (`##` then `####`) is a warning at the heading that skips: the reader's
    contents and the numbering (35.1.0.1) would show the hole."""
    findings = []
    previous = 0
    headings = source_headings(chapter.masked_body)
    top = min((h.level for h in headings), default=1)
    for heading in headings:
        level = heading.level - top + 1
        if previous and level > previous + 1:
            hint = f"make it {'#' * (heading.level - (level - previous - 1))}, or add the level between"
            message = f"heading level skipped: '{heading.text}' is {'#' * heading.level} under a {'#' * (previous + top - 1)}"
            findings.append(Finding("M011", chapter.path, *chapter.position_of(heading.start), message, hint))
        previous = level
    return findings


def lint_book(project: Project, chapters: list[Chapter]) -> list[Finding]:
    """The heading checks of every chapter, and the running heads measured against the line."""
    from folio.render import running_heads

    return [f for chapter in chapters for f in lint(chapter)] + running_heads.check(project, chapters)


@dataclass(frozen=True)
class Entry:
    """One line of the book's contents: a chapter (level 1) or one of its headings (level 2 and
    down). The contents page, the PDF outline and the EPUB nav are all made from these."""

    id: str
    number: str
    title: str
    level: int
    children: list[Entry] = field(default_factory=list)


MATHML = "http://www.w3.org/1998/Math/MathML"


def plain_text(element: etree._Element) -> str:
    """The element's text, a formula in it as its TeX (not MathML's tokens and annotation run
    together): for tables of contents and bookmarks."""
    parts = [element.text or ""]
    for child in element:
        if etree.QName(child).namespace == MATHML:
            annotation = child.xpath(".//m:annotation//text()", namespaces={"m": MATHML})
            parts.append(" ".join("".join(annotation).split()))
        else:
            parts.append(plain_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def number_sections(root: etree._Element, chapter: Chapter) -> list[tuple[str, str, str, int, bool]]:
    """Renumber Pandoc's sections so the body's top level is level 2, and number them from the
    chapter number (35.1, 35.1.1, ...). Returns (id, number, title, level, listed) per heading."""
    sections = []
    for section in root.iter(f"{{{XHTML}}}section"):
        heading = section.find("h:*", NS)
        if heading is not None and re.fullmatch(r"h[1-6]", etree.QName(heading).localname):
            sections.append((section, heading, int(etree.QName(heading).localname[1])))
    if not sections:
        return []
    shift = 2 - min(level for _, _, level in sections)
    found = []
    counters = [0] * 8
    for section, heading, written in sections:
        level = min(6, written + shift)
        heading.tag = f"{{{XHTML}}}h{level}"
        classes = (section.get("class") or "").split() + (heading.get("class") or "").split()
        section.set("class", " ".join([f"level{level}", *(c for c in classes if not c.startswith("level"))]).strip())
        inside_unnumbered = any("unnumbered" in (a.get("class") or "").split() for a in section.iterancestors(f"{{{XHTML}}}section"))
        numbered = "unnumbered" not in classes and not inside_unnumbered and chapter.number is not None and chapter.role == "body"
        title = plain_text(heading).strip()
        number = ""
        if numbered:
            counters[level] += 1
            counters[level + 1 :] = [0] * (8 - level - 1)
            number = ".".join(str(n) for n in [chapter.number, *counters[2 : level + 1]])
            secno = etree.Element(f"{{{XHTML}}}span", {"class": "secno"})
            secno.text = number
            secno.tail = " " + (heading.text or "")
            heading.text = None
            heading.insert(0, secno)
        found.append((section.get("id", ""), number, title, level, "unlisted" not in classes))
    return found


def entries(chapter: Chapter, headings: list[Heading], depth: int) -> Entry:
    """The chapter's entry with its headings nested beneath it, down to `depth` (the chapter is
    level 1). An unlisted heading is left out, and so is everything under it."""
    top = Entry(chapter.id, str(chapter.number) if chapter.label else "", chapter.title, 1)
    stack = [top]
    hidden = 0  # level of the unlisted heading whose subsections are being skipped
    for heading in headings:
        if hidden and heading.level > hidden:
            continue
        hidden = 0 if heading.listed else heading.level
        if heading.level > depth or not heading.listed:
            continue
        entry = Entry(heading.id, heading.number, heading.title, heading.level)
        while len(stack) > 1 and stack[-1].level >= heading.level:
            stack.pop()
        stack[-1].children.append(entry)
        stack.append(entry)
    return top
