"""The book's sources: the bibliography files book.yaml names, and their entries with `file:line`.

`bibliography:` in book.yaml takes one file or a list, each relative to manuscript/ and inside the
project. Three kinds are read, all through the readers Pandoc itself uses when it formats them, so
the gate sees exactly what citeproc will see:

- BibLaTeX (`.bib`) and BibTeX (`.bibtex`), as Pandoc's --bibliography tells them apart: Pandoc
  turns them into CSL JSON (`pandoc -f biblatex -t csljson`); an
  entry's line is the line of its `@type{key,`; a syntax error is Pandoc's, with Pandoc's line;
- CSL JSON (`.json`): read with `json`; an entry's line is the line of its `"id"`;
- CSL YAML (`.yaml`, `.yml`): a list of entries, or a mapping with `references:`.

book.yaml's `bibliography:` (project/config.py) names the files, checked to be inside the project
and of these kinds. A book that cites nothing needs no bibliography. With no `bibliography:` key,
manuscript/references.yaml is used when it exists (the layout `folio` has always had).
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from folio.project import yamlfile

KINDS = {".bib": "biblatex", ".bibtex": "bibtex", ".json": "csljson", ".yaml": "yaml", ".yml": "yaml"}


@dataclass(frozen=True)
class Entry:
    """One source as CSL JSON (whatever file it came from), with where it is written."""

    id: str
    path: Path
    line: int
    data: dict[str, Any] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Problem:
    """A bibliography file that cannot be read as a list of entries (C007), or an entry without an id (C006)."""

    code: str
    path: Path
    line: int
    message: str
    hint: str = ""


def read(path: Path) -> tuple[list[Entry], list[Problem]]:
    """The entries of one bibliography file, in file order, and what is wrong with the file."""
    kind = KINDS.get(path.suffix.lower(), "yaml")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return [], [Problem("C007", path, line, f"not UTF-8 text ({exc.reason})", "save the file as UTF-8")]
    if kind in ("bibtex", "biblatex"):
        return _read_bibtex(path, text, kind)
    if kind == "csljson":
        return _read_csljson(path, text)
    return _read_yaml(path, text)


def _read_yaml(path: Path, text: str) -> tuple[list[Entry], list[Problem]]:
    try:
        data = yamlfile.parse(text, path)
    except yamlfile.YamlError as exc:
        hint = "a BibTeX file must end in .bib" if text.lstrip().startswith("@") else ""
        return [], [Problem("C007", path, exc.line, exc.message, hint)]
    if isinstance(data, dict) and "references" in data:
        data = data["references"]
    if not isinstance(data, list):
        return [], [Problem("C007", path, 1, "the bibliography must be a list of entries, each with an id")]
    entries, problems = [], []
    for item in data:
        if not isinstance(item, yamlfile.LineDict):
            problems.append(Problem("C007", path, 1, f"entry is not a mapping: {item!r}"))
        elif not isinstance(item.get("id"), str | int) or str(item.get("id")).strip() == "":
            problems.append(Problem("C006", path, item.line, "entry has no id"))
        else:
            entries.append(Entry(str(item["id"]), path, item.line_of("id"), dict(item)))
    return entries, problems


# "id": "key" in a CSL JSON file; the n-th match is the n-th entry's id (ids are not nested).
JSON_ID = re.compile(r'"id"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(\d+))')


def _read_csljson(path: Path, text: str) -> tuple[list[Entry], list[Problem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [Problem("C007", path, exc.lineno, f"not valid JSON: {exc.msg}")]
    if isinstance(data, dict) and "references" in data:
        data = data["references"]
    if not isinstance(data, list):
        return [], [Problem("C007", path, 1, "CSL JSON must be a list of entries, each with an id")]
    lines: dict[str, list[int]] = {}
    for match in JSON_ID.finditer(text):
        key = json.loads(f'"{match[1]}"') if match[1] is not None else match[2]
        lines.setdefault(key, []).append(text.count("\n", 0, match.start()) + 1)
    entries, problems = [], []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            problems.append(Problem("C007", path, 1, f"entry {index + 1} is not an object: {item!r}"))
        elif not isinstance(item.get("id"), str | int) or str(item.get("id")).strip() == "":
            problems.append(Problem("C006", path, _object_line(text, index), "entry has no id"))
        else:
            key = str(item["id"])
            found = lines.get(key) or [1]
            entries.append(Entry(key, path, found.pop(0) if len(found) > 1 else found[0], item))
    return entries, problems


def _object_line(text: str, index: int) -> int:
    """The line of the index-th top-level object of a JSON list (for an entry that has no id)."""
    depth, count = 0, -1
    in_string = escaped = False
    for offset, char in enumerate(text):
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth == 2 and char == "{":
                count += 1
                if count == index:
                    return text.count("\n", 0, offset) + 1
        elif char in "]}":
            depth -= 1
    return 1


# "@book{key," (BibTeX keys may not hold spaces, commas or braces); @string, @preamble and
# @comment are not entries.
BIBTEX_ENTRY = re.compile(r"^[ \t]*@(?!(?:string|preamble|comment)\b)(\w+)[ \t]*[{(][ \t]*([^,\s{}()]+)[ \t]*,", re.M | re.I)
PANDOC_ERROR = re.compile(r"\(line (\d+), column (\d+)\):\s*(.*)", re.S)


def _read_bibtex(path: Path, text: str, kind: str) -> tuple[list[Entry], list[Problem]]:
    from folio.text.pandoc import pandoc_path

    result = subprocess.run([pandoc_path(), f"--from={kind}", "--to=csljson", str(path)], capture_output=True, text=True, encoding="utf-8")
    if result.returncode != 0:
        match = PANDOC_ERROR.search(result.stderr)
        line = int(match[1]) if match else 1
        detail = " ".join(match[3].split()) if match else result.stderr.strip()
        hint = "look for an unclosed brace or a missing comma in the entry before this line"
        return [], [Problem("C007", path, line, f"not valid BibTeX: {detail}", hint)]
    lines: dict[str, list[int]] = {}
    for match in BIBTEX_ENTRY.finditer(text):
        lines.setdefault(match[2], []).append(text.count("\n", 0, match.start()) + 1)
    entries = []
    for item in json.loads(result.stdout or "[]"):
        key = str(item.get("id", ""))
        found = lines.get(key) or [1]
        entries.append(Entry(key, path, found.pop(0) if len(found) > 1 else found[0], item))
    return entries, []
