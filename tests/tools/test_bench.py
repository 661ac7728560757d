"""folio/tools/bench.py: the books it makes, the edit it makes, the memory it measures, the table
and the targets it judges. (A whole bench run takes minutes: `make bench CHAPTERS=1,10`.)"""

from __future__ import annotations

import sys

import pytest

from folio.errors import ConfigError
from folio.project.config import load_project
from folio.project.manuscript import load_chapters
from folio.tools import bench

from helpers import REPO, run_folio


def test_a_bench_book_is_the_chapter_repeated_and_renumbered(tmp_path):
    files = bench.make_book(tmp_path, REPO, REPO / "manuscript" / "chapters" / "35-forged-in-fire.md", 3)
    project = load_project(tmp_path)
    assert project.chapter_paths == files and len(files) == 3
    chapters, findings = load_chapters(project)
    assert [c.number for c in chapters] == [1, 2, 3] and not [f for f in findings if f.is_error]
    assert project.bibliographies and project.bibliographies[0].is_file()


def test_one_sentence_changed_is_one_line_changed(tmp_path):
    (chapter,) = bench.make_book(tmp_path, REPO, REPO / "manuscript" / "chapters" / "35-forged-in-fire.md", 1)
    before = chapter.read_text(encoding="utf-8").split("\n")
    bench.change_one_sentence(chapter)
    after = chapter.read_text(encoding="utf-8").split("\n")
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and " the very " in changed[0][1]


def test_peak_memory_counts_the_whole_process_tree():
    # A parent that starts a child holding 80 MB: the tree's peak holds both.
    child = "import time; b = bytearray(80 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(1.5)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    seconds, rss, pss = bench.measure([sys.executable, "-c", parent], runs=1)
    assert 1.5 <= seconds < 30
    assert rss >= 80 + 5  # the child's 80 MB and the parent's interpreter
    assert 80 <= pss <= rss


def test_a_failed_command_stops_the_bench():
    with pytest.raises(ConfigError, match="exit 3"):
        bench.measure([sys.executable, "-c", "import sys; sys.exit(3)"], runs=1)


def _rows(size: int, base: float, cold: float, edit: float, noop: float, rss: float) -> list[bench.Row]:
    return [
        bench.Row(size, "baseline: pandoc --citeproc, weasyprint", base, 74, 200, 190),
        bench.Row(size, "folio build pdf (print + press), cold", cold, 161, 250, 200),
        bench.Row(size, "folio build pdf, nothing changed", noop, 161, 30, 20),
        bench.Row(size, "folio build pdf, one sentence changed", edit, 161, 250, 200),
        bench.Row(size, "folio build (everything), cold", cold * 2, 161, rss, 200),
    ]


def test_the_targets_are_judged_on_the_40_chapter_book():
    rows = _rows(40, 4.0, 5.0, 1.5, 0.4, 180) + _rows(160, 16.0, 20.0, 2.0, 0.5, 230)
    for row in rows:
        base = next(r for r in rows if r.chapters == row.chapters and r.what.startswith("baseline"))
        row.x_baseline, row.x_baseline_per_page = row.seconds / base.seconds, row.per_page / base.per_page
    verdicts = bench.targets(rows)
    assert verdicts["cold build pdf s/page <= 0.75 x baseline"].startswith("met")  # 5/161 against 4/74
    assert verdicts["one sentence changed <= 0.4 x baseline run"].startswith("met")  # 1.5 s against 4 s
    assert verdicts["nothing changed < 1 s"].startswith("met")
    assert verdicts["peak memory of folio build <= baseline (RSS)"].startswith("met")  # 180 MB against 200
    assert verdicts["peak memory at 160 chapters <= 1.2 x at 40 (RSS)"].startswith("NOT met")  # 230 against 180
    table = bench.table(rows)
    assert len(table.splitlines()) == 2 + len(rows) and "folio build pdf, nothing changed" in table


def test_bad_chapter_counts_are_refused(tmp_path):
    code, _, err = run_folio(["bench", "--project", str(REPO), "--chapters", "1,x", "--out", str(tmp_path / "b.json")])
    assert code == 2 and "--chapters '1,x'" in err
    assert not (tmp_path / "b.json").exists()


def test_the_preview_targets_hold_at_every_length():
    """The preview's waits are judged on the slowest book measured ("whatever the book's length")."""
    rows = [
        bench.Row(40, bench.PREVIEW_PAGE, 0.6, 161, 0.0, 0.0),
        bench.Row(40, bench.PREVIEW_PDF, 1.5, 161, 0.0, 0.0),
        bench.Row(160, bench.PREVIEW_PAGE, 1.2, 641, 0.0, 0.0),
        bench.Row(160, bench.PREVIEW_PDF, 1.8, 641, 0.0, 0.0),
    ]
    verdicts = bench.targets(rows)
    assert verdicts[f"{bench.PREVIEW_PAGE} < 1 s (slowest: 160 chapters)"].startswith("NOT met (1.20s")
    assert verdicts[f"{bench.PREVIEW_PDF} < 2 s (slowest: 160 chapters)"].startswith("met (1.80s")
    assert all(line.split()[-4:-2] == ["-", "-"] for line in bench.table(rows).splitlines()[2:])  # memory not sampled
