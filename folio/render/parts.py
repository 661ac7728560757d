"""A book's layout a part at a time: the front matter and each chapter laid out on its own, in
worker processes, cached, then joined (render/join.py) into the book a single pass would make.
The print layout is made so, and the review draft too (formats/draft.py), whose pages carry no
folio of their own (`Part.folios`): each of its parts is laid out once, wherever it lands.

Why it works: every chapter opens on a recto and its notes are its own, so a chapter's pages do
not depend on the pages before it, except for their folios. Each part is the book's own HTML
(render/document.py `book_html`) with the other parts' elements left out, and one rule added:
its first page's folio (`@page :first { counter-reset: ... }`). A part that ends on a recto is
followed by a blank verso, as `break-before: right` gives in one pass.

The parts follow the template (templates/book.html.j2, print.css), which counts the pages in two
series: the front matter in roman numerals (the `fmpage` counter), and from the first chapter of
`.mainmatter` in arabic from 1 (the `page` counter). The book is cut

- before the first chapter: the title page, the copyright page and the contents page are one part;
- before each front-matter chapter (roman folios, after the contents page);
- before each chapter inside `.mainmatter` (arabic folios), each part wrapped in the same
  `.mainmatter` element, so that its pages are named and tagged as in one pass.

A chapter's arabic folios do not depend on the front matter (the blank verso before the first
chapter keeps their parity), so the chapters are laid out first, side by side. The contents page
comes last: its page numbers (`target-counter` in one pass) are the folios at which the chapters'
anchors landed, given to it as `data-folio` attributes (print.css prints them in place of
`target-counter`). Its length moves only the front-matter chapters after it (and the blank before
the first chapter): when it is not the length they were laid out for, they are laid out again at
their real folios, and the contents page again with their new numbers.

Figures are placed by trial layouts (render/floats.py `settle`) as in one pass, a part at a time:
a figure moves only within its chapter, so settling each chapter on its own settles the book.

The cache (`OUT/.cache/layout/`): each laid-out part is kept as its PDF and its pages (JSON),
under a key of everything that shapes it: the part's HTML (which carries the stylesheets and the
page geometry), the bytes of the fonts and images it reads, Folio's and WeasyPrint's versions,
and the folio it starts on (and, for the contents page, the folios it prints). A part's page count
does not depend on that folio, so the cache also tells where each part will start before anything
is laid out: editing one chapter lays out that chapter again, and the later ones only when the
folio they start on moves. On a cold cache the starting folios are guessed, the parts laid out
side by side, and a part whose guess was wrong is laid out again once the pages before it are
known. The join keeps each part as placed in the book (render/join.py), so joining a book whose
parts are all cached writes it from them (0.08 s for 160 chapters: keeping the joined book as well
cost more to write after each edit than that). An entry whose PDF does not match the hash it was
stored with is made again, never used.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
import re
import shutil
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import partial
from html import escape
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import pikepdf

import folio
from folio import heap
from folio.formats.output import file_hash, write_atomic
from folio.project.config import PageGeometry, Project
from folio.render.document import base_url, body_space_width, book_html, design_folders, reproducible
from folio.render.join import LINK_SCHEME, furniture_as_artifacts, join, links_across, prefix_ids
from folio.render.layout import Laid, Line, Page, Piece, number_folios, roman
from folio.text.fragment import Fragment

CACHE_FORMAT = "5"  # bump when what an entry holds changes
PRIOR_PAGES = 2  # how many pages' worth of weight the first guess of a page's letters keeps
MAX_CONTENTS_RUNS = 4  # the contents page laid out again when its length moved the folios it prints


@dataclass(frozen=True)
class Part:
    html: str
    """The part as a document of its own (the book's head, the part's elements in the body)."""
    opens_recto: bool
    """A chapter or the contents page: it starts on a recto (a blank verso before it when needed)."""
    main: bool = False
    """In the main matter: its pages counted in arabic from the first chapter (else roman, from the title page)."""
    chapters: tuple[str, ...] = ()
    """The ids of the chapters in it (whose figures are settled with it)."""
    contents: bool = False
    """It holds the contents page: laid out last, with the folios where the other parts' anchors landed."""
    folios: bool = True
    """Its layout prints its folios. The review draft's pages are numbered after layout (in its margin
    overlay) and its chapters open on any page: a part of it is laid out at no folio (`first` 1),
    once for wherever it lands."""


