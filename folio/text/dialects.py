"""Figures written in another tool's dialect, read as the figures they are.

Real manuscripts come from web sites and books with build systems of their own, and their figures
are written for those: a Jekyll site's `{% include figure.html filename="x.png" caption="..." %}`
(the image in images/<page slug>/ at the site's root), the AOSA books' TeX macro
`\\aosafigure[width]{path}{caption}{label}` (the path relative to the chapter's folder). Only those
tools run them, yet each is a figure the reader must see: the build turns each into the Markdown
figure it stands for, `![caption](path)`, before Pandoc reads the chapter (text/convert.py), and
the check names each in a note (checks/markup.py). `folio import` uses the same reading.

An image is looked for only inside the folder it may come from (the manuscript folder for the
build): a path that leads out of it, by `../` or a symbolic link, is not found. A figure whose
image is not found is left as it was, and the check says where it looked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from folio.project.manuscript import IMAGE_TYPES, mask_code

JEKYLL_FIGURE = re.compile(r"\{%-?\s*include\s+figure\.html\s+(.*?)-?%\}", re.S)
LIQUID_ARGUMENT = re.compile(r"(\w+)=(?:\"([^\"]*)\"|'([^']*)')")
AOSA_FIGURE = re.compile(r"(?<!\\)\\aosafigure(?:\[[^\]\n]*\])?\{([^{}\n]*)\}\{([^{}]*)\}\{([^{}\n]*)\}")
AOSA_REFERENCE = re.compile(r"(?<!\\)\\aosafigref\{([^{}\n]+)\}")
ID = re.compile(r"\w[\w.:-]*")
"""A label that can be a Pandoc id as it is."""
JEKYLL_LEVELS = 5
"""How many folders up from a page Jekyll's site root may be (images/ is at the root)."""


@dataclass
class Figure:
    """A figure in another tool's dialect: where it is in the text, what it says, and its image."""

    start: int
    end: int
    dialect: str
    """"jekyll" or "aosa"."""
    name: str
    """The image as the text names it (Jekyll's filename=, the macro's path)."""
    caption: str
    alt: str
    image: Path | None = None
    """The image file found, or None."""
    looked: list[Path] = field(default_factory=list)
    """Where it was looked for, in order (what the check says when it is not found)."""
    label: str = ""
    """The macro's label (\\aosafigure's last argument), the figure's id when it can be one."""

    @property
    def what(self) -> str:
        return "Jekyll figure include" if self.dialect == "jekyll" else "\\aosafigure"


def figures(body: str, source: Path, top: Path | None = None, stems: tuple[str, ...] = ()) -> list[Figure]:
    """The dialect figures of a text (outside code) read from the file `source`, each with its
    image found: inside `top` (and never outside it), or for Jekyll at most five folders up when
    `top` is None. Jekyll's images are in images/<stem>/ for the page's file stem and `stems`."""
    masked = mask_code(body)
    found: list[Figure] = []
    for match in JEKYLL_FIGURE.finditer(masked):
        text = body[match.start(1) : match.end(1)]
        arguments = {m[1]: m[2] if m[2] is not None else m[3] for m in LIQUID_ARGUMENT.finditer(text)}
        filename = arguments.get("filename", "").strip()
        caption, alt = arguments.get("caption", "").strip(), " ".join(arguments.get("alt", "").split())
        figure = Figure(match.start(), match.end(), "jekyll", filename, caption, alt)
        if filename:
            figure.image, figure.looked = jekyll_image(source, (source.stem, *stems), filename, top)
        found.append(figure)
    for match in AOSA_FIGURE.finditer(masked):
        name = body[match.start(1) : match.end(1)].strip()
        caption = " ".join(body[match.start(2) : match.end(2)].split())
        label = body[match.start(3) : match.end(3)].strip()
        figure = Figure(match.start(), match.end(), "aosa", name, caption, "", label=label if ID.fullmatch(label) else "")
        if name:
            candidate = source.parent / name
            figure.looked = [candidate.parent]
            figure.image = candidate if _usable(candidate, top) else None
        found.append(figure)
    return sorted(found, key=lambda f: f.start)


def jekyll_image(source: Path, stems: tuple[str, ...], filename: str, top: Path | None = None) -> tuple[Path | None, list[Path]]:
    """Where Jekyll finds an included figure: images/<page slug>/<filename> at the site's root,
    some folders above the page; searched from the page's folder up to `top` (inclusive), or five
    folders up. The image (or None) and the folders looked in."""
    folders = [source.parent, *source.parent.parents]
    if top is not None:
        folders = [f for f in folders if f.resolve().is_relative_to(top.resolve())]
    looked: list[Path] = []
    for folder in folders[:JEKYLL_LEVELS] if top is None else folders:
        for stem in dict.fromkeys(stems):
            candidate = folder / "images" / stem / filename
            looked.append(candidate.parent)
            if _usable(candidate, top):
                return candidate, looked
    return None, looked


def _usable(candidate: Path, top: Path | None) -> bool:
    """An image file the book can show, inside `top` once its links are followed."""
    if top is not None and not candidate.resolve().is_relative_to(top.resolve()):
        return False
    return candidate.is_file() and candidate.suffix.lower() in IMAGE_TYPES


def read_figures(body: str, source: Path, manuscript: Path) -> str:
    """The text with each dialect figure whose image is in the manuscript folder written as a
    Markdown figure (paths are relative to manuscript/), and each \\aosafigref to one of them as
    a link to it whose text is "Figure" (text/figures.py numbers it when figures are numbered).
    Each keeps its lines, so what follows stays on its line; the rest is left for the markup
    filter, which drops it (checks/markup.py has warned)."""
    found = [f for f in figures(body, source, manuscript) if f.image is not None]
    replacements = []
    for figure in found:
        assert figure.image is not None
        original = body[figure.start : figure.end]
        markdown = as_markdown(figure, figure.image.relative_to(manuscript).as_posix())
        replacements.append((figure.start, figure.end, markdown + "\n" * max(0, original.count("\n") - markdown.count("\n"))))
    replacements += [(start, end, f"[Figure](#{label})") for start, end, label in references(body, found)]
    pieces, last = [], 0
    for start, end, text in sorted(replacements):
        pieces += [body[last:start], text]
        last = end
    return "".join([*pieces, body[last:]])


def references(body: str, found: list[Figure]) -> list[tuple[int, int, str]]:
    """(start, end, label) of each \\aosafigref (outside code) to one of these figures."""
    labels = {f.label for f in found if f.label}
    return [(m.start(), m.end(), m[1].strip()) for m in AOSA_REFERENCE.finditer(mask_code(body)) if m[1].strip() in labels]


def as_markdown(figure: Figure, path: str) -> str:
    """`![caption](path)`, with `{alt="..."}` when the alt text says something else; a figure
    with no caption is captioned with its alt text (and has none if neither is given)."""
    caption = figure.caption or figure.alt
    target = f"<{path}>" if re.search(r"[\s()<>]", path) else path
    alt = figure.alt if figure.alt and figure.alt != caption else ""
    attributes = [f"#{figure.label}"] if figure.label else []
    attributes += ['alt="' + alt.replace("\\", "\\\\").replace('"', '\\"') + '"'] if alt else []
    return f"![{caption}]({target})" + ("{" + " ".join(attributes) + "}" if attributes else "")
