"""folio/build.py and its commands: how many workers a build uses, how much it says, and
`folio clean`."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor

import pytest

from folio import build as build_module

from helpers import CHAPTER_ONE, make_book, run_folio

ONIX_BOOK = "publisher: Test Press\n"


def test_jobs_sets_the_number_of_layout_workers():
    assert isinstance(build_module._executor(3, 1), build_module._InProcess)
    with build_module._executor(3, 2) as pool:
        assert isinstance(pool, ProcessPoolExecutor) and pool._max_workers == 2
    with build_module._executor(1, 0) as pool:
        assert isinstance(pool, build_module._InProcess)  # one task needs no worker


def test_one_job_lays_out_in_this_process(tmp_path, monkeypatch):
    def no_workers(*args, **kwargs):
        raise AssertionError("a worker process was started")

    monkeypatch.setattr(build_module, "ProcessPoolExecutor", no_workers)
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE})
    code, _, err = run_folio(["build", "pdf", "draft", "--jobs", "1", "--project", str(root)])
    assert code == 0, err
    assert (root / "build" / "test-book.pdf").is_file() and (root / "build" / "test-book-draft.pdf").is_file()


@pytest.mark.parametrize("value", ["x", "-1", "1.5"])
def test_jobs_must_be_a_whole_number(tmp_path, value):
    code, _, err = run_folio(["build", "--jobs", value, "--project", str(tmp_path)])
    assert code == 2 and f"'{value}' is not a number of workers" in err


def test_quiet_prints_only_the_findings(tmp_path):
    references = "- id: gamma2022\n  type: book\n  title: Never Cited\n  issued: 2022\n"
    root = make_book(tmp_path / "book", {"01-one.md": "---\ntitle: One\n---\n\nNo citation here.\n"}, references, ONIX_BOOK)
    code, out, err = run_folio(["build", "onix", "--quiet", "--project", str(root)])
    assert code == 0 and out == ""
    assert err.count("\n") == 1 and "C005" in err
    assert (root / "build" / "test-book-onix.xml").is_file()
    code, out, again = run_folio(["build", "onix", "--quiet", "--project", str(root)])
    assert code == 0 and out == "" and again == err  # up to date: the same findings, nothing else


def test_clean_empties_the_cache_and_keeps_the_outputs(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE}, extra=ONIX_BOOK)
    assert run_folio(["build", "onix", "--project", str(root)])[0] == 0
    out = root / "build"
    onix = (out / "test-book-onix.xml").read_bytes()
    assert any((out / ".cache").iterdir())

    code, printed, _ = run_folio(["clean", "--project", str(root)])
    assert code == 0 and f"removed {out / '.cache'}" in printed
    assert not (out / ".cache").exists()
    assert (out / "test-book-onix.xml").read_bytes() == onix
    code, printed, _ = run_folio(["build", "onix", "--project", str(root), "--json"])
    assert code == 0 and not json.loads(printed)["up_to_date"]  # no record left: the build runs again
    assert (out / "test-book-onix.xml").read_bytes() == onix

    (out / "notes.txt").write_text("the author's own file", encoding="utf-8")
    code, printed, _ = run_folio(["clean", "--all", "--project", str(root)])
    assert code == 0 and "test-book-onix.xml" in printed
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]  # only what Folio made is removed
    (out / "notes.txt").unlink()
    assert run_folio(["clean", "--all", "--project", str(root)]) == (0, f"nothing to remove in {out}\n", "")


def test_clean_all_removes_an_output_folder_left_empty(tmp_path):
    root = make_book(tmp_path / "book", {"01-one.md": CHAPTER_ONE}, extra=ONIX_BOOK)
    out = tmp_path / "elsewhere"
    assert run_folio(["build", "onix", "--project", str(root), "--out", str(out)])[0] == 0
    assert run_folio(["clean", "--all", "--project", str(root), "--out", str(out)])[0] == 0
    assert not out.exists()
