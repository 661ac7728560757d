"""Book typefaces that Folio installs (PyPI font packages) and where their files are.

A configured font that is not installed is an error: a silent fallback to another face would
change every line break and the printer would get a book nobody proofed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from folio.errors import ConfigError

PACKAGES = {
    "EB Garamond": "fontpkg_eb_garamond",
    "Crimson Pro": "fontpkg_crimson_pro",
}


@dataclass(frozen=True)
class FontFace:
    family: str
    style: str  # normal | italic
    path: Path

    @property
    def url(self) -> str:
        return self.path.as_uri()


def font_faces(family: str) -> list[FontFace]:
    module_name = PACKAGES.get(family)
    if module_name is None:
        known = ", ".join(PACKAGES)
        raise ConfigError(f"print.font: '{family}' is not a typeface Folio installs (choose one of: {known})")
    return _package_faces(family, module_name, "print.font")


def _package_faces(family: str, module_name: str, key: str) -> list[FontFace]:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        package = module_name.replace("_", "-")
        raise ConfigError(f"{key}: '{family}' is not installed (hint: run 'make setup', which installs {package})") from None
    files = Path(module.__file__ or "").parent / "files"
    faces = [FontFace(family, "italic" if "Italic" in f.name else "normal", f) for f in sorted(files.glob("*.ttf"))]
    if not any(face.style == "normal" for face in faces):
        raise ConfigError(f"{key}: no roman font file for '{family}' in {files}")
    return faces


def font_dirs(faces: list[FontFace]) -> list[Path]:
    """The folders a renderer may read fonts from: these faces' and the code face's."""
    return sorted({face.path.parent for face in [*faces, *code_files()]})


# Code --------------------------------------------------------------------------------------------

CODE_FAMILY = "Source Code Pro"
CODE_PACKAGE = "fontpkg_source_code_pro"


@dataclass(frozen=True)
class CodeFace:
    """The monospace face for code, and the size (in em of the text around it) at which its
    lowercase letters stand as tall as the body face's: a monospace set at the body size looks
    about 15% too large beside a book face with a small x-height."""

    faces: list[FontFace]
    scale: float

    @property
    def family(self) -> str:
        return self.faces[0].family


@cache
def code_files() -> list[FontFace]:
    """The code face's files (one package, installed by the set-up like the book faces)."""
    return _package_faces(CODE_FAMILY, CODE_PACKAGE, "code font")


@cache
def code_face(body_family: str) -> CodeFace:
    """Source Code Pro, scaled to the body face's x-height (both read from their OS/2 tables)."""
    body = next(face for face in font_faces(body_family) if face.style == "normal")
    code = code_files()
    roman = next(face for face in code if face.style == "normal")
    return CodeFace(code, round(x_height(body.path) / x_height(roman.path), 3))


def x_height(path: Path) -> float:
    """The face's x-height as a fraction of its em (OS/2 sxHeight, or the height of its 'x')."""
    from fontTools.ttLib import TTFont

    font = TTFont(path, lazy=True)
    units = font["head"].unitsPerEm
    height = getattr(font["OS/2"], "sxHeight", 0)
    if not height:
        glyphs = font.getGlyphSet()
        from fontTools.pens.boundsPen import BoundsPen

        pen = BoundsPen(glyphs)
        glyphs[font.getBestCmap()[ord("x")]].draw(pen)
        height = pen.bounds[3] if pen.bounds else units / 2
    return float(height) / units


# Embedding variable fonts -------------------------------------------------------------------------

VARIATION_TABLES = ("fvar", "gvar", "avar", "cvar", "HVAR", "VVAR", "MVAR", "STAT")


