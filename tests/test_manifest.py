"""folio/manifest.py: a build with nothing changed does nothing, fast, and touches no output; a
change to any input, or a damaged output, makes the build run again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from folio import manifest
from folio.formats import Options
from folio.project.config import load_project

from helpers import CHAPTER_ONE, REPO, make_book, run_folio

HEAVY = ("weasyprint", "pypandoc", "ziamath")

NO_OP = """
import json, sys, time
from folio.cli import main
started = time.perf_counter()
code = main(sys.argv[1:])
seconds = time.perf_counter() - started
print(json.dumps({"code": code, "seconds": seconds, "heavy": [m for m in HEAVY if m in sys.modules]}), file=sys.stderr)
"""


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under `folder` (the cache too): its modification time in ns and its bytes."""
    return {str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


def build_json(root: Path, *args: str) -> dict:
    code, out, err = run_folio(["build", *args, "--project", str(root), "--json"])
    assert code == 0, err + out
    return json.loads(out)


def test_a_build_with_nothing_changed_imports_no_tool_and_rewrites_nothing(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE})
    code, out, err = run_folio(["build", "pdf", "--project", str(root)])
    assert code == 0, err
    assert "wrote" in out
    before = snapshot(root / "build")
    assert "test-book.pdf" in before

    command = [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n" + NO_OP, "build", "pdf", "--project", str(root)]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(REPO)}, check=False)
    result = json.loads(done.stderr.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    assert result["heavy"] == []  # neither Pandoc's wrapper nor WeasyPrint nor ziamath was imported
    assert result["seconds"] < 1.0, result
    assert "up to date" in done.stdout and "wrote" not in done.stdout
    assert snapshot(root / "build") == before  # no file written, not even touched


def test_a_damaged_or_missing_output_is_made_again(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE})
    first = build_json(root, "pdf")
    pdf = root / "build" / "test-book.pdf"
    good = pdf.read_bytes()
    assert first["products"][0]["sha256"] == manifest._sha256(pdf)

    data = bytearray(good)
    data[len(data) // 2] ^= 0xFF  # one byte changed, size and name the same
    pdf.write_bytes(bytes(data))
    again = build_json(root, "pdf")
    assert not again["up_to_date"]
    assert pdf.read_bytes() == good  # rebuilt, byte for byte what the first build wrote

    pdf.unlink()
    assert not build_json(root, "pdf")["up_to_date"]
    assert pdf.read_bytes() == good
    assert build_json(root, "pdf")["up_to_date"]


def _png(path: Path, colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), colour).save(path)


def _change_chapter(root: Path) -> None:
    chapter = root / "manuscript" / "chapters" / "01-one.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("First claim", "The first claim"), encoding="utf-8")


def _change_bibliography(root: Path) -> None:
    references = root / "manuscript" / "references.yaml"
    references.write_text(references.read_text(encoding="utf-8").replace("The First Book", "The Very First Book"), encoding="utf-8")


def _change_book_yaml(root: Path) -> None:
    book = root / "manuscript" / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace("Test Book", "Another Test Book"), encoding="utf-8")


def _change_image(root: Path) -> None:
    _png(root / "manuscript" / "images" / "plate.png", (200, 30, 30))


def _change_template(root: Path) -> None:
    css = root / "templates" / "print.css"
    css.write_text(css.read_text(encoding="utf-8") + "\np { hyphens: none; }\n", encoding="utf-8")


def _change_csl(root: Path) -> None:
    style = root / "manuscript" / "house.csl"
    style.write_text(style.read_text(encoding="utf-8").replace("</info>", "<summary>house style</summary></info>", 1), encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [_change_chapter, _change_bibliography, _change_book_yaml, _change_image, _change_template, _change_csl],
    ids=["chapter", "bibliography", "book.yaml", "image", "project template", "CSL style"],
)
def test_a_change_to_any_kind_of_input_makes_the_build_run(tmp_path, change):
    chapter = CHAPTER_ONE + "\n![A plate, all red.](images/plate.png)\n"
    root = make_book(tmp_path / "book", {"01-one.md": chapter}, extra="publisher: Test Press\ncsl: house.csl\n")
    _png(root / "manuscript" / "images" / "plate.png", (30, 30, 200))
    (root / "manuscript" / "house.csl").write_bytes((load_project(REPO).csl_path).read_bytes())
    (root / "templates").mkdir()
    (root / "templates" / "print.css").write_bytes((REPO / "templates" / "print.css").read_bytes())
    assert not build_json(root, "onix")["up_to_date"]
    assert build_json(root, "onix")["up_to_date"]
    change(root)
    assert not build_json(root, "onix")["up_to_date"]
    assert build_json(root, "onix")["up_to_date"]


def test_another_request_is_not_up_to_date_with_this_one(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE}, extra="publisher: Test Press\n")
    assert not build_json(root, "onix")["up_to_date"]
    assert not build_json(root, "onix", "--strict")["up_to_date"]  # an option is part of the request
    assert build_json(root, "onix")["up_to_date"]  # each request keeps its own record
    assert build_json(root, "onix", "--strict")["up_to_date"]


