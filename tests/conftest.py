"""Fixtures: the repository's book built once, goldens, and no test may leave a warning unlooked at."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import REPO, SLUG, run_folio


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


@pytest.fixture(autouse=True)
def no_unexpected_logs(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture):
    """Fail a test that leaves a warning in the log (WeasyPrint's own tests do this with
    assert_no_logs). A test that expects one says so with @pytest.mark.expect_logs."""
    caplog.set_level(logging.WARNING)
    yield
    if request.node.get_closest_marker("expect_logs"):
        return
    unexpected = [f"{r.name}: {r.getMessage()}" for r in caplog.get_records("call") if r.levelno >= logging.WARNING]
    assert not unexpected, f"unexpected warnings: {unexpected}"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", help="rewrite tests/fixtures/golden/ from the current output")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with tests/fixtures/golden/NAME, or rewrite it with --update-goldens."""

    def compare(name: str, text: str) -> None:
        path = REPO / "tests" / "fixtures" / "golden" / name
        if request.config.getoption("--update-goldens"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.is_file(), f"no golden {path}: run pytest --update-goldens"
        assert text == path.read_text(encoding="utf-8")

    return compare