@dataclass
class PartLayout:
    first: int
    """The folio of its first page, in its series (roman front matter or arabic main matter)."""
    data: bytes
    pages: list[Page]
    warnings: list[str]
    anchors: dict[str, int] = field(default_factory=dict)
    """Each anchor (id) in the part: the index of the page it is on (0 = the part's first page)."""
    findings: list[tuple[str, int, str]] = field(default_factory=list)
    """What the figure placing found, (code, page in the part from 1, message)."""
    numbers: dict[str, str] = field(default_factory=dict)
    """The contents page: the folios it was laid out with."""


def lay_out_parts(
    project: Project,
    fragments: list[Fragment],
    *,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    template: str = "book.html.j2",
    geometry: PageGeometry | None = None,
    context: dict[str, Any] | None = None,
    folios: bool = True,
) -> Laid:
    """The book laid out in this template (the print design by default), as render/document.py
    `lay_out_book` makes it in one pass, made a part at a time in `jobs` worker processes (0 or
    None: one per core), from `cache_dir` where it can be. `folios=False`: the template prints no
    folios and opens chapters on any page (the review draft), so its parts do not depend on where
    they land (`Part.folios`)."""
    geometry = geometry or project.geometry()
    html = book_html(project, fragments, template, geometry, context)
    parts = split_parts(html, folios)
    design = design_key(project, html)
    keys = [hashlib.sha256(f"{design}\n{part.html}".encode()).hexdigest() for part in parts]
    store = LayoutCache(cache_dir / "layout" / template.split(".")[0]) if cache_dir else None
    counts: dict[int, int] = {}
    if store:
        counts = {i: n for i, key in enumerate(keys) if (n := store.page_count(key)) is not None}
    if sum(i not in counts and not part.contents for i, part in enumerate(parts)) <= 1:
        jobs = 1  # one chapter new to the cache (an edit): laid out here, faster than in a new worker (warm in `folio serve`'s)
    with _Workers(_Book(project, fragments, template, parts, geometry, context or {}), jobs) as workers:
        sizes = [len(_text(part.html)) for part in parts]
        schedule = _Schedule(parts, keys, store, counts, lambda: _guess(parts, sizes, counts, project), workers)
        laid = schedule.run()
    result = assemble(parts, [laid[i] for i in range(len(parts))], store.placed if store else None)
    result.fresh_pages = sum(len(layout.pages) for i, layout in laid.items() if i not in schedule.cached)
    if store:
        store.keep(keys)
    return result


Guess = Callable[[], dict[int, int]]
"""The page counts of the parts not laid out yet, guessed."""


