"""`folio bench` (and `make bench`): how long Folio takes, and how much memory, beside what an
author would otherwise run, on the same machine in the same run.

For each book size (`--chapters 1,10,40,160`), a book is made of one chapter repeated (by default
the project's first: chapter 35 in this repository), each copy renumbered, with the project's
bibliography. Then, each in a fresh process:
- the naive baseline: Pandoc with citeproc to one standalone HTML file, then the `weasyprint`
  command on it (its default Letter pages);
- `folio build pdf` from cold (no output, no cache): the print PDF and, as the repository's book
  asks, the printer's file; again with nothing changed; again after one sentence changed in one
  chapter;
- `folio build` (every default format) from cold, again with nothing changed, and again after one
  sentence changed (the review draft too is laid out a chapter at a time);
- `folio serve` on the built book, in Debian's Chromium: save -> the page shows the edit, and
  save -> the page links the PDF that holds it (serve.py's measure_preview; its own runs, at
  least three, whose median is shown; the memory of a preview is not sampled).
Each row gives seconds (the median of --runs), pages of its PDF, seconds per page, the peak memory
of the whole process tree (sampled from /proc: the sum of the processes' RSS, which counts pages
that forked workers share once per worker, and their PSS, which shares them out), and the ratios
to the baseline. The table is printed and written as JSON (build/bench.json).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import folio
from folio.errors import EXIT_OK, ConfigError
from folio.project.config import load_project

SAMPLE = 0.1
"""Seconds between two samples of the process tree's memory."""


@dataclass
class Row:
    chapters: int
    what: str
    seconds: float
    pages: int
    peak_rss_mb: float
    peak_pss_mb: float
    x_baseline: float = 0.0
    """Seconds against the baseline's."""
    x_baseline_per_page: float = 0.0
    """Seconds per page against the baseline's."""

    @property
    def per_page(self) -> float:
        return self.seconds / self.pages if self.pages else 0.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", type=Path, default=Path("."), metavar="DIR", help="the book whose chapter is repeated (default: .)")
    parser.add_argument("--chapter", metavar="FILE", help="the chapter to repeat, relative to manuscript/ (default: the book's first)")
    parser.add_argument("--chapters", default="1,10,40,160", metavar="N,N,...", help="book sizes in chapters (default: 1,10,40,160)")
    parser.add_argument("--runs", type=int, default=1, metavar="N", help="runs of each measurement; the median is shown (default: 1)")
    parser.add_argument("--out", type=Path, metavar="FILE", help="where to write the JSON (default: PROJECT/build/bench.json)")


def run(args: argparse.Namespace) -> int:
    try:
        sizes = [int(n) for n in args.chapters.split(",")]
    except ValueError:
        raise ConfigError(f"--chapters '{args.chapters}': give chapter counts separated by commas, e.g. 1,10,40") from None
    if not sizes or min(sizes) < 1 or args.runs < 1:
        raise ConfigError("--chapters and --runs must be whole numbers, 1 or more")
    project = load_project(args.project)
    chapter = project.manuscript_dir / args.chapter if args.chapter else project.chapter_paths[0]
    if not chapter.is_file():
        raise ConfigError(f"--chapter: no such file: {chapter}")
    rows: list[Row] = []
    for size in sizes:
        rows += bench_book(project.root, chapter, size, args.runs)
    out = args.out or project.root / "build" / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "folio": folio.__version__},
        "chapter": str(chapter.relative_to(project.root)),
        "runs": args.runs,
        "rows": [asdict(row) | {"s_per_page": round(row.per_page, 4)} for row in rows],
        "targets": targets(rows),
    }
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(table(rows))
    for name, verdict in report["targets"].items():
        print(f"target: {name}: {verdict}")
    print(f"wrote {out}")
    return EXIT_OK


