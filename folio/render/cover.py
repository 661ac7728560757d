"""A typographic cover for books whose book.yaml names no cover image.

templates/cover.html.j2 (title, subtitle, author, publisher in the book face) is laid out by
WeasyPrint as one page of WIDTH x HEIGHT CSS px, and pypdfium2 rasterises that page at one pixel a
CSS px. The title's size is chosen from the real glyph widths, so a long title steps down rather
than running off the page.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pypdfium2
from fontTools.ttLib import TTFont
from PIL import Image

from folio.project.config import BookConfig
from folio.render import templates
from folio.render.fonts import FontFace, font_dirs
from folio.render.weasy import lay_out

WIDTH, HEIGHT = 1600, 2560
"""The retailers' preferred e-book cover: 1.6 : 1, 1600 x 2560 px."""
TEXT_WIDTH = WIDTH - 2 * 190 - 40
"""Room for a line of the title or subtitle, in px (the template's side margins, less a little play)."""
TITLE_SIZES = range(210, 89, -10)
SUBTITLE_SIZES = range(76, 39, -4)


def cover_alt(book: BookConfig) -> str:
    """Alternative text for the cover image."""
    title = f"{book.title}: {book.subtitle}" if book.subtitle else book.title
    return f"Cover: {title}, by {book.author}"


def cover_html(project_root: Path, book: BookConfig, faces: list[FontFace]) -> str:
    roman = next(face for face in faces if face.style == "normal")
    return templates.render(
        project_root,
        "cover.html.j2",
        book=book,
        faces=faces,
        width=WIDTH,
        height=HEIGHT,
        title_size=fit(book.title, roman.path, TITLE_SIZES, max_lines=3),
        subtitle_size=fit(book.subtitle, roman.path, SUBTITLE_SIZES, max_lines=3),
    )


def cover_pdf(project_root: Path, book: BookConfig, faces: list[FontFace]) -> bytes:
    """The cover as a one-page PDF (the step before the image; its text can be searched)."""
    allowed = [project_root, *templates.search_path(project_root), *font_dirs(faces)]
    html = cover_html(project_root, book, faces)
    hint = "keep the cover template's images and fonts inside the project folder"
    return lay_out(html, allowed=allowed, base_url=project_root.as_uri() + "/", hint=hint).data


def cover_image(project_root: Path, book: BookConfig, faces: list[FontFace]) -> bytes:
    """The cover as a WIDTH x HEIGHT PNG."""
    return rasterise(cover_pdf(project_root, book, faces))


def rasterise(pdf: bytes) -> bytes:
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        image = page.render(scale=WIDTH / page.get_width()).to_pil().convert("RGB")
    finally:
        document.close()
    if image.size != (WIDTH, HEIGHT):  # a rounding pixel at the edge
        image = image.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def fit(text: str, font: Path, sizes: range, max_lines: int) -> int:
    """The largest size (px) at which `text` wraps into at most `max_lines` lines of TEXT_WIDTH with no word cut."""
    widths = _advances(font)
    words = text.split()
    for size in sizes:
        word_widths = [sum(widths(c) for c in word) * size for word in words]
        space = widths(" ") * size
        if any(w > TEXT_WIDTH for w in word_widths):
            continue
        lines, line = 1, 0.0
        for w in word_widths:
            if line and line + space + w > TEXT_WIDTH:
                lines, line = lines + 1, w
            else:
                line = line + space + w if line else w
        if lines <= max_lines:
            return size
    return sizes[-1]


@cache
def _advances(font: Path) -> Callable[[str], float]:
    """Advance width of a character in em (the default instance of a variable font)."""
    ttf = TTFont(str(font), lazy=True)
    cmap, metrics, upm = ttf.getBestCmap(), ttf["hmtx"].metrics, ttf["head"].unitsPerEm
    fallback = metrics[cmap[ord("n")]][0] / upm

    def width(char: str) -> float:
        glyph = cmap.get(ord(char))
        return metrics[glyph][0] / upm if glyph in metrics else fallback

    return width