class _Schedule:
    """Which part to lay out next, at which folio, until every part is laid out at its folio.

    A part's folio is exact once the lengths of the parts before it are known (`_before`); until
    then it is guessed. Parts are started in book order, at most one per worker at a time, each at
    the best folio known when it starts, so that on a cold cache a wrong guess costs the parts
    already running, not the rest of the book. A part laid out at a folio that turns out wrong
    gave its length all the same, and is laid out again at the right one. The contents page goes
    last, with the folios of the others (once early, to learn its length, when front-matter
    chapters follow it and the cache does not know it)."""

    def __init__(
        self, parts: list[Part], keys: list[str], store: LayoutCache | None, counts: dict[int, int], guess: Guess, workers: _Workers
    ):
        self.parts, self.keys, self.store, self.counts, self.guess, self.workers = parts, keys, store, counts, guess, workers
        self.laid: dict[int, PartLayout] = {}
        self.cached: set[int] = set()
        """The parts whose layout in `laid` came from the cache."""
        self.running: dict[Future[PartLayout], tuple[int, int, dict[str, str] | None]] = {}
        self.contents_runs = 0

    def run(self) -> dict[int, PartLayout]:
        parts, laid = self.parts, self.laid
        contents = [i for i, part in enumerate(parts) if part.contents]
        others = [i for i in range(len(parts)) if i not in contents]
        idle = 0
        while True:
            known = {**self.guess(), **self.counts}
            _, firsts, _ = place(parts, known)
            exact = [all(j in self.counts for j in _before(parts, i)) for i in range(len(parts))]
            for i in [i for i in laid if exact[i] and laid[i].first != firsts[i]]:
                del laid[i]  # laid out at a folio that a page count learnt since has moved
            busy = {i for i, _, _ in self.running.values()}
            if all(i in laid for i in others):
                numbers = _numbers(parts, laid, known)
                for i in [i for i in contents if i in laid and laid[i].numbers != numbers]:
                    del laid[i]
                if len(laid) == len(parts):
                    return laid  # every part at its folio, the contents page with the folios the book has
                for i in contents:
                    if i not in laid and i not in busy and not self._cached(i, firsts[i], numbers):
                        self.contents_runs += 1
                        if self.contents_runs > MAX_CONTENTS_RUNS:
                            raise AssertionError("the contents page's length does not settle")  # it flips with its own numbers
                        self._start(i, firsts[i], numbers)
            else:
                front_after = any(not parts[j].main for j in others)
                for i in contents:
                    if front_after and i not in self.counts and i not in busy and len(self.running) < self.workers.jobs:
                        self._start(i, firsts[i], None)  # only to learn its length, which moves the front matter after it
                for i in others:
                    if i in laid or i in busy or (exact[i] and self._cached(i, firsts[i], {})):
                        continue
                    if (exact[i] or i not in self.counts) and len(self.running) < self.workers.jobs:
                        self._start(i, firsts[i], {})  # a part whose length is unknown starts now, even at a guessed folio
                    # else: its length is known but not yet where it starts: it waits for the parts before it
            if not self.running:
                idle += 1  # parts taken from the cache: look again (each look takes one at least, or drops one that moved)
                if idle > 2 * len(parts) + 2:
                    raise AssertionError("no part to lay out, and the book not laid out")  # cannot be: a bug
                continue
            idle = 0
            done, _ = wait(self.running, return_when=FIRST_COMPLETED)
            for future in done:
                i, first, printed = self.running.pop(future)
                result = future.result()
                self.counts[i] = len(result.pages)
                if printed is not None:
                    if self.store:
                        self.store.put(self.keys[i], result, _entry_name(first, printed))
                    laid[i] = result  # checked against the page counts now known at the top of the loop
                    self.cached.discard(i)

    def _cached(self, i: int, first: int, numbers: dict[str, str]) -> bool:
        entry = self.store.get(self.keys[i], _entry_name(first, numbers)) if self.store else None
        if entry is not None:
            self.laid[i] = entry
            self.cached.add(i)
            self.counts[i] = len(entry.pages)  # its own pages, whatever the count file said
        return entry is not None

    def _start(self, i: int, first: int, numbers: dict[str, str] | None) -> None:
        self.running[self.workers.submit(i, first, numbers or {})] = (i, first, numbers)


def _entry_name(first: int, numbers: dict[str, str] | None = None) -> str:
    """A part's cache entry at this folio (the contents page: with these folios printed)."""
    if not numbers:
        return str(first)
    return f"{first}-{hashlib.sha256(json.dumps(numbers, sort_keys=True).encode()).hexdigest()[:16]}"


def _before(parts: list[Part], i: int) -> list[int]:
    """The parts whose lengths decide where part i starts: the parts before it in its series (the
    main matter counts from its first chapter), but not the contents page, whose length is taken
    as known (cached or guessed) until it is laid out last, and checked then."""
    return [j for j in range(i) if parts[j].main == parts[i].main and not parts[j].contents]


