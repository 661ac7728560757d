"""The only door to WeasyPrint: every PDF Folio lays out (the book, the draft, its margin, the
cover) goes through `lay_out`, with the same rules:

- WeasyPrint reads only data: URLs and files under the folders allowed (the project, the
  templates, the font packages); anything else stops the layout with a message;
- its warnings (unsupported CSS, a resource it could not use) are collected, not printed, so the
  build can report them as findings;
- the laid-out pages are read back as lines of text with their positions (render/layout.py's
  Page and Line), for the layout checks, the draft's margin and the EPUB's page numbers;
  render/floats.py reads a trial layout's boxes through `boxes`, re-exported here.
"""

from __future__ import annotations

import ctypes.util
import logging
import os
import re
import signal
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing.util import Finalize
from pathlib import Path
from shutil import rmtree
from tempfile import mkdtemp
from typing import Any
from urllib.parse import unquote, urlparse

from folio.errors import ConfigError
from folio.project import contain
from folio.render.fonts import instance_at_default_cheaply
from folio.render.layout import ALNUM, PX, Laid, Line, Page, number_folios


def _import_weasyprint() -> None:
    """WeasyPrint opens Pango, HarfBuzz, fontconfig and GLib by trying several names for each,
    and cffi looks up every name that does not open as it is with `ctypes.util.find_library`,
    which runs `ldconfig -p` and the C compiler: 0.18 s of every process that lays anything out.
    The names tried include the sonames the dynamic loader finds by itself (`libpango-1.0.so.0`),
    so the import runs first with that lookup answering "not found"; where a library opens only
    through it, the import runs again with the lookup as it is."""
    real = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint
    except OSError:
        for name in [name for name in sys.modules if name == "weasyprint" or name.startswith("weasyprint.")]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = real
    import weasyprint  # noqa: F401  (imported above, or imported now with the lookup)


def _parse_types_quickly() -> None:
    """cffi reads a C type written as text (WeasyPrint's `ffi.new(f"hb_codepoint_t[{n}]", ...)`, with
    a new length for every font it subsets) by parsing it after a `typedef int X;` for every type the
    library declares: 66 for WeasyPrint's, 1.7 ms a type, some 15 ms of every part laid out. Only the
    type names the text uses can change how it parses, so only theirs are declared to it; what it
    declares while parsing is kept."""
    from cffi import cparser

    real = cparser.Parser.parse_type_and_quals
    if getattr(real, "folio", False):
        return

    def parse_type_and_quals(self: Any, cdecl: str) -> Any:
        words = set(re.findall(r"\w+", cdecl))
        declared = self._declarations
        self._declarations = {key: value for key, value in declared.items() if not key.startswith("typedef ") or key[8:] in words}
        try:
            return real(self, cdecl)
        finally:
            for key, value in self._declarations.items():
                declared.setdefault(key, value)
            self._declarations = declared

    parse_type_and_quals.folio = True  # type: ignore[attr-defined]
    cparser.Parser.parse_type_and_quals = parse_type_and_quals


_import_weasyprint()
_parse_types_quickly()

import weasyprint  # noqa: E402
from weasyprint.css.counters import CounterStyle  # noqa: E402
from weasyprint.formatting_structure import boxes  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse  # noqa: E402

__all__ = ["Laid", "ProjectFetcher", "Trial", "boxes", "lay_out", "read_pages", "trial", "write"]


@dataclass
class Trial:
    """A layout not yet written: WeasyPrint's document (its boxes can be read) and its warnings."""

    document: Any
    warnings: list[str]


HINT = "keep images and styles inside the project folder"


def lay_out(
    html: str,
    *,
    allowed: list[Path],
    base_url: str | None = None,
    variant: str | None = None,
    space_width: float | None = None,
    hint: str = HINT,
) -> Laid:
    """Lay out `html` and write it as a PDF (`variant`: 'pdf/ua-1', 'pdf/x-1a', ...). With
    `space_width` (the body face's word space in ems) the pages are read back too."""
    return write(trial(html, allowed=allowed, base_url=base_url, hint=hint), variant=variant, space_width=space_width, hint=hint)


