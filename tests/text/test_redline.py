"""folio/redline.py: word-level changes as CriticMarkup that keeps Markdown intact."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from lxml import html

from folio.checks import marks
from folio.project.manuscript import Chapter
from folio.text import critic, pandoc
from folio.text.redline import redline, tokenize

from helpers import REPO

CHAPTER = REPO / "manuscript" / "chapters" / "35-forged-in-fire.md"

CASES = {
    "nothing changed": ("Same text.\n\nAnd more.\n", "Same text.\n\nAnd more.\n", "Same text.\n\nAnd more.\n"),
    "a word changed": ("The quick brown fox.\n", "The slow brown fox.\n", "The {~~quick~>slow~~} brown fox.\n"),
    "two words in a row": ("The quick brown fox.\n", "The slow red fox.\n", "The {~~quick brown~>slow red~~} fox.\n"),
    "a word removed": ("The quick brown fox.\n", "The brown fox.\n", "The {--quick --}brown fox.\n"),
    "a sentence added": ("One. Two.\n", "One. Two. Three.\n", "One. Two. {++Three.++}\n"),
    "a paragraph added": ("A.\n\nC.\n", "A.\n\nB is new.\n\nC.\n", "A.\n\n{++B is new.++}\n\nC.\n"),
    "a paragraph removed": ("A.\n\nB.\n\nC.\n", "A.\n\nC.\n", "A.\n\n{--B. --}C.\n"),
    "paragraphs joined": (
        "First para.\n\nSecond para.\n",
        "First para, then second para.\n",
        "First para{~~. Second~>, then second~~} para.\n",
    ),
    "a footnote changed": (
        "As shown.^[An old note.] Then.\n",
        "As shown.^[A new note.] Then.\n",
        "As shown.{--^[An old note.]--}{++^[A new note.]++} Then.\n",
    ),
    "a citation changed": (
        "As argued [see @alpha2020, p. 3].\n",
        "As argued [see @alpha2020, p. 4].\n",
        "As argued {--[see @alpha2020, p. 3]--}{++[see @alpha2020, p. 4]++}.\n",
    ),
    "a citation added": ("As argued.\n", "As argued [@beta2021].\n", "As argued {++[@beta2021]++}.\n"),
    "a heading word changed": ("# Old title\n\nText.\n", "# New title\n\nText.\n", "# {~~Old~>New~~} title\n\nText.\n"),
    "a list item added": ("- a\n- b\n", "- a\n- c\n- b\n", "- a\n- {++c++}\n- b\n"),
    "a list item removed": ("- a\n- b\n", "- a\n", "- a\n{--b --}"),
    "text removed before a heading": ("Gone.\n\n# Title\n", "# Title\n", "# {--Gone. --}Title\n"),
    "a link changed": (
        "See [the site](http://a.example) now.\n",
        "See [the new site](http://a.example) now.\n",
        "See {--[the site](http://a.example)--}{++[the new site](http://a.example)++} now.\n",
    ),
    "punctuation changed": ("Stop.\n", "Stop!\n", "Stop{~~.~>!~~}\n"),
    "emphasis kept whole": ("An *old* word.\n", "An *new* word.\n", "An *{~~old~>new~~}* word.\n"),
    "a word on the second line": ("Line one\nline two.\n", "Line one\nline 2.\n", "Line one\nline {~~two~>2~~}.\n"),
    "a list marker changed": ("1. one\n2. two\n", "- one\n- two\n", "- one\n- two\n"),
    "a table cell changed": (
        "| a | b |\n|---|---|\n| 1 | 2 |\n",
        "| a | b |\n|---|---|\n| 1 | 3 |\n",
        "| a | b |\n|---|---|\n| 1 | {~~2~>3~~} |\n",
    ),
    "a code block changed": ("Intro.\n\n```\nold()\n```\n", "Intro.\n\n```\nnew()\n```\n", "Intro.\n\n```\nnew()\n```\n"),
}


@pytest.mark.parametrize(("old", "new", "expected"), CASES.values(), ids=CASES.keys())
def test_redline(old: str, new: str, expected: str):
    assert redline(old, new) == expected
    assert critic.apply(expected, "accept") == new


def test_marks_already_in_the_text_are_kept_whole():
    assert redline("Keep {++this++} mark. Old.\n", "Keep {++this++} mark. New.\n") == "Keep {++this++} mark. {~~Old~>New~~}.\n"


def test_a_heading_id_is_never_inside_a_mark():
    assert redline("# Title {#old}\n", "# Title {#new}\n") == "# Title {#new}\n"


def test_tokens_join_back_to_the_text():
    text = CHAPTER.read_text(encoding="utf-8")
    assert "".join(t.text for t in tokenize(text)) == text
    assert {t.kind for t in tokenize("# H\n\n- a [@k, p. 2] `c` ^[n] {#x} | b")} == {"word", "space", "group", "block"}


def edited(text: str, seed: int, edits: int = 40) -> str:
    """The text with random words replaced, dropped, doubled and upper-cased."""
    rng = random.Random(seed)
    words = text.split(" ")
    for _ in range(edits):
        i = rng.randrange(len(words))
        words[i] = rng.choice(["alpha", "", f"{words[i]} {words[i]}", words[i].upper(), "beta gamma."])
    return " ".join(words)


@pytest.mark.parametrize("seed", range(5))
def test_accepting_a_redline_gives_the_new_text_back(seed: int):
    old = CHAPTER.read_text(encoding="utf-8").split("---\n", 2)[2]
    new = edited(old, seed)
    marked = redline(old, new)
    assert critic.apply(marked, "accept") == new
    assert not [f for f in marks.lint(Chapter(Path("ch.md"), 1, "T", 1, marked, 1)) if f.is_error]
    assert marked != new  # the edits are marked


def test_a_redline_renders_through_pandoc():
    old = "# A title\n\nThe claim^[A note.] holds [@alpha2020, p. 3].\n\n- one\n- two\n\nA closing paragraph.\n"
    new = "# A new title\n\nThe claim^[A revised note.] holds [@alpha2020, p. 4]. More.\n\n- one\n- two\n- three\n"
    output, warnings = pandoc.run(["--from=markdown-raw_html", "--to=html5"], critic.apply(redline(old, new), "markup"))
    assert warnings == []
    root = html.fragment_fromstring(output, create_parent="div")

    def texts(cls: str) -> list[str]:
        return [re.sub(r"\s+", " ", s.text_content()) for s in root.xpath(f"//span[@class='{cls}']")]

    # The note calls are numbered 1 (deleted) and 2 (inserted); the full stop after the citation
    # is matched to the one after "More".
    assert texts("critic-ins") == ["new", "2", "[@alpha2020, p. 4]. More", "three"]
    assert texts("critic-del") == ["1", "[@alpha2020, p. 3]", "A closing paragraph."]
    assert root.xpath("//h1/span[@class='critic-ins']") and len(root.xpath("//ul/li")) == 3
    notes = [re.sub(r"\s+", " ", n.text_content()) for n in root.xpath("//li[starts-with(@id, 'fn')]")]
    assert notes == ["A note.↩︎", "A revised note.↩︎"]