def place(parts: list[Part], counts: dict[int, int]) -> tuple[list[int], list[int], list[bool]]:
    """Where each part goes, from the page counts of all the parts: its first page in the book
    (from 1), its first folio in its series (roman from the title page, arabic from the first
    chapter), and whether a blank verso goes before it. A recto is an odd page of the book; the
    main matter starts on one, so its arabic folios have the same parity as its pages."""
    pages, firsts, blanks = [], [], []
    page, main_start = 1, 0
    for i, part in enumerate(parts):
        blank = part.opens_recto and page % 2 == 0
        page += blank
        if part.main and not main_start:
            main_start = page
        pages.append(page)
        firsts.append(1 if not part.folios else page - main_start + 1 if part.main else page)
        blanks.append(blank)
        page += counts[i]
    return pages, firsts, blanks


def _numbers(parts: list[Part], laid: dict[int, PartLayout], counts: dict[int, int]) -> dict[str, str]:
    """The folio of every anchor in the book, as the contents page prints it (`target-counter` in
    one pass): roman in the front matter, arabic in the main matter."""
    _, firsts, _ = place(parts, counts)
    numbers: dict[str, str] = {}
    for i, layout in laid.items():
        if parts[i].contents:
            continue
        for anchor, index in layout.anchors.items():
            folio_ = firsts[i] + index
            numbers.setdefault(anchor, str(folio_) if parts[i].main else roman(folio_))
    return dict(sorted(numbers.items()))


def assemble(parts: list[Part], laid: list[PartLayout], placed: Path | None = None) -> Laid:
    """The laid-out parts joined: one PDF, the pages numbered through, blank versos where needed
    (`placed`: where the join keeps each part as placed in the book, render/join.py)."""
    counts = {i: len(layout.pages) for i, layout in enumerate(laid)}
    starts, firsts, blanks = place(parts, counts)
    pages: list[Page] = []
    warnings: list[str] = []
    findings: list[tuple[str, int, str]] = []
    blocks: dict[tuple[int, int], int] = {}
    for i, layout in enumerate(laid):
        assert layout.first == firsts[i], "a part laid out at the wrong folio"
        if blanks[i]:
            pages.append(Page(len(pages) + 1, None, main=bool(pages) and pages[-1].main))
        for page in layout.pages:
            lines = [replace(line, block=blocks.setdefault((i, line.block), len(blocks) + 1)) for line in page.lines]
            pages.append(Page(len(pages) + 1, page.chapter, page.offset, lines, main=page.main))
        warnings += [w for w in layout.warnings if w not in warnings]
        findings += [(code, starts[i] + page - 1, message) for code, page, message in layout.findings]
    number_folios(pages)
    data = join([layout.data for layout in laid], blanks, cache=placed)
    heap.give_back()  # what placing new parts took of pikepdf (all of them, on a cold book), freed (folio/heap.py)
    pieces = [Piece(layout.data, len(layout.pages), blank) for layout, blank in zip(laid, blanks, strict=True)]
    return Laid(data, pages, warnings, findings, pieces)


def _guess(parts: list[Part], sizes: list[int], counts: dict[int, int], project: Project) -> dict[int, int]:
    """Page counts for the parts not laid out yet, by the length of their text (`sizes`): at the
    rate of the chapters whose counts are known, or at first from the text block (a guess only
    costs time: a part laid out at the wrong folio is laid out again)."""
    page, body = project.geometry(), project.config.print
    lines = (page.height - page.top - page.bottom) / body.leading
    letters = (page.width - page.inner - page.outer) / (0.45 * body.font_size)  # an average letter is about 0.45 em
    prior = 0.6 * lines * letters  # letters a page: headings, notes and short lines take the rest (measured)
    opening = prior / 3  # a chapter opens a third down its first page
    known = [(sizes[i] + opening, n) for i, n in counts.items() if not parts[i].contents]
    letters_per_page = (sum(size for size, _ in known) + PRIOR_PAGES * prior) / (sum(n for _, n in known) + PRIOR_PAGES)
    return {i: max(1, round((size + opening) / letters_per_page)) for i, size in enumerate(sizes) if i not in counts}


