"""folio/tools/importer.py: `folio import FILE.md DIR` makes a project from one Pandoc manuscript."""

from __future__ import annotations

import textwrap

from folio.project.config import load_project
from folio.project.manuscript import load_chapters
from folio.tools.new import figure_png as png

from helpers import REFERENCES, run_folio

MANUSCRIPT = """\
---
title: "An Imported Book"
subtitle: With a Subtitle
author:
  - name: Ann Alpha
  - Bob Beta
date: 2024-05-06
lang: en-GB
bibliography: refs.yaml
abstract: A summary Folio has no place for.
keywords: [one, two]
---

# Introduction {#intro}

Opening words [@alpha2020].^[A note.] See [the method](#method).

## Background

![A map of the area.](img/map.png)

# Method {#method .unnumbered}

How it was done [@beta2021], as the [introduction](#intro) said.

### A detail

Text.

```
# not a heading
```

# References
"""


def write_source(root, text=MANUSCRIPT):
    (root / "img").mkdir(parents=True)
    (root / "img" / "map.png").write_bytes(png())
    (root / "refs.yaml").write_text(REFERENCES, encoding="utf-8")
    source = root / "book.md"
    source.write_text(text, encoding="utf-8")
    return source


def test_import_splits_copies_and_lists_what_it_left(tmp_path):
    source = write_source(tmp_path / "src")
    target = tmp_path / "project"
    code, out, err = run_folio(["import", str(source), str(target)])
    assert code == 0, err
    config = load_project(target).config
    assert (config.title, config.subtitle, config.author, config.date, config.language) == (
        "An Imported Book",
        "With a Subtitle",
        "Ann Alpha and Bob Beta",
        "2024-05-06",
        "en-GB",
    )
    assert config.bibliography in ("refs.yaml", ["refs.yaml"]) and config.slug == "book"  # one file, or a list of them
    assert config.chapters == ["chapters/01-introduction.md", "chapters/02-method.md"]
    one = (target / "manuscript" / "chapters" / "01-introduction.md").read_text(encoding="utf-8")
    two = (target / "manuscript" / "chapters" / "02-method.md").read_text(encoding="utf-8")
    assert one.startswith("---\ntitle: Introduction\nnumber: 1\n---\n") and "[]{#intro}" in one and "\n## Background\n" in one
    assert two.startswith("---\ntitle: Method\n---\n") and "\n### A detail\n" in two and "# not a heading" in two
    assert (target / "manuscript" / "img" / "map.png").read_bytes() == (tmp_path / "src" / "img" / "map.png").read_bytes()
    assert "metadata abstract: no book.yaml key for it" in out and "metadata keywords" in out
    assert "heading 'References': nothing under it" in out
    assert source.read_text(encoding="utf-8") == MANUSCRIPT  # only read
    code, _, err = run_folio(["build", "pdf", "epub", "--project", str(target)])
    assert code == 0 and err == "", err


def test_split_level_two_moves_the_sections_up(tmp_path):
    text = "% A Title Block Book\n% Cy Gamma\n% 2020\n\n## First\n\nOne.\n\n### Part\n\nTwo.\n\n## Second\n\nThree.\n"
    source = write_source(tmp_path / "src", text)
    target = tmp_path / "project"
    code, out, err = run_folio(["import", str(source), str(target), "--split-level", "2"])
    assert code == 0, err
    project = load_project(target)
    assert (project.config.title, project.config.author, project.config.date) == ("A Title Block Book", "Cy Gamma", "2020")
    chapters, problems = load_chapters(project)
    assert problems == [] and [c.title for c in chapters] == ["First", "Second"] and [c.number for c in chapters] == [1, 2]
    assert "\n## Part\n" in chapters[0].body
    assert "bibliography" not in out and (target / "manuscript" / "references.yaml").is_file()
    assert "language: the metadata names none" in out


