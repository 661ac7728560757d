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
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from lxml import etree

from folio.errors import FolioError
from folio.project.manuscript import Chapter
from folio.text import figures, words
from folio.text import headings as heading_scheme

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
    listed: bool = True
    """False for a heading marked {.unlisted}: kept out of the contents, the outline and the nav."""


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

    def contents(self, depth: int) -> heading_scheme.Entry:
        """The chapter's entry in the contents, its headings nested to `depth` (the chapter is 1)."""
        return heading_scheme.entries(self.chapter, self.headings, depth)


def build_fragment(chapter: Chapter, pandoc_html: str, figures_numbered: bool = False) -> Fragment:
    """The chapter's fragment from Pandoc's HTML. Kept for the next time the same chapter comes
    with the same HTML: `folio serve` makes every fragment again after each edit, and this is
    most of a fragment's time (0.25 s of 0.4 s for 160 chapters)."""
    made = _made(tuple(getattr(chapter, f.name) for f in fields(chapter)), pandoc_html, figures_numbered)
    return replace(made, chapter=chapter, headings=list(made.headings), notes=list(made.notes), comments=list(made.comments))


@lru_cache(maxsize=512)
def _made(chapter_fields: tuple[Any, ...], pandoc_html: str, figures_numbered: bool) -> Fragment:
    return _build(Chapter(*chapter_fields), pandoc_html, figures_numbered)


def _build(chapter: Chapter, pandoc_html: str, figures_numbered: bool) -> Fragment:
    try:
        root = etree.fromstring(f'<div xmlns="{XHTML}" xmlns:epub="{EPUB}" class="chapter-body">{pandoc_html}</div>')
    except etree.XMLSyntaxError as exc:
        raise FolioError(f"{chapter.path}: Pandoc's HTML did not parse as XHTML: {exc}") from None
    _free_reserved_ids(root, chapter)
    headings = _number_sections(root, chapter)
    _wrap_opening(root)
    notes = _reshape_notes(root, chapter)
    _localise_quotes(root, chapter.language)
    _html_elements(root)
    figures.reshape(root, chapter, figures_numbered)  # ids, numbers, accessible captions (text/figures.py)
    _typeset(root)
    _math_alttext(root)
    _code_lines(root)
    _break_inline_code(root)
    comments = _anchor_comments(root)
    if notes:
        headings.append(Heading(f"{chapter.id}-notes", "", words.word("notes", chapter.language), 2))
    html = etree.tostring(root, encoding="unicode")
    # The templates' root element declares both namespaces; drop them from the fragment's own root.
    html = re.sub(r'^<div xmlns="[^"]+" xmlns:epub="[^"]+"', "<div", html, count=1)
    return Fragment(chapter, html, headings, notes, comments)


# A typesetter's non-breaking spaces: after an initial ("Graham T. Allison") and between an
# abbreviation and its number ("p. 4", "no. 2933").
NO_BREAK = re.compile(r"(?<![\w.])([A-Z]\.|pp?\.|nos?\.|vols?\.|chap\.|fig\.|§) (?=[\w\d])")
# Where a URL may break (Chicago 14.18): after a double slash or an equals sign; before a single
# slash, a period, a comma, a hyphen, an underscore, a tilde, a question mark, a number sign,
# a percent sign or an ampersand. Never inside the scheme. (Inline code breaks by BREAK, below.)
URL_BREAK = re.compile(r"(?<=//)|(?<==)|(?<![/:])(?=[.,\-_~?#%&]|/(?!/))")


def _typeset(root: etree._Element) -> None:
    for element in root.iter():
        if etree.QName(element).localname in ("code", "pre") or _in_code(element):
            continue
        if element.text:
            element.text = NO_BREAK.sub("\\1\u00a0", element.text)
        if element.tail:
            element.tail = NO_BREAK.sub("\\1\u00a0", element.tail)
    _typeset_urls(root)


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
    """Spell the URL with <wbr/> at its break points, so it breaks cleanly in print. Each piece
    between them is a no-wrap span (class "u"), so the line-breaking rules of Unicode, which allow
    a break after a hyphen or a slash, add none of their own."""
    pieces = [piece for piece in URL_BREAK.split(url) if piece]
    link.text = None
    for index, piece in enumerate(pieces):
        if index:
            etree.SubElement(link, f"{{{XHTML}}}wbr")
        # A piece too long for a line keeps only its first two characters together (no break
        # after its leading slash or hyphen); the rest may break where it must.
        whole = piece if len(piece) <= URL_PIECE_MAX else piece[:2]
        etree.SubElement(link, f"{{{XHTML}}}span", {"class": "u"}).text = whole
        _append_text(link, piece[len(whole) :])


URL_PIECE_MAX = 30
"""Longer pieces of a URL are not kept whole: on a narrow page they would run into the margin."""


def _append_text(parent: etree._Element, text: str) -> None:
    """Text at the end of `parent`, after its last child."""
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


# Raw HTML and URLs (rawhtml) ----------------------------------------------------------------------
# folio/text/markup.lua marks the manuscript's safe HTML elements as spans for the HTML writer;
# here they become the elements again. URLs (in links, in citeproc's notes, or as bare text) are
# set apart as class "url": the stylesheets never hyphenate them, and they break only at
# Chicago's break points (<wbr/>).

