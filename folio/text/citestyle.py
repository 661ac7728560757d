"""Citation styles of every class: what Pandoc's citeproc is asked for, and the reference lists.

The class comes from the CSL file's `<category citation-format="..."/>`:
- `note` (Chicago notes, the default): citations become numbered endnotes, no reference list;
- anything else is *in-text*: `author-date` (APA, Chicago author-date), `numeric` (IEEE,
  Vancouver, Cell), `label`, `author`. Citations stay in the text, each linked to its entry
  (`link-citations`), and a reference list (`role="doc-bibliography"`) is printed at the end of
  each chapter (`references: chapter`) or once, after the last chapter (`references: book`): as a
  part of its own titled "References", or, where the manuscript ends with an empty heading such as
  "# References" (Pandoc's convention for where its list goes), under that heading.

Pandoc runs once per chapter (in parallel, cached), but a numeric style numbers sources in the
order they are first cited, and an author-date style tells "2020a" from "2020b" over all the
sources it sees. So that every chapter agrees with the book's one list, with `references: book`
each chapter is converted with a hidden prelude that cites the book's sources in first-citation
order (`[@k1] [@k2] ...`), removed again from Pandoc's HTML; the book's list is made from the same
prelude. A source is then "[4]" in every chapter and in the list. A numeric style needs only the
sources first cited before the chapter, an author-date style all of them (`preludes`). The price:
citeproc takes a citation of a source already in the prelude for a subsequent one (position-
dependent forms such as "ibid." in an in-text style may differ), and each chapter formats the
prelude's citations too (about 0.7 s more per chapter for 500 sources, measured under load).

With `references: chapter` each chapter stands alone: numbers restart at [1] in each chapter,
matching that chapter's own list, which an empty "References" heading at its end also takes.

The Word copy is one Pandoc run over the whole book: its in-text list always comes at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from folio.checks.citations import KEY
from folio.errors import FolioError
from folio.project.config import Project
from folio.project.manuscript import Chapter, mask_code
from folio.text import crossref
from folio.text.fragment import EPUB, EPUB_TYPE, NS, XHTML, Fragment, Heading
from folio.text.words import word

NOTE = "note"
PRELUDE_CLASS = "folio-cited"
PRELUDE = re.compile(rf'<div class="{PRELUDE_CLASS}">.*?</div>\n?', re.S)


@cache
def citation_format(csl: Path) -> str:
    """The style's class as the CSL file declares it (note, author-date, numeric, label, author)."""
    match = re.search(r'<category\s+citation-format="([^"]+)"', csl.read_text(encoding="utf-8"))
    return match[1] if match else NOTE


@dataclass(frozen=True)
class Citeproc:
    """What citeproc needs for one book: its sources, its style, and where references go."""

    bibliographies: tuple[Path, ...]
    csl: Path
    style: str
    """The style's class: note, author-date, numeric, ..."""
    per_chapter: bool
    """`references: chapter`: each chapter ends with the list of the sources it cites."""

    @property
    def in_text(self) -> bool:
        return self.style != NOTE

    @property
    def book_list(self) -> bool:
        """One reference list after the last chapter (an in-text style with `references: book`)."""
        return self.in_text and not self.per_chapter

    def sources(self) -> list[str]:
        """citeproc with the book's sources and style, and nothing more (a list of entries as written)."""
        return ["--citeproc", *(f"--bibliography={path}" for path in self.bibliographies), f"--csl={self.csl}"]

    def arguments(self) -> list[str]:
        """Pandoc's citeproc options for a chapter."""
        arguments = self.sources()
        if self.in_text:
            # Pandoc links citations only when it also makes the list; with one list for the book,
            # each chapter's own is dropped again (`place_reference_list`).
            arguments.append("--metadata=link-citations=true")
        else:
            arguments.append("--metadata=suppress-bibliography=true")
        return arguments


def settings(project: Project) -> Citeproc:
    config = project.config
    return Citeproc(tuple(project.bibliographies), project.csl_path, citation_format(project.csl_path), config.references == "chapter")


