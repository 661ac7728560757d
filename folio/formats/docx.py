"""The review copy for editors who work in Word: OUT/<slug>-review.docx.

It is made from the same review fragments as the draft (one Pandoc conversion a chapter), so its
note text, note numbers and section numbers are the book's. Pandoc's HTML reader turns the
fragments back into a document and its DOCX writer makes Word of it:
- editorial changes (and, with --against, the redline) become Word tracked changes, and comments
  Word comments: the draft's spans are renamed to the ones Pandoc's writer knows;
- each chapter's notes become Word endnotes, numbered from 1 in each chapter as in the book: every
  chapter is a section of its own, and endnote numbering restarts with each section;
- images are embedded at the size the print edition gives them, a figure's caption below it once.
"""

from __future__ import annotations

import base64
import copy
import io
import re
import zipfile

from lxml import etree
from PIL import Image

from folio.checks.resolution import Placed, placed_images
from folio.errors import ConfigError
from folio.formats import Inputs, Rendered
from folio.project.config import Project
from folio.project.manuscript import IMAGE_TYPES
from folio.project.stamp import Stamp
from folio.render.images import print_size
from folio.text.fragment import EPUB, NS, XHTML, Fragment
from folio.text.pandoc import html_to_docx
from folio.tools import version

# Parts of the package that name footnotes, and what each name becomes for endnotes.
RENAMES = [
    (b"w:footnoteReference", b"w:endnoteReference"),
    (b"w:footnotePr", b"w:endnotePr"),
    (b"<w:footnotes ", b"<w:endnotes "),
    (b"</w:footnotes>", b"</w:endnotes>"),
    (b"<w:footnote ", b"<w:endnote "),
    (b"<w:footnote>", b"<w:endnote>"),
    (b"</w:footnote>", b"</w:endnote>"),
    (b"<w:footnote/>", b"<w:endnote/>"),
    (b"footnotes.xml", b"endnotes.xml"),
    (b"wordprocessingml.footnotes+xml", b"wordprocessingml.endnotes+xml"),
    (b"relationships/footnotes", b"relationships/endnotes"),
]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DATA_URL_NAME = re.compile(rb'descr="data:[^"]*"')
"""Pandoc names a picture by its source: for an image carried as a data: URL, nothing useful."""


def render(inputs: Inputs) -> Rendered:
    author, date = _author(inputs.project)
    printed = placed_images(inputs.print.data) if inputs.print is not None else []
    return Rendered(docx(inputs.project, inputs.review, author, date, printed))


def docx(project: Project, fragments: list[Fragment], author: str, date: str, printed: list[Placed] | None = None) -> bytes:
    """The book as one Word document, a chapter a section, its marks as tracked changes by `author`;
    its images at the size `printed` (the print PDF's images, in order) gives them."""
    book = project.config
    chapters = []
    unplaced = list(printed or [])
    for fragment in fragments:
        chapter = fragment.chapter
        heading = f"{chapter.label}: {chapter.title}" if chapter.label else chapter.title
        html = _images(_tracked(fragment.html, author, date), project, unplaced)
        chapters.append(f'<section class="chapter"><h1>{_escape(heading)}</h1>{html}</section>')
    html = (
        f'<html xmlns="{XHTML}" lang="{book.language}"><head><meta charset="utf-8"/><title>{_escape(book.title)}</title>'
        f'<meta name="author" content="{_escape(book.author)}"/></head><body>{"".join(chapters)}</body></html>'
    )
    return endnotes(html_to_docx(html, book.language, project.manuscript_dir), project.build_time())


def _tracked(html: str, author: str, date: str) -> str:
    """A review fragment with the draft's marks as the spans Pandoc's DOCX writer makes Word
    tracked changes and comments of: .insertion and .deletion with
    an author and a date; a comment as .comment-start (holding its text) and .comment-end around the
    text it is about; a highlight without a comment as .mark."""
    root = etree.fromstring(f'<div xmlns="{XHTML}" xmlns:epub="{EPUB}">{html}</div>')
    for ref in root.xpath(".//h:span[@class='critic-ref']", namespaces=NS):
        _remove(ref)  # the comment's number in the text: Word anchors the comment itself
    for title in root.xpath(".//h:h2[@class='notes-title']", namespaces=NS):
        _remove(title)  # Word keeps the notes in its endnote area, under no heading
    for span in root.xpath(".//h:span[@class='critic-ins' or @class='critic-del']", namespaces=NS):
        role = "insertion" if span.get("class") == "critic-ins" else "deletion"
        span.attrib.update({"class": role, "data-author": author, "data-date": date})
    for comment in root.xpath(".//h:span[@class='critic-comment']", namespaces=NS):
        number = comment.get("data-n", "")
        start = etree.Element(f"{{{XHTML}}}span", {"class": "comment-start", "data-id": number, "data-author": author, "data-date": date})
        start.text = " ".join("".join(comment.itertext()).split())
        end = etree.Element(f"{{{XHTML}}}span", {"class": "comment-end", "data-id": number})
        about = root.xpath(f".//h:span[@class='critic-mark'][@data-comment='{number}']", namespaces=NS)
        if about:  # a highlight with a comment: the comment spans the highlighted text
            about[0].addprevious(start)
            about[0].addnext(end)
            end.tail, about[0].tail = about[0].tail, None
            _unwrap(about[0])
        else:
            comment.addprevious(start)
            comment.addprevious(end)
        _remove(comment)
    for mark in root.xpath(".//h:span[@class='critic-mark']", namespaces=NS):
        mark.attrib.clear()
        mark.set("class", "mark")  # a highlight without a comment: Word highlights it
    return etree.tostring(root, encoding="unicode")


