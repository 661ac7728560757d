"""The command line, driven in-process: exit codes, messages, nothing written on failure."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from folio.tools.bench import descendants

from helpers import CHAPTER_ONE, CHAPTER_TWO, REPO, alive, font_folders, make_book, run_folio


def test_two_chapter_book_restarts_note_numbers(tmp_path):
    """Issue 3, test 6."""
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO})
    code, _, err = run_folio(["build", "--project", str(root)])
    assert code == 0, err
    with zipfile.ZipFile(root / "build" / "test-book.epub") as archive:
        ns = {"h": "http://www.w3.org/1999/xhtml"}
        one = etree.fromstring(archive.read("OEBPS/text/ch01.xhtml"))
        two = etree.fromstring(archive.read("OEBPS/text/ch02.xhtml"))
        assert [a.text for a in one.xpath("//h:a[@role='doc-noteref']", namespaces=ns)] == ["1", "2", "3", "4"]
        assert [a.text for a in two.xpath("//h:a[@role='doc-noteref']", namespaces=ns)] == ["1", "2"]
        # Chicago: full note the first time a source is cited in a chapter, shortened after.
        notes_one = ["".join(li.itertext()) for li in one.xpath("//h:section[@role='doc-endnotes']/h:ol/h:li", namespaces=ns)]
        notes_two = ["".join(li.itertext()) for li in two.xpath("//h:section[@role='doc-endnotes']/h:ol/h:li", namespaces=ns)]
        assert "Press One" in notes_one[0] and "Press One" not in notes_one[3]
        assert "A prose note." in notes_one[2]
        assert "Press One" in notes_two[1]
        # print page numbers: after the title, copyright and contents pages (i-iv), chapter 1 is
        # page 1 (the PDF's 5th); chapter 2 opens on page 3, so the blank page 2 is marked at the
        # end of chapter 1. Labels are the printed folios; ids count the PDF's pages.
        nav = etree.fromstring(archive.read("OEBPS/nav.xhtml"))
        pages = nav.xpath("//h:nav[@role='doc-pagelist']//h:a", namespaces=ns)
        assert [(a.text, a.get("href")) for a in pages] == [
            ("1", "text/ch01.xhtml#page-5"),
            ("2", "text/ch01.xhtml#page-6"),
            ("3", "text/ch02.xhtml#page-7"),
        ]
        section = one.xpath("//h:section[@role='doc-chapter']", namespaces=ns)[0]
        assert section[-1].get("id") == "page-6"  # the blank page, printed 2
        # a link from chapter 2 to a section of chapter 1 names chapter 1's file
        assert two.xpath("//h:a[text()='the part before']/@href", namespaces=ns) == ["ch01.xhtml#ch01-part"]
    with pikepdf.open(root / "build" / "test-book.pdf") as pdf:
        outline = [str(item.title) for item in pdf.open_outline().root]
        assert outline == ["Chapter 1 One", "Chapter 2 Two"]
        # Each chapter opens on a right-hand (odd) page.
        pages = {page.objgen: index + 1 for index, page in enumerate(pdf.pages)}
        openings = [pages[item.destination[0].objgen] for item in pdf.open_outline().root]
        assert all(page % 2 == 1 for page in openings), openings


def test_link_to_a_missing_place_fails_with_its_line(tmp_path):
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO.replace("(#part)", "(#nowhere)")})
    code, out, _ = run_folio(["check", "--project", str(root)])
    assert code == 1
    assert "manuscript/chapters/02-two.md:6:65: error: M008 link to '#nowhere', which is not in the book" in out
    code, _, err = run_folio(["build", "--project", str(root)])
    assert code == 1 and "M008" in err and not (root / "build" / "test-book.pdf").exists()


def test_unknown_key_fails_and_writes_nothing(tmp_path):
    """Issue 3, test 7: exit 1, file:line in the message, no output."""
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE.replace("@beta2021", "@beta2012")})
    code, _, err = run_folio(["build", "--project", str(root)])
    assert code == 1
    assert "manuscript/chapters/01-one.md:6:41: error: C001 unknown citation key '@beta2012' (did you mean 'beta2021'?)" in err
    assert "Traceback" not in err
    assert not (root / "build").exists()


def test_failed_build_keeps_the_last_good_outputs(tmp_path):
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE})
    assert run_folio(["build", "epub", "--project", str(root)])[0] == 0
    epub = root / "build" / "test-book.epub"
    before = epub.read_bytes()
    chapter = root / "manuscript" / "chapters" / "01-one.md"
    chapter.write_text(CHAPTER_ONE.replace("@alpha2020]", "@nobody]"), encoding="utf-8")
    code, _, err = run_folio(["build", "epub", "--project", str(root)])
    assert code == 1 and "C001" in err
    assert epub.read_bytes() == before
    assert sorted(p.name for p in epub.parent.iterdir() if not p.name.startswith(".")) == ["test-book.epub"]


def test_check_reports_and_exit_codes(tmp_path):
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE})
    code, out, _ = run_folio(["check", "--project", str(root)])
    assert code == 0
    assert out.strip().endswith("1 chapter(s), 3 citation(s), 2 source(s): 0 error(s), 0 warning(s)")
    (root / "manuscript" / "chapters" / "01-one.md").write_text(CHAPTER_ONE.replace(" [@beta2021]", ""), encoding="utf-8")
    code, out, _ = run_folio(["check", "--project", str(root)])
    assert code == 0 and "warning: C005 'beta2021' is never cited" in out
    assert run_folio(["check", "--project", str(root), "--strict"])[0] == 1


def test_bad_usage_and_bad_config_exit_2(tmp_path):
    assert run_folio(["build", "pdfx"])[0] == 2
    assert run_folio(["frobnicate"])[0] == 2
    code, _, err = run_folio(["check", "--project", str(tmp_path)])
    assert code == 2 and "no book.yaml" in err
    root = make_book(tmp_path / "b", {"01-one.md": CHAPTER_ONE}, extra="titel: Oops\nprint:\n  trim: 7 by 9\n")
    code, _, err = run_folio(["build", "--project", str(root)])
    assert code == 2
    assert "book.yaml:7: titel: unknown key (did you mean 'title'?)" in err
    assert "book.yaml:9: print.trim:" in err
    assert "Traceback" not in err


def test_the_folio_command_runs_the_exit_functions_and_ends_with_its_code_without_the_teardown(tmp_path):
    """`folio` (cli.run) ends its process without taking the interpreter down object by object
    (0.1 s after an edit's build): what is registered to run at exit still runs (the layout's font
    folder is removed so), what it printed reaches the pipe, and the exit code is main's."""
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE.replace(" [@beta2021]", "")})
    script = (
        "import atexit, sys\n"
        "import folio.cli\n"
        "class Kept:\n"
        "    def __del__(self):\n"
        "        print('taken down', flush=True)\n"
        "kept = Kept()\n"
        "atexit.register(print, 'ran at exit')\n"
        "sys.argv = ['folio', 'check', '--strict', '--project', sys.argv[1]]\n"
        "folio.cli.run()\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # --strict: the source never cited fails the check
    assert "C005 'beta2021' is never cited" in done.stdout + done.stderr
    assert "ran at exit" in done.stdout
    assert "taken down" not in done.stdout


def test_outputs_go_where_asked(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE})
    out = tmp_path / "elsewhere"
    code, _, err = run_folio(["build", "draft", "epub", "--project", str(root), "--out", str(out)])
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["test-book-draft.pdf", "test-book.epub"]


