"""folio/tools/new.py: `folio new DIR` makes a starter book that builds at once and passes every validator."""

from __future__ import annotations

import dataclasses
import re

from folio.checks.epubcheck import check
from folio.project.config import BookConfig, DraftSettings, PrintSettings, load_project
from folio.project.manuscript import load_chapters
from folio.tools.new import field_docs

from helpers import run_folio


def test_new_then_build_passes_every_validator(tmp_path):
    book = tmp_path / "my-first-book"
    code, out, err = run_folio(["new", str(book)])
    assert code == 0 and err == "" and "folio build --project" in out
    code, out, err = run_folio(["build", "pdf", "epub", "draft", "docx", "--project", str(book)])
    assert code == 0 and err == "", err  # not a warning
    built = book / "build"
    assert {p.name for p in built.iterdir() if p.is_file()} == {
        "my-first-book.pdf",
        "my-first-book.epub",
        "my-first-book-draft.pdf",
        "my-first-book-review.docx",
    }
    project = load_project(book)
    assert project.config.title == "My First Book"
    chapters, _ = load_chapters(project)
    epub = built / "my-first-book.epub"
    assert check(epub.read_bytes(), epub, chapters) == []
    code, out, _ = run_folio(["preflight", str(built / "my-first-book.pdf"), "--project", str(book)])
    assert code == 0, out
    assert run_folio(["check", "--project", str(book)])[0] == 0
    # what it shows: a citation, a note, a figure, a table
    text = "\n".join(p.read_text(encoding="utf-8") for p in (book / "manuscript" / "chapters").iterdir())
    assert "[@ricoeur1984" in text and "^[" in text and "![" in text and "\nTable: " in text
    assert (book / "manuscript" / "images" / "figure.png").read_bytes().startswith(b"\x89PNG")
    assert (book / "Makefile").is_file()


def test_book_yaml_names_every_key_with_its_docstring(tmp_path):
    run_folio(["new", str(tmp_path / "b")])
    text = (tmp_path / "b" / "manuscript" / "book.yaml").read_text(encoding="utf-8")
    for cls, indent in ((BookConfig, ""), (PrintSettings, "#   "), (DraftSettings, "#   ")):
        docs = field_docs(cls)
        for f in dataclasses.fields(cls):
            assert re.search(rf"^(# )?{re.escape(indent)}{f.name}:", text, re.M), f.name
            assert docs[f.name].split()[0] in text, f.name  # its docstring is there
    assert len(field_docs(BookConfig)) == len(dataclasses.fields(BookConfig))


def test_every_commented_default_is_valid_when_uncommented(tmp_path):
    run_folio(["new", str(tmp_path / "b")])
    path = tmp_path / "b" / "manuscript" / "book.yaml"
    keys = {f.name for cls in (BookConfig, PrintSettings, DraftSettings) for f in dataclasses.fields(cls)}
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^# (\s*)(\w+):(.*)$", line)
        if match and match[2] in keys and (match[3].strip() or match[2] in ("print", "draft")):
            line = f"{match[1]}{match[2]}:{match[3]}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_project(tmp_path / "b").config
    assert config.print == PrintSettings() and config.draft == DraftSettings()
    assert config.csl == BookConfig.csl and config.language == BookConfig.language


def test_new_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run_folio(["new", str(tmp_path / "b")])
    assert code == 2 and "already exists and is not an empty folder" in err and "Traceback" not in err
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["notes.txt"]
