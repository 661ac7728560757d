"""folio/config.py: the whole book.yaml validated, every problem with its line."""

from __future__ import annotations

import pytest

from folio.errors import ConfigError
from folio.project.config import length_pt, load_project, page_size_pt

from helpers import REPO, make_book

CHAPTER = "---\ntitle: One\n---\n\nText [@alpha2020] [@beta2021].\n"


def test_repository_book_loads():
    project = load_project(REPO)
    assert project.config.title == "The Axis of Resentment"
    assert project.config.language == "en-US"
    assert project.csl_path.name == "chicago-notes-bibliography.csl"
    assert [p.name for p in project.chapter_paths] == ["35-forged-in-fire.md"]


def test_every_problem_reported_once_with_lines(tmp_path):
    extra = "language: english\ncsl: chicago-notes-bibliografy\nslug2: x\nprint:\n  font_size: big\n  margin_top: 2 inches\n"
    root = make_book(tmp_path, {"one.md": CHAPTER}, extra=extra)
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    lines = str(caught.value).splitlines()
    prefix = str(root / "manuscript" / "book.yaml")
    assert f"{prefix}:9: slug2: unknown key (did you mean 'slug'?)" in lines
    assert f"{prefix}:11: print.font_size: must be a positive number" in lines
    assert f"{prefix}:7: language: 'english' is not a language tag such as en-US" in lines
    assert any(line.startswith(f"{prefix}:8: csl: no such style or file: chicago-notes-bibliografy (did you mean") for line in lines)
    assert any(line.startswith(f"{prefix}:12: print.margin_top: '2 inches' is not a length") for line in lines)


def test_missing_required_keys_and_files(tmp_path):
    root = make_book(tmp_path, {"one.md": CHAPTER})
    book = root / "manuscript" / "book.yaml"
    book.write_text("title: T\nchapters:\n  - chapters/one.md\n  - chapters/nope.md\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    text = str(caught.value)
    for key in ("author", "slug", "identifier"):
        assert f"book.yaml:1: {key}: required key is missing" in text
    assert "book.yaml:4: chapters: no such file: manuscript/chapters/nope.md" in text


def test_yaml_syntax_error_has_a_line(tmp_path):
    root = make_book(tmp_path, {"one.md": CHAPTER}, extra="print: [unclosed\n")
    with pytest.raises(ConfigError, match=r"book\.yaml:\d+: not valid YAML"):
        load_project(root)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("6x9in", (432, 648)), ("A5", (419.53, 595.28)), ("156x234mm", (442.2, 663.31)), ("5.5in 8.5in", (396, 612)), ("letter", (612, 792))],
)
def test_page_sizes(spec, expected):
    width, height = page_size_pt(spec)
    assert (round(width, 1), round(height, 1)) == (round(expected[0], 1), round(expected[1], 1))


def test_bad_lengths():
    with pytest.raises(ValueError):
        length_pt("12 furlongs")
    with pytest.raises(ValueError):
        page_size_pt("huge")


def test_front_and_back_matter_files(tmp_path):
    """front: and back: are read like chapters, around them, and checked like them."""
    from folio.project.manuscript import load_chapters

    extra = "front:\n  - chapters/preface.md\n  - chapters/missing.md\nback:\n  - chapters/appendix-data.md\ntoc_depth: 9\n"
    root = make_book(tmp_path, {"one.md": CHAPTER}, extra=extra)
    chapters = root / "manuscript" / "chapters"
    (chapters / "preface.md").write_text("---\ntitle: Preface\n---\n\nWhy.\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_project(root)
    assert "book.yaml:9: front: no such file: manuscript/chapters/missing.md" in str(error.value)
    assert "book.yaml:11: back: no such file: manuscript/chapters/appendix-data.md" in str(error.value)
    assert "toc_depth: use 1 (chapters)" in str(error.value)
    assert "preface" not in str(error.value)
    (chapters / "appendix-data.md").write_text("---\ntitle: Data\n---\n\nTables.\n", encoding="utf-8")
    text = (root / "manuscript" / "book.yaml").read_text(encoding="utf-8")
    (root / "manuscript" / "book.yaml").write_text(text.replace("  - chapters/missing.md\n", "").replace("toc_depth: 9", "toc_depth: 3"))
    project = load_project(root)
    loaded, _ = load_chapters(project)
    assert [(c.title, c.role, c.kind, c.label) for c in loaded] == [
        ("Preface", "front", "preface", ""),
        ("One", "body", "", ""),
        ("Data", "back", "appendix", ""),
    ]


def test_chapter_files_must_be_markdown(tmp_path):
    root = make_book(tmp_path, {"one.md": CHAPTER, "two.markdown": CHAPTER, "three.txt": CHAPTER, "four.docx": CHAPTER})
    with pytest.raises(ConfigError) as error:
        load_project(root)
    assert str(error.value).endswith("book.yaml:5: chapters: four.docx is not a Markdown file (name it .md, .markdown or .txt)")
    assert "one.md" not in str(error.value) and "two.markdown" not in str(error.value) and "three.txt" not in str(error.value)
