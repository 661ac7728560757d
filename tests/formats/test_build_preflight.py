"""The build and the preflight agree (issue 10): the build runs `folio preflight`'s checks on the
print PDF and the printer's file it made, and a PDF the preflight would fail is not written."""

from __future__ import annotations

from pathlib import Path

from helpers import make_book, run_folio

# A long run of digits has no break opportunity and no hyphenation: WeasyPrint sets it past the margin
# and off the page, with nothing but a loose-line warning for the words before it.
CHECKSUM = """\
---
title: One
number: 1
---

The checksum printed on the label was {digits}
and nobody could read it [@alpha2020]. Another source agreed [@beta2021].
"""
DIGITS = "31415926535897932384626433832795028841971693993751058209749445923078164062862089986280"


def test_a_pdf_the_preflight_fails_is_not_written(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book", {"01.md": CHECKSUM.format(digits=DIGITS)})
    out = tmp_path / "out"
    code, stdout, stderr = run_folio(["build", "--project", str(root), "--out", str(out), "pdf", "press"])
    assert code == 1, stderr
    assert "test-book.pdf:page 5: error: T002" in stderr and "past the right trim edge" in stderr
    assert "test-book-press.pdf:page 5" not in stderr  # the same page of the printer's file: told once (build.told_once)
    assert "nothing was written" in stderr and "wrote" not in stdout
    assert not out.exists() or not any(out.glob("*.pdf"))
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(out), "press"])
    assert code == 1 and "test-book-press.pdf:page 5: error: T002" in stderr  # the printer's file alone tells it
    assert not out.exists() or not any(out.glob("*.pdf"))

    # --no-validate skips the check: the files are written, and the preflight fails them as the build did
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(out), "pdf", "press", "--no-validate"])
    assert code == 0, stderr
    code, report, _ = run_folio(["preflight", str(out / "test-book.pdf"), "--project", str(root)])
    assert code == 1 and "T002" in report
    code, report, _ = run_folio(["preflight", str(out / "test-book-press.pdf"), "--project", str(root), "--press"])
    assert code == 1 and "T002" in report


def test_a_book_the_preflight_passes_builds(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book", {"01.md": CHECKSUM.format(digits=DIGITS[:12])})
    out = tmp_path / "out"
    code, _, stderr = run_folio(["build", "--project", str(root), "--out", str(out), "pdf", "press"])
    assert code == 0, stderr
    for name, press in (("test-book.pdf", []), ("test-book-press.pdf", ["--press"])):
        code, report, _ = run_folio(["preflight", str(out / name), "--project", str(root), *press])
        assert code == 0, report


def test_the_build_reads_again_only_the_parts_that_changed(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Where each glyph sits is the slow part of the preflight: it is read a part of the book at a
    time (the front matter, each chapter; a blank verso has nothing to read), and each part's
    findings are kept under a key of its PDF and its side of the spread, so the next build reads
    only the parts that changed, and a page known to fail still fails from the cache. A damaged
    entry is read again, never trusted."""
    import folio.checks.preflight

    read: list[int] = []
    real = folio.checks.preflight._check_glyphs

    def counting(layout, number, *args, **kwargs):  # type: ignore[no-untyped-def]
        read.append(number)
        return real(layout, number, *args, **kwargs)

    monkeypatch.setattr(folio.checks.preflight, "_check_glyphs", counting)
    root = make_book(tmp_path / "book", {"01.md": CHECKSUM.format(digits=DIGITS)})
    out = tmp_path / "out"
    build = ["build", "--project", str(root), "--out", str(out), "pdf", "--jobs", "1"]
    code, _, stderr = run_folio(build)
    assert code == 1 and "test-book.pdf:page 5: error: T002" in stderr
    first = sorted(read)
    assert first[:3] == [1, 2, 3] and 5 in first and len(set(first)) == len(first)  # every page of a part, once
    entries = sorted((out / ".cache" / "preflight").glob("*.json"))
    assert len(entries) == 2  # the front matter's and the chapter's

    read.clear()
    code, _, stderr = run_folio(build)
    assert code == 1 and "test-book.pdf:page 5: error: T002" in stderr  # known from the cache
    assert read == []

    chapter = root / "manuscript" / "chapters" / "01.md"
    chapter.write_text(CHECKSUM.format(digits=DIGITS[:12]), encoding="utf-8")  # the chapter's pages change
    code, _, stderr = run_folio(build)
    assert code == 0, stderr
    assert read and min(read) == 5  # the chapter's pages: the title, copyright and contents pages are not read again

    read.clear()
    for entry in (out / ".cache" / "preflight").glob("*.json"):
        entry.write_text("[[", encoding="utf-8")  # damaged
    chapter.write_text(CHECKSUM.format(digits=DIGITS), encoding="utf-8")  # the first text again
    code, _, stderr = run_folio(build)
    assert code == 1 and "test-book.pdf:page 5: error: T002" in stderr
    assert sorted(read) == first  # the front matter read again, not trusted
