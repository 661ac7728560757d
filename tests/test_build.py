"""folio/build.py and its commands: how many workers a build uses, how much it says, and
`folio clean`."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pikepdf
import pytest
from rich.console import Console

from folio import progress, workers
from folio.cli import main
from folio.render import parts

from helpers import CHAPTER_ONE, CHAPTER_TWO, NS, PICTURES, chapter_documents, make_book, run_folio

ONIX_BOOK = "publisher: Test Press\n"


def test_jobs_sets_the_number_of_workers(monkeypatch):
    pools = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, workers, **kwargs):
            pools.append(workers)
            super().__init__(workers, **kwargs)

    monkeypatch.setattr(workers, "ProcessPoolExecutor", Counted)
    assert workers.side_by_side(abs, [-1, -2, -3], 1) == [1, 2, 3] and pools == []  # one job: in this process
    assert workers.side_by_side(abs, [-1, -2, -3], 2) == [1, 2, 3] and pools == [2]
    assert workers.side_by_side(abs, [-1], 0) == [1] and pools == [2]  # one item needs no worker


def test_one_job_lays_out_in_this_process(tmp_path, monkeypatch):
    def no_workers(*args, **kwargs):
        raise AssertionError("a worker process was started")

    monkeypatch.setattr(workers, "ProcessPoolExecutor", no_workers)
    monkeypatch.setattr(parts, "ProcessPoolExecutor", no_workers)
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO})
    code, _, err = run_folio(["build", "pdf", "draft", "--jobs", "1", "--project", str(root)])
    assert code == 0, err
    assert (root / "build" / "test-book.pdf").is_file() and (root / "build" / "test-book-draft.pdf").is_file()


@pytest.mark.parametrize("value", ["x", "-1", "1.5"])
def test_jobs_must_be_a_whole_number(tmp_path, value):
    code, _, err = run_folio(["build", "--jobs", value, "--project", str(tmp_path)])
    assert code == 2 and f"'{value}' is not a number of workers" in err


def test_quiet_prints_only_the_findings(tmp_path):
    references = "- id: gamma2022\n  type: book\n  title: Never Cited\n  issued: 2022\n"
    root = make_book(tmp_path / "book", {"01-one.md": "---\ntitle: One\n---\n\nNo citation here.\n"}, references, ONIX_BOOK)
    code, out, err = run_folio(["build", "onix", "--quiet", "--project", str(root)])
    assert code == 0 and out == ""
    assert err.count("\n") == 1 and "C005" in err
    assert (root / "build" / "test-book-onix.xml").is_file()
    code, out, again = run_folio(["build", "onix", "--quiet", "--project", str(root)])
    assert code == 0 and out == "" and again == err  # up to date: the same findings, nothing else


def test_clean_empties_the_cache_and_keeps_the_outputs(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE}, extra=ONIX_BOOK)
    assert run_folio(["build", "onix", "--project", str(root)])[0] == 0
    out = root / "build"
    onix = (out / "test-book-onix.xml").read_bytes()
    assert any((out / ".cache").iterdir())

    code, printed, _ = run_folio(["clean", "--project", str(root)])
    assert code == 0 and f"removed {out / '.cache'}" in printed
    assert not (out / ".cache").exists()
    assert (out / "test-book-onix.xml").read_bytes() == onix
    code, printed, _ = run_folio(["build", "onix", "--project", str(root), "--json"])
    assert code == 0 and not json.loads(printed)["up_to_date"]  # no record left: the build runs again
    assert (out / "test-book-onix.xml").read_bytes() == onix

    (out / "notes.txt").write_text("the author's own file", encoding="utf-8")
    code, printed, _ = run_folio(["clean", "--all", "--project", str(root)])
    assert code == 0 and "test-book-onix.xml" in printed
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # only what Folio made is removed
    (out / "notes.txt").unlink()
    assert run_folio(["clean", "--all", "--project", str(root)]) == (0, f"nothing to remove in {out}\n", "")


def test_clean_all_removes_an_output_folder_left_empty(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE}, extra=ONIX_BOOK)
    out = tmp_path / "elsewhere"
    assert run_folio(["build", "onix", "--project", str(root), "--out", str(out)])[0] == 0
    assert run_folio(["clean", "--all", "--project", str(root), "--out", str(out)])[0] == 0
    assert not out.exists()


def test_the_json_report_tells_what_the_outputs_are(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO})
    code, out, err = run_folio(["build", "pdf", "epub", "--no-validate", "--json", "--project", str(root)])
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] and not report["up_to_date"]
    assert [p["format"] for p in report["products"]] == ["pdf", "epub"]
    for product in report["products"]:
        path = Path(product["path"])
        assert product["bytes"] == path.stat().st_size
        assert product["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    pdf, epub = (Path(p["path"]) for p in report["products"])
    with pikepdf.open(pdf) as document:
        assert report["products"][0]["pages"] == len(document.pages) > 0
    assert report["products"][1]["pages"] == 0  # an EPUB has no pages of its own

    # Notes and citations per chapter: the EPUB's note references, the manuscript's citations.
    noterefs = [len(doc.xpath("//h:a[@role='doc-noteref']", namespaces=NS)) for _, doc in chapter_documents(epub)]
    assert [c["notes"] for c in report["chapters"]] == noterefs == [4, 2]
    assert [c["citations"] for c in report["chapters"]] == [3, 2]
    assert [c["path"] for c in report["chapters"]] == ["manuscript/chapters/01-one.md", "manuscript/chapters/02-two.md"]
    assert [c["title"] for c in report["chapters"]] == ["One", "Two"]
    # Where each chapter opens in the print PDF: the page its named destination leads to.
    with pikepdf.open(pdf) as document:
        numbers = {page.obj.objgen: number for number, page in enumerate(document.pages, start=1)}
        dests = pikepdf.NameTree(document.Root.Names.Dests)
        targets = [dests[c["id"]] for c in report["chapters"]]
        openings = [numbers[(d if isinstance(d, pikepdf.Array) else d.D)[0].objgen] for d in targets]
    assert [c["id"] for c in report["chapters"]] == ["ch01", "ch02"]
    assert [c["page"] for c in report["chapters"]] == openings and openings[0] < openings[1]

    assert list(report["stages"])[:3] == ["reading inputs", "checking and converting chapters", "laying out"]
    assert report["seconds"] == pytest.approx(sum(report["stages"].values()), abs=0.01)
    assert report["cache"] == {"hits": {}, "misses": {"build": 1, "pandoc": 2}, "pages laid out": report["products"][0]["pages"]}
    assert report["findings"] == [] and report["silenced"] == []

    code, out, _ = run_folio(["build", "pdf", "epub", "--no-validate", "--json", "--project", str(root)])
    again = json.loads(out)
    assert again["up_to_date"] and list(again["stages"]) == ["reading inputs"]
    assert again["products"] == report["products"] and again["chapters"] == report["chapters"]
    assert again["cache"] == {"hits": {"build": 1}, "misses": {}, "pages laid out": 0}

    chapter = root / "manuscript" / "chapters" / "02-two.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("Later claim", "A later claim"), encoding="utf-8")
    code, out, _ = run_folio(["build", "pdf", "epub", "--no-validate", "--json", "--project", str(root)])
    changed = json.loads(out)
    assert changed["cache"]["hits"] == {"pandoc": 1} and changed["cache"]["misses"] == {"build": 1, "pandoc": 1}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_build_shows_its_progress(tmp_path, monkeypatch):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO}, extra=ONIX_BOOK)
    terminal, stdout = Terminal(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(sys, "stdout", stdout)
    assert main(["build", "onix", "--project", str(root)]) == 0
    shown = terminal.getvalue()
    assert "checking and converting chapters" in shown and "2/2" in shown and "pages laid out" in shown
    assert "wrote" in stdout.getvalue() and "wrote" not in shown

    quiet = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert main(["build", "onix", "--quiet", "--project", str(root)]) == 0
    assert quiet.getvalue() == ""  # --quiet: no progress, and no findings in this book


def test_progress_counts_and_shows_each_event():
    display = progress.Display(Console(file=Terminal(), force_terminal=True, width=120))
    with progress.listening(display):
        progress.stage("laying out", 3)
        progress.step()
        progress.cache("part", True)
        progress.cache("part", False)
        progress.pages(12)
    shown = display.bar.console.file.getvalue()
    assert "laying out" in shown and "1/3" in shown and "12 pages laid out, 1 cache hit" in shown
    assert display.counts() == {"hits": {"part": 1}, "misses": {"part": 1}, "pages laid out": 12}


def test_a_check_handed_to_the_build_is_used_only_while_its_files_are_the_same(tmp_path, monkeypatch):
    """`folio serve` hands its page's check to the PDF worker: the build takes it instead of
    checking again while the input files hash as they did when it was made; once one has changed,
    the build checks them itself and lays out what they say now."""
    from folio import manifest
    from folio.build import build
    from folio.checks import book as book_checks
    from folio.project.config import load_project

    from helpers import pdf_body_text_by_page

    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO})
    out = (root / "build").resolve()
    project = load_project(root)
    files = manifest.input_files(project, out, {})
    handed = (manifest.files_digest(files), book_checks.check_book(project, out / ".cache"))
    checks = []
    real = book_checks.check_book
    monkeypatch.setattr(book_checks, "check_book", lambda *a, **k: checks.append(1) or real(*a, **k))

    build(root, ("pdf",), out, validate=False, press=False, checked=handed)
    assert checks == []
    assert "Hand-over sentence" not in "".join(pdf_body_text_by_page(out / "test-book.pdf", root))

    chapter = root / "manuscript" / "chapters" / "02-two.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nHand-over sentence, written after the check.\n", encoding="utf-8")
    build(root, ("pdf",), out, validate=False, press=False, checked=handed)
    assert checks == [1]
    assert "Hand-over sentence" in "".join(pdf_body_text_by_page(out / "test-book.pdf", root))


WATCHED = """
import json, os, sys, time
import folio.build
from folio.cli import main
from folio.tools.bench import descendants
seen = []
real = folio.build.import_weasyprint

