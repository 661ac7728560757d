"""Image resolution at the size each image is printed, read from the PDF the build just made.

A printer wants 300 pixels to the inch at the placed size; below that an image looks soft (I004,
a warning that gives the placed size, so the author knows what to ask for). Below 150 ppi it
looks plainly pixelated: a `--release` build refuses it (I005).

The placed size comes from the page's content stream: the transformation in force where the
image is drawn (`Do`) maps the unit square onto the page, so its scale is the printed size in
points. pikepdf parses the streams in C++; a book without images costs nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from bisect import bisect_right
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pikepdf

from folio.checks.findings import Finding
from folio.formats.output import Entries, file_hash
from folio.render.layout import Piece, first_pages

GOOD_PPI = 300
RELEASE_PPI = 150

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Placed:
    page: int  # 1-based
    pixels: tuple[int, int]
    size: tuple[float, float]  # points, as printed

    @property
    def ppi(self) -> float:
        width, height = self.size
        return min(self.pixels[0] / (width / 72), self.pixels[1] / (height / 72)) if width > 0 and height > 0 else math.inf


def placed_images(data: bytes) -> list[Placed]:
    """Every image drawn in the PDF, with its printed size."""
    placed: list[Placed] = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            resources = page.obj.get("/Resources")
            if _has_images(resources, set()):
                _walk(page.obj, resources, IDENTITY, number, placed, 0)
    return placed


def placed_in_parts(pieces: list[Piece], book: bytes, cache: Path | None = None) -> list[Placed]:
    """Every image drawn in `book`, a PDF joined from these parts (render/parts.py), with its
    printed size and its page in the book. What each part holds is kept in `cache`
    (OUT/.cache/resolution) under a hash of its PDF, so that an edit reads the part it changed, not
    the whole book (0.15 s at 160 chapters). When the parts not kept hold most of the book's pages
    (a cold build), the book is read whole and what it holds shared out among them: one opening of
    a book costs less than one of each of its parts (0.4 s at 160 chapters)."""
    entries = Entries(cache, ".json")
    code = file_hash(Path(__file__))
    keys = [hashlib.sha256(code.encode() + piece.data).hexdigest() for piece in pieces]
    firsts = first_pages(pieces)
    found: dict[int, list[Placed]] = {}
    for i, key in enumerate(keys):
        if (kept := _read_entry(entries.get(key))) is not None:
            found[i] = kept
    new = [i for i in range(len(pieces)) if i not in found]
    if 2 * sum(pieces[i].pages for i in new) > sum(piece.pages for piece in pieces):
        shared: dict[int, list[Placed]] = {i: [] for i in new}
        for image in placed_images(book):
            i = bisect_right(firsts, image.page) - 1
            if i in shared:
                shared[i].append(replace(image, page=image.page - firsts[i] + 1))
        found.update(shared)
    for i in new:
        if i not in found:
            found[i] = placed_images(pieces[i].data)
        entries.put(keys[i], json.dumps([[image.page, *image.pixels, *image.size] for image in found[i]]).encode("utf-8"))
    entries.forget_the_rest()
    return [replace(image, page=image.page + firsts[i] - 1) for i in range(len(pieces)) for image in found[i]]


def _read_entry(data: bytes | None) -> list[Placed] | None:
    """A part's images as kept, or None when there is no entry or it cannot be read whole."""
    if data is None:
        return None
    try:
        return [Placed(int(page), (int(width), int(height)), (float(x), float(y))) for page, width, height, x, y in json.loads(data)]
    except (ValueError, TypeError):
        return None


def check(placed: list[Placed], path: Path, release: bool) -> list[Finding]:
    """I004 for an image printed below 300 ppi; under --release, I005 (an error) below 150 ppi."""
    findings = []
    for image in placed:
        ppi = image.ppi
        if ppi >= GOOD_PPI - 0.5:  # sizes in the PDF are rounded: 299.9 is 300
            continue
        width, height = image.size
        message = (
            f"image {image.pixels[0]}x{image.pixels[1]} px printed at {width / 72:.2f} x {height / 72:.2f} in "
            f"({width * 25.4 / 72:.0f} x {height * 25.4 / 72:.0f} mm) is {ppi:.0f} ppi"
        )
        wanted = f"for 300 ppi at this size it needs {math.ceil(width / 72 * GOOD_PPI)}x{math.ceil(height / 72 * GOOD_PPI)} px"
        code = "I005" if release and ppi < RELEASE_PPI - 0.5 else "I004"
        findings.append(Finding(code, path, 0, 0, message, wanted, page=image.page))
    return findings


def _has_images(resources: Any, visited: set[tuple[int, int]]) -> bool:
    if not isinstance(resources, pikepdf.Dictionary) or (resources.objgen != (0, 0) and resources.objgen in visited):
        return False
    visited.add(resources.objgen)
    for _, xobject in resources.get("/XObject", {}).items():
        if xobject.get("/Subtype") == "/Image":
            return True
        if xobject.get("/Subtype") == "/Form" and _has_images(xobject.get("/Resources"), visited):
            return True
    return False


def _walk(stream: Any, resources: Any, ctm: Matrix, page: int, placed: list[Placed], depth: int) -> None:
    """Follow the graphics state through a content stream (and the forms it draws)."""
    stack: list[Matrix] = []
    xobjects: Any = resources.get("/XObject", {}) if isinstance(resources, pikepdf.Dictionary) else {}
    for instruction in pikepdf.parse_content_stream(stream, "q Q cm Do"):
        operands, op = instruction.operands, str(instruction.operator)
        if op == "q":
            stack.append(ctm)
        elif op == "Q":
            ctm = stack.pop() if stack else ctm
        elif op == "cm":
            ctm = _multiply(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
        elif op == "Do":
            xobject = xobjects.get(str(operands[0]))
            if xobject is None:
                continue
            if xobject.get("/Subtype") == "/Image":
                width, height = math.hypot(ctm[0], ctm[1]), math.hypot(ctm[2], ctm[3])
                placed.append(Placed(page, (int(xobject.Width), int(xobject.Height)), (width, height)))
            elif xobject.get("/Subtype") == "/Form" and depth < 8:
                matrix = tuple(float(v) for v in xobject.get("/Matrix", IDENTITY))
                inner = xobject.get("/Resources")
                if _has_images(inner, set()):
                    _walk(xobject, inner, _multiply(matrix, ctm), page, placed, depth + 1)  # type: ignore[arg-type]


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """m × n in PDF's row-vector convention: apply m, then n."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2, e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)
