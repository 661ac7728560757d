"""folio/citations.py: keys found where Pandoc finds them, sources checked, findings located."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from folio.checks.book import check_book, citations
from folio.project.config import load_project
from folio.project.manuscript import Chapter
from folio.text.pandoc import pandoc_path

from helpers import REPO, make_book


def chapter(body: str, body_line: int = 5) -> Chapter:
    return Chapter(Path("ch.md"), 1, "T", 1, body, body_line)


def test_scan_finds_keys_with_line_and_column():
    body = "First line.\nAs shown [see @alpha2020, p. 3; @beta:2021].\n\nAnd @gamma said so.\n"
    found = citations.scan(chapter(body))
    assert [(c.key, c.line, c.col) for c in found] == [("alpha2020", 6, 15), ("beta:2021", 6, 33), ("gamma", 8, 5)]


def test_scan_ignores_email_code_and_escapes():
    body = "Write to ann@example.com.\n\n`@notakey` and \\@escaped.\n\n```\n@fenced\n```\n\nBut [@{odd key}] counts.\n"
    assert [c.key for c in citations.scan(chapter(body))] == ["odd key"]


def test_trailing_punctuation_is_not_part_of_the_key():
    assert [c.key for c in citations.scan(chapter("As @alpha2020. said @beta2021:"))] == ["alpha2020", "beta2021"]


def _pandoc_cite_keys(path: Path) -> list[str]:
    """The keys Pandoc itself sees, from its JSON AST: an oracle independent of our scanner."""
    out = subprocess.run([pandoc_path(), str(path), "-t", "json"], capture_output=True, text=True, check=True)
    keys: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("t") == "Cite":
                keys.extend(c["citationId"] for c in node["c"][0])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(out.stdout))
    return keys


def test_every_citation_in_the_manuscript_resolves():
    """Issue 3, test 1: every in-text citation resolves to a bibliography entry."""
    project = load_project(REPO)
    checked = check_book(project)
    ids = {ref.id for ref in checked.references}
    for path in project.chapter_paths:
        keys = _pandoc_cite_keys(path)
        assert keys, f"{path} cites nothing"
        assert set(keys) <= ids, f"{path}: unresolved {set(keys) - ids}"
        assert sorted(keys) == sorted(c.key for c in checked.citations if c.path == path)
    assert checked.findings == []


def test_unknown_key_is_an_error_with_position_and_hint(tmp_path):
    root = make_book(tmp_path, {"one.md": "---\ntitle: One\n---\n\nText [@alpha2002].\n"})
    checked = check_book(load_project(root))
    errors = [f for f in checked.findings if f.code == "C001"]
    assert len(errors) == 1
    assert errors[0].format(root) == (
        "manuscript/chapters/one.md:5:7: error: C001 unknown citation key '@alpha2002' (did you mean 'alpha2020'?)"
    )


def test_bibliography_problems(tmp_path):
    references = """\
- id: alpha2020
  title: A
  issued: 2020
- id: alpha2020
  title: Again
  issued: 2020
- id: notitle
  issued: 2020
- id: nodate
  title: Undated
- title: No id at all
  issued: 2020
"""
    root = make_book(tmp_path, {"one.md": "---\ntitle: One\n---\n\n[@alpha2020; @notitle; @nodate]\n"}, references)
    checked = check_book(load_project(root))
    got = {(f.code, f.line) for f in checked.findings}
    assert got == {("C002", 4), ("C003", 7), ("C004", 9), ("C006", 11)}
    assert all(f.is_error for f in checked.findings)


def test_uncited_entry_is_a_warning(tmp_path):
    root = make_book(tmp_path, {"one.md": "---\ntitle: One\n---\n\nOnly [@alpha2020].\n"})
    checked = check_book(load_project(root))
    assert [(f.code, f.severity, f.line) for f in checked.findings] == [("C005", "warning", 7)]
    assert not checked.fails(strict=False)
    assert checked.fails(strict=True)