def watched():
    before = "weasyprint" in sys.modules
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(descendants(os.getpid())) < 2:
        time.sleep(0.005)
    seen.append({"imported before": before, "pandoc running": time.monotonic() < deadline})
    real()

folio.build.import_weasyprint = watched
code = main(sys.argv[1:])
print(json.dumps({"code": code, "seen": seen}))
"""


def test_the_build_imports_weasyprint_while_pandoc_converts(tmp_path):
    """Checking the requested formats' requirements imports no WeasyPrint (the format modules import
    it where they lay out); the build imports it while Pandoc converts, not after."""
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO})
    command = [sys.executable, "-c", WATCHED, "build", "pdf", "epub", "draft", "--project", str(root), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    assert report["seen"] == [{"imported before": False, "pandoc running": True}]


def test_after_an_edit_the_print_pdf_is_checked_in_a_worker_while_the_printers_file_is_made(tmp_path, monkeypatch):
    """An edit lays out a few pages: the print layout's checks (images at their printed size, the
    print PDF's preflight) then run in a worker forked beside the build while it makes the printer's
    file, and find what they find in the build's own process. A build that lays out many pages
    checks them in its own process (its steps keep every core busy already), as does one job, and
    one that makes the PDF alone (the preview's): there is nothing to make beside the checks."""
    from PIL import Image

    from folio.checks import resolution

    second = "---\ntitle: Two\nnumber: 2\n---\n\nA second chapter, with a sentence to edit.\n"
    paragraph = "A paragraph that runs on over a few lines of the page, and then some more. " * 8 + "\n\n"
    long = "---\ntitle: Three\nnumber: 3\n---\n\n" + paragraph * 120  # some 30 pages
    root = make_book(tmp_path, {"one.md": PICTURES, "02-two.md": second, "03-three.md": long}, references="[]\n")
    (root / "manuscript" / "images").mkdir()
    Image.new("RGB", (800, 500), (200, 60, 60)).save(root / "manuscript" / "images" / "shot.png")  # 178 ppi as printed
    Image.new("RGB", (900, 600), (60, 60, 200)).save(root / "manuscript" / "images" / "chart.png")  # 300 ppi
    where = tmp_path / "checked-in"
    real = resolution.check

    def recorded(*args, **kwargs):  # type: ignore[no-untyped-def]
        with where.open("a") as file:
            file.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(resolution, "check", recorded)
    chapter = root / "manuscript" / "chapters" / "02-two.md"
    runs = [(False, "2", ["press"], False), (True, "2", ["press"], True), (True, "1", ["press"], False), (True, "2", [], False)]
    for edit, jobs, more, beside in runs:
        if edit:
            chapter.write_text(chapter.read_text(encoding="utf-8").replace(".\n", ", edited.\n"), encoding="utf-8")
        where.unlink(missing_ok=True)
        code, _, err = run_folio(["build", "pdf", *more, "--jobs", jobs, "--project", str(root)])
        assert code == 0, err
        assert [line for line in err.splitlines() if " I00" in line] == [
            "build/test-book.pdf:page 5: warning: I004 image 800x500 px printed at 4.50 x 2.81 in (114 x 71 mm) is 178 ppi"
            " (for 300 ppi at this size it needs 1350x844 px)"
        ], err
        pids = where.read_text().split()
        assert len(pids) == 1 and (pids[0] != str(os.getpid())) == beside, (edit, jobs)


def test_after_an_edit_epubcheck_runs_while_the_draft_is_laid_out(tmp_path, monkeypatch):
    """EPUBCheck takes 3 s of a 40-chapter book. After an edit the build makes the EPUB first and
    waits for EPUBCheck in a thread while it lays out the draft; with one job it checks the EPUB
    after the draft, in its own thread, as before."""
    import threading

    import folio.formats.draft as draft_format
    import folio.formats.epub as epub_format

    events: list[str] = []
    check, lay_out = epub_format.validate, draft_format.render

    def checked(*args):  # type: ignore[no-untyped-def]
        events.append("EPUBCheck in the build's thread" if threading.current_thread() is threading.main_thread() else "EPUBCheck apart")
        return check(*args)

    def laid(inputs):  # type: ignore[no-untyped-def]
        events.append("draft")
        result = lay_out(inputs)
        events.append("draft laid out")
        return result

    monkeypatch.setattr(epub_format, "validate", checked)
    monkeypatch.setattr(draft_format, "render", laid)
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO})
    chapter = root / "manuscript" / "chapters" / "02-two.md"
    code, _, err = run_folio(["build", "pdf", "epub", "draft", "--project", str(root)])
    assert code == 0, err
    for jobs, apart in (("2", True), ("1", False)):
        chapter.write_text(chapter.read_text(encoding="utf-8").replace("claim", "claim, again", 1), encoding="utf-8")
        events.clear()
        code, out, err = run_folio(["build", "pdf", "epub", "draft", "--jobs", jobs, "--project", str(root), "--json"])
        assert code == 0, err
        if apart:  # started before the draft was laid out (the thread may say so before or after the layout begins)
            assert sorted(events) == ["EPUBCheck apart", "draft", "draft laid out"] and events.index("EPUBCheck apart") < 2
        else:
            assert events == ["draft", "draft laid out", "EPUBCheck in the build's thread"]
        assert json.loads(out)["findings"] == []
