"""Folio's chapter fragment: Pandoc's HTML reshaped once into the form every format uses.

- sections numbered from the chapter number (35.1, 35.2, 35.2.1, ...);
- the text before the first section wrapped as the chapter's opening;
- notes as EPUB 3 / DPUB-ARIA endnotes (an endnote is an <li epub:type="endnote"> in a
  <section role="doc-endnotes">): the call is a link whose own text is the number
  (superscript comes from CSS: a <sup> inside the link breaks Apple Books pop-ups), and each
  note starts with its number as a backlink (Kindle merges notes without one up front).

The fragment is XHTML that also parses as HTML: the EPUB embeds it in XHTML files, WeasyPrint
in one HTML document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from folio.errors import FolioError
from folio.project.manuscript import Chapter
from folio.text import figures

XHTML = "http://www.w3.org/1999/xhtml"
EPUB = "http://www.idpf.org/2007/ops"
NS = {"h": XHTML}
EPUB_TYPE = f"{{{EPUB}}}type"


@dataclass(frozen=True)
class Heading:
    id: str
    number: str
    title: str
    level: int


@dataclass(frozen=True)
class Note:
    number: int
    id: str
    call_id: str
    keys: tuple[str, ...]
    """Citation keys cited in the note (empty for a prose footnote)."""


@dataclass(frozen=True)
class Fragment:
    chapter: Chapter
    html: str
    headings: list[Heading]
    notes: list[Note]
    comments: list[tuple[str, str]] = field(default_factory=list)
    """Editorial comments in the draft: (number, text), numbered from 1 in each chapter."""

    @property
    def notes_id(self) -> str:
        return f"{self.chapter.id}-notes"


def build_fragment(chapter: Chapter, pandoc_html: str, figures_numbered: bool = False) -> Fragment:
    try:
        root = etree.fromstring(f'<div xmlns="{XHTML}" xmlns:epub="{EPUB}" class="chapter-body">{pandoc_html}</div>')
    except etree.XMLSyntaxError as exc:
        raise FolioError(f"{chapter.path}: Pandoc's HTML did not parse as XHTML: {exc}") from None
    headings = _number_sections(root, chapter)
    _wrap_opening(root)
    notes = _reshape_notes(root, chapter)
    figures.reshape(root, chapter, figures_numbered)  # ids, numbers, accessible captions (text/figures.py)
    _typeset(root)
    comments = _anchor_comments(root)
    if notes:
        headings.append(Heading(f"{chapter.id}-notes", "", "Notes", 2))
    html = etree.tostring(root, encoding="unicode")
    # The templates' root element declares both namespaces; drop them from the fragment's own root.
    html = re.sub(r'^<div xmlns="[^"]+" xmlns:epub="[^"]+"', "<div", html, count=1)
    return Fragment(chapter, html, headings, notes, comments)


# A typesetter's non-breaking spaces: after an initial ("Graham T. Allison") and between an
# abbreviation and its number ("p. 4", "no. 2933").
NO_BREAK = re.compile(r"(?<![\w.])([A-Z]\.|pp?\.|nos?\.|vols?\.|chap\.|fig\.|§) (?=[\w\d])")
# Where a URL may break (Chicago 14.18): after a double slash or an equals sign; before a single
# slash, a period, a comma, a hyphen, an underscore, a tilde, a question mark, a number sign,
# a percent sign or an ampersand. Never inside the scheme.
URL_BREAK = re.compile(r"(?<=//)|(?<==)|(?<![/:])(?=[.,\-_~?#%&]|/(?!/))")


def _typeset(root: etree._Element) -> None:
    for element in root.iter():
        if etree.QName(element).localname in ("code", "pre"):
            continue
        if element.text:
            element.text = NO_BREAK.sub("\\1\u00a0", element.text)
        if element.tail:
            element.tail = NO_BREAK.sub("\\1\u00a0", element.tail)
    for link in root.iter(f"{{{XHTML}}}a"):
        text = link.text or ""
        if len(link) == 0 and re.match(r"https?://", text):
            _break_url(link, text)


def _anchor_comments(root: etree._Element) -> list[tuple[str, str]]:
    """An editorial comment (in the draft) leaves its number in the text where it was made; the
    comment itself goes to the margin."""
    comments = []
    for comment in root.xpath(".//h:span[contains(concat(' ', @class, ' '), ' critic-comment ')]", namespaces=NS):
        ref = etree.Element(f"{{{XHTML}}}span", {"class": "critic-ref", "data-n": comment.get("data-n", "")})
        ref.text = comment.get("data-n", "")
        comment.addprevious(ref)
        comments.append((ref.text, " ".join("".join(comment.itertext()).split())))
    return comments


def _break_url(link: etree._Element, url: str) -> None:
    """Spell the URL with <wbr/> at its break points, so it breaks cleanly in print."""
    pieces = [piece for piece in URL_BREAK.split(url) if piece]
    link.text = pieces[0]
    for piece in pieces[1:]:
        etree.SubElement(link, f"{{{XHTML}}}wbr").tail = piece


def _number_sections(root: etree._Element, chapter: Chapter) -> list[Heading]:
    headings = []
    counters = [0] * 7
    for section in root.iter(f"{{{XHTML}}}section"):
        heading = section.find("h:*", NS)
        if heading is None or not re.fullmatch(r"h[1-6]", etree.QName(heading).localname):
            continue
        level = int(etree.QName(heading).localname[1])
        counters[level] += 1
        counters[level + 1 :] = [0] * (7 - level - 1)
        title = "".join(heading.itertext()).strip()
        number = ""
        if chapter.number is not None and level >= 2:
            number = ".".join(str(n) for n in [chapter.number, *counters[2 : level + 1]])
            secno = etree.Element(f"{{{XHTML}}}span", {"class": "secno"})
            secno.text = number
            secno.tail = " " + (heading.text or "")
            heading.text = None
            heading.insert(0, secno)
        headings.append(Heading(section.get("id", ""), number, title, level))
    return headings


def _wrap_opening(root: etree._Element) -> None:
    """The text before the first section is the chapter's opening (set apart in print)."""
    leading = []
    for child in root:
        if etree.QName(child).localname == "section":
            break
        leading.append(child)
    if not leading:
        return
    opening = etree.Element(f"{{{XHTML}}}div", {"class": "opening"})
    root.insert(0, opening)
    for child in leading:
        opening.append(child)


