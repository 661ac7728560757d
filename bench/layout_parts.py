"""The print layout in one pass against a part at a time (render/parts.py), on a book of chapter 35
repeated: cold single pass, cold parts, warm parts (nothing changed), and parts after one sentence
changed in one chapter. Pandoc's output is made (and cached) first, so only layout is timed.

    PYTHONPATH=. python bench/layout_parts.py --chapters 40 [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import make_book
from folio.checks.book import check_book
from folio.project.config import load_project
from folio.render.document import lay_out_book, reproducible
from folio.render.parts import lay_out_parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chapters", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_book(root, args.chapters)
        cache = root / "build" / ".cache"
        project = load_project(root)
        fragments = check_book(project, cache).fragments

        def timed(name: str, run):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            laid = run()
            rows.append((name, time.perf_counter() - started, len(laid.pages), len(laid.data)))
            print(f"{name:44} {rows[-1][1]:7.1f} s {rows[-1][2]:5d} pages {rows[-1][3] / 1e6:6.1f} MB", flush=True)
            return laid

        def single_pass():  # type: ignore[no-untyped-def]
            laid = lay_out_book(project, fragments, "book.html.j2", project.geometry())
            laid.data = reproducible(laid.data)
            return laid

        single = timed("single pass (cold)", single_pass)
        parts = timed("lay_out_parts, cold cache", lambda: lay_out_parts(project, fragments, jobs=args.jobs, cache_dir=cache))
        timed("lay_out_parts, warm (nothing changed)", lambda: lay_out_parts(project, fragments, jobs=args.jobs, cache_dir=cache))
        chapter = root / "manuscript" / "chapters" / f"{args.chapters // 2:02d}.md"
        text = chapter.read_text(encoding="utf-8")
        chapter.write_text(text.replace("The operations room", "The crowded operations room", 1), encoding="utf-8")
        changed = check_book(project, cache).fragments
        timed("lay_out_parts, one sentence changed", lambda: lay_out_parts(project, changed, jobs=args.jobs, cache_dir=cache))
        assert len(parts.pages) == len(single.pages)
    (Path("build")).mkdir(exist_ok=True)
    table = [dict(zip(["what", "seconds", "pages", "bytes"], row, strict=True)) for row in rows]
    Path("build/bench-parts.json").write_text(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
