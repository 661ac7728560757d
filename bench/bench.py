"""make bench: how long a book of many chapters takes, and how much memory, side by side with the
naive pipeline (Pandoc to one HTML file, WeasyPrint to one PDF) measured in the same run.

Each measurement runs in a fresh process (so import time and peak memory are its own); figures are
the median of --runs runs. The book is chapter 35 repeated as --chapters chapters, each renumbered.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def make_book(root: Path, chapters: int) -> None:
    source = (REPO / "manuscript" / "chapters" / "35-forged-in-fire.md").read_text(encoding="utf-8")
    (root / "manuscript" / "chapters").mkdir(parents=True)
    shutil.copy(REPO / "manuscript" / "references.yaml", root / "manuscript" / "references.yaml")
    names = []
    for number in range(1, chapters + 1):
        name = f"chapters/{number:02d}.md"
        text = re.sub(r"^number: \d+$", f"number: {number}", source, flags=re.M)
        (root / "manuscript" / name).write_text(text, encoding="utf-8")
        names.append(name)
    book = (REPO / "manuscript" / "book.yaml").read_text(encoding="utf-8")
    book = re.sub(r"chapters:\n(  - .*\n)+", "chapters:\n" + "".join(f"  - {n}\n" for n in names), book)
    (root / "manuscript" / "book.yaml").write_text(book, encoding="utf-8")


# Runs a command and prints the peak RSS (KiB) of the largest process it started: each measurement
# gets its own count (RUSAGE_CHILDREN in this process would keep the largest of all runs so far).
PEAK = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
PEAK += "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"


def measure(command: list[str], runs: int) -> tuple[float, float]:
    """(median seconds, largest peak RSS in MB of any one process) over `runs` runs."""
    times, peak = [], 0.0
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run([PYTHON, "-c", PEAK, *command], check=True, capture_output=True, text=True).stdout
        times.append(time.perf_counter() - started)
        peak = max(peak, int(out.split()[-1]) / 1024)
    return statistics.median(times), peak


BASELINE = """
import sys, subprocess, pypandoc, weasyprint
from pathlib import Path
root = Path(sys.argv[1]); m = root / "manuscript"
import yaml
book = yaml.safe_load((m / "book.yaml").read_text())
files = [str(m / c) for c in book["chapters"]]
html = subprocess.run([pypandoc.get_pandoc_path(), *files, "-s", "-t", "html5", "--citeproc",
    f"--bibliography={m / 'references.yaml'}", "--metadata=title=x"], capture_output=True, text=True, check=True).stdout
weasyprint.HTML(string=html).write_pdf(root / "baseline.pdf")
"""


def pages(pdf: Path) -> int:
    import pikepdf

    with pikepdf.open(pdf) as document:
        return len(document.pages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chapters", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_book(root, args.chapters)
        folio = [PYTHON, "-m", "folio", "build", "--project", str(root)]
        rows = []

        def cold(formats: list[str]) -> list[str]:
            return ["sh", "-c", f"rm -rf {root}/build && " + " ".join([*folio, *formats])]

        rows.append(("baseline: pandoc + weasyprint, one PDF", *measure([PYTHON, "-c", BASELINE, str(root)], args.runs)))
        rows.append(("folio build pdf (cold cache)", *measure(cold(["pdf"]), args.runs)))
        rows.append(("folio build pdf (warm cache)", *measure([*folio, "pdf"], args.runs)))
        rows.append(("folio build epub (with print layout)", *measure([*folio, "epub"], args.runs)))
        rows.append(("folio build: pdf, press, epub, draft", *measure([*folio], args.runs)))
        print(f"\nbook: {args.chapters} chapters; print PDF {pages(root / 'build/axis-of-resentment.pdf')} pages, ", end="")
        print(f"baseline PDF {pages(root / 'baseline.pdf')} pages; median of {args.runs} runs\n")
        print(f"{'what':42} {'seconds':>8} {'peak MB':>8}")
        for name, seconds, megabytes in rows:
            print(f"{name:42} {seconds:8.1f} {megabytes:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