def _text(html: str) -> str:
    body = html[html.find("<body") :]
    return re.sub(r"<[^>]+>|\s+", "", body)


# Laying a part out (in a worker process) ---------------------------------------------------------


@dataclass
class _Book:
    """What a worker needs to lay out any part: the book (to settle a part's figures, the book's
    HTML is made again with the part's chapters changed) and its parts."""

    project: Project
    fragments: list[Fragment]
    template: str
    parts: list[Part]
    geometry: PageGeometry
    context: dict[str, Any]

    def lay_out(self, index: int, first: int, numbers: dict[str, str]) -> PartLayout:
        """Part `index` laid out from folio `first` (the contents page: printing these folios)."""
        from folio.render import floats, weasy  # WeasyPrint is imported only where a part is laid out

        project, part = self.project, self.parts[index]
        allowed, base = design_folders(project), base_url(project)

        def lay_out_trial(trial_fragments: list[Fragment]) -> weasy.Trial:
            html = part.html
            if trial_fragments != mine:
                changed = {f.chapter.id: f for f in trial_fragments}
                book = [changed.get(f.chapter.id, f) for f in self.fragments]
                book_again = book_html(project, book, self.template, self.geometry, self.context)
                html = split_parts(book_again, part.folios)[index].html
            return weasy.trial(_prepared(html, part, first, numbers), allowed=allowed, base_url=base)

        mine = [f for f in self.fragments if f.chapter.id in part.chapters]
        _, placed = floats.settle(mine, lay_out_trial)
        trial = placed.laid_out or lay_out_trial(mine)
        anchors: dict[str, int] = {}
        for number, page in enumerate(trial.document.pages):
            for anchor in page.anchors:
                anchors.setdefault(anchor, number)
        laid = weasy.write(trial, variant="pdf/ua-1", space_width=body_space_width(project))
        prefix = f"{part.chapters[0] if part.chapters else 'front'}-"
        data = reproducible(laid.data, partial(_finish, prefix=prefix, ids="<th" in part.html))
        return PartLayout(first, data, laid.pages, laid.warnings, anchors, placed.findings, numbers)


def _finish(pdf: pikepdf.Pdf, prefix: str, ids: bool) -> None:
    """A part's PDF made ready for the join: its page furniture artifacts, its links to other parts
    named destinations, its element ids its own."""
    furniture_as_artifacts(pdf)
    links_across(pdf)
    if ids:
        prefix_ids(pdf, prefix)


def _prepared(html: str, part: Part, first: int, numbers: dict[str, str]) -> str:
    """The part's HTML as laid out: its first folio set, and the contents page's folios filled in."""
    if not part.folios:
        return html
    counter = "page" if part.main else "fmpage"
    value = first if part.main else first - 1  # print.css increments fmpage on every front page; `page` counts by itself unless reset
    rule = f"<style>@page :first {{ counter-reset: {counter} {value} }}</style>\n</head>"
    html = html.replace("</head>", rule, 1)
    if part.contents:
        html = LINK_TARGET.sub(lambda m: f'{m[0]} data-folio="{escape(numbers[m[1]])}"' if m[1] in numbers else m[0], html)
    return html


LINK_TARGET = re.compile(rf'\bhref="(?:#|{re.escape(LINK_SCHEME)})([^"]+)"')

_WORKER_BOOK: _Book | None = None


def _start_worker(book: _Book) -> None:
    global _WORKER_BOOK
    _WORKER_BOOK = book


def _lay_out_in_worker(index: int, first: int, numbers: dict[str, str]) -> PartLayout:
    assert _WORKER_BOOK is not None
    return _WORKER_BOOK.lay_out(index, first, numbers)


class _Workers:
    """Worker processes, started when there is more than one part to lay out at once and more than
    one job; each is given the book when it starts (forked: nothing is pickled but the calls and
    the laid-out parts, which come back as bytes and pages, not boxes)."""

    def __init__(self, book: _Book, jobs: int | None):
        self.book = book
        self.jobs = jobs or os.cpu_count() or 1
        self.pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def submit(self, index: int, first: int, numbers: dict[str, str]) -> Future[PartLayout]:
        """Part `index` laid out, in a worker (in this process when there is one job)."""
        if self.jobs <= 1:
            future: Future[PartLayout] = Future()
            future.set_result(self.book.lay_out(index, first, numbers))
            return future
        if self.pool is None:
            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_start_worker, initargs=(self.book,))
        return self.pool.submit(_lay_out_in_worker, index, first, numbers)


