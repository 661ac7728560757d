"""folio/fragment.py: the note and section markup every format shares, pinned."""

from __future__ import annotations

from pathlib import Path

import pytest

from folio.errors import FolioError
from folio.project.config import styles_dir
from folio.project.manuscript import Chapter
from folio.text.citestyle import Citeproc
from folio.text.fragment import _made, build_fragment
from folio.text.pandoc import Body, chapters_to_html

from helpers import REFERENCES

BODY = """\
An opening with a claim [see @alpha2020, 4].^[A prose note citing @beta2021.]

## First Section

Text.[@alpha2020]

### A Subsection

More.

## Second Section

- **Head:** item.
"""


def fragment_for(tmp_path: Path, body: str, number: int | None = 7):
    bib = tmp_path / "refs.yaml"
    bib.write_text(REFERENCES, encoding="utf-8")
    csl = styles_dir() / "chicago-notes-bibliography.csl"
    chapter = Chapter(tmp_path / "ch.md", 3, "Title", number, body, 5)
    citeproc = Citeproc((bib,), csl, "note", per_chapter=False)
    return build_fragment(chapter, chapters_to_html([Body(body, "ch03-", "en-US")], citeproc, None)[0].html)


def test_fragment_markup_is_pinned(tmp_path, golden):
    golden("fragment.html", fragment_for(tmp_path, BODY).html)


def test_sections_numbered_from_the_chapter(tmp_path):
    fragment = fragment_for(tmp_path, BODY)
    assert [(h.number, h.title, h.level) for h in fragment.headings] == [
        ("7.1", "First Section", 2),
        ("7.1.1", "A Subsection", 3),
        ("7.2", "Second Section", 2),
        ("", "Notes", 2),
    ]
    assert [n.keys for n in fragment.notes] == [("alpha2020",), ("beta2021",), ("alpha2020",)]


def test_unnumbered_chapter_has_unnumbered_sections(tmp_path):
    fragment = fragment_for(tmp_path, BODY, number=None)
    assert [h.number for h in fragment.headings] == ["", "", "", ""]
    assert 'class="secno"' not in fragment.html


def test_chapter_without_notes(tmp_path):
    fragment = fragment_for(tmp_path, "Just text.\n\n## S\n\nMore.\n")
    assert fragment.notes == [] and "endnotes" not in fragment.html


def test_a_fragment_made_again_from_the_same_chapter_and_html_is_kept_not_made(tmp_path):
    """`folio serve` makes every fragment again after each edit: the same chapter and Pandoc HTML
    give the fragment kept from last time, for the new chapter object; any other chapter field
    (here its number) makes it afresh."""
    first = fragment_for(tmp_path, BODY)
    _made.cache_clear()
    again = fragment_for(tmp_path, BODY)
    kept = fragment_for(tmp_path, BODY)
    assert _made.cache_info().hits == 1
    assert (kept.html, kept.headings, kept.notes) == (again.html, again.headings, again.notes) == (first.html, first.headings, first.notes)
    assert kept.chapter is not again.chapter and kept.headings is not again.headings  # its own chapter, its own lists
    renumbered = fragment_for(tmp_path, BODY, number=8)
    assert _made.cache_info().misses == 2 and renumbered.headings[0].number == "8.1"


def test_mismatched_pandoc_output_is_refused(tmp_path):
    chapter = Chapter(tmp_path / "ch.md", 1, "T", 1, "", 1)
    broken = '<p>x<a href="#ch01-fn1" class="footnote-ref" id="ch01-fnref1"><sup>1</sup></a></p>'
    with pytest.raises(FolioError, match="1 note calls but 0 notes"):
        build_fragment(chapter, broken)
