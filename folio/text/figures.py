"""Figures and tables in the chapter fragment, reshaped once for every format.

Pandoc already writes a captioned image as <figure><img/><figcaption/></figure> and a table with its
caption as <table><caption/>. What a book adds:
- every figure and captioned table has an id, so the print layout can move a figure (floats.py) and
  a link can point at it;
- with `figures: numbered` in book.yaml, captions start with "Figure 35.1" / "Table 35.1" (numbered
  per chapter), and a link whose text is just "Figure" or "Table" gets the number too;
- the caption is not hidden from screen readers (Pandoc marks it aria-hidden when it repeats the
  alt text): it is tied to the image with aria-describedby when it says more than the alt text;
- header cells say which way they head (scope), as EPUB accessibility asks.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from lxml import etree

from folio.project.manuscript import Chapter

if TYPE_CHECKING:
    from folio.text.fragment import Fragment

XHTML = "http://www.w3.org/1999/xhtml"
NS = {"h": XHTML}
LABEL_CLASS = "caption-label"
NUMBERED = "numbered"


def reshape(root: etree._Element, chapter: Chapter, numbered: bool) -> None:
    """Give this chapter's figures and tables their ids, numbers and accessible captions."""
    prefix = f"{chapter.number}." if chapter.number is not None else ""
    captioned = 0
    for index, figure in enumerate(root.iter(f"{{{XHTML}}}figure"), start=1):
        figure_id = figure.get("id") or f"{chapter.id}-figure-{index}"
        figure.set("id", figure_id)
        caption = figure.find("h:figcaption", NS)
        if caption is None:
            continue
        caption_text = " ".join("".join(caption.itertext()).split())
        if "aria-hidden" in caption.attrib:
            del caption.attrib["aria-hidden"]
        caption.set("id", f"{figure_id}-caption")
        for img in figure.iter(f"{{{XHTML}}}img"):
            if " ".join(img.get("alt", "").split()) != caption_text:
                img.set("aria-describedby", f"{figure_id}-caption")
        captioned += 1
        if numbered:
            _label(caption, f"Figure\u00a0{prefix}{captioned}", figure_id)
    captioned = 0
    for table in root.iter(f"{{{XHTML}}}table"):
        if table.find("h:colgroup", NS) is not None:
            table.set("class", (table.get("class", "") + " full").strip())  # Pandoc gave relative column widths
        for th in table.xpath("h:thead//h:th", namespaces=NS):
            th.set("scope", "col")
        for th in table.xpath("h:tbody//h:th", namespaces=NS):
            th.set("scope", "row")
        caption = table.find("h:caption", NS)
        if caption is None:
            continue
        captioned += 1
        table_id = table.get("id") or f"{chapter.id}-table-{captioned}"
        table.set("id", table_id)
        if numbered:
            _label(caption, f"Table\u00a0{prefix}{captioned}", table_id)


def _label(caption: etree._Element, label: str, target: str) -> None:
    span = etree.Element(f"{{{XHTML}}}span", {"class": LABEL_CLASS, "data-label": label, "data-for": target})
    span.text = label
    span.tail = " " + (caption.text or "")
    caption.text = None
    caption.insert(0, span)


LABEL = re.compile(r'<span class="caption-label" data-label="([^"]+)" data-for="([^"]+)">')
BARE_LINK = re.compile(r'(<a href="#([^"]+)"[^>]*>)\s*(Figure|Table|figure|table)\s*</a>')


def number_links(fragments: list[Fragment]) -> list[Fragment]:
    """A link whose whole text is "Figure" or "Table" names the number of the figure or table it
    points at ("Figure 35.1"), in any chapter. Links with other words are left as written."""
    labels = {target: label for fragment in fragments for label, target in LABEL.findall(fragment.html)}
    if not labels:
        return fragments

    def fill(match: re.Match[str]) -> str:
        label = labels.get(match[2])
        if label is None:
            return match[0]
        kind, number = label.split("\u00a0", 1)
        return f"{match[1]}{match[3]}\u00a0{number}</a>" if kind.lower() == match[3].lower() else match[0]

    return [replace(fragment, html=BARE_LINK.sub(fill, fragment.html)) for fragment in fragments]
