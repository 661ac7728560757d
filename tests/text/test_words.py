"""folio/text/words.py: the words Folio prints and its quotation marks follow the language."""

from __future__ import annotations

from pathlib import Path

import pytest

from folio.project.config import styles_dir
from folio.project.manuscript import Chapter
from folio.text import words
from folio.text.citestyle import Citeproc
from folio.text.fragment import build_fragment
from folio.text.pandoc import Body, chapters_to_html

from helpers import REFERENCES


def fragment_for(tmp_path: Path, body: str, language: str, number: int | None = 3):
    bib = tmp_path / "refs.yaml"
    bib.write_text(REFERENCES, encoding="utf-8")
    csl = styles_dir() / "chicago-notes-bibliography.csl"
    chapter = Chapter(tmp_path / "ch.md", 1, "T", number, body, 5, language=language)
    return build_fragment(
        chapter, chapters_to_html([Body(body, "ch01-", language)], Citeproc((bib,), csl, "note", per_chapter=False), None)[0].html
    )


def test_every_language_has_every_word():
    assert set(words.WORDS) >= {"en", "de", "fr", "es", "it", "nl", "pt"}
    for language, table in words.WORDS.items():
        assert set(table) == set(words.ENGLISH), language
        assert all(text.strip() for text in table.values()), language


def test_words_by_language_tag():
    assert [words.word(key, "de-DE") for key in ("notes", "contents", "figure", "chapter")] == [
        "Anmerkungen",
        "Inhalt",
        "Abbildung",
        "Kapitel",
    ]
    assert words.word("contents", "fr-CA") == "Table des matières"
    assert words.word("notes", "sv-SE") == "Notes"  # a language without a table reads English


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en-US", "He said “yes, ‘quite’ so” twice."),
        ("de-DE", "He said „yes, ‚quite‘ so“ twice."),
        ("fr-FR", "He said «\u202fyes, “quite” so\u202f» twice."),
    ],
)
def test_quotation_marks_follow_the_language(tmp_path, language, expected):
    fragment = fragment_for(tmp_path, "He said \"yes, 'quite' so\" twice.\n", language)
    assert expected in fragment.html and "<q>" not in fragment.html


def test_a_span_lang_overrides_the_chapter(tmp_path):
    fragment = fragment_for(tmp_path, 'Er sagte "ja" und [sie sagte "oui"]{lang=fr}.\n', "de-DE")
    assert "„ja“" in fragment.html and "«\u202foui\u202f»" in fragment.html


def test_notes_heading_and_chapter_label_in_german(tmp_path):
    fragment = fragment_for(tmp_path, "Text.^[Eine Anmerkung.]\n\n## Abschnitt\n\nMehr.\n", "de-DE")
    assert '<h2 class="notes-title">Anmerkungen</h2>' in fragment.html
    assert [h.title for h in fragment.headings] == ["Abschnitt", "Anmerkungen"]
    assert fragment.chapter.label == "Kapitel 3"
