"""Figures placed like floats, and tables set to fit, by laying the book out and looking.

WeasyPrint has no page floats: a figure that does not fit in what is left of a page (figures do
not break) goes whole to the next page and leaves a hole at the foot of this one. A typesetter
lets the text that follows flow up into the hole and puts the figure at the top of the next page.
`settle` does that by trial: lay out, find each page a figure left with a hole, move that figure
later in the chapter past as many whole blocks (paragraphs, lists, tables, headings) as fit in
the hole, or past one that will split across the page break, and lay out again. A figure only
moves forward, never past another figure (so the numbers stay in order), and never to just after
a heading (a heading stays with its text); like LaTeX's floats it may move into the next section.
Moves cascade down a chapter, so the passes are bounded (MAX_PASSES).

In the same passes, a figure whose long caption takes it past about 60% of the text block gets a
smaller image, and a table wider than the measure (long words, many columns) is set a step smaller,
down to 8 pt.

What is left is reported: L008 for a page more than 40% empty before a figure, L009 for a table
wider than the measure at the smallest size. Only the print layouts (pdf, press, draft) change:
the EPUB keeps every figure where the author put it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree
from weasyprint.formatting_structure import boxes

from folio.text.fragment import EPUB, XHTML, Fragment

MAX_PASSES = 5
HOLE = 0.40  # a page more empty than this before a figure is reported (L008)
WORTH_MOVING = 0.08  # a smaller gap at the foot is not worth moving a figure for
FIGURE_SHARE = 0.62  # image and caption together: at most about 60% of the text block's height
# (the stylesheet's largest image plus a two-line caption comes to 61%, so only longer captions shrink it)
MIN_IMAGE = 0.3  # but an image keeps at least this share of that limit, however long its caption
SQUEEZES = 3  # steps of smaller type for a table wider than the measure (templates/print.css)
PX = 0.75  # points per CSS px
TOLERANCE = 1.0  # px

LayOut = Callable[[list[Fragment]], Any]
"""Lays these fragments out as the book: (weasyprint Document, its warnings)."""


@dataclass(frozen=True)
class Move:
    chapter: str
    figure: str  # the figure's id
    after: tuple[int, ...]  # the block it moves to follow, as child indices from the chapter's text down


@dataclass
class Report:
    """What the last layout still shows: (code, page, message) for the layout report."""

    findings: list[tuple[str, int, str]]
    passes: int
    laid_out: Any = None
    """The last trial layout, (document, warnings): the layout of the fragments returned, to be
    written as it is rather than laid out once more."""


def settle(fragments: list[Fragment], lay_out: LayOut) -> tuple[list[Fragment], Report]:
    """The fragments with figures moved and wide tables squeezed; the layout of the result is what
    the final render will give, so its remaining problems are reported."""
    if not any("<figure" in f.html or "<table" in f.html for f in fragments):
        return fragments, Report([], 0)
    for passes in range(1, MAX_PASSES + 2):
        laid_out = lay_out(fragments)
        document = laid_out[0]
        parents = _parents(document)
        pages = [_read_page(page, parents) for page in document.pages]
        shrink = _too_tall(pages)
        moves = [] if shrink else _moves(pages)  # sizes first: a figure's size decides where it fits
        wide = [table for page in pages for table in page.wide_tables]
        squeeze = {t for t in wide if _squeeze_level(fragments, t) < SQUEEZES}
        if (not moves and not squeeze and not shrink) or passes > MAX_PASSES:
            return fragments, Report(_findings(pages), passes, laid_out)
        fragments = [_apply(f, [m for m in moves if m.chapter == f.chapter.id], squeeze, shrink) for f in fragments]
    raise AssertionError("unreachable")


# --- reading the layout ---------------------------------------------------------------------

# Blocks the text flows in, taken whole: a figure moves past them, never into them.
FLOW = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote", "pre", "figure", "hr", "div"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


@dataclass
class _Block:
    tag: str
    top: float  # px, margin box
    bottom: float
    path: tuple[int, ...] | None  # child indices from the chapter's text (div.chapter-body) down to it
    figure: str | None = None  # a figure's id
    image: float = 0.0  # a figure's image height, px
    height: float = 0.0  # a figure's image and caption together (border box), px


@dataclass
class _Page:
    chapter: str | None
    content_top: float
    content_bottom: float
    used_bottom: float  # px: the foot of the last line, image or table row
    blocks: list[_Block]  # the flow blocks on the page, in reading order
    wide_tables: list[str]

    @property
    def leading_figure(self) -> _Block | None:
        """The figure that heads the page (nothing of the text above it), if one does."""
        return self.blocks[0] if self.blocks and self.blocks[0].figure else None


def _parents(document: Any) -> dict[Any, Any]:
    """Child element -> parent element, for the whole document WeasyPrint laid out."""
    root = next(child.element for child in document.pages[0]._page_box.children if getattr(child, "element", None) is not None)
    return {child: parent for parent in root.iter() for child in parent}


def _read_page(page: Any, parents: dict[Any, Any]) -> _Page:
    box = page._page_box
    info = _Page(None, box.content_box_y(), box.content_box_y() + box.height, box.content_box_y(), [], [])
    measure = box.width + TOLERANCE

    def walk(b: Any) -> None:
        element = getattr(b, "element", None)
        tag = _tag(element)
        if isinstance(b, boxes.MarginBox) or b.is_absolutely_positioned():
            return
        if element is not None and tag == "section" and "chapter" in (element.get("class") or "").split():
            info.chapter = info.chapter or element.get("id")
        if tag == "table" and element is not None and element.get("id") and b.margin_width() > measure:
            info.wide_tables.append(element.get("id"))  # the table's wrapper (with its caption) is as wide as the table
        if isinstance(b, boxes.LineBox | boxes.ReplacedBox | boxes.TableRowBox):
            info.used_bottom = max(info.used_bottom, b.position_y + b.margin_height())
        if isinstance(b, boxes.BlockBox) and tag in FLOW and not (tag == "div" and not _holds_lines(b)):
            bottom = b.position_y + b.margin_height()
            figure = element.get("id") if tag == "figure" and element is not None else None
            image = max((r.margin_height() for r in _replaced(b)), default=0.0) if figure else 0.0
            height = b.border_height() if figure else 0.0
            info.blocks.append(_Block(tag, b.position_y, bottom, _path(element, parents), figure, image, height))
            info.used_bottom = max(info.used_bottom, bottom - b.margin_bottom)
            if tag != "div":
                return  # the block as a whole; what is inside it moves with it
        if isinstance(b, boxes.LineBox):
            return
        for child in getattr(b, "children", []):
            walk(child)

    for child in box.children:
        walk(child)
    return info


def _replaced(box: Any) -> Any:
    """The images inside a box."""
    for child in getattr(box, "children", []):
        if isinstance(child, boxes.ReplacedBox):
            yield child
        else:
            yield from _replaced(child)


def _holds_lines(box: Any) -> bool:
    """A div that holds text directly (a block of its own), not one that only groups blocks."""
    return any(isinstance(child, boxes.LineBox) for child in getattr(box, "children", []))


def _path(element: Any, parents: dict[Any, Any]) -> tuple[int, ...] | None:
    path: list[int] = []
    while element is not None:
        parent = parents.get(element)
        if parent is None:
            return None
        if "chapter-body" in (element.get("class") or "").split():
            return tuple(reversed(path))
        path.append(list(parent).index(element))
        element = parent
    return None


def _tag(element: Any) -> str:
    if element is None or not isinstance(element.tag, str):
        return ""
    return element.tag.rsplit("}", 1)[-1]


def _moves(pages: list[_Page]) -> list[Move]:
    """For each page left with a hole because the figure heading the next page did not fit: move
    that figure past as many of the blocks after it as fill the hole (at least one, which then
    splits across the page break). Never past another figure, never to just after a heading."""
    moves = []
    for before, page in itertools.pairwise(pages):
        figure = page.leading_figure
        if figure is None or figure.path is None or page.chapter is None or before.chapter != page.chapter:
            continue
        hole = before.content_bottom - before.used_bottom
        if hole < WORTH_MOVING * (before.content_bottom - before.content_top):
            continue
        following = page.blocks[1:]
        fits = []
        for block in following:
            if block.figure or block.path is None:
                break
            fits.append(block)
            if block.bottom - figure.top - (figure.bottom - figure.top) > hole:
                break  # this one splits across the break: the figure may follow it
        whole = [b for b in fits if b.bottom - figure.top - (figure.bottom - figure.top) <= hole]
        chosen = whole if whole else fits[:1]
        while chosen and chosen[-1].tag in HEADINGS:
            chosen = chosen[:-1]  # a heading stays with the text it heads
        if not chosen and fits and fits[0].tag in HEADINGS:
            chosen = [b for b in fits[: 1 + next((i for i, b in enumerate(fits) if b.tag not in HEADINGS), len(fits))]]
            chosen = chosen if chosen and chosen[-1].tag not in HEADINGS else []
        if chosen:
            moves.append(Move(page.chapter, figure.figure or "", chosen[-1].path or ()))
    return moves


def _too_tall(pages: list[_Page]) -> dict[str, float]:
    """Figures whose image and caption together pass 60% of the text block (a long caption under
    an image already at its largest): the image's new largest height, in points."""
    shrink = {}
    for page in pages:
        limit = FIGURE_SHARE * (page.content_bottom - page.content_top)
        for block in page.blocks:
            excess = block.height - limit
            if block.figure and block.image and excess > TOLERANCE:
                height = max(block.image - excess, MIN_IMAGE * limit)
                if block.image - height > TOLERANCE:  # at the floor already: leave it
                    shrink[block.figure] = height * PX
    return shrink


