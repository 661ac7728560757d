"""Shared fixtures: the real book built once, and small books made to order in tmp_path."""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from folio.cli import main

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seed" / "chapter-35.txt"
SLUG = "axis-of-resentment"


@dataclass
class Built:
    out: Path
    pdf: Path
    press: Path
    epub: Path
    draft: Path
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The repository's own book, built once for the session into a temporary folder."""
    out = tmp_path_factory.mktemp("build")
    code, stdout, stderr = run_folio(["build", "--project", str(REPO), "--out", str(out)])
    assert code == 0, stderr
    return Built(out, out / f"{SLUG}.pdf", out / f"{SLUG}-press.pdf", out / f"{SLUG}.epub", out / f"{SLUG}-draft.pdf", stdout, stderr)


def run_folio(argv: list[str]) -> tuple[int, str, str]:
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(argv)
    return code, stdout.getvalue(), stderr.getvalue()


REFERENCES = """\
- id: alpha2020
  type: book
  author: [{family: Alpha, given: Ann}]
  title: The First Book
  publisher: Press One
  issued: 2020-01-02
- id: beta2021
  type: article-journal
  author: [{family: Beta, given: Bob}]
  title: A Second Article
  container-title: Journal Two
  issued: 2021
"""


def make_book(root: Path, chapters: dict[str, str], references: str = REFERENCES, extra: str = "") -> Path:
    """A small project: chapters maps a file name to its Markdown (front matter included)."""
    manuscript = root / "manuscript"
    (manuscript / "chapters").mkdir(parents=True)
    lines = [
        "title: Test Book",
        "author: Tess Author",
        "slug: test-book",
        "identifier: urn:uuid:00000000-0000-4000-8000-000000000001",
        "chapters:",
        *(f"  - chapters/{name}" for name in chapters),
    ]
    (manuscript / "book.yaml").write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    for name, text in chapters.items():
        (manuscript / "chapters" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    (manuscript / "references.yaml").write_text(references, encoding="utf-8")
    return root


def copy_repo_book(root: Path) -> Path:
    shutil.copytree(REPO / "manuscript", root / "manuscript")
    return root


def normalise(text: str) -> str:
    """Letters and digits only, lower case: immune to hyphenation, quotes, dashes and line breaks."""
    text = text.replace("\u00ad", "")
    return re.sub(r"[^0-9a-z]", "", text.lower())


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/golden/ from the current output")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with tests/golden/NAME, or rewrite it with --update-goldens."""

    def compare(name: str, text: str) -> None:
        path = REPO / "tests" / "golden" / name
        if request.config.getoption("--update-goldens"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.is_file(), f"no golden {path}: run pytest --update-goldens"
        assert text == path.read_text(encoding="utf-8")

    return compare