def trial(html: str, *, allowed: list[Path], base_url: str | None = None, hint: str = HINT) -> Trial:
    """Lay `html` out, to look at (render/floats.py reads its boxes) and, if it stays, to write.
    Its design stylesheet (`<style id="folio-design">`, the templates' fonts and print CSS) is
    parsed once in a process (`_design`) and given to WeasyPrint parsed."""
    try:
        found = DESIGN.search(html)
        design = _design(found[1], base_url, tuple(allowed)) if found else None
        with _captured_warnings() as warnings:
            if found:
                html = html[: found.start()] + html[found.end() :]
            html_doc = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=ProjectFetcher(allowed))
            if design:
                options = {"counter_style": design.counter_style, "color_profiles": design.color_profiles, "stylesheets": [design.css]}
                document = html_doc.render(font_config=design.fonts, **options)
            else:
                document = html_doc.render(font_config=_Fonts())
    except FatalURLFetchingError as exc:
        raise _refused(exc, hint) from None
    return Trial(document, [*(design.warnings if design else []), *warnings])


DESIGN = re.compile(r'<style id="folio-design">(.*?)</style>', re.S)
"""The stylesheet a template marks as its design: the same in every part of a book."""


@dataclass(frozen=True)
class _Design:
    css: Any
    fonts: _Fonts
    counter_style: Any
    color_profiles: dict[str, Any]
    warnings: tuple[str, ...]
    """What WeasyPrint said parsing it, told with every layout that uses it."""


@lru_cache(maxsize=4)
def _design(text: str, base_url: str | None, allowed: tuple[Path, ...]) -> _Design:
    """A design stylesheet parsed, with the font configuration its @font-face rules are loaded in.
    Parsing it and loading its fonts took 0.05-0.1 s of each part's 0.2-0.3 s layout: a book laid
    out a chapter at a time parsed it once a chapter. WeasyPrint takes it as a user stylesheet, not
    an author's one: it comes after the user agent's as before, and the document's own style (the
    folio a part starts on) still comes after it."""
    fonts, counter_style = _Fonts(), CounterStyle()  # what its @font-face and @counter-style rules fill
    profiles: dict[str, Any] = {}  # and its @color-profile rules
    fetcher = ProjectFetcher(list(allowed))
    with _captured_warnings() as warnings:
        css = weasyprint.CSS(
            string=text, base_url=base_url, url_fetcher=fetcher, font_config=fonts, counter_style=counter_style, color_profiles=profiles
        )
    return _Design(css, fonts, counter_style, profiles, tuple(warnings))


def write(laid: Trial, *, variant: str | None = None, space_width: float | None = None, hint: str = HINT) -> Laid:
    """A layout written as a PDF, its pages read back when `space_width` is given."""
    instance_at_default_cheaply()  # HOOK(parts): variable fonts embedded without fontTools' instancer where it can (render/fonts.py)
    with _captured_warnings() as warnings:
        try:
            data = laid.document.write_pdf(pdf_variant=variant) if variant else laid.document.write_pdf()
        except FatalURLFetchingError as exc:
            raise _refused(exc, hint) from None
    pages = read_pages(laid.document, space_width) if space_width is not None else []
    return Laid(bytes(data), pages, laid.warnings + warnings)


class _Fonts(FontConfiguration):  # type: ignore[misc]
    """WeasyPrint's font configuration, whose folder of @font-face files (a few MB in the system's
    temporary folder) is removed when the process ends too: WeasyPrint removes it only when the
    configuration is collected, which a layout worker's exit skips, leaving a folder a build.
    A process ended by a signal removes its folders with `remove_font_folders` first."""

    _folder: Path | None

    def __init__(self) -> None:
        super().__init__()
        self.pid = os.getpid()
        _LIVE.add(self)

    def add_font_face(self, rule_descriptors: Any, url_fetcher: Any) -> Any:
        if self._folder is None:
            # The folder is made and known as one step: a SIGTERM between the two would leave it behind.
            stop = {signal.SIGTERM, signal.SIGINT}
            signal.pthread_sigmask(signal.SIG_BLOCK, stop)
            try:
                self._folder = Path(mkdtemp(prefix="weasyprint-"))
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
            Finalize(self, rmtree, args=(self._folder,), kwargs={"ignore_errors": True}, exitpriority=0)
        return super().add_font_face(rule_descriptors, url_fetcher)


_LIVE: weakref.WeakSet[_Fonts] = weakref.WeakSet()
"""The font configurations alive in this process (and, copied by fork, its parent's)."""


def remove_font_folders() -> None:
    """This process's @font-face folders removed now: for a process about to end without Python's
    exit (a worker ended by SIGTERM), which would not run the finalizers. A forked worker holds
    copies of its parent's configurations too: their folders are the parent's, and stay."""
    for fonts in list(_LIVE):
        if fonts.pid == os.getpid() and fonts._folder:
            rmtree(fonts._folder, ignore_errors=True)