def bench_book(project: Path, chapter: Path, size: int, runs: int) -> list[Row]:
    """Every measurement on a book of `size` chapters, in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="folio-bench-") as folder:
        root = Path(folder)
        chapters = make_book(root, project, chapter, size)
        build = root / "build"
        slug = load_project(root).config.slug
        folio_cmd = [sys.executable, "-m", "folio", "build", "--project", str(root), "--quiet"]

        def cold() -> None:
            shutil.rmtree(build, ignore_errors=True)

        rows = []

        def row(what: str, command: list[str], pdf: Path, before: object = None) -> Row:
            seconds, rss, pss = measure(command, runs, before)
            rows.append(Row(size, what, round(seconds, 3), pdf_pages(pdf), round(rss, 1), round(pss, 1)))
            _say(size, what, seconds)
            return rows[-1]

        base = row("baseline: pandoc --citeproc, weasyprint", baseline_command(root, chapters), root / "baseline.pdf")
        pdf = build / f"{slug}.pdf"
        row("folio build pdf (print + press), cold", [*folio_cmd, "pdf"], pdf, cold)
        row("folio build pdf, nothing changed", [*folio_cmd, "pdf"], pdf)
        edited = chapters[len(chapters) // 2]
        row("folio build pdf, one sentence changed", [*folio_cmd, "pdf"], pdf, lambda: change_one_sentence(edited))
        row("folio build (everything), cold", folio_cmd, pdf, cold)
        row("folio build (everything), nothing changed", folio_cmd, pdf)
        row("folio build (everything), one sentence changed", folio_cmd, pdf, lambda: change_one_sentence(edited))
        rows.extend(preview_rows(root, size, runs))
        for r in rows:
            r.x_baseline = round(r.seconds / base.seconds, 3) if base.seconds else 0.0
            r.x_baseline_per_page = round(r.per_page / base.per_page, 3) if base.per_page and r.per_page else 0.0
        return rows


WIDTH = 48  # the column of the runs' names
PREVIEW_PAGE = "folio serve: save -> the page shows it"
PREVIEW_PDF = "folio serve: save -> its PDF linked"


def preview_rows(root: Path, size: int, runs: int) -> list[Row]:
    """The preview's two waits on this book, in a real browser, from the build's warm cache."""
    from folio.tools.serve import measure_preview

    figures = measure_preview(root, max(runs, 3))
    rows = []
    for what, key in ((PREVIEW_PAGE, "html_seconds"), (PREVIEW_PDF, "pdf_seconds")):
        rows.append(Row(size, what, figures[key], figures["pages"], 0.0, 0.0))
        _say(size, what, figures[key])
    return rows


def _say(size: int, what: str, seconds: float) -> None:
    """One measurement, as it is made (the table comes at the end)."""
    print(f"{size:4d} chapters  {what:{WIDTH}} {seconds:8.2f} s", file=sys.stderr, flush=True)


def make_book(root: Path, project: Path, chapter: Path, size: int) -> list[Path]:
    """A book of `size` copies of `chapter`, each renumbered: the project's manuscript folder (its
    bibliographies, styles, images) and templates, with book.yaml's chapter list replaced and its
    front and back matter dropped. Returns the chapter files."""
    source = chapter.read_text(encoding="utf-8")
    book = load_project(project)
    manuscript = root / "manuscript"
    shutil.copytree(book.manuscript_dir, manuscript)
    if (project / "templates").is_dir():
        shutil.copytree(project / "templates", root / "templates")
    names, files = [], []
    for number in range(1, size + 1):
        name = f"chapters/{number:02d}.md"  # beside the book's own chapters, which stay out of book.yaml
        text = re.sub(r"^number: *\d+ *$", f"number: {number}", source, count=1, flags=re.M)
        (manuscript / name).write_text(text, encoding="utf-8")
        names.append(name)
        files.append(manuscript / name)
    yaml = book.book_file.read_text(encoding="utf-8")
    yaml = re.sub(r"^(front|back):\n(\s+- .*\n)+", "", yaml, flags=re.M)
    yaml = re.sub(r"^chapters:\n(\s+- .*\n)+", "chapters:\n" + "".join(f"  - {n}\n" for n in names), yaml, flags=re.M)
    (manuscript / "book.yaml").write_text(yaml, encoding="utf-8")
    return files


def change_one_sentence(chapter: Path) -> None:
    """One sentence of a paragraph changed by a word, as an author's edit would."""
    lines = chapter.read_text(encoding="utf-8").split("\n")
    body = next(i for i, line in enumerate(lines) if i > 0 and line.strip() == "---") + 1
    for index in range(body, len(lines)):
        line = lines[index]
        if len(line) > 80 and not line.lstrip().startswith(("#", "-", ">", "|", "!", "[", "*", "`")):
            lines[index] = line.replace(" the ", " the very ", 1) if " the " in line else line + " Indeed."
            break
    chapter.write_text("\n".join(lines), encoding="utf-8")


