"""folio/render/math.py: formulas drawn as SVG images for print, sized in em, on the baseline."""

from __future__ import annotations

import base64
import re

from lxml import etree

from folio.render.fonts import code_face, font_faces, x_height
from folio.render.math import draw, math_scale, print_math, warm

from helpers import REPO

INLINE = (
    '<p>Text <math display="inline" xmlns="http://www.w3.org/1998/Math/MathML" alttext="x_i^2"><semantics><msubsup><mi>x</mi>'
    '<mi>i</mi><mn>2</mn></msubsup><annotation encoding="application/x-tex">x_i^2</annotation></semantics></math> more.</p>'
)
DISPLAY = (
    '<p><math display="block" xmlns="http://www.w3.org/1998/Math/MathML"><semantics><mfrac><mn>1</mn><mi>N</mi></mfrac>'
    '<annotation encoding="application/x-tex">\\frac{1}{N}</annotation></semantics></math></p>'
)


def image(html: str) -> etree._Element:
    return etree.fromstring(re.search(r"<img[^>]*/>", html)[0])


def test_inline_formula_is_an_svg_image_on_the_baseline():
    html = print_math(INLINE, "EB Garamond")
    assert "<math" not in html and html.startswith("<p>Text <img") and html.endswith(" more.</p>")
    img = image(html)
    assert img.get("class") == "math inline" and img.get("alt") == "x_i^2"
    style = dict(part.split(": ") for part in img.get("style").split("; "))
    assert float(style["vertical-align"].removesuffix("em")) < -0.1  # the subscript hangs below the baseline
    assert 0.5 < float(style["width"].removesuffix("em")) < 2
    svg = etree.fromstring(base64.b64decode(img.get("src").split(",", 1)[1]))
    assert etree.QName(svg).localname == "svg" and svg.xpath("//*[local-name()='path']")
    assert "<text" not in etree.tostring(svg, encoding="unicode")  # glyphs are outlines


def test_display_formula_is_a_block_with_its_tex_as_alt():
    img = image(print_math(DISPLAY, "EB Garamond"))
    assert img.get("class") == "math display" and img.get("alt") == "\\frac{1}{N}"
    assert "vertical-align" not in img.get("style")


def test_press_formulas_are_inked_in_cmyk():
    svg = base64.b64decode(image(print_math(DISPLAY, "EB Garamond", press=True)).get("src").split(",", 1)[1]).decode()
    assert 'fill="device-cmyk(0 0 0 1)"' in svg and 'fill="black"' not in svg


def test_a_formula_is_drawn_once():
    draw.cache_clear()
    print_math(INLINE + INLINE + DISPLAY, "EB Garamond")
    assert draw.cache_info().misses == 2 and draw.cache_info().hits == 1


def test_math_and_code_match_the_body_x_height():
    """Both scales come from the fonts' OS/2 x-heights: EB Garamond 0.400 em, STIX Two Math 0.473,
    Source Code Pro 0.478."""
    garamond = next(f for f in font_faces("EB Garamond") if f.style == "normal").path
    assert round(x_height(garamond), 3) == 0.4
    assert math_scale("EB Garamond") == round(0.4 / 0.473, 3)
    assert code_face("EB Garamond").scale == round(0.4 / 0.478, 3)
    assert code_face("Crimson Pro").scale > code_face("EB Garamond").scale  # a larger x-height


def test_warm_draws_before_the_layout_needs_it():
    """build() warms the cache before forking the layout workers: they then draw nothing."""
    draw.cache_clear()
    warm([INLINE, DISPLAY, INLINE])
    assert draw.cache_info().misses == 2
    print_math(INLINE + DISPLAY, "EB Garamond")
    assert draw.cache_info().misses == 2


def test_a_chapter_without_formulas_does_not_load_the_math_renderer():
    """Importing ziamath costs about 0.7 s: a book with no formula never pays it."""
    import subprocess
    import sys

    code = (
        "import sys; from folio.render.math import print_math; "
        "html = '<p>No formula here.</p>'; assert print_math(html, 'EB Garamond') == html; "
        "print('ziamath' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "False"
