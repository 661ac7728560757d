"""The print edition's page numbers in the EPUB: a pagebreak marker where each printed page begins.

The print layout says where each page starts as a count of letters and digits from the start of
its chapter; that count does not change with hyphenation, justification or small capitals, so the
same place can be found in the EPUB's copy of the same chapter fragment. A page that starts in the
middle of a word gets its marker before that word. A blank page (a left-hand page before a chapter
opening) is marked at the end of the chapter before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from folio.render.layout import ALNUM, Page
from folio.text.fragment import EPUB_TYPE, MATHML, XHTML


@dataclass(frozen=True)
class PageTarget:
    number: int
    chapter: str
    offset: int | None  # None: the page is blank; mark it at the end of the chapter
    label: str = ""  # the page number as printed (roman in the front matter); the id keeps the physical count

    @property
    def id(self) -> str:
        return f"page-{self.number}"


def targets(pages: list[Page]) -> list[PageTarget]:
    """Where each numbered page of the print layout starts; front matter before the first chapter has none."""
    found: list[PageTarget] = []
    for page in pages:
        if page.chapter:
            found.append(PageTarget(page.number, page.chapter, page.offset, page.folio or str(page.number)))
        elif page.blank and found:
            found.append(PageTarget(page.number, found[-1].chapter, None, page.folio or str(page.number)))
    return found


def insert_markers(section: etree._Element, pages: list[PageTarget]) -> None:
    """Put a marker at the start of each of these printed pages in the chapter's section."""
    for page in sorted(pages, key=lambda p: (p.offset is None, p.offset or 0), reverse=True):
        # From the last page back, so each insertion leaves earlier offsets where they were.
        marker = etree.Element(f"{{{XHTML}}}span", {"id": page.id, "role": "doc-pagebreak", "aria-label": page.label or str(page.number)})
        marker.set(EPUB_TYPE, "pagebreak")
        if page.offset is None:
            section.append(marker)
        else:
            _insert_at(section, page.offset, marker)


def _insert_at(section: etree._Element, offset: int, marker: etree._Element) -> None:
    if offset == 0:
        marker.tail = section.text
        section.text = None
        section.insert(0, marker)
        return
    seen = 0
    for owner, is_tail in _text_slots(section):
        text = (owner.tail if is_tail else owner.text) or ""
        letters = ALNUM.findall(text)
        if seen + len(letters) <= offset:
            seen += len(letters)
            continue
        position = _index_of_letter(text, offset - seen)
        while position > 0 and ALNUM.match(text[position - 1]):
            position -= 1  # not inside a word: before it
        marker.tail = text[position:]
        if is_tail:
            owner.tail = text[:position]
            owner.addnext(marker)
        else:
            owner.text = text[:position]
            owner.insert(0, marker)
        return
    section.append(marker)  # past the end: the page starts after the chapter's last letter


def _text_slots(element: etree._Element):  # type: ignore[no-untyped-def]
    """(element, is_tail) for every piece of text, in reading order. A formula counts as no
    letters, as in print, where it is a drawing; and a marker cannot go inside its MathML."""
    if etree.QName(element).namespace != MATHML:
        yield element, False
        for child in element:
            yield from _text_slots(child)
            yield child, True


def _index_of_letter(text: str, n: int) -> int:
    """Index in text of its n-th (0-based) letter or digit."""
    for count, match in enumerate(ALNUM.finditer(text)):
        if count == n:
            return match.start()
    return len(text)