def cited_keys(texts: list[str]) -> list[str]:
    """Every source cited in these texts, once, in the order of first citation."""
    keys = (match[1] or match[2] for text in texts for match in KEY.finditer(mask_code(text)))
    return list(dict.fromkeys(key for key in keys if not crossref.is_crossref(key)))


def preludes(citeproc: Citeproc, texts: list[str]) -> tuple[list[str], list[str]]:
    """The book's cited sources in first-citation order, and the prelude each chapter (these texts, in
    reading order) is converted with. A numeric style needs only the sources cited before the
    chapter (its own come next in order anyway), so the first chapter needs none; an author-date
    style needs them all, to tell "2020a" from "2020b" as the book's list does."""
    if not citeproc.book_list:
        return [], [""] * len(texts)
    keys = cited_keys(texts)
    if citeproc.style != "numeric":
        return keys, [prelude(keys)] * len(texts)
    return keys, [prelude(cited_keys(texts[:index])) for index in range(len(texts))]


def prelude(keys: list[str]) -> str:
    """Markdown that cites these sources in this order, to go before a chapter (see the docstring)."""
    if not keys:
        return ""
    return f"::: {{.{PRELUDE_CLASS}}}\n" + " ".join(f"[@{key}]" for key in keys) + "\n:::\n\n"


def strip_prelude(html: str) -> str:
    return PRELUDE.sub("", html, count=1)


def place_reference_list(fragment: Fragment, language: str, keep: bool) -> Fragment:
    """`references: chapter` (`keep`): Pandoc leaves its list inside the chapter's last section; it goes
    to the end of the chapter, after the notes, as a section of its own with a heading (or under the
    chapter's own empty "References" heading, if it ends with one). With one list for the book, the
    chapter's is dropped: its citations link to the book's list instead."""
    declared = f'<div xmlns="{XHTML}" xmlns:epub="{EPUB}"'
    root = etree.fromstring(fragment.html.replace("<div", declared, 1))
    refs = root.find(f".//h:div[@id='{fragment.chapter.id}-refs']", NS)
    if refs is None:
        return fragment
    section_id = f"{fragment.chapter.id}-references"
    title = word("references", language)
    refs.getparent().remove(refs)
    empty = _empty_list_heading(root, language) if keep else None
    if empty is not None:
        _fill(*empty, refs)
        keep = False  # the author's heading is in the headings already
    elif keep:
        root.append(_list_section(refs, section_id, title, heading=True))
    html = re.sub(r'^<div xmlns="[^"]+" xmlns:epub="[^"]+"', "<div", etree.tostring(root, encoding="unicode"), count=1)
    headings = [*fragment.headings, Heading(section_id, "", title, 2)] if keep else fragment.headings
    return replace(fragment, html=html, headings=headings)


def _list_section(refs: etree._Element, section_id: str, title: str, *, heading: bool) -> etree._Element:
    """<section role="doc-bibliography"> around Pandoc's list of entries."""
    section = etree.Element(
        f"{{{XHTML}}}section", {"class": "references", "id": section_id, "role": "doc-bibliography"}, nsmap={None: XHTML, "epub": EPUB}
    )
    section.set(EPUB_TYPE, "bibliography")
    if heading:
        h2 = etree.SubElement(section, f"{{{XHTML}}}h2", {"class": "references-title", "id": f"{section_id}-title"})
        h2.text = title
        section.set("aria-labelledby", f"{section_id}-title")
    refs.tail = None
    section.append(refs)
    _encode_links(section)
    return section


def _fill(section: etree._Element, heading: etree._Element, refs: etree._Element) -> None:
    """The author's own empty "References" section takes the list."""
    section.set("role", "doc-bibliography")
    section.set(EPUB_TYPE, "bibliography")
    if heading.get("id") is None:
        heading.set("id", f"{section.get('id')}-title")
    section.set("aria-labelledby", heading.get("id", ""))
    _encode_links(refs)
    section.append(refs)


def _encode_links(element: etree._Element) -> None:
    for link in element.iter(f"{{{XHTML}}}a"):
        link.set("href", valid_url(link.get("href", "")))


