"""folio/text/headings.py: every heading scheme becomes the same levels, numbers and contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from folio.checks.book import check_book
from folio.project.config import load_project, styles_dir
from folio.project.manuscript import Chapter
from folio.text.citestyle import Citeproc
from folio.text.fragment import build_fragment
from folio.text.pandoc import Body, chapters_to_html

from helpers import CORPUS, REFERENCES, make_book

HASH = "Opening.\n\n# First\n\nText.\n\n## Inner\n\nText.\n\n# Second\n\nText.\n"
DOUBLE = "Opening.\n\n## First\n\nText.\n\n### Inner\n\nText.\n\n## Second\n\nText.\n"
TRIPLE = "Opening.\n\n### First\n\nText.\n\n#### Inner\n\nText.\n\n### Second\n\nText.\n"
SETEXT = "Opening.\n\nFirst\n=====\n\nText.\n\nInner\n-----\n\nText.\n\nSecond\n======\n\nText.\n"


def fragment_for(tmp_path: Path, body: str, number: int | None = 4, language: str = "en-US"):
    bib = tmp_path / "refs.yaml"
    bib.write_text(REFERENCES, encoding="utf-8")
    csl = styles_dir() / "chicago-notes-bibliography.csl"
    chapter = Chapter(tmp_path / "ch.md", 2, "Title", number, body, 5, language=language)
    return build_fragment(
        chapter, chapters_to_html([Body(body, "ch02-", language)], Citeproc((bib,), csl, "note", per_chapter=False), None)[0].html
    )


@pytest.mark.parametrize("body", [HASH, DOUBLE, TRIPLE, SETEXT], ids=["hash", "double-hash", "triple-hash", "setext"])
def test_every_scheme_gives_the_same_sections(tmp_path, body):
    fragment = fragment_for(tmp_path, body)
    assert [(h.number, h.title, h.level) for h in fragment.headings] == [("4.1", "First", 2), ("4.1.1", "Inner", 3), ("4.2", "Second", 2)]
    # The HTML says the same: sections are h2, subsections h3, whatever the author typed.
    assert fragment.html.count("<h2") == 2 and fragment.html.count("<h3") == 1 and "<h1" not in fragment.html and "<h4" not in fragment.html
    assert 'class="level2' in fragment.html and 'class="level1' not in fragment.html


def test_mixed_scheme_keeps_relative_levels(tmp_path):
    """A chapter that starts at ## but has a stray # later: the # is the top level, ## below it."""
    fragment = fragment_for(tmp_path, "## Early\n\nText.\n\n# Top\n\nText.\n\n## Under\n\nText.\n")
    assert [(h.number, h.title, h.level) for h in fragment.headings] == [("4.0.1", "Early", 3), ("4.1", "Top", 2), ("4.1.1", "Under", 3)]


def test_no_headings_at_all(tmp_path):
    fragment = fragment_for(tmp_path, "Just one paragraph of text.\n")
    assert fragment.headings == [] and '<div class="opening">' in fragment.html
    assert fragment.contents(2).children == []


def test_unnumbered_and_unlisted_headings(tmp_path):
    body = (
        "# One\n\nA.\n\n# Aside {-}\n\nB.\n\n## Under the aside\n\nC.\n\n# Two {.unnumbered #sec:two}\n\nD.\n\n"
        "# Three\n\nE.\n\n# Hidden {.unlisted}\n\n## Below hidden\n\nF.\n"
    )
    fragment = fragment_for(tmp_path, body)
    numbers = [(h.number, h.title) for h in fragment.headings]
    assert numbers == [
        ("4.1", "One"),
        ("", "Aside"),
        ("", "Under the aside"),  # inside an unnumbered section: unnumbered too
        ("", "Two"),
        ("4.2", "Three"),
        ("4.3", "Hidden"),
        ("4.3.1", "Below hidden"),
    ]
    assert 'id="ch02-sec:two"' in fragment.html  # pandoc-crossref ids are kept as written
    titles = [entry.title for entry in fragment.contents(3).children]
    assert titles == ["One", "Aside", "Two", "Three"]  # unlisted: left out, and what is under it
    assert [c.title for c in fragment.contents(3).children[1].children] == ["Under the aside"]


def test_contents_depth(tmp_path):
    fragment = fragment_for(tmp_path, HASH + "\n## Deep\n\nText.\n\n### Deeper\n\nText.\n")
    assert [e.title for e in fragment.contents(1).children] == []
    two = fragment.contents(2)
    assert (two.number, two.title) == ("4", "Title")
    assert [(e.number, e.title, [c.title for c in e.children]) for e in two.children] == [("4.1", "First", []), ("4.2", "Second", [])]
    three = fragment.contents(3)
    assert [[c.title for c in e.children] for e in three.children] == [["Inner"], ["Deep"]]