def instance_at_default_cheaply() -> None:
    """WeasyPrint embeds a variable font as a static instance at the weight it was set in: after
    subsetting, it runs fontTools' instancer over every glyph slot of the subset (it keeps the glyph
    ids, so thousands of empty slots), about 0.3 s a face for each PDF it writes. Laid out a
    chapter at a time (render/parts.py), a book pays that in every chapter. At the font's default
    location (the roman and italic at 400, most of the text) the instance is the font's own
    outlines and metrics: dropping the variation tables gives it in milliseconds. Other weights
    (semibold, bold) still go through the instancer, which is told to pass over the empty slots
    that have no variations (for them it would read the points and write the same points back).
    Either way the instance keeps the font's creation time as its modification time, so the same
    book gives the same bytes."""
    import fontTools.varLib.instancer as instancer
    import weasyprint.pdf.fonts as weasy_fonts

    real = weasy_fonts.instantiateVariableFont
    if getattr(real, "folio", False):
        return
    real_glyph = instancer._instantiateGvarGlyph

    def instantiate_glyph(name: str, glyf: Any, gvar: Any, *args: Any, **options: Any) -> None:
        if not gvar.variations.get(name) and _empty(glyf, name):
            gvar.variations.pop(name, None)  # as the instancer leaves a glyph with no variations left
            return
        real_glyph(name, glyf, gvar, *args, **options)

    instancer._instantiateGvarGlyph = instantiate_glyph

    def instantiate(font: Any, location: dict[str, float], **options: Any) -> Any:
        defaults = {axis.axisTag: axis.defaultValue for axis in font["fvar"].axes}
        if set(location) <= set(defaults) and all(location[tag] == defaults[tag] for tag in location):
            for tag in VARIATION_TABLES[1:]:
                if tag in font:
                    del font[tag]
            _mark_overlaps(font)
            del font["fvar"]
            font.recalcBBoxes = False  # the font's own bounds stand (recounting them would read every slot)
        else:
            font = real(font, location, **options)
        font.recalcTimestamp = False
        font["head"].modified = font["head"].created
        return font

    instantiate.folio = True  # type: ignore[attr-defined]
    instantiate.real = real  # type: ignore[attr-defined]
    instantiate.real_glyph = real_glyph  # type: ignore[attr-defined]
    weasy_fonts.instantiateVariableFont = instantiate


def _empty(glyf: Any, name: str) -> bool:
    """A glyph with no outline, read from its bytes where it has not been decoded (decoding each of
    the thousands of slots a subset keeps is what made the instancer slow)."""
    raw = glyf.glyphs.get(name)
    if raw is not None and hasattr(raw, "data"):
        return len(raw.data) < 2 or raw.data[:2] == b"\x00\x00"
    return bool(glyf[name].numberOfContours == 0)


def _mark_overlaps(font: Any) -> None:
    """What the instancer also does: flag every outline as one whose contours may overlap (a
    variable font's do), so that rasterisers (FreeType) render them as they render the instancer's.
    The flag is set in each glyph's bytes (its first point's or first component's flags), so no
    glyph is decoded and compiled again: that would cost more than the rest of the embedding."""
    from fontTools.ttLib.tables._g_l_y_f import OVERLAP_COMPOUND, flagOverlapSimple

    glyf = font["glyf"]
    for name, raw in glyf.glyphs.items():
        data = getattr(raw, "data", None)
        if data is None:
            glyph = glyf[name]  # already decoded (or an empty slot, which has no flags)
            if glyph.numberOfContours == 0:
                continue
            if glyph.isComposite():
                glyph.components[0].flags |= OVERLAP_COMPOUND
            else:
                glyph.flags[0] |= flagOverlapSimple
            continue
        if len(data) < 12:
            continue  # an empty slot (a subset keeps every glyph id)
        contours = int.from_bytes(data[:2], "big", signed=True)
        if contours < 0:
            at, flag = 10, OVERLAP_COMPOUND  # the first component's flags, two bytes
            value = int.from_bytes(data[at : at + 2], "big") | flag
            raw.data = data[:at] + value.to_bytes(2, "big") + data[at + 2 :]
        elif contours > 0:
            instructions = int.from_bytes(data[10 + 2 * contours : 12 + 2 * contours], "big")
            at = 12 + 2 * contours + instructions  # the first point's flags, one byte
            raw.data = data[:at] + bytes([data[at] | flagOverlapSimple]) + data[at + 1 :]
