"""The review draft is laid out once (issue 12) and gives the same bytes every time (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
import weasyprint

from helpers import MARKED, make_book, run_folio


@pytest.fixture
def marked(tmp_path: Path) -> Path:
    return make_book(tmp_path / "book", {"02-marked.md": MARKED})


def test_the_draft_is_laid_out_once(marked: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One WeasyPrint document for the draft and one for its margin overlay, comments and all."""
    documents = []
    real = weasyprint.HTML

    def counting(*args: object, **kwargs: object) -> object:
        documents.append(kwargs.get("string", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", counting)
    code, _, stderr = run_folio(["build", "draft", "--project", str(marked), "--out", str(tmp_path / "out")])
    assert code == 0, stderr
    assert len(documents) == 2
    assert "Editorial comments" in documents[0]  # the comment list is in the one layout


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
