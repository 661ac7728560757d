"""folio/citations.py: keys found where Pandoc finds them, sources checked, findings located."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from folio.checks.book import check_book, citations
from folio.errors import ConfigError
from folio.project.config import load_project
from folio.project.manuscript import Chapter
from folio.text.pandoc import pandoc_path

from helpers import REFERENCES, REPO, make_book, run_folio


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


# Bibliographies of every kind (issue 11) --------------------------------------------------------

BIB = """\
@book{alpha2020,
  author = {Alpha, Ann},
  title = {The First Book},
  publisher = {Press One},
  year = {2020}
}

@article{ beta2021 ,
  author = {Beta, Bob},
  title = {A Second Article},
  journaltitle = {Journal Two},
  date = {2021}
}
"""

JSON = """\
[
  {
    "id": "alpha2020",
    "type": "book",
    "author": [{"family": "Alpha", "given": "Ann"}],
    "title": "The First Book",
    "issued": {"date-parts": [[2020]]}
  },
  {
    "id": "beta2021",
    "type": "article-journal",
    "title": "A Second Article",
    "issued": {"date-parts": [[2021]]}
  }
]
"""

CITES_BOTH = "---\ntitle: One\n---\n\nText [@alpha2020] and [@beta2021].\n"


def book_with(tmp_path: Path, files: dict[str, str], setting: str, chapter: str = CITES_BOTH) -> Path:
    """A book whose sources are these files (name -> text), named in book.yaml by `setting`."""
    root = make_book(tmp_path, {"one.md": chapter}, extra=setting)
    (root / "manuscript" / "references.yaml").unlink()
    for name, text in files.items():
        (root / "manuscript" / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(("name", "text"), [("refs.bib", BIB), ("refs.json", JSON), ("refs.yml", REFERENCES)])
def test_each_kind_of_bibliography_is_read_with_entry_lines(tmp_path, name, text):
    root = book_with(tmp_path, {name: text}, f"bibliography: {name}\n")
    project = load_project(root)
    checked = check_book(project)
    assert checked.findings == []
    expected = {"refs.bib": [1, 8], "refs.json": [3, 10], "refs.yml": [1, 7]}[name]
    assert [(r.id, r.line, r.path.name) for r in checked.references] == [
        ("alpha2020", expected[0], name),
        ("beta2021", expected[1], name),
    ]


def test_bibtex_entry_problems_point_at_the_entry_line(tmp_path):
    bib = BIB + "\n@misc{undated,\n  title = {No Date}\n}\n\n@misc{untitled,\n  year = {2001}\n}\n"
    chapter = "---\ntitle: One\n---\n\n[@alpha2020; @beta2021; @undated; @untitled]\n"
    root = book_with(tmp_path, {"refs.bib": bib}, "bibliography: refs.bib\n", chapter)
    checked = check_book(load_project(root))
    assert [f.format(root) for f in checked.findings] == [
        "manuscript/refs.bib:15:1: error: C004 'undated' has no date (issued) (add a year or date)",
        "manuscript/refs.bib:19:1: error: C003 'untitled' has no title",
    ]


def test_bibtex_syntax_error_points_at_its_line(tmp_path):
    bib = BIB.replace("  title = {A Second Article},\n", "  title = {A Second Article}\n  oops\n")
    root = book_with(tmp_path, {"refs.bib": bib}, "bibliography: refs.bib\n")
    checked = check_book(load_project(root))
    assert [(f.code, f.path.name, f.line) for f in checked.findings] == [("C007", "refs.bib", 11)]
    assert "not valid BibTeX" in checked.findings[0].message
    assert "missing comma" in checked.findings[0].hint
    # The citations are not reported as unknown on top of the broken file.
    assert not [f for f in checked.findings if f.code == "C001"]


def test_csl_json_errors_have_lines(tmp_path):
    broken = JSON.replace('"type": "book",', '"type": "book"')
    root = book_with(tmp_path, {"refs.json": broken}, "bibliography: refs.json\n")
    findings = check_book(load_project(root)).findings
    assert [(f.code, f.line) for f in findings] == [("C007", 5)]
    assert findings[0].message.startswith("not valid JSON")
    no_id = JSON.replace('"id": "beta2021",', "")
    root = book_with(tmp_path / "b", {"refs.json": no_id}, "bibliography: refs.json\n", "---\ntitle: One\n---\n\n[@alpha2020]\n")
    assert [(f.code, f.line) for f in check_book(load_project(root)).findings] == [("C006", 9)]


def test_csl_yaml_error_has_a_line_and_a_bib_in_yaml_clothing_gets_a_hint(tmp_path):
    # No `bibliography:` key: manuscript/references.yaml is read, as it always was.
    root = book_with(tmp_path, {"references.yaml": REFERENCES.replace("  title: A Second Article", "  title: [oops")}, "")
    findings = check_book(load_project(root)).findings
    assert [(f.code, f.line) for f in findings] == [("C007", 11)]  # where PyYAML found the list unclosed
    root = book_with(tmp_path / "b", {"refs.yaml": BIB}, "bibliography: refs.yaml\n")
    findings = check_book(load_project(root)).findings
    assert [(f.code, f.line, f.hint) for f in findings] == [("C007", 1, "a BibTeX file must end in .bib")]


def test_a_list_of_files_and_an_id_defined_in_two_of_them(tmp_path):
    yaml_part = REFERENCES.split("- id: beta2021")[0]  # alpha2020 only
    root = book_with(tmp_path, {"a.yaml": yaml_part, "b.bib": BIB}, "bibliography:\n  - a.yaml\n  - b.bib\n")
    project = load_project(root)
    assert [p.name for p in project.bibliographies] == ["a.yaml", "b.bib"]
    checked = check_book(project)
    assert [f.format(root) for f in checked.findings] == [
        "manuscript/b.bib:1:1: error: C002 'alpha2020' is defined again (first at a.yaml:1)",
    ]
    assert [(r.id, r.path.name) for r in checked.references] == [("alpha2020", "a.yaml"), ("beta2021", "b.bib")]


def test_a_book_that_cites_nothing_needs_no_bibliography(tmp_path):
    root = book_with(tmp_path, {}, "", "---\ntitle: One\n---\n\nWrite to me @ home, or to ann@example.com.\n")
    project = load_project(root)
    assert project.bibliographies == []
    assert check_book(project).findings == []
    root = book_with(tmp_path / "b", {}, "", "---\ntitle: One\n---\n\nBut this cites [@alpha2020].\n")
    findings = check_book(load_project(root)).findings
    assert [f.format(root) for f in findings] == [
        "manuscript/chapters/one.md:5:17: error: C001 citation '@alpha2020' but the book has no bibliography "
        "(name the sources in book.yaml, e.g. 'bibliography: references.bib'; write \\@ for a plain at sign)"
    ]


@pytest.mark.parametrize(
    ("setting", "line", "message"),
    [
        ("bibliography: ../../outside.bib\n", 7, "../../outside.bib is outside the project"),
        ("bibliography: /etc/refs.bib\n", 7, "/etc/refs.bib is outside the project"),
        ("bibliography:\n  - refs.bib\n  - ../../x.json\n", 9, "../../x.json is outside the project"),
        ("bibliography: refs.txt\n", 7, "refs.txt: not a bibliography file (hint: use .bib"),
        ("bibliography: missing.bib\n", 7, "no such file: manuscript/missing.bib"),
        ("references: chapters\n", 7, "'chapters' is not one of book, chapter"),
    ],
)
def test_bibliography_setting_problems_are_refused_with_their_line(tmp_path, setting, line, message):
    (tmp_path / "outside.bib").write_text(BIB, encoding="utf-8")
    (tmp_path / "x.json").write_text(JSON, encoding="utf-8")
    root = book_with(tmp_path / "book", {"refs.bib": BIB, "refs.txt": BIB}, setting)
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    assert f"book.yaml:{line}: " in str(caught.value)
    assert message in str(caught.value)


def test_cross_references_are_not_citation_keys():
    body = "See @fig:map, +@tbl:data, [@eq:one; @sec:intro] and @fig-quarto, but cite @alpha2020.\n"
    assert [c.key for c in citations.scan(chapter(body))] == ["alpha2020"]


def test_citation_typing_and_identifier_prefixes_get_a_clear_error(tmp_path):
    body = "---\ntitle: One\n---\n\nAs [@usesMethodIn:alpha2020] and @doi:10.1000/xyz123 and [@beta2021].\n"
    root = make_book(tmp_path, {"one.md": body})
    findings = [f.format(root) for f in check_book(load_project(root)).errors]
    assert findings == [
        "manuscript/chapters/one.md:5:5: error: C008 '@usesMethodIn:alpha2020': the citation-typing prefix 'usesMethodIn:' "
        "is not supported (write @alpha2020)",
        "manuscript/chapters/one.md:5:34: error: C008 '@doi:10.1000/xyz123': citing by doi identifier is not supported "
        "(add the source to the bibliography with an id and cite that id, as @xyz123)",
    ]


def test_a_broken_bibtex_file_stops_the_build_with_its_line_and_nothing_is_written(tmp_path):
    bib = BIB.replace("  year = {2020}\n}", "  year = {2020}\n")  # the first entry is never closed
    root = book_with(tmp_path, {"refs.bib": bib}, "bibliography: refs.bib\n")
    out = tmp_path / "out"
    code, _, stderr = run_folio(["build", "pdf", "--project", str(root), "--out", str(out)])
    assert code == 1
    assert re.search(r"manuscript/refs\.bib:\d+:1: error: C007 not valid BibTeX: ", stderr), stderr
    assert "Traceback" not in stderr
    assert not out.exists()
