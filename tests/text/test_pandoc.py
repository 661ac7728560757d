"""text/pandoc.py: chapters converted many to a Pandoc process (text/chapters.lua), as Pandoc's
command line converts each."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from folio.errors import ToolError
from folio.project.config import styles_dir
from folio.text import markup, pandoc
from folio.text.citestyle import Citeproc
from folio.text.pandoc import Body, chapters_to_html

SOURCES = """\
- id: doe2020
  type: book
  author:
    - family: Doe
      given: Jane
  title: A Book
  issued: 2020
"""

CHAPTERS = [
    # Sentences after abbreviations ("fig. 2": unbroken), a citation, a note, a quotation.
    'As fig. 2 shows, and as Mr. Smith says, "it holds" [@doe2020, 12].^[A note, with e.g. an example.]\n',
    # A code block indented by a tab, and a tab inside the code.
    "Code:\n\n\tif x:\n\t\treturn\ty\n\nAfter the code.\n",
    # A formula Pandoc cannot read (a warning with continuation lines), a source nobody has (a warning).
    "Bad $\\frac{1}{$ math and [@nobody2000].\n\n## A section {#sec}\n\nAn <sup>HTML</sup> tag, and a [link](#sec).\n",
]


def citeproc(tmp_path: Path, style: str = "chicago-notes-bibliography.csl", kind: str = "note") -> Citeproc:
    sources = tmp_path / "refs.yaml"
    sources.write_text(SOURCES, encoding="utf-8")
    return Citeproc((sources,), styles_dir() / style, kind, per_chapter=False)


def command_line(body: Body, settings: Citeproc) -> pandoc.Conversion:
    """The chapter as `pandoc --citeproc --lua-filter=markup.lua ...` converts it, one process to a chapter."""
    command = pandoc.arguments(
        citeproc=[*settings.arguments(), *markup.filter_arguments()],
        language=body.language,
        id_prefix=body.id_prefix,
        extra=("--section-divs", "--wrap=none", "--html-q-tags", "--mathml"),
    )
    html, warnings = pandoc.run(command, markup.read_html_blocks(markup.strip_liquid(body.markdown)))
    return pandoc.Conversion(html, warnings)


@pytest.mark.parametrize(("style", "kind"), [("chicago-notes-bibliography.csl", "note"), ("apa.csl", "author-date")])
def test_chapters_converted_in_one_process_are_what_the_command_line_makes_of_each(tmp_path, style, kind):
    settings = citeproc(tmp_path, style, kind)
    bodies = [
        Body(text, f"ch0{n}-", language) for n, (text, language) in enumerate(zip(CHAPTERS, ["en-US", "en-GB", None], strict=True), start=1)
    ]
    together = chapters_to_html(bodies, settings, None)
    for body, conversion in zip(bodies, together, strict=True):
        assert conversion == command_line(body, settings)
    assert "fig.\xa02" in together[0].html and f'id="{bodies[0].id_prefix}fn1"' in together[0].html
    assert "<code>if x:\n    return  y</code>" in together[1].html  # tabs as the command line expands them
    assert any("Could not convert TeX math" in w and "\n  " in w for w in together[2].warnings)
    assert any("nobody2000" in w for w in together[2].warnings)


def test_chapters_not_cached_are_converted_one_process_a_core_and_cached(tmp_path, monkeypatch):
    runs = []
    real = pandoc._run_command
    monkeypatch.setattr(pandoc, "_run_command", lambda command, stdin: runs.append(command) or real(command, stdin))
    settings = citeproc(tmp_path)
    bodies = [Body(f"Chapter {n} cites [@doe2020].\n", f"ch{n:02}-", "en-US") for n in range(1, 6)]
    first = chapters_to_html(bodies, settings, tmp_path / "cache")
    assert len(runs) == min(os.cpu_count() or 1, 5) and all(command[-2:] == ["lua", str(pandoc.CHAPTERS)] for command in runs)
    assert [f"Chapter {n} cites" in c.html for n, c in enumerate(first, start=1)] == [True] * 5
    runs.clear()
    edited = [*bodies[:2], Body("Chapter 3, edited.\n", "ch03-", "en-US"), *bodies[3:]]
    again = chapters_to_html(edited, settings, tmp_path / "cache")
    assert len(runs) == 1  # the edited chapter alone
    assert [c.html for i, c in enumerate(again) if i != 2] == [c.html for i, c in enumerate(first) if i != 2]
    assert "Chapter 3, edited." in again[2].html


def test_a_chapter_pandoc_cannot_convert_is_a_tool_error(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: doe2020\n  title: [unclosed\n", encoding="utf-8")
    settings = Citeproc((broken,), styles_dir() / "chicago-notes-bibliography.csl", "note", per_chapter=False)
    with pytest.raises(ToolError, match="YAML parse exception at line 2"):  # as the command line says it
        chapters_to_html([Body("Text [@doe2020].\n", "ch01-", "en-US")], settings, None)
