"""The review draft is laid out a part at a time (issue 12): the pages one pass gives, each part
laid out once, an edit laying out its own chapter and redrawing its own margin only; and the same
bytes every time (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pdfplumber
import pikepdf
import pytest

import folio.render.weasy
from folio.checks.book import check_book
from folio.formats.draft import document_context
from folio.project.config import load_project
from folio.render.document import lay_out_book
from folio.render.join import structure_problems
from folio.render.parts import lay_out_parts
from folio.render.weasy import Laid, Trial
from folio.text.convert import convert, review_text

from helpers import CHAPTER_ONE, MARKED, make_book, page_texts, run_folio

LONG = "A paragraph long enough to fill a few lines of the draft, with its wide spacing. " * 8
THIRD = f"---\ntitle: Third\nnumber: 3\n---\n\n{LONG}\n\n{LONG}\n\nIt ends here [@alpha2020].\n"


@pytest.fixture
def marked(tmp_path: Path) -> Path:
    return make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE, "02-marked.md": MARKED, "03-third.md": THIRD})


def test_the_draft_a_part_at_a_time_is_the_single_pass_draft(marked: Path, tmp_path: Path) -> None:
    project = load_project(marked)
    checked = check_book(project, tmp_path / ".cache")
    review, _ = convert(project, checked.chapters, tmp_path / ".cache", review_text(project, None))
    geometry, context = project.draft_geometry(), document_context(project, checked, review)
    single = lay_out_book(project, review, "draft.html.j2", geometry, context=context)
    parts = lay_out_parts(
        project, review, template="draft.html.j2", geometry=geometry, context=context, folios=False, jobs=2, cache_dir=tmp_path / ".cache"
    )
    (tmp_path / "single.pdf").write_bytes(single.data)
    (tmp_path / "parts.pdf").write_bytes(parts.data)
    assert len(parts.pages) >= 5
    assert page_texts(tmp_path / "parts.pdf") == page_texts(tmp_path / "single.pdf")  # running heads and the comment list too
    assert [(p.number, p.chapter) for p in parts.pages] == [(p.number, p.chapter) for p in single.pages]
    assert [[(line.text, line.top, line.chapter, line.refs) for line in p.lines] for p in parts.pages] == [
        [(line.text, line.top, line.chapter, line.refs) for line in p.lines] for p in single.pages
    ]
    with pdfplumber.open(tmp_path / "parts.pdf") as pdf:  # the fixed DRAFT mark went with every part
        assert all("".join(c["text"] for c in page.chars if c["size"] > 50) == "DRAFT" for page in pdf.pages)
    with pikepdf.open(tmp_path / "parts.pdf") as pdf:
        assert structure_problems(pdf) == []


class Layouts:
    """The WeasyPrint layouts of a draft build run with --jobs 1 (in this process): the parts, by
    chapter id ('front' for the title and copyright pages), and the margin runs, by first page."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.parts: list[str] = []
        self.margins: list[int] = []
        self.last_part = ""
        trial, lay_out = folio.render.weasy.trial, folio.render.weasy.lay_out

        def counted_trial(html: str, **kwargs: object) -> Trial:
            if "<title>margin</title>" in html:
                return trial(html, **kwargs)  # type: ignore[arg-type]  # counted as a margin
            chapter = re.search(r'<section class="chapter[^"]*" id="([^"]+)"', html)
            self.parts.append(chapter[1] if chapter else "front")
            if "Editorial comments" in html:
                self.last_part = self.parts[-1]
            return trial(html, **kwargs)  # type: ignore[arg-type]

        def counted_margin(html: str, **kwargs: object) -> Laid:
            self.margins.append(int(re.search(r"page (\d+) of", html)[1]))  # type: ignore[index]
            return lay_out(html, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(folio.render.weasy, "trial", counted_trial)
        monkeypatch.setattr(folio.render.weasy, "lay_out", counted_margin)

    def take(self) -> tuple[list[str], list[int]]:
        taken = (sorted(self.parts), sorted(self.margins))
        self.parts, self.margins = [], []
        return taken


def test_an_edit_lays_out_its_chapter_and_redraws_its_margin_only(marked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layouts = Layouts(monkeypatch)
    build = ["build", "draft", "--jobs", "1", "--project", str(marked)]
    code, _, err = run_folio(build)
    assert code == 0, err
    parts, margins = layouts.take()
    assert parts == ["ch01", "ch02", "ch03", "front"]  # each part once
    assert layouts.last_part == "ch03"  # the comment list goes with the last chapter
    before = page_texts(marked / "build" / "test-book-draft.pdf")
    starts = [1] + [n for n, text in enumerate(before, start=1) if re.search(r"Chapter \d", text.split("\n", 2)[1])]
    comment_list = next(n for n, text in enumerate(before, start=1) if "Editorial comments" in text)
    assert margins == [*starts, comment_list]  # the margin drawn a chapter's pages at a time (the list's apart), each once

    chapter = marked / "manuscript" / "chapters" / "01-one.md"
    longer = "A second claim, made at greater length than before, so that its paragraph takes a line more"
    chapter.write_text(CHAPTER_ONE.replace("Second claim", longer), encoding="utf-8")
    code, _, err = run_folio(build)
    assert code == 0, err
    parts, edited_margins = layouts.take()
    assert parts == ["ch01"]  # the other parts from the cache
    assert edited_margins == [starts[1]]  # only the edited chapter's pages drawn again (it has a line more to number)
    after = page_texts(marked / "build" / "test-book-draft.pdf")
    assert len(after) == len(before)
    changed = [n for n, (old, new) in enumerate(zip(before, after, strict=True), start=1) if old != new]
    assert changed and all("A second claim" in after[n - 1] or n == edited_margins[0] for n in changed)
    assert all(re.search(rf"page {n} of {len(after)}", text) for n, text in enumerate(after, start=1))


def test_two_drafts_are_byte_identical(marked: Path, tmp_path: Path) -> None:
    drafts = []
    for run in ("one", "two"):
        code, _, stderr = run_folio(["build", "draft", "--project", str(marked), "--out", str(tmp_path / run)])
        assert code == 0, stderr
        drafts.append((tmp_path / run / "test-book-draft.pdf").read_bytes())
    assert drafts[0] == drafts[1]
    with pikepdf.open(tmp_path / "one" / "test-book-draft.pdf") as pdf:
        names = {str(name) for page in pdf.pages for name in page.Resources.XObject}
        assert {f"/FolioMargin{n}" for n in range(1, len(pdf.pages) + 1)} <= names
