"""`folio new DIR`: a starter book that builds at once, as `mkdocs new` and `quarto create` make.

Its book.yaml names every key Folio reads, each with its docstring as a comment: the keys and the
words come from the dataclasses in folio/project/config.py, so the starter cannot fall behind the
schema. Two short chapters show a citation, a note, a figure and a table. The sources are CSL YAML
(references.yaml) until Folio reads BibTeX.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import io
import itertools
import re
import textwrap
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from folio.errors import EXIT_OK, ConfigError
from folio.project.config import BOOK_FILE, BookConfig

CHAPTERS = {
    "chapters/01-beginning.md": """\
---
title: The Beginning
number: 1
---

Every book starts somewhere. This one starts with a claim and its source [@ricoeur1984, 52],
and with a note that explains rather than cites.^[A note: Folio numbers the notes of each
chapter and sets them at its end.]

## A figure

A figure is an image with a caption; the text between the brackets is its description for
readers who cannot see it.

![A blue square: the figure that every new book starts with.](images/figure.png)

## A table

| Format | Made by       | For             |
|--------|---------------|-----------------|
| PDF    | WeasyPrint    | print           |
| EPUB 3 | Folio         | e-readers       |
| Draft  | WeasyPrint    | editors         |

Table: What `folio build` makes.
""",
    "chapters/02-middle.md": """\
---
title: The Middle
number: 2
---

A second chapter cites a second source [@bringhurst2004] and goes back to the first
[@ricoeur1984, 60]. It can link to a place in another chapter: [the figure](#a-figure).

## What next

Replace these chapters with your own, list them in `book.yaml`, and run `folio build`.
""",
}

REFERENCES = """\
# The book's sources, in CSL YAML: cite one as [@id] or [@id, page].
- id: ricoeur1984
  type: book
  author:
    - family: Ricoeur
      given: Paul
  title: Time and Narrative
  volume: 1
  publisher: University of Chicago Press
  publisher-place: Chicago
  issued: 1984
- id: bringhurst2004
  type: book
  author:
    - family: Bringhurst
      given: Robert
  title: The Elements of Typographic Style
  edition: 3
  publisher: Hartley & Marks
  publisher-place: Vancouver
  issued: 2004
"""

MAKEFILE = """\
# `make` builds the book into build/; `make check` checks it without writing anything.
FOLIO ?= folio

all:
\t$(FOLIO) build --project .

check:
\t$(FOLIO) check --project .

clean:
\trm -rf build

.PHONY: all check clean
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`folio new`'s arguments (the command line is folio/cli.py)."""
    parser.add_argument("dir", type=Path, metavar="DIR", help="the new book's folder (it must not exist, or be empty)")
    parser.add_argument("--title", default="", help="the book's title (default: from the folder's name)")
    parser.add_argument("--author", default="Your Name", help="the author's name (default: 'Your Name')")


def run(args: argparse.Namespace) -> int:
    target: Path = args.dir
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigError(f"{target}: already exists and is not an empty folder (hint: name a new folder)")
    title = args.title or target.resolve().name.replace("-", " ").replace("_", " ").strip().title() or "A New Book"
    create(target, title, args.author)
    print(f"made a new book in {target}: build it with `folio build --project {target}` (or `make` there)")
    return EXIT_OK


def create(target: Path, title: str, author: str) -> None:
    """Write the starter book into `target`."""
    manuscript = target / "manuscript"
    (manuscript / "chapters").mkdir(parents=True, exist_ok=True)
    (manuscript / "images").mkdir(exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "book"
    values = {
        "title": title,
        "author": author,
        "slug": slug,
        "identifier": f"urn:uuid:{uuid.uuid4()}",
        "chapters": list(CHAPTERS),
    }
    (target / BOOK_FILE).write_text(book_yaml(values), encoding="utf-8")
    for name, text in CHAPTERS.items():
        (manuscript / name).write_text(text, encoding="utf-8")
    (manuscript / "references.yaml").write_text(REFERENCES, encoding="utf-8")
    (manuscript / "images" / "figure.png").write_bytes(figure_png())
    (target / "Makefile").write_text(MAKEFILE, encoding="utf-8")
    (target / ".gitignore").write_text("build/\n", encoding="utf-8")


def book_yaml(values: dict[str, Any]) -> str:
    """book.yaml with every key of the schema: the given values set, every other key commented
    out at its default, each under its docstring."""
    lines = [
        "# The book's settings. Every key Folio reads is here: a commented-out key shows its default",
        "# (or nothing, when it has none); take out the '# ' to set it.",
        "# Paths are relative to this folder (manuscript/).",
        "",
    ]
    lines += _keys(BookConfig, values, indent="")
    return "\n".join(lines).rstrip() + "\n"


def _keys(cls: type, values: dict[str, Any], indent: str) -> list[str]:
    """The fields of `cls`, each under its docstring: set when in `values`, else commented out at
    its default. A nested section (print:, draft:) is commented out whole, its keys inside it."""
    lines: list[str] = []
    docs = field_docs(cls)
    for f in dataclasses.fields(cls):
        lines += [f"{indent}# {line}" for line in textwrap.wrap(docs.get(f.name, ""), 96)]
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default) and not hasattr(default, "parse"):  # a section, not a kind such as a page size
            section = {g.name: getattr(default, g.name) for g in dataclasses.fields(default)}
            inner = _keys(type(default), section, indent + "  ")
            lines += [f"{indent}# {f.name}:", *(f"{indent}# {line[len(indent) :]}" if line else f"{indent}#" for line in inner[:-1])]
        elif f.name in values:
            lines.append(_entry(indent, f.name, values[f.name]))
        elif default in ("", []):
            lines.append(f"{indent}# {f.name}:")  # no default: unset
        else:
            lines.append(f"{indent}# " + _entry("", f.name, default))
        lines.append("")
    return lines


def _entry(indent: str, key: str, value: Any) -> str:
    dumped = yaml.safe_dump({key: _plain(value)}, allow_unicode=True, default_flow_style=False, sort_keys=False, width=1000).rstrip("\n")
    return "\n".join(f"{indent}{line}" for line in dumped.split("\n"))


def _plain(value: Any) -> Any:
    """A value as YAML writes it: a config kind (a str subclass such as a style or a length, or
    any other object) as the text it was written as."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)  # a length is '0.75in' again, not 54.0


@cache
def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each field of a dataclass (the string that follows its annotation)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def figure_png() -> bytes:
    """A small figure for the starter: a blue square on white, drawn here rather than shipped."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 400), "white")
    ImageDraw.Draw(image).rectangle((150, 50, 450, 350), fill=(40, 70, 140))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
