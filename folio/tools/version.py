"""Which version of the manuscript a build was made from, and the text of a chapter at another version.

The draft prints `Version.text` ("v1.2-3-gabc1234, 2026-11-27, uncommitted changes") so that a
reader's notes can be matched to the text they were made on; `read_at` gives the old side of a
redline. Git is asked, never assumed: outside a repository (or without git) a build still works
and says "not under version control".
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from folio.errors import ConfigError

NOT_TRACKED = "not under version control"


@dataclass(frozen=True)
class Version:
    describe: str
    """`git describe --always --dirty --tags`: the nearest tag, commits since, abbreviated hash."""
    commit: str
    """The full hash of HEAD ('' when there is none)."""
    commit_date: str
    """HEAD's commit date, YYYY-MM-DD."""
    dirty: bool
    """Tracked files differ from HEAD, or the folder holds files git does not track yet."""
    text: str
    """One line for a reader: describe, date, and 'uncommitted changes' when dirty."""


def describe(path: Path) -> Version:
    """The version of the work tree that holds `path` (the manuscript folder, usually)."""
    folder = path if path.is_dir() else path.parent
    try:
        _git(folder, "rev-parse", "--show-toplevel")
    except _GitError as exc:
        if exc.missing or "not a git repository" in exc.stderr:
            return Version("", "", "", False, NOT_TRACKED)
        return Version("", "", "", False, f"version unknown ({exc.stderr.strip().splitlines()[0]})")
    # Untracked files count only in `path`; `describe --dirty` already looks at tracked files everywhere.
    changed_here = bool(_git(folder, "status", "--porcelain", "--untracked-files=all", "--", ".").strip())
    try:
        commit = _git(folder, "rev-parse", "--verify", "HEAD").strip()
    except _GitError:
        return Version("", "", "", True, "no commits yet, uncommitted changes")
    described = _git(folder, "describe", "--always", "--dirty", "--tags").strip()
    date = _git(folder, "log", "-1", "--format=%cs", "HEAD").strip()
    dirty = described.endswith("-dirty") or changed_here
    parts = [described.removesuffix("-dirty"), date, *(["uncommitted changes"] if dirty else [])]
    return Version(described, commit, date, dirty, ", ".join(parts))


def describe_rev(repo: Path, rev: str) -> Version:
    """The version named by a revision (for the redline's "changes since ..." line)."""
    commit = _commit_of(repo, rev)
    described = _git(repo, "describe", "--always", "--tags", commit).strip()
    date = _git(repo, "log", "-1", "--format=%cs", commit).strip()
    label = described if described.startswith(rev) or rev in described else f"{rev} ({described})"
    return Version(described, commit, date, False, f"{label}, {date}")


def _commit_of(repo: Path, rev: str) -> str:
    if rev.startswith("-") or not rev.strip():
        raise ConfigError(f"'{rev}' is not a revision: give a tag, a branch or a commit")
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()
    except _GitError as exc:
        if exc.missing or "not a git repository" in exc.stderr:
            raise ConfigError(f"{repo} is not under version control: there is no '{rev}' to compare with") from None
        raise ConfigError(f"unknown revision '{rev}' in {repo}: give a tag, a branch or a commit") from None


def read_at(repo: Path, rev: str, relpath: str) -> str:
    """The text of `relpath` (relative to `repo`) as it was at revision `rev` (git show REV:path)."""
    commit = _commit_of(repo, rev)
    path = Path(relpath)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(repo.resolve())
        except ValueError:
            raise ConfigError(f"'{relpath}' is not inside {repo}") from None
    try:
        data = _git_bytes(repo, "cat-file", "blob", f"{commit}:./{path.as_posix()}")
    except _GitError:
        raise ConfigError(f"'{relpath}' did not exist at '{rev}' ({commit[:7]})") from None
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"'{relpath}' at '{rev}' is not UTF-8 text ({exc.reason})") from None


def last_author(repo: Path, rev: str = "HEAD", relpath: str = "") -> tuple[str, str]:
    """(name, ISO 8601 date) of the last commit up to `rev` that touched `relpath` (any file if '').

    The author and date of the Word copy's tracked changes (formats/docx.py).
    """
    try:
        out = _git(repo, "log", "-1", "--format=%an%n%aI", rev, "--", relpath or ".")
    except _GitError as exc:
        raise ConfigError(f"cannot read the history of {repo} at '{rev}': {exc.stderr.strip()}") from None
    name, _, date = out.strip().partition("\n")
    if not name:
        raise ConfigError(f"no commit up to '{rev}' touched '{relpath or repo}'")
    return name, date


class _GitError(Exception):
    def __init__(self, stderr: str, missing: bool = False):
        super().__init__(stderr)
        self.stderr = stderr
        self.missing = missing


def _git(folder: Path, *arguments: str) -> str:
    return _git_bytes(folder, *arguments).decode("utf-8", errors="replace")


def _git_bytes(folder: Path, *arguments: str) -> bytes:
    try:
        result = subprocess.run(["git", "-C", str(folder), *arguments], capture_output=True, check=False)
    except FileNotFoundError:
        raise _GitError("git is not installed", missing=True) from None
    if result.returncode != 0:
        raise _GitError(result.stderr.decode("utf-8", errors="replace"))
    return result.stdout