# Splitting the book into parts -----------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


TAG = re.compile(
    r"""<!--.*?(?:-->|\Z)|<![^>]*>?|<\?[^>]*>?"""  # a comment, a declaration, a processing instruction
    r"""|<(/?)([a-zA-Z][^\t\n\f\r />]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""",  # a start or end tag, with its attributes
    re.S,
)
ATTRIBUTE_VALUE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?""")
RAW_TEXT = {name: re.compile(rf"</{name}\s*>", re.I) for name in ("script", "style")}  # their content is text up to their end tag


@dataclass
class _TopLevel:
    """Where the body starts and ends, each top-level element of the body, and each element directly
    inside one of class `mainmatter`: (start, end, classes); and where each chapter starts. One pass
    over the book's tags (a regular expression: 0.06 s for a 160-chapter book, where Python's
    HTMLParser took 0.15 s)."""

    body: tuple[int, int] | None = None
    children: list[tuple[int, int, list[str]]] = field(default_factory=list)
    inner: dict[int, list[tuple[int, int, list[str]]]] = field(default_factory=dict)
    """For each top-level `mainmatter` element (by its start), the elements directly inside it."""
    chapters: list[tuple[int, str]] = field(default_factory=list)
    """Each element of class `chapter` with an id, at any depth in the body: (start, id)."""

    @classmethod
    def read(cls, html: str) -> _TopLevel:
        parsed, body_open, depth = cls(), -1, 0
        for start, end, closing, name, attributes in _tags(html):
            if closing:
                if body_open < 0 or name in VOID:
                    continue
                if name == "body":
                    parsed.body = (body_open, start)
                    break
                depth -= 1
                parsed._close(depth, end)
            elif name == "body" and body_open < 0:
                body_open = end
            elif body_open >= 0:
                parsed._open(depth, start, attributes)
                if name in VOID or attributes.endswith("/"):
                    parsed._close(depth, end)
                else:
                    depth += 1
        return parsed

    def _open(self, depth: int, start: int, attributes: str) -> None:
        """An element starts at this depth: note it if it is one we keep, or a chapter."""
        kept = depth == 0 or (depth == 1 and self.children[-1][0] in self.inner)
        if not kept and "chapter" not in attributes:
            return  # most elements: their classes are not read
        classes = _classes(attributes)
        if "chapter" in classes and (id_ := _attribute(attributes, "id")):
            self.chapters.append((start, id_))
        if depth == 0:
            self.children.append((start, -1, classes))
            if "mainmatter" in classes:
                self.inner[start] = []
        elif kept:
            self.inner[self.children[-1][0]].append((start, -1, classes))

    def _close(self, depth: int, end: int) -> None:
        """The element open at this depth ends at `end`."""
        if depth == 0:
            elements = self.children
        elif depth == 1 and self.children and self.children[-1][0] in self.inner:
            elements = self.inner[self.children[-1][0]]
        else:
            return
        if elements and elements[-1][1] < 0:
            start, _, classes = elements[-1]
            elements[-1] = (start, end, classes)


def _tags(html: str) -> Iterator[tuple[int, int, bool, str, str]]:
    """Each start and end tag of the HTML, in order: (start, end, closing, name in lower case,
    attributes); not what a comment, a declaration, a script or a style holds."""
    position = 0
    while tag := TAG.search(html, position):
        start, position = tag.start(), tag.end()
        closing, name, attributes = bool(tag[1]), (tag[2] or "").lower(), tag[3] or ""
        if not name:
            continue  # a comment or a declaration
        yield start, position, closing, name, attributes
        if not closing and name in RAW_TEXT and not attributes.endswith("/"):
            end = RAW_TEXT[name].search(html, position)
            position = end.start() if end else len(html)


def _attribute(attributes: str, wanted: str) -> str | None:
    """The value a start tag's attributes give this attribute (the first, as HTML reads it)."""
    if wanted not in attributes.lower():
        return None
    for name, *values in ATTRIBUTE_VALUE.findall(attributes):
        if name.lower() == wanted:
            return "".join(values)
    return None