def _refused(exc: FatalURLFetchingError, hint: str) -> ConfigError:
    """A resource the fetcher refused stops the layout: a problem of the book's inputs (exit 2)."""
    message = str(exc)
    return ConfigError(message if "(hint:" in message else f"{message} (hint: {hint})")


class ProjectFetcher(URLFetcher):  # type: ignore[misc]
    """Reads files inside the project, Folio's templates and the font folders (symbolic links
    followed to where they lead before deciding); http(s) only when the book allows remote
    resources, within a time limit and a size cap (project/contain.py); nothing else."""

    def __init__(self, allowed: list[Path]):
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.allowed = [p.resolve() for p in allowed]

    def fetch(self, url: str, headers: Any = None) -> Any:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            path = Path(unquote(urlparse(url).path)).resolve()
            if any(path.is_relative_to(root) for root in self.allowed):
                return super().fetch(url, headers)
        if contain.is_remote(url):
            try:
                fetched = contain.fetch_remote(url)
            except contain.RemoteError as exc:
                raise FatalURLFetchingError(str(exc)) from None
            return URLFetcherResponse(fetched.url, fetched.data, {"Content-Type": fetched.content_type})
        raise FatalURLFetchingError(f"refused to read {url}: outside the project")


@contextmanager
def _captured_warnings() -> Iterator[list[str]]:
    """WeasyPrint's warnings (unsupported CSS, missing resources) become build warnings."""
    collected: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                collected.append(record.getMessage())

    logger = logging.getLogger("weasyprint")
    handler = Collect()
    logger.addHandler(handler)
    previous = logger.propagate
    logger.propagate = False
    try:
        yield collected
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


# Reading the pages back ----------------------------------------------------------------------


def read_pages(document: Any, space_width: float) -> list[Page]:
    """Every page's lines, in order. `space_width` is the body font's space in ems."""
    pages = []
    counted: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        info = Page(index + 1, None)
        content = [child for child in page._page_box.children if not isinstance(child, boxes.MarginBox)]
        for box in content:
            _walk(box, info, None, None, space_width)
        info.main = getattr(page._page_box, "page_type", None) is not None and page._page_box.page_type.name == "main"
        info.chapter = next((line.chapter for line in info.lines if line.chapter), None)
        if info.chapter:
            info.offset = counted.get(info.chapter, 0)
        for line in info.lines:
            if line.chapter:
                counted[line.chapter] = counted.get(line.chapter, 0) + len(ALNUM.findall(line.text))
        pages.append(info)
    number_folios(pages)
    return pages


def _walk(box: Any, page: Page, block: Any, chapter: str | None, space_width: float) -> None:
    element = getattr(box, "element", None)
    tag = getattr(box, "element_tag", "") or ""
    if tag.endswith("::marker") or box.is_absolutely_positioned():
        return  # list bullets and numbers are generated, not text; a fixed mark (DRAFT) is not text either
    if element is not None and "chapter" in (element.get("class") or "").split():
        chapter = element.get("id")
    if isinstance(box, boxes.LineBox):
        inline = list(_in_flow(box))
        texts = [t for t in inline if isinstance(t, boxes.TextBox)]
        text = "".join(t.text for t in texts)
        classes = [(b.element.get("class") or "", b.element) for b in inline if getattr(b, "element", None) is not None]
        stretch = 1.0
        spaced = [t for t in texts if t.justification_spacing and " " in t.text]
        if spaced:
            natural = space_width * spaced[0].style["font_size"]
            stretch = (natural + spaced[0].justification_spacing) / natural
        refs = list(dict.fromkeys(e.get("data-n") for c, e in classes if "critic-ref" in c.split()))
        changed = any({"critic-ins", "critic-del"} & set(c.split()) for c, _ in classes)
        top, bottom = box.position_y * PX, (box.position_y + box.height) * PX
        page.lines.append(Line(id(block), tag, text, top, bottom, stretch, chapter, refs, changed))
        return
    if isinstance(box, boxes.BlockBox) and element is not None:
        block = element
    for child in getattr(box, "children", []):
        _walk(child, page, block, chapter, space_width)


def _in_flow(box: Any) -> Any:
    """The boxes inside a line, without floats (a margin note is not part of the line's text)."""
    for child in getattr(box, "children", []):
        if child.is_floated():
            continue
        yield child
        yield from _in_flow(child)
