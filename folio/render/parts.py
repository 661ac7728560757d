"""The print layout a part at a time: the front matter and each chapter laid out on its own, in
worker processes, cached, then joined (render/join.py) into the book a single pass would make.

Why it works: every chapter opens on a recto and its notes are its own, so a chapter's pages do
not depend on the pages before it, except for their folios. Each part is the book's own HTML
(render/document.py `book_html`) with the other parts' elements left out, and one rule added:
its first page's folio (`@page :first { counter-reset: page N }`). A part that ends on a recto
is followed by a blank verso, as `break-before: right` gives in one pass.

Where the parts are cut: before each top-level element of class `chapter`. What comes before
the first chapter is the front matter; anything after a chapter that is not a chapter (back
matter) stays with it, so it is laid out exactly as in one pass.

The cache (`OUT/.cache/layout/`): each laid-out part is kept as its PDF and its pages (JSON),
under a key of everything that shapes it: the part's HTML (which carries the stylesheets and the
page geometry), the bytes of the fonts and images it reads, Folio's and WeasyPrint's versions,
and the folio it starts on. A part's page count does not depend on that folio, so the cache also
tells where each part will start before anything is laid out: editing one chapter lays out that
chapter again, and the later ones only when the folio they start on moves. On a cold cache the
starting folios are guessed, the parts laid out side by side, and a part whose guess was wrong
is laid out again once the pages before it are known. The joined book is kept too, under the
keys and folios of its parts, so a build with nothing changed neither lays out nor joins. An
entry whose PDF does not match the hash it was stored with is made again, never used.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import cache
from html.parser import HTMLParser
from importlib.metadata import version
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import folio
from folio.formats.output import write_atomic
from folio.project.config import Project
from folio.render.document import base_url, body_space_width, book_html, design_folders, reproducible
from folio.render.join import LINK_SCHEME, furniture_as_artifacts, join
from folio.render.layout import Line, Page
from folio.render.weasy import Laid
from folio.text.fragment import Fragment

CACHE_FORMAT = "4"  # bump when what an entry holds changes


@dataclass(frozen=True)
class Part:
    html: str
    """The part as a document of its own (the book's head, the part's elements in the body)."""
    opens_recto: bool
    """A chapter: it starts on an odd folio (a blank verso before it when needed)."""


@dataclass
class PartLayout:
    first: int
    """The folio of its first page."""
    data: bytes
    pages: list[Page]
    warnings: list[str]


def lay_out_parts(
    project: Project,
    fragments: list[Fragment],
    *,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    template: str = "book.html.j2",
) -> Laid:
    """The print layout (as formats/pdf.py `lay_out_print` makes it in one pass), made a part at a
    time in `jobs` worker processes (default: one per core), from `cache_dir` where it can be."""
    html = book_html(project, fragments, template, project.geometry())
    parts = split_parts(html)
    design = design_key(project, html)
    keys = [hashlib.sha256(f"{design}\n{part.html}".encode()).hexdigest() for part in parts]
    store = LayoutCache(cache_dir / "layout" / template.split(".")[0]) if cache_dir else None
    counts: dict[int, int] = {}
    if store:
        counts = {i: n for i, key in enumerate(keys) if (n := store.page_count(key)) is not None}
    if store and len(counts) == len(parts):  # every part's length known: the joined book may be cached whole
        book_key = _book_key(keys, start_folios(parts, counts, {})[0])
        cached = store.get_book(book_key)
        if cached is not None:
            store.keep(keys, book_key)
            return cached
    laid: dict[int, PartLayout] = {}
    allowed = design_folders(project)
    options = (tuple(allowed), base_url(project), body_space_width(project))
    while len(laid) < len(parts):
        starts, _ = start_folios(parts, counts, _guess(parts, counts, project))
        todo = []
        for i in range(len(parts)):
            if i in laid:
                continue
            exact = all(j in counts for j in range(i))
            entry = store.get(keys[i], starts[i]) if store and exact else None
            if entry is not None:
                laid[i] = entry
                counts[i] = len(entry.pages)  # its own pages, whatever the count file said
            elif exact or i not in counts:
                todo.append(i)  # a part whose length is unknown is laid out now, even at a guessed folio
            # else: its length is known but not yet where it starts: wait for the parts before it
        known, _ = start_folios(parts, counts, {})
        stale = [i for i in laid if all(j in counts for j in range(i)) and laid[i].first != known[i]]
        for i in stale:
            del laid[i]  # taken from the cache at a folio that a page count read from the cache got wrong
        if stale or not todo:
            continue
        results = _map(_lay_out_part, [(parts[i].html, starts[i], options) for i in todo], jobs)
        for i, result in zip(todo, results, strict=True):
            counts[i] = len(result.pages)
            if store:
                store.put(keys[i], result)
        known, _ = start_folios(parts, counts, {})
        for i, result in zip(todo, results, strict=True):
            if known[i] == result.first:
                laid[i] = result
    book = assemble(parts, [laid[i] for i in range(len(parts))])
    if store:
        book_key = _book_key(keys, [laid[i].first for i in range(len(parts))])
        store.put_book(book_key, book)
        store.keep(keys, book_key)
    return book


def _book_key(keys: list[str], starts: list[int]) -> str:
    return hashlib.sha256("\n".join(f"{key} {first}" for key, first in zip(keys, starts, strict=True)).encode()).hexdigest()


def assemble(parts: list[Part], laid: list[PartLayout]) -> Laid:
    """The laid-out parts joined: one PDF, the pages numbered through, blank versos where needed."""
    counts = {i: len(layout.pages) for i, layout in enumerate(laid)}
    starts, blanks = start_folios(parts, counts, {})
    pages: list[Page] = []
    warnings: list[str] = []
    blocks: dict[tuple[int, int], int] = {}
    for i, layout in enumerate(laid):
        assert layout.first == starts[i], "a part laid out at the wrong folio"
        if blanks[i]:
            pages.append(Page(len(pages) + 1, None))
        for page in layout.pages:
            lines = [Line(**{**asdict(line), "block": blocks.setdefault((i, line.block), len(blocks) + 1)}) for line in page.lines]
            pages.append(Page(len(pages) + 1, page.chapter, page.offset, lines))
        warnings += [w for w in layout.warnings if w not in warnings]
    data = join([layout.data for layout in laid], blanks)
    return Laid(data, pages, warnings)


def start_folios(parts: list[Part], counts: dict[int, int], guesses: dict[int, int]) -> tuple[list[int], list[bool]]:
    """Each part's first folio, and whether a blank verso goes before it, from the page counts
    of the parts before it (known, or guessed)."""
    starts, blanks = [], []
    folio_ = 1
    for i, part in enumerate(parts):
        blank = part.opens_recto and folio_ % 2 == 0
        folio_ += blank
        starts.append(folio_)
        blanks.append(blank)
        folio_ += counts.get(i, guesses.get(i, 1))
    return starts, blanks


def _guess(parts: list[Part], counts: dict[int, int], project: Project) -> dict[int, int]:
    """Page counts for the parts not laid out yet, by the length of their text: at the rate of the
    parts whose counts are known, or at first from the text block (a guess only costs time: a part
    laid out at the wrong folio is laid out again)."""
    known = [(len(_text(parts[i].html)), n) for i, n in counts.items()]
    if known:
        letters_per_page = sum(size for size, _ in known) / max(1, sum(n for _, n in known))
    else:
        page, body = project.geometry(), project.config.print
        lines = (page.height - page.top - page.bottom) / body.leading
        letters = (page.width - page.inner - page.outer) / (0.45 * body.font_size)  # an average letter is about 0.45 em
        letters_per_page = 0.6 * lines * letters  # chapter openings, headings, notes and short lines take the rest (measured)
    return {i: max(1, round(len(_text(part.html)) / letters_per_page)) for i, part in enumerate(parts) if i not in counts}


def _text(html: str) -> str:
    body = html[html.find("<body") :]
    return re.sub(r"<[^>]+>|\s+", "", body)


def _lay_out_part(html: str, first: int, options: tuple[tuple[Path, ...], str, float]) -> PartLayout:
    """One part laid out from folio `first` (in a worker process)."""
    from folio.render.weasy import lay_out  # WeasyPrint is imported only where a part is laid out

    allowed, base, space_width = options
    rule = f"<style>@page :first {{ counter-reset: page {first} }}</style>\n</head>"
    laid = lay_out(html.replace("</head>", rule, 1), allowed=list(allowed), base_url=base, variant="pdf/ua-1", space_width=space_width)
    pages = [Page(first + k, page.chapter, page.offset, page.lines) for k, page in enumerate(laid.pages)]
    return PartLayout(first, reproducible(laid.data, furniture_as_artifacts), pages, laid.warnings)


def _map(function: Callable[..., PartLayout], calls: list[tuple[object, ...]], jobs: int | None) -> list[PartLayout]:
    """The calls, in worker processes when there is more than one call and more than one job."""
    workers = min(len(calls), jobs or os.cpu_count() or 1)
    if workers <= 1:
        return [function(*args) for args in calls]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(function, *args) for args in calls]
        return [future.result() for future in futures]


# Splitting the book into parts -----------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


class _TopLevel(HTMLParser):
    """Where the body starts and ends, and each top-level element of the body: (start, end, classes)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.html = html
        self.lines = [0] + [m.end() for m in re.finditer("\n", html)]
        self.body: tuple[int, int] | None = None
        self.body_open = -1
        self.depth = 0
        self.children: list[tuple[int, int, list[str]]] = []
        self.feed(html)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        if tag == "body" and self.body_open < 0:
            self.body_open = start + len(self.get_starttag_text() or "")
            return
        if self.body_open < 0 or self.body is not None:
            return
        if self.depth == 0:
            classes = (dict(attrs).get("class") or "").split()
            self.children.append((start, -1, classes))
        if tag in VOID:
            self._close_child(start + len(self.get_starttag_text() or ""))
        else:
            self.depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._offset()
        if self.body_open < 0 or self.body is not None:
            return
        if self.depth == 0:
            self.children.append((start, -1, (dict(attrs).get("class") or "").split()))
        self._close_child(start + len(self.get_starttag_text() or ""))

    def handle_endtag(self, tag: str) -> None:
        start = self._offset()
        if self.body_open < 0 or self.body is not None:
            return
        if tag == "body":
            self.body = (self.body_open, start)
            return
        if tag in VOID:
            return
        self.depth -= 1
        self._close_child(self.html.index(">", start) + 1)

    def _close_child(self, end: int) -> None:
        if self.depth == 0 and self.children and self.children[-1][1] < 0:
            start, _, classes = self.children[-1]
            self.children[-1] = (start, end, classes)