def _classes(attributes: str) -> list[str]:
    return (_attribute(attributes, "class") or "").split()


def split_parts(html: str, folios: bool = True) -> list[Part]:
    """The book's HTML as parts, each a document with the book's head: the front matter up to the
    first chapter (title, copyright and contents pages), each front-matter chapter, and each chapter
    of `.mainmatter` in a `.mainmatter` element of its own. What follows a chapter up to the next
    one (back matter Folio makes) goes with it. A top-level element of class `every-page` (a
    fixed element, which one pass draws on every page) goes at the start of every part.
    `folios`: the template prints folios and opens chapters on a recto (`Part.folios`)."""
    parsed = _TopLevel.read(html)
    elements = [*parsed.children, *itertools.chain.from_iterable(parsed.inner.values())]
    if parsed.body is None or any(end < 0 for _, end, _ in elements):
        raise ValueError("the book's HTML has no closed <body> or an element left open")
    body_start, body_end = parsed.body
    every_page, fixed = "", []
    for start, end, classes in parsed.children:
        if "every-page" in classes:
            every_page += html[start:end]
            fixed.append((start, end))
            html = html[:start] + " " * (end - start) + html[end:]  # blanked where it was: the offsets stay
    # Each part's body, whether it opens on a recto, whether it is in the main matter, and the spans of
    # the book's HTML it is made of (where its chapters start tells which are in it).
    bodies: list[tuple[str, bool, bool, list[tuple[int, int]]]] = []
    cut, recto, after_main = body_start, False, False
    for start, end, classes in parsed.children:
        if "mainmatter" in classes:
            bodies.append((html[cut:start], recto, False, [(cut, start)]))
            open_tag = html[start : html.index(">", start) + 1]
            inner_start, inner_end = start + len(open_tag), html.rindex("</", start, end)
            cuts = [a for a, _, inner in parsed.inner[start] if "chapter" in inner][1:]
            for a, b in itertools.pairwise([inner_start, *cuts, inner_end]):
                bodies.append((open_tag + html[a:b] + html[inner_end:end], True, True, [(start, inner_start), (a, b), (inner_end, end)]))
            cut, after_main = end, True  # what follows the main matter goes with its last chapter
        elif "chapter" in classes:
            bodies.append((html[cut:start], recto, False, [(cut, start)]))
            cut, recto = start, True
    if after_main:
        last, opens_recto, main, spans = bodies.pop()
        bodies.append((last + html[cut:body_end], opens_recto, main, [*spans, (cut, body_end)]))
    else:
        bodies.append((html[cut:body_end], recto, False, [(cut, body_end)]))
    chapters = [(at, id_) for at, id_ in parsed.chapters if not any(a <= at < b for a, b in fixed)]
    starts = [at for at, _ in chapters]
    head, tail = html[:body_start], html[body_end:]
    parts = []
    for body, opens_recto, main, spans in bodies:
        if not body.strip():
            continue
        ids = tuple(chapters[i][1] for a, b in spans for i in range(bisect_left(starts, a), bisect_left(starts, b)))
        contents = 'role="doc-toc"' in body
        document = head + every_page + _links_across(body) + tail
        parts.append(Part(document, bool(opens_recto) and folios, main, ids, contents, folios))
    return parts


ID = re.compile(r'\bid="([^"]+)"')
LOCAL_LINK = re.compile(r'\bhref="#([^"]+)"')


def _links_across(body: str) -> str:
    """Links to places in other parts, spelt so that WeasyPrint keeps them (render/join.py)."""
    ids = set(ID.findall(body))
    return LOCAL_LINK.sub(lambda m: m[0] if m[1] in ids else f'href="{LINK_SCHEME}{m[1]}"', body)


