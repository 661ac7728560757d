"""text/pandoc.py: chapters converted many to a Pandoc process (text/chapters.lua), as Pandoc's
command line converts each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from folio.errors import ToolError
from folio.project.config import styles_dir
from folio.text import markup, pandoc
from folio.text.citestyle import Citeproc
from folio.text.pandoc import Body, chapters_to_html
from folio.tools.bench import descendants

from helpers import REPO

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


def test_what_runs_meanwhile_runs_while_pandoc_converts_and_once_when_nothing_is_converted(tmp_path):
    """The build imports WeasyPrint (0.2 s) while Pandoc converts an edited chapter (0.17 s), instead
    of one after the other: `meanwhile` runs in this process while a Pandoc process runs."""
    settings = citeproc(tmp_path)
    bodies = [Body(f"Chapter {n} cites [@doe2020].\n", f"ch{n:02}-", "en-US") for n in range(1, 3)]
    seen: list[bool] = []

    def pandoc_running() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(_runs_pandoc(pid) for pid in descendants(os.getpid())[1:]):
            time.sleep(0.005)
        seen.append(time.monotonic() < deadline)

    converted = chapters_to_html(bodies, settings, tmp_path / "cache", meanwhile=pandoc_running)
    assert seen == [True] and "Chapter 2 cites" in converted[1].html
    seen.clear()
    assert chapters_to_html(bodies, settings, tmp_path / "cache", meanwhile=lambda: seen.append(True)) == converted  # all cached
    assert seen == [True]


def _runs_pandoc(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] == pandoc.pandoc_path().encode()
    except OSError:
        return False


def test_the_pandoc_run_is_the_wheels_found_without_importing_pypandoc(tmp_path):
    """pypandoc takes 0.04 s to import and runs every `pandoc` it finds to choose one: Folio runs the
    Pandoc of the pypandoc-binary wheel (the pinned one), which is also pypandoc's choice here."""
    code = (
        "import json, sys\n"
        "from folio.text import pandoc\n"
        "path = pandoc.pandoc_path()\n"
        "print(json.dumps({'path': path, 'version': pandoc.pandoc_version(), 'pypandoc': 'pypandoc' in sys.modules}))\n"
    )
    found = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout)
    import pypandoc

    assert found["pypandoc"] is False
    assert found["path"] == str(Path(pypandoc.__file__).parent / "files" / "pandoc") == pypandoc.get_pandoc_path()
    assert found["version"].startswith("pandoc 3.")


def test_a_chapter_pandoc_cannot_convert_is_a_tool_error(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: doe2020\n  title: [unclosed\n", encoding="utf-8")
    settings = Citeproc((broken,), styles_dir() / "chicago-notes-bibliography.csl", "note", per_chapter=False)
    with pytest.raises(ToolError, match="YAML parse exception at line 2"):  # as the command line says it
        chapters_to_html([Body("Text [@doe2020].\n", "ch01-", "en-US")], settings, None)
