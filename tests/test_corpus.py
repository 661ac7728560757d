"""Real manuscripts by others (../shared/corpus) build as their authors wrote them, with nothing
but a book.yaml of ours beside them (tests/fixtures/corpus/<case>/book.yaml).

The authors' files are copied unchanged into a temporary project and never into the repository.
A case that needs a feature not yet in Folio is an expected failure naming that feature
(strict: it turns into a failure, to be unmarked, the day the feature lands)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from folio.checks import markup
from folio.checks.epubcheck import check as epubcheck
from folio.project.config import load_project
from folio.project.manuscript import Chapter, load_chapters

from helpers import CORPUS, FIXTURES, run_folio

WRAPPERS = FIXTURES / "corpus"
CASES = sorted(p.name for p in WRAPPERS.iterdir() if p.is_dir())

MISSING = {
    "ph-radiocarbon": "raw HTML blocks <p>, <ul>, <li>, <i> in the authors' alert box, outside issue 11's safe list (M004): "
    "the build does not yet turn them into Markdown as folio import does",
}
"""What each case still needs from Folio before it builds."""

# Imported with `folio import`, a case loses what import takes care of (front matter, bibliography,
# Jekyll's figures, kramdown's math, HTML blocks that Folio refuses).
IMPORT_MISSING: dict[str, str] = {}


def corpus_project(case: str, root: Path) -> Path:
    """The case's files, unchanged, as the manuscript of a project with our book.yaml."""
    manuscript = root / "manuscript"
    shutil.copytree(CORPUS / case, manuscript, ignore=shutil.ignore_patterns("SOURCE.md"))
    shutil.copyfile(WRAPPERS / case / "book.yaml", manuscript / "book.yaml")
    return root


def expected_failure(case: str, missing: dict[str, str]):  # type: ignore[no-untyped-def]
    reason = missing.get(case)
    return pytest.param(case, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=f"needs {reason}")) if reason else case


def test_every_corpus_case_has_a_wrapper():
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) == CASES
    assert set(MISSING) <= set(CASES) and set(IMPORT_MISSING) <= set(CASES)


@pytest.mark.parametrize("case", [expected_failure(case, MISSING) for case in CASES])
def test_case_builds_as_written(case, tmp_path):
    root = corpus_project(case, tmp_path / "book")
    out = tmp_path / "out"
    code, _, err = run_folio(["build", "pdf", "epub", "--project", str(root), "--out", str(out)])
    assert code == 0, err
    chapters, _ = load_chapters(load_project(root))
    epub = next(out.glob("*.epub"))
    assert epubcheck(epub.read_bytes(), epub, chapters) == []
    for path in (CORPUS / case).rglob("*"):  # nothing of the authors' was changed
        if path.is_file() and path.name != "SOURCE.md":
            assert (root / "manuscript" / path.relative_to(CORPUS / case)).read_bytes() == path.read_bytes()


def author_chapter(case: str) -> Chapter:
    """The case's manuscript file as one chapter, the whole file its body (line 1 is line 1)."""
    name = load_project_names(case)[0]
    path = CORPUS / case / name
    return Chapter(path, 1, case, None, path.read_text(encoding="utf-8"), 1)


def load_project_names(case: str) -> list[str]:
    text = (WRAPPERS / case / "book.yaml").read_text(encoding="utf-8")
    return re.findall(r"^  - (.+)$", text, re.M)


def lines_of(chapter: Chapter, pattern: str) -> list[int]:
    masked = chapter.masked_body
    return [masked[: m.start()].count("\n") + 1 for m in re.finditer(pattern, masked, re.M)]


def test_liquid_tags_are_warned_with_their_line_and_what_was_done():
    chapter = author_chapter("ph-radiocarbon")
    found = [f for f in markup.lint(chapter) if f.code == "R002"]
    assert [f.line for f in found] == lines_of(chapter, r"\{%") and len(found) == 10
    assert all("dropped" in f.message and not f.is_error for f in found)
    assert sum("write the figure as ![caption](path)" in f.hint for f in found) == 9


def test_tex_macros_and_pseudo_html_are_warned_with_their_line():
    chapter = author_chapter("aosa-sampler")
    found = markup.lint(chapter)
    tex = [(f.line, f.message.split()[2]) for f in found if f.code == "R001"]
    names = [name for _, name in tex]
    assert "\\aosafigure" in names and "\\noindent" in names and "\\aosafigref" in names
    assert [line for line, name in tex if name == "\\aosafigure"] == lines_of(chapter, r"^\\aosafigure")
    assert [line for line, name in tex if name == "\\noindent"] == lines_of(chapter, r"\\noindent")
    assert [f.line for f in found if f.code == "R003"] == lines_of(chapter, r"</?(markdown|latex)>")
    assert not [f for f in found if f.is_error]  # nothing in it fails the build


IMPORTS = {
    "poisot-links-species": ("manuscript.md", ["--metadata-file", "metadata.json", "--bibliography", "references.json"], 5, 7),
    "ph-radiocarbon": ("fr/lecons/calibration-radiocarbone-avec-r.md", [], 1, 9),  # Jekyll's figures found in images/<slug>/
    "aosa-sampler": ("sampler/sampler.markdown", ["--split-level", "2"], 7, 0),  # the bio before the first heading, and 6 sections
}
"""Each single-file case: its file, the options it needs, the chapters and images it gives."""


@pytest.mark.parametrize("case", [expected_failure(case, IMPORT_MISSING) for case in CASES])
def test_folio_import_brings_the_case_in(case, tmp_path):
    name, options, chapters, images = IMPORTS[case]
    options = [str(CORPUS / case / o) if o.endswith((".json", ".bib", ".yaml")) else o for o in options]
    target = tmp_path / "imported"
    code, out, err = run_folio(["import", str(CORPUS / case / name), str(target), *options])
    assert code == 0, err
    assert f"made a Folio project in {target}" in out
    project = load_project(target)
    assert len(project.config.chapters) == chapters
    assert len(list((target / "manuscript").rglob("*.png"))) == images
    assert project.config.title and project.config.author != "Unknown Author"
    code, _, err = run_folio(["build", "epub", "--project", str(target), "--out", str(tmp_path / "out")])
    assert code == 0, err
    epub = next((tmp_path / "out").glob("*.epub"))
    assert epubcheck(epub.read_bytes(), epub, load_chapters(project)[0]) == []
