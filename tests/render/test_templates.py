"""folio/templates.py: a project's templates/ overrides Folio's file by file."""

from __future__ import annotations

import zipfile

from folio.render.templates import css_string, default_templates_dir, render

from helpers import CHAPTER_ONE, make_book, run_folio


def test_project_template_overrides_one_file(tmp_path):
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE})
    (root / "templates").mkdir()
    (root / "templates" / "epub.css").write_text("/* house style */ body { margin: 0; }\n", encoding="utf-8")
    code, _, err = run_folio(["build", "epub", "--project", str(root)])
    assert code == 0, err
    with zipfile.ZipFile(root / "build" / "test-book.epub") as archive:
        assert archive.read("OEBPS/css/epub.css").decode().startswith("/* house style */")
        # the other templates still come from Folio
        assert b"doc-noteref" in archive.read("OEBPS/text/ch01.xhtml")


def test_broken_project_template_is_a_usage_error(tmp_path):
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE})
    (root / "templates").mkdir()
    (root / "templates" / "nav.xhtml.j2").write_text("{% for x in %}\n", encoding="utf-8")
    code, _, err = run_folio(["build", "epub", "--project", str(root)])
    assert code == 2 and "nav.xhtml.j2:1: template error" in err
    assert not (root / "build" / "test-book.epub").exists()


def test_defaults_ship_with_the_package():
    names = {p.name for p in default_templates_dir().iterdir()}
    assert {"book.html.j2", "draft.html.j2", "print.css", "chapter.xhtml.j2", "package.opf.j2", "nav.xhtml.j2"} <= names


def test_css_string_cannot_break_out_of_a_style_element():
    assert css_string('A "B" </style> & \\') == '"A \\22 B\\22  \\3C /style\\3E  \\26  \\5C "'


def test_unknown_font_is_a_usage_error(tmp_path):
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE}, extra="print:\n  font: Comic Sans\n")
    code, _, err = run_folio(["build", "pdf", "--project", str(root)])
    assert code == 2 and "print.font: 'Comic Sans' is not a typeface Folio installs" in err


def test_templates_render_with_strict_undefined(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "x.j2").write_text("{{ nothing }}", encoding="utf-8")
    try:
        render(tmp_path, "x.j2")
    except Exception as exc:
        assert "'nothing' is undefined" in str(exc)
    else:
        raise AssertionError("an undefined variable rendered silently")