def _findings(pages: list[_Page]) -> list[tuple[str, int, str]]:
    found = []
    for number, (before, page) in enumerate(itertools.pairwise(pages), start=1):
        if page.leading_figure and page.chapter and before.chapter == page.chapter:
            empty = (before.content_bottom - before.used_bottom) / (before.content_bottom - before.content_top)
            if empty > HOLE:
                found.append(("L008", number, f"page {empty:.0%} empty: the figure after it did not fit and could not move"))
    reported = set()
    for number, page in enumerate(pages, start=1):
        for table in page.wide_tables:
            if table not in reported:
                reported.add(table)
                found.append(("L009", number, f"table #{table} is wider than the measure even at 8 pt: split it or turn it"))
    return found


# --- changing the fragments -----------------------------------------------------------------

SQUEEZE = re.compile(r"\bsqueeze-(\d)\b")


def _squeeze_level(fragments: list[Fragment], table_id: str) -> int:
    for fragment in fragments:
        match = re.search(rf'<table[^>]*\bid="{re.escape(table_id)}"[^>]*>', fragment.html)
        if match:
            level = SQUEEZE.search(match[0])
            return int(level[1]) if level else 0
    return SQUEEZES


def _apply(fragment: Fragment, moves: list[Move], squeeze: set[str], shrink: dict[str, float]) -> Fragment:
    ids = set(re.findall(r'\bid="([^"]+)"', fragment.html))
    if not moves and not (squeeze | set(shrink)) & ids:
        return fragment
    root = etree.fromstring(f'<div xmlns="{XHTML}" xmlns:epub="{EPUB}">{fragment.html}</div>')
    body = root[0]
    resolved = []  # find every target before moving anything: a move shifts the indices after it
    for move in moves:
        found = root.xpath("//*[@id=$id]", id=move.figure)
        target: Any = body
        for index in move.after:
            target = target[index] if target is not None and index < len(target) else None
        if found and target is not None and target is not body and found[0] not in target.iterancestors():
            resolved.append((found[0], target))
    for figure, target in resolved:
        target.addnext(figure)
    for figure_id, height in shrink.items():
        for img in root.xpath("//*[@id=$id]//*[local-name()='img']", id=figure_id):
            style = re.sub(r"max-height:[^;]*;?", "", img.get("style", "")).strip().rstrip(";")
            img.set("style", f"{style}; max-height: {height:.1f}pt".lstrip("; "))
    for table in root.iter(f"{{{XHTML}}}table"):
        if table.get("id") in squeeze:
            classes = (table.get("class") or "").split()
            level = next((int(c.split("-")[1]) for c in classes if SQUEEZE.fullmatch(c)), 0)
            classes = [c for c in classes if not SQUEEZE.fullmatch(c)] + [f"squeeze-{level + 1}"]
            table.set("class", " ".join(classes))
    html = etree.tostring(root[0], encoding="unicode")
    html = re.sub(r'^<div xmlns="[^"]+" xmlns:epub="[^"]+"', "<div", html, count=1)
    return replace(fragment, html=html)