def test_allowed_codes_are_silenced_but_counted(tmp_path):
    chapter = CHAPTER_ONE.replace(" [@beta2021]", "")  # beta2021 is never cited: C005, a warning
    root = make_book(tmp_path, {"01-one.md": chapter})
    code, out, _ = run_folio(["check", "--project", str(root)])
    assert code == 0 and "C005" in out
    (root / "manuscript" / "book.yaml").write_text(
        (root / "manuscript" / "book.yaml").read_text(encoding="utf-8") + "allow: [C005]\n", encoding="utf-8"
    )
    code, out, _ = run_folio(["check", "--strict", "--project", str(root)])
    assert code == 0 and "warning: C005" not in out and out.strip().endswith("0 warning(s); 1 silenced by allow: C005 ×1")
    code, out, _ = run_folio(["check", "--json", "--project", str(root)])
    report = json.loads(out)
    assert report["ok"] and report["findings"] == [] and [f["code"] for f in report["silenced"]] == ["C005"]
    code, out, err = run_folio(["build", "onix", "--project", str(root), "--out", str(tmp_path / "out")])
    assert code == 2 and "publisher" in err  # ONIX needs a publisher
    code, out, err = run_folio(["build", "epub", "--strict", "--project", str(root)])
    assert code == 0, err
    assert "1 silenced by allow: C005 ×1" in out


def test_check_writes_nothing_unless_asked(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE})
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    assert run_folio(["check", "--project", str(root)])[0] == 0
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
    assert run_folio(["check", "--project", str(root), "--out", str(tmp_path / "out")])[0] == 0
    assert list((tmp_path / "out" / ".cache").glob("*.html"))


