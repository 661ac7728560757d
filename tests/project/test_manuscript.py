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


# Chapters without front matter, and the other file types authors bring (issue 11) -----------------


def loaded(tmp_path, name, text):
    root = make_book(tmp_path, {name: text})
    checked = check_book(load_project(root))
    return checked.chapters, [(f.code, f.severity, f.message) for f in checked.findings if f.code != "C005"]


def test_title_from_a_lone_first_heading(tmp_path):
    chapters, found = loaded(tmp_path, "one.md", "# The Title\n\nText [@alpha2020] [@beta2021].\n\n## A Section\n\nMore.\n")
    assert chapters[0].title == "The Title" and chapters[0].number is None
    assert "# The Title" not in chapters[0].body and "## A Section" in chapters[0].body
    assert chapters[0].position_of(chapters[0].body.index("Text")) == (3, 1)  # lines still where they were
    assert found == [("M012", "info", "no front matter: the title 'The Title' is taken from its first heading (line 1)")]


def test_title_from_the_first_of_several_top_headings(tmp_path):
    """The links-species manuscript: '# Introduction', '# Results', ... The first heading names
    the chapter but stays a section, and the note says so."""
    text = "# Introduction\n\nText [@alpha2020].\n\n# Results\n\nMore [@beta2021].\n"
    root = make_book(tmp_path, {"ms.md": text, "other.md": "---\ntitle: Other\n---\n\nText.\n"})
    checked = check_book(load_project(root))
    assert checked.chapters[0].title == "Introduction" and "# Introduction" in checked.chapters[0].body
    note = next(f for f in checked.findings if f.code == "M012")
    assert note.severity == "info" and "which stays a section" in note.message


def test_the_only_text_of_a_book_takes_the_book_title(tmp_path):
    """An article built as a book on its own: its top headings are its sections, its title the book's."""
    chapters, found = loaded(tmp_path, "ms.md", "# Introduction\n\nText [@alpha2020].\n\n# Results\n\nMore [@beta2021].\n")
    assert chapters[0].title == "Test Book" and "# Introduction" in chapters[0].body
    assert [f[:2] for f in found] == [("M012", "info")]
    assert found[0][2].startswith("no front matter: the title 'Test Book' is taken from the book's title (its headings are all sections")


def test_title_from_a_pandoc_title_block(tmp_path):
    chapters, found = loaded(tmp_path, "one.txt", "% A Title\n  Continued\n% The Author\n% 2021\n\nText [@alpha2020] [@beta2021].\n")
    assert chapters[0].title == "A Title Continued"
    assert chapters[0].body.strip().startswith("Text") and chapters[0].body_line == 5
    assert found[0][:2] == ("M012", "info") and "% title block" in found[0][2]


def test_title_from_a_multimarkdown_title_line(tmp_path):
    """The 500 Lines chapter starts 'title: ...' / 'author: ...' with no '---' around them."""
    chapters, found = loaded(
        tmp_path, "sampler.markdown", "title: A Rejection Sampler\nauthor: J. H.\n## Intro\n\nText [@alpha2020] [@beta2021].\n"
    )
    assert chapters[0].title == "A Rejection Sampler" and "author:" not in chapters[0].body
    assert found[0][:2] == ("M012", "info")


def test_no_title_anywhere_is_an_error(tmp_path):
    _, found = loaded(tmp_path, "one.md", "Only text [@alpha2020] [@beta2021].\n")
    assert [f[:2] for f in found] == [("M001", "error")]


def test_notes_never_fail_strict(tmp_path):
    from helpers import run_folio

    root = make_book(tmp_path, {"one.txt": "# The Title\n\nText [@alpha2020] [@beta2021].\n"})
    code, out, _ = run_folio(["check", "--project", str(root), "--strict"])
    assert code == 0 and "info: M012" in out


def test_chapter_language_short_title_and_bad_values(tmp_path):
    text = "---\ntitle: Ein langer Titel\nshort_title: Kurz\nlanguage: de-DE\n---\n\nText [@alpha2020] [@beta2021].\n"
    chapters, found = loaded(tmp_path / "a", "one.md", text)
    assert (chapters[0].short_title, chapters[0].language, chapters[0].running_head) == ("Kurz", "de-DE", "Kurz")
    assert found == []
    _, found = loaded(tmp_path / "b", "one.md", "---\ntitle: T\nlanguage: not a tag\n---\n\nText.\n")
    assert [f[:2] for f in found] == [("M001", "error")]
