"""Front and back matter (book.yaml `front:` and `back:`): files read like chapters, placed before
and after them in reading order.

The resolved reading order is front + chapters + back: every part is a chapter to the rest of
the pipeline (converted, checked, paged, packaged), and Chapter.role says where it stands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from folio.project import yamlfile

if TYPE_CHECKING:
    from folio.project.config import BookConfig


def reading_order(config: BookConfig, data: yamlfile.LineDict, path: Path, chapters: list[Path], problems: list[str]) -> list[Path]:
    """The whole book's files in reading order; a part listed twice is a problem on its own line."""
    front = [path.parent / name for name in config.front]
    back = [path.parent / name for name in config.back]
    seen = list(chapters)
    for key, paths in (("front", front), ("back", back)):
        for index, part in enumerate(paths):
            if part in seen:
                line = yamlfile.line_of_item(data.get(key), index, data.line_of(key))
                problems.append(f"{path}:{line}: {key}: listed twice: {part.relative_to(path.parent)}")
            seen.append(part)
    return [*front, *chapters, *back]