def test_the_last_builds_warnings_are_replayed(tmp_path):
    references = "- id: gamma2022\n  type: book\n  title: Never Cited\n  issued: 2022\n"
    root = make_book(tmp_path / "book", {"01-one.md": "---\ntitle: One\n---\n\nNo citation here.\n"}, references, "publisher: Test Press\n")
    code, out, first = run_folio(["build", "onix", "--project", str(root)])
    assert code == 0 and "C005" in first and "wrote" in out
    code, out, again = run_folio(["build", "onix", "--project", str(root)])
    assert code == 0 and "up to date" in out
    assert again == first  # the same warnings, in the same words
    assert [f["code"] for f in build_json(root, "onix")["findings"]] == ["C005"]


def test_a_file_is_read_again_only_when_its_size_or_mtime_changed(tmp_path, monkeypatch):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE})
    project = load_project(root)
    chapter = root / "manuscript" / "chapters" / "01-one.md"
    old = 1_600_000_000
    for path in (root / "manuscript").rglob("*"):
        os.utime(path, (old, old))  # older than the few seconds in which a file is not trusted
    first = manifest.input_key(project, ["pdf"], root / "build", Options(), {}, [])
    assert first is not None
    read: list[Path] = []
    hash_file = manifest._sha256
    monkeypatch.setattr(manifest, "_sha256", lambda path: read.append(path) or hash_file(path))
    second = manifest.input_key(project, ["pdf"], root / "build", Options(), first.files, [])
    assert second is not None and second.digest == first.digest and read == []
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    third = manifest.input_key(load_project(root), ["pdf"], root / "build", Options(), first.files, [])
    assert third is not None and third.digest != first.digest and read == [chapter]


def test_a_damaged_record_is_not_trusted(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE}, extra="publisher: Test Press\n")
    build_json(root, "onix")
    (record,) = (root / "build" / ".cache").glob("build-*.json")
    record.write_text(record.read_text(encoding="utf-8")[:200], encoding="utf-8")
    assert not build_json(root, "onix")["up_to_date"]
    assert build_json(root, "onix")["up_to_date"]


def test_the_key_counts_the_packages_folio_runs_on_and_no_others(tmp_path, monkeypatch):
    needed = manifest.requirements()
    assert {"weasyprint", "pypandoc-binary", "ziamath", "fontpkg-eb-garamond", "pydyf"} <= set(needed)
    assert not {"pytest", "hypothesis", "ruff"} & set(needed)  # tools of the developers, not of the book

    site = tmp_path / "site-packages"
    (site / "weasyprint-70.0.dist-info").mkdir(parents=True)
    (site / "fontpkg_eb_garamond-1.3.dist-info").mkdir()
    monkeypatch.setattr(sys, "path", [str(site)])
    packages = ["fontpkg-eb-garamond", "weasyprint"]
    before = manifest.installed(packages)
    assert before == ["fontpkg_eb_garamond-1.3.dist-info", "weasyprint-70.0.dist-info"]
    (site / "hypothesis-6.170.15.dist-info").mkdir()  # another engineer's test tool: no rebuild
    assert manifest.installed(packages) == before
    (site / "weasyprint-70.0.dist-info").rename(site / "weasyprint-71.0.dist-info")  # an upgrade: a rebuild
    assert manifest.installed(packages) == ["fontpkg_eb_garamond-1.3.dist-info", "weasyprint-71.0.dist-info"]
    (site / "weasyprint-71.0.dist-info").rmdir()
    assert manifest.installed(packages)[1] == "weasyprint: not installed"


def test_the_key_counts_the_system_libraries_versions_through_their_links(tmp_path):
    """The versioned files of the libraries that shape the pages (HarfBuzz, Pango, ...), found by
    their names in each library folder; a library upgraded is another key, other libraries are not in it."""
    folder = tmp_path / "lib" / "x86_64-linux-gnu"
    folder.mkdir(parents=True)
    for name in ("libharfbuzz.so.0.60000.0", "libharfbuzz-subset.so.0.60000.0", "libpango-1.0.so.0.5000.12", "libfoo.so.1.2"):
        (folder / name).write_bytes(b"")
    (folder / "libharfbuzz.so.0").symlink_to("libharfbuzz.so.0.60000.0")
    (folder / "libharfbuzz.so").symlink_to("libharfbuzz.so.0")  # the development link: not a version
    (tmp_path / "lib" / "libcairo.so.2.11600.0").write_bytes(b"")
    folders = (f"{tmp_path}/lib/*/", f"{tmp_path}/lib/", f"{tmp_path}/local/lib/")  # no local/lib: nothing from it
    found = manifest.libraries(folders)
    assert found == sorted(
        [
            str(tmp_path / "lib" / "libcairo.so.2.11600.0"),
            *(str(folder / name) for name in ("libharfbuzz-subset.so.0.60000.0", "libharfbuzz.so.0.60000.0", "libpango-1.0.so.0.5000.12")),
        ]
    )
    (folder / "libharfbuzz.so.0").unlink()
    (folder / "libharfbuzz.so.0.60000.0").rename(folder / "libharfbuzz.so.0.61000.0")  # an upgrade: a rebuild
    (folder / "libharfbuzz.so.0").symlink_to("libharfbuzz.so.0.61000.0")
    assert str(folder / "libharfbuzz.so.0.61000.0") in manifest.libraries(folders) != found
