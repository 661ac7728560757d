"""folio/manuscript.py: front matter, positions, and markup that would not reach the reader."""

from __future__ import annotations

from folio.checks.book import check_book
from folio.project.config import load_project

from helpers import make_book


def findings(tmp_path, text):
    root = make_book(tmp_path, {"one.md": text})
    return [(f.code, f.line, f.col) for f in check_book(load_project(root)).findings if f.code != "C005"]


def test_front_matter_problems(tmp_path):
    assert findings(tmp_path / "a", "No front matter [@alpha2020].\n") == [("M001", 1, 1)]
    assert findings(tmp_path / "b", "---\nnumber: 3\n---\n\nText.\n") == [("M002", 2, 1)]
    assert findings(tmp_path / "c", "---\ntitle: T\nnumber: three\n---\n\nText.\n") == [("M003", 3, 1)]
    assert findings(tmp_path / "d", "---\ntitle: [broken\n---\n\nText.\n")[0][:2] == ("M001", 3)


def test_raw_html_and_images_without_alt(tmp_path):
    text = "---\ntitle: T\n---\n\nHello <script>alert(1)</script> and `<code>` fine.\n\n![](map.png) and ![A map](map.png)\n"
    assert findings(tmp_path, text) == [("M004", 5, 7), ("M004", 5, 23), ("M007", 7, 1), ("M009", 7, 5), ("M009", 7, 27)]


def test_images_must_exist_inside_the_manuscript_and_be_of_a_known_type(tmp_path):
    text = "---\ntitle: T\n---\n\n![Map](images/map.png) ![Escape](../secret.png) ![Scan](scan.tiff)\n"
    root = make_book(tmp_path, {"one.md": text})
    (root / "manuscript" / "images").mkdir()
    (root / "manuscript" / "images" / "map.png").write_bytes(b"png")
    (root / "secret.png").write_bytes(b"png")
    (root / "manuscript" / "scan.tiff").write_bytes(b"tiff")
    found = [(f.code, f.col) for f in check_book(load_project(root)).findings if f.code.startswith("M")]
    assert found == [("M009", 34), ("M010", 57)]


def test_not_utf8_is_reported(tmp_path):
    root = make_book(tmp_path, {"one.md": "---\ntitle: T\n---\n\nText.\n"})
    (root / "manuscript" / "chapters" / "one.md").write_bytes(b"---\ntitle: T\n---\n\ncaf\xe9\n")
    assert [(f.code, f.line) for f in check_book(load_project(root)).findings if f.code != "C005"] == [("M005", 5)]


def test_duplicate_chapter_numbers(tmp_path):
    root = make_book(
        tmp_path,
        {"a.md": "---\ntitle: A\nnumber: 3\n---\n\nA [@alpha2020].\n", "b.md": "---\ntitle: B\nnumber: 3\n---\n\nB [@beta2021].\n"},
    )
    assert [f.code for f in check_book(load_project(root)).findings] == ["M006"]