def split_parts(html: str) -> list[Part]:
    """The book's HTML as parts: the front matter, then each chapter (with what follows it up to
    the next chapter), each a document with the book's head."""
    parsed = _TopLevel(html)
    if parsed.body is None or any(end < 0 for _, end, _ in parsed.children):
        raise ValueError("the book's HTML has no closed <body> or an element left open")
    body_start, body_end = parsed.body
    groups: list[tuple[int, int, bool]] = []
    cut, recto = body_start, False
    for start, _, classes in parsed.children:
        if "chapter" in classes:
            groups.append((cut, start, recto))
            cut, recto = start, True
    groups.append((cut, body_end, recto))
    groups = [(a, b, recto) for a, b, recto in groups if html[a:b].strip()]
    head, tail = html[:body_start], html[body_end:]
    return [Part(head + _links_across(html[a:b]) + tail, recto) for a, b, recto in groups]


ID = re.compile(r'\bid="([^"]+)"')
LOCAL_LINK = re.compile(r'\bhref="#([^"]+)"')


def _links_across(body: str) -> str:
    """Links to places in other parts, spelt so that WeasyPrint keeps them (render/join.py)."""
    ids = set(ID.findall(body))
    return LOCAL_LINK.sub(lambda m: m[0] if m[1] in ids else f'href="{LINK_SCHEME}{m[1]}"', body)