def test_a_skipped_level_is_a_warning_with_its_line(tmp_path):
    chapter = (
        "---\ntitle: T\n---\n\n# Top\n\nText [@alpha2020] [@beta2021].\n\n### Too deep\n\nText.\n\n```\n#### not a heading, code\n```\n"
    )
    root = make_book(tmp_path, {"one.md": chapter})
    found = [f for f in check_book(load_project(root)).findings if f.code == "M011"]
    assert [(f.line, f.col, f.severity) for f in found] == [(9, 1, "warning")]
    assert "'Too deep' is ### under a #" in found[0].message and "make it ##" in found[0].hint


def test_code_comments_are_not_headings(tmp_path):
    """An R block full of '## output' lines (the Programming Historian lesson) adds no sections."""
    body = "# Real\n\nText.\n\n```r\n## [1] 42\n# comment\n```\n"
    fragment = fragment_for(tmp_path, body)
    assert [h.title for h in fragment.headings] == ["Real"]


# Real manuscripts by others, read in place (../shared/corpus) -----------------------------------


def corpus_fragment(tmp_path: Path, path: Path, number: int | None = None):
    from dataclasses import replace

    from folio.project.manuscript import load_chapter
    from folio.text.headings import lint

    chapter, notes = load_chapter(path, 1)
    assert chapter is not None
    chapter = replace(chapter, number=number)
    bib = tmp_path / "refs.yaml"
    bib.write_text(REFERENCES, encoding="utf-8")
    csl = styles_dir() / "chicago-notes-bibliography.csl"
    html = chapters_to_html([Body(chapter.body, "ch01-", "en-US")], Citeproc((bib,), csl, "note", per_chapter=False), None)[0].html
    return chapter, notes, lint(chapter), build_fragment(chapter, html)


def test_corpus_sampler_starts_at_level_two(tmp_path):
    """500 Lines: a MultiMarkdown 'title:' line, sections from ## down to ####. (Its '## Introduction'
    follows a '</markdown>' line with no blank line between, so Pandoc reads it as text, and so
    does Folio: raw HTML is another part of issue 11.)"""
    chapter, notes, warnings, fragment = corpus_fragment(tmp_path, CORPUS / "aosa-sampler" / "sampler" / "sampler.markdown", 3)
    assert chapter.title == "A Rejection Sampler" and [n.code for n in notes] == ["M012"]
    assert warnings == []
    levels = [(h.number, h.title, h.level) for h in fragment.headings[:4]]
    assert levels == [
        ("3.0.1", "What is Sampling?", 3),
        ("3.0.2", "Programming with Samples and Probabilities", 3),
        ("3.0.2.1", "A Brief Aside About Notation", 4),
        ("3.1", "Sampling Magical Items", 2),
    ]


def test_corpus_article_with_hash_sections_and_a_skipped_level(tmp_path):
    """The links-species article: '#' sections, and '###' straight under '# Experimental Procedures'."""
    _, _, warnings, fragment = corpus_fragment(tmp_path, CORPUS / "poisot-links-species" / "manuscript.md", 1)
    assert [(f.code, f.line) for f in warnings] == [("M011", 640)]
    tops = [(h.number, h.title) for h in fragment.headings if h.level == 2]
    assert tops[:3] == [
        ("1.1", "Introduction"),
        ("1.2", "Interlude - deriving a process-based model for the number of links"),
        ("1.3", "Results and Discussion"),
    ]
    assert "<h1" not in fragment.html


def test_corpus_lesson_code_comments_are_not_sections(tmp_path):
    """The Programming Historian lesson: dozens of '## ' lines inside R blocks are output, not headings."""
    chapter, notes, warnings, fragment = corpus_fragment(
        tmp_path, CORPUS / "ph-radiocarbon" / "fr" / "lecons" / "calibration-radiocarbone-avec-r.md"
    )
    assert chapter.title == "Calibrer des âges radiocarbone avec R" and notes == [] and warnings == []
    from folio.text.headings import source_headings

    written = [h.text.replace("'", "’") for h in source_headings(chapter.masked_body)]
    assert len(written) == 15 and [h.title for h in fragment.headings] == [*written, "Notes"]  # and Folio's own Notes


def test_source_headings_are_read_as_pandoc_reads_them():
    from folio.text.headings import source_headings

    text = "# Start\nText\n## Glued to the paragraph\n\n## Title ## {#sec:x .unnumbered}\n\nSetext\n======\n\n* item\n---\n"
    found = [(h.level, h.text, h.attributes) for h in source_headings(text)]
    assert found == [(1, "Start", ""), (2, "Title", "#sec:x .unnumbered"), (1, "Setext", "")]
