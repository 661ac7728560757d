"""Book typefaces that Folio installs (PyPI font packages) and where their files are.

A configured font that is not installed is an error: a silent fallback to another face would
change every line break and the printer would get a book nobody proofed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
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
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        package = module_name.replace("_", "-")
        raise ConfigError(f"print.font: '{family}' is not installed (hint: run 'make setup', which installs {package})") from None
    files = Path(module.__file__ or "").parent / "files"
    faces = [FontFace(family, "italic" if "Italic" in f.name else "normal", f) for f in sorted(files.glob("*.ttf"))]
    if not any(face.style == "normal" for face in faces):
        raise ConfigError(f"print.font: no roman font file for '{family}' in {files}")
    return faces


def font_dirs(faces: list[FontFace]) -> list[Path]:
    return sorted({face.path.parent for face in faces})
