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


def build_fragment(chapter: Chapter, pandoc_html: str) -> Fragment:
    try:
        root = etree.fromstring(f'<div xmlns="{XHTML}" xmlns:epub="{EPUB}" class="chapter-body">{pandoc_html}</div>')
    except etree.XMLSyntaxError as exc:
        raise FolioError(f"{chapter.path}: Pandoc's HTML did not parse as XHTML: {exc}") from None
    headings = _number_sections(root, chapter)
    _wrap_opening(root)
    notes = _reshape_notes(root, chapter)
    _typeset(root)
    _math_alttext(root)
    _code_lines(root)
    _break_inline_code(root)
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


def _typeset(root: etree._Element) -> None:
    for element in root.iter():
        if etree.QName(element).localname in ("code", "pre") or _in_code(element):
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
    """Spell the URL with its break points, so it breaks cleanly in print (see spell_breaks);
    class "url" tells the stylesheets it is one (no hyphenation, no small capitals)."""
    spell_breaks(link, url)
    link.set("class", " ".join([*(link.get("class") or "").split(), "url"]))


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
        title = plain_text(heading).strip()
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


# Math and code (issue 10) -------------------------------------------------------------------------

MATHML = "http://www.w3.org/1998/Math/MathML"
# Where a URL or inline code may break: after / . - _ = & (and after a space) and before ?,
# never between two of these marks (a "//" or "--" stays whole) and never before the first
# letter or digit. Print sets each piece between break points `white-space: nowrap`, with a
# <wbr/> between pieces: the line breaker's own rules (a break after any hyphen) and hyphenation
# then have no say.
BREAK = re.compile(r"(?<=[/.\-_=& ])(?=[^/.\-_=&? ])|(?<=[^/.\-_=&? ])(?=\?)")
SHORT_CODE = 8
"""A code block of at most this many lines is kept on one page."""


LONGEST_PIECE = 24
"""A piece longer than this (a hash, a long name) may break anywhere as a last resort, rather
than run past the margin."""


def spell_breaks(element: etree._Element, text: str) -> None:
    """The element's text as <span class="nobr"> pieces with a <wbr/> between them."""
    element.text = None
    for number, piece in enumerate(break_points(text)):
        if number:
            etree.SubElement(element, f"{{{XHTML}}}wbr")
        kind = "nobr" if len(piece) <= LONGEST_PIECE else "long"
        etree.SubElement(element, f"{{{XHTML}}}span", {"class": kind}).text = piece


def break_points(text: str) -> list[str]:
    """The text cut at its break points (the pieces joined give it back)."""
    letter = re.compile(r"[^\W_]")  # a letter or digit ("_" is a word character, not a letter)
    cuts = [m.start() for m in BREAK.finditer(text) if letter.search(text, 0, m.start()) and letter.search(text, m.start())]
    return [text[i:j] for i, j in zip([0, *cuts], [*cuts, len(text)], strict=True) if text[i:j]]


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


def _in_code(element: etree._Element) -> bool:
    """Inside code (a highlighted token's span): text there is the program's, spaces and all."""
    return any(etree.QName(a).localname in ("code", "pre") for a in element.iterancestors())


def _math_alttext(root: etree._Element) -> None:
    """Each formula says what it is in words readers can use: its TeX, as `alttext` (EPUB 3
    reading systems that do not render MathML show it; print uses it as the image's alt)."""
    for math in root.iter(f"{{{MATHML}}}math"):
        tex = "".join(math.xpath(".//m:annotation[@encoding='application/x-tex']//text()", namespaces={"m": MATHML}))
        if tex.strip() and not math.get("alttext"):
            math.set("alttext", " ".join(tex.split()))


def _code_lines(root: etree._Element) -> None:
    """Each line of a code block in a <span class="line"> ending in its newline, so print can
    wrap a long line with a hanging indent and mark the continuation; a short block is marked
    to be kept on one page. Pandoc's highlighting already gives one span per line, with an id
    and an empty self-link each: those go (every id would be a PDF destination)."""
    for pre in root.iter(f"{{{XHTML}}}pre"):
        code = pre.find("h:code", NS)
        if code is None:
            continue
        if len(code) and all(etree.QName(child).localname == "span" and child.get("id") for child in code):
            lines = list(code)
            for line in lines:
                del line.attrib["id"]
                anchor = line.find("h:a", NS) if len(line) else None
                if anchor is not None and not (anchor.text or "").strip() and anchor.get("aria-hidden") == "true":
                    _drop_keeping_tail(anchor)
                line.tail = None
        elif len(code) == 0:
            lines = []
            for text in (code.text or "").split("\n"):
                line = etree.Element(f"{{{XHTML}}}span")
                line.text = text
                lines.append(line)
            code.text = None
            for line in lines:
                code.append(line)
        else:
            continue
        for line in lines[:-1]:
            _append_text(line, "\n")  # inside the line: a reader without CSS still sees lines
        for line in lines:
            line.set("class", "line")
            _hang(line)
        if len(lines) <= SHORT_CODE:
            pre.set("class", " ".join([*pre.get("class", "").split(), "short"]))


HANG = 4
"""A wrapped code line continues this many characters further in than the line itself starts."""


def _hang(line: etree._Element) -> None:
    """A line's continuation hangs HANG characters deeper than its own indentation, so that a
    wrapped line never looks like the next, less indented line."""
    text = "".join(line.itertext())
    indent = min(len(text) - len(text.lstrip(" ")), 24)
    if indent:
        line.set("style", f"padding-left: {indent + HANG}ch; text-indent: -{indent + HANG}ch")


def _append_text(element: etree._Element, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


def _drop_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    previous = element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _break_inline_code(root: etree._Element) -> None:
    """Inline code (not code blocks) with <wbr/> at its break points."""
    for code in root.iter(f"{{{XHTML}}}code"):
        parent = code.getparent()
        if len(code) or not code.text or (parent is not None and etree.QName(parent).localname == "pre"):
            continue
        spell_breaks(code, code.text)