def test_import_refuses_what_it_cannot_do(tmp_path):
    code, _, err = run_folio(["import", str(tmp_path / "missing.md"), str(tmp_path / "p")])
    assert code == 2 and "missing.md: no such file" in err and not (tmp_path / "p").exists()
    source = write_source(tmp_path / "src")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x", encoding="utf-8")
    code, _, err = run_folio(["import", str(source), str(tmp_path / "full")])
    assert code == 2 and "not an empty folder" in err and "Traceback" not in err
    bad = tmp_path / "bad.md"
    bad.write_text(textwrap.dedent("---\ntitle: [unclosed\n---\n\nText.\n"), encoding="utf-8")
    code, _, err = run_folio(["import", str(bad), str(tmp_path / "q")])
    assert code == 2 and "bad.md:3: not valid YAML" in err and not (tmp_path / "q").exists()


def test_other_tools_dialects_become_folios_markdown(tmp_path):
    """A Jekyll page: Liquid figure includes (images in images/<slug>/ at the site's root),
    kramdown math, and an HTML block with elements Folio refuses."""
    site = tmp_path / "site"
    (site / "images" / "my-lesson").mkdir(parents=True)
    (site / "images" / "my-lesson" / "fig-1.png").write_bytes(png())
    (site / "en" / "lessons").mkdir(parents=True)
    page = site / "en" / "lessons" / "my-lesson.md"
    page.write_text(
        "---\ntitle: My Lesson\nauthors: [Dee Delta]\nlang: en\n---\n\n{% include toc.html %}\n\n## Start\n\n"
        "The value \\\\(N_0\\\\) halves.\n\n"
        '{% include figure.html filename="fig-1.png" caption="Figure 1: *A* curve." %}\n\n'
        '{% include figure.html filename="missing.png" caption="Gone." %}\n\n'
        '<div class="alert">\n  <p>A <i>boxed</i> list:\n  <ul>\n  <li>one \\(x\\)</li>\n  </ul>\n  </p>\n</div>\n',
        encoding="utf-8",
    )
    target = tmp_path / "project"
    code, out, err = run_folio(["import", str(page), str(target)])
    assert code == 0, err
    body = (target / "manuscript" / "chapters" / "01-my-lesson.md").read_text(encoding="utf-8")
    assert "![Figure 1: *A* curve.](images/my-lesson/fig-1.png)" in body
    assert (target / "manuscript" / "images" / "my-lesson" / "fig-1.png").is_file()
    assert "$N_0$" in body and "\\\\(" not in body
    assert "::: alert" in body and "*boxed*" in body and "- one $x$" in body and "<p>" not in body
    assert "line 15: Liquid figure missing.png: image not found" in out
    assert "line 17: an HTML <div> block, rewritten in Markdown" in out
    assert "2 Jekyll Liquid tag(s) such as {% include toc.html %}" in out
    code, _, err = run_folio(["build", "epub", "--project", str(target)])
    assert code == 0, err


def test_an_aosa_figure_and_its_reference_become_markdown(tmp_path):
    """AOSA's \\aosafigure (its image beside the chapter) becomes a figure, copied in; \\aosafigref a link to it."""
    (tmp_path / "ch" / "pics").mkdir(parents=True)
    (tmp_path / "ch" / "pics" / "d.png").write_bytes(png())
    page = tmp_path / "ch" / "ch.markdown"
    body = "# One\n\nLike \\aosafigref{ch.d}.\n\n\\aosafigure[180pt]{pics/d.png}{A curve}{ch.d}\n\n\\aosafigure{pics/no.png}{Gone}{ch.no}\n"
    page.write_text(body, encoding="utf-8")
    code, out, err = run_folio(["import", str(page), str(tmp_path / "p")])
    assert code == 0, err
    text = (tmp_path / "p" / "manuscript" / "chapters" / "01-one.md").read_text(encoding="utf-8")
    assert "Like [Figure](#ch.d).\n\n![A curve](pics/d.png){#ch.d}\n" in text and "\\aosafigure{pics/no.png}" in text
    assert (tmp_path / "p" / "manuscript" / "pics" / "d.png").is_file()
    assert "line 7: \\aosafigure pics/no.png: image not found" in out