def _images(html: str, project: Project, unplaced: list[Placed]) -> str:
    """Each image of the manuscript carried inside the HTML (a data: URL: Pandoc runs sandboxed
    and reads no file but its input) at its printed size, so Word shows the printed book's
    figures; a figure's caption stays Word's caption, below it. The printed size is the print
    PDF's (the next image there with the same pixels: the layout may have shrunk a figure with a
    long caption, render/floats.py), else the print design's rule (render/images.py)."""
    root = etree.fromstring(html)
    manuscript = project.manuscript_dir.resolve()
    geometry = project.geometry()
    measure = geometry.width - geometry.inner - geometry.outer
    block_height = geometry.height - geometry.top - geometry.bottom
    for img in root.iter(f"{{{XHTML}}}img"):
        source = (manuscript / img.get("src", "")).resolve()
        kind = IMAGE_TYPES.get(source.suffix.lower())
        if not source.is_relative_to(manuscript) or not source.is_file() or kind is None:
            continue
        data = source.read_bytes()
        if kind != "image/svg+xml":
            with Image.open(io.BytesIO(data)) as picture:
                pixels = picture.size
            figure = img.getparent() is not None and etree.QName(img.getparent()).localname == "figure"
            font_size = float(project.config.print.font_size)
            width, height = print_size(pixels, measure, block_height, font_size, figure, img.attrib.pop("style", ""))
            placed = next((p for p in unplaced if p.pixels == pixels), None)
            if placed is not None:
                unplaced.remove(placed)
                width, height = placed.size
            img.set("width", f"{width / 72:.3f}in")
            img.set("height", f"{height / 72:.3f}in")
        img.set("src", f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}")
    return etree.tostring(root, encoding="unicode")


def _remove(element: etree._Element) -> None:
    """Take an element out with its text, keeping the text that follows it."""
    _append_text(element, element.tail)
    element.getparent().remove(element)


def _unwrap(element: etree._Element) -> None:
    """Replace an element by what it holds: its text and its children."""
    parent = element.getparent()
    index = parent.index(element)
    children, tail = list(element), element.tail
    _append_text(element, element.text)
    parent.remove(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        children[-1].tail = (children[-1].tail or "") + (tail or "")
    elif index:
        parent[index - 1].tail = (parent[index - 1].tail or "") + (tail or "")
    else:
        parent.text = (parent.text or "") + (tail or "")


def _append_text(element: etree._Element, text: str | None) -> None:
    """Add text just before `element`: to the tail of its previous sibling, or to its parent's text."""
    if not text:
        return
    previous, parent = element.getprevious(), element.getparent()
    if previous is not None:
        previous.tail = (previous.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def endnotes(docx: bytes, stamp: Stamp) -> bytes:
    """The same document with its footnotes as endnotes, numbered from 1 in each chapter: a section
    break before each chapter's heading, and endnote numbering restarting in each section. Its
    dates (the core properties and the zip entries) are the build's stamp: sandboxed Pandoc
    writes 1970 and 1980, which Word shows as the document's creation date."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith((".xml", ".rels")):
                for old, new in RENAMES:
                    data = data.replace(old, new)
            if info.filename == "word/document.xml":
                data = _sections(DATA_URL_NAME.sub(b'descr=""', data))
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", lambda m: m[1] + stamp.iso.encode(), data)
            name = info.filename.replace("footnotes.xml", "endnotes.xml")
            target.writestr(zipfile.ZipInfo(name, stamp.zip), data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _sections(document: bytes) -> bytes:
    """A section for each chapter (a chapter starts at a Heading 1). Pandoc's section properties
    already restart note numbering in each section; every chapter gets a copy of them."""
    root = etree.fromstring(document)
    w = {"w": W}
    body = root.find("w:body", w)
    final = body.find("w:sectPr", w)
    if not final.xpath("w:endnotePr/w:numRestart[@w:val='eachSect']", namespaces=w):
        final.insert(0, etree.fromstring(f'<w:endnotePr xmlns:w="{W}"><w:numRestart w:val="eachSect"/></w:endnotePr>'))
    for heading in body.xpath("w:p[w:pPr/w:pStyle/@w:val='Heading1']", namespaces=w)[1:]:
        paragraph = etree.Element(f"{{{W}}}p")
        etree.SubElement(paragraph, f"{{{W}}}pPr").append(copy.deepcopy(final))
        heading.addprevious(paragraph)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _author(project: Project) -> tuple[str, str]:
    """Who made the changes, for Word's tracked changes: the last commit to the manuscript."""
    try:
        name, date = version.last_author(project.root, "HEAD", "manuscript")
    except ConfigError:
        return "Folio", project.build_time().iso
    return name, re.sub(r"\+00:00$", "Z", date)
