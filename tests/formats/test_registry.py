"""folio/formats/__init__.py: formats are a registry; build() resolves what each needs and loops."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest

from folio import build as build_module
from folio.formats import BOOK, PRINT, REGISTRY, Format, Inputs, Rendered, default_formats, needs

from helpers import CHAPTER_ONE, CHAPTER_TWO, REPO, make_book, run_folio


@pytest.fixture
def plain_text_format(monkeypatch: pytest.MonkeyPatch) -> Format:
    """A tiny format, registered by this test alone: the book's fragments as plain text."""
    module = types.ModuleType("folio_test_plaintext")

    def render(inputs: Inputs) -> Rendered:
        from lxml import html

        text = "\n\n".join(html.fromstring(f.html).text_content().strip() for f in inputs.book)
        return Rendered(text.encode("utf-8"))

    def requirements(project) -> list[str]:  # type: ignore[no-untyped-def]
        return [] if project.config.publisher else [f"{project.book_file}:1: publisher: the plain-text copy needs a publisher"]

    module.render = render  # type: ignore[attr-defined]
    module.requirements = requirements  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    fmt = Format("txt", "{slug}.txt", "plain text", "tests", module.__name__, frozenset({BOOK}))
    monkeypatch.setitem(REGISTRY, "txt", fmt)
    return fmt


def test_a_format_registered_in_a_test_builds_through_folio_build(tmp_path, plain_text_format):
    source = Path(build_module.__file__)
    before = source.read_bytes()  # the pipeline's own code is not touched
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE, "02-two.md": CHAPTER_TWO}, extra="publisher: Test Press\n")
    code, out, err = run_folio(["build", "txt", "--project", str(root)])
    assert code == 0, err
    text = (root / "build" / "test-book.txt").read_text(encoding="utf-8")
    assert "First claim" in text and "Later claim" in text and "A prose note." in text
    assert "wrote" in out and "test-book.txt" in out
    assert source.read_bytes() == before


def test_a_formats_requirements_are_checked_before_anything_is_converted(tmp_path, plain_text_format, monkeypatch):
    def no_pandoc(*args, **kwargs):  # the requirement must stop the build before Pandoc runs
        raise AssertionError("Pandoc ran")

    monkeypatch.setattr("folio.text.pandoc._run", no_pandoc)
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE})
    code, _, err = run_folio(["build", "txt", "--project", str(root)])
    assert code == 2 and "publisher: the plain-text copy needs a publisher" in err and "Traceback" not in err
    assert not (root / "build").exists()


def test_onix_and_press_requirements_come_before_pandoc(tmp_path, monkeypatch):
    monkeypatch.setattr("folio.text.pandoc._run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("Pandoc ran")))
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE}, extra="print:\n  cmyk_profile: /nowhere/cmyk.icc\n")
    code, _, err = run_folio(["build", "onix", "press", "--project", str(root)])
    assert code == 2
    assert "book.yaml:1: publisher: ONIX needs the publisher's name" in err
    assert "book.yaml:8: print.cmyk_profile: no such file: /nowhere/cmyk.icc" in err


def test_needs_resolve_the_layouts_and_fragments():
    assert needs(["epub"]) == {BOOK, PRINT}
    assert needs(["pdf", "onix"]) == {PRINT}
    assert default_formats() == ("pdf", "epub", "draft")


def test_command_line_and_readme_read_the_registry():
    code, help_text, _ = run_folio(["build", "--help"])
    assert code == 0
    for fmt in REGISTRY.values():
        assert f"{fmt.name}: {fmt.title}" in " ".join(help_text.split())
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([^|]+) \| `build/([^`]+)` \| ([^|]+) \|$", readme, re.M)
    assert [(title.strip(), file, audience.strip()) for title, file, audience in rows] == [
        (f.title, f.file.replace("{slug}", "<slug>"), f.audience) for f in REGISTRY.values()
    ]


def test_build_json_report_lists_each_product(tmp_path):
    root = make_book(tmp_path, {"01-one.md": CHAPTER_ONE}, extra="publisher: Test Press\n")
    code, out, err = run_folio(["build", "onix", "--json", "--project", str(root)])
    assert code == 0, err
    report = json.loads(out)
    (product,) = report["products"]
    assert product["format"] == "onix" and product["bytes"] == (root / "build" / "test-book-onix.xml").stat().st_size
    assert len(product["sha256"]) == 64 and report["ok"] is True
