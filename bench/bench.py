"""make bench: `folio bench` (folio/tools/bench.py), runnable from a source checkout as
`python bench/bench.py [--chapters 1,10]`. make_book stays here for bench/layout_parts.py."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from folio.cli import main  # noqa: E402
from folio.tools import bench  # noqa: E402

CHAPTER = REPO / "manuscript" / "chapters" / "35-forged-in-fire.md"


def make_book(root: Path, chapters: int) -> list[Path]:
    """The repository's book with chapter 35 repeated `chapters` times (manuscript/chapters/NN.md)."""
    return bench.make_book(root, REPO, CHAPTER, chapters)


if __name__ == "__main__":
    sys.exit(main(["bench", "--project", str(REPO), *sys.argv[1:]]))
