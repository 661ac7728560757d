"""Book typefaces that Folio installs (PyPI font packages) and where their files are.

A configured font that is not installed is an error: a silent fallback to another face would
change every line break and the printer would get a book nobody proofed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

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