def _reshape_notes(root: etree._Element, chapter: Chapter) -> list[Note]:
    calls = root.xpath(".//h:a[@class='footnote-ref']", namespaces=NS)
    section = root.find("h:section[@role='doc-endnotes']", NS)
    items = section.findall("h:ol/h:li", NS) if section is not None else []
    if len(calls) != len(items):
        raise FolioError(f"{chapter.path}: {len(calls)} note calls but {len(items)} notes in Pandoc's output")
    notes = []
    for number, (call, item) in enumerate(zip(calls, items, strict=True), start=1):
        if call.get("href") != f"#{item.get('id')}":
            raise FolioError(f"{chapter.path}: note call {number} does not point at note {number}")
        parent = call.getparent()
        cites = [parent.get("data-cites", "")] if parent is not None and parent.get("class") == "citation" else []
        cites += item.xpath(".//h:span[@class='citation']/@data-cites", namespaces=NS)
        keys = tuple(dict.fromkeys(key for text in cites for key in text.split()))
        for child in list(call):
            call.remove(child)
        call.attrib.clear()
        call.attrib.update({"class": "noteref", "href": f"#{item.get('id')}", "id": f"{chapter.id}-fnref{number}"})
        call.set(EPUB_TYPE, "noteref")
        call.set("role", "doc-noteref")
        call.text = str(number)
        # No role="doc-endnote": DPUB-ARIA 1.1 deprecates it and EPUBCheck warns. The list item
        # inside role="doc-endnotes" is the endnote; epub:type="endnote" says so to reading systems.
        item.set("class", "note")
        item.set(EPUB_TYPE, "endnote")
        if keys:
            # On the note and on its last paragraph, where the draft prints the keys.
            item.set("data-cites", " ".join(keys))
            for paragraph in item.findall("h:p", NS)[-1:]:
                paragraph.set("data-cites", " ".join(keys))
        for back in item.xpath(".//h:a[@class='footnote-back']", namespaces=NS):
            back.getparent().remove(back)
        backlink = etree.Element(f"{{{XHTML}}}a", {"class": "note-back", "href": f"#{call.get('id')}", "role": "doc-backlink"})
        backlink.text = f"{number}."
        first = item[0] if len(item) and etree.QName(item[0]).localname == "p" else item
        backlink.tail = " " + (first.text or "").lstrip()
        first.text = None
        first.insert(0, backlink)
        notes.append(Note(number, item.get("id", ""), call.get("id", ""), keys))
    if section is not None:
        for rule in section.findall("h:hr", NS):
            section.remove(rule)
        section.attrib.clear()
        section.attrib.update({"class": "endnotes", "id": f"{chapter.id}-notes", "role": "doc-endnotes"})
        section.set(EPUB_TYPE, "endnotes")
        title = etree.Element(f"{{{XHTML}}}h2", {"class": "notes-title"})
        title.text = "Notes"
        section.insert(0, title)
    return notes
