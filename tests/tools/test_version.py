"""folio/version.py: real git repositories in tmp_path, two commits, a dirty tree, an unknown revision."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from folio.errors import ConfigError
from folio.tools import version

IDENTITY = {
    "GIT_AUTHOR_NAME": "Ann Editor",
    "GIT_AUTHOR_EMAIL": "ann@example.com",
    "GIT_COMMITTER_NAME": "Ann Editor",
    "GIT_COMMITTER_EMAIL": "ann@example.com",
}


@pytest.fixture(autouse=True)
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No repository above tmp_path is seen, and no user or system git config is read."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(repo: Path, *arguments: str, date: str = "2026-11-27T10:00:00+00:00") -> str:
    env = {**os.environ, **IDENTITY, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", "-C", str(repo), *arguments], env=env, capture_output=True, text=True, check=True).stdout


def make_repo(root: Path) -> Path:
    """A project with two commits: chapter one, a tag v1.2, then chapter one revised and chapter two."""
    repo = root / "project"
    chapters = repo / "manuscript" / "chapters"
    chapters.mkdir(parents=True)
    git(repo, "init", "--quiet", "--initial-branch=main")
    (chapters / "one.md").write_text("The quick brown fox.\n", encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "First draft", date="2026-11-20T09:00:00+00:00")
    git(repo, "tag", "v1.2")
    (chapters / "one.md").write_text("The slow brown fox.\n", encoding="utf-8")
    (chapters / "two.md").write_text("A second chapter.\n", encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "Revised", date="2026-11-27T10:00:00+00:00")
    return repo


def test_describe_a_clean_tree(tmp_path: Path):
    repo = make_repo(tmp_path)
    found = version.describe(repo / "manuscript")
    head = git(repo, "rev-parse", "HEAD").strip()
    assert re.fullmatch(r"v1\.2-1-g[0-9a-f]{7,}", found.describe)
    assert (found.commit, found.commit_date, found.dirty) == (head, "2026-11-27", False)
    assert found.text == f"{found.describe}, 2026-11-27"


def test_a_modified_file_makes_the_tree_dirty(tmp_path: Path):
    repo = make_repo(tmp_path)
    (repo / "manuscript" / "chapters" / "one.md").write_text("The slow red fox.\n", encoding="utf-8")
    found = version.describe(repo / "manuscript")
    assert found.dirty and found.describe.endswith("-dirty")
    assert re.fullmatch(r"v1\.2-1-g[0-9a-f]{7,}, 2026-11-27, uncommitted changes", found.text)


def test_an_untracked_chapter_makes_the_tree_dirty(tmp_path: Path):
    repo = make_repo(tmp_path)
    (repo / "manuscript" / "chapters" / "three.md").write_text("New.\n", encoding="utf-8")
    found = version.describe(repo / "manuscript")
    assert found.dirty and not found.describe.endswith("-dirty")
    assert found.text.endswith(", uncommitted changes")


def test_untracked_files_outside_the_manuscript_do_not_count(tmp_path: Path):
    repo = make_repo(tmp_path)
    (repo / "notes.txt").write_text("scratch\n", encoding="utf-8")
    assert not version.describe(repo / "manuscript").dirty


def test_without_a_tag_describe_is_the_abbreviated_hash(tmp_path: Path):
    repo = make_repo(tmp_path)
    git(repo, "tag", "-d", "v1.2")
    found = version.describe(repo / "manuscript")
    assert found.commit.startswith(found.describe)


def test_outside_a_repository(tmp_path: Path):
    folder = tmp_path / "loose"
    folder.mkdir()
    found = version.describe(folder)
    assert found == version.Version("", "", "", False, "not under version control")


def test_a_repository_without_commits(tmp_path: Path):
    git(tmp_path, "init", "--quiet")
    (tmp_path / "one.md").write_text("Text.\n", encoding="utf-8")
    found = version.describe(tmp_path)
    assert (found.commit, found.dirty, found.text) == ("", True, "no commits yet, uncommitted changes")


def test_read_at_a_tag_a_commit_and_head(tmp_path: Path):
    repo = make_repo(tmp_path)
    first = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    assert version.read_at(repo, "v1.2", "manuscript/chapters/one.md") == "The quick brown fox.\n"
    assert version.read_at(repo, first[:10], "manuscript/chapters/one.md") == "The quick brown fox.\n"
    assert version.read_at(repo, "HEAD", "manuscript/chapters/one.md") == "The slow brown fox.\n"
    assert version.read_at(repo / "manuscript", "HEAD~1", "chapters/one.md") == "The quick brown fox.\n"
    absolute = repo / "manuscript" / "chapters" / "one.md"
    assert version.read_at(repo, "main", str(absolute)) == "The slow brown fox.\n"


def test_read_at_an_unknown_revision(tmp_path: Path):
    repo = make_repo(tmp_path)
    with pytest.raises(ConfigError, match=r"unknown revision 'v9\.9' in .*project"):
        version.read_at(repo, "v9.9", "manuscript/chapters/one.md")
    with pytest.raises(ConfigError, match="is not a revision"):
        version.read_at(repo, "--output=x", "manuscript/chapters/one.md")


def test_read_at_a_revision_before_the_file_existed(tmp_path: Path):
    repo = make_repo(tmp_path)
    with pytest.raises(ConfigError, match=r"'manuscript/chapters/two\.md' did not exist at 'v1\.2' \([0-9a-f]{7}\)"):
        version.read_at(repo, "v1.2", "manuscript/chapters/two.md")
    with pytest.raises(ConfigError, match="did not exist"):
        version.read_at(repo, "HEAD", "manuscript/chapters")


def test_read_at_outside_a_repository(tmp_path: Path):
    with pytest.raises(ConfigError, match="not under version control"):
        version.read_at(tmp_path, "HEAD", "one.md")


def test_last_author_of_a_file(tmp_path: Path):
    repo = make_repo(tmp_path)
    assert version.last_author(repo, "HEAD", "manuscript/chapters/one.md") == ("Ann Editor", "2026-11-27T10:00:00+00:00")
    assert version.last_author(repo, "v1.2") == ("Ann Editor", "2026-11-20T09:00:00+00:00")
    with pytest.raises(ConfigError, match=r"no commit up to 'v1\.2' touched"):
        version.last_author(repo, "v1.2", "manuscript/chapters/two.md")