def _entry_hash(data: bytes, pages: object, warnings: object) -> str:
    """What an entry holds, hashed: its PDF and its pages (a damaged file of either is caught)."""
    digest = hashlib.sha256(data)
    digest.update(json.dumps([pages, warnings], ensure_ascii=False, sort_keys=True).encode("utf-8"))
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
        digest.update(f"{source.name}={_file_hash(source)}\n".encode())
    base = base_url(project)
    for url in sorted(set(URL.findall(html))):
        absolute = urljoin(base, url.strip())
        if absolute.startswith("file:"):
            digest.update(f"{absolute}={_file_hash(Path(unquote(urlparse(absolute).path)))}\n".encode())
    return digest.hexdigest()


@cache
def _file_hash_cached(path: Path, size: int, mtime: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _file_hash(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    return _file_hash_cached(path, stat.st_size, stat.st_mtime_ns)


# The cache ---------------------------------------------------------------------------------------


class LayoutCache:
    """Laid-out parts on disk, one folder per template (`OUT/.cache/layout/book/`): `KEY/FOLIO.pdf`
    and `KEY/FOLIO.json` (the pages, the warnings and a sha256 of them and of the PDF), and
    `KEY/pages`, the part's page count. Each file is written
    atomically; an entry that does not check out is treated as absent (and replaced when the part
    is laid out again)."""

    def __init__(self, root: Path):
        self.root = root

    def page_count(self, key: str) -> int | None:
        """The page count of this part, from any of its entries (it does not depend on the folio)."""
        try:
            return int((self.root / key / "pages").read_text(encoding="ascii"))
        except (OSError, ValueError):
            return None

    def get(self, key: str, first: int) -> PartLayout | None:
        folder = self.root / key
        try:
            meta = json.loads((folder / f"{first}.json").read_text(encoding="utf-8"))
            data = (folder / f"{first}.pdf").read_bytes()
            if meta["sha256"] != _entry_hash(data, meta["pages"], meta["warnings"]) or meta["first"] != first:
                return None
            pages = [Page(p["number"], p["chapter"], p["offset"], [Line(**line) for line in p["lines"]]) for p in meta["pages"]]
            return PartLayout(first, data, pages, list(meta["warnings"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, layout: PartLayout) -> None:
        folder = self.root / key
        meta = {
            "first": layout.first,
            "pages": [asdict(page) for page in layout.pages],
            "warnings": layout.warnings,
        }
        meta["sha256"] = _entry_hash(layout.data, meta["pages"], layout.warnings)
        write_atomic(folder / f"{layout.first}.pdf", layout.data)
        write_atomic(folder / f"{layout.first}.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        write_atomic(folder / "pages", str(len(layout.pages)).encode("ascii"))

    def get_book(self, key: str) -> Laid | None:
        """The joined book, when every part is the same at the same folio as when it was joined."""
        entry = self.get(f"book-{key}", 1)
        return Laid(entry.data, entry.pages, entry.warnings) if entry else None

    def put_book(self, key: str, book: Laid) -> None:
        self.put(f"book-{key}", PartLayout(1, book.data, book.pages, book.warnings))

    def keep(self, keys: Iterable[str], book_key: str) -> None:
        """Forget the parts this book no longer has (an edited chapter's old layouts), and the
        books joined before this one."""
        wanted = {*keys, f"book-{book_key}"}
        for folder in self.root.iterdir() if self.root.is_dir() else []:
            if folder.is_dir() and folder.name not in wanted:
                shutil.rmtree(folder, ignore_errors=True)