VOID_ELEMENTS = ("br", "wbr")
URL_TEXT = re.compile(r"(?:https?://|www\.|doi:|10\.\d{4,9}/)\S+")
BARE_URL = re.compile(r"\b(?:https?://|www\.)[^\s\"]+[^\s\".,;:!?)\]]")


def _free_reserved_ids(root: etree._Element, chapter: Chapter) -> None:
    """The ids Folio gives its own parts (the chapter's title, its notes) are taken back from a
    heading of the author's that Pandoc named the same ('## Notes' is 'ch01-notes'): a duplicate
    id makes the EPUB invalid (EPUBCheck RSC-005). The author's heading and its links move to
    'ch01-notes-1'."""
    ids = {element.get("id") for element in root.iter() if element.get("id")}
    for reserved in (f"{chapter.id}-notes", f"{chapter.id}-title"):
        if reserved not in ids:
            continue
        number = 1
        while f"{reserved}-{number}" in ids:
            number += 1
        for element in root.xpath(".//*[@id=$id]", id=reserved):
            element.set("id", f"{reserved}-{number}")
        for link in root.xpath(".//h:a[@href=$href]", namespaces=NS, href=f"#{reserved}"):
            link.set("href", f"#{reserved}-{number}")


def _html_elements(root: etree._Element) -> None:
    for span in root.xpath(".//h:span[@data-folio-html]", namespaces=NS):
        span.tag = f"{{{XHTML}}}{span.attrib.pop('data-folio-html')}"
        if etree.QName(span).localname not in VOID_ELEMENTS and span.text is None and len(span) == 0:
            span.text = ""  # <abbr></abbr>, not <abbr/>, which an HTML parser reads as an open tag


def _typeset_urls(root: etree._Element) -> None:
    for link in root.iter(f"{{{XHTML}}}a"):
        text = link.text or ""
        if len(link) == 0 and URL_TEXT.fullmatch(text):
            link.set("class", " ".join([*link.get("class", "").split(), "url"]))
            _break_url(link, text)
    for element in list(root.iter()):
        if etree.QName(element).localname in ("code", "pre", "a") or not isinstance(element.tag, str):
            continue
        _wrap_bare_urls(element)


def _wrap_bare_urls(element: etree._Element) -> None:
    """A URL written as plain text (not a link) is set like one: <span class="url">."""
    if element.text and BARE_URL.search(element.text):
        text, element.text = element.text, None
        _insert_urls(element, 0, text, lambda t: setattr(element, "text", (element.text or "") + t))
    for child in list(element):
        if child.tail and BARE_URL.search(child.tail):
            text, child.tail = child.tail, None
            _insert_urls(element, element.index(child) + 1, text, lambda t, c=child: setattr(c, "tail", (c.tail or "") + t))


def _insert_urls(parent: etree._Element, index: int, text: str, put_text) -> None:  # type: ignore[no-untyped-def]
    last = 0
    previous = None
    for match in BARE_URL.finditer(text):
        before = text[last : match.start()]
        if previous is None:
            put_text(before)
        else:
            previous.tail = before
        span = etree.Element(f"{{{XHTML}}}span", {"class": "url"})
        _break_url(span, match[0])
        parent.insert(index, span)
        index += 1
        previous, last = span, match.end()
    if previous is not None:
        previous.tail = text[last:]


def _number_sections(root: etree._Element, chapter: Chapter) -> list[Heading]:
    """Whatever level the author's sections start at, they become level 2 (see text/headings.py)."""
    return [Heading(*found) for found in heading_scheme.number_sections(root, chapter)]


# Languages ---------------------------------------------------------------------------------------


def _localise_quotes(root: etree._Element, language: str) -> None:
    """Pandoc marks quotations as <q> (--html-q-tags); set them with the marks of the language in
    force there (the chapter's, or a span's `lang`), outer and inner quotes alternating."""
    for q in list(root.iter(f"{{{XHTML}}}q")):
        owner = next((e.get("lang") for e in q.iterancestors() if e.get("lang")), None)
        marks = words.quotes(owner or language)
        depth = sum(1 for e in q.iterancestors(f"{{{XHTML}}}q"))
        opening, closing = (marks[0], marks[1]) if depth % 2 == 0 else (marks[2], marks[3])
        q.text = opening + (q.text or "")
        last = q[-1] if len(q) else None
        if last is not None:
            last.tail = (last.tail or "") + closing
        else:
            q.text += closing
    for q in list(root.iter(f"{{{XHTML}}}q")):
        _unwrap(q)


def _unwrap(element: etree._Element) -> None:
    """Replace an element by its content, text and tails kept in place."""
    parent = element.getparent()
    index = parent.index(element)
    text = element.text or ""
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text
    children = list(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    tail = element.tail or ""
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    elif index == 0:
        parent.text = (parent.text or "") + tail
    else:
        parent[index - 1].tail = (parent[index - 1].tail or "") + tail
    parent.remove(element)


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
        title.text = words.word("notes", chapter.language)
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