def baseline_command(root: Path, chapters: list[Path]) -> list[str]:
    """What an author would otherwise run: Pandoc with citeproc to one HTML file, then WeasyPrint's command."""
    import pypandoc

    book = load_project(root)
    pandoc = [pypandoc.get_pandoc_path(), *map(str, chapters), "-s", "-t", "html5", "--citeproc", "--metadata=title=Bench"]
    pandoc += [f"--bibliography={b}" for b in book.bibliographies] + [f"--csl={book.csl_path}", "-o", str(root / "baseline.html")]
    weasyprint = Path(sys.executable).parent / "weasyprint"
    command = [str(weasyprint)] if weasyprint.is_file() else [sys.executable, "-m", "weasyprint"]
    command += [str(root / "baseline.html"), str(root / "baseline.pdf")]
    return ["sh", "-c", " && ".join(" ".join(_quote(part) for part in c) for c in (pandoc, command))]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def measure(command: list[str], runs: int, before: object = None) -> tuple[float, float, float]:
    """(median seconds, peak RSS MB, peak PSS MB of the process tree) over `runs` runs; `before`
    is called before each run, untimed (clearing the outputs for a cold build, an edit)."""
    times, rss, pss = [], 0.0, 0.0
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(Path(folio.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])}
    for _ in range(runs):
        if callable(before):
            before()
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        peak = TreePeak(process.pid)
        peak.start()
        _, stderr = process.communicate()
        times.append(time.perf_counter() - started)
        peak.stop()
        if process.returncode != 0:
            raise ConfigError(f"bench: {' '.join(command)} failed (exit {process.returncode}):\n{stderr.decode(errors='replace')[-2000:]}")
        rss, pss = max(rss, peak.rss / 1024), max(pss, peak.pss / 1024)
    return statistics.median(times), rss, pss


class TreePeak(threading.Thread):
    """Samples the memory of a process and all its descendants until stopped: the largest sum of
    their RSS and of their PSS (kB)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.rss = 0
        self.pss = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(SAMPLE)

    def stop(self) -> None:
        self.done.set()
        self.join()

    def sample(self) -> None:
        rss = pss = 0
        for pid in descendants(self.pid):
            rss += _kb(f"/proc/{pid}/status", "VmRSS:")
            pss += _kb(f"/proc/{pid}/smaps_rollup", "Pss:")
        self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)


def descendants(root: int) -> list[int]:
    """The process and every process below it, from /proc's parent ids."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue += children.get(pid, [])
    return found


def _kb(path: str, field: str) -> int:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def pdf_pages(path: Path) -> int:
    if not path.is_file():
        return 0
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def table(rows: list[Row]) -> str:
    head = f"{'chapters':>8}  {'run':{WIDTH}} {'seconds':>8} {'pages':>6} {'s/page':>7} {'RSS MB':>7} {'PSS MB':>7}"
    head += f" {'× base':>7} {'× s/page':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.chapters:8d}  {r.what:{WIDTH}} {r.seconds:8.2f} {r.pages:6d} {r.per_page:7.3f} {_mb(r.peak_rss_mb)} {_mb(r.peak_pss_mb)}"
            f" {r.x_baseline:7.2f} {r.x_baseline_per_page:8.2f}"
        )
    return "\n".join(lines)


def _mb(value: float) -> str:
    return f"{value:7.0f}" if value else f"{'-':>7}"  # a preview's memory is not sampled


def targets(rows: list[Row]) -> dict[str, str]:
    """Issue 12's targets, judged on the 40-chapter book (and 160 for memory), where measured."""
    found = {(r.chapters, r.what): r for r in rows}

    def get(size: int, prefix: str) -> Row | None:
        return next((r for (n, what), r in found.items() if n == size and what.startswith(prefix)), None)

    verdicts: dict[str, str] = {}
    prefixes = ("baseline", "folio build pdf (print", "folio build pdf, one", "folio build pdf, nothing")
    base, cold, edit, noop = (get(40, prefix) for prefix in prefixes)
    everything = get(40, "folio build (everything), cold")
    if base and cold:
        verdicts["cold build pdf s/page <= 0.75 x baseline"] = _verdict(cold.x_baseline_per_page, 0.75)
    if base and edit:
        verdicts["one sentence changed <= 0.4 x baseline run"] = _verdict(edit.x_baseline, 0.4)
    if noop:
        verdicts["nothing changed < 1 s"] = _verdict(noop.seconds, 1.0, "s")
    if base and everything:
        verdicts["peak memory of folio build <= baseline (RSS)"] = _verdict(everything.peak_rss_mb / base.peak_rss_mb, 1.0)
    big = get(160, "folio build (everything), cold")
    if everything and big:
        verdicts["peak memory at 160 chapters <= 1.2 x at 40 (RSS)"] = _verdict(big.peak_rss_mb / everything.peak_rss_mb, 1.2)
    for what, limit in ((PREVIEW_PAGE, 1.0), (PREVIEW_PDF, 2.0)):  # whatever the book's length: every size measured
        measured = [r for r in rows if r.what == what]
        if measured:
            worst = max(measured, key=lambda r: r.seconds)
            verdicts[f"{what} < {limit:g} s (slowest: {worst.chapters} chapters)"] = _verdict(worst.seconds, limit, "s")
    return verdicts


def _verdict(value: float, limit: float, unit: str = "x") -> str:
    return f"{'met' if value <= limit else 'NOT met'} ({value:.2f}{unit}, limit {limit}{unit})"
