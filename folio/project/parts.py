"""Front and back matter (book.yaml `front:` and `back:`): files read like chapters, placed before
and after them in reading order, with `toc_depth` and `short_title` checked beside them.

The resolved reading order is front + chapters + back: every part is a chapter to the rest of
the pipeline (converted, checked, paged, packaged), and Chapter.role says where it stands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from folio.project import yamlfile

if TYPE_CHECKING:
    from folio.project.config import BookConfig


MARKDOWN = (".md", ".markdown", ".txt")
"""What a chapter file may be called: Pandoc reads all three as Markdown."""


def resolve(
    manuscript: Path, path: Path, data: yamlfile.LineDict, config: BookConfig, chapters: list[Path], problems: list[str]
) -> list[Path]:
    """The whole reading order; each missing or repeated file is a problem at its line."""
    front = _paths(manuscript, path, data, "front", config.front, problems)
    back = _paths(manuscript, path, data, "back", config.back, problems)
    ordered: list[Path] = []
    for part in [*front, *chapters, *back]:
        if part in ordered and part not in chapters:
            problems.append(f"{path}:{data.line_of('front' if part in front else 'back')}: front/back: {part.name} is listed twice")
        ordered.append(part)
    for part in ordered:
        if part.suffix.lower() not in MARKDOWN and part.is_file():
            key = "front" if part in front else "back" if part in back else "chapters"
            problems.append(f"{path}:{data.line_of(key)}: {key}: {part.name} is not a Markdown file (name it .md, .markdown or .txt)")
    if not 1 <= config.toc_depth <= 6:
        problems.append(f"{path}:{data.line_of('toc_depth')}: toc_depth: use 1 (chapters), 2 (sections) ... up to 6")
    return ordered


def _paths(manuscript: Path, path: Path, data: yamlfile.LineDict, key: str, names: list[str], problems: list[str]) -> list[Path]:
    found = []
    for index, name in enumerate(names):
        line = data.line_of(key) + 1 + index  # block-style list: one item a line
        part = manuscript / name
        if not part.resolve().is_relative_to(manuscript.resolve()):
            problems.append(f"{path}:{line}: {key}: outside manuscript/: {name}")
        elif not part.is_file():
            problems.append(f"{path}:{line}: {key}: no such file: manuscript/{name}")
        else:
            found.append(part)
    return found
