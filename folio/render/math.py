"""Mathematics in print: each MathML formula of a chapter fragment drawn as vector graphics.

The fragment carries every formula once, as Pandoc's MathML (the EPUB shows it as it is).
WeasyPrint does not lay out MathML, so for the PDFs each <math> becomes an <img> holding an SVG
drawn by ziamath (pure Python, with its own STIX Two Math font: no TeX installation). The TeX
source is the image's alt text, so the tagged PDF reads the formula out as it was written.

Sizes are in em, so a formula takes the size of the text around it (body, note, caption);
an inline formula sits on the baseline (its depth below the baseline is a negative
vertical-align), a display formula is centred on a line of its own.
"""

from __future__ import annotations

import base64
import logging
import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from lxml import etree

from folio.errors import FolioError
from folio.render.fonts import font_faces, x_height

MATHML = "http://www.w3.org/1998/Math/MathML"
MATH = re.compile(r"<math\b[^>]*>.*?</math>", re.S)
SIZE = 10.0
"""Size ziamath draws at; the image is then scaled in em, so only the precision depends on it."""


@dataclass(frozen=True)
class Drawn:
    svg: str
    width: float
    height: float
    depth: float
    """Width, height and depth below the baseline, in em."""


def print_math(html: str, body_family: str, press: bool = False) -> str:
    """The fragment's HTML with each <math> element replaced by its drawing (a Jinja filter:
    `fragment.html | print_math(book.print.font, press)`). In the printer's file the formulas
    are inked in CMYK black, as its text is (PDF/X-1a allows no RGB)."""
    if not MATH.search(html):  # a chapter without formulas needs no math renderer (importing ziamath: 0.7 s)
        return html
    scale = math_scale(body_family)
    ink = "device-cmyk(0 0 0 1)" if press else "black"
    return MATH.sub(lambda match: _image(match[0], scale, ink), html)


def warm(fragments: Iterable[str]) -> None:
    """Draw every formula of these fragments now, in this process: the PDFs are laid out in
    forked workers, which then find each drawing in the inherited cache instead of each drawing
    the book's formulas again (about 60 ms a formula; a book of 300 formulas took 6 s each)."""
    for html in fragments:
        for match in MATH.finditer(html):
            draw(_presentation(etree.fromstring(match[0])))


@cache
def math_scale(body_family: str) -> float:
    """STIX Two Math has a larger x-height than a book face (0.473 em against EB Garamond's
    0.400): set at the body size its letters look a size too big. Scale it to the same x-height."""
    stix = Path(_ziamath().__file__).parent / "fonts" / "STIXTwoMath-Regular.ttf"
    body = next(face for face in font_faces(body_family) if face.style == "normal")
    return round(x_height(body.path) / x_height(stix), 3)


def _image(mathml: str, scale: float, ink: str) -> str:
    element = etree.fromstring(mathml)
    display = element.get("display") == "block"
    tex = element.get("alttext") or "".join(element.xpath(".//m:annotation//text()", namespaces={"m": MATHML}))
    drawn = draw(_presentation(element))
    svg = drawn.svg.replace('fill="black"', f'fill="{ink}"')
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    kind = "display" if display else "inline"
    style = f"width: {drawn.width * scale:.3f}em; height: {drawn.height * scale:.3f}em"
    if not display:
        style += f"; vertical-align: {-drawn.depth * scale:.3f}em"
    return f'<img class="math {kind}" alt="{escape(tex.strip())}" style="{style}" src="data:image/svg+xml;base64,{data}"/>'


def _presentation(element: etree._Element) -> str:
    """The MathML without Pandoc's <semantics> wrapper and TeX annotation (ziamath draws
    presentation MathML only and warns about anything else)."""
    # The display attribute stays: ziamath sets an inline formula's sums with limits at the side.
    math = etree.Element(f"{{{MATHML}}}math", {"display": element.get("display", "inline")}, nsmap={None: MATHML})
    semantics = element.find(f"{{{MATHML}}}semantics")
    children = list(semantics if semantics is not None else element)
    for child in children:
        if etree.QName(child).localname not in ("annotation", "annotation-xml"):
            math.append(child)
    return etree.tostring(math, encoding="unicode")


@cache
def draw(mathml: str) -> Drawn:
    """One formula as SVG, cached: a formula repeated in the book is drawn once (about 20-50 ms)."""
    ziamath = _ziamath()
    ziamath.config.svg2 = False  # <defs> and <use>, which every SVG reader knows
    ziamath.config.numbering.autonumber = False  # equation numbers are the author's, in the TeX
    with _ziamath_warnings() as problems:
        try:
            formula = ziamath.Math(mathml, size=SIZE, margin=0)
            svg = formula.svg()
            width, height = formula.getsize()
            depth = -formula.getyofst()
        except Exception as exc:  # ziamath raises whatever its parser meets
            raise FolioError(f"math: could not draw the formula {mathml[:200]}: {exc}") from None
    if problems:
        raise FolioError(f"math: could not draw the formula {mathml[:200]}: {'; '.join(problems)}")
    return Drawn(svg, width / SIZE, height / SIZE, depth / SIZE)


@cache
def _ziamath() -> Any:
    """ziamath, imported once (it loads its font with a deprecated importlib call: not ours to fix)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath
    return ziamath


@contextmanager
def _ziamath_warnings() -> Iterator[list[str]]:
    """ziamath logs what it cannot draw (an unknown element) on the root logger and draws on:
    collect those messages instead, so that a formula drawn wrong stops the build."""
    messages: list[str] = []

    def keep(record: logging.LogRecord) -> bool:
        if "ziamath" in record.pathname or "ziafont" in record.pathname:
            messages.append(record.getMessage())
            return False
        return True

    root = logging.getLogger()
    root.addFilter(keep)
    try:
        yield messages
    finally:
        root.removeFilter(keep)
