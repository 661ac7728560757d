"""folio/checks/epubcheck.py: EPUBCheck's messages as findings, traced back to the chapter file."""

from __future__ import annotations

import io
import zipfile

import pytest

from folio.checks.epubcheck import check
from folio.project.config import load_project
from folio.project.manuscript import load_chapters

from helpers import CHAPTER_ONE, CHAPTER_TWO, make_book, run_folio


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = make_book(tmp_path_factory.mktemp("epubcheck"), {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO})
    code, _, err = run_folio(["build", "epub", "--project", str(root)])
    assert code == 0, err
    chapters, _ = load_chapters(load_project(root))
    return root, (root / "build" / "test-book.epub").read_bytes(), chapters


def edited(epub: bytes, changes: dict[str, list[tuple[str, str]]]) -> bytes:
    """The EPUB with these text replacements made in these files."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(epub)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            for old, new in changes.get(info.filename, []):
                assert old.encode() in data, (info.filename, old)
                data = data.replace(old.encode(), new.encode(), 1)
            target.writestr(info, data, compress_type=zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_folio_epub_has_no_finding(book):
    root, epub, chapters = book
    assert check(epub, root / "build" / "test-book.epub", chapters) == []


def test_messages_are_traced_to_the_chapter_file_and_line(book):
    root, epub, chapters = book
    broken = edited(
        epub,
        {
            # chapter 2's paragraph gets an attribute EPUB does not allow: an error on line 6 of 02-two.md
            "OEBPS/text/ch02.xhtml": [("<p>Later claim", '<p data-x="1" onfoo="x">Later claim')],
            # the same in the navigation: an error in the EPUB's own file, not in a chapter
            "OEBPS/nav.xhtml": [("<nav ", '<nav onfoo="x" ')],
        },
    )
    findings = check(broken, root / "build" / "test-book.epub", chapters)
    in_chapters = [(f.code, f.path.name, f.line) for f in findings if f.path.suffix == ".md"]
    assert in_chapters == [("V001", "02-two.md", 6)]
    assert "EPUBCheck RSC-005" in findings[[f.path.suffix for f in findings].index(".md")].message
    assert "in the EPUB at OEBPS/text/ch02.xhtml:" in next(f.message for f in findings if f.path.suffix == ".md")
    elsewhere = [f for f in findings if f.path.suffix != ".md"]
    assert elsewhere and all(f.path.name == "test-book.epub" and "OEBPS/nav.xhtml:" in f.message for f in elsewhere)
    assert all(f.is_error for f in findings)