def _entry_hash(data: bytes, layout: object) -> str:
    """What an entry holds, hashed: its PDF and the rest (a damaged file of either is caught)."""
    digest = hashlib.sha256(data)
    digest.update(json.dumps(layout, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


# The design: what besides a part's HTML shapes its pages ---------------------------------------

URL = re.compile(r"""(?:\bsrc=["']|url\(["']?)([^"')]+)""")


def design_key(project: Project, html: str) -> str:
    """A hash of what shapes the layout besides the HTML: the bytes of every local file the HTML
    reads (fonts, images), the versions of WeasyPrint and its font tools, and Folio's version and
    the source of its renderer (a change there must not serve pages laid out before it)."""
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for name in ("weasyprint", "pydyf", "fonttools", "pyphen"):
        digest.update(f"{name}={version(name)}\n".encode())
    digest.update(f"folio={folio.__version__}\n".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(f"{source.name}={file_hash(source)}\n".encode())
    base = base_url(project)
    for url in sorted(set(URL.findall(html))):
        absolute = urljoin(base, url.strip())
        if absolute.startswith("file:"):
            digest.update(f"{absolute}={file_hash(Path(unquote(urlparse(absolute).path)))}\n".encode())
    return digest.hexdigest()


# The cache ---------------------------------------------------------------------------------------


PLACED = "placed"  # the folder of the parts as placed in the book by the join


class LayoutCache:
    """Laid-out parts on disk, one folder per template (`OUT/.cache/layout/book/`): `KEY/NAME.pdf`
    and `KEY/NAME.json` (the pages, anchors, warnings and findings, and a sha256 of them and of the
    PDF), NAME being the folio it starts on (and for the contents page, a hash of the folios it
    prints), and `KEY/pages`, the part's page count. Each file is written atomically; an entry
    that does not check out is treated as absent (and replaced when the part is laid out again).
    `placed/` holds the join's own cache (render/join.py)."""

    def __init__(self, root: Path):
        self.root = root
        self.placed = root / PLACED

    def page_count(self, key: str) -> int | None:
        """The page count of this part, from any of its entries (it does not depend on the folio)."""
        try:
            return int((self.root / key / "pages").read_text(encoding="ascii"))
        except (OSError, ValueError):
            return None

    def get(self, key: str, name: str) -> PartLayout | None:
        folder = self.root / key
        try:
            meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
            data = (folder / f"{name}.pdf").read_bytes()
            layout = meta["layout"]
            if meta["sha256"] != _entry_hash(data, layout) or _entry_name(layout["first"], layout["numbers"]) != name:
                return None
            pages = [Page(**{**page, "lines": [Line(**line) for line in page["lines"]]}) for page in layout["pages"]]
            findings = [(str(code), int(page), str(message)) for code, page, message in layout["findings"]]
            anchors, numbers = dict(layout["anchors"]), dict(layout["numbers"])
            return PartLayout(layout["first"], data, pages, list(layout["warnings"]), anchors, findings, numbers)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, layout: PartLayout, name: str) -> None:
        folder = self.root / key
        fields = {**vars(layout), "pages": [{**vars(page), "lines": [vars(line) for line in page.lines]} for page in layout.pages]}
        del fields["data"]  # (dataclasses.asdict, a deep copy, took 0.1 s for a 169-page book)
        meta = {"layout": fields, "sha256": _entry_hash(layout.data, fields)}
        write_atomic(folder / f"{name}.pdf", layout.data)
        write_atomic(folder / f"{name}.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        write_atomic(folder / "pages", str(len(layout.pages)).encode("ascii"))

    def keep(self, keys: Iterable[str]) -> None:
        """Forget the parts this book no longer has (an edited chapter's old layouts)."""
        wanted = {*keys, PLACED}
        for folder in self.root.iterdir() if self.root.is_dir() else []:
            if folder.is_dir() and folder.name not in wanted:
                shutil.rmtree(folder, ignore_errors=True)