def valid_url(href: str) -> str:
    """A DOI such as 10.1890/0012-9658(1999)080[1495:TRATSA]2.0.CO;2 holds characters a URL may not
    (EPUBCheck RSC-020): percent-encode them; the visible text is left as it is."""
    return quote(href, safe=":/?#@!$&'()*+,;=%~")


# Headings under which an author leaves Pandoc room for its list (an empty "# References" at the
# end of the manuscript, as Pandoc's own convention has it).
LIST_TITLES = {"references", "bibliography", "works cited", "literature cited", "sources"}


def add_book_list(project: Project, citeproc: Citeproc, keys: list[str], fragments: list[Fragment]) -> list[Fragment]:
    """`references: book`: the book's reference list after the last chapter. Where the last chapter
    ends with an empty heading such as "References" (Pandoc's convention), the list goes under it;
    otherwise it is a fragment of its own, so the PDF, the EPUB, the contents and the running heads
    treat it like a chapter."""
    if not keys or not citeproc.book_list or not fragments:
        return fragments
    language = project.config.language
    last = fragments[-1]
    declared = f'<div xmlns="{XHTML}" xmlns:epub="{EPUB}"'
    root = etree.fromstring(last.html.replace("<div", declared, 1))
    empty = _empty_list_heading(root, language)
    if empty is not None:
        _fill(*empty, _book_list(project, citeproc, keys, last.chapter.id))
        html = re.sub(r'^<div xmlns="[^"]+" xmlns:epub="[^"]+"', "<div", etree.tostring(root, encoding="unicode"), count=1)
        return [*fragments[:-1], replace(last, html=html)]
    title = word("references", language)
    # Back matter, as a bibliography is: the EPUB says so (epub:type="backmatter"), print sets it so.
    chapter = Chapter(citeproc.bibliographies[0], last.chapter.position + 1, title, None, "", 1, role="back")
    listing = _list_section(_book_list(project, citeproc, keys, chapter.id), f"{chapter.id}-references", title, heading=False)
    listing.set("aria-labelledby", f"{chapter.id}-title")
    markup = re.sub(r'^<section xmlns="[^"]+" xmlns:epub="[^"]+"', "<section", etree.tostring(listing, encoding="unicode"), count=1)
    return [*fragments, Fragment(chapter, f'<div class="chapter-body">{markup}</div>', [], [])]


def _empty_list_heading(root: etree._Element, language: str) -> tuple[etree._Element, etree._Element] | None:
    """The chapter's last section, when it holds nothing but a heading titled like a reference list."""
    sections = [s for s in root.iter(f"{{{XHTML}}}section") if s.get("role") != "doc-endnotes"]
    if not sections or len(sections[-1]) != 1:
        return None
    section, heading = sections[-1], sections[-1][0]
    title = "".join(t for t in heading.itertext() if t.strip() and not re.fullmatch(r"[\d.]+", t.strip())).strip().lower()
    names = LIST_TITLES | {word("references", language).lower()}
    return (section, heading) if re.fullmatch(r"h[1-6]", etree.QName(heading).localname) and title in names else None


def _book_list(project: Project, citeproc: Citeproc, keys: list[str], prefix: str) -> etree._Element:
    """Pandoc's list of these sources, cited in this order, with ids `PREFIX-ref-KEY`."""
    from folio.text.pandoc import run

    arguments = ["--from=markdown", "--to=html5", "--sandbox", "--citeproc", f"--csl={citeproc.csl}"]
    arguments += [f"--bibliography={path}" for path in citeproc.bibliographies]
    html, _ = run([*arguments, f"--metadata=lang={project.config.language}", f"--id-prefix={prefix}-", "--wrap=none"], prelude(keys))
    root = etree.fromstring(f'<div xmlns="{XHTML}">{strip_prelude(html)}</div>')
    refs = root.find(f"h:div[@id='{prefix}-refs']", NS)
    if refs is None:
        raise FolioError(f"Pandoc made no reference list for {len(keys)} cited source(s)")
    refs.tail = None
    return refs