def test_check_json_reports_errors_with_their_places(tmp_path):
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE.replace("@beta2021", "@beta2012")})
    code, out, _ = run_folio(["check", "--json", "--project", str(root)])
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    (finding,) = [f for f in report["findings"] if f["code"] == "C001"]
    assert finding["location"] == "manuscript/chapters/01-one.md:6:41" and finding["hint"] == "did you mean 'beta2021'?"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_build_ends_its_workers_without_a_traceback(tmp_path: Path, signum: int):
    """A kill sent to the build alone (SIGTERM) used to leave its layout workers running for
    ever, and Ctrl-C printed a traceback. Either now ends the workers, says so in one line, exits
    128 + the signal's number and writes no output; the workers leave no font folder behind."""
    from folio.tools.bench import make_book as bench_book

    bench_book(tmp_path, REPO, REPO / "manuscript" / "chapters" / "35-forged-in-fire.md", 8)
    workers: list[int] = []

    def in_workers(pid: int, temporary: Path) -> bool:
        workers[:] = _forked(pid)  # the layout workers run, one of them in the middle of a layout (its fonts loaded)
        return len(workers) >= 2 and bool(font_folders(temporary))

    temporary = _stopped_in_a_layout(tmp_path, signum, ["--jobs", "2"], in_workers, "the build lays out in workers")
    time.sleep(0.5)
    assert [pid for pid in workers if alive(pid)] == []
    assert font_folders(temporary) == []  # the workers', removed as they end
    assert not (tmp_path / "build" / "axis-of-resentment.pdf").exists()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_edit_leaves_the_last_pdf_and_no_font_folder(tmp_path: Path, signum: int):
    """After an edit the one chapter is laid out in the build's own process (render/parts.py):
    stopped in the middle of that layout, the build still ends cleanly, its font folder goes with
    it, and the PDF of the last build stays as it was."""
    from folio.tools.bench import change_one_sentence
    from folio.tools.bench import make_book as bench_book

    chapters = bench_book(tmp_path, REPO, REPO / "manuscript" / "chapters" / "35-forged-in-fire.md", 4)
    code, _, err = run_folio(["build", "pdf", "--project", str(tmp_path), "--quiet"])
    assert code == 0, err
    pdf = tmp_path / "build" / "axis-of-resentment.pdf"
    last = pdf.read_bytes()
    change_one_sentence(chapters[1])

    def in_this_process(pid: int, temporary: Path) -> bool:
        return bool(font_folders(temporary)) and _forked(pid) == []  # the chapter's fonts loaded, by the build itself

    temporary = _stopped_in_a_layout(tmp_path, signum, [], in_this_process, "the chapter is being laid out in the build's process")
    assert font_folders(temporary) == []
    assert pdf.read_bytes() == last


def _stopped_in_a_layout(project: Path, signum: int, options: list[str], ready: Callable[[int, Path], bool], waiting_for: str) -> Path:
    """`folio build pdf` on the project, sent `signum` (to it alone, as a supervisor's kill; Ctrl-C
    reaches the workers too, and is the easier case) once `ready(its pid, its temporary folder)`:
    it must stop with 128 + the signal's number, one line and no traceback. Its temporary folder."""
    temporary = project / "tmp"
    temporary.mkdir()
    command = [sys.executable, "-m", "folio", "build", "pdf", "--project", str(project), *options]
    env = {**os.environ, "TMPDIR": str(temporary)}
    build = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not (found := ready(build.pid, temporary)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert found and build.poll() is None, waiting_for
        os.kill(build.pid, signum)
        _, stderr = build.communicate(timeout=30)
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
    assert build.returncode == 128 + signum, stderr
    assert "Traceback" not in stderr and "folio: stopped" in stderr
    return temporary


def _forked(pid: int) -> list[int]:
    """The processes below `pid` that it forked (its command line), not the programs it runs (Pandoc)."""
    own = Path(f"/proc/{pid}/cmdline").read_bytes()
    found = []
    for child in descendants(pid)[1:]:
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes() == own:
                found.append(child)
        except OSError:
            continue
    return found


def test_a_second_signal_does_not_break_off_the_stopping():
    """The first SIGTERM or Ctrl-C unwinds the command; a second one while it unwinds (a kill
    repeated, Ctrl-C pressed twice) is let be: it used to raise again from within the message the
    command prints, which ended the build by SIGINT instead of with 128 + the first signal."""
    from folio.stopping import Stopping

    stopping = Stopping()
    try:
        with pytest.raises(KeyboardInterrupt):
            stopping._stop(signal.SIGTERM, None)
        try:
            stopping._stop(signal.SIGINT, None)
        except KeyboardInterrupt:
            pytest.fail("the second signal raised KeyboardInterrupt again")
        assert stopping.signum == signal.SIGTERM
    finally:
        stopping.restore()
