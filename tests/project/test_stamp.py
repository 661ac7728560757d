"""folio/project/stamp.py: one time a build, from the source, so any clone gives the same bytes."""

from __future__ import annotations

import calendar
import hashlib
import os
import subprocess
import time
import zipfile
from pathlib import Path

import pikepdf
from lxml import etree

from folio.project.config import load_project
from folio.project.stamp import build_time, commit_time

from helpers import CHAPTER_ONE, MARKED, ONIX_NS, make_book, run_folio

COMMITTED = "2024-05-06T07:08:09Z"
COMMITTED_SECONDS = calendar.timegm(time.strptime(COMMITTED, "%Y-%m-%dT%H:%M:%SZ"))
EVERY_FORMAT = ["pdf", "press", "epub", "onix", "draft", "docx"]


def git(root: Path, *args: str) -> str:
    """git in `root`, committing as a fixed editor at a fixed date."""
    env = {**os.environ, "GIT_COMMITTER_DATE": COMMITTED, "GIT_AUTHOR_DATE": COMMITTED}
    command = ["git", "-C", str(root), "-c", "user.name=Ed Itor", "-c", "user.email=ed@example.com", *args]
    return subprocess.run(command, check=True, capture_output=True, env=env, text=True).stdout


def committed_book(root: Path) -> Path:
    """A small book (with editorial marks, for the draft and the Word copy) in a git repository of one commit."""
    make_book(root, {"one.md": CHAPTER_ONE, "two.md": MARKED}, extra="publisher: Test Press\n")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "The book")
    return root


def future(root: Path, seconds: float) -> None:
    """Every file of the project modified `seconds` from now, as a checkout at another time leaves them."""
    when = time.time() + seconds
    for path in root.rglob("*"):
        if ".git" not in path.parts:
            os.utime(path, (when, when))


def test_the_last_commit_dates_the_build_not_the_files(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = committed_book(tmp_path / "book")
    future(root, 5000)
    assert load_project(root).build_time().seconds == COMMITTED_SECONDS


def test_source_date_epoch_wins_over_the_commit(tmp_path, monkeypatch):
    root = committed_book(tmp_path / "book")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    assert load_project(root).build_time().seconds == 1767225600


def test_uncommitted_changes_date_the_build_by_the_newest_file(tmp_path, monkeypatch):
    """The commit's date would be a false one for text that is not the commit's."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = committed_book(tmp_path / "book")
    chapter = root / "manuscript" / "chapters" / "one.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    os.utime(chapter, (2_000_000_000, 2_000_000_000))
    assert commit_time(root) is None
    assert load_project(root).build_time().seconds == 2_000_000_000


def test_without_a_repository_or_without_git_the_newest_file_dates_the_build(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = make_book(tmp_path / "book", {"one.md": CHAPTER_ONE})
    os.utime(root / "manuscript" / "book.yaml", (1_900_000_000, 1_900_000_000))
    assert load_project(root).build_time().seconds == 1_900_000_000
    committed = committed_book(tmp_path / "committed")
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    files = [committed / "manuscript" / "book.yaml"]
    os.utime(files[0], (1_800_000_000, 1_800_000_000))
    assert build_time(files, committed).seconds == 1_800_000_000


def build_every_format(project: Path, out: Path) -> dict[str, str]:
    code, _, stderr = run_folio(["build", *EVERY_FORMAT, "--no-validate", "--project", str(project), "--out", str(out)])
    assert code == 0, stderr
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(out.iterdir()) if path.is_file()}


def test_two_clones_at_different_times_give_the_same_bytes(tmp_path, monkeypatch):
    """Clones of one commit, in different folders, checked out and built at different times, give
    byte-identical outputs in every format; every date in them is the commit's."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    origin = committed_book(tmp_path / "origin")
    first, second = tmp_path / "clone-one", tmp_path / "elsewhere" / "clone-two"
    git(tmp_path, "clone", "-q", str(origin), str(first))
    future(first, 1000)
    one = build_every_format(first, tmp_path / "out-one")
    git(tmp_path, "clone", "-q", str(origin), str(second))
    future(second, 90_000)  # a day later
    two = build_every_format(second, tmp_path / "out-two")
    suffixes = (".pdf", "-press.pdf", ".epub", "-onix.xml", "-draft.pdf", "-review.docx")
    assert sorted(one) == sorted(f"test-book{suffix}" for suffix in suffixes)
    assert one == two
    for name, digest in one.items():  # the figures for the closing note of issue 13
        print(f"{digest}  {name}")

    out = tmp_path / "out-one"
    with zipfile.ZipFile(out / "test-book.epub") as epub:
        opf = etree.fromstring(epub.read("OEBPS/package.opf"))
        assert opf.xpath("//*[@property='dcterms:modified']/text()") == [COMMITTED]
        assert {info.date_time for info in epub.infolist()} == {(2024, 5, 6, 7, 8, 8)}  # zip times are even seconds
    with zipfile.ZipFile(out / "test-book-review.docx") as docx:
        core = etree.fromstring(docx.read("docProps/core.xml"))
        assert [t.text for t in core if t.tag.endswith(("}created", "}modified"))] == [COMMITTED, COMMITTED]
        assert {info.date_time for info in docx.infolist()} == {(2024, 5, 6, 7, 8, 8)}
    onix = etree.parse(out / "test-book-onix.xml")
    assert onix.xpath("//o:SentDateTime/text()", namespaces=ONIX_NS) == ["20240506T070809Z"]
    with pikepdf.open(out / "test-book-press.pdf") as press:
        assert str(press.docinfo.CreationDate) == str(press.docinfo.ModDate) == "D:20240506070809+00'00'"
        assert press.open_metadata()["xmp:CreateDate"] == "2024-05-06T07:08:09+00:00"
    with pikepdf.open(out / "test-book-draft.pdf") as draft:
        names = {str(name) for page in draft.pages for name in page.Resources.get("/XObject", {})}
        assert {f"/FolioMargin{n}" for n in range(1, len(draft.pages) + 1)} <= names  # not pikepdf's random names
