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


def test_kinds_convert_and_keep_what_the_author_wrote(tmp_path):
    extra = "print:\n  trim: A5\n  margin_top: 18mm\n  bleed: 3mm\ndraft:\n  line_numbers: 5\n"
    project = load_project(make_book(tmp_path, {"one.md": CHAPTER}, extra=extra))
    settings = project.config.print
    assert str(settings.trim) == "A5" and round(settings.trim.width, 2) == 419.53
    assert str(settings.margin_top) == "18mm" and round(settings.margin_top, 2) == 51.02
    geometry = project.geometry()
    assert geometry.top == settings.margin_top and geometry.bleed == settings.bleed and geometry.marks == 18.0
    assert geometry.text_block == (geometry.top, geometry.height - geometry.bottom)
    assert project.config.draft.line_numbers == 5


def test_choices_fonts_and_files_are_checked_with_their_lines(tmp_path):
    extra = "changes: maybe\ncover: cover.gif\nprint:\n  font: Comic Sans\n  press_standard: pdf/x-9\ndraft:\n  line_numbers: 3\n"
    root = make_book(tmp_path, {"one.md": CHAPTER}, extra=extra)
    (root / "manuscript" / "cover.gif").write_bytes(b"GIF89a")
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    text = str(caught.value)
    assert "book.yaml:7: changes: 'maybe' is not one of accept, reject" in text
    assert "book.yaml:8: cover: the cover must be PNG or JPG or JPEG" in text
    assert "book.yaml:10: print.font: 'Comic Sans' is not a typeface Folio installs" in text
    assert "book.yaml:11: print.press_standard: 'pdf/x-9' is not one of pdf/x-1a, pdf/x-3, pdf/x-4" in text
    assert "book.yaml:13: draft.line_numbers: '3' is not one of 1, 5, 0" in text


def test_flow_style_chapter_list_points_at_the_right_line_with_a_suggestion(tmp_path):
    root = make_book(tmp_path, {"one.md": CHAPTER, "two.md": CHAPTER})
    book = root / "manuscript" / "book.yaml"
    book.write_text(
        "title: T\nauthor: A\nslug: t\nidentifier: urn:x\nchapters: [chapters/one.md,\n  chapters/tow.md, chapters/nine.md]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    lines = str(caught.value).splitlines()
    assert any(
        line.endswith("book.yaml:6: chapters: no such file: manuscript/chapters/tow.md (did you mean 'chapters/two.md'?)") for line in lines
    )
    assert any("book.yaml:6: chapters: no such file: manuscript/chapters/nine.md" in line for line in lines)


def test_files_outside_the_project_are_refused(tmp_path):
    (tmp_path / "outside.md").write_text(CHAPTER, encoding="utf-8")
    root = make_book(tmp_path / "book", {"one.md": CHAPTER}, extra="cover: ../../outside.md\n")
    with pytest.raises(ConfigError, match=r"book\.yaml:7: cover: \.\./\.\./outside\.md is outside the project"):
        load_project(root)


def test_allow_takes_warning_codes_only(tmp_path):
    root = make_book(tmp_path, {"one.md": CHAPTER}, extra="allow: [L006, C001, Z999]\n")
    with pytest.raises(ConfigError) as caught:
        load_project(root)
    text = str(caught.value)
    assert "book.yaml:7: allow: C001 is an error (citation key not in the bibliography): only warnings can be allowed" in text
    assert "book.yaml:7: allow: 'Z999' is not a finding code" in text
    assert "L006" not in text
