"""A typographic cover for books whose book.yaml names no cover image.

templates/cover.html.j2 (title, subtitle, author, publisher in the book face) is laid out by
WeasyPrint as one page of WIDTH x HEIGHT CSS px, and pypdfium2 rasterises that page at one pixel a
CSS px. The title's size is chosen from the real glyph widths, so a long title steps down rather
than running off the page.

Laying the cover out and rasterising it costs about a second, the same every build: the PNG is
kept in OUT/.cache/cover under a key of everything that shapes it (the cover's HTML, the bytes of
every file it reads: fonts, images; Folio's, WeasyPrint's, pypdfium2's and Pillow's versions). An
entry carries its own checksum: a corrupt or truncated one is rebuilt, never used.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from fontTools.ttLib import TTFont
from PIL import Image

from folio.project.config import BookConfig
from folio.render import templates
from folio.render.fonts import FontFace, font_dirs

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


def cover_pdf(project_root: Path, book: BookConfig, faces: list[FontFace], html: str | None = None) -> bytes:
    """The cover as a one-page PDF (the step before the image; its text can be searched)."""
    from folio.render.weasy import lay_out  # WeasyPrint is imported only where something is laid out

    allowed = [project_root, *templates.search_path(project_root), *font_dirs(faces)]
    html = html if html is not None else cover_html(project_root, book, faces)
    hint = "keep the cover template's images and fonts inside the project folder"
    return lay_out(html, allowed=allowed, base_url=_base_url(project_root), hint=hint).data


def cover_image(project_root: Path, book: BookConfig, faces: list[FontFace], cache: Path | None = None) -> bytes:
    """The cover as a WIDTH x HEIGHT PNG; with `cache` (OUT/.cache/cover), laid out only when no
    sound entry under its key is there."""
    html = cover_html(project_root, book, faces)
    entry = cache / f"{cover_key(html, project_root)}.png" if cache is not None else None
    if entry is not None and (kept := _read_entry(entry)) is not None:
        return kept
    png = rasterise(cover_pdf(project_root, book, faces, html))
    if entry is not None:
        _write_entry(entry, png)
    return png


def cover_key(html: str, project_root: Path) -> str:
    """What the cover looks like depends on: its HTML, every file the HTML reads (fonts, images),
    and the versions of the programs that lay it out and rasterise it."""
    digest = hashlib.sha256(b"folio cover 1\0")
    for package in ("folio", "weasyprint", "pypdfium2", "pillow"):
        digest.update(f"{package} {_version(package)}\0".encode())
    digest.update(html.encode("utf-8"))
    for path in _files_read(html, project_root):
        digest.update(f"\0{path}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"(missing)")
    return digest.hexdigest()


def _version(package: str) -> str:
    """A package's version from its metadata, without importing it (WeasyPrint takes a second)."""
    if package == "folio":
        from folio import __version__

        return __version__
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def _files_read(html: str, project_root: Path) -> list[Path]:
    """The local files the HTML names, by url(...), src or href, resolved as WeasyPrint resolves them."""
    names = re.findall(r"""url\(\s*["']?([^"')]+)["']?\s*\)|(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    found = []
    for url, attribute in names:
        absolute = urljoin(_base_url(project_root), url or attribute)
        if absolute.startswith("file:"):
            found.append(Path(unquote(urlparse(absolute).path)))
    return sorted(set(found))


def _base_url(project_root: Path) -> str:
    return project_root.as_uri() + "/"


def _read_entry(entry: Path) -> bytes | None:
    """A kept PNG, if its checksum (the first 32 bytes) holds."""
    try:
        data = entry.read_bytes()
    except OSError:
        return None
    checksum, png = data[:32], data[32:]
    return png if png and hashlib.sha256(png).digest() == checksum else None


def _write_entry(entry: Path, png: bytes) -> None:
    """Written whole or not at all, so a reader (or a crash) never leaves half an entry."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=entry.parent, prefix=".cover.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(hashlib.sha256(png).digest() + png)
        os.chmod(temp, 0o644)
        os.replace(temp, entry)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def rasterise(pdf: bytes) -> bytes:
    import pypdfium2  # its bindings take 0.06 s to load: not for a build that finds the cover kept

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
